//! Outlines that claim the whole device matrix (`@matrix-<ownership>`) list
//! exactly the conforming profiles of fixtures/devices that support the
//! mode: a profile added to the fixtures without a row fails here, naming
//! the outline and the profile.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use android_sim::{DeviceProfile, Ownership};
use lockstep::tags::MATRIX_TAG_PREFIX;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[test]
fn matrix_outlines_list_every_profile_that_supports_their_mode() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let profiles = DeviceProfile::load_dir(&root.join("fixtures/devices")).unwrap();
    let suite = lockstep::suite::load(&[root.join("features")], &root).unwrap();
    // (outline location, mode) -> the profiles its rows name.
    let mut outlines: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for i in suite.instances() {
        for tag in i.tags.iter().filter_map(|t| t.strip_prefix(MATRIX_TAG_PREFIX)) {
            let at = format!("{}:{}", i.file, i.scenario_line);
            let profile = i.cells.iter().find(|(k, _)| k == "profile").map(|(_, v)| v.clone());
            let profile = profile.unwrap_or_else(|| panic!("{at}: a @matrix-{tag} outline needs a `profile` column"));
            outlines.entry((at, tag.to_owned())).or_default().insert(profile);
        }
    }
    assert!(!outlines.is_empty(), "no @matrix-<ownership> outline found");
    let mut problems = Vec::new();
    for ((at, mode), listed) in &outlines {
        let ownership: Ownership = mode.parse().unwrap_or_else(|e| panic!("{at}: @matrix-{mode}: {e}"));
        let want: BTreeSet<String> = profiles
            .iter()
            .filter(|p| !p.is_negative_control() && p.supports(ownership))
            .map(|p| p.name.clone())
            .collect();
        let missing: Vec<_> = want.difference(listed).collect();
        let extra: Vec<_> = listed.difference(&want).collect();
        if !missing.is_empty() || !extra.is_empty() {
            problems.push(format!(
                "{at} (@matrix-{mode}): missing rows for {missing:?}; rows that do not belong: {extra:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
