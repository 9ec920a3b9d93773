//! `lockstep coverage`: each requirement of the catalogue with the scenarios
//! tagged with it, read from the feature files without running anything.
//! Each Examples row is a scenario of its own here, as in a run.

use crate::requirements::{self, Requirement};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// A scenario as coverage lists it.
#[derive(Debug, Clone)]
pub struct Covered {
    pub location: String,
    pub name: String,
}

/// Requirement ID -> scenarios tagged with it (each Examples row counts,
/// with its own line), from the suite as the runner loads it: the same
/// grammar check, the same tags (feature, rule, scenario, Examples).
pub fn scan(paths: &[PathBuf]) -> Result<BTreeMap<String, Vec<Covered>>, String> {
    let base = std::env::current_dir().unwrap_or_default();
    let suite = crate::suite::load(paths, &base).map_err(|e| e.to_string())?;
    let mut map: BTreeMap<String, Vec<Covered>> = BTreeMap::new();
    for i in suite.instances() {
        for tag in i.tags.iter().filter(|t| requirements::looks_like_id(t)) {
            map.entry(tag.clone()).or_default().push(Covered { location: i.location(), name: i.name.clone() });
        }
    }
    Ok(map)
}

/// The coverage table: every requirement, and unknown IDs found in features.
pub fn render(catalogue: &[Requirement], map: &BTreeMap<String, Vec<Covered>>) -> String {
    let mut out = String::new();
    for r in catalogue {
        let scenarios = map.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let scope = if r.android { "" } else { " (outside the Android feature suite)" };
        let count = match scenarios.len() {
            0 => "NOT COVERED".to_owned(),
            1 => "1 scenario".to_owned(),
            n => format!("{n} scenarios"),
        };
        let _ = writeln!(out, "{} {count}{scope}\n    {}", r.id, r.title);
        for s in scenarios {
            let _ = writeln!(out, "    - {} ({})", s.name, s.location);
        }
    }
    for (id, scenarios) in map {
        if !catalogue.iter().any(|r| &r.id == id) {
            let _ = writeln!(out, "{id} UNKNOWN: not in the requirement catalogue ({} scenarios)", scenarios.len());
        }
    }
    out
}
