//! `reference-mdm`: the reference MDM on its own, for the crash test and
//! for anyone who wants one running. `lockstep mdm serve` does the same
//! through the library.
//!
//!     reference-mdm --addr 127.0.0.1:PORT --amapi URL --vendor NAME
//!                   [--enterprise ID] [--db FILE] [--smtp HOST:PORT]
//!                   [--poll-ms N] [--defect NAME]...
//!
//! Prints `listening on http://ADDR` once it serves, then runs until killed.

use reference_mdm::{serve, Defect, ServeConfig, VendorSource};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

fn usage(problem: &str) -> ExitCode {
    eprintln!("reference-mdm: {problem}");
    eprintln!(
        "usage: reference-mdm --amapi URL [--addr HOST:PORT] [--vendor NAME | --vendor-file FILE] [--enterprise ID] \
         [--db FILE] [--smtp HOST:PORT] [--poll-ms N] [--defect NAME]..."
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut config = ServeConfig::new("");
    let mut amapi = None;
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else { return usage(&format!("`{flag}` needs a value")) };
        match flag.as_str() {
            "--addr" => match value.parse() {
                Ok(a) => config.addr = a,
                Err(_) => return usage(&format!("`{value}` is not HOST:PORT")),
            },
            "--amapi" => amapi = Some(value),
            "--vendor" => config.vendor = VendorSource::Builtin(value),
            "--vendor-file" => config.vendor = VendorSource::File(PathBuf::from(value)),
            "--enterprise" => config.enterprise = Some(value),
            "--db" => config.db = Some(PathBuf::from(value)),
            "--smtp" => config.smtp = Some(value),
            "--poll-ms" => match value.parse() {
                Ok(ms) => config.poll_interval = Duration::from_millis(ms),
                Err(_) => return usage("`--poll-ms` takes a number of milliseconds"),
            },
            "--defect" => match value.parse::<Defect>() {
                Ok(d) => config.defects.push(d),
                Err(e) => return usage(&e),
            },
            other => return usage(&format!("unknown option `{other}`")),
        }
    }
    let Some(amapi) = amapi else { return usage("`--amapi URL` is required") };
    config.amapi_url = amapi;
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("reference-mdm: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let running = match serve(config).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("reference-mdm: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("listening on {}", running.base_url);
        let _ = tokio::signal::ctrl_c().await;
        running.shutdown().await;
        ExitCode::SUCCESS
    })
}
