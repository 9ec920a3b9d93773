//! The adb backend of `DeviceUnderTest`, straight to an adbd-sim device over
//! TCP (adb_client's `ADBTcpDevice`, no adb server): facts from getprop,
//! state from dumpsys, Settings through locksettings, typing through input,
//! a restart, and how it reports a PIN the lock screen cut short.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use adbd_sim::{AdbdConfig, RunningAdbd};
use android_sim::{CredentialHolder, DeviceProfile, Entry, Ownership, Passcode};
use lockstep::device::adb::{AdbDevice, Endpoint};
use lockstep::device::standalone::StandaloneDevice;
use lockstep::device::DeviceUnderTest;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(120);

async fn served(profile: &str) -> (StandaloneDevice, RunningAdbd) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/devices");
    let profile = Arc::new(DeviceProfile::load(&dir.join(format!("{profile}.toml"))).unwrap());
    let device = StandaloneDevice::in_use(profile, Ownership::FullyManaged, None, 3).unwrap();
    let running =
        adbd_sim::serve("127.0.0.1:0".parse().unwrap(), Arc::new(device.shared().clone()), AdbdConfig::default())
            .await
            .unwrap();
    (device, running)
}

async fn scenario(profile: &str) -> (Entry, Entry) {
    let (sim, adbd) = served(profile).await;
    let dut = AdbDevice::connect(Endpoint::Direct(adbd.addr())).await.unwrap();
    assert_eq!(dut.facts().api_level, 34);
    assert_eq!(dut.adb_facts().model, if profile == "google-pixel-8" { "Pixel 8" } else { "Acme A14" });
    assert_eq!(dut.adb_facts().management, Some(Ownership::FullyManaged));

    let six = Passcode::new("135790");
    let eight = Passcode::new("24680246");
    dut.set_passcode_in_settings(CredentialHolder::DeviceUser, None, &six).await.unwrap();
    dut.reboot().await.unwrap();
    let s = dut.state().await.unwrap();
    assert!(s.locked && s.direct_boot, "{s:?}");
    assert_eq!(dut.enter_passcode(CredentialHolder::DeviceUser, &six).await.unwrap(), Entry::Unlocked);
    assert!(!dut.state().await.unwrap().direct_boot);
    // The adb view and the simulated view are one device.
    assert!(!sim.state().await.unwrap().locked);

    dut.set_passcode_in_settings(CredentialHolder::DeviceUser, Some(&six), &eight).await.unwrap();
    dut.press_power().await.unwrap();
    let s = dut.state().await.unwrap();
    assert!(s.locked && !s.screen_on, "{s:?}");
    let wrong = dut.enter_passcode(CredentialHolder::DeviceUser, &Passcode::new("11111111")).await.unwrap();
    let right = dut.enter_passcode(CredentialHolder::DeviceUser, &eight).await.unwrap();
    dut.release(Some(&eight)).await.unwrap_or_else(|e| {
        // Only a conforming device is unlocked here; clearing works either way.
        panic!("release: {e}")
    });
    (wrong, right)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backend_drives_a_conforming_device_over_tcp() {
    let (wrong, right) = tokio::time::timeout(LIMIT, scenario("google-pixel-8")).await.unwrap();
    assert!(matches!(wrong, Entry::Rejected { .. }), "{wrong:?}");
    assert_eq!(right, Entry::Unlocked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backend_infers_a_pin_cut_short_by_a_stale_keyguard() {
    let (_, right) = tokio::time::timeout(LIMIT, scenario("acme-a14-stale-keyguard")).await.unwrap();
    assert_eq!(right, Entry::CutShort { at: 6, failed_attempts: 0, lockout: None });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_android_8_settings_cannot_be_changed_over_adb() {
    let (_sim, adbd) = served("google-pixel-c").await;
    let dut = tokio::time::timeout(LIMIT, AdbDevice::connect(Endpoint::Direct(adbd.addr()))).await.unwrap().unwrap();
    assert_eq!(dut.facts().api_level, 24);
    let e = dut.set_passcode_in_settings(CredentialHolder::DeviceUser, None, &Passcode::new("1234")).await.unwrap_err();
    assert!(e.to_string().contains("no locksettings"), "{e}");
    assert!(dut.god_mode().is_none());
}

/// `lockstep run --device tcp:ADDR`: the firmware checks straight to adbd.
async fn firmware_run_over_tcp(profile: &str) -> Vec<String> {
    let (_sim, adbd) = served(profile).await;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let reports = tempfile::tempdir().unwrap();
    let args = lockstep::cli::RunArgs {
        paths: vec![root.join("features/firmware").display().to_string()],
        seed: Some(11),
        report_dir: Some(reports.path().to_owned()),
        no_progress: true,
        device: Some(format!("tcp:{}", adbd.addr())),
        ..Default::default()
    };
    let config = lockstep::config::resolve(&args, root.join("fixtures")).unwrap();
    assert_eq!(config.concurrency, 1, "a real device runs one scenario at a time");
    let result = tokio::time::timeout(LIMIT, lockstep::runner::run(config)).await.unwrap().unwrap();
    let ran: Vec<_> = result
        .record
        .scenarios
        .iter()
        .filter(|s| !matches!(s.outcome, lockstep::report::Outcome::Skipped { .. }))
        .collect();
    assert_eq!(ran.len(), 4, "the four @device checks ran");
    let skipped =
        result.record.scenarios.iter().find(|s| matches!(s.outcome, lockstep::report::Outcome::Skipped { .. }));
    if let Some(lockstep::report::Outcome::Skipped { reason }) = skipped.map(|s| &s.outcome) {
        assert!(reason.contains("needs the MDM"), "{reason}");
    }
    ran.iter()
        .filter(|s| matches!(s.outcome, lockstep::report::Outcome::Failed { .. }))
        .map(|s| s.name.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_firmware_checks_run_straight_to_adbd() {
    assert_eq!(firmware_run_over_tcp("google-pixel-8").await, Vec::<String>::new());
    assert_eq!(
        firmware_run_over_tcp("acme-a14-stale-keyguard").await,
        vec!["The lock screen takes a new 8-digit PIN set in Settings on google-pixel-8".to_owned()]
    );
}
