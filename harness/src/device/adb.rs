//! The adb backend: a real phone, an emulator or an adbd-sim device, driven
//! over adb with adb_client, either through an adb server (default
//! 127.0.0.1:5037, or a remote one such as a device farm's) or straight to
//! the device over TCP. adb_client is blocking: every call runs on a
//! blocking thread (`spawn_blocking`) under a time limit, so a stuck device
//! never stalls the scenarios on the async runtime.
//!
//! Exit codes: adb_client 3.2.3 returns none (shell v1 has none; its shell
//! v2 reader drops the exit packet), so every command line is sent as
//! `LINE; echo "<marker>$?"` and the status is read back from the output.
//!
//! **How `enter_passcode` infers what the lock screen did.** Over adb the
//! lock screen's field and its failed-attempt counter cannot be read, only
//! whether the keyguard shows. So the backend (1) reads the keyguard: not
//! showing → `NotLocked`; (2) puts the screen to sleep and wakes it (this
//! empties the PIN field) and asks for the bouncer (`wm dismiss-keyguard`,
//! or MENU before API 23); (3) types the passcode with `input text` and
//! reads the keyguard: gone → `Unlocked` (auto-confirm took it); (4) presses
//! ENTER and reads again: gone → `Unlocked` (the OK key took it); (5) still
//! showing: the lock screen either refused the passcode or never submitted
//! all of it. If the passcode typed is the one in force (the backend set
//! it), the lock screen can auto-confirm (a PIN on API 34+), and the PIN in
//! force when the device last restarted through the backend (the length the
//! lock screen read at start) had another length, the entry is reported as
//! `CutShort { at: that length }` (it was shorter) or `AwaitingMoreDigits`
//! (it was longer); otherwise `Rejected`. Failed-attempt counts are
//! reported as 0: they are not observable over adb.

use super::{DeviceError, DeviceFacts, DeviceResult, DeviceState, DeviceUnderTest, GodMode};
use adb_client::server::{ADBServer, DeviceState as AdbState};
use adb_client::server_device::ADBServerDevice;
use adb_client::tcp::ADBTcpDevice;
use adb_client::{ADBDeviceExt, RebootType};
use android_sim::platform::{
    self,
    shell::{self, keycode, ShellFact},
};
use android_sim::{CredentialHolder, Entry, Ownership, Passcode};
use futures::future::{BoxFuture, FutureExt};
use serde::Serialize;
use std::net::{SocketAddr, SocketAddrV4, ToSocketAddrs};
use std::sync::Mutex;
use std::time::Duration;

/// The adb server's default address.
pub const DEFAULT_SERVER: &str = "127.0.0.1:5037";
/// How long one adb command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a restart may take until `sys.boot_completed=1` again.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(240);
/// Ends every command line; the exit status follows it.
const STATUS_MARK: &str = "__lockstep_status=";

/// How to reach the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Through an adb server, by the serial it lists.
    Server { server: SocketAddrV4, serial: String },
    /// Straight to adbd over TCP (the transport protocol, no server).
    Direct(SocketAddr),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Server { server, serial } => write!(f, "adb:{serial} (server {server})"),
            Endpoint::Direct(addr) => write!(f, "adbd at {addr}"),
        }
    }
}

/// Parse `HOST:PORT` of an adb server (IPv4, as adb_client takes it).
pub fn parse_server(text: Option<&str>) -> Result<SocketAddrV4, String> {
    let text = text.unwrap_or(DEFAULT_SERVER);
    let addrs = text.to_socket_addrs().map_err(|e| format!("--adb-server {text}: {e}"))?;
    addrs
        .filter_map(|a| match a {
            SocketAddr::V4(v4) => Some(v4),
            SocketAddr::V6(_) => None,
        })
        .next()
        .ok_or_else(|| format!("--adb-server {text}: no IPv4 address (adb_client talks to servers over IPv4)"))
}

/// adb_client starts a local server with `adb start-server`, which listens
/// on `ANDROID_ADB_SERVER_PORT` (default 5037). For a loopback
/// `--adb-server` on another port, export that port so the started server is
/// the one asked for. Call before any thread is spawned.
pub fn export_server_port(server: Option<&str>) {
    if std::env::var_os("ANDROID_ADB_SERVER_PORT").is_some() {
        return;
    }
    if let Ok(addr) = parse_server(server) {
        if addr.ip().is_loopback() && addr.port() != 5037 {
            std::env::set_var("ANDROID_ADB_SERVER_PORT", addr.port().to_string());
        }
    }
}

/// What the device says about itself over adb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdbFacts {
    pub serial: String,
    pub manufacturer: String,
    pub brand: String,
    pub model: String,
    pub android_version: String,
    pub api_level: u8,
    pub build_id: String,
    /// `ro.build.fingerprint`, or empty.
    pub build_fingerprint: String,
    pub security_patch: String,
    /// `file`, `block`, or empty.
    pub crypto_type: String,
    /// How an MDM manages it, from `dumpsys device_policy`; `None`: unmanaged.
    pub management: Option<Ownership>,
}

/// What the backend knows of the device's lock, having set it itself: the
/// passcode in force (a secret; `Passcode` never prints) and the length of
/// the PIN in force when the device last restarted through the backend (the
/// length the lock screen read at start).
#[derive(Debug, Default)]
struct Known {
    current: Option<Passcode>,
    boot_length: Option<u8>,
}

/// The output and exit status of one command line.
#[derive(Debug, Clone)]
struct Shell {
    text: String,
    status: Option<u8>,
}

/// A device driven over adb.
#[derive(Debug)]
pub struct AdbDevice {
    endpoint: Endpoint,
    facts: DeviceFacts,
    adb_facts: AdbFacts,
    /// What the backend knows of the lock: see [`Known`].
    known: Mutex<Known>,
}

fn blocking_shell(endpoint: &Endpoint, line: &str) -> Result<Shell, String> {
    let wrapped = format!("{line}; echo \"{STATUS_MARK}$?\"");
    let mut out = Vec::new();
    match endpoint {
        Endpoint::Server { server, serial } => {
            let mut d = ADBServerDevice::new(serial.clone(), Some(*server));
            d.shell_command(&wrapped, Some(&mut out), None).map_err(|e| e.to_string())?;
        }
        Endpoint::Direct(addr) => {
            let mut d = ADBTcpDevice::new(*addr).map_err(|e| e.to_string())?;
            d.shell_command(&wrapped, Some(&mut out), None).map_err(|e| e.to_string())?;
        }
    }
    let text = String::from_utf8_lossy(&out).replace("\r\n", "\n");
    match text.rfind(STATUS_MARK) {
        Some(at) => {
            let status = text[at + STATUS_MARK.len()..].trim().parse().ok();
            Ok(Shell { text: text[..at].to_owned(), status })
        }
        None => Ok(Shell { text, status: None }),
    }
}

/// Run a blocking adb_client job off the async runtime, under a time limit.
async fn blocking<R: Send + 'static>(
    what: &str,
    limit: Duration,
    job: impl FnOnce() -> Result<R, String> + Send + 'static,
) -> DeviceResult<R> {
    match tokio::time::timeout(limit, tokio::task::spawn_blocking(job)).await {
        Ok(Ok(Ok(r))) => Ok(r),
        Ok(Ok(Err(e))) => Err(DeviceError::Unreachable(format!("{what}: {e}"))),
        Ok(Err(e)) => Err(DeviceError::Unreachable(format!("{what}: the adb call failed: {e}"))),
        Err(_) => Err(DeviceError::Unreachable(format!("{what}: no answer within {} s", limit.as_secs()))),
    }
}

/// A single-quoted shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

impl AdbDevice {
    /// Reach the device and read its facts. Through a server, a serial of
    /// the form HOST:PORT that the server does not list yet is connected
    /// first (`adb connect`).
    pub async fn connect(endpoint: Endpoint) -> DeviceResult<AdbDevice> {
        if let Endpoint::Server { server, serial } = &endpoint {
            ensure_listed(*server, serial.clone()).await?;
        }
        let props = [
            "ro.build.version.sdk",
            "ro.build.version.release",
            "ro.product.manufacturer",
            "ro.product.brand",
            "ro.product.model",
            "ro.build.id",
            "ro.build.version.security_patch",
            "ro.crypto.type",
            "ro.serialno",
            "ro.build.fingerprint",
        ];
        let line = props.iter().map(|p| format!("getprop {p}")).collect::<Vec<_>>().join("; ");
        let e = endpoint.clone();
        let out =
            blocking("reading the device's properties", COMMAND_TIMEOUT, move || blocking_shell(&e, &line)).await?;
        let v: Vec<String> = out.text.lines().map(|l| l.trim().to_owned()).collect();
        let get = |i: usize| v.get(i).cloned().unwrap_or_default();
        let api_level: u8 = get(0).parse().map_err(|_| {
            DeviceError::Unreachable(format!("{endpoint}: `getprop ro.build.version.sdk` answered {:?}", get(0)))
        })?;
        let e = endpoint.clone();
        let policy =
            blocking("reading device_policy", COMMAND_TIMEOUT, move || blocking_shell(&e, "dumpsys device_policy"))
                .await?;
        let management = management_of(&policy.text);
        let serial = match &endpoint {
            Endpoint::Server { serial, .. } => serial.clone(),
            Endpoint::Direct(addr) => addr.to_string(),
        };
        let adb_facts = AdbFacts {
            serial,
            manufacturer: get(2),
            brand: get(3),
            model: get(4),
            android_version: get(1),
            api_level,
            build_id: get(5),
            build_fingerprint: get(9),
            security_patch: get(6),
            crypto_type: get(7),
            management,
        };
        let facts = DeviceFacts {
            profile: format!("{} {}", adb_facts.manufacturer, adb_facts.model),
            api_level,
            // Our choice: DeviceFacts has no "unmanaged"; such a device reports
            // fully-managed there and `None` in `adb_facts().management`.
            ownership: management.unwrap_or(Ownership::FullyManaged),
        };
        Ok(AdbDevice { endpoint, facts, adb_facts, known: Mutex::default() })
    }

    pub fn adb_facts(&self) -> &AdbFacts {
        &self.adb_facts
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Tell the backend the device's passcode now (when it was set some
    /// other way), for its inference of cut-short entries.
    pub fn assume_passcode(&self, passcode: Option<&Passcode>) {
        self.known.lock().unwrap_or_else(|e| e.into_inner()).current = passcode.cloned();
    }

    async fn sh(&self, what: &str, line: String) -> DeviceResult<Shell> {
        let e = self.endpoint.clone();
        let out = blocking(what, COMMAND_TIMEOUT, move || blocking_shell(&e, &line)).await?;
        if out.status == Some(127) {
            return Err(DeviceError::Unreachable(format!(
                "{what}: the device lacks a command: {}",
                out.text.lines().last().unwrap_or_default()
            )));
        }
        Ok(out)
    }

    /// Read the keyguard, the screen and the boot state in one round trip.
    async fn observe(&self) -> DeviceResult<DeviceState> {
        let out = self
            .sh(
                "reading the lock screen",
                "getprop sys.boot_completed; getprop sys.user.0.ce_available; getprop vold.decrypt; dumpsys power; dumpsys window policy"
                    .into(),
            )
            .await?;
        let api = self.facts.api_level;
        let l = lines(&out.text);
        let booted = l.first().is_some_and(|s| s.trim() == "1");
        let ce_available = l.get(1).is_some_and(|s| s.trim() == "true");
        let awaiting_boot_password = l.get(2).is_some_and(|s| s.trim() == "trigger_restart_min_framework");
        let screen_on = out.text.lines().any(|s| s.trim() == "mWakefulness=Awake");
        let locked = keyguard_showing(&out.text) || awaiting_boot_password;
        let direct_boot = if shell::has(api, ShellFact::CeAvailableProperty) {
            booted && !ce_available
        } else if shell::has(api, ShellFact::AmGetStartedUserState) {
            self.sh("reading the user state", "am get-started-user-state 0".into())
                .await?
                .text
                .contains("RUNNING_LOCKED")
        } else {
            // Our choice: not observable over adb before API 26.
            false
        };
        Ok(DeviceState { screen_on, locked, work_profile_locked: None, direct_boot, awaiting_boot_password })
    }

    async fn key(&self, code: u32) -> DeviceResult<()> {
        self.sh("pressing a key", format!("input keyevent {code}")).await.map(|_| ())
    }

    async fn boot_id(&self) -> DeviceResult<String> {
        Ok(self.sh("reading the boot id", "cat /proc/sys/kernel/random/boot_id".into()).await?.text.trim().to_owned())
    }

    /// Wait until the device is back after a restart: listed by the server
    /// (reconnected if need be), a new boot id, `sys.boot_completed=1`.
    async fn wait_for_boot(&self, old_boot: &str) -> DeviceResult<()> {
        let deadline = tokio::time::Instant::now() + BOOT_TIMEOUT;
        let mut last = String::from("no answer yet");
        loop {
            if tokio::time::Instant::now() >= deadline {
                return Err(DeviceError::Unreachable(format!(
                    "{} did not come back within {} s of the restart ({last})",
                    self.endpoint,
                    BOOT_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            if let Endpoint::Server { server, serial } = &self.endpoint {
                if let Err(e) = ensure_listed(*server, serial.clone()).await {
                    last = e.to_string();
                    continue;
                }
            }
            match self
                .sh("waiting for the boot", "cat /proc/sys/kernel/random/boot_id; getprop sys.boot_completed".into())
                .await
            {
                Ok(out) => {
                    let l = lines(&out.text);
                    let boot = l.first().map(|s| s.trim()).unwrap_or_default();
                    let done = l.get(1).is_some_and(|s| s.trim() == "1");
                    if !boot.is_empty() && boot != old_boot && done {
                        return Ok(());
                    }
                    last = format!("boot id {boot}, sys.boot_completed={}", l.get(1).copied().unwrap_or(""));
                }
                Err(e) => last = e.to_string(),
            }
        }
    }

    /// Remove the credential the scenario left on the device, so the next
    /// scenario finds it as it was.
    pub async fn clear_credential(&self, current: &Passcode) -> DeviceResult<()> {
        if !shell::has(self.facts.api_level, ShellFact::Locksettings) {
            return Ok(());
        }
        let out = self.sh("clearing the lock", format!("locksettings clear --old {}", quote(current.expose()))).await?;
        if out.text.contains("Lock credential cleared") {
            self.assume_passcode(None);
            Ok(())
        } else {
            Err(DeviceError::Unreachable(format!("locksettings clear: {}", out.text.trim())))
        }
    }
}

/// Whether `dumpsys window policy` shows the keyguard, in any API level's form.
pub fn keyguard_showing(dump: &str) -> bool {
    dump.lines().map(str::trim).any(|l| {
        l == "showing=true"
            || l == "isKeyguardShowing=true"
            || l.split_whitespace().any(|w| w == "mShowingLockscreen=true")
    })
}

/// The ownership `dumpsys device_policy` shows, if an MDM manages the device.
pub fn management_of(dump: &str) -> Option<Ownership> {
    if dump.contains("Device Owner:") {
        return Some(Ownership::FullyManaged);
    }
    if dump.contains("Profile Owner (User") {
        let org = dump.lines().any(|l| l.trim() == "isOrganizationOwnedDevice=true");
        return Some(if org { Ownership::WorkProfileCompanyOwned } else { Ownership::WorkProfilePersonal });
    }
    None
}

/// Make sure the server lists `serial` as a device: connect a HOST:PORT
/// serial it does not have (or has offline).
async fn ensure_listed(server: SocketAddrV4, serial: String) -> DeviceResult<()> {
    blocking("asking the adb server for the device", COMMAND_TIMEOUT, move || {
        let mut s = ADBServer::new(server);
        let listed = s.devices().map_err(|e| format!("the adb server at {server}: {e}"))?;
        let state = listed.iter().find(|d| d.identifier == serial).map(|d| d.state.clone());
        match state {
            Some(AdbState::Device) => Ok(()),
            other => {
                let addr: Option<SocketAddrV4> = serial.parse().ok();
                match addr {
                    Some(addr) => {
                        if other.is_some() {
                            let _ = s.disconnect_device(addr);
                        }
                        s.connect_device(addr).map_err(|e| format!("adb connect {addr}: {e}"))?;
                        let listed = s.devices().map_err(|e| e.to_string())?;
                        match listed.iter().find(|d| d.identifier == serial) {
                            Some(d) if d.state == AdbState::Device => Ok(()),
                            Some(d) => Err(format!("{serial} is {}", d.state)),
                            None => Err(format!("{serial} is not listed after adb connect")),
                        }
                    }
                    None => match other {
                        Some(state) => Err(format!("{serial} is {state}, not ready")),
                        None => Err(format!("the adb server at {server} lists no device {serial}")),
                    },
                }
            }
        }
    })
    .await
}

/// The serials the server lists as ready devices.
pub async fn list_devices(server: SocketAddrV4) -> DeviceResult<Vec<(String, String)>> {
    blocking("listing devices", COMMAND_TIMEOUT, move || {
        let mut s = ADBServer::new(server);
        let listed = s.devices().map_err(|e| format!("the adb server at {server}: {e}"))?;
        Ok(listed.into_iter().map(|d| (d.identifier, d.state.to_string())).collect())
    })
    .await
}

impl DeviceUnderTest for AdbDevice {
    fn facts(&self) -> &DeviceFacts {
        &self.facts
    }

    fn state(&self) -> BoxFuture<'_, DeviceResult<DeviceState>> {
        self.observe().boxed()
    }

    fn enter_passcode<'a>(
        &'a self,
        holder: CredentialHolder,
        passcode: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<Entry>> {
        async move {
            if holder == CredentialHolder::WorkProfile {
                return Err(DeviceError::Unsupported("typing the work challenge over adb"));
            }
            let before = self.observe().await?;
            if !before.locked {
                return Ok(Entry::NotLocked);
            }
            let api = self.facts.api_level;
            // Sleep and wake: the PIN field starts empty. Then the bouncer.
            let bouncer = if shell::has(api, ShellFact::WmDismissKeyguard) {
                "wm dismiss-keyguard".to_owned()
            } else {
                format!("input keyevent {}", keycode::MENU)
            };
            let wake = if before.awaiting_boot_password {
                String::new()
            } else {
                format!("input keyevent {}; input keyevent {}; {bouncer}; ", keycode::SLEEP, keycode::WAKEUP)
            };
            let text = passcode.expose().replace(' ', "%s");
            self.sh("typing the passcode", format!("{wake}input text {}", quote(&text))).await?;
            if !self.observe().await?.locked {
                return Ok(Entry::Unlocked);
            }
            self.key(keycode::ENTER).await?;
            if !self.observe().await?.locked {
                return Ok(Entry::Unlocked);
            }
            let typed = u8::try_from(passcode.len()).unwrap_or(u8::MAX);
            let (boot_length, is_current) = {
                let k = self.known.lock().unwrap_or_else(|e| e.into_inner());
                (k.boot_length, k.current.as_ref() == Some(passcode))
            };
            // Only the passcode in force can have been "cut short": a wrong
            // one is rejected whatever the lock screen's length.
            Ok(match boot_length {
                Some(at)
                    if is_current && platform::has_pin_auto_confirm(api) && passcode.is_numeric() && at < typed =>
                {
                    Entry::CutShort { at, failed_attempts: 0, lockout: None }
                }
                Some(expected)
                    if is_current
                        && platform::has_pin_auto_confirm(api)
                        && passcode.is_numeric()
                        && expected > typed =>
                {
                    Entry::AwaitingMoreDigits { typed, expected }
                }
                _ => Entry::Rejected { failed_attempts: 0, lockout: None },
            })
        }
        .boxed()
    }

    fn press_power(&self) -> BoxFuture<'_, DeviceResult<()>> {
        self.key(keycode::POWER).boxed()
    }

    fn reboot(&self) -> BoxFuture<'_, DeviceResult<()>> {
        async move {
            let old = self.boot_id().await?;
            let e = self.endpoint.clone();
            blocking("restarting", COMMAND_TIMEOUT, move || match &e {
                Endpoint::Server { server, serial } => ADBServerDevice::new(serial.clone(), Some(*server))
                    .reboot(RebootType::System)
                    .map_err(|e| e.to_string()),
                Endpoint::Direct(addr) => {
                    let mut d = ADBTcpDevice::new(*addr).map_err(|e| e.to_string())?;
                    d.reboot(RebootType::System).map_err(|e| e.to_string())
                }
            })
            .await?;
            {
                let mut k = self.known.lock().unwrap_or_else(|e| e.into_inner());
                k.boot_length = k.current.as_ref().and_then(|p| u8::try_from(p.len()).ok());
            }
            self.wait_for_boot(&old).await
        }
        .boxed()
    }

    fn set_passcode_in_settings<'a>(
        &'a self,
        holder: CredentialHolder,
        current: Option<&'a Passcode>,
        new: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<()>> {
        async move {
            if !shell::has(self.facts.api_level, ShellFact::Locksettings) {
                return Err(DeviceError::Unsupported(
                    "changing the passcode over adb before Android 8.0 (no locksettings)",
                ));
            }
            let user = match holder {
                CredentialHolder::DeviceUser => String::new(),
                CredentialHolder::WorkProfile => "--user 10 ".into(),
            };
            let command = if new.is_numeric() { "set-pin" } else { "set-password" };
            let old = current.map(|c| format!("--old {} ", quote(c.expose()))).unwrap_or_default();
            let out = self
                .sh("changing the passcode", format!("locksettings {command} {user}{old}{}", quote(new.expose())))
                .await?;
            if out.text.contains(" set to '") {
                if holder == CredentialHolder::DeviceUser {
                    self.assume_passcode(Some(new));
                }
                Ok(())
            } else {
                Err(DeviceError::Unreachable(format!(
                    "locksettings {command} refused the new passcode: {}",
                    out.text.trim()
                )))
            }
        }
        .boxed()
    }

    fn god_mode(&self) -> Option<&dyn GodMode> {
        None
    }

    fn release<'a>(&'a self, passcode: Option<&'a Passcode>) -> BoxFuture<'a, DeviceResult<()>> {
        async move {
            match passcode {
                Some(p) => self.clear_credential(p).await,
                None => Ok(()),
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyguard_lines_of_every_level() {
        assert!(keyguard_showing("    mShowingLockscreen=true mDreamingLockscreen=false\n"));
        assert!(!keyguard_showing("    mShowingLockscreen=false mDreamingLockscreen=false\n"));
        assert!(keyguard_showing("    KeyguardServiceDelegate\n      showing=true\n"));
        assert!(keyguard_showing("    isKeyguardShowing=true\n"));
        assert!(!keyguard_showing("    isKeyguardShowing=false\n      showing=false\n"));
    }

    #[test]
    fn management_from_device_policy() {
        assert_eq!(management_of("  Device Owner: \n    admin=x\n"), Some(Ownership::FullyManaged));
        assert_eq!(
            management_of("  Profile Owner (User 10): \n    isOrganizationOwnedDevice=true\n"),
            Some(Ownership::WorkProfileCompanyOwned)
        );
        assert_eq!(management_of("Current Device Policy Manager state:\n"), None);
    }

    #[test]
    fn server_addresses() {
        assert_eq!(parse_server(None), Ok("127.0.0.1:5037".parse().unwrap_or_else(|e| panic!("{e}"))));
        assert!(parse_server(Some("nonsense")).is_err());
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
