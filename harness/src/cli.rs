//! The command line as the user typed it. Commands resolve it into what they
//! need; parsing never touches the file system.

use android_sim::Ownership;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Lockstep: conformance harness and device emulator for MDM remote passcode
/// reset and remote lock on Android.
#[derive(Debug, Parser)]
#[command(name = "lockstep", version, about, long_about = None)]
pub struct Cli {
    /// Directory holding devices/, fleets/, vendors/ (default: ./fixtures, or
    /// the checkout this binary was built from).
    #[arg(long, global = true, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the simulated device profiles: API level, Android version,
    /// encryption, ownership modes and firmware quirks.
    Devices(DevicesArgs),
}

#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Only profiles of this API level.
    #[arg(long, value_name = "N")]
    pub api: Option<u8>,

    /// Only profiles that support this ownership mode (fully-managed,
    /// dedicated, work-profile-personal, work-profile-company-owned,
    /// legacy-device-admin).
    #[arg(long, value_name = "MODE")]
    pub ownership: Option<Ownership>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}
