//! What a run prints while it runs. Off a terminal (a CI log), one line per
//! scenario as it ends (`PASS 0.41s features/x.feature:23 name`, `FAIL ...`
//! with the failing step and why, `SKIP ... reason`), so a log shows progress
//! and a killed job still shows what finished. On a terminal, a progress bar
//! with passed and failed counts and an ETA, failures printed above it.
//! Colour through anstream, which honours NO_COLOR, CLICOLOR and
//! CLICOLOR_FORCE and strips styles where the stream is not a terminal.

use crate::report::{Outcome, Progress, ScenarioRecord};
use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex};

const PASS: Style = AnsiColor::Green.on_default();
const FAIL: Style = AnsiColor::Red.on_default().bold();
const SKIP: Style = AnsiColor::Yellow.on_default();
const FLAKY: Style = AnsiColor::Magenta.on_default();
const DIM: Style = Style::new().dimmed();

/// How the console shows a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A progress bar; only failures printed as they happen.
    Terminal,
    /// One line per finished scenario.
    Lines,
}

impl Mode {
    /// A terminal on stderr (where the bar draws) gets the bar, unless
    /// asked not to; everything else gets lines.
    pub fn detect(show_progress: bool) -> Mode {
        if show_progress && std::io::stderr().is_terminal() {
            Mode::Terminal
        } else {
            Mode::Lines
        }
    }
}

/// The console of one run; clones share it.
#[derive(Debug, Clone)]
pub struct Console {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
struct Inner {
    mode: Mode,
    bar: ProgressBar,
    passed: usize,
    failed: usize,
}

impl Console {
    pub fn new(mode: Mode) -> Console {
        let bar = match mode {
            Mode::Terminal => ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr()),
            Mode::Lines => ProgressBar::hidden(),
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} scenarios, {msg}, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let console = Console { inner: Arc::new(Mutex::new(Inner { mode, bar, passed: 0, failed: 0 })) };
        console.refresh();
        console
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn refresh(&self) {
        let inner = self.lock();
        inner.bar.set_message(format!("{} passed, {} failed", inner.passed, inner.failed));
    }

    /// A selected scenario that will not run, and why.
    pub fn skipped(&self, location: &str, name: &str, reason: &str) {
        self.line(&format!("{SKIP}SKIP{SKIP:#} {location} {name}: {DIM}{reason}{DIM:#}"));
    }
}

impl Progress for Console {
    fn start(&self, scenarios: usize) {
        self.lock().bar.set_length(scenarios as u64);
    }

    /// A line for the log: above the bar on a terminal, on stdout otherwise.
    fn line(&self, text: &str) {
        let inner = self.lock();
        match inner.mode {
            Mode::Terminal => inner.bar.suspend(|| print_line(text)),
            Mode::Lines => print_line(text),
        }
    }

    /// A scenario ended.
    fn finished(&self, s: &ScenarioRecord) {
        let text = scenario_line(s);
        {
            let mut inner = self.lock();
            match s.outcome {
                Outcome::Failed { .. } => inner.failed += 1,
                _ => inner.passed += 1,
            }
            inner.bar.inc(1);
        }
        self.refresh();
        let show = match self.lock().mode {
            Mode::Lines => true,
            Mode::Terminal => matches!(s.outcome, Outcome::Failed { .. }) || s.attempts > 1,
        };
        if show {
            self.line(&text);
        }
    }

    /// The run is over; the bar goes.
    fn finish(&self) {
        self.lock().bar.finish_and_clear();
    }
}

fn print_line(text: &str) {
    let mut out = anstream::stdout();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// `PASS 0.41s features/x.feature:23 name`, and for a failure the step and why.
pub fn scenario_line(s: &ScenarioRecord) -> String {
    let took = format!("{:.2}s", s.duration.as_secs_f64());
    match &s.outcome {
        Outcome::Passed if s.attempts > 1 => {
            format!("{FLAKY}FLAKY{FLAKY:#} {took} {} {} (passed on attempt {})", s.location(), s.name, s.attempts)
        }
        Outcome::Passed => format!("{PASS}PASS{PASS:#} {took} {} {}", s.location(), s.name),
        Outcome::Failed { step, message } => {
            let message = message.replace('\n', "\n       ");
            let tries = if s.attempts > 1 { format!(" (failed {} attempts)", s.attempts) } else { String::new() };
            format!("{FAIL}FAIL{FAIL:#} {took} {} {}{tries}\n     step: {step}\n     {message}", s.location(), s.name)
        }
        Outcome::Skipped { reason } => format!("{SKIP}SKIP{SKIP:#} {} {}: {reason}", s.location(), s.name),
    }
}
