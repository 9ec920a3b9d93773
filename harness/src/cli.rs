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
    /// Run the feature suite (default: every feature under features/ against
    /// the embedded stack). Exit 0 when every selected scenario passes, 1 when
    /// one fails, 2 on a usage or configuration error.
    Run(RunArgs),
    /// Print the step vocabulary, one example each.
    Steps,
    /// Print each requirement with the scenarios that check it.
    Coverage(CoverageArgs),
    /// The AMAPI mock on its own.
    Amapi {
        #[command(subcommand)]
        command: AmapiCommand,
    },
    /// The reference MDM on its own.
    Mdm {
        #[command(subcommand)]
        command: MdmCommand,
    },
    /// List the simulated device profiles: API level, Android version,
    /// encryption, ownership modes and firmware quirks. With --adb, the
    /// devices attached to an adb server instead, with their facts.
    Devices(DevicesArgs),
    /// Simulated devices on their own.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Run the device-side firmware checks (@firmware @device) against one
    /// device and write its certificate (JSON and Markdown) to the report dir.
    Certify(CertifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve one simulated device over adb until interrupted; prints the
    /// address and the `adb connect` line.
    Serve(SimServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct SimServeArgs {
    /// The device profile (fixtures/devices/NAME.toml).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// How the device is enrolled.
    #[arg(long, default_value = "fully-managed", value_name = "MODE")]
    pub ownership: Ownership,
    /// The device passcode (digits make a PIN); default: none.
    #[arg(long, value_name = "DIGITS")]
    pub passcode: Option<String>,
    /// Where to speak the adb transport protocol (not 5555-5585, which the adb server scans).
    #[arg(long, default_value = "127.0.0.1:6556", value_name = "ADDR")]
    pub adb: std::net::SocketAddr,
    /// The serial number the device reports (ro.serialno).
    #[arg(long, default_value = "LOCKSTEP0001", value_name = "SERIAL")]
    pub serial: String,
}

#[derive(Debug, clap::Args)]
pub struct CertifyArgs {
    /// `adb:SERIAL` (a device an adb server has; HOST:PORT serials are
    /// connected first), `tcp:HOST:PORT` (straight to adbd, no server) or
    /// `profile:NAME` (a simulated device).
    #[arg(long, value_name = "adb:SERIAL|tcp:HOST:PORT|profile:NAME")]
    pub device: String,
    /// The adb server (default 127.0.0.1:5037).
    #[arg(long, value_name = "HOST:PORT")]
    pub adb_server: Option<String>,
    /// Where to write the certificate and the run's reports (default: reports/).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Feature files or directories (default: features/firmware).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
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

    /// List the devices attached to an adb server, with their facts.
    #[arg(long)]
    pub adb: bool,

    /// With --adb: the adb server (default 127.0.0.1:5037).
    #[arg(long, value_name = "HOST:PORT")]
    pub adb_server: Option<String>,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Feature files or directories (default: features/).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Only scenarios matching this tag expression, e.g. "@firmware and not @PLAT-6".
    #[arg(long, value_name = "EXPR")]
    pub tags: Option<String>,

    /// Only scenarios for this vendor profile (miradore, intune, iru) and the
    /// vendor-neutral ones.
    #[arg(long, value_name = "NAME")]
    pub vendor: Option<String>,

    /// `embedded` (default) or the base URL of an MDM speaking the driver protocol.
    #[arg(long, value_name = "embedded|URL")]
    pub target: Option<String>,

    /// With an external target: where to serve the AMAPI mock for that MDM.
    #[arg(long, value_name = "ADDR")]
    pub amapi_listen: Option<std::net::SocketAddr>,

    /// With an external target: where to receive the MDM's mail (its SMTP server).
    #[arg(long, value_name = "ADDR")]
    pub smtp_listen: Option<std::net::SocketAddr>,

    /// Seed for every random choice; printed at the start so a run can be replayed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Scenarios in flight at once (default: 16).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// Where to write JUnit XML, Cucumber JSON and the Markdown summary (default: reports/).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,

    /// Stop at the first failing scenario.
    #[arg(long)]
    pub fail_fast: bool,

    /// Negative control: switch on a defect of the embedded MDM (repeatable).
    #[arg(long, value_name = "NAME")]
    pub mdm_defect: Vec<String>,

    /// Negative control: run scenarios that ask for device profile TWIN on
    /// SUBSTITUTE instead (repeatable), e.g. google-pixel-8=acme-a14-stale-keyguard.
    #[arg(long, value_name = "TWIN=SUBSTITUTE")]
    pub swap_profile: Vec<String>,

    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,

    /// Run only the @device scenarios, one at a time, against this device:
    /// `adb:SERIAL` (through the adb server), `tcp:HOST:PORT` (straight to
    /// adbd) or `profile:NAME` (simulated).
    #[arg(long, value_name = "adb:SERIAL|tcp:HOST:PORT|profile:NAME")]
    pub device: Option<String>,

    /// With --device adb:SERIAL: the adb server (default 127.0.0.1:5037).
    #[arg(long, value_name = "HOST:PORT")]
    pub adb_server: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Feature files or directories (default: features/).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AmapiCommand {
    /// Serve the Android Management API mock with a simulated fleet behind it
    /// until interrupted; prints the base URL to point a client at.
    Serve(AmapiServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct AmapiServeArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub addr: std::net::SocketAddr,
    /// A fleet file (fixtures/fleets/*.toml) to enroll at start.
    #[arg(long, value_name = "FILE")]
    pub fleet: Option<PathBuf>,
    /// Seed for ids and fault draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run on a virtual clock moved only through the control API (default: wall time).
    #[arg(long)]
    pub virtual_clock: bool,
    /// Journal and warn about every request sloppiness Google merely tolerates.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub enum MdmCommand {
    /// Serve the reference MDM (driver protocol, portal, Pub/Sub push endpoint)
    /// against an AMAPI base URL until interrupted.
    Serve(MdmServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct MdmServeArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub addr: std::net::SocketAddr,
    /// AMAPI's base URL, e.g. the one `lockstep amapi serve` printed.
    #[arg(long, value_name = "URL")]
    pub amapi: String,
    /// The vendor profile: miradore, intune or iru (fixtures/vendors/NAME.toml).
    #[arg(long, default_value = "miradore", value_name = "NAME")]
    pub vendor: String,
    /// The enterprise to manage (`enterprises/ID` or `ID`); default: the first AMAPI lists, or a new one.
    #[arg(long, value_name = "NAME")]
    pub enterprise: Option<String>,
    /// SQLite database file (default: in memory).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// SMTP server for passcode mail (default: no mail).
    #[arg(long, value_name = "HOST:PORT")]
    pub smtp: Option<String>,
    /// Switch on a defect (negative control; repeatable).
    #[arg(long, value_name = "NAME")]
    pub defect: Vec<String>,
}

impl Cli {
    /// The `--adb-server` given to whichever command takes one.
    pub fn adb_server(&self) -> Option<&str> {
        match &self.command {
            Command::Run(a) => a.adb_server.as_deref(),
            Command::Devices(a) => a.adb_server.as_deref(),
            Command::Certify(a) => a.adb_server.as_deref(),
            _ => None,
        }
    }
}
