//! `lockstep certify --device adb:SERIAL|profile:NAME`: the device-side
//! firmware checks (@device, default features/firmware) against one device,
//! the run's reports, and the device's certificate beside them
//! (report::certificate: `certificate.json`, `certificate.md`, and
//! `SHA256SUMS` over the bundle). Exit 0 when every check that applies
//! passed, 1 when one failed, 2 on a usage or configuration error, 4 when
//! no check applied.

use crate::cli::{CertifyArgs, RunArgs};
use crate::config::{self, DeviceChoice};
use crate::device::adb::{AdbDevice, Endpoint};
use crate::report::certificate::{self, Certificate, CertifiedDevice};
use crate::report::files::write_atomically;
use crate::runner;
use std::path::PathBuf;

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
    let certificate = Certificate::new(device, &result.record);
    let mut bundle = result.reports.clone();
    for (name, text) in [
        (certificate::JSON_FILE, certificate.render_json()),
        (certificate::MARKDOWN_FILE, certificate.render_markdown()),
    ] {
        match write_atomically(&report_dir, name, &result.secrets.redact(&text)) {
            Ok(path) => {
                println!("certificate: {}", path.display());
                bundle.push(path);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return crate::EXIT_CONFIG;
            }
        }
    }
    if let Err(e) =
        write_atomically(&report_dir, certificate::MANIFEST_FILE, &certificate::manifest(&report_dir, &bundle))
    {
        eprintln!("error: {e}");
        return crate::EXIT_CONFIG;
    }
    certificate.exit_code()
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
                simulated: false,
                build_fingerprint: Some(f.build_fingerprint.clone()).filter(|s| !s.is_empty()),
                serial: Some(f.serial.clone()).filter(|s| !s.is_empty()),
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
                simulated: true,
                build_fingerprint: Some(p.build_fingerprint()),
                serial: None,
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
