//! Shared test set-up: a profile from the repository's fixtures, a served
//! device, and a raw transport-protocol client for the cases adb_client
//! cannot express (bad peers, shell v2 exit codes).

#![allow(dead_code)] // each test binary uses a different part

use adbd_sim::protocol::{self, Packet, A_CNXN, A_OKAY, A_OPEN, A_WRTE};
use adbd_sim::{AdbdConfig, RunningAdbd, SharedDevice};
use android_sim::{CredentialHolder, Device, DeviceProfile, Ownership, Passcode, SimTime};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every async test step gets this long before the test fails.
pub(crate) const LIMIT: Duration = Duration::from_secs(20);

pub(crate) fn profile(name: &str) -> Arc<DeviceProfile> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/devices");
    Arc::new(DeviceProfile::load(&dir.join(format!("{name}.toml"))).unwrap())
}

/// A fully managed device of `profile`, with `pin` set in Settings, restarted
/// once (so the lock screen read the PIN's length at start) and unlocked.
pub(crate) fn device(profile_name: &str, pin: Option<&str>) -> SharedDevice {
    let mut d = Device::new(profile(profile_name), Ownership::FullyManaged, 7).unwrap();
    if let Some(pin) = pin {
        let p = Passcode::new(pin);
        d.set_passcode_in_settings(CredentialHolder::DeviceUser, None, Some(&p), SimTime::ZERO).unwrap();
        d.reboot();
        let entry = d.enter_passcode(CredentialHolder::DeviceUser, &p, SimTime::ZERO);
        assert_eq!(entry, android_sim::Entry::Unlocked);
    }
    SharedDevice::new(d)
}

pub(crate) fn quick_config() -> AdbdConfig {
    AdbdConfig {
        packet_timeout: Duration::from_millis(300),
        ack_timeout: Duration::from_millis(300),
        write_timeout: Duration::from_secs(2),
        ..AdbdConfig::default()
    }
}

pub(crate) async fn serve(device: &SharedDevice, config: AdbdConfig) -> RunningAdbd {
    adbd_sim::serve("127.0.0.1:0".parse().unwrap(), Arc::new(device.clone()), config).await.unwrap()
}

/// A transport-protocol client that does exactly what it is told.
pub(crate) struct Raw {
    pub stream: TcpStream,
}

impl Raw {
    pub(crate) async fn connect(addr: std::net::SocketAddr) -> Raw {
        Raw { stream: TcpStream::connect(addr).await.unwrap() }
    }

    pub(crate) async fn send(&mut self, p: Packet) {
        self.stream.write_all(&p.encode()).await.unwrap();
    }

    pub(crate) async fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next message, or `None` when the device closed the connection.
    pub(crate) async fn recv(&mut self) -> Option<Packet> {
        tokio::time::timeout(LIMIT, protocol::read_packet(&mut self.stream, LIMIT))
            .await
            .expect("the device answers in time")
            .expect("a well-formed message")
    }

    /// Whether the device closed the connection (reads until EOF).
    pub(crate) async fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(LIMIT, self.stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }

    /// CNXN as adb 29 sends it (checksum set), and the device's answer.
    pub(crate) async fn handshake(&mut self) -> Packet {
        let features = b"host::features=shell_v2,cmd\0".to_vec();
        self.send(Packet::new(A_CNXN, 0x0100_0001, 0x0010_0000, features)).await;
        let answer = self.recv().await.expect("CNXN answered");
        assert_eq!(answer.command, A_CNXN);
        answer
    }

    /// Open `service` as stream `local`, collect every WRTE (acknowledging
    /// each) until CLSE. Returns the bytes, or `None` if the open was refused.
    pub(crate) async fn collect(&mut self, local: u32, service: &str) -> Option<Vec<u8>> {
        self.send(Packet::new(A_OPEN, local, 0, format!("{service}\0").into_bytes())).await;
        let mut out = Vec::new();
        let mut remote = 0;
        loop {
            let p = self.recv().await.expect("connection stays up");
            match p.command {
                A_OKAY if p.arg1 == local => remote = p.arg0,
                A_WRTE if p.arg1 == local => {
                    out.extend_from_slice(&p.payload);
                    self.send(Packet::new(A_OKAY, local, p.arg0, Vec::new())).await;
                }
                protocol::A_CLSE if p.arg1 == local => {
                    return if remote == 0 { None } else { Some(out) };
                }
                _ => {}
            }
        }
    }
}

/// Split shell v2 output into (stdout, stderr, exit code).
pub(crate) fn decode_v2(bytes: &[u8]) -> (String, String, Option<u8>) {
    let (mut out, mut err, mut code) = (String::new(), String::new(), None);
    let mut rest = bytes;
    while rest.len() >= 5 {
        let id = rest[0];
        let len = u32::from_le_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let data = &rest[5..5 + len];
        match id {
            1 => out.push_str(&String::from_utf8_lossy(data)),
            2 => err.push_str(&String::from_utf8_lossy(data)),
            3 => code = data.first().copied(),
            _ => {}
        }
        rest = &rest[5 + len..];
    }
    (out, err, code)
}
