//! The `lockstep` command.

use clap::Parser;
use lockstep::cli::{AmapiCommand, Cli, Command, ImageCommand, MdmCommand, ReportCommand, SimCommand, TargetCommand};
use lockstep::{commands, fixtures, EXIT_CONFIG};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // adb_client runs `adb start-server` for a loopback server address; make
    // that server listen where --adb-server says. Set before any thread starts.
    lockstep::device::adb::export_server_port(cli.adb_server());
    let fixtures = fixtures::resolve(cli.fixtures.as_deref());
    match cli.command {
        Command::Devices(args) if args.adb => block_on(commands::devices::adb(&args)),
        Command::Sim { command: SimCommand::Serve(args) } => block_on(commands::sim::serve(&args, &fixtures)),
        Command::Certify(args) => block_on(commands::certify::execute(&args, fixtures)),
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
        Command::Run(args) => block_on(commands::run::execute(&args, fixtures)),
        Command::List(args) => block_on(commands::run::list_command(&args, fixtures)),
        Command::Report { command: ReportCommand::Merge(args) } => {
            ExitCode::from(commands::report::execute(&args, &fixtures))
        }
        Command::Amapi { command: AmapiCommand::Serve(args) } => block_on(commands::serve::amapi(&args, &fixtures)),
        Command::Mdm { command: MdmCommand::Serve(args) } => block_on(commands::serve::mdm(&args, &fixtures)),
        Command::Target { command: TargetCommand::Check(args) } => {
            block_on(commands::target::execute(&args, &fixtures))
        }
        Command::Image { command: ImageCommand::Build(args) } => block_on(commands::image::build(&args, &fixtures)),
        Command::Steps => {
            print!("{}", commands::steps::render());
            ExitCode::SUCCESS
        }
        Command::Coverage(args) => {
            let paths = if args.paths.is_empty() { vec!["features".into()] } else { args.paths };
            let catalogue = match lockstep::requirements::load(&fixtures.join("requirements.toml")) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            match commands::coverage::scan(&paths) {
                Ok(map) => {
                    print!("{}", commands::coverage::render(&catalogue, &map));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(EXIT_CONFIG)
                }
            }
        }
    }
}

/// Run an async command to completion on a multi-threaded runtime.
fn block_on(command: impl std::future::Future<Output = u8>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => ExitCode::from(rt.block_on(command)),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}
