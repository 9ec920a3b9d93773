//! Lockstep: a conformance harness for MDM remote passcode reset and remote
//! lock on Android.
//!
//! This crate is the harness: the command line, and (as it grows) the
//! Gherkin runner, the step vocabulary, the MDM targets and the devices under
//! test. The simulated device lives in `android-sim`, the Android Management
//! API emulator in `amapi-mock`.

pub mod accounts;
pub mod banner;
pub mod cast;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod console;
pub mod container;
pub mod device;
pub mod driver;
pub mod evidence;
pub mod fixtures;
pub mod logging;
pub mod passcodes;
pub mod patience;
pub mod redact;
pub mod report;
pub mod requirements;
pub mod runner;
pub mod selection;
pub mod stack;
pub mod steps;
pub mod suite;
pub mod tags;
pub mod world;

/// Exit status: every selected scenario passed.
pub const EXIT_OK: u8 = 0;
/// Exit status: a scenario failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status for a usage or configuration error (bad flag, bad fixture,
/// a feature file off the Gherkin grammar), found before any scenario runs.
pub const EXIT_CONFIG: u8 = 2;
/// Exit status: nothing was selected to run (as nextest's "no tests"); `--allow-empty` makes it 0.
pub const EXIT_NOTHING: u8 = 4;
/// Exit status: SIGINT or SIGTERM stopped the run (reports still written, marked interrupted).
pub const EXIT_INTERRUPTED: u8 = 130;
