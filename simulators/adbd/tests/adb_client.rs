//! adb_client 3.2.3 (`ADBTcpDevice`, the transport protocol straight to the
//! device) against the simulated device: getprop, exit codes (shell v1, so
//! through `echo $?`), locksettings, typing a PIN to unlock, reboot.
//! adb_client is blocking: each call runs on a blocking thread with a limit.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod common;

use adb_client::tcp::ADBTcpDevice;
use adb_client::{ADBDeviceExt, RebootType};
use android_sim::CredentialHolder;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A key adb_client can read, made once per test binary (without one it
/// generates a new RSA key on every connection, which is slow).
fn key_path() -> PathBuf {
    static KEY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("adbd-sim-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("adbkey")
    })
    .clone()
}

/// Run `f` with a fresh adb_client connection, on a blocking thread, bounded.
async fn with_client<R: Send + 'static>(
    addr: SocketAddr,
    f: impl FnOnce(&mut ADBTcpDevice) -> R + Send + 'static,
) -> R {
    let job = tokio::task::spawn_blocking(move || {
        let mut device = ADBTcpDevice::new_with_custom_private_key(addr, key_path()).unwrap();
        f(&mut device)
    });
    tokio::time::timeout(common::LIMIT, job).await.expect("adb_client finished in time").unwrap()
}

fn shell(device: &mut ADBTcpDevice, line: &str) -> String {
    let mut out = Vec::new();
    device.shell_command(&line, Some(&mut out), None).unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getprop_and_exit_codes() {
    let device = common::device("google-pixel-8", None);
    let adbd = common::serve(&device, Default::default()).await;
    let (sdk, model, rc_missing, rc_ok) = with_client(adbd.addr(), |d| {
        (
            shell(d, "getprop ro.build.version.sdk"),
            shell(d, "getprop ro.product.model"),
            shell(d, "locksettings frob; nosuchcmd; echo \"rc=$?\""),
            shell(d, "getprop ro.build.version.sdk >/dev/null; echo rc=$?"),
        )
    })
    .await;
    assert_eq!(sdk, "34\n");
    assert_eq!(model, "Pixel 8\n");
    assert!(rc_missing.ends_with("/system/bin/sh: nosuchcmd: not found\nrc=127\n"), "{rc_missing}");
    assert!(rc_ok.contains("not simulated"), "{rc_ok}");

    // An API 24 device has no locksettings: the shell says so, status 127.
    let old = common::device("google-pixel-c", None);
    let adbd = common::serve(&old, Default::default()).await;
    let out = with_client(adbd.addr(), |d| shell(d, "locksettings set-pin 1234; echo rc=$?")).await;
    assert_eq!(out, "/system/bin/sh: locksettings: not found\nrc=127\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locksettings_then_typing_the_new_pin_unlocks() {
    let device = common::device("google-pixel-8", Some("123456"));
    let adbd = common::serve(&device, Default::default()).await;
    let set = with_client(adbd.addr(), |d| shell(d, "locksettings set-pin --old 123456 48151623")).await;
    assert_eq!(set, "Pin set to '48151623'\n");
    with_client(adbd.addr(), |d| {
        shell(d, "input keyevent KEYCODE_POWER");
        shell(d, "input keyevent KEYCODE_WAKEUP");
        shell(d, "wm dismiss-keyguard");
    })
    .await;
    let shown = with_client(adbd.addr(), |d| shell(d, "dumpsys window policy")).await;
    assert!(shown.contains("isKeyguardShowing=true"), "{shown}");
    with_client(adbd.addr(), |d| shell(d, "input text 48151623")).await;
    assert!(!device.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)), "the new PIN unlocked it");
    let shown = with_client(adbd.addr(), |d| shell(d, "dumpsys window policy")).await;
    assert!(shown.contains("isKeyguardShowing=false"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reboot_restarts_the_device_into_direct_boot() {
    let device = common::device("google-pixel-8", Some("123456"));
    let adbd = common::serve(&device, Default::default()).await;
    let before = with_client(adbd.addr(), |d| shell(d, "cat /proc/sys/kernel/random/boot_id")).await;
    with_client(adbd.addr(), |d| d.reboot(RebootType::System).unwrap()).await;
    // As with a real adbd, the answer to `reboot:` comes before the device
    // restarts: wait for the restart rather than assume it is done (assuming
    // it failed a clean-clone CI run once).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !device.act(|d, _| d.in_direct_boot(CredentialHolder::DeviceUser)) {
        assert!(std::time::Instant::now() < deadline, "the device never restarted into Direct Boot");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (after, ce) = with_client(adbd.addr(), |d| {
        (shell(d, "cat /proc/sys/kernel/random/boot_id"), shell(d, "getprop sys.user.0.ce_available"))
    })
    .await;
    assert_ne!(before, after);
    assert_eq!(ce, "\n", "CE storage stays locked until the first unlock");
}
