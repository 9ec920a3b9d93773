//! One received message: the envelope (MAIL FROM, RCPT TO) and what the
//! DATA said, with the subject and the text body decoded.

use base64::Engine as _;

/// A message as the sink received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The `Subject` header, unfolded (empty when absent).
    pub subject: String,
    /// The body as text: transfer encoding (base64, quoted-printable) undone.
    pub body: String,
    /// The DATA as received, after dot-unstuffing, CRLF line ends.
    pub raw: String,
}

impl Mail {
    /// Whether `address` is one of the envelope recipients (case-insensitive).
    pub fn is_for(&self, address: &str) -> bool {
        self.to.iter().any(|t| t.eq_ignore_ascii_case(address))
    }

    pub(crate) fn parse(from: String, to: Vec<String>, raw: String) -> Mail {
        let (head, body) = match raw.split_once("\r\n\r\n") {
            Some((h, b)) => (h, b),
            None => (raw.as_str(), ""),
        };
        let headers = unfold(head);
        let header = |name: &str| {
            headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or("")
        };
        let subject = decode_words(header("Subject"));
        let body = decode_body(header("Content-Transfer-Encoding"), body);
        Mail { from, to, subject, body, raw }
    }
}

/// Header lines, continuation lines joined to the one before.
fn unfold(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

fn decode_body(encoding: &str, body: &str) -> String {
    let text = match encoding.trim().to_ascii_lowercase().as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|_| body.to_owned())
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    text.replace("\r\n", "\n")
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` bytes and `=` soft line breaks.
fn quoted_printable(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`), which
/// clients use for non-ASCII subjects. Anything else is kept as written.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, tail) = rest.split_at(start);
        let Some(decoded) = decode_one_word(tail) else {
            out.push_str(before);
            out.push_str("=?");
            rest = &tail[2..];
            last_was_word = false;
            continue;
        };
        // Whitespace between two adjacent encoded words is not part of the text.
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        out.push_str(&decoded.0);
        rest = &tail[decoded.1..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length in `s`.
fn decode_one_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let mut parts = inner.splitn(3, '?');
    let _charset = parts.next()?;
    let encoding = parts.next()?;
    let rest = parts.next()?;
    let end = rest.find("?=")?;
    let text = &rest[..end];
    let consumed = 2 + (inner.len() - rest.len()) + end + 2;
    let bytes = match encoding {
        "b" | "B" => base64::engine::general_purpose::STANDARD.decode(text).ok()?,
        "q" | "Q" => quoted_printable(&text.replace('_', " ")).into_bytes(),
        _ => return None,
    };
    Some((String::from_utf8_lossy(&bytes).into_owned(), consumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_encodings() {
        let raw = "Subject: =?utf-8?b?UGFzc2NvZGUgcsOpc2V0?=\r\n =?utf-8?q?_done?=\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nline=\r\n one =C3=A9\r\n";
        let m = Mail::parse("a@x".into(), vec!["b@x".into()], raw.into());
        assert_eq!(m.subject, "Passcode réset done");
        assert_eq!(m.body, "line one é\n");
        assert!(m.is_for("B@X"));
    }

    #[test]
    fn plain_subject_kept() {
        let m = Mail::parse("a".into(), vec![], "Subject: Hello =? there\r\n\r\nbody".into());
        assert_eq!(m.subject, "Hello =? there");
        assert_eq!(m.body, "body");
    }
}
