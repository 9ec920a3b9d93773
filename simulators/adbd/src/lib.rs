//! adbd-sim: a simulated Android device that speaks the adb transport
//! protocol on a loopback TCP port, so the real `adb` (through its server,
//! after `adb connect`) and adb_client can drive an `android_sim::Device`.
//!
//! - [`protocol`]: the 24-byte messages, checksums, shell protocol v2 framing.
//! - [`server`]: the listener and one task per connection (CNXN without
//!   auth, streams with local and remote ids, flow control, timeouts).
//! - [`shell`] and [`commands`]: what `shell:` and `exec:` run, answered as
//!   the device's API level would.
//!
//! The device is not owned here: a [`DeviceHost`] lends it, so the adb view
//! and the simulated view stay one device. See README.md for every choice
//! the platform notes leave open.

pub mod commands;
pub mod host;
pub mod protocol;
pub mod server;
pub mod shell;

pub use host::{act, DeviceHost, HostError, SharedDevice};
pub use server::{serve, AdbdConfig, RunningAdbd};
pub use shell::{Channel, Output};

use android_sim::{Device, Entry, SimTime};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What the lock screen holds besides the device: the characters typed so
/// far, and `locksettings set-disabled`.
#[derive(Debug, Default)]
struct Panel {
    typed: String,
    lock_screen_disabled: bool,
}

/// One simulated device as adbd sees it: the device (through its host), its
/// serial number, the lock screen's text field, and a boot counter.
pub struct SimulatedAdbd {
    host: Arc<dyn DeviceHost>,
    serial: String,
    panel: Mutex<Panel>,
    boots: AtomicU64,
}

impl fmt::Debug for SimulatedAdbd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatedAdbd").field("serial", &self.serial).finish_non_exhaustive()
    }
}

impl SimulatedAdbd {
    pub fn new(host: Arc<dyn DeviceHost>, serial: impl Into<String>) -> Self {
        SimulatedAdbd { host, serial: serial.into(), panel: Mutex::default(), boots: AtomicU64::new(1) }
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    pub fn host(&self) -> &Arc<dyn DeviceHost> {
        &self.host
    }

    /// Run `f` on the device.
    pub fn with<R>(&self, f: impl FnOnce(&mut Device, SimTime) -> R) -> Result<R, HostError> {
        act(self.host.as_ref(), f)
    }

    pub fn api_level(&self) -> u8 {
        self.with(|d, _| d.api_level()).unwrap_or(0)
    }

    /// Run a shell command line, as `adb shell LINE` would.
    pub fn run_shell(&self, line: &str) -> Output {
        shell::run(self, line)
    }

    /// Restart the device (the `reboot:` service).
    pub fn reboot(&self) {
        let _ = self.with(|d, _| d.reboot());
        self.boots.fetch_add(1, Ordering::SeqCst);
        self.clear_typed();
    }

    /// A value that changes with every restart through adb, shaped like
    /// Linux's boot id.
    pub fn boot_id(&self) -> String {
        let n = self.boots.load(Ordering::SeqCst);
        let serial_sum = self.serial.bytes().fold(0u32, |s, b| s.wrapping_mul(31).wrapping_add(u32::from(b)));
        format!("{serial_sum:08x}-0000-4000-8000-{n:012x}")
    }

    /// The device banner sent with CNXN: product properties and features.
    /// Our choice: shell_v2 and cmd only from API 24, where adbd got them.
    pub fn banner(&self) -> String {
        let (name, model, api) = self
            .with(|d, _| (d.profile().name.clone(), d.profile().model.clone(), d.api_level()))
            .unwrap_or_else(|_| ("unknown".into(), "unknown".into(), 0));
        let features =
            if android_sim::platform::shell::has(api, android_sim::platform::shell::ShellFact::AmGetCurrentUser) {
                "shell_v2,cmd"
            } else {
                ""
            };
        format!(
            "device::ro.product.name={name};ro.product.model={};ro.product.device={name};features={features}",
            model.replace([' ', ';', ':'], "_")
        )
    }

    fn panel(&self) -> std::sync::MutexGuard<'_, Panel> {
        self.panel.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn clear_typed(&self) {
        self.panel().typed.clear();
    }

    pub(crate) fn set_lock_screen_disabled(&self, disabled: bool) {
        self.panel().lock_screen_disabled = disabled;
    }

    pub(crate) fn lock_screen_disabled(&self) -> bool {
        self.panel().lock_screen_disabled
    }

    /// `input text`: characters into the lock screen's field.
    pub(crate) fn type_text(&self, text: &str) -> Option<Entry> {
        let mut panel = self.panel();
        let typed = &mut panel.typed;
        self.with(|d, now| commands::type_into_keyguard(d, typed, text, now)).ok().flatten()
    }

    /// `input keyevent`: one key.
    pub(crate) fn key(&self, code: u32) -> Option<Entry> {
        let mut panel = self.panel();
        let typed = &mut panel.typed;
        self.with(|d, now| commands::press_key(d, typed, code, now)).ok().flatten()
    }
}
