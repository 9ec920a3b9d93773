//! Lockstep: a conformance harness for MDM remote passcode reset and remote
//! lock on Android.
//!
//! This crate is the harness: the command line, and (as it grows) the
//! Gherkin runner, the step vocabulary, the MDM targets and the devices under
//! test. The simulated device lives in `android-sim`, the Android Management
//! API emulator in `amapi-mock`.

pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod device;
pub mod fixtures;
pub mod logging;
pub mod passcodes;
pub mod redact;
pub mod report;
pub mod requirements;
pub mod runner;
pub mod stack;
pub mod steps;
pub mod target;
pub mod world;

/// Exit status for a usage or configuration error (bad flag, bad fixture).
pub const EXIT_CONFIG: u8 = 2;
