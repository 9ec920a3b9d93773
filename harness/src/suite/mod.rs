//! The feature suite as loaded before anything runs: every feature file under
//! the paths asked for, held to the Gherkin grammar ([`grammar`]), parsed,
//! and each outline expanded into one [`Instance`] per Examples row. An
//! instance is what the rest of the harness selects, runs, skips and
//! reports: its identity is its file and line (the Examples row's own line
//! for an outline row), exactly what failures print and `PATH:LINE` takes.
//!
//! This is also the one place a scenario's tags are computed
//! ([`scenario_tags`]): the feature's, the rule's, the scenario's and its
//! Examples' tags, in that order, without the `@`.

pub mod grammar;

use cucumber::feature::Ext as _;
use cucumber::gherkin;
use std::path::{Path, PathBuf};

/// A feature file that cannot be used, with where and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct FeatureError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// One runnable scenario: a `Scenario:`, or one Examples row of an outline.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The feature file as shown to the user (relative to where the run started).
    pub file: String,
    /// The scenario's line, or its Examples row's line.
    pub line: usize,
    /// The line of the `Scenario:` keyword (the same as `line` but for outline rows).
    pub scenario_line: usize,
    pub feature: String,
    pub rule: Option<String>,
    /// The name, placeholders filled in for an outline row.
    pub name: String,
    pub tags: Vec<String>,
    /// For an outline row: which Examples block (0-based) and which row of it (0-based).
    pub row: Option<(usize, usize)>,
    /// The cells of an outline row, header name to value.
    pub cells: Vec<(String, String)>,
}

impl Instance {
    /// `file:line`, as failures print it and `PATH:LINE` selects it.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// Whether the instance carries this tag (without `@`).
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// A name that stays the same when lines move or other files change:
    /// file, scenario name and the row's cells. Shards are cut by it.
    pub fn identity(&self) -> String {
        let cells: Vec<String> = self.cells.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}\u{1f}{}\u{1f}{}", self.file, self.name, cells.join("\u{1f}"))
    }
}

/// One feature file, checked and expanded.
#[derive(Debug, Clone)]
pub struct FeatureFile {
    /// The path as shown (relative to the base directory).
    pub file: String,
    /// The path cucumber reads.
    pub path: PathBuf,
    /// The parsed feature, outlines expanded, each scenario's line its
    /// instance's line.
    pub feature: gherkin::Feature,
    pub outline: grammar::Outline,
    pub instances: Vec<Instance>,
}

/// Every feature file found under the given paths, in the order they run.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    pub files: Vec<FeatureFile>,
}

impl Suite {
    /// Every instance, in run order.
    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.files.iter().flat_map(|f| f.instances.iter())
    }

    /// The file whose shown or given path is `path`.
    pub fn file(&self, path: &Path) -> Option<&FeatureFile> {
        let canonical = path.canonicalize().ok();
        self.files.iter().find(|f| {
            f.path == path || canonical.as_ref().is_some_and(|c| f.path.canonicalize().ok().as_ref() == Some(c))
        })
    }
}

/// The `.feature` files under `paths` (files as given, directories walked),
/// sorted within each directory, each once.
pub fn feature_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FeatureError> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.is_file() {
            push_unique(&mut out, p.clone());
        } else if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| FeatureError {
                file: p.display().to_string(),
                line: 0,
                column: 0,
                message: format!("cannot read the directory: {e}"),
            })?;
            found.sort();
            for f in found {
                push_unique(&mut out, f);
            }
        } else {
            return Err(FeatureError {
                file: p.display().to_string(),
                line: 0,
                column: 0,
                message: "no such feature file or directory".into(),
            });
        }
    }
    Ok(out)
}

fn push_unique(out: &mut Vec<PathBuf>, p: PathBuf) {
    let canonical = p.canonicalize().unwrap_or_else(|_| p.clone());
    if !out.iter().any(|q| q.canonicalize().unwrap_or_else(|_| q.clone()) == canonical) {
        out.push(p);
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("feature")) {
            out.push(path);
        }
    }
    Ok(())
}

/// Load every feature file under `paths`; `base` is what shown paths are relative to.
pub fn load(paths: &[PathBuf], base: &Path) -> Result<Suite, FeatureError> {
    let mut files = Vec::new();
    for path in feature_files(paths)? {
        files.push(load_file(&path, base)?);
    }
    Ok(Suite { files })
}

/// Load one file: grammar, parse, expand, identities.
pub fn load_file(path: &Path, base: &Path) -> Result<FeatureFile, FeatureError> {
    let shown = shown_path(path, base);
    let error = |line, column, message: String| FeatureError { file: shown.clone(), line, column, message };
    let text = std::fs::read_to_string(path).map_err(|e| error(0, 0, format!("cannot read the file: {e}")))?;
    let outline = grammar::check(&text).map_err(|e| error(e.line, e.column, e.message))?;
    let mut feature = gherkin::Feature::parse(&text, gherkin::GherkinEnv::default()).map_err(|e| {
        // The grammar pass accepts what the official grammar accepts; if
        // cucumber's parser still refuses, say where it does.
        // Its message reads "Error at LINE:COL: ...".
        let text = e.to_string();
        let at = text.strip_prefix("Error at ").and_then(|r| r.split(':').next().zip(r.split(':').nth(1)));
        let (line, column) =
            at.and_then(|(l, c)| Some((l.trim().parse().ok()?, c.trim().parse().ok()?))).unwrap_or((0, 0));
        error(line, column, format!("this feature file does not parse: {e}"))
    })?;
    feature.path = Some(path.to_owned());
    let feature = feature
        .expand_examples()
        .map_err(|e| error(e.pos.line, e.pos.col, format!("<{}> is not a column of the Examples table", e.name)))?;
    let mut file = FeatureFile { file: shown.clone(), path: path.to_owned(), feature, outline, instances: Vec::new() };
    identify(&mut file);
    Ok(file)
}

fn shown_path(path: &Path, base: &Path) -> String {
    let absolute = if path.is_absolute() { path.to_owned() } else { base.join(path) };
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    let base = base.canonicalize().unwrap_or_else(|_| base.to_owned());
    absolute.strip_prefix(&base).map(Path::to_path_buf).unwrap_or(absolute).display().to_string()
}

/// Give every expanded scenario its real line and make its instance.
fn identify(file: &mut FeatureFile) {
    let FeatureFile { file: shown, feature, outline, instances, .. } = file;
    let feature_name = feature.name.clone();
    let feature_tags = feature.tags.clone();
    let fix = |rule: Option<&gherkin::Rule>, scenario: &mut gherkin::Scenario| {
        // cucumber numbers an expanded row `examples line + index + 2`;
        // the outline knows the row's real line.
        let mut row = None;
        let mut cells = Vec::new();
        if let Some(ex) = scenario.examples.first() {
            let shape = outline.scenarios.iter().find(|s| s.examples.iter().any(|e| e.line == ex.position.line));
            if let Some(shape) = shape {
                let block = shape.examples.iter().position(|e| e.line == ex.position.line).unwrap_or(0);
                let index = scenario.position.line.saturating_sub(ex.position.line + 2);
                if let Some(real) = shape.examples[block].rows.get(index) {
                    row = Some((block, index));
                    if let Some(table) = &ex.table {
                        if let (Some(h), Some(v)) = (table.rows.first(), table.rows.get(1)) {
                            cells = h.iter().cloned().zip(v.iter().cloned()).collect();
                        }
                    }
                    let scenario_line = shape.line;
                    scenario.position.line = *real;
                    return (
                        scenario_line,
                        row,
                        cells,
                        rule.map(|r| r.name.clone()),
                        scenario_tags(&feature_tags, rule, scenario),
                    );
                }
            }
        }
        (scenario.position.line, row, cells, rule.map(|r| r.name.clone()), scenario_tags(&feature_tags, rule, scenario))
    };
    let mut made = Vec::new();
    for s in &mut feature.scenarios {
        made.push((fix(None, s), s.name.clone(), s.position.line));
    }
    for r in &mut feature.rules {
        let rule = r.clone();
        for s in &mut r.scenarios {
            made.push((fix(Some(&rule), s), s.name.clone(), s.position.line));
        }
    }
    for ((scenario_line, row, cells, rule, tags), name, line) in made {
        instances.push(Instance {
            file: shown.clone(),
            line,
            scenario_line,
            feature: feature_name.clone(),
            rule,
            name,
            tags,
            row,
            cells,
        });
    }
    instances.sort_by_key(|i| i.line);
}

/// A scenario's tags: the feature's, the rule's and the scenario's own
/// (an expanded outline row's include its Examples' tags), each once,
/// without `@`.
pub fn scenario_tags(
    feature_tags: &[String],
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in feature_tags.iter().chain(rule.map(|r| &r.tags).into_iter().flatten()).chain(&scenario.tags) {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn outline_rows_are_named_by_their_own_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.feature");
        std::fs::write(
            &path,
            "@f\nFeature: x\n  Scenario: plain\n    Given a\n\n  @o\n  Scenario Outline: row <n>\n    Given <n>\n\n    Examples: with prose\n      Some words.\n      | n |\n      | 1 |\n      # between\n      | 2 |\n    @e\n    Examples:\n      | n |\n      | 3 |\n",
        )
        .unwrap();
        let suite = load(&[path], dir.path()).unwrap();
        let got: Vec<(String, usize, Vec<String>)> =
            suite.instances().map(|i| (i.name.clone(), i.line, i.tags.clone())).collect();
        assert_eq!(
            got,
            [
                ("plain".into(), 3, vec!["f".to_string()]),
                ("row 1".into(), 13, vec!["f".into(), "o".into()]),
                ("row 2".into(), 15, vec!["f".into(), "o".into()]),
                ("row 3".into(), 19, vec!["f".into(), "o".into(), "e".into()]),
            ]
        );
        let i = suite.instances().nth(2).unwrap();
        assert_eq!(i.location(), "x.feature:15");
        assert_eq!(i.scenario_line, 7);
        assert_eq!(i.row, Some((0, 1)));
        assert_eq!(i.cells, [("n".to_string(), "2".to_string())]);
        // cucumber will see the same lines.
        let lines: Vec<usize> = suite.files[0].feature.scenarios.iter().map(|s| s.position.line).collect();
        assert_eq!(lines, [3, 13, 15, 19]);
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.feature");
        std::fs::write(&path, "Feature: x\n  Scenario: s\n    Given a\n    Whne b\n").unwrap();
        let e = load(&[path], dir.path()).unwrap_err();
        assert_eq!(e.to_string().split(": ").next().unwrap(), "bad.feature:4:5");
        let e = load(&[dir.path().join("missing.feature")], dir.path()).unwrap_err();
        assert!(e.message.contains("no such"), "{e}");
    }
}
