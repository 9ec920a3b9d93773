//! Runs the feature suite: selects scenarios (tags, vendor, what the target
//! can do), runs them concurrently with one stack each, and writes the
//! reports. Scenarios that cannot run against the chosen target are listed as
//! skipped with their reason, never dropped silently.

use crate::config::{DeviceChoice, RunConfig, Target};
use crate::device::adb::Endpoint;
use crate::redact::Secrets;
use crate::report::{self, Outcome, Recorder, RunRecord, ScenarioRecord};
use crate::stack::SharedTarget;
use crate::world::LockstepWorld;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::{World as _, WriterExt as _};
use futures::FutureExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The vendor tags a scenario can carry.
pub const VENDORS: [&str; 3] = ["miradore", "intune", "iru"];

/// The result of a run, for the caller to print and turn into an exit code.
#[derive(Debug)]
pub struct RunResult {
    pub record: RunRecord,
    pub reports: Vec<PathBuf>,
    pub secrets: Secrets,
}

/// A run that could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("--tags: `{0}` is not a tag expression ({1})")]
    Tags(String, String),
    #[error("cannot write reports to {path}: {source}")]
    Reports { path: PathBuf, source: std::io::Error },
    #[error("requirement catalogue: {0}")]
    Catalogue(#[from] crate::requirements::CatalogueError),
    #[error("the external target: {0}")]
    Target(#[from] crate::stack::StackError),
    #[error("{0}")]
    Write(report::WriteError),
}

/// Why a scenario will not run against this configuration, if it will not.
fn skip_reason(config: &RunConfig, shared: Option<&SharedTarget>, tags: &[String]) -> Option<String> {
    let has = |t: &str| tags.iter().any(|x| x == t);
    if let Some(reason) = crate::steps::firmware::skip_reason(&config.device, tags) {
        return Some(reason);
    }
    if let (Target::External(url), Some(shared)) = (&config.target, shared) {
        if has("virtual-time") {
            return Some(format!("needs the virtual clock, which the external MDM at {url} does not share"));
        }
        if has("god-mode") {
            return Some("talks to the devices around the MDM (god-mode), which only the embedded stack allows".into());
        }
        if let Some(other) = tags.iter().find(|t| VENDORS.contains(&t.as_str()) && **t != shared.vendor) {
            return Some(format!("checks the `{other}` vendor profile; the MDM at {url} claims `{}`", shared.vendor));
        }
    }
    None
}

/// Whether the scenario is selected at all (tags and vendor filters).
fn selected(config: &RunConfig, tags_expr: Option<&TagOperation>, tags: &[String]) -> bool {
    if let Some(expr) = tags_expr {
        if !expr.eval(tags.iter()) {
            return false;
        }
    }
    match &config.vendor {
        Some(v) => {
            let vendor_tags: Vec<&String> = tags.iter().filter(|t| VENDORS.contains(&t.as_str())).collect();
            vendor_tags.is_empty() || vendor_tags.contains(&v)
        }
        None => true,
    }
}

/// The directory cucumber reads, and the files or folders inside it that were asked for.
fn input_of(paths: &[PathBuf]) -> (PathBuf, Vec<PathBuf>) {
    if let [single] = paths {
        return (single.clone(), vec![single.clone()]);
    }
    let mut common = paths.first().cloned().unwrap_or_else(|| PathBuf::from("features"));
    while !paths.iter().all(|p| p.starts_with(&common)) {
        if !common.pop() {
            break;
        }
    }
    if common.as_os_str().is_empty() {
        common = PathBuf::from(".");
    }
    (common, paths.to_vec())
}

/// Run the suite. Reports are written to `config.report_dir`.
pub async fn run(config: RunConfig) -> Result<RunResult, RunError> {
    let tags_expr = match &config.tags {
        Some(t) => Some(t.parse::<TagOperation>().map_err(|e| RunError::Tags(t.clone(), e.to_string()))?),
        None => None,
    };
    let catalogue = crate::requirements::load(&config.fixtures.join("requirements.toml"))?;
    std::fs::create_dir_all(&config.report_dir)
        .map_err(|source| RunError::Reports { path: config.report_dir.clone(), source })?;
    report::clear_owned(&config.report_dir).map_err(RunError::Write)?;
    let started = std::time::SystemTime::now();

    let secrets = Secrets::default();
    let shared = match &config.target {
        Target::External(url) => {
            let shared = SharedTarget::start(&config, url).await?;
            println!("{}", shared.instructions());
            Some(Arc::new(shared))
        }
        Target::Embedded => None,
    };
    // A no-op when the caller installed its own subscriber (the leak test does).
    let logging = crate::logging::to_report_dir(&config.report_dir, secrets.clone());
    let config = Arc::new(config);
    let (input, wanted) = input_of(&config.paths);
    let wanted: Vec<PathBuf> = wanted.iter().map(|p| p.canonicalize().unwrap_or_else(|_| p.clone())).collect();
    let base = std::env::current_dir().unwrap_or_default();
    let recorder = Recorder::new(secrets.clone(), &base, config.show_progress);
    let record = recorder.record();
    let evidence = recorder.evidence_locker();
    let skipped: Arc<Mutex<Vec<ScenarioRecord>>> = Arc::default();

    crate::steps::link();
    let mut cucumber = LockstepWorld::cucumber()
        .max_concurrent_scenarios(config.concurrency)
        .with_writer(recorder.normalized())
        .fail_on_skipped()
        .with_default_cli();
    if config.fail_fast {
        cucumber = cucumber.fail_fast();
    }
    let before_config = config.clone();
    let before_secrets = secrets.clone();
    let before_shared = shared.clone();
    let cucumber = cucumber
        .before(move |feature, rule, scenario, world| {
            crate::logging::scenario_started(&log_record(feature, rule, scenario));
            let config = before_config.clone();
            let secrets = before_secrets.clone();
            let shared = before_shared.clone();
            async move { world.start(config, shared, secrets, feature, scenario).await }.boxed_local()
        })
        .after(move |feature, rule, scenario, finished, world| {
            let evidence = evidence.clone();
            let failed = !matches!(finished, cucumber::event::ScenarioFinished::StepPassed);
            crate::logging::scenario_finished(&log_record(feature, rule, scenario), failed);
            async move {
                if let Some(world) = world {
                    report::evidence::harvest_passcodes(world).await;
                    let seen = if failed { report::evidence::collect(world).await } else { Vec::new() };
                    let devices = report::evidence::devices(world);
                    evidence.keep(feature.path.as_ref(), scenario.position.line, devices, seen);
                    world.stop().await;
                }
            }
            .boxed_local()
        });

    let filter_config = config.clone();
    let filter_shared = shared.clone();
    let filter_skipped = skipped.clone();
    let filter_base = base.clone();
    cucumber
        .filter_run(input, move |feature, rule, scenario| {
            let full = feature.path.clone().unwrap_or_default();
            let canonical = full.canonicalize().unwrap_or_else(|_| full.clone());
            if !wanted.iter().any(|w| canonical.starts_with(w)) {
                return false;
            }
            let path = full.strip_prefix(&filter_base).map(Path::to_path_buf).unwrap_or(full);
            let tags = report::scenario_tags(feature, rule, scenario);
            if !selected(&filter_config, tags_expr.as_ref(), &tags) {
                return false;
            }
            match skip_reason(&filter_config, filter_shared.as_deref(), &tags) {
                None => true,
                Some(reason) => {
                    filter_skipped.lock().unwrap_or_else(|e| e.into_inner()).push(ScenarioRecord::skipped(
                        &path.display().to_string(),
                        feature,
                        rule,
                        scenario,
                        reason,
                    ));
                    false
                }
            }
        })
        .await;

    let mut record = std::mem::take(&mut *record.lock().unwrap_or_else(|e| e.into_inner()));
    record.seed = config.seed;
    record.provenance = provenance(&config, started);
    record.scenarios.extend(std::mem::take(&mut *skipped.lock().unwrap_or_else(|e| e.into_inner())));
    let reports = report::write_all(&config.report_dir, &record, &catalogue, &secrets).map_err(RunError::Write)?;
    if let Some(shared) = shared.and_then(Arc::into_inner) {
        let _ = shared.mock.shutdown().await;
    }
    let mut all = reports;
    if logging {
        all.push(config.report_dir.join("lockstep.log"));
    }
    Ok(RunResult { record, reports: all, secrets })
}

/// The scenario as the log names it (its path relative to where the run started).
fn log_record(
    feature: &cucumber::gherkin::Feature,
    rule: Option<&cucumber::gherkin::Rule>,
    scenario: &cucumber::gherkin::Scenario,
) -> ScenarioRecord {
    let full = feature.path.clone().unwrap_or_default();
    let base = std::env::current_dir().unwrap_or_default();
    let file = full.strip_prefix(&base).unwrap_or(&full).display().to_string();
    ScenarioRecord::new(&file, feature, rule, scenario)
}

/// How this run was made, for every report.
fn provenance(config: &RunConfig, started: std::time::SystemTime) -> report::Provenance {
    let mut flags: Vec<(String, String)> = Vec::new();
    let target = match &config.target {
        Target::Embedded => "embedded".to_owned(),
        Target::External(url) => url.clone(),
    };
    flags.push(("target".into(), target));
    if let Some(a) = config.amapi_listen {
        flags.push(("amapi-listen".into(), a.to_string()));
    }
    if let Some(a) = config.smtp_listen {
        flags.push(("smtp-listen".into(), a.to_string()));
    }
    if let Some(v) = &config.vendor {
        flags.push(("vendor".into(), v.clone()));
    }
    if let Some(t) = &config.tags {
        flags.push(("tags".into(), t.clone()));
    }
    for (twin, substitute) in &config.profile_swaps {
        flags.push(("swap-profile".into(), format!("{twin}={substitute}")));
    }
    for d in &config.mdm_defects {
        flags.push(("mdm-defect".into(), d.clone()));
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
    if config.fail_fast {
        flags.push(("fail-fast".into(), "true".into()));
    }
    let mut replay = vec!["lockstep".to_owned(), "run".to_owned(), "--seed".to_owned(), config.seed.to_string()];
    for (name, value) in &flags {
        if name == "fail-fast" {
            replay.push("--fail-fast".into());
        } else {
            replay.push(format!("--{name}"));
            replay.push(shell_word(value));
        }
    }
    replay.extend(config.paths.iter().map(|p| shell_word(&p.display().to_string())));
    let features = config.paths.first().cloned().unwrap_or_else(|| PathBuf::from("features"));
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

/// The end-of-run summary for the console.
pub fn summary(result: &RunResult) -> String {
    use std::fmt::Write as _;
    let r = &result.record;
    let mut out = String::new();
    for p in &r.parse_failures {
        let _ = writeln!(out, "error: {}", p.message);
    }
    for s in &r.scenarios {
        match &s.outcome {
            Outcome::Failed { step, message } => {
                let _ = writeln!(out, "FAILED  {} ({})\n        step: {step}\n        {message}", s.name, s.location());
            }
            Outcome::Skipped { reason } => {
                let _ = writeln!(out, "SKIPPED {} ({}): {reason}", s.name, s.location());
            }
            Outcome::Passed => {}
        }
    }
    let _ = writeln!(
        out,
        "\n{} features, {} scenarios ({} passed, {} failed, {} skipped), {} steps in {:.2} s; seed {}",
        r.features,
        r.scenarios.len(),
        r.passed(),
        r.failed(),
        r.skipped(),
        r.steps(),
        r.duration.as_secs_f64(),
        r.seed
    );
    for p in &result.reports {
        let _ = writeln!(out, "report: {}", p.display());
    }
    result.secrets.redact(&out)
}
