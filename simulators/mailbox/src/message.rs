//! One received message: the envelope (MAIL FROM, RCPT TO) and what the
//! DATA said, with the subject and the text body decoded.

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

    /// Decode the DATA with a MIME parser (mail-parser): headers unfolded,
    /// RFC 2047 words decoded, and the body is the message's first text
    /// part, transfer encoding (base64, quoted-printable) and charset undone
    /// (a multipart/alternative mail's text/plain part; an HTML-only mail's
    /// HTML turned into text by the parser).
    pub(crate) fn parse(from: String, to: Vec<String>, raw: String) -> Mail {
        let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes());
        let subject = parsed.as_ref().and_then(|m| m.subject()).unwrap_or_default().to_owned();
        let body = parsed.as_ref().and_then(|m| m.body_text(0)).map(|b| b.replace("\r\n", "\n")).unwrap_or_default();
        Mail { from, to, subject, body, raw }
    }
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
    fn multipart_alternative_with_base64_parts() {
        let raw = "Subject: =?UTF-8?Q?Ihr_neuer_Code_f=C3=BCr_phone?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nTmV1ZXIgQ29kZTogw6Q=\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+TmV1ZXIgQ29kZTwvcD4=\r\n--b1--\r\n";
        let m = Mail::parse("a".into(), vec![], raw.into());
        assert_eq!(m.subject, "Ihr neuer Code für phone");
        assert_eq!(m.body.trim_end(), "Neuer Code: ä");
    }

    #[test]
    fn plain_subject_kept() {
        let m = Mail::parse("a".into(), vec![], "Subject: Hello =? there\r\n\r\nbody".into());
        assert_eq!(m.subject, "Hello =? there");
        assert_eq!(m.body, "body");
    }
}
