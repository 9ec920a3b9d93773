//! Servers a test runs as processes of their own (`lockstep mdm serve`,
//! the example shim): started, waited for until they answer, and killed
//! when the test is done with them, whatever happens.

#![allow(dead_code)] // each test crate uses what it needs

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process; dropping it kills it.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long a server gets to answer its first request. Our choice: far
/// above the second or so either takes; a test only waits this long when
/// something is broken.
const START: Duration = Duration::from_secs(60);

impl Server {
    /// Start `command` and wait until `GET {url}{probe}` gets any HTTP answer.
    pub(crate) fn start(mut command: Command, url: String, probe: &str) -> Server {
        let child = command.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("the server starts");
        let mut server = Server { child, url };
        let deadline = Instant::now() + START;
        let addr: SocketAddr = server
            .url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .and_then(|a| a.parse().ok())
            .expect("a loopback http URL");
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{} exited before answering: {status}", server.url);
            }
            if answers(addr, probe) {
                return server;
            }
            assert!(Instant::now() < deadline, "{} did not answer {probe} within {START:?}", server.url);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Whether an HTTP server at `addr` answers `GET path` at all.
fn answers(addr: SocketAddr, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// `lockstep mdm serve` at `addr`, its AMAPI and SMTP at the addresses a
/// later `lockstep run --amapi-listen --smtp-listen` will serve.
pub(crate) fn mdm_serve(addr: SocketAddr, amapi: SocketAddr, smtp: SocketAddr, extra: &[&str]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockstep"));
    command
        .args(["mdm", "serve", "--addr", &addr.to_string(), "--amapi", &format!("http://{amapi}")])
        .args(["--enterprise", "enterprises/LC0lockstep", "--smtp", &smtp.to_string()])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn");
    Server::start(command, format!("http://{addr}"), "/lockstep/v1/about")
}

/// The Python the tests run: `LOCKSTEP_PYTHON` (.ci/run's venv), else `python3`.
pub(crate) fn python() -> String {
    std::env::var("LOCKSTEP_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into())
}
