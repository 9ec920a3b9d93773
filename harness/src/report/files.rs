//! The report directory: which files a run owns, writing them all (each to
//! a temporary file in the same directory, then renamed into place, so a
//! reader never sees half a report), and clearing them when a run starts
//! (so a run never leaves the previous run's files beside its own).

use super::{cucumber_json, html, junit, markdown, rerun, run_json, RunRecord};
use crate::redact::Secrets;
use crate::requirements::Requirement;
use std::path::{Path, PathBuf};

/// The run log, written by [`crate::logging`] while the run goes.
pub const LOG: &str = "lockstep.log";

/// Every file a run or a certification writes into its report directory.
pub const OWNED: [&str; 10] = [
    junit::FILE,
    cucumber_json::FILE,
    markdown::FILE,
    html::FILE,
    rerun::FILE,
    run_json::FILE,
    LOG,
    "certificate.json",
    "certificate.md",
    "SHA256SUMS",
];

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot render {file}: {message}")]
    Render { file: &'static str, message: String },
}

/// Render every report of `record` into `dir`, redacted. Returns the paths
/// written, in a stable order.
pub fn write_all(
    dir: &Path,
    record: &RunRecord,
    catalogue: &[Requirement],
    secrets: &Secrets,
) -> Result<Vec<PathBuf>, WriteError> {
    let render = |file: &'static str, r: Result<String, String>| {
        r.map(|text| (file, text)).map_err(|message| WriteError::Render { file, message })
    };
    let outputs = [
        render(junit::FILE, junit::render(record).map_err(|e| e.to_string()))?,
        render(cucumber_json::FILE, Ok(cucumber_json::render(record)))?,
        render(markdown::FILE, Ok(markdown::render(record, catalogue)))?,
        render(html::FILE, Ok(html::render(record, catalogue)))?,
        render(rerun::FILE, Ok(rerun::render(record)))?,
        render(run_json::FILE, run_json::render(record).map_err(|e| e.to_string()))?,
    ];
    std::fs::create_dir_all(dir).map_err(|source| WriteError::Io { path: dir.to_owned(), source })?;
    let mut written = Vec::new();
    for (file, text) in outputs {
        // JSON reports keep their numbers: a duration that equals a passcode
        // is not one (Secrets::redact_json).
        let redacted = if file.ends_with(".json") { secrets.redact_json(&text) } else { secrets.redact(&text) };
        written.push(write_atomically(dir, file, &redacted)?);
    }
    Ok(written)
}

/// Write `text` to `dir/file` through a temporary file in `dir`.
pub fn write_atomically(dir: &Path, file: &str, text: &str) -> Result<PathBuf, WriteError> {
    let path = dir.join(file);
    let temp = dir.join(format!(".{file}.{}.tmp", std::process::id()));
    let io = |source| WriteError::Io { path: path.clone(), source };
    std::fs::write(&temp, text).map_err(io)?;
    std::fs::rename(&temp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io(e)
    })?;
    Ok(path)
}

/// Remove the files a run owns from `dir` (others are left alone). A
/// missing directory or file is not an error.
pub fn clear_owned(dir: &Path) -> Result<(), WriteError> {
    for file in OWNED {
        let path = dir.join(file);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(WriteError::Io { path, source }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_report_and_clears_only_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Secrets::default();
        let written = write_all(dir.path(), &super::super::fixtures::run(), &[], &secrets).unwrap();
        let names: Vec<String> =
            written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["junit.xml", "cucumber.json", "summary.md", "report.html", "rerun.txt", "run.json"]);
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 7, "no temporary file is left behind");
        clear_owned(dir.path()).unwrap();
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["notes.txt"]);
        clear_owned(&dir.path().join("absent")).unwrap();
    }

    /// A step that took exactly as many nanoseconds as some passcode has
    /// digits is still a step duration: the JSON reports stay JSON.
    #[test]
    fn a_duration_equal_to_a_passcode_leaves_the_json_reports_valid() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Secrets::default();
        // The fixture's steps take 3 ms: 3000000 ns.
        secrets.register("3000000");
        write_all(dir.path(), &super::super::fixtures::run(), &[], &secrets).unwrap();
        for file in [cucumber_json::FILE, run_json::FILE] {
            let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(&text);
            assert!(parsed.is_ok(), "{file} is not JSON: {parsed:?}");
            assert!(text.contains("3000000"), "{file} keeps the duration");
        }
    }
}
