//! The listener and its connections. Each connection is one task that reads
//! messages, answers them, and keeps the state of its streams: our id, the
//! peer's id, the chunks still to send, and whether a WRTE awaits its OKAY
//! (one write in flight per stream, as the protocol asks).
//!
//! Nothing a peer sends can panic or hang the server: a malformed message
//! ends that connection with a logged reason, a message that stops half-way
//! ends it after `packet_timeout`, and a peer that stops acknowledging ends
//! it after `ack_timeout`. An idle connection between messages is kept: an
//! adb server holds its device connections open for as long as it runs;
//! but a new connection must send its CNXN within `handshake_timeout`, and
//! at most `max_connections` are served at once (the rest wait in the
//! backlog), so silent peers cannot exhaust the process's descriptors.

use crate::protocol::{
    self, read_packet, shell_v2, Packet, ProtocolError, A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_STLS, A_SYNC,
    A_VERSION_MIN, A_VERSION_SKIP_CHECKSUM, A_WRTE, MAX_PAYLOAD,
};
use crate::shell::Channel;
use crate::{DeviceHost, SimulatedAdbd};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The pause between the two OKAYs that answer `reboot:`.
const REBOOT_QUIET: Duration = Duration::from_millis(100);
/// How long a rebooting device waits for the peer to hang up.
const REBOOT_LINGER: Duration = Duration::from_secs(2);

/// How the simulated adbd serves.
#[derive(Debug, Clone)]
pub struct AdbdConfig {
    /// The serial number (`ro.serialno`). The adb server lists a TCP device
    /// by its address instead.
    pub serial: String,
    /// Once a message has started to arrive, how long the rest may take.
    pub packet_timeout: Duration,
    /// How long to wait for the OKAY that acknowledges one of our WRTEs.
    pub ack_timeout: Duration,
    /// How long one write to the socket may block.
    pub write_timeout: Duration,
    /// How long a new connection may take to send its CNXN (a silent peer
    /// is dropped after this).
    pub handshake_timeout: Duration,
    /// Connections served at once; the rest wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for AdbdConfig {
    fn default() -> Self {
        AdbdConfig {
            serial: "LOCKSTEP0001".into(),
            packet_timeout: Duration::from_secs(5),
            ack_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            // Our choice: 10 s for the CNXN and 64 connections, well under
            // a 256-descriptor limit; an adb server needs one.
            handshake_timeout: Duration::from_secs(10),
            max_connections: 64,
        }
    }
}

/// A simulated device listening for adb. Dropping it stops the listener and
/// ends every connection.
#[derive(Debug)]
pub struct RunningAdbd {
    addr: SocketAddr,
    adbd: Arc<SimulatedAdbd>,
    incidents: Arc<Mutex<Vec<String>>>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningAdbd {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The device as adbd sees it (run shell lines without a socket).
    pub fn adbd(&self) -> &Arc<SimulatedAdbd> {
        &self.adbd
    }

    /// Every connection that ended on a peer's fault, with the reason, in
    /// the order they happened (also logged as warnings).
    pub fn incidents(&self) -> Vec<String> {
        self.incidents.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stop listening and end every connection.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningAdbd {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Listen on `addr` (e.g. `127.0.0.1:0`) and serve the device behind `host`.
/// Our choice: stay off 5555–5585, which an adb server scans for emulators
/// (it would list the device twice); callers pick the port.
pub async fn serve(addr: SocketAddr, host: Arc<dyn DeviceHost>, config: AdbdConfig) -> std::io::Result<RunningAdbd> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let adbd = Arc::new(SimulatedAdbd::new(host, config.serial.clone()));
    let incidents: Arc<Mutex<Vec<String>>> = Arc::default();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(tracing::Instrument::in_current_span(accept_loop(
        listener,
        adbd.clone(),
        Arc::new(config),
        incidents.clone(),
        stopped,
    )));
    tracing::info!(%addr, "adbd-sim listening");
    Ok(RunningAdbd { addr, adbd, incidents, stop, task: Some(task) })
}

async fn accept_loop(
    listener: TcpListener,
    adbd: Arc<SimulatedAdbd>,
    config: Arc<AdbdConfig>,
    incidents: Arc<Mutex<Vec<String>>>,
    mut stopped: watch::Receiver<bool>,
) {
    // A reboot through one connection ends all of them: the device went down.
    let (reboots, _) = watch::channel(0u64);
    let reboots = Arc::new(reboots);
    let mut connections = JoinSet::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    loop {
        // Accept only with a free slot: the rest wait in the backlog, and the
        // process never runs out of descriptors.
        let permit = tokio::select! {
            _ = stopped.changed() => break,
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let conn = Connection::new(adbd.clone(), config.clone(), peer, reboots.clone());
                    let incidents = incidents.clone();
                    connections.spawn(async move {
                        let _permit = permit;
                        if let Err(reason) = conn.run(stream).await {
                            tracing::warn!(%peer, "adbd-sim: closing the connection: {reason}");
                            incidents.lock().unwrap_or_else(|e| e.into_inner()).push(format!("{peer}: {reason}"));
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("adbd-sim: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// Why a connection ended on the peer's fault.
#[derive(Debug, thiserror::Error)]
enum ConnectionError {
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    #[error("the peer did not acknowledge stream {stream}'s write within {timeout:?} (it vanished mid-stream?)")]
    NoAck { stream: u32, timeout: Duration },
    #[error("the peer sent no CNXN within {0:?}")]
    NoHandshake(Duration),
    #[error("{0} arrived before CNXN; the connection was never set up")]
    BeforeConnect(String),
    #[error("writing to the peer failed: {0}")]
    Write(std::io::Error),
    #[error("writing to the peer blocked for {0:?} (it stopped reading?)")]
    WriteTimeout(Duration),
}

/// One open stream of a connection.
#[derive(Debug)]
struct Stream {
    remote: u32,
    chunks: VecDeque<Vec<u8>>,
    /// When the WRTE in flight must be acknowledged by.
    awaiting_ack: Option<Instant>,
}

struct Connection {
    adbd: Arc<SimulatedAdbd>,
    config: Arc<AdbdConfig>,
    peer: SocketAddr,
    reboots: Arc<watch::Sender<u64>>,
    connected: bool,
    max_payload: usize,
    next_id: u32,
    streams: HashMap<u32, Stream>,
}

/// What handling a message asks of the connection.
enum After {
    Continue,
    /// The device restarts: the connection goes down with it.
    Reboot {
        id: u32,
        remote: u32,
    },
}

impl Connection {
    fn new(
        adbd: Arc<SimulatedAdbd>,
        config: Arc<AdbdConfig>,
        peer: SocketAddr,
        reboots: Arc<watch::Sender<u64>>,
    ) -> Self {
        Connection {
            adbd,
            config,
            peer,
            reboots,
            connected: false,
            max_payload: protocol::MAX_PAYLOAD_V1,
            next_id: 1,
            streams: HashMap::new(),
        }
    }

    async fn run(mut self, stream: TcpStream) -> Result<(), ConnectionError> {
        let _ = stream.set_nodelay(true);
        let (mut reader, mut writer) = stream.into_split();
        let mut reboots = self.reboots.subscribe();
        reboots.mark_unchanged();
        let handshake_by = Instant::now() + self.config.handshake_timeout;
        loop {
            self.flush(&mut writer).await?;
            let deadline = self.streams.iter().filter_map(|(id, s)| s.awaiting_ack.map(|d| (d, *id))).min();
            let read = read_packet(&mut reader, self.config.packet_timeout);
            let read = async {
                if self.connected {
                    return read.await.map_err(ConnectionError::from);
                }
                match tokio::time::timeout_at(handshake_by, read).await {
                    Ok(r) => r.map_err(ConnectionError::from),
                    Err(_) => Err(ConnectionError::NoHandshake(self.config.handshake_timeout)),
                }
            };
            let packet = tokio::select! {
                _ = reboots.changed() => {
                    tracing::info!(peer = %self.peer, "adbd-sim: the device restarts; dropping the connection");
                    return Ok(());
                }
                result = async {
                    match deadline {
                        Some((at, stream)) => tokio::time::timeout_at(at, read)
                            .await
                            .map_err(|_| ConnectionError::NoAck { stream, timeout: self.config.ack_timeout })?,
                        None => read.await,
                    }
                } => result?,
            };
            let Some(packet) = packet else {
                tracing::debug!(peer = %self.peer, "adbd-sim: the peer closed the connection");
                return Ok(());
            };
            match self.handle(packet, &mut writer).await? {
                After::Continue => {}
                After::Reboot { id, remote } => {
                    // Our choice: a second OKAY after a quiet spell, then the
                    // device goes down. adb_client 3.2.3 drains its session
                    // until 20 ms pass without a message, then reads one more
                    // OKAY; the adb server takes it as a harmless "ready".
                    tokio::time::sleep(REBOOT_QUIET).await;
                    self.send(&mut writer, Packet::new(A_OKAY, id, remote, Vec::new())).await?;
                    self.adbd.reboot();
                    self.reboots.send_modify(|n| *n += 1);
                    tracing::info!(peer = %self.peer, "adbd-sim: rebooted; the connection goes down with the device");
                    // Let the peer hang up first: adb_client spins on a
                    // closed socket if it is still reading.
                    let linger = tokio::time::Instant::now() + REBOOT_LINGER;
                    while let Ok(Ok(Some(_))) =
                        tokio::time::timeout_at(linger, read_packet(&mut reader, self.config.packet_timeout)).await
                    {
                    }
                    return Ok(());
                }
            }
        }
    }

    async fn send(&self, writer: &mut tokio::net::tcp::OwnedWriteHalf, packet: Packet) -> Result<(), ConnectionError> {
        tracing::trace!(peer = %self.peer, "adbd-sim: -> {packet:?}");
        match tokio::time::timeout(self.config.write_timeout, writer.write_all(&packet.encode())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ConnectionError::Write(e)),
            Err(_) => Err(ConnectionError::WriteTimeout(self.config.write_timeout)),
        }
    }

    /// Send the next chunk of every stream that may send, and close the
    /// streams that have sent everything.
    async fn flush(&mut self, writer: &mut tokio::net::tcp::OwnedWriteHalf) -> Result<(), ConnectionError> {
        let ids: Vec<u32> = self.streams.keys().copied().collect();
        for id in ids {
            let Some(s) = self.streams.get_mut(&id) else { continue };
            if s.awaiting_ack.is_some() {
                continue;
            }
            let remote = s.remote;
            match s.chunks.pop_front() {
                Some(chunk) => {
                    s.awaiting_ack = Some(Instant::now() + self.config.ack_timeout);
                    self.send(writer, Packet::new(A_WRTE, id, remote, chunk)).await?;
                }
                None => {
                    self.streams.remove(&id);
                    self.send(writer, Packet::new(A_CLSE, id, remote, Vec::new())).await?;
                }
            }
        }
        Ok(())
    }

    async fn handle(
        &mut self,
        p: Packet,
        writer: &mut tokio::net::tcp::OwnedWriteHalf,
    ) -> Result<After, ConnectionError> {
        tracing::trace!(peer = %self.peer, "adbd-sim: <- {p:?}");
        match p.command {
            A_CNXN => {
                // A new CNXN starts the connection afresh (adbd does the same).
                self.streams.clear();
                let version = p.arg0.clamp(A_VERSION_MIN, A_VERSION_SKIP_CHECKSUM);
                self.max_payload = usize::try_from(p.arg1).unwrap_or(MAX_PAYLOAD).clamp(1024, MAX_PAYLOAD);
                self.connected = true;
                let banner = self.adbd.banner();
                let max = u32::try_from(MAX_PAYLOAD).unwrap_or(u32::MAX);
                tracing::debug!(peer = %self.peer, version, "adbd-sim: connected without authentication");
                self.send(writer, Packet::new(A_CNXN, version, max, banner.into_bytes())).await?;
            }
            _ if !self.connected => {
                return Err(ConnectionError::BeforeConnect(protocol::command_name(p.command)));
            }
            A_OPEN => return self.open(p, writer).await,
            A_OKAY => {
                if let Some(s) = self.streams.get_mut(&p.arg1) {
                    if s.remote == p.arg0 {
                        s.awaiting_ack = None;
                    }
                }
                // An OKAY for a stream we closed (adb_client sends one) is ignored.
            }
            A_WRTE => {
                // Stdin (shell v2 packets or raw bytes) is acknowledged and
                // not used: every command runs when its stream opens.
                if let Some(s) = self.streams.get(&p.arg1) {
                    let remote = s.remote;
                    if remote == p.arg0 {
                        self.send(writer, Packet::new(A_OKAY, p.arg1, remote, Vec::new())).await?;
                    }
                }
            }
            A_CLSE => {
                // The peer closed a stream: forget it, do not answer.
                if self.streams.get(&p.arg1).is_some_and(|s| s.remote == p.arg0) {
                    self.streams.remove(&p.arg1);
                }
            }
            A_AUTH | A_STLS | A_SYNC => {
                tracing::debug!(peer = %self.peer, "adbd-sim: ignoring {}", protocol::command_name(p.command));
            }
            other => {
                // adbd ignores commands it does not know; so do we.
                tracing::warn!(peer = %self.peer, "adbd-sim: ignoring unknown command {}", protocol::command_name(other));
            }
        }
        Ok(After::Continue)
    }

    async fn open(
        &mut self,
        p: Packet,
        writer: &mut tokio::net::tcp::OwnedWriteHalf,
    ) -> Result<After, ConnectionError> {
        let remote = p.arg0;
        let service = String::from_utf8_lossy(&p.payload).trim_end_matches('\0').to_owned();
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        match Service::parse(&service) {
            Some(Service::Shell { v2, command }) => {
                tracing::debug!(peer = %self.peer, v2, "adbd-sim: shell `{}`", redacted(&command));
                let output = self.adbd.run_shell(&command);
                let bytes = if v2 {
                    let mut b = Vec::new();
                    for (channel, data) in &output.chunks {
                        let ch = if *channel == Channel::Stdout { shell_v2::STDOUT } else { shell_v2::STDERR };
                        b.extend(shell_v2::packet(ch, data));
                    }
                    b.extend(shell_v2::packet(shell_v2::EXIT, &[output.code]));
                    b
                } else {
                    output.merged()
                };
                self.start_stream(id, remote, bytes);
                self.send(writer, Packet::new(A_OKAY, id, remote, Vec::new())).await?;
            }
            Some(Service::Exec { command }) => {
                tracing::debug!(peer = %self.peer, "adbd-sim: exec `{}`", redacted(&command));
                let output = self.adbd.run_shell(&command);
                self.start_stream(id, remote, output.text(Channel::Stdout).into_bytes());
                self.send(writer, Packet::new(A_OKAY, id, remote, Vec::new())).await?;
            }
            Some(Service::Reboot) => {
                tracing::info!(peer = %self.peer, "adbd-sim: reboot requested");
                self.send(writer, Packet::new(A_OKAY, id, remote, Vec::new())).await?;
                return Ok(After::Reboot { id, remote });
            }
            None => {
                // adbd refuses a service it cannot start with CLSE(0, id).
                tracing::info!(peer = %self.peer, "adbd-sim: refusing unknown service `{}`", service_name(&service));
                self.send(writer, Packet::new(A_CLSE, 0, remote, Vec::new())).await?;
            }
        }
        Ok(After::Continue)
    }

    fn start_stream(&mut self, id: u32, remote: u32, bytes: Vec<u8>) {
        let chunks = bytes.chunks(self.max_payload).map(<[u8]>::to_vec).collect();
        self.streams.insert(id, Stream { remote, chunks, awaiting_ack: None });
    }
}

/// The services the simulated adbd offers.
#[derive(Debug, PartialEq, Eq)]
enum Service {
    /// `shell:CMD` (v1: merged output, no exit code) or
    /// `shell,v2,OPTIONS:CMD` (v2 framing with the exit code).
    Shell { v2: bool, command: String },
    /// `exec:CMD`: raw standard output only.
    Exec { command: String },
    /// `reboot:` (our choice: no other reboot target is simulated).
    Reboot,
}

impl Service {
    fn parse(service: &str) -> Option<Service> {
        if let Some(rest) = service.strip_prefix("shell") {
            let (options, command) = rest.split_once(':')?;
            if !(options.is_empty() || options.starts_with(',')) {
                return None;
            }
            let v2 = options.split(',').any(|o| o == "v2");
            if command.is_empty() {
                // Our choice: interactive shells are not simulated; say so.
                return Some(Service::Shell {
                    v2,
                    command: "echo 'an interactive shell is not simulated; run adb shell COMMAND' && false".into(),
                });
            }
            return Some(Service::Shell { v2, command: command.to_owned() });
        }
        if let Some(command) = service.strip_prefix("exec:") {
            return Some(Service::Exec { command: command.to_owned() });
        }
        if service == "reboot:" || service == "reboot" {
            return Some(Service::Reboot);
        }
        None
    }
}

/// A command line for the log: the command and its subcommand, never its
/// arguments (they can hold a passcode).
fn redacted(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().take(2).collect();
    let shown = words.join(" ");
    if command.split_whitespace().count() > 2 {
        format!("{shown} …")
    } else {
        shown
    }
}

/// A service name for the log, without anything after its first `:`.
fn service_name(service: &str) -> String {
    let name = service.split(':').next().unwrap_or_default();
    name.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_parse_as_adb_names_them() {
        assert_eq!(
            Service::parse("shell,v2,TERM=xterm,raw:getprop ro.build.version.sdk"),
            Some(Service::Shell { v2: true, command: "getprop ro.build.version.sdk".into() })
        );
        assert_eq!(Service::parse("shell:echo hi"), Some(Service::Shell { v2: false, command: "echo hi".into() }));
        assert_eq!(Service::parse("exec:getprop"), Some(Service::Exec { command: "getprop".into() }));
        assert_eq!(Service::parse("reboot:"), Some(Service::Reboot));
        for unknown in ["sync:", "reboot:bootloader", "framebuffer:", "shellx:id", "tcpip:5555", "jdwp:1"] {
            assert_eq!(Service::parse(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn logs_never_show_arguments() {
        assert_eq!(redacted("locksettings set-pin --old 123456 87654321"), "locksettings set-pin …");
        assert_eq!(redacted("getprop x"), "getprop x");
    }
}
