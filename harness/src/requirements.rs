//! The requirement catalogue (fixtures/requirements.toml): the IDs scenarios
//! are tagged with, so reports can show coverage per requirement.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: String,
    pub title: String,
    /// False for requirements outside the Android feature suite (harness
    /// qualities, other platforms).
    #[serde(default = "yes")]
    pub android: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    requirement: Vec<Requirement>,
}

/// The catalogue cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("requirement catalogue {path}: {problem}")]
pub struct CatalogueError {
    pub path: PathBuf,
    pub problem: String,
}

/// Read the catalogue, refusing duplicate IDs.
pub fn load(path: &Path) -> Result<Vec<Requirement>, CatalogueError> {
    let fail = |problem: String| CatalogueError { path: path.to_owned(), problem };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let catalogue: Catalogue = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        fail(format!("line {}: {}", line.unwrap_or(0), e.message()))
    })?;
    let mut seen = std::collections::BTreeSet::new();
    for r in &catalogue.requirement {
        if !seen.insert(r.id.as_str()) {
            return Err(fail(format!("requirement `{}` is listed twice", r.id)));
        }
    }
    Ok(catalogue.requirement)
}

/// Whether a tag (without `@`) has the shape of a requirement ID: letters,
/// a dash, digits (PLAT-3, MIR-10).
pub fn looks_like_id(tag: &str) -> bool {
    let tag = tag.trim_start_matches('@');
    tag.split_once('-').is_some_and(|(a, b)| {
        !a.is_empty()
            && a.bytes().all(|c| c.is_ascii_uppercase())
            && !b.is_empty()
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}
