//! The whole Gherkin suite against the embedded stack, as `cargo test`
//! runs it (a `harness = false` target). Reports go to
//! target/lockstep-reports so a test run never overwrites reports/.
//! Extra arguments are passed on: `cargo test --test conformance -- --tags @PLAT-6`.

use clap::Parser;
use lockstep::cli::RunArgs;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    run: RunArgs,
}

fn main() -> ExitCode {
    // libtest flags such as --nocapture or --test-threads mean nothing here.
    let argv = std::env::args().filter(|a| !a.starts_with("--test-threads") && a != "--nocapture" && a != "--quiet");
    let mut args = Args::parse_from(argv).run;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if args.paths.is_empty() {
        args.paths = vec![root.join("features").display().to_string()];
    }
    args.report_dir.get_or_insert_with(|| root.join("target/lockstep-reports"));
    args.no_progress = true;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let code = runtime.block_on(lockstep::commands::run::execute(&args, root.join("fixtures")));
    ExitCode::from(code)
}
