//! How a run was made, recorded in every report: the tool and its version,
//! the suite's identity, when and where it ran, every flag in force, the
//! seed, and one command line that reproduces it. The runner fills it from
//! its resolved configuration with [`Provenance::new`]; `report merge`
//! joins the shards' with [`Provenance::merge`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::SystemTime;

/// The flag names whose presence changes what a run proves; reports put
/// them in their title.
const MARKED_FLAGS: [(&str, &str); 2] = [("swap-profile", "SWAPPED"), ("mdm-defect", "DEFECT")];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub tool: String,
    pub version: String,
    /// `git:COMMIT` of the checkout, or `sha256:HASH` of the feature files.
    pub suite: String,
    pub started: SystemTime,
    pub host: String,
    /// Every flag in force, as `(name, value)`, e.g. `("vendor", "intune")`.
    pub flags: Vec<(String, String)>,
    pub seed: u64,
    /// One command line that reproduces the run.
    pub replay: String,
    /// The shards this record joins (`I/N`), empty for an unsharded run.
    pub shards: Vec<String>,
}

impl Default for Provenance {
    fn default() -> Self {
        Provenance::new("", "", SystemTime::UNIX_EPOCH, "", Vec::new(), 0, "")
    }
}

impl Provenance {
    /// A run's provenance. A `("shard", "I/N")` flag records the shard.
    pub fn new(
        version: &str,
        suite: &str,
        started: SystemTime,
        host: &str,
        flags: Vec<(String, String)>,
        seed: u64,
        replay: &str,
    ) -> Provenance {
        let shards = flags.iter().filter(|(k, _)| k == "shard").map(|(_, v)| v.clone()).collect();
        Provenance {
            tool: "lockstep".into(),
            version: version.to_owned(),
            suite: suite.to_owned(),
            started,
            host: host.to_owned(),
            flags,
            seed,
            replay: replay.to_owned(),
            shards,
        }
    }

    /// What the title of every report says beside "Lockstep run":
    /// `SWAPPED google-pixel-8=acme-a14-stale-keyguard`, `DEFECT six-digit-passcode`.
    pub fn marks(&self) -> Vec<String> {
        let mut marks = Vec::new();
        for (flag, mark) in MARKED_FLAGS {
            for (_, v) in self.flags.iter().filter(|(k, _)| k == flag) {
                marks.push(format!("{mark} {v}"));
            }
        }
        marks
    }

    /// The start time, RFC 3339 in UTC to the second.
    pub fn started_rfc3339(&self) -> String {
        rfc3339(self.started)
    }

    /// `(name, value)` pairs, names unique, for formats that take a flat
    /// list (JUnit properties, the Markdown table): every field, flags as
    /// `flag.NAME`.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("tool".to_owned(), format!("{} {}", self.tool, self.version)),
            ("suite".to_owned(), self.suite.clone()),
            ("started".to_owned(), self.started_rfc3339()),
            ("host".to_owned(), self.host.clone()),
            ("seed".to_owned(), self.seed.to_string()),
        ];
        // A repeatable flag is one property, its values space-separated (names stay unique).
        for (k, v) in &self.flags {
            let name = format!("flag.{k}");
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => {
                    values.push(' ');
                    values.push_str(v);
                }
                None => out.push((name, v.clone())),
            }
        }
        if !self.shards.is_empty() {
            out.push(("shards".to_owned(), self.shards.join(" ")));
        }
        out.push(("replay".to_owned(), self.replay.clone()));
        out
    }

    /// The provenance of shard records joined into one: the first shard's,
    /// started at the earliest start, with every shard listed and the
    /// `shard` flag dropped (the joined record is the whole run).
    pub fn merge<'a>(all: impl IntoIterator<Item = &'a Provenance>) -> Provenance {
        let mut iter = all.into_iter();
        let Some(first) = iter.next() else { return Provenance::default() };
        let mut merged = first.clone();
        for p in iter {
            merged.started = merged.started.min(p.started);
            for s in &p.shards {
                if !merged.shards.contains(s) {
                    merged.shards.push(s.clone());
                }
            }
        }
        merged.flags.retain(|(k, _)| k != "shard");
        merged.replay = strip_shard(&merged.replay);
        merged
    }
}

/// A replay line without its `--shard I/N`, for a merged run.
fn strip_shard(replay: &str) -> String {
    let words: Vec<&str> = replay.split(' ').collect();
    let mut out: Vec<&str> = Vec::new();
    let mut skip = false;
    for w in words {
        if skip {
            skip = false;
            continue;
        }
        if w == "--shard" {
            skip = true;
            continue;
        }
        if w.starts_with("--shard=") {
            continue;
        }
        out.push(w);
    }
    out.join(" ")
}

/// `t` as RFC 3339 in UTC to the second.
pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The suite's identity, the same for every selection from one suite (so
/// shards that ran different files agree): the git commit of the checkout
/// holding `path` (with `-dirty` when any feature file differs from it),
/// else a SHA-256 over the feature files of the suite's root (the nearest
/// folder called `features` above `path`, or `path`'s own folder).
pub fn suite_identity(path: &Path) -> String {
    let dir = if path.is_dir() { path.to_owned() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if let Some(commit) = git(&["rev-parse", "HEAD"]).filter(|c| !c.is_empty()) {
        let top = git(&["rev-parse", "--show-toplevel"]).unwrap_or_default();
        let dirty = git(&["-C", &top, "status", "--porcelain", "--", "*.feature"]).is_some_and(|s| !s.is_empty());
        return format!("git:{commit}{}", if dirty { "-dirty" } else { "" });
    }
    let root = dir.ancestors().find(|a| a.file_name().is_some_and(|n| n == "features")).unwrap_or(&dir);
    format!("sha256:{}", features_hash(root))
}

/// SHA-256 over every `.feature` file under `dir` (sorted paths, then contents).
pub fn features_hash(dir: &Path) -> String {
    let mut files = Vec::new();
    collect_features(dir, &mut files);
    files.sort();
    let mut hash = Sha256::new();
    for f in files {
        hash.update(f.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(&f).unwrap_or_default());
        hash.update([0]);
    }
    hex(&hash.finalize())
}

fn collect_features(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_owned());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_features(&p, out);
        } else if p.extension().is_some_and(|x| x == "feature") {
            out.push(p);
        }
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// This machine's name, as the kernel knows it.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(i: &str, secs: u64) -> Provenance {
        Provenance::new(
            "0.1.0",
            "git:abc",
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs),
            "ci-7",
            vec![("swap-profile".into(), "a=b".into()), ("shard".into(), i.into())],
            9,
            &format!("lockstep run --seed 9 --swap-profile a=b --shard {i}"),
        )
    }

    #[test]
    fn marks_and_merge() {
        let (a, b) = (shard("1/2", 20), shard("2/2", 10));
        assert_eq!(a.marks(), ["SWAPPED a=b"]);
        assert_eq!(a.shards, ["1/2"]);
        let m = Provenance::merge([&a, &b]);
        assert_eq!(m.shards, ["1/2", "2/2"]);
        assert_eq!(m.started, b.started);
        assert_eq!(m.replay, "lockstep run --seed 9 --swap-profile a=b");
        assert!(m.flags.iter().all(|(k, _)| k != "shard"));
        assert_eq!(m.started_rfc3339(), "1970-01-01T00:00:10Z");
    }
}
