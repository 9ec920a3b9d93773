//! One SMTP conversation (RFC 5321 §4.1), as a server that accepts
//! everything it is sent.

use crate::message::Mail;
use crate::Inbox;
use std::io;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Longest line we accept (RFC 5321 §4.5.3.1.6 allows 1000 with CRLF; we are lenient).
const MAX_LINE: usize = 64 * 1024;
/// Largest message we keep.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

pub(crate) async fn serve(stream: TcpStream, inbox: &Inbox) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 mail-sink ESMTP ready\r\n").await?;
    let mut envelope = Envelope::default();
    let mut line = String::new();
    loop {
        line.clear();
        if read_line(&mut lines, &mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let verb = command.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-mail-sink greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 16777216\r\n",
            "HELO" => b"250 mail-sink\r\n",
            "MAIL" => match address_after(command, "FROM:") {
                Some(a) => {
                    envelope = Envelope { from: Some(a), to: Vec::new() };
                    b"250 OK\r\n"
                }
                None => b"501 Syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" => match (envelope.from.is_some(), address_after(command, "TO:")) {
                (false, _) => b"503 MAIL first\r\n",
                (true, Some(a)) if !a.is_empty() => {
                    envelope.to.push(a);
                    b"250 OK\r\n"
                }
                (true, _) => b"501 Syntax: RCPT TO:<address>\r\n",
            },
            "DATA" if envelope.to.is_empty() => b"503 RCPT first\r\n",
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let Some(raw) = read_data(&mut lines).await? else { return Ok(()) };
                let Envelope { from, to } = std::mem::take(&mut envelope);
                inbox.deliver(Mail::parse(from.unwrap_or_default(), to, raw));
                b"250 OK: queued\r\n"
            }
            "RSET" => {
                envelope = Envelope::default();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            "" => b"500 Empty command\r\n",
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

async fn read_line(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, line: &mut String) -> io::Result<usize> {
    let n = lines.read_line(line).await?;
    if line.len() > MAX_LINE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
    }
    Ok(n)
}

/// The DATA section up to the lone `.` line, dot-unstuffed (RFC 5321
/// §4.5.2), lines joined with CRLF. `None` when the peer hung up.
async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> io::Result<Option<String>> {
    let mut raw = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if read_line(lines, &mut line).await? == 0 {
            return Ok(None);
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if text == "." {
            return Ok(Some(raw));
        }
        let text = text.strip_prefix('.').unwrap_or(text);
        if raw.len() + text.len() > MAX_MESSAGE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "message too large"));
        }
        raw.push_str(text);
        raw.push_str("\r\n");
    }
}

/// The address in `MAIL FROM:<a> [params]` or `RCPT TO:<a> [params]`.
fn address_after(command: &str, keyword: &str) -> Option<String> {
    let upper = command.to_ascii_uppercase();
    let at = upper.find(keyword)? + keyword.len();
    let rest = command[at..].trim_start();
    let address = match rest.strip_prefix('<') {
        Some(inner) => &inner[..inner.find('>')?],
        None => rest.split_whitespace().next().unwrap_or(""),
    };
    Some(address.to_owned())
}

#[cfg(test)]
mod tests {
    use super::address_after;

    #[test]
    fn addresses() {
        assert_eq!(address_after("MAIL FROM:<a@b.c> SIZE=10", "FROM:").as_deref(), Some("a@b.c"));
        assert_eq!(address_after("mail from: <>", "FROM:").as_deref(), Some(""));
        assert_eq!(address_after("RCPT TO:x@y", "TO:").as_deref(), Some("x@y"));
        assert_eq!(address_after("RCPT TO:<x@y", "TO:"), None);
        assert_eq!(address_after("RCPT", "TO:"), None);
    }
}
