//! `lockstep coverage`: each requirement of the catalogue with the scenarios
//! tagged with it, read from the feature files without running anything.

use crate::requirements::{self, Requirement};
use cucumber::gherkin::{self, GherkinEnv};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A scenario as coverage lists it.
#[derive(Debug, Clone)]
pub struct Covered {
    pub location: String,
    pub name: String,
}

/// Every `.feature` file under `paths`, sorted.
pub fn feature_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if p.is_dir() {
            if let Ok(entries) = std::fs::read_dir(p) {
                for e in entries.flatten() {
                    walk(&e.path(), out);
                }
            }
        } else if p.extension().is_some_and(|x| x == "feature") {
            out.push(p.to_owned());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out);
    }
    out.sort();
    out
}

/// Requirement ID -> scenarios tagged with it. Tags on a feature count for
/// each of its scenarios.
pub fn scan(paths: &[PathBuf]) -> Result<BTreeMap<String, Vec<Covered>>, String> {
    let mut map: BTreeMap<String, Vec<Covered>> = BTreeMap::new();
    for file in feature_files(paths) {
        let feature = gherkin::Feature::parse_path(&file, GherkinEnv::default())
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let scenarios = feature.scenarios.iter().chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
        for s in scenarios {
            for tag in feature.tags.iter().chain(&s.tags).filter(|t| requirements::looks_like_id(t)) {
                map.entry(tag.clone()).or_default().push(Covered {
                    location: format!("{}:{}", file.display(), s.position.line),
                    name: s.name.clone(),
                });
            }
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
