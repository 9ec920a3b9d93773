//! The cucumber writer that turns the event stream into [`RunRecord`]: one
//! record per scenario with its outcome, redacted, and a progress bar on a
//! terminal. Events arrive normalized (in file order), so timings come from
//! the events' own timestamps, not from when they reach us.

use super::{Outcome, ParseFailure, RunRecord, ScenarioRecord};
use crate::redact::Secrets;
use cucumber::event::{self, Cucumber, RetryableScenario, Scenario, StepError};
use cucumber::{cli, gherkin, parser, Event, World, Writer};
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Who hears of the run as it goes (the console): scenarios as they end,
/// and lines worth showing at once.
pub trait Progress: Send + Sync + Debug {
    /// How many scenarios will run.
    fn start(&self, scenarios: usize);
    /// A scenario ended (its record is redacted already).
    fn finished(&self, scenario: &ScenarioRecord);
    /// A line to show now.
    fn line(&self, text: &str);
    /// The run is over.
    fn finish(&self);
}

/// Collects the run; the caller keeps a clone of [`Recorder::record`] to
/// read the result once cucumber returns.
#[derive(Debug)]
pub struct Recorder {
    record: Arc<Mutex<RunRecord>>,
    secrets: Secrets,
    base: PathBuf,
    started: HashMap<(String, usize, String), SystemTime>,
    steps: HashMap<(String, usize, String), usize>,
    /// Attempts started per scenario (more than one with --retries).
    attempts: HashMap<(String, usize, String), u32>,
    /// Scenarios whose current attempt failed and will be tried again.
    retrying: HashSet<(String, usize, String)>,
    console: Arc<dyn Progress>,
    run_started: Option<SystemTime>,
}

impl Recorder {
    /// `base` is the directory feature paths are shown relative to; each
    /// finished scenario goes to `console` as it ends.
    pub fn new(secrets: Secrets, base: &Path, console: Arc<dyn Progress>) -> Self {
        Recorder {
            record: Arc::default(),
            secrets,
            base: base.to_owned(),
            started: HashMap::new(),
            steps: HashMap::new(),
            attempts: HashMap::new(),
            retrying: HashSet::new(),
            console,
            run_started: None,
        }
    }

    /// The shared record, complete once the run returns.
    pub fn record(&self) -> Arc<Mutex<RunRecord>> {
        self.record.clone()
    }

    fn relative(&self, path: Option<&PathBuf>) -> String {
        let Some(p) = path else { return "<unknown>".into() };
        p.strip_prefix(&self.base).unwrap_or(p).display().to_string()
    }

    fn finish_scenario(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        at: SystemTime,
        outcome: Option<Outcome>,
    ) {
        let file = self.relative(feature.path.as_ref());
        let key = (file.clone(), scenario.position.line, scenario.name.clone());
        if self.retrying.remove(&key) {
            // This attempt failed and another follows; only the last counts.
            self.steps.remove(&key);
            return;
        }
        let attempts = self.attempts.get(&key).copied().unwrap_or(1);
        let started = self.started.get(&key).copied().unwrap_or(at);
        let steps = self.steps.get(&key).copied().unwrap_or(0);
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) =
            record.scenarios.iter_mut().find(|s| s.file == key.0 && s.line == key.1 && s.name == key.2)
        {
            // A failure was recorded already; only the duration is new.
            existing.duration = at.duration_since(started).unwrap_or(Duration::ZERO);
            return;
        }
        record.scenarios.push(ScenarioRecord {
            file,
            feature: feature.name.clone(),
            name: scenario.name.clone(),
            line: scenario.position.line,
            tags: crate::suite::scenario_tags(&feature.tags, rule, scenario),
            steps,
            duration: at.duration_since(started).unwrap_or(Duration::ZERO),
            outcome: outcome.unwrap_or(Outcome::Passed),
            attempts,
        });
        if let Some(done) = record.scenarios.last() {
            self.console.finished(done);
        }
    }

    fn scenario_event<W>(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: &RetryableScenario<W>,
        at: SystemTime,
    ) {
        let key = (self.relative(feature.path.as_ref()), scenario.position.line, scenario.name.clone());
        match &ev.event {
            Scenario::Started => {
                *self.attempts.entry(key.clone()).or_default() += 1;
                self.started.entry(key).or_insert(at);
            }
            Scenario::Step(step, event::Step::Passed(..)) | Scenario::Background(step, event::Step::Passed(..)) => {
                let _ = step;
                *self.steps.entry(key).or_default() += 1;
            }
            Scenario::Step(step, event::Step::Failed(_, loc, _, err))
            | Scenario::Background(step, event::Step::Failed(_, loc, _, err)) => {
                *self.steps.entry(key.clone()).or_default() += 1;
                let text = format!("{} {} (line {})", step.keyword.trim(), step.value, step.position.line);
                let mut message = describe(err);
                if let Some(loc) = loc {
                    message.push_str(&format!(" [step defined at {}:{}]", loc.path, loc.line));
                }
                // cucumber tries a failed scenario again while retries are
                // left; an unmatched step is a skip that fail_on_skipped
                // turned into a failure, which cucumber never retries.
                if ev.retries.is_some_and(|r| r.left > 0) && !matches!(err, StepError::NotFound) {
                    self.retrying.insert(key);
                    return;
                }
                let outcome =
                    Outcome::Failed { step: self.secrets.redact(&text), message: self.secrets.redact(&message) };
                self.finish_scenario(feature, rule, scenario, at, Some(outcome));
            }
            Scenario::Step(step, event::Step::Skipped) | Scenario::Background(step, event::Step::Skipped) => {
                // With fail_on_skipped, an unmatched step arrives as Failed;
                // a plain Skipped here means a step was not run.
                let _ = step;
            }
            Scenario::Hook(_, event::Hook::Failed(_, info)) => {
                let outcome =
                    Outcome::Failed { step: "scenario set-up".into(), message: self.secrets.redact(&panic_text(info)) };
                self.finish_scenario(feature, rule, scenario, at, Some(outcome));
            }
            Scenario::Finished => self.finish_scenario(feature, rule, scenario, at, None),
            _ => {}
        }
    }
}

fn describe(err: &StepError) -> String {
    match err {
        StepError::NotFound => "no step definition matches this step (see `lockstep steps` for the vocabulary)".into(),
        StepError::AmbiguousMatch(e) => format!("more than one step definition matches: {e}"),
        StepError::Panic(info) => panic_text(info),
    }
}

fn panic_text(info: &event::Info) -> String {
    if let Some(s) = info.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = info.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        "the step panicked".into()
    }
}

impl<W: World + Debug> Writer<W> for Recorder {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<Cucumber<W>>>, _: &Self::Cli) {
        let ev = match event {
            Ok(ev) => ev,
            Err(e) => {
                let message = self.secrets.redact(&parse_error(&e));
                self.console.line(&format!("ERROR {message}"));
                self.record.lock().unwrap_or_else(|e| e.into_inner()).parse_failures.push(ParseFailure { message });
                return;
            }
        };
        let at = ev.at;
        match &ev.value {
            Cucumber::Started => self.run_started = Some(at),
            Cucumber::ParsingFinished { features, scenarios, .. } => {
                self.record.lock().unwrap_or_else(|e| e.into_inner()).features = *features;
                self.console.start(*scenarios);
            }
            Cucumber::Feature(feature, event::Feature::Scenario(scenario, ev)) => {
                self.scenario_event(feature, None, scenario, ev, at);
            }
            Cucumber::Feature(feature, event::Feature::Rule(rule, event::Rule::Scenario(scenario, ev))) => {
                self.scenario_event(feature, Some(rule), scenario, ev, at);
            }
            Cucumber::Finished => {
                let started = self.run_started.unwrap_or(at);
                self.record.lock().unwrap_or_else(|e| e.into_inner()).duration =
                    at.duration_since(started).unwrap_or(Duration::ZERO);
                self.console.finish();
            }
            _ => {}
        }
    }
}

/// A parse error with the file and the line, as the gherkin parser reports them.
fn parse_error(e: &parser::Error) -> String {
    match e {
        parser::Error::Parsing(e) => match &**e {
            gherkin::ParseFileError::Reading { path, source } => {
                format!("{}: cannot read it: {source}", path.display())
            }
            gherkin::ParseFileError::Parsing { path, source, .. } => {
                // The parser says "Error at LINE:COL: {expected...}"; lead with file:line:col.
                let text = source.to_string();
                let rest = text.strip_prefix("Error at ").unwrap_or(&text);
                match rest.split_once(": ") {
                    Some((at, expected)) => {
                        format!("{}:{at}: this feature file does not parse; expected one of {expected}", path.display())
                    }
                    None => format!("{}: this feature file does not parse: {text}", path.display()),
                }
            }
        },
        parser::Error::ExampleExpansion(e) => {
            format!("{}:{}: {}", e.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(), e.pos.line, e)
        }
    }
}

impl<W: World + Debug> cucumber::writer::Stats<W> for Recorder {
    fn passed_steps(&self) -> usize {
        self.record.lock().map(|r| r.steps()).unwrap_or(0)
    }
    fn skipped_steps(&self) -> usize {
        0
    }
    fn failed_steps(&self) -> usize {
        self.record.lock().map(|r| r.failed()).unwrap_or(0)
    }
    fn retried_steps(&self) -> usize {
        0
    }
    fn parsing_errors(&self) -> usize {
        self.record.lock().map(|r| r.parse_failures.len()).unwrap_or(0)
    }
    fn hook_errors(&self) -> usize {
        0
    }
}
