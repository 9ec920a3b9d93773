//! The run log: the tracing events of the harness, the AMAPI mock, the
//! reference MDM, the mail sink and the simulated devices, written to
//! `<report-dir>/lockstep.log` (or, for the `serve` commands, to stderr).
//! Lines pass the run's redactor on their way out, so even a component that
//! logged a passcode by mistake could not leak it here; the leak test checks
//! that none tries (it captures the raw events instead).
//!
//! Which events: `RUST_LOG` when it is set and parses (tracing-subscriber's
//! EnvFilter syntax, e.g. `RUST_LOG=debug,hyper=trace`), else
//! [`DEFAULT_FILTER`]: debug for Lockstep's own crates, warnings only for
//! the HTTP stack underneath (hyper's connection pool alone made 98% of the
//! log at debug).

use crate::redact::Secrets;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tracing_subscriber::EnvFilter;

/// What the log keeps when `RUST_LOG` says nothing.
pub const DEFAULT_FILTER: &str = "warn,lockstep=debug,amapi_mock=debug,reference_mdm=debug,mail_sink=debug,\
android_sim=debug,adbd_sim=debug,cucumber=info";

/// `RUST_LOG` if it is set and valid, else [`DEFAULT_FILTER`]. A `RUST_LOG`
/// that does not parse is reported on stderr and the default is used.
pub fn filter() -> EnvFilter {
    match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!("warning: RUST_LOG=`{spec}` is not a log filter ({e}); using `{DEFAULT_FILTER}`");
            EnvFilter::new(DEFAULT_FILTER)
        }),
        _ => EnvFilter::new(DEFAULT_FILTER),
    }
}

/// A writer whose writes are redacted line by line.
struct Redacting<W> {
    out: Arc<Mutex<W>>,
    secrets: Secrets,
}

impl<W> Clone for Redacting<W> {
    fn clone(&self) -> Self {
        Redacting { out: self.out.clone(), secrets: self.secrets.clone() }
    }
}

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = self.secrets.redact(&String::from_utf8_lossy(buf));
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}

fn install<W: Write + Send + 'static>(out: W, secrets: Secrets, ansi: bool) -> bool {
    let writer = Redacting { out: Arc::new(Mutex::new(out)), secrets };
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_ansi(ansi)
        .with_writer(move || writer.clone())
        .try_init()
        .is_ok()
}

/// Send tracing events to `<dir>/lockstep.log`. Returns false if a
/// subscriber was installed already or the file cannot be made.
pub fn to_report_dir(dir: &Path, secrets: Secrets) -> bool {
    let Ok(()) = std::fs::create_dir_all(dir) else { return false };
    let Ok(file) = std::fs::File::create(dir.join(crate::report::files::LOG)) else { return false };
    install(file, secrets, false)
}

/// Send tracing events to stderr, for `amapi serve`, `mdm serve` and
/// `sim serve`: what they do after their banner.
pub fn to_stderr(secrets: Secrets) -> bool {
    install(std::io::stderr(), secrets, false)
}

/// A log line that says which scenario starts (feature, `file:line` of the
/// scenario or its Examples row, name, row values), so the lines that
/// follow can be read against it. Called by the runner's before hook.
pub fn scenario_started(scenario: &crate::report::ScenarioRecord) {
    tracing::info!(
        target: "lockstep::scenario",
        feature = %scenario.feature.name,
        at = %scenario.location(),
        row = %scenario.example.as_ref().map(|r| r.values.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")).unwrap_or_default(),
        "scenario started: {}",
        scenario.name
    );
}

/// The span a scenario's stack runs in: its file:line (the Examples row's
/// for an outline row), name, feature and row, on every line logged under it.
pub fn scenario_span(scenario: &crate::report::ScenarioRecord) -> tracing::Span {
    let row = scenario
        .example
        .as_ref()
        .map(|r| r.values.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    tracing::info_span!(
        target: "lockstep::scenario",
        "scenario",
        at = %scenario.location(),
        name = %scenario.name,
        feature = %scenario.feature.name,
        row = %row
    )
}

/// The matching line when the scenario's steps are done (the runner's after hook).
pub fn scenario_finished(scenario: &crate::report::ScenarioRecord, failed: bool) {
    tracing::info!(
        target: "lockstep::scenario",
        at = %scenario.location(),
        result = if failed { "failed" } else { "passed" },
        "scenario finished: {}",
        scenario.name
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_filter_keeps_ours_and_drops_dependency_noise() {
        let subscriber = tracing_subscriber::fmt().with_env_filter(EnvFilter::new(DEFAULT_FILTER)).finish();
        tracing::subscriber::with_default(subscriber, || {
            assert!(tracing::enabled!(target: "amapi_mock::journal", tracing::Level::DEBUG));
            assert!(tracing::enabled!(target: "lockstep::runner", tracing::Level::DEBUG));
            assert!(!tracing::enabled!(target: "hyper_util::client::legacy::pool", tracing::Level::DEBUG));
            assert!(!tracing::enabled!(target: "reqwest::connect", tracing::Level::INFO));
            assert!(tracing::enabled!(target: "hyper", tracing::Level::WARN));
        });
    }
}
