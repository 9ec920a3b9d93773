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

use aho_corasick::AhoCorasick;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// What replaces a passcode in any output.
pub const MASK: &str = "<redacted>";

/// The passcodes of one run, shared by every scenario.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    known: Arc<Mutex<Known>>,
}

/// The registered passcodes, and the matcher that finds all of them in one
/// pass over a text, made again only after a registration (a run redacts
/// every log line and report against hundreds of passcodes).
#[derive(Debug, Default)]
struct Known {
    passcodes: BTreeSet<String>,
    matcher: Option<Arc<AhoCorasick>>,
}

impl Secrets {
    /// Remember a passcode so every later output masks it. Passcodes shorter
    /// than four characters are below any platform minimum; they are kept
    /// out to avoid masking ordinary numbers.
    pub fn register(&self, passcode: &str) {
        if passcode.chars().count() >= 4 {
            let mut known = self.lock();
            if known.passcodes.insert(passcode.to_owned()) {
                known.matcher = None;
            }
        }
    }

    /// Every passcode registered so far (for the leak test).
    pub fn all(&self) -> Vec<String> {
        self.lock().passcodes.iter().cloned().collect()
    }

    /// `text` with every registered passcode that stands as a whole token
    /// replaced by [`MASK`]. Where occurrences overlap, the longest wins,
    /// so a passcode that contains another is masked whole.
    pub fn redact(&self, text: &str) -> String {
        self.masker().mask(text)
    }

    /// A JSON document with every registered passcode masked inside its
    /// string literals, and its numbers, keys' structure and layout left as
    /// they are. A passcode is a string wherever Lockstep writes one; a JSON
    /// number is a measurement (a step's duration in nanoseconds, a count),
    /// and masking one that happens to equal a passcode would both break the
    /// document for its consumers and tell a reader that passcode.
    pub fn redact_json(&self, json: &str) -> String {
        // One masker for the whole document, not a lock per literal.
        let masker = self.masker();
        let mut out = String::with_capacity(json.len());
        let mut rest = json;
        while let Some(open) = rest.find('"') {
            out.push_str(&rest[..=open]);
            let literal = &rest[open + 1..];
            let end = string_end(literal);
            out.push_str(&masker.mask(&literal[..end]));
            rest = &literal[end..];
            if let Some(close) = rest.strip_prefix('"') {
                out.push('"');
                rest = close;
            }
        }
        out.push_str(rest);
        out
    }

    /// What masks the passcodes registered so far; the matcher is made
    /// again only if a registration came since the last one.
    fn masker(&self) -> Masker {
        let mut known = self.lock();
        if known.passcodes.is_empty() {
            return Masker::Nothing;
        }
        if known.matcher.is_none() {
            match AhoCorasick::new(&known.passcodes) {
                Ok(m) => known.matcher = Some(Arc::new(m)),
                // aho-corasick refuses only automata too large for its state
                // ids; never seen, and masking too much is the safe way to fail.
                Err(_) => return Masker::Everywhere(known.passcodes.iter().cloned().collect()),
            }
        }
        known.matcher.clone().map_or(Masker::Nothing, Masker::Tokens)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
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

/// How a text gets its passcodes masked.
enum Masker {
    /// No passcode is registered.
    Nothing,
    /// Every registered passcode where it stands as a token of its own.
    Tokens(Arc<AhoCorasick>),
    /// Every occurrence, token or not (the matcher could not be made).
    Everywhere(Vec<String>),
}

impl Masker {
    fn mask(&self, text: &str) -> String {
        let matcher = match self {
            Masker::Nothing => return text.to_owned(),
            Masker::Everywhere(passcodes) => {
                return passcodes.iter().fold(text.to_owned(), |out, p| out.replace(p.as_str(), MASK))
            }
            Masker::Tokens(matcher) => matcher,
        };
        // Every occurrence of every passcode, overlapping ones included,
        // that stands as a token of its own; the longest wins an overlap.
        let mut found: Vec<(usize, usize)> = matcher
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.end()))
            .filter(|&(start, end)| stands_alone(text, start, &text[start..end]))
            .collect();
        if found.is_empty() {
            return text.to_owned();
        }
        found.sort_by_key(|&(start, end)| (std::cmp::Reverse(end - start), start));
        let mut masked: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for (start, end) in found {
            if masked.iter().all(|&(s, e)| end <= s || start >= e) {
                masked.push((start, end));
            }
        }
        masked.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end) in masked {
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
            copied = end;
        }
        out.push_str(&text[copied..]);
        out
    }
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
