//! Passcodes never reach an output. Every passcode a run generates or learns
//! is registered here, and every line the harness prints or writes passes
//! through [`Secrets::redact`].
//!
//! Redaction masks a passcode only where it stands as a token of its own:
//! the characters on either side of it must not be letters or digits. A
//! 4-digit passcode that happens to occur inside a seed, a timestamp, a port
//! or a duration is left alone there, because masking it *there* would tell
//! a reader the passcode (the digits around the marker give it away). The
//! passcodes themselves travel in `android_sim::Passcode`, which has no
//! `Display` and a `Debug` that prints no characters, so they reach a log
//! line only if code exposes them on purpose; this module is the backstop.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// What replaces a passcode in any output.
pub const MASK: &str = "<redacted>";

/// The passcodes of one run, shared by every scenario.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    known: Arc<Mutex<BTreeSet<String>>>,
}

impl Secrets {
    /// Remember a passcode so every later output masks it. Passcodes shorter
    /// than four characters are below any platform minimum; they are kept
    /// out to avoid masking ordinary numbers.
    pub fn register(&self, passcode: &str) {
        if passcode.chars().count() >= 4 {
            self.lock().insert(passcode.to_owned());
        }
    }

    /// Every passcode registered so far (for the leak test).
    pub fn all(&self) -> Vec<String> {
        self.lock().iter().cloned().collect()
    }

    /// `text` with every registered passcode that stands as a whole token
    /// replaced by [`MASK`], longest first so a passcode that contains
    /// another is masked whole.
    pub fn redact(&self, text: &str) -> String {
        let known = self.lock();
        let mut by_length: Vec<&String> = known.iter().collect();
        by_length.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_owned();
        for secret in by_length {
            if out.contains(secret.as_str()) {
                out = mask_tokens(&out, secret);
            }
        }
        out
    }

    /// A JSON document with every registered passcode masked inside its
    /// string literals, and its numbers, keys' structure and layout left as
    /// they are. A passcode is a string wherever Lockstep writes one; a JSON
    /// number is a measurement (a step's duration in nanoseconds, a count),
    /// and masking one that happens to equal a passcode would both break the
    /// document for its consumers and tell a reader that passcode.
    pub fn redact_json(&self, json: &str) -> String {
        let mut out = String::with_capacity(json.len());
        let mut rest = json;
        while let Some(open) = rest.find('"') {
            out.push_str(&rest[..=open]);
            let literal = &rest[open + 1..];
            let end = string_end(literal);
            out.push_str(&self.redact(&literal[..end]));
            rest = &literal[end..];
            if let Some(close) = rest.strip_prefix('"') {
                out.push('"');
                rest = close;
            }
        }
        out.push_str(rest);
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // A panic while holding this lock cannot leave the set inconsistent.
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether `secret` occurs in `text` at `at` as a token of its own.
pub fn stands_alone(text: &str, at: usize, secret: &str) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + secret.len()..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Where the JSON string literal whose text begins `literal` ends: the
/// byte offset of its closing quote (one not escaped by a backslash), or
/// the length of `literal` if it is never closed.
fn string_end(literal: &str) -> usize {
    let mut escaped = false;
    for (at, c) in literal.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return at,
            _ => {}
        }
    }
    literal.len()
}

/// `text` with each whole-token occurrence of `secret` masked.
fn mask_tokens(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in text.match_indices(secret) {
        if at < copied || !stands_alone(text, at, secret) {
            continue;
        }
        out.push_str(&text[copied..at]);
        out.push_str(MASK);
        copied = at + secret.len();
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_longest_first_and_ignores_short_values() {
        let s = Secrets::default();
        s.register("4815");
        s.register("48151623");
        s.register("123");
        assert_eq!(s.redact("new 48151623, old 4815, code 123"), "new <redacted>, old <redacted>, code 123");
        assert_eq!(s.all().len(), 2);
    }

    #[test]
    fn masks_only_whole_tokens() {
        let s = Secrets::default();
        s.register("4815");
        s.register("ab12cd");
        for untouched in [
            "seed 1248159 replays it",
            "started 2026-12-01T14:48:15.4815Z",
            "listening on 127.0.0.1:48150",
            "took 34815ms",
            "xab12cd and ab12cdx",
        ] {
            assert_eq!(s.redact(untouched), untouched);
        }
        assert_eq!(s.redact("pin=4815;"), "pin=<redacted>;");
        assert_eq!(s.redact("\"4815\" then 4815"), "\"<redacted>\" then <redacted>");
        assert_eq!(s.redact("4815 44815 4815"), "<redacted> 44815 <redacted>");
        assert_eq!(s.redact("code ab12cd."), "code <redacted>.");
    }

    #[test]
    fn json_numbers_are_measurements_and_are_never_masked() {
        let s = Secrets::default();
        s.register("482913");
        s.register("4815");
        let json = r#"{"name": "reset to 482913", "duration": 482913, "nanos": 4815,
  "escaped": "a \"4815\" b", "list": [4815, "4815"], "key 4815": true}"#;
        let out = s.redact_json(json);
        assert_eq!(
            out,
            r#"{"name": "reset to <redacted>", "duration": 482913, "nanos": 4815,
  "escaped": "a \"<redacted>\" b", "list": [4815, "<redacted>"], "key <redacted>": true}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["duration"], 482913);
        // An unterminated literal (never written by Lockstep) is still masked.
        assert_eq!(s.redact_json(r#"["4815"#), r#"["<redacted>"#);
    }

    #[test]
    fn a_marker_never_sits_inside_a_number() {
        let s = Secrets::default();
        for p in ["4815", "1623", "0042", "9999"] {
            s.register(p);
        }
        // Every 4-digit window of these numbers is a registered passcode somewhere.
        let text = "seed 481516230042 port 49999 at 16:23:09 1623";
        let out = s.redact(text);
        assert_eq!(out, "seed 481516230042 port 49999 at 16:23:09 <redacted>");
    }
}
