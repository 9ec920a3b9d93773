//! `lockstep certify --device adb:SERIAL|profile:NAME`: the device-side
//! firmware checks (@device, default features/firmware) against one device,
//! and a certificate of the result: `certificate.json` and `certificate.md`
//! in the report directory, with the device's facts and each check's
//! outcome. Exit 0 when every check passed, 1 when one failed, 2 on a usage
//! or configuration error. (The full certification report comes later.)

use crate::cli::{CertifyArgs, RunArgs};
use crate::config::{self, DeviceChoice};
use crate::device::adb::{AdbDevice, Endpoint};
use crate::report::Outcome;
use crate::runner;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The device a certificate is about.
#[derive(Debug, Serialize)]
pub struct CertifiedDevice {
    pub device: String,
    pub manufacturer: String,
    pub model: String,
    pub android_version: String,
    pub api_level: u8,
    pub build_id: String,
    pub security_patch: String,
    pub encryption: String,
}

/// One check and how it went.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub location: String,
    pub requirements: Vec<String>,
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Certificate {
    pub device: CertifiedDevice,
    pub passed: bool,
    pub checks: Vec<Check>,
    pub seed: u64,
}

pub async fn execute(args: &CertifyArgs, fixtures: PathBuf) -> u8 {
    let Some(device) = &args.run.device else {
        eprintln!("error: certify needs --device adb:SERIAL|tcp:HOST:PORT|profile:NAME");
        return crate::EXIT_CONFIG;
    };
    let device_tag = format!("@{}", crate::tags::DEVICE_TAG);
    let run_args = RunArgs {
        paths: if args.run.paths.is_empty() { vec!["features/firmware".into()] } else { args.run.paths.clone() },
        tags: Some(match &args.run.tags {
            Some(t) => format!("{device_tag} and ({t})"),
            None => device_tag,
        }),
        no_progress: true,
        device: Some(device.clone()),
        ..args.run.clone()
    };
    let config = match config::resolve(&run_args, fixtures.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let device = match describe(&config.device, &fixtures).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    println!(
        "lockstep certify: {} ({} {}, API {})",
        device.device, device.manufacturer, device.model, device.api_level
    );
    let report_dir = config.report_dir.clone();
    let result = match runner::run(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    print!("{}", runner::summary(&result));
    if !result.record.parse_failures.is_empty() {
        return crate::EXIT_CONFIG;
    }
    let checks: Vec<Check> = result
        .record
        .scenarios
        .iter()
        .map(|s| {
            let (result, detail) = match &s.outcome {
                Outcome::Passed => ("pass", None),
                Outcome::Failed { step, message } => ("fail", Some(format!("{step}: {message}"))),
                Outcome::Skipped { reason } => ("skipped", Some(reason.clone())),
            };
            Check {
                name: s.name.clone(),
                location: s.location(),
                requirements: s.tags.iter().filter(|t| t.contains('-')).cloned().collect(),
                result,
                detail,
            }
        })
        .collect();
    let passed = !checks.is_empty() && checks.iter().all(|c| c.result == "pass");
    let certificate = Certificate { device, passed, checks, seed: result.record.seed };
    let json = serde_json::to_string_pretty(&certificate).unwrap_or_default();
    let md = markdown(&certificate);
    for (name, text) in [("certificate.json", json), ("certificate.md", md)] {
        let path = report_dir.join(name);
        if let Err(e) = std::fs::write(&path, result.secrets.redact(&text)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return crate::EXIT_CONFIG;
        }
        println!("certificate: {}", path.display());
    }
    if passed {
        0
    } else {
        1
    }
}

/// The facts of the device to certify.
async fn describe(choice: &DeviceChoice, fixtures: &std::path::Path) -> Result<CertifiedDevice, String> {
    match choice {
        DeviceChoice::Adb(endpoint) => {
            let d = AdbDevice::connect(endpoint.clone()).await.map_err(|e| e.to_string())?;
            let serial = match endpoint {
                Endpoint::Server { serial, .. } => serial.clone(),
                Endpoint::Direct(addr) => format!("tcp:{addr}"),
            };
            let f = d.adb_facts();
            Ok(CertifiedDevice {
                device: if serial.starts_with("tcp:") { serial.clone() } else { format!("adb:{serial}") },
                manufacturer: f.manufacturer.clone(),
                model: f.model.clone(),
                android_version: f.android_version.clone(),
                api_level: f.api_level,
                build_id: f.build_id.clone(),
                security_patch: f.security_patch.clone(),
                encryption: f.crypto_type.clone(),
            })
        }
        DeviceChoice::Profile(name) => {
            let p = android_sim::DeviceProfile::load(&fixtures.join("devices").join(format!("{name}.toml")))
                .map_err(|e| e.to_string())?;
            Ok(CertifiedDevice {
                device: format!("profile:{name}"),
                manufacturer: p.manufacturer,
                model: p.model,
                android_version: p.android_version,
                api_level: p.api_level,
                build_id: p.build_id,
                security_patch: p.security_patch,
                encryption: p.encryption.as_str().to_owned(),
            })
        }
        DeviceChoice::Embedded => Err("--device adb:SERIAL or profile:NAME is required".into()),
    }
}

fn markdown(c: &Certificate) -> String {
    let d = &c.device;
    let mut s = String::new();
    let _ = writeln!(s, "# Firmware checks: {} {}\n", d.manufacturer, d.model);
    let _ = writeln!(s, "**Result: {}**\n", if c.passed { "PASSED" } else { "FAILED" });
    let _ = writeln!(s, "| Fact | Value |\n|---|---|");
    for (k, v) in [
        ("Device", d.device.clone()),
        ("Android", format!("{} (API {})", d.android_version, d.api_level)),
        ("Build", d.build_id.clone()),
        ("Security patch", d.security_patch.clone()),
        ("Encryption", d.encryption.clone()),
        ("Seed", c.seed.to_string()),
    ] {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    let _ = writeln!(s, "\n| Check | Requirements | Result |\n|---|---|---|");
    for check in &c.checks {
        let _ = writeln!(s, "| {} | {} | {} |", check.name, check.requirements.join(" "), check.result);
    }
    for check in c.checks.iter().filter(|c| c.result != "pass") {
        let _ = writeln!(s, "\n**{}** ({}): {}", check.name, check.location, check.detail.as_deref().unwrap_or(""));
    }
    s
}
