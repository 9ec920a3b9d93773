//! The real `adb` (Debian's package; `.ci/run` installs it) against
//! simulated devices served by `lockstep sim serve`: `adb connect`,
//! `adb shell getprop`, exit codes, and `lockstep run --device adb:…`
//! passing the firmware checks on a conforming profile and failing exactly
//! the PIN-length check on the stale-keyguard profile.
//!
//! Each test starts its own adb server on a private port (never the user's
//! 5037) and kills it at the end; every child process runs under a limit.
//! Without an `adb` binary these tests fail and say how to install it.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod support;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(180);

fn adb_binary() -> &'static str {
    let found = Command::new("adb").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    assert!(
        found.is_ok_and(|s| s.success()),
        "the `adb` binary is not installed: install Debian's adb (`sudo apt-get install adb`); .ci/run installs it"
    );
    "adb"
}

/// Run to completion under [`LIMIT`], killing the child if it overstays.
fn run(mut cmd: Command) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + LIMIT;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{cmd:?} did not finish within {LIMIT:?}: {}", text(&out));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A private adb server, killed when dropped. Its own HOME too: adb keeps
/// its keys in `$HOME/.android` and makes that folder at start, and two
/// servers starting at once on a machine without one race to make it
/// ("Cannot mkdir '/root/.android': File exists", seen on a fresh CI machine).
struct AdbServer {
    port: u16,
    home: tempfile::TempDir,
}

impl AdbServer {
    fn start() -> AdbServer {
        let server = AdbServer { port: support::ports::free_port(), home: tempfile::tempdir().unwrap() };
        let out = run(server.adb(&["start-server"]));
        assert!(out.status.success(), "adb start-server: {}", text(&out));
        server
    }

    fn adb(&self, args: &[&str]) -> Command {
        let mut c = Command::new(adb_binary());
        c.arg("-P").arg(self.port.to_string()).args(args).env("ANDROID_ADB_SERVER_PORT", self.port.to_string());
        c.env("HOME", self.home.path());
        c
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for AdbServer {
    fn drop(&mut self) {
        // Not through `adb()`: its check must not panic again while unwinding.
        let _ = Command::new("adb")
            .args(["-P", &self.port.to_string(), "kill-server"])
            .env("HOME", self.home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `lockstep sim serve`, killed when dropped.
struct Sim {
    child: Child,
    addr: String,
}

impl Sim {
    fn serve(profile: &str) -> Sim {
        let addr = format!("127.0.0.1:{}", support::ports::free_port());
        let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(["sim", "serve", "--profile", profile, "--adb", &addr])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + LIMIT;
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(child.try_wait().unwrap().is_none(), "lockstep sim serve exited early");
            assert!(Instant::now() < deadline, "lockstep sim serve never listened on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Sim { child, addr }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn real_adb_connects_and_reads_the_profile() {
    let server = AdbServer::start();
    let sim = Sim::serve("google-pixel-8");
    let out = run(server.adb(&["connect", &sim.addr]));
    assert!(text(&out).contains(&format!("connected to {}", sim.addr)), "{}", text(&out));
    let out = run(server.adb(&["devices", "-l"]));
    let listed = text(&out);
    assert!(listed.contains(&sim.addr) && listed.contains("device product:google-pixel-8 model:Pixel_8"), "{listed}");
    let out = run(server.adb(&["-s", &sim.addr, "shell", "getprop", "ro.build.version.sdk"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "34", "{}", text(&out));
    assert!(out.status.success());
    // Exit codes come through shell v2.
    let out = run(server.adb(&["-s", &sim.addr, "shell", "locksettings", "frobnicate;", "nosuchcmd"]));
    assert_eq!(out.status.code(), Some(127), "{}", text(&out));
    assert!(text(&out).contains("/system/bin/sh: nosuchcmd: not found"), "{}", text(&out));
}

fn lockstep_run(server: &AdbServer, sim: &Sim, reports: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lockstep"));
    c.args(["run", "--no-progress", "--seed", "3", "--report-dir"])
        .arg(reports)
        .args(["--device", &format!("adb:{}", sim.addr), "--adb-server", &server.addr(), "features/firmware"])
        .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
        // An `adb start-server` that adb_client runs keeps to the server's own HOME.
        .env("HOME", server.home.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    run(c)
}

#[test]
fn the_firmware_checks_pass_over_adb_on_a_conforming_device() {
    let server = AdbServer::start();
    let sim = Sim::serve("google-pixel-8");
    let reports = tempfile::tempdir().unwrap();
    let out = lockstep_run(&server, &sim, reports.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("4 passed, 0 failed"), "{t}");
}

#[test]
fn the_pin_length_check_fails_over_adb_on_the_stale_keyguard() {
    let server = AdbServer::start();
    let sim = Sim::serve("acme-a14-stale-keyguard");
    let reports = tempfile::tempdir().unwrap();
    let out = lockstep_run(&server, &sim, reports.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let failed: Vec<&str> = t.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert_eq!(failed.len(), 1, "{t}");
    assert!(failed[0].contains("The lock screen takes a new 8-digit PIN set in Settings on google-pixel-8"), "{t}");
    assert!(t.contains("submitted on its own after 6 digits"), "{t}");
}
