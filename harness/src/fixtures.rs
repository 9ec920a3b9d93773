//! Where Lockstep finds its data files (device profiles, fleets, vendor
//! profiles, requirement catalogue).

use std::path::{Path, PathBuf};

/// The fixtures directory: `--fixtures` if given, else `fixtures/` in the
/// current directory when it exists (a checkout, or a user's own copy), else
/// the one this binary was built from, so `cargo run` works from anywhere in
/// the repository.
pub fn resolve(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_owned();
    }
    let local = PathBuf::from("fixtures");
    if local.join("devices").is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
