//! Passcodes never reach an output. Every passcode a run generates or learns
//! is registered here, and every line the harness prints or writes passes
//! through [`Secrets::redact`].

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

    /// `text` with every registered passcode replaced by [`MASK`], longest first
    /// so a passcode that contains another is masked whole.
    pub fn redact(&self, text: &str) -> String {
        let known = self.lock();
        let mut by_length: Vec<&String> = known.iter().collect();
        by_length.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_owned();
        for secret in by_length {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // A panic while holding this lock cannot leave the set inconsistent.
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
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
}
