//! Which scenarios a run runs, which it skips and why: the one place the
//! filters (`PATH:LINE`, `--tags`, `--name`, `--vendor`, `--shard`) and the
//! skip policy (what a target or device cannot do) are applied. `lockstep
//! run` and `lockstep list` both take their [`Plan`] from [`plan`], so a
//! listing is exactly what a run would do, in the same order.

use crate::config::{DeviceChoice, RunConfig};
pub use crate::config::{PathSpec, Shard};
use crate::suite::{Instance, Suite};
use cucumber::tag::Ext as _;
use serde::Serialize;
use std::path::PathBuf;

pub use crate::tags::{GOD_MODE_TAG, VENDORS, VIRTUAL_TIME_TAG};

/// What the target turned out to be, once it answered (external runs).
#[derive(Debug, Clone)]
pub struct TargetFacts {
    pub url: String,
    pub vendor: String,
    /// What `/about.capabilities` claims.
    pub capabilities: Vec<String>,
    /// What `/about.requirements` claims (vendor requirement IDs).
    pub requirements: Vec<String>,
}

/// One selected instance and whether it runs.
#[derive(Debug, Clone)]
pub struct Planned {
    pub instance: Instance,
    /// `Some(reason)`: selected, but this target or device cannot run it.
    pub skip: Option<String>,
}

/// What a run will do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Selected instances, in run order.
    pub entries: Vec<Planned>,
    /// How many instances the suite held before the filters.
    pub total: usize,
    /// How many each filter dropped, in the order they apply.
    pub dropped: Vec<(String, usize)>,
}

impl Plan {
    /// The instances that will run.
    pub fn runs(&self) -> impl Iterator<Item = &Instance> {
        self.entries.iter().filter(|e| e.skip.is_none()).map(|e| &e.instance)
    }

    pub fn run_count(&self) -> usize {
        self.runs().count()
    }

    /// Why nothing runs, for exit 4: what was asked and which filter emptied it.
    pub fn why_empty(&self) -> String {
        let mut out = format!("nothing to run: the suite holds {} scenario{}", self.total, plural(self.total));
        for (filter, n) in &self.dropped {
            if *n > 0 {
                out.push_str(&format!("; {filter} left out {n}"));
            }
        }
        let skipped = self.entries.len();
        if skipped > 0 {
            out.push_str(&format!("; the {skipped} selected {} skipped", if skipped == 1 { "is" } else { "are" }));
            if let Some(reason) = self.entries.iter().find_map(|e| e.skip.as_deref()) {
                out.push_str(&format!(" (e.g. {reason})"));
            }
        }
        out
    }
}

/// `s` for a count other than one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A `PATH:LINE` that names no scenario.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: no scenario or Examples row at line {line}; scenarios in this file start at lines {starts}")]
pub struct LineError {
    pub file: String,
    pub line: usize,
    pub starts: String,
}

/// Apply the filters and the skip policy to the suite.
pub fn plan(suite: &Suite, config: &RunConfig, target: Option<&TargetFacts>) -> Result<Plan, LineError> {
    let all: Vec<&Instance> = suite.instances().collect();
    let mut plan = Plan { total: all.len(), ..Plan::default() };
    let mut keep = all;

    // PATH:LINE
    let before = keep.len();
    let mut wanted_lines: Vec<(PathBuf, usize)> = Vec::new();
    for spec in &config.paths {
        if spec.lines.is_empty() {
            continue;
        }
        let Some(file) = suite.file(&spec.path) else { continue };
        for &line in &spec.lines {
            let hits = lines_select(file, line);
            if hits.is_empty() {
                let starts: Vec<String> = file.outline.scenarios.iter().map(|s| s.line.to_string()).collect();
                return Err(LineError { file: file.file.clone(), line, starts: starts.join(", ") });
            }
            wanted_lines.extend(hits.into_iter().map(|l| (file.path.clone(), l)));
        }
    }
    if config.paths.iter().any(|s| !s.lines.is_empty()) {
        let whole: Vec<PathBuf> = config
            .paths
            .iter()
            .filter(|s| s.lines.is_empty())
            .flat_map(|s| crate::suite::feature_files(std::slice::from_ref(&s.path)).unwrap_or_default())
            .collect();
        keep.retain(|i| {
            let f = suite.files.iter().find(|f| f.file == i.file);
            f.is_some_and(|f| whole.contains(&f.path) || wanted_lines.iter().any(|(p, l)| *p == f.path && *l == i.line))
        });
    }
    plan.dropped.push(("PATH:LINE".into(), before - keep.len()));

    if let Some(tags) = &config.tags {
        let before = keep.len();
        keep.retain(|i| tags.expr.eval(i.tags.iter()));
        plan.dropped.push((format!("--tags {}", tags.text), before - keep.len()));
    }
    if let Some(name) = &config.name {
        let before = keep.len();
        keep.retain(|i| name.is_match(&i.name));
        plan.dropped.push((format!("--name {}", name.as_str()), before - keep.len()));
    }
    if let Some(v) = &config.vendor {
        let before = keep.len();
        keep.retain(|i| {
            let vendor_tags: Vec<&String> = i.tags.iter().filter(|t| VENDORS.contains(&t.as_str())).collect();
            vendor_tags.is_empty() || vendor_tags.contains(&v)
        });
        plan.dropped.push((format!("--vendor {v}"), before - keep.len()));
    }
    if let Some(shard) = &config.shard {
        let before = keep.len();
        keep.retain(|i| shard.contains(i));
        plan.dropped.push((format!("--shard {shard}"), before - keep.len()));
    }
    plan.entries =
        keep.into_iter().map(|i| Planned { instance: i.clone(), skip: skip_reason(config, target, &i.tags) }).collect();
    Ok(plan)
}

/// The lines of the instances that `line` of `file` selects: an Examples
/// row's line selects that row; a scenario's own line, or any line inside
/// it, selects the scenario (every row of an outline); an `Examples:`
/// line selects that block's rows.
fn lines_select(file: &crate::suite::FeatureFile, line: usize) -> Vec<usize> {
    for s in &file.outline.scenarios {
        if line < s.line || line > s.last_line {
            continue;
        }
        if !s.is_outline && s.examples.is_empty() {
            return vec![s.line];
        }
        for e in &s.examples {
            if e.rows.contains(&line) {
                return vec![line];
            }
            if e.line == line {
                return e.rows.clone();
            }
        }
        return s.examples.iter().flat_map(|e| e.rows.iter().copied()).collect();
    }
    Vec::new()
}

/// Why a scenario will not run against this configuration, if it will not.
pub fn skip_reason(config: &RunConfig, target: Option<&TargetFacts>, tags: &[String]) -> Option<String> {
    let has = |t: &str| tags.iter().any(|x| x == t);
    if let Some(reason) = device_skip_reason(&config.device, tags) {
        return Some(reason);
    }
    if has(crate::tags::DOCKER_TAG) && !matches!(config.target, crate::config::Target::Docker(_)) {
        return Some(format!(
            "needs the MDM in a container: run with --target docker:IMAGE (lockstep-reference-mdm:{} after `lockstep image build`)",
            env!("CARGO_PKG_VERSION")
        ));
    }
    if let Some(target) = target {
        let url = &target.url;
        if has(VIRTUAL_TIME_TAG) {
            return Some(format!("needs the virtual clock, which the external MDM at {url} does not share"));
        }
        if has(GOD_MODE_TAG) {
            return Some("talks to the devices around the MDM (god-mode), which only the embedded stack allows".into());
        }
        if let Some(other) = tags.iter().find(|t| VENDORS.contains(&t.as_str()) && **t != target.vendor) {
            return Some(format!("checks the `{other}` vendor profile; the MDM at {url} claims `{}`", target.vendor));
        }
        let unclaimed = tags
            .iter()
            .filter_map(|t| t.strip_prefix(crate::tags::CAPABILITY_TAG_PREFIX))
            .find(|c| !target.capabilities.iter().any(|k| k == c));
        if let Some(c) = unclaimed {
            return Some(format!(
                "needs the capability `{c}`, which the MDM at {url} does not claim in /about.capabilities"
            ));
        }
        let unclaimed = tags
            .iter()
            .filter(|t| crate::requirements::looks_like_id(t))
            .filter(|t| !crate::tags::UNIVERSAL_REQUIREMENTS.iter().any(|p| t.starts_with(p)))
            .find(|t| !target.requirements.contains(t));
        if let Some(r) = unclaimed {
            return Some(format!(
                "checks requirement {r}, which the MDM at {url} does not claim in /about.requirements"
            ));
        }
    }
    None
}

/// With `--device`, only the device-side checks run.
pub fn device_skip_reason(device: &DeviceChoice, tags: &[String]) -> Option<String> {
    let has = |t: &str| tags.iter().any(|x| x == t);
    match device {
        DeviceChoice::Embedded => None,
        _ if !has(crate::tags::DEVICE_TAG) => {
            Some("needs the MDM; with --device only the device-side checks (@device) run".into())
        }
        DeviceChoice::Adb(_) if has(GOD_MODE_TAG) => {
            Some("needs god-mode control of a simulated device, which a device over adb does not offer".into())
        }
        _ => None,
    }
}

/// One line of `lockstep list --json`.
#[derive(Debug, Serialize)]
pub struct Listed<'a> {
    pub location: String,
    pub feature: &'a str,
    pub name: &'a str,
    pub tags: Vec<String>,
    /// `run` or `skip`.
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

impl Plan {
    /// The plan as `lockstep list` prints it.
    pub fn listing(&self) -> Vec<Listed<'_>> {
        self.entries
            .iter()
            .map(|e| Listed {
                location: e.instance.location(),
                feature: &e.instance.feature,
                name: &e.instance.name,
                tags: e.instance.tags.iter().map(|t| format!("@{t}")).collect(),
                action: if e.skip.is_some() { "skip" } else { "run" },
                reason: e.skip.as_deref(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn target(capabilities: &[&str], requirements: &[&str]) -> TargetFacts {
        TargetFacts {
            url: "http://mdm.test".into(),
            vendor: "intune".into(),
            capabilities: capabilities.iter().map(|s| s.to_string()).collect(),
            requirements: requirements.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn config() -> RunConfig {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        crate::config::resolve(&crate::cli::RunArgs::default(), fixtures).unwrap()
    }

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_capability_the_product_does_not_claim_skips_with_that_reason_and_one_it_claims_runs() {
        let config = config();
        let without = target(&["reset-passcode"], &["INT-1"]);
        let reason = skip_reason(&config, Some(&without), &tags(&["intune", "needs-portal", "INT-1"])).unwrap();
        assert!(reason.contains("`portal`") && reason.contains("/about.capabilities"), "{reason}");
        let with = target(&["reset-passcode", "portal"], &["INT-1"]);
        assert_eq!(skip_reason(&config, Some(&with), &tags(&["intune", "needs-portal", "INT-1"])), None);
    }

    #[test]
    fn a_vendor_requirement_the_product_does_not_claim_skips_but_platform_ones_need_no_claim() {
        let config = config();
        let t = target(&[], &["INT-1"]);
        let reason = skip_reason(&config, Some(&t), &tags(&["intune", "INT-1", "INT-4"])).unwrap();
        assert!(reason.contains("INT-4") && reason.contains("/about.requirements"), "{reason}");
        assert_eq!(skip_reason(&config, Some(&t), &tags(&["intune", "INT-1", "PLAT-3", "HAR-5"])), None);
        // Embedded: the reference MDM is what the tags choose; nothing to claim.
        assert_eq!(skip_reason(&config, None, &tags(&["intune", "INT-4", "needs-portal"])), None);
    }

    #[test]
    fn path_specs() {
        assert_eq!(PathSpec::parse("a/b.feature").unwrap(), PathSpec { path: "a/b.feature".into(), lines: vec![] });
        assert_eq!(PathSpec::parse("a/b.feature:23:31").unwrap().lines, [23, 31]);
        assert!(PathSpec::parse("a.feature:0").is_err());
        assert!(PathSpec::parse(":3").is_err());
    }

    #[test]
    fn shard_specs() {
        assert_eq!("2/3".parse::<Shard>().unwrap(), Shard { index: 2, count: 3 });
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
