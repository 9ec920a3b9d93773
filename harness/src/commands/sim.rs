//! `lockstep sim serve`: one simulated device over adb until interrupted.

use crate::cli::SimServeArgs;
use crate::device::standalone::StandaloneDevice;
use android_sim::{DeviceProfile, Passcode};
use std::path::Path;
use std::sync::Arc;

/// The ports an adb server scans for emulators: a device there is listed twice.
pub const ADB_SCANNED_PORTS: std::ops::RangeInclusive<u16> = 5555..=5585;

pub async fn serve(args: &SimServeArgs, fixtures: &Path) -> u8 {
    let secrets = crate::redact::Secrets::default();
    if let Some(p) = &args.passcode {
        secrets.register(p);
    }
    crate::logging::to_stderr(secrets);
    if ADB_SCANNED_PORTS.contains(&args.adb.port()) {
        eprintln!(
            "error: --adb {}: ports 5555-5585 are scanned by the adb server, which would list the device twice; pick another port",
            args.adb
        );
        return crate::EXIT_CONFIG;
    }
    let path = fixtures.join("devices").join(format!("{}.toml", args.profile));
    let profile = match DeviceProfile::load(&path) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let passcode = args.passcode.as_deref().map(Passcode::new);
    let device = match StandaloneDevice::in_use(profile.clone(), args.ownership, passcode.as_ref(), 1) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let config = adbd_sim::AdbdConfig { serial: args.serial.clone(), ..Default::default() };
    let running = match adbd_sim::serve(args.adb, Arc::new(device.shared().clone()), config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.adb);
            return 1;
        }
    };
    let addr = running.addr();
    println!(
        "lockstep sim: {} ({} {}, Android {}, API {}), {}, {}",
        profile.name,
        profile.manufacturer,
        profile.model,
        profile.android_version,
        profile.api_level,
        args.ownership,
        if passcode.is_some() { "passcode set" } else { "no passcode" }
    );
    println!("adb transport listening on {addr}");
    println!("connect with: adb connect {addr}");
    let _ = tokio::signal::ctrl_c().await;
    println!("lockstep sim: stopping");
    running.shutdown().await;
    0
}
