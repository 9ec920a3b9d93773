//! `lockstep run` and `lockstep list`: the suite, its reports, and the exit code.

use crate::cli::{ListArgs, RunArgs};
use crate::config;
use crate::runner;
use std::path::PathBuf;

/// Exit code: 0 every selected scenario passed, 1 one failed, 2 a usage or
/// configuration error (found before any scenario runs), 4 nothing was
/// selected, 130 interrupted.
pub async fn execute(args: &RunArgs, fixtures: PathBuf) -> u8 {
    if args.dry_run {
        return list(args, false, fixtures).await;
    }
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
            result.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// `lockstep list` (and `run --dry-run`): the plan, as text or JSON. Exit
/// codes as `run` would give before running: 2 bad input, 4 nothing to run.
pub async fn list_command(args: &ListArgs, fixtures: PathBuf) -> u8 {
    list(&args.run, args.json, fixtures).await
}

async fn list(args: &RunArgs, json: bool, fixtures: PathBuf) -> u8 {
    let config = match config::resolve(args, fixtures) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    if let config::Target::External(url) = &config.target {
        // Which scenarios an external MDM runs depends on what it claims to be.
        eprintln!("note: against {url}, scenarios for other vendors, @virtual-time and @god-mode are skipped; `run` asks the MDM which vendor it is");
    }
    if let config::Target::Docker(image) = &config.target {
        eprintln!("note: with docker:{image}, scenarios for other vendors than the one the container's /about names, @virtual-time and @god-mode are skipped; `run` starts the container and asks it");
    }
    let (_, plan) = match runner::load_and_plan(&config, None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let listing = plan.listing();
    if json {
        println!("{}", serde_json::to_string_pretty(&listing).unwrap_or_default());
    } else {
        for l in &listing {
            match l.reason {
                Some(reason) => println!("skip {} {}: {reason}", l.location, l.name),
                None => println!("run  {} {}", l.location, l.name),
            }
        }
        let n = plan.run_count();
        println!("{n} scenario{} to run, {} skipped", crate::selection::plural(n), listing.len() - n);
    }
    if plan.run_count() == 0 && !config.allow_empty {
        eprintln!("{}", plan.why_empty());
        return crate::EXIT_NOTHING;
    }
    crate::EXIT_OK
}
