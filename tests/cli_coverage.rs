//! `lockstep coverage` and `lockstep steps`: every Android requirement of the
//! catalogue is checked by at least one scenario, no scenario carries an ID
//! the catalogue does not know, and the vocabulary prints.

use std::process::Command;

fn lockstep(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("lockstep runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_android_requirement_is_covered_and_no_tag_is_unknown() {
    let text = lockstep(&["coverage"]);
    let uncovered: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("NOT COVERED") && !l.contains("outside the Android feature suite"))
        .collect();
    assert!(uncovered.is_empty(), "{uncovered:?}");
    assert!(!text.contains("UNKNOWN"), "{text}");
    for id in ["PLAT-1", "PLAT-8", "MIR-1", "MIR-10", "INT-1", "INT-6", "ICL-3", "IRU-1", "IRU-5", "HAR-5"] {
        assert!(text.lines().any(|l| l.starts_with(&format!("{id} ")) && l.contains("scenario")), "{id}: {text}");
    }
}

#[test]
fn the_vocabulary_prints_with_examples() {
    let text = lockstep(&["steps"]);
    assert!(text.contains("e.g. When Alice resets the passcode of \"phone\""), "{text}");
    assert!(text.contains("## the device in hand"), "{text}");
}
