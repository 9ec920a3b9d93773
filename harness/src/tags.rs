//! Tags with a meaning to the harness itself, in one place: what they are
//! called is a fact the selection, the world and the reports all need.

/// The vendor tags a scenario can carry; one picks the reference MDM's vendor profile.
pub const VENDORS: [&str; 3] = ["miradore", "intune", "iru"];

/// The device-side checks, which need no MDM and run on `--device` too.
pub const DEVICE_TAG: &str = "device";

/// Scenarios about the MDM's container: they run only with
/// `--target docker:IMAGE` and are skipped, with the reason, elsewhere.
pub const DOCKER_TAG: &str = "docker";

/// Scenarios that need the virtual clock (skipped against an external MDM).
pub const VIRTUAL_TIME_TAG: &str = "virtual-time";

/// Scenarios that reach around the MDM to the devices and the mock
/// (skipped against an external MDM, and on a device over adb).
pub const GOD_MODE_TAG: &str = "god-mode";

/// `@needs-<capability>`: the scenario checks a driver-protocol capability
/// (docs/driver-protocol.md, Discovery); against an external MDM that does
/// not claim it in `/about.capabilities`, the scenario is skipped.
pub const CAPABILITY_TAG_PREFIX: &str = "needs-";

/// Requirement-ID prefixes of the platform and the harness: every product
/// answers for these, so `/about.requirements` need not list them.
pub const UNIVERSAL_REQUIREMENTS: [&str; 2] = ["PLAT-", "HAR-"];

/// `@matrix-<ownership>` on an outline: its Examples list every conforming
/// device profile (fixtures/devices, not a negative control) that supports
/// that ownership mode, in a `profile` column. tests/matrix_outlines.rs
/// holds each such outline to the profiles, so it cannot go stale when a
/// profile is added.
pub const MATRIX_TAG_PREFIX: &str = "matrix-";
