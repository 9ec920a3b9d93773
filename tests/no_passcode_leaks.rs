//! No passcode in any output: run the suite in-process, once as it is and
//! once with a non-conforming device (so failure messages are written too),
//! capture every tracing event of every component raw, and search the
//! console summary, every report file and the captured events for every
//! passcode the runs generated or learnt, including those the MDM generated
//! that no step read (the runner harvests them from each device page before
//! a scenario's stack stops). And no passcode can be inferred: a redaction
//! marker never sits inside a number, a seed, a timestamp or a port, where
//! the digits around it would give the passcode away.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use lockstep::cli::RunArgs;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `secret` stands in `text` as a token of its own: not merely a
/// run of digits inside a longer number (a duration in nanoseconds holds
/// every 4-digit string sooner or later).
fn appears(text: &str, secret: &str) -> bool {
    text.match_indices(secret).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + secret.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// Where a redaction marker stands inside a value: against a digit, or
/// against a separator of a number, a time or an address next to a digit.
fn marker_inside_a_value(text: &str) -> Option<String> {
    let inside = regex::Regex::new(r"[0-9][.:\-]?<redacted>|<redacted>[.:\-]?[0-9]|seed:? <redacted>").unwrap();
    inside.find(text).map(|m| {
        let start = text[..m.start()].char_indices().rev().nth(30).map_or(0, |(i, _)| i);
        let end = text[m.end()..].char_indices().nth(30).map_or(text.len(), |(i, _)| m.end() + i);
        text[start..end].to_owned()
    })
}

fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()
}

#[test]
fn the_marker_check_finds_a_marker_inside_a_value() {
    for inside in
        ["seed 12<redacted>", "at 14:<redacted>:09", "127.0.0.1:<redacted>", "seed <redacted>", "1.<redacted>"]
    {
        assert!(marker_inside_a_value(inside).is_some(), "{inside}");
    }
    assert!(marker_inside_a_value("new passcode \"<redacted>\" sent; port 4815").is_none());
}

#[test]
fn the_token_check_finds_a_passcode_in_text_but_not_inside_a_number() {
    assert!(appears("new passcode: 4815 sent", "4815"));
    assert!(appears("\"4815\"", "4815"));
    assert!(!appears("duration 1248159", "4815"));
}

#[test]
fn no_passcode_reaches_any_output() {
    let capture = Capture::default();
    let sink = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut secrets = Vec::new();
    let mut outputs = Vec::new();
    for swap in [None, Some("google-pixel-8=acme-a14-stale-keyguard")] {
        let reports = tempfile::tempdir().unwrap();
        let args = RunArgs {
            paths: vec![root.join("features").display().to_string()],
            seed: Some(11),
            report_dir: Some(reports.path().to_owned()),
            swap_profile: swap.into_iter().map(String::from).collect(),
            no_progress: true,
            ..Default::default()
        };
        let config = lockstep::config::resolve(&args, root.join("fixtures")).unwrap();
        let result = runtime.block_on(lockstep::runner::run(config)).unwrap();
        if swap.is_some() {
            assert!(result.record.failed() > 0, "the negative control run should fail somewhere");
        }
        outputs.push(("console summary".to_owned(), lockstep::runner::summary(&result)));
        for f in files_under(reports.path()) {
            outputs.push((f.display().to_string(), std::fs::read_to_string(&f).unwrap()));
        }
        secrets.extend(result.secrets.all());
    }
    outputs.push(("tracing events".to_owned(), String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned()));

    assert!(secrets.len() > 100, "the runs should have generated many passcodes, got {}", secrets.len());
    assert!(outputs.iter().any(|(n, _)| n.ends_with("junit.xml")));
    for (name, text) in &outputs {
        for s in &secrets {
            assert!(!appears(text, s), "a passcode ({} characters) appears in {name}", s.len());
        }
        if let Some(around) = marker_inside_a_value(text) {
            panic!("a redaction marker sits inside a value in {name}: …{around}…");
        }
    }
}
