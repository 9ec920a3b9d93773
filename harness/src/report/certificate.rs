//! The certificate a device vendor hands over after `lockstep certify`:
//! which device (its own facts), each firmware check with pass, fail or not
//! applicable and the reason, the checks that did not run and why, the
//! tool and suite that certified it and when, and (in `SHA256SUMS`, which
//! `sha256sum -c` reads) a SHA-256 manifest of the bundle. A simulated
//! device's certificate says SIMULATED in its title.
//!
//! A check the harness cannot carry out on this device (e.g. setting a
//! passcode over adb before Android 8.0, which has no `locksettings`) is
//! not applicable, never a firmware failure.

use super::{provenance, Outcome, RunRecord, ScenarioRecord};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const JSON_FILE: &str = "certificate.json";
pub const MARKDOWN_FILE: &str = "certificate.md";
pub const MANIFEST_FILE: &str = "SHA256SUMS";

/// How the device layer words a step it cannot do on this device
/// (`DeviceError::Unsupported`); a test pins the two together.
const HARNESS_LIMITATION: &str = "not possible with this device";

/// The device a certificate is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedDevice {
    /// How it was reached: `adb:SERIAL`, `tcp:HOST:PORT` or `profile:NAME`.
    pub device: String,
    /// A simulated device (a profile), not a phone.
    pub simulated: bool,
    pub manufacturer: String,
    pub model: String,
    pub android_version: String,
    pub api_level: u8,
    pub build_id: String,
    /// `ro.build.fingerprint`, when the device backend reports it.
    pub build_fingerprint: Option<String>,
    /// `ro.serialno`; a simulated profile has none.
    pub serial: Option<String>,
    pub security_patch: String,
    pub encryption: String,
}

impl CertifiedDevice {
    /// `Google Pixel 8`.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.manufacturer, self.model)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckResult {
    Pass,
    Fail,
    NotApplicable,
}

/// One firmware check and how it went on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub location: String,
    pub requirements: Vec<String>,
    pub result: CheckResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A check of the suite that did not run on this device, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotRun {
    pub name: String,
    pub location: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub title: String,
    /// `passed` (every check that applies passed, and one did), `failed`, or
    /// `incomplete` (no check applied).
    pub verdict: String,
    pub device: CertifiedDevice,
    pub checks: Vec<Check>,
    pub not_run: Vec<NotRun>,
    pub tool: String,
    pub suite: String,
    pub date: String,
    pub seed: u64,
    pub replay: String,
}

impl Certificate {
    /// The certificate of `device` from the run of its firmware checks.
    pub fn new(device: CertifiedDevice, run: &RunRecord) -> Certificate {
        let mut checks = Vec::new();
        let mut not_run = Vec::new();
        for s in &run.scenarios {
            let name = check_name(s, &device);
            let (result, reason) = match &s.outcome {
                Outcome::Passed => (CheckResult::Pass, None),
                Outcome::Failed { step, message } if message.contains(HARNESS_LIMITATION) => (
                    CheckResult::NotApplicable,
                    Some(format!("harness limitation, not a firmware failure: {message} (at {step})")),
                ),
                Outcome::Failed { step, message } => (CheckResult::Fail, Some(format!("{step}: {message}"))),
                Outcome::Skipped { reason } => {
                    not_run.push(NotRun { name, location: s.location(), reason: reason.clone() });
                    continue;
                }
            };
            let requirements = s.requirements().map(str::to_owned).collect();
            checks.push(Check { name, location: s.location(), requirements, result, reason });
        }
        let verdict = if checks.iter().any(|c| c.result == CheckResult::Fail) {
            "failed"
        } else if checks.iter().any(|c| c.result == CheckResult::Pass) {
            "passed"
        } else {
            "incomplete"
        };
        let mut title = format!("Firmware certificate: {}", device.display_name());
        if device.simulated {
            title.push_str(" (SIMULATED)");
        }
        for mark in run.provenance.marks() {
            title.push_str(&format!(" [{mark}]"));
        }
        let p = &run.provenance;
        Certificate {
            title,
            verdict: verdict.into(),
            device,
            checks,
            not_run,
            tool: format!("{} {}", p.tool, p.version),
            suite: p.suite.clone(),
            date: p.started_rfc3339(),
            seed: run.seed,
            replay: p.replay.clone(),
        }
    }

    /// Exit code of `lockstep certify`: 0 passed, 1 failed, 4 no check applied.
    pub fn exit_code(&self) -> u8 {
        match self.verdict.as_str() {
            "passed" => 0,
            "failed" => 1,
            _ => 4,
        }
    }

    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn render_markdown(&self) -> String {
        let d = &self.device;
        let mut s =
            format!("# {}\n\n**Result: {}**\n\n| Fact | Value |\n|---|---|\n", self.title, self.verdict.to_uppercase());
        let unknown = |v: &Option<String>, why: &str| v.clone().unwrap_or_else(|| format!("not reported ({why})"));
        for (k, v) in [
            ("Device", d.device.clone()),
            ("Manufacturer and model", d.display_name()),
            ("Android", format!("{} (API {})", d.android_version, d.api_level)),
            ("Build", d.build_id.clone()),
            ("Build fingerprint", unknown(&d.build_fingerprint, "the device did not report it")),
            ("Serial", unknown(&d.serial, "a simulated device has none")),
            ("Security patch", d.security_patch.clone()),
            ("Encryption", d.encryption.clone()),
            ("Certified by", self.tool.clone()),
            ("Suite", self.suite.clone()),
            ("Date", self.date.clone()),
            ("Seed", self.seed.to_string()),
            ("Replay", format!("`{}`", self.replay)),
        ] {
            let _ = writeln!(s, "| {k} | {} |", v.replace('|', "\\|"));
        }
        s.push_str("\n## Checks\n\n| Check | Requirements | Result |\n|---|---|---|\n");
        for c in &self.checks {
            let result = match c.result {
                CheckResult::Pass => "pass",
                CheckResult::Fail => "FAIL",
                CheckResult::NotApplicable => "not applicable",
            };
            let _ = writeln!(s, "| {} | {} | {result} |", c.name, c.requirements.join(" "));
        }
        for c in self.checks.iter().filter(|c| c.result != CheckResult::Pass) {
            let _ = writeln!(s, "\n**{}** ({}): {}", c.name, c.location, c.reason.as_deref().unwrap_or(""));
        }
        if !self.not_run.is_empty() {
            s.push_str("\n## Checks not run\n\n");
            for n in &self.not_run {
                let _ = writeln!(s, "- {} ({}): {}", n.name, n.location, n.reason);
            }
        }
        let _ = writeln!(s, "\nThe bundle's SHA-256 sums are in `{MANIFEST_FILE}` (`sha256sum -c {MANIFEST_FILE}`).");
        s
    }
}

/// The scenario's name with the profile it names as a label (`... on
/// google-pixel-8`) replaced by the device that was certified.
fn check_name(s: &ScenarioRecord, device: &CertifiedDevice) -> String {
    let label = s.steps.iter().find_map(|st| {
        let rest = st.name.strip_prefix("the device under test \"")?;
        let (_, rest) = rest.split_once("\" runs \"")?;
        rest.split_once('"').map(|(profile, _)| profile.to_owned())
    });
    match label.and_then(|l| s.name.strip_suffix(&format!(" on {l}")).map(str::to_owned)) {
        Some(stem) => format!("{stem} on {}", device.display_name()),
        None => s.name.clone(),
    }
}

/// `SHA256SUMS` over `files` in `dir` (those that exist), as `sha256sum` writes it.
pub fn manifest(dir: &Path, files: &[PathBuf]) -> String {
    let mut out = String::new();
    for f in files {
        let Ok(bytes) = std::fs::read(f) else { continue };
        let name = f.strip_prefix(dir).unwrap_or(f);
        let _ = writeln!(out, "{}  {}", provenance::hex(&Sha256::digest(&bytes)), name.display());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn device(simulated: bool) -> CertifiedDevice {
        CertifiedDevice {
            device: if simulated { "profile:acme-a9".into() } else { "adb:R58M123".into() },
            simulated,
            manufacturer: "Acme".into(),
            model: "A9".into(),
            android_version: "7.1".into(),
            api_level: 25,
            build_id: "NMF26X".into(),
            build_fingerprint: None,
            serial: (!simulated).then(|| "R58M123".into()),
            security_patch: "2018-04-01".into(),
            encryption: "fde".into(),
        }
    }

    /// The golden run as a firmware run: one check cut short by a harness limitation.
    fn run() -> RunRecord {
        let mut run = fixtures::run();
        run.provenance.flags.retain(|(k, _)| k != "swap-profile");
        if let Some(s) = run.scenarios.iter_mut().find(|s| s.line == 12) {
            s.name = "Locking with the power key asks for the passcode on google-pixel-8".into();
            s.steps[1].name = "the device under test \"phone\" runs \"google-pixel-8\" with a 6-digit passcode".into();
            s.outcome = Outcome::Failed {
                step: "When the user of \"phone\" changes the passcode (line 14)".into(),
                message: crate::device::DeviceError::Unsupported(
                    "changing the passcode over adb before Android 8.0 (no locksettings)",
                )
                .to_string(),
            };
        }
        run
    }

    #[test]
    fn a_harness_limitation_is_not_a_firmware_failure() {
        let c = Certificate::new(device(false), &run());
        let limited = c.checks.iter().find(|c| c.location.ends_with(":12")).unwrap();
        assert_eq!(limited.result, CheckResult::NotApplicable);
        assert_eq!(limited.name, "Locking with the power key asks for the passcode on Acme A9");
        assert_eq!(c.checks.iter().filter(|c| c.result == CheckResult::Fail).count(), 1);
        assert_eq!(c.not_run.len(), 2);
        assert_eq!(c.exit_code(), 1);
    }

    #[test]
    fn certificate_goldens() {
        insta::assert_snapshot!("certificate_md", Certificate::new(device(false), &run()).render_markdown());
        insta::assert_snapshot!("certificate_simulated_json", Certificate::new(device(true), &run()).render_json());
    }

    #[test]
    fn the_manifest_is_what_sha256sum_writes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "abc").unwrap();
        let m = manifest(dir.path(), &[dir.path().join("a.txt"), dir.path().join("absent")]);
        assert_eq!(m, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.txt\n");
    }
}
