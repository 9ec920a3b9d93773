//! `lockstep run`: the suite, its reports, and the exit code.

use crate::cli::RunArgs;
use crate::config;
use crate::runner;
use std::path::PathBuf;

/// Exit code: 0 every selected scenario passed, 1 one failed, 2 a usage or
/// configuration error (including a feature file that does not parse), 4
/// nothing ran.
pub async fn execute(args: &RunArgs, fixtures: PathBuf) -> u8 {
    let config = match config::resolve(args, fixtures) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    println!("lockstep: seed {} (replay with --seed {})", config.seed, config.seed);
    match runner::run(config).await {
        Ok(result) => {
            print!("{}", runner::summary(&result));
            result.record.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            crate::EXIT_CONFIG
        }
    }
}
