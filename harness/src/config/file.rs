//! The run file (`lockstep run --config FILE`): what a CI job would
//! otherwise spell as flags, kept in the repository beside the pipeline.
//! Today one section, `[target]`: the MDM under test, as a local container
//! image (the file form of `--target docker:IMAGE[:TAG]`, with the extra
//! variables its container needs) or a URL.
//!
//! ```toml
//! [target]
//! image = "acme/mdm"          # a local image, never pulled; or url = "http://mdm:8080"
//! tag = "1.4.2"               # default: latest (or write image = "acme/mdm:1.4.2")
//! start_timeout = "90s"       # default 60s
//!
//! [target.env]                # extra variables for the container
//! ACME_LICENSE_MODE = "test"
//! ```
//!
//! Read and checked by [`super::resolve`] before anything starts; a mistake
//! (an unknown section or key, a bad value) is exit 2 with
//! `FILE:LINE: field `KEY`: what is wrong`, naming the values it could be.
//! A flag on the command line wins over the file (`--target` over
//! `image`/`tag`/`url`, `--start-timeout` over `start_timeout`); `env`
//! goes to whichever container the run starts.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The keys of `[target]`, for messages.
const TARGET_KEYS: &str = "image, tag, url, start_timeout, env";

/// A run file that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {}{problem}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct RunFileError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub problem: String,
}

/// A run file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    target: Option<RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    image: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    start_timeout: Option<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// What a run file says, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFile {
    pub path: PathBuf,
    /// `[target]`, as `--target` would spell it (`docker:IMAGE:TAG` or a URL).
    pub target: Option<String>,
    pub start_timeout: Option<Duration>,
    /// `[target.env]`, in key order.
    pub env: Vec<(String, String)>,
}

impl RunFile {
    pub fn load(path: &Path) -> Result<RunFile, RunFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| RunFileError {
            path: path.to_owned(),
            line: None,
            field: None,
            problem: format!("cannot read the run file: {e}"),
        })?;
        RunFile::parse(path, &text)
    }

    /// Parse and check a run file; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<RunFile, RunFileError> {
        let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let error = |offset: Option<usize>, field: Option<&str>, problem: String| RunFileError {
            path: path.to_owned(),
            line: offset.map(line_at),
            field: field.map(str::to_owned),
            problem,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let start = e.span().map(|s| s.start);
            let (field, problem) = explain(text, start, e.message());
            error(start, field.as_deref(), problem)
        })?;
        let mut file = RunFile { path: path.to_owned(), ..Default::default() };
        let Some(t) = raw.target else { return Ok(file) };
        let at = |s: &Spanned<String>| Some(s.span().start);
        file.target = match (&t.image, &t.url) {
            (Some(_), Some(url)) => {
                return Err(error(
                    at(url),
                    Some("target.url"),
                    "a target is an image or a URL, not both; keep one of `image` and `url`".into(),
                ))
            }
            (Some(image), None) => {
                let image_text = image.get_ref().trim();
                let named = match &t.tag {
                    Some(tag) => {
                        let last = image_text.rsplit('/').next().unwrap_or(image_text);
                        if last.contains(':') {
                            return Err(error(
                                at(tag),
                                Some("target.tag"),
                                format!(
                                    "the image `{image_text}` already has a tag; drop `tag` or the `:TAG` of `image`"
                                ),
                            ));
                        }
                        check_tag(tag.get_ref()).map_err(|p| error(at(tag), Some("target.tag"), p))?;
                        format!("{image_text}:{}", tag.get_ref())
                    }
                    None => image_text.to_owned(),
                };
                let spelled = format!("docker:{named}");
                super::docker_image(&spelled).map_err(|e| {
                    let problem = match e {
                        super::ConfigError::DockerTarget { problem, .. } => problem,
                        other => other.to_string(),
                    };
                    error(at(image), Some("target.image"), format!("`{image_text}`: {problem}"))
                })?;
                Some(spelled)
            }
            (None, Some(url)) => {
                let u = url.get_ref().trim();
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err(error(
                        at(url),
                        Some("target.url"),
                        format!("`{u}` is not an http(s) URL of an MDM speaking the driver protocol"),
                    ));
                }
                if let Some(tag) = &t.tag {
                    return Err(error(at(tag), Some("target.tag"), "`tag` goes with `image`, not `url`".into()));
                }
                Some(u.to_owned())
            }
            (None, None) => {
                return Err(error(
                    None,
                    Some("target"),
                    format!("[target] needs `image` (a local container image) or `url`; its keys are {TARGET_KEYS}"),
                ))
            }
        };
        if let Some(timeout) = &t.start_timeout {
            let d = crate::patience::parse(timeout.get_ref())
                .map_err(|p| error(at(timeout), Some("target.start_timeout"), p.replace("a patience", "a timeout")))?;
            file.start_timeout = Some(d);
        }
        if !t.env.is_empty() && t.url.is_some() {
            let first = t.env.keys().next().map(|k| k.span().start);
            return Err(error(
                first,
                Some("target.env"),
                "`env` is for the container of an `image`; an MDM at a URL was started by someone else".into(),
            ));
        }
        for (key, value) in &t.env {
            let name = key.get_ref();
            let field = format!("target.env.{name}");
            if name.is_empty()
                || name.starts_with(|c: char| c.is_ascii_digit())
                || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(error(
                    at(key),
                    Some(&field),
                    "an environment variable's name is letters, digits and `_`, not starting with a digit".into(),
                ));
            }
            if crate::container::mdm::contract::ALL.contains(&name.as_str()) {
                return Err(error(
                    at(key),
                    Some(&field),
                    format!(
                        "`{name}` is set by the harness (the environment contract, docs/containers.md); the variables it sets are {}",
                        crate::container::mdm::contract::ALL.join(", ")
                    ),
                ));
            }
            file.env.push((name.clone(), value.get_ref().clone()));
        }
        Ok(file)
    }
}

/// A tag as the engine takes it: up to 128 of `[A-Za-z0-9_.-]`, not
/// starting with `.` or `-`.
fn check_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("`{tag}` is not a tag: up to 128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`"))
    }
}

/// The field and the problem of a TOML or shape error at `start`: the key
/// written there, under the table header above it (`target.imgae`), and
/// the message with the known keys spelled out.
fn explain(text: &str, start: Option<usize>, message: &str) -> (Option<String>, String) {
    let Some(start) = start else { return (None, message.to_owned()) };
    let before = &text[..start.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let table = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let field = if line.starts_with('[') {
        Some(line.trim_matches(|c| c == '[' || c == ']').trim().to_owned())
    } else {
        let key = line.split('=').next().unwrap_or("").trim().trim_matches('"');
        match (key.is_empty(), table) {
            (true, t) => t,
            (false, Some(t)) => Some(format!("{t}.{key}")),
            (false, None) => Some(key.to_owned()),
        }
    };
    let problem = if message.starts_with("unknown field") {
        let known = match field.as_deref() {
            Some(f) if f.starts_with("target.") || f == "target" => TARGET_KEYS,
            _ => "[target]",
        };
        format!("{}; known: {known}", message.split(", expected").next().unwrap_or(message))
    } else {
        message.trim().to_owned()
    };
    (field, problem)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> Result<RunFile, RunFileError> {
        RunFile::parse(Path::new("lockstep.toml"), text)
    }

    #[test]
    fn an_image_with_a_tag_env_and_timeout_is_the_docker_target() {
        let f = parse(
            "[target]\nimage = \"acme/mdm\"\ntag = \"1.4.2\"\nstart_timeout = \"90s\"\n\n[target.env]\nB = \"2\"\nA_1 = \"x y\"\n",
        )
        .unwrap();
        assert_eq!(f.target.as_deref(), Some("docker:acme/mdm:1.4.2"));
        assert_eq!(f.start_timeout, Some(Duration::from_secs(90)));
        assert_eq!(f.env, [("A_1".to_owned(), "x y".to_owned()), ("B".to_owned(), "2".to_owned())]);
        let f = parse("[target]\nimage = \"lockstep-reference-mdm:0.1.0\"\n").unwrap();
        assert_eq!(f.target.as_deref(), Some("docker:lockstep-reference-mdm:0.1.0"));
        let f = parse("[target]\nurl = \"http://mdm:8080\"\n").unwrap();
        assert_eq!(f.target.as_deref(), Some("http://mdm:8080"));
        assert_eq!(parse("# nothing yet\n").unwrap().target, None);
    }

    #[test]
    fn each_mistake_names_the_line_the_field_and_what_it_could_be() {
        let cases: [(&str, &str); 9] = [
            ("[target]\nimgae = \"acme/mdm\"\n", "lockstep.toml:2: field `target.imgae`: unknown field `imgae`; known: image, tag, url, start_timeout, env"),
            ("[targets]\nimage = \"x\"\n", "lockstep.toml:1: field `targets`: unknown field `targets`; known: [target]"),
            ("[target]\nimage = \"acme/mdm\"\nstart_timeout = \"soon\"\n", "lockstep.toml:3: field `target.start_timeout`: `soon` is not a duration"),
            ("[target]\nimage = \"Acme/MDM\"\n", "lockstep.toml:2: field `target.image`: `Acme/MDM`: an image reference is lower case"),
            ("[target]\nimage = \"acme/mdm:1\"\ntag = \"2\"\n", "lockstep.toml:3: field `target.tag`: the image `acme/mdm:1` already has a tag"),
            ("[target]\nimage = \"a\"\nurl = \"http://b\"\n", "lockstep.toml:3: field `target.url`: a target is an image or a URL, not both"),
            ("[target]\nstart_timeout = \"9s\"\n", "lockstep.toml: field `target`: [target] needs `image`"),
            ("[target]\nimage = \"a\"\n[target.env]\nLOCKSTEP_AMAPI_URL = \"http://elsewhere\"\n", "lockstep.toml:4: field `target.env.LOCKSTEP_AMAPI_URL`: `LOCKSTEP_AMAPI_URL` is set by the harness"),
            ("[target]\nimage = \"a\"\n[target.env]\n\"A-B\" = \"1\"\n", "lockstep.toml:4: field `target.env.A-B`: an environment variable's name"),
        ];
        for (text, expected) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{text}\n  gave {e}\n  want {expected}...");
        }
    }
}
