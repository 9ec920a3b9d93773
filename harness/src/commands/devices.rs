//! `lockstep devices`: the device profiles Lockstep can simulate.

use crate::cli::DevicesArgs;
use android_sim::DeviceProfile;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// One profile as `lockstep devices` shows it.
#[derive(Debug, Serialize)]
pub struct Listing<'a> {
    pub name: &'a str,
    pub manufacturer: &'a str,
    pub model: &'a str,
    pub android_version: &'a str,
    pub api_level: u8,
    pub encryption: &'static str,
    pub ownership_modes: Vec<&'static str>,
    pub pin_auto_confirm: bool,
    pub pin_length_refresh: &'static str,
    pub quirks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_control_of: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub breaks: &'a [String],
}

impl<'a> From<&'a DeviceProfile> for Listing<'a> {
    fn from(p: &'a DeviceProfile) -> Self {
        Listing {
            name: &p.name,
            manufacturer: &p.manufacturer,
            model: &p.model,
            android_version: &p.android_version,
            api_level: p.api_level,
            encryption: p.encryption.as_str(),
            ownership_modes: p.ownership_modes.iter().map(|o| o.as_str()).collect(),
            pin_auto_confirm: p.keyguard.pin_auto_confirm,
            pin_length_refresh: p.keyguard.pin_length_refresh.as_str(),
            quirks: p.quirk_labels(),
            negative_control_of: p.conformance.negative_control_of.as_deref(),
            breaks: &p.conformance.breaks,
        }
    }
}

/// The profiles in `dir` that match the filters, sorted by API level then name.
pub fn select(dir: &Path, args: &DevicesArgs) -> Result<Vec<DeviceProfile>, android_sim::ProfileError> {
    let mut profiles: Vec<DeviceProfile> = DeviceProfile::load_dir(dir)?
        .into_iter()
        .filter(|p| args.api.is_none_or(|api| p.api_level == api))
        .filter(|p| args.ownership.is_none_or(|o| p.supports(o)))
        .collect();
    profiles.sort_by(|a, b| (a.api_level, &a.name).cmp(&(b.api_level, &b.name)));
    Ok(profiles)
}

/// Render the listing as JSON (an array) or as a table.
pub fn render(profiles: &[DeviceProfile], json: bool) -> String {
    let listings: Vec<Listing<'_>> = profiles.iter().map(Listing::from).collect();
    if json {
        let mut out = serde_json::to_string_pretty(&listings).unwrap_or_default();
        out.push('\n');
        return out;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<32} {:>3} {:<7} {:<10} {:<44} QUIRKS",
        "PROFILE", "API", "ANDROID", "ENCRYPTION", "OWNERSHIP MODES"
    );
    for l in &listings {
        let modes = l.ownership_modes.iter().map(|m| abbreviate(m)).collect::<Vec<_>>().join(",");
        let mut quirks = l.quirks.join(",");
        if let Some(twin) = l.negative_control_of {
            let _ = write!(quirks, " (negative control of {twin}; breaks {})", l.breaks.join(" "));
        }
        if quirks.is_empty() {
            quirks.push('-');
        }
        let _ = writeln!(
            out,
            "{:<32} {:>3} {:<7} {:<10} {:<44} {}",
            l.name, l.api_level, l.android_version, l.encryption, modes, quirks
        );
    }
    let _ = writeln!(out, "\n{} profiles. Modes: FM fully-managed, DED dedicated, WP work-profile-personal, COPE work-profile-company-owned, DA legacy-device-admin.", listings.len());
    out
}

fn abbreviate(mode: &str) -> &'static str {
    match mode {
        "fully-managed" => "FM",
        "dedicated" => "DED",
        "work-profile-personal" => "WP",
        "work-profile-company-owned" => "COPE",
        _ => "DA",
    }
}

/// `lockstep devices --adb`: the devices an adb server has, with the facts
/// each reports over adb.
pub async fn adb(args: &DevicesArgs) -> u8 {
    use crate::device::adb::{self as backend, AdbDevice, Endpoint};
    let server = match backend::parse_server(args.adb_server.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let listed = match backend::list_devices(server).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let mut facts = Vec::new();
    let mut others = Vec::new();
    for (serial, state) in listed {
        if state != "device" {
            others.push((serial, state));
            continue;
        }
        match AdbDevice::connect(Endpoint::Server { server, serial: serial.clone() }).await {
            Ok(d) => facts.push(d.adb_facts().clone()),
            Err(e) => others.push((serial, format!("unreadable: {e}"))),
        }
    }
    if args.json {
        let value = serde_json::json!({ "server": server.to_string(), "devices": facts, "not_ready": others.iter().map(|(s, st)| serde_json::json!({ "serial": s, "state": st })).collect::<Vec<_>>() });
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        return 0;
    }
    println!(
        "{:<24} {:<10} {:<16} {:>3} {:<7} {:<6} {:<22} BUILD",
        "SERIAL", "MAKER", "MODEL", "API", "ANDROID", "CRYPTO", "MANAGED"
    );
    for f in &facts {
        println!(
            "{:<24} {:<10} {:<16} {:>3} {:<7} {:<6} {:<22} {}",
            f.serial,
            f.manufacturer,
            f.model,
            f.api_level,
            f.android_version,
            f.crypto_type,
            f.management.map_or("no", |m| m.as_str()),
            f.build_id
        );
    }
    for (serial, state) in &others {
        println!("{serial:<24} ({state})");
    }
    println!("\n{} device(s) ready on the adb server at {server}.", facts.len());
    0
}
