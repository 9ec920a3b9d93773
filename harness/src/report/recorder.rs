//! The cucumber writer that turns the event stream into [`RunRecord`]: one
//! record per scenario with every step's status, its outcome, its attempts
//! and (for a failure) its evidence, redacted, each told to the console
//! ([`Progress`]) as it ends. Events arrive as they happen (scenarios
//! interleave), keyed by scenario; timings come from the events' own
//! timestamps.

use super::{DeviceRecord, Outcome, ParseFailure, RunRecord, ScenarioRecord, StepStatus};
use crate::redact::Secrets;
use cucumber::event::{self, Cucumber, RetryableScenario, Scenario, StepError};
use cucumber::{cli, gherkin, parser, Event, World, Writer};
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A scenario while it runs: its file, its line as cucumber gives it, its name.
type Key = (String, usize, String);

/// What the runner's after-scenario hook saw (while the scenario's stack
/// still runs): the devices, and for a failure the evidence. Keyed by
/// feature path and cucumber's scenario line, taken by the recorder when
/// the scenario finishes.
#[derive(Debug, Clone, Default)]
pub struct EvidenceLocker(Arc<Mutex<HashMap<(PathBuf, usize), Seen>>>);

/// A scenario's devices and (when it failed) its evidence.
type Seen = (Vec<DeviceRecord>, Vec<String>);

impl EvidenceLocker {
    /// Keep what was seen of the scenario at `line` of the feature at `path`.
    pub fn keep(&self, path: Option<&PathBuf>, line: usize, devices: Vec<DeviceRecord>, evidence: Vec<String>) {
        let key = (path.cloned().unwrap_or_default(), line);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (devices, evidence));
    }

    fn take(&self, path: Option<&PathBuf>, line: usize) -> Seen {
        let key = (path.cloned().unwrap_or_default(), line);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&key).unwrap_or_default()
    }
}

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
    evidence: EvidenceLocker,
    /// Scenarios started and not finished, with when their current step started.
    running: HashMap<Key, (ScenarioRecord, SystemTime)>,
    /// Scenarios failed by an unmatched step, which cucumber never retries.
    unretried: HashSet<Key>,
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
            evidence: EvidenceLocker::default(),
            running: HashMap::new(),
            unretried: HashSet::new(),
            console,
            run_started: None,
        }
    }

    /// The shared record, complete once the run returns.
    pub fn record(&self) -> Arc<Mutex<RunRecord>> {
        self.record.clone()
    }

    /// Where the runner's after-scenario hook leaves a failed scenario's evidence.
    pub fn evidence_locker(&self) -> EvidenceLocker {
        self.evidence.clone()
    }

    /// A feature's path as reports show it: relative to where the run started.
    pub fn relative(&self, path: Option<&PathBuf>) -> String {
        let Some(p) = path else { return "<unknown>".into() };
        p.strip_prefix(&self.base).unwrap_or(p).display().to_string()
    }

    /// The one place a scenario is finished: its record is kept and the
    /// console hears of it.
    fn finish_scenario(&mut self, feature: Option<&gherkin::Feature>, key: &Key, at: SystemTime) {
        let Some((mut scenario, _)) = self.running.remove(key) else { return };
        if let Some(started) = scenario.started {
            scenario.duration = at.duration_since(started).unwrap_or(Duration::ZERO);
        }
        let path = feature.map_or_else(|| Some(self.base.join(&key.0)), |f| f.path.clone());
        let (devices, evidence) = self.evidence.take(path.as_ref(), key.1);
        scenario.devices = devices;
        if matches!(scenario.outcome, Outcome::Failed { .. }) {
            scenario.evidence = evidence.iter().map(|e| self.secrets.redact(e)).collect();
        }
        self.console.finished(&scenario);
        self.record.lock().unwrap_or_else(|e| e.into_inner()).scenarios.push(scenario);
    }

    fn scenario_event<W>(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: &RetryableScenario<W>,
        at: SystemTime,
    ) {
        let file = self.relative(feature.path.as_ref());
        let key: Key = (file.clone(), scenario.position.line, scenario.name.clone());
        match &ev.event {
            Scenario::Started => {
                let attempts = match self.running.remove(&key) {
                    // A retry: the earlier attempt's failure is kept, the steps start over.
                    Some((earlier, _)) => {
                        let mut attempts = earlier.attempts;
                        let mut failures = earlier.earlier_failures;
                        if let Outcome::Failed { step, message } = earlier.outcome {
                            failures.push(format!("{step}: {message}"));
                        }
                        attempts += 1;
                        (attempts, failures)
                    }
                    None => (1, Vec::new()),
                };
                let mut record = ScenarioRecord::new(&file, feature, rule, scenario);
                record.name = self.secrets.redact(&record.name);
                record.started = Some(at);
                record.attempts = attempts.0;
                record.earlier_failures = attempts.1;
                self.running.insert(key, (record, at));
            }
            Scenario::Step(step, event::Step::Started) | Scenario::Background(step, event::Step::Started) => {
                let _ = step;
                if let Some((_, step_started)) = self.running.get_mut(&key) {
                    *step_started = at;
                }
            }
            Scenario::Step(step, event::Step::Passed(..)) => self.step_ended(&key, step, false, StepStatus::Passed, at),
            Scenario::Background(step, event::Step::Passed(..)) => {
                self.step_ended(&key, step, true, StepStatus::Passed, at)
            }
            Scenario::Step(step, event::Step::Failed(_, loc, _, err))
            | Scenario::Background(step, event::Step::Failed(_, loc, _, err)) => {
                let background = matches!(ev.event, Scenario::Background(..));
                self.step_ended(&key, step, background, StepStatus::Failed, at);
                let text = format!("{} {} (line {})", step.keyword.trim(), step.value, step.position.line);
                let mut message = describe(err);
                if let Some(loc) = loc {
                    message.push_str(&format!(" [step defined at {}:{}]", loc.path, loc.line));
                }
                if matches!(err, StepError::NotFound) {
                    self.unretried.insert(key.clone());
                }
                self.fail(&key, text, message);
            }
            // With fail_on_skipped, an unmatched step arrives as Failed; a
            // plain Skipped leaves the step as it was recorded: skipped.
            Scenario::Step(_, event::Step::Skipped) | Scenario::Background(_, event::Step::Skipped) => {}
            Scenario::Hook(kind, event::Hook::Failed(_, info)) => {
                let what = match kind {
                    event::HookType::Before => "scenario set-up",
                    event::HookType::After => "scenario tear-down",
                };
                self.fail(&key, what.into(), panic_text(info));
            }
            Scenario::Finished => {
                let failed = self.running.get(&key).is_some_and(|(s, _)| matches!(s.outcome, Outcome::Failed { .. }));
                // An unmatched step is a skip that fail_on_skipped made a
                // failure; cucumber does not retry it, whatever is left.
                let retry_follows = ev.retries.is_some_and(|r| r.left > 0) && !self.unretried.remove(&key);
                if !(failed && retry_follows) {
                    self.finish_scenario(Some(feature), &key, at);
                }
            }
            _ => {}
        }
    }

    fn step_ended(&mut self, key: &Key, step: &gherkin::Step, background: bool, status: StepStatus, at: SystemTime) {
        let Some((scenario, step_started)) = self.running.get_mut(key) else { return };
        let found = scenario
            .steps
            .iter_mut()
            .find(|s| s.background == background && s.line == step.position.line && s.status == StepStatus::Skipped);
        if let Some(s) = found {
            s.status = status;
            s.duration = at.duration_since(*step_started).unwrap_or(Duration::ZERO);
        }
    }

    /// Record the scenario's first failure (a later one, e.g. in tear-down, adds nothing).
    fn fail(&mut self, key: &Key, step: String, message: String) {
        let Some((scenario, _)) = self.running.get_mut(key) else { return };
        if !matches!(scenario.outcome, Outcome::Failed { .. }) {
            scenario.outcome =
                Outcome::Failed { step: self.secrets.redact(&step), message: self.secrets.redact(&message) };
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
                // A failure whose retry never came (cucumber retries only what
                // its runner saw fail; an unknown step it saw as skipped).
                let mut left: Vec<Key> = self.running.keys().cloned().collect();
                left.sort();
                for key in left {
                    self.finish_scenario(None, &key, at);
                }
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
