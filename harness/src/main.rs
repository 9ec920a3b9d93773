//! The `lockstep` command.

use clap::Parser;
use lockstep::cli::{Cli, Command};
use lockstep::{commands, fixtures, EXIT_CONFIG};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let fixtures = fixtures::resolve(cli.fixtures.as_deref());
    match cli.command {
        Command::Devices(args) => match commands::devices::select(&fixtures.join("devices"), &args) {
            Ok(profiles) => {
                print!("{}", commands::devices::render(&profiles, args.json));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_CONFIG)
            }
        },
    }
}
