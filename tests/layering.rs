//! The architecture, pinned. Which workspace crates may depend on which (the
//! harness on the simulators, never the other way; android-sim on nothing
//! of ours), and which of the harness's own modules may use which (each only
//! the layers below it), read from the manifests and the sources, so a new
//! edge that breaks the layering fails here with its file and line.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use std::collections::BTreeMap;
use std::path::Path;

/// Each member and the members its `[dependencies]` may name.
const CRATES: [(&str, &str, &[&str]); 6] = [
    ("simulators/android", "android-sim", &[]),
    ("simulators/mailbox", "mail-sink", &[]),
    ("simulators/adbd", "adbd-sim", &["android-sim"]),
    ("simulators/amapi", "amapi-mock", &["android-sim"]),
    // reference-mdm takes amapi-mock only for `amapi_mock::listen` (the
    // connection cap and header timeout both servers share); the MDM never
    // reaches the mock except over HTTP. A small server crate would end it.
    ("simulators/mdm", "reference-mdm", &["android-sim", "amapi-mock"]),
    (".", "lockstep", &["android-sim", "mail-sink", "adbd-sim", "amapi-mock", "reference-mdm"]),
];

#[test]
fn crates_depend_only_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let members: Vec<&str> = CRATES.iter().map(|(_, name, _)| *name).collect();
    for (dir, name, allowed) in CRATES {
        let text = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).unwrap();
        let manifest: toml::Table = text.parse().unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some(name), "{dir}/Cargo.toml");
        let deps = manifest.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
        for dep in deps.keys() {
            if members.contains(&dep.as_str()) {
                assert!(allowed.contains(&dep.as_str()), "{dir}/Cargo.toml: {name} must not depend on {dep}");
            }
        }
    }
}

/// The harness's modules from the bottom up; a module may use modules of
/// its own layer or below, never above. Same-layer uses must not go both ways.
const LAYERS: [&[&str]; 8] = [
    &["tags", "patience", "redact", "passcodes", "clock", "requirements", "fixtures", "suite"],
    &["device", "driver", "cast", "container", "accounts"],
    &["cli", "config", "selection"],
    &["report", "logging", "stack", "banner"],
    &["console", "world"],
    &["steps", "evidence"],
    &["runner"],
    &["commands"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// `crate::X` uses in every source file of module `m` (a file or a folder).
fn uses(src: &Path) -> BTreeMap<String, Vec<(String, usize, String)>> {
    let mut out: BTreeMap<String, Vec<(String, usize, String)>> = BTreeMap::new();
    let mut files = Vec::new();
    collect(src, &mut files);
    let re = regex::Regex::new(r"crate::([a-z_]+)").unwrap();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let module = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if ["lib", "main"].contains(&module.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let mut in_tests = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                in_tests = true;
            }
            if in_tests || line.trim_start().starts_with("//") {
                continue;
            }
            for c in re.captures_iter(line) {
                let target = c[1].to_owned();
                if target != module && !["EXIT_OK", "EXIT_FAILED"].contains(&target.as_str()) {
                    out.entry(module.clone()).or_default().push((target, i + 1, rel.display().to_string()));
                }
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn harness_modules_use_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("harness/src");
    let graph = uses(&src);
    let mut problems = Vec::new();
    for (module, targets) in &graph {
        let Some(from) = layer_of(module) else {
            problems
                .push(format!("harness/src/{module}: not in any layer of tests/layering.rs; add it where it belongs"));
            continue;
        };
        for (target, line, file) in targets {
            let Some(to) = layer_of(target) else { continue };
            if to > from {
                problems.push(format!("harness/src/{file}:{line}: `{module}` uses `{target}`, a layer above it"));
            } else if to == from && graph.get(target).is_some_and(|t| t.iter().any(|(x, _, _)| x == module)) {
                problems.push(format!("harness/src/{file}:{line}: `{module}` and `{target}` use each other"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
