//! The adb transport protocol on the wire: 24-byte headers of six
//! little-endian `u32`s (`command, arg0, arg1, data_length, data_check,
//! magic`), then `data_length` bytes of payload. `data_check` is a plain sum
//! of the payload bytes; `magic` is `command ^ 0xFFFF_FFFF`.

use std::fmt;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

pub const A_CNXN: u32 = 0x4e58_4e43;
pub const A_AUTH: u32 = 0x4854_5541;
pub const A_OPEN: u32 = 0x4e45_504f;
pub const A_OKAY: u32 = 0x5941_4b4f;
pub const A_CLSE: u32 = 0x4553_4c43;
pub const A_WRTE: u32 = 0x4554_5257;
pub const A_STLS: u32 = 0x534c_5453;
pub const A_SYNC: u32 = 0x434e_5953;

/// The oldest protocol version; peers at this version send checksums.
pub const A_VERSION_MIN: u32 = 0x0100_0000;
/// From this version on, senders may put 0 in `data_check`.
pub const A_VERSION_SKIP_CHECKSUM: u32 = 0x0100_0001;
/// The bound on CNXN and AUTH payloads before the sizes are negotiated.
pub const MAX_PAYLOAD_V1: usize = 4096;
/// The largest payload either side may send once connected.
pub const MAX_PAYLOAD: usize = 1024 * 1024;
/// The length of a message header.
pub const HEADER_LEN: usize = 24;

/// One message of the transport protocol.
#[derive(Clone, PartialEq, Eq)]
pub struct Packet {
    pub command: u32,
    pub arg0: u32,
    pub arg1: u32,
    pub payload: Vec<u8>,
}

impl Packet {
    pub fn new(command: u32, arg0: u32, arg1: u32, payload: impl Into<Vec<u8>>) -> Self {
        Packet { command, arg0, arg1, payload: payload.into() }
    }

    /// The bytes on the wire. The checksum is always computed: adb_client
    /// negotiates the oldest version and checks it on everything it reads.
    pub fn encode(&self) -> Vec<u8> {
        let len = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        for word in [self.command, self.arg0, self.arg1, len, checksum(&self.payload), self.command ^ 0xFFFF_FFFF] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&self.payload);
        out
    }
}

impl fmt::Debug for Packet {
    // Payloads can carry typed passcodes: show their length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}(arg0={:#x}, arg1={:#x}, {} bytes)",
            command_name(self.command),
            self.arg0,
            self.arg1,
            self.payload.len()
        )
    }
}

/// The byte sum adb calls a checksum.
pub fn checksum(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |sum, b| sum.wrapping_add(u32::from(*b)))
}

/// A command's four letters, or its hex value when it is none of ours.
pub fn command_name(command: u32) -> String {
    match command {
        A_CNXN => "CNXN".into(),
        A_AUTH => "AUTH".into(),
        A_OPEN => "OPEN".into(),
        A_OKAY => "OKAY".into(),
        A_CLSE => "CLSE".into(),
        A_WRTE => "WRTE".into(),
        A_STLS => "STLS".into(),
        A_SYNC => "SYNC".into(),
        other => format!("{other:#010x}"),
    }
}

/// Why a peer's bytes are not a message.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("bad magic on {command}: {magic:#010x} is not the command's complement")]
    BadMagic { command: String, magic: u32 },
    #[error("{command} announces {length} bytes of payload, more than the {max} allowed")]
    TooLong { command: String, length: usize, max: usize },
    #[error("bad checksum on {command}: the header says {announced:#x}, the payload sums to {actual:#x}")]
    BadChecksum { command: String, announced: u32, actual: u32 },
    #[error("truncated message: {got} of {wanted} bytes arrived within {timeout:?}, then nothing")]
    Truncated { got: usize, wanted: usize, timeout: Duration },
    #[error("the connection ended in the middle of a message ({got} of {wanted} bytes)")]
    EndedMidMessage { got: usize, wanted: usize },
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Read one message. Returns `Ok(None)` when the peer closed the connection
/// between messages. Waiting for a message to start has no time limit (an
/// adb server keeps idle connections open); once its first byte is in, the
/// rest must arrive within `packet_timeout`.
pub async fn read_packet<R: AsyncRead + Unpin>(
    reader: &mut R,
    packet_timeout: Duration,
) -> Result<Option<Packet>, ProtocolError> {
    let mut header = [0u8; HEADER_LEN];
    let first = reader.read(&mut header[..1]).await?;
    if first == 0 {
        return Ok(None);
    }
    let deadline = tokio::time::Instant::now() + packet_timeout;
    let mut got = 1;
    read_until(reader, &mut header, &mut got, deadline, packet_timeout, 0).await?;
    let word = |i: usize| u32::from_le_bytes([header[i * 4], header[i * 4 + 1], header[i * 4 + 2], header[i * 4 + 3]]);
    let (command, arg0, arg1, length, check, magic) = (word(0), word(1), word(2), word(3), word(4), word(5));
    if magic != command ^ 0xFFFF_FFFF {
        return Err(ProtocolError::BadMagic { command: command_name(command), magic });
    }
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if length > MAX_PAYLOAD {
        return Err(ProtocolError::TooLong { command: command_name(command), length, max: MAX_PAYLOAD });
    }
    let mut payload = vec![0u8; length];
    let mut got = 0;
    read_until(reader, &mut payload, &mut got, deadline, packet_timeout, HEADER_LEN).await?;
    // Since version 0x01000001 senders may leave the checksum at 0; a
    // non-zero one must be right.
    let actual = checksum(&payload);
    if check != 0 && check != actual {
        return Err(ProtocolError::BadChecksum { command: command_name(command), announced: check, actual });
    }
    Ok(Some(Packet { command, arg0, arg1, payload }))
}

/// Fill `buf` from `*got` on, by `deadline`. `before` counts bytes of the
/// message read before `buf`, for error reports.
async fn read_until<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
    got: &mut usize,
    deadline: tokio::time::Instant,
    timeout: Duration,
    before: usize,
) -> Result<(), ProtocolError> {
    while *got < buf.len() {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf[*got..])).await {
            Err(_) => {
                return Err(ProtocolError::Truncated { got: before + *got, wanted: before + buf.len(), timeout });
            }
            Ok(Ok(0)) => return Err(ProtocolError::EndedMidMessage { got: before + *got, wanted: before + buf.len() }),
            Ok(Ok(n)) => *got += n,
            Ok(Err(e)) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Shell protocol v2 packet ids (inside WRTE payloads).
pub mod shell_v2 {
    pub const STDIN: u8 = 0;
    pub const STDOUT: u8 = 1;
    pub const STDERR: u8 = 2;
    pub const EXIT: u8 = 3;
    pub const CLOSE_STDIN: u8 = 4;
    pub const WINDOW_SIZE: u8 = 5;

    /// `[id][u32 LE length][data]`.
    pub fn packet(id: u8, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + data.len());
        out.push(id);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(data);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_with_checksum_and_magic() {
        let p = Packet::new(A_WRTE, 7, 9, b"hello".to_vec());
        let bytes = p.encode();
        assert_eq!(bytes.len(), HEADER_LEN + 5);
        assert_eq!(&bytes[16..20], &checksum(b"hello").to_le_bytes());
        assert_eq!(&bytes[20..24], &(A_WRTE ^ 0xFFFF_FFFF).to_le_bytes());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
        let back = rt.block_on(read_packet(&mut bytes.as_slice(), Duration::from_secs(1)));
        assert!(matches!(back, Ok(Some(ref q)) if *q == p), "{back:?}");
    }

    #[test]
    fn a_zero_checksum_is_accepted_and_a_wrong_one_is_not() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
        let mut bytes = Packet::new(A_OPEN, 1, 0, b"shell:id\0".to_vec()).encode();
        bytes[16..20].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(rt.block_on(read_packet(&mut bytes.as_slice(), Duration::from_secs(1))), Ok(Some(_))));
        bytes[16..20].copy_from_slice(&1u32.to_le_bytes());
        let e = rt.block_on(read_packet(&mut bytes.as_slice(), Duration::from_secs(1)));
        assert!(matches!(e, Err(ProtocolError::BadChecksum { .. })), "{e:?}");
    }

    #[test]
    fn debug_shows_no_payload() {
        let p = Packet::new(A_OPEN, 1, 0, b"shell:locksettings set-pin 123456\0".to_vec());
        let shown = format!("{p:?}");
        assert!(!shown.contains("123456"), "{shown}");
        assert!(shown.starts_with("OPEN"), "{shown}");
    }
}
