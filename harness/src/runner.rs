//! Runs the feature suite: loads it ([`crate::suite`]), plans what runs and
//! what is skipped ([`crate::selection`]), runs the planned scenarios
//! concurrently with one stack each, and writes the reports. Scenarios that
//! cannot run against the chosen target are listed as skipped with their
//! reason, never dropped silently; a plan that runs nothing is exit 4, not a
//! pass.
//!
//! SIGINT and SIGTERM stop the run gently: no scenario starts after the
//! signal, the running ones get [`DRAIN`] to end, then every report is
//! written, marked interrupted, and the run exits 130.

use crate::config::{DeviceChoice, RunConfig, Target};
use crate::console::{Console, Mode};
use crate::device::adb::Endpoint;
use crate::redact::Secrets;
use crate::report::{self, Outcome, Progress as _, Recorder, RunRecord, ScenarioRecord};
use crate::selection::{Plan, TargetFacts};
use crate::stack::SharedTarget;
use crate::suite::{Instance, Suite};
use crate::world::LockstepWorld;
use cucumber::{gherkin, writer, World as _};
use futures::FutureExt as _;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument as _;

/// How long running scenarios get to end after SIGINT/SIGTERM.
pub const DRAIN: Duration = Duration::from_secs(30);

/// The result of a run, for the caller to print and turn into an exit code.
#[derive(Debug)]
pub struct RunResult {
    pub record: RunRecord,
    pub reports: Vec<PathBuf>,
    pub secrets: Secrets,
    /// Why nothing ran, when nothing did.
    pub empty: Option<String>,
    pub allow_empty: bool,
}

impl RunResult {
    /// 0 passed, 1 a scenario failed, 4 nothing ran (unless allowed), 130 interrupted.
    pub fn exit_code(&self) -> u8 {
        if self.record.interrupted {
            crate::EXIT_INTERRUPTED
        } else if !self.record.parse_failures.is_empty() {
            crate::EXIT_CONFIG
        } else if !self.record.succeeded() {
            crate::EXIT_FAILED
        } else if self.empty.is_some() && !self.allow_empty {
            crate::EXIT_NOTHING
        } else {
            crate::EXIT_OK
        }
    }
}

/// A run that could not start (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot write reports to {path}: {source}")]
    Reports { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Feature(#[from] crate::suite::FeatureError),
    #[error("{0}")]
    Line(#[from] crate::selection::LineError),
    #[error("the external target: {0}")]
    Target(#[from] crate::stack::StackError),
    #[error("cannot listen for SIGINT/SIGTERM: {0}")]
    Signals(std::io::Error),
    #[error("interrupted while the MDM's container started; it was removed")]
    Interrupted,
    #[error("{0}")]
    Write(report::WriteError),
}

/// Load the suite and plan the run, as `run` and `list` both do.
pub fn load_and_plan(config: &RunConfig, target: Option<&TargetFacts>) -> Result<(Suite, Plan), RunError> {
    let base = std::env::current_dir().unwrap_or_default();
    let paths: Vec<PathBuf> = config.paths.iter().map(|p| p.path.clone()).collect();
    let suite = crate::suite::load(&paths, &base)?;
    let plan = crate::selection::plan(&suite, config, target)?;
    Ok((suite, plan))
}

/// Hands cucumber exactly the planned scenarios, in plan order: no second
/// parse, no second selection.
#[derive(Debug)]
struct Planned(Vec<gherkin::Feature>);

impl cucumber::Parser<()> for Planned {
    type Cli = cucumber::cli::Empty;
    type Output = futures::stream::Iter<std::vec::IntoIter<cucumber::parser::Result<gherkin::Feature>>>;

    fn parse(self, _: (), _: Self::Cli) -> Self::Output {
        futures::stream::iter(self.0.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

/// The features of `suite` cut down to the scenarios `plan` runs; features
/// with none left are dropped.
fn planned_features(suite: &Suite, plan: &Plan) -> Vec<gherkin::Feature> {
    let runs: HashSet<(&str, usize)> = plan.runs().map(|i| (i.file.as_str(), i.line)).collect();
    let mut out = Vec::new();
    for file in &suite.files {
        let keep = |s: &gherkin::Scenario| runs.contains(&(file.file.as_str(), s.position.line));
        let mut feature = file.feature.clone();
        feature.scenarios.retain(keep);
        for rule in &mut feature.rules {
            rule.scenarios.retain(keep);
        }
        feature.rules.retain(|r| !r.scenarios.is_empty());
        if !feature.scenarios.is_empty() || !feature.rules.is_empty() {
            out.push(feature);
        }
    }
    out
}

/// Whether scenarios may still start, and how many are running.
#[derive(Debug, Default)]
struct Gate {
    closed: AtomicBool,
    running: AtomicUsize,
    changed: tokio::sync::Notify,
}

impl RunError {
    /// 130 for an interrupt, else 2: the run could not start.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Interrupted => crate::EXIT_INTERRUPTED,
            _ => crate::EXIT_CONFIG,
        }
    }
}

/// The file in the report directory that keeps the MDM container's log.
pub const CONTAINER_LOG: &str = "mdm-container.log";

/// Run the suite. Reports are written to `config.report_dir`.
pub async fn run(config: RunConfig) -> Result<RunResult, RunError> {
    crate::patience::set(config.patience);
    let secrets = Secrets::default();
    let mut absent = None;
    let shared = match &config.target {
        Target::External(url) => {
            let shared = SharedTarget::start(&config, url).await?;
            println!("{}", shared.instructions());
            Some(Arc::new(shared))
        }
        Target::Docker(image) => match crate::container::Engine::connect().await {
            Ok(engine) => {
                let started = std::time::Instant::now();
                let interrupt = signals().map_err(RunError::Signals)?;
                let shared = tokio::select! {
                    shared = SharedTarget::start_container(&config, image, &engine) => shared?,
                    _ = interrupt => {
                        // The start was dropped half-way: remove what it made.
                        engine.remove_own().await;
                        return Err(RunError::Interrupted);
                    }
                };
                println!("{}", shared.instructions());
                tracing::info!(seconds = started.elapsed().as_secs_f64(), "the MDM's container is ready");
                Some(Arc::new(shared))
            }
            // Every scenario is skipped with this reason: never a pass.
            Err(e) => {
                println!("{e}: every scenario is skipped, and the run is not a pass");
                absent = Some(e.to_string());
                None
            }
        },
        Target::Embedded => None,
    };
    let container = shared.as_ref().and_then(|s| s.container.clone());
    let mut config = config;
    if absent.is_some() {
        // --allow-empty is for a shard the selection left empty; a run that
        // skipped everything for want of an engine is never a pass (exit 4).
        config.allow_empty = false;
    }
    let result = run_planned(config.clone(), shared, absent, secrets.clone()).await;
    if let Some(c) = container {
        let log = config.report_dir.join(CONTAINER_LOG);
        let lines: Vec<String> = c.logs(None).await.iter().map(|l| secrets.redact(l)).collect();
        let _ = std::fs::write(&log, lines.join("\n") + "\n");
        c.remove().await;
        return result.map(|mut r| {
            r.reports.push(log);
            r
        });
    }
    result
}

async fn run_planned(
    config: RunConfig,
    shared: Option<Arc<SharedTarget>>,
    absent: Option<String>,
    secrets: Secrets,
) -> Result<RunResult, RunError> {
    let facts = shared.as_ref().map(|s| TargetFacts {
        url: s.url.clone(),
        vendor: s.vendor.clone(),
        capabilities: s.about.capabilities.clone(),
        requirements: s.about.requirements.clone(),
    });
    let (suite, mut plan) = load_and_plan(&config, facts.as_ref())?;
    if let Some(absent) = absent {
        for e in &mut plan.entries {
            e.skip = Some(format!("needs the MDM's container, and {absent}"));
        }
    }

    report::clear_owned(&config.report_dir).map_err(RunError::Write)?;
    let started = std::time::SystemTime::now();
    // A no-op when the caller installed its own subscriber (the leak test does).
    let logging = crate::logging::to_report_dir(&config.report_dir, secrets.clone());

    let console = Console::new(Mode::detect(config.show_progress));
    let skipped: Vec<ScenarioRecord> = plan
        .entries
        .iter()
        .filter_map(|e| e.skip.as_ref().map(|reason| skipped_record(&suite, &e.instance, reason.clone())))
        .collect();
    for s in &skipped {
        if let Outcome::Skipped { reason } = &s.outcome {
            console.skipped(&s.location(), &s.name, reason);
        }
    }
    let empty = (plan.run_count() == 0).then(|| plan.why_empty());
    let config = Arc::new(config);
    let base = std::env::current_dir().unwrap_or_default();
    let recorder = Recorder::new(secrets.clone(), &base, Arc::new(console.clone()));
    let record = recorder.record();
    let evidence = recorder.evidence_locker();
    let gate = Arc::new(Gate::default());
    let mut interrupted = false;

    if empty.is_none() {
        crate::steps::link();
        let mut cucumber = LockstepWorld::cucumber::<PathBuf>()
            .with_parser(Planned(planned_features(&suite, &plan)))
            .max_concurrent_scenarios(config.concurrency)
            .retries(config.retries)
            // The recorder keys every event by its scenario, so it takes them
            // as they happen (a console line when a scenario ends, not when
            // the scenarios before it in file order have ended too).
            .with_writer(writer::AssertNormalized::new(recorder))
            .fail_on_skipped()
            .with_default_cli();
        if config.fail_fast {
            cucumber = cucumber.fail_fast();
        }
        let (before_config, before_secrets, before_shared, before_gate) =
            (config.clone(), secrets.clone(), shared.clone(), gate.clone());
        let after_gate = gate.clone();
        let cucumber = cucumber
            .before(move |feature, rule, scenario, world| {
                let logged = log_record(feature, rule, scenario);
                crate::logging::scenario_started(&logged);
                let span = crate::logging::scenario_span(&logged);
                let (config, secrets, shared, gate) =
                    (before_config.clone(), before_secrets.clone(), before_shared.clone(), before_gate.clone());
                async move {
                    if gate.closed.load(Ordering::SeqCst) {
                        // Interrupted: this scenario never starts; the run
                        // is dropped once the running ones have ended.
                        futures::future::pending::<()>().await;
                    }
                    gate.running.fetch_add(1, Ordering::SeqCst);
                    world.span = Some(span.clone());
                    world.start(config, shared, secrets, feature, rule, scenario).instrument(span).await
                }
                .boxed_local()
            })
            .after(move |feature, rule, scenario, finished, world| {
                let gate = after_gate.clone();
                let evidence = evidence.clone();
                let failed = !matches!(finished, cucumber::event::ScenarioFinished::StepPassed);
                crate::logging::scenario_finished(&log_record(feature, rule, scenario), failed);
                async move {
                    // A fault the scenario armed must have fired by its end.
                    let mut unfired = Vec::new();
                    if let Some(world) = world {
                        crate::evidence::harvest_passcodes(world).await;
                        let seen = if failed { crate::evidence::collect(world).await } else { Vec::new() };
                        let devices = crate::evidence::devices(world);
                        evidence.keep(feature.path.as_ref(), scenario.position.line, devices, seen);
                        if !failed {
                            unfired = world.unfired_faults();
                        }
                        let span = world.span.clone().unwrap_or_else(tracing::Span::none);
                        world.stop().instrument(span).await;
                    }
                    gate.running.fetch_sub(1, Ordering::SeqCst);
                    gate.changed.notify_waiters();
                    // cucumber records a panicking after-hook as the scenario's failure.
                    if !unfired.is_empty() {
                        panic!("{}", unfired.join("; "));
                    }
                }
                .boxed_local()
            });
        let signals = signals().map_err(RunError::Signals)?;
        let run = cucumber.run(());
        futures::pin_mut!(run);
        tokio::select! {
            _ = &mut run => {}
            _ = signals => {
                interrupted = true;
                gate.closed.store(true, Ordering::SeqCst);
                console.line(&format!(
                    "interrupted: no new scenarios; waiting up to {} s for the {} running to end",
                    DRAIN.as_secs(),
                    gate.running.load(Ordering::SeqCst)
                ));
                let drained = async {
                    loop {
                        let notified = gate.changed.notified();
                        if gate.running.load(Ordering::SeqCst) == 0 {
                            break;
                        }
                        notified.await;
                    }
                };
                tokio::select! {
                    _ = &mut run => {}
                    _ = drained => {}
                    _ = tokio::time::sleep(DRAIN) => {}
                }
            }
        }
    }
    console.finish();

    let mut record = std::mem::take(&mut *record.lock().unwrap_or_else(|e| e.into_inner()));
    record.seed = config.seed;
    record.interrupted = interrupted;
    record.provenance = provenance(&config, started);
    // Every planned scenario is in the reports: one that never ended was
    // cut off by an interrupt, or its result was lost, which is a failure
    // of the run, never a quiet omission.
    let ended: HashSet<(String, usize)> = record.scenarios.iter().map(|s| (s.file.clone(), s.line)).collect();
    for i in plan.runs().filter(|i| !ended.contains(&(i.file.clone(), i.line))) {
        let stopped = config.fail_fast && record.failed() > 0;
        record.scenarios.push(if interrupted {
            skipped_record(&suite, i, "not run: the run was interrupted".into())
        } else if stopped {
            skipped_record(&suite, i, "not run: --fail-fast stopped the run at the first failure".into())
        } else {
            ScenarioRecord {
                outcome: Outcome::Failed {
                    step: "(none)".into(),
                    message: "the harness has no result for this scenario; please report this as a Lockstep bug".into(),
                },
                attempts: 1,
                ..skipped_record(&suite, i, String::new())
            }
        });
    }
    record.scenarios.extend(skipped);
    // Scenarios end in whatever order they end; reports list them in plan
    // order (file, then line), the same in every run of the same selection.
    let order: std::collections::HashMap<(&str, usize), usize> =
        plan.entries.iter().enumerate().map(|(n, e)| ((e.instance.file.as_str(), e.instance.line), n)).collect();
    record.scenarios.sort_by_key(|s| order.get(&(s.file.as_str(), s.line)).copied().unwrap_or(usize::MAX));
    let mut reports =
        report::write_all(&config.report_dir, &record, &config.catalogue, &secrets).map_err(RunError::Write)?;
    if let Some(shared) = shared.and_then(Arc::into_inner) {
        let _ = shared.mock.shutdown().await;
    }
    if logging {
        reports.push(config.report_dir.join("lockstep.log"));
    }
    Ok(RunResult { record, reports, secrets, empty, allow_empty: config.allow_empty })
}

/// Resolves on the first SIGINT or SIGTERM.
fn signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// The record of a planned scenario that did not (or will not) run.
fn skipped_record(suite: &Suite, i: &Instance, reason: String) -> ScenarioRecord {
    let found = suite.files.iter().filter(|f| f.file == i.file).find_map(|f| {
        let feature = &f.feature;
        let plain = feature.scenarios.iter().find(|s| s.position.line == i.line).map(|s| (None, s));
        plain
            .or_else(|| {
                feature
                    .rules
                    .iter()
                    .find_map(|r| r.scenarios.iter().find(|s| s.position.line == i.line).map(|s| (Some(r), s)))
            })
            .map(|(rule, s)| (feature, rule, s))
    });
    match found {
        Some((feature, rule, scenario)) => ScenarioRecord::skipped(&i.file, feature, rule, scenario, reason),
        // Every instance comes from a scenario of the suite, so this is a bug
        // in crate::suite; the record still says what it can.
        None => {
            let span = gherkin::Span { start: 0, end: 0 };
            let feature = gherkin::Feature {
                keyword: "Feature".into(),
                name: i.feature.clone(),
                description: None,
                background: None,
                scenarios: Vec::new(),
                rules: Vec::new(),
                tags: Vec::new(),
                span,
                position: gherkin::LineCol { line: 0, col: 0 },
                path: None,
            };
            let scenario = gherkin::Scenario {
                keyword: "Scenario".into(),
                name: i.name.clone(),
                description: None,
                steps: Vec::new(),
                examples: Vec::new(),
                tags: i.tags.clone(),
                span,
                position: gherkin::LineCol { line: i.line, col: 0 },
            };
            ScenarioRecord::skipped(&i.file, &feature, None, &scenario, reason)
        }
    }
}

/// The scenario as the log names it (its path relative to where the run started).
fn log_record(
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
) -> ScenarioRecord {
    let full = feature.path.clone().unwrap_or_default();
    let base = std::env::current_dir().unwrap_or_default();
    let file = full.strip_prefix(&base).unwrap_or(&full).display().to_string();
    ScenarioRecord::new(&file, feature, rule, scenario)
}

/// How this run was made, for every report: each flag in force and one
/// command line that replays the run.
fn provenance(config: &RunConfig, started: std::time::SystemTime) -> report::Provenance {
    let mut flags: Vec<(String, String)> = Vec::new();
    flags.push(("target".into(), config.target.spelling()));
    if let Some(file) = &config.run_file {
        flags.push(("config".into(), file.display().to_string()));
    }
    if matches!(config.target, Target::Docker(_)) && config.start_timeout != crate::config::DEFAULT_START_TIMEOUT {
        flags.push(("start-timeout".into(), humantime::format_duration(config.start_timeout).to_string()));
    }
    if let Some(a) = config.amapi_listen {
        flags.push(("amapi-listen".into(), a.to_string()));
    }
    if let Some(a) = config.smtp_listen {
        flags.push(("smtp-listen".into(), a.to_string()));
    }
    if let Some(p) = &config.push_endpoint {
        flags.push(("push-endpoint".into(), p.clone()));
    }
    // The file, never what it holds: its passwords stay out of every report.
    if let Some(pool) = &config.accounts {
        flags.push(("accounts".into(), pool.file().display().to_string()));
    }
    if let Some(v) = &config.vendor {
        flags.push(("vendor".into(), v.clone()));
    }
    if let Some(t) = &config.tags {
        flags.push(("tags".into(), t.text.clone()));
    }
    if let Some(n) = &config.name {
        flags.push(("name".into(), n.as_str().to_owned()));
    }
    if let Some(shard) = &config.shard {
        flags.push(("shard".into(), shard.to_string()));
    }
    if config.retries > 0 {
        flags.push(("retries".into(), config.retries.to_string()));
    }
    if config.patience != crate::patience::PATIENCE {
        flags.push(("patience".into(), humantime::format_duration(config.patience).to_string()));
    }
    for (twin, substitute) in &config.profile_swaps {
        flags.push(("swap-profile".into(), format!("{twin}={substitute}")));
    }
    for d in &config.mdm_defects {
        flags.push(("mdm-defect".into(), d.to_string()));
    }
    match &config.device {
        DeviceChoice::Embedded => {}
        DeviceChoice::Profile(name) => flags.push(("device".into(), format!("profile:{name}"))),
        DeviceChoice::Adb(Endpoint::Direct(addr)) => flags.push(("device".into(), format!("tcp:{addr}"))),
        DeviceChoice::Adb(Endpoint::Server { server, serial }) => {
            flags.push(("device".into(), format!("adb:{serial}")));
            flags.push(("adb-server".into(), server.to_string()));
        }
    }
    flags.push(("concurrency".into(), config.concurrency.to_string()));
    for (switch, on) in [("fail-fast", config.fail_fast), ("allow-empty", config.allow_empty)] {
        if on {
            flags.push((switch.into(), "true".into()));
        }
    }
    let mut replay = vec!["lockstep".to_owned(), "run".to_owned(), "--seed".to_owned(), config.seed.to_string()];
    for (name, value) in &flags {
        replay.push(format!("--{name}"));
        if !(value == "true" && ["fail-fast", "allow-empty"].contains(&name.as_str())) {
            replay.push(shell_word(value));
        }
    }
    for p in &config.paths {
        let mut arg = p.path.display().to_string();
        for line in &p.lines {
            arg.push_str(&format!(":{line}"));
        }
        replay.push(shell_word(&arg));
    }
    let features = config.paths.first().map(|p| p.path.clone()).unwrap_or_else(|| PathBuf::from("features"));
    report::Provenance::new(
        env!("CARGO_PKG_VERSION"),
        &report::provenance::suite_identity(&features),
        started,
        &report::provenance::hostname(),
        flags,
        config.seed,
        &replay.join(" "),
    )
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The end-of-run summary for the console: what failed (again, for the
/// reader who scrolls to the end), the totals, the reports.
pub fn summary(result: &RunResult) -> String {
    use crate::selection::plural;
    use std::fmt::Write as _;
    let r = &result.record;
    let mut out = String::new();
    for p in &r.parse_failures {
        let _ = writeln!(out, "error: {}", p.message);
    }
    let failed: Vec<&ScenarioRecord> =
        r.scenarios.iter().filter(|s| matches!(s.outcome, Outcome::Failed { .. })).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nFailed:");
        for s in failed {
            let _ = writeln!(out, "  {} {}", s.location(), s.name);
        }
    }
    if let Some(why) = &result.empty {
        let _ = writeln!(out, "\n{why}{}", if result.allow_empty { " (--allow-empty: not an error)" } else { "" });
    }
    let flaky = r.scenarios.iter().filter(|s| s.outcome == Outcome::Passed && s.attempts > 1).count();
    let n = r.scenarios.len();
    let _ = writeln!(
        out,
        "\n{}{} feature{}, {} scenario{} ({} passed{}, {} failed, {} skipped), {} step{} in {:.2} s; seed {}",
        if r.interrupted { "INTERRUPTED: " } else { "" },
        r.features,
        plural(r.features),
        n,
        plural(n),
        r.passed(),
        if flaky > 0 { format!(" of which {flaky} flaky") } else { String::new() },
        r.failed(),
        r.skipped(),
        r.steps(),
        plural(r.steps()),
        r.duration.as_secs_f64(),
        r.seed
    );
    for p in &result.reports {
        let _ = writeln!(out, "report: {}", p.display());
    }
    result.secrets.redact(&out)
}
