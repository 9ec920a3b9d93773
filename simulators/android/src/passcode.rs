//! Passcodes as they travel (a secret that never prints) and credentials as a
//! device keeps them (salted SHA-256, never the passcode itself).

use crate::metrics::PasswordMetrics;
use crate::policy::PasswordQuality;
use sha2::{Digest, Sha256};
use std::fmt;

/// A passcode on its way to or from a device. It has no `Display`, and its
/// `Debug` prints only that it is redacted, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Passcode(String);

impl Passcode {
    pub fn new(text: impl Into<String>) -> Self {
        Passcode(text.into())
    }

    /// The passcode's characters. Call this only where the secret is meant to
    /// go: into a credential check, an AMAPI command body, a mail.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when every character is an ASCII digit (and there is at least one).
    pub fn is_numeric(&self) -> bool {
        !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_digit())
    }
}

impl fmt::Debug for Passcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passcode(<redacted>)")
    }
}

/// Which keyguard a credential brings up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// Digits only, entered on the PIN pad.
    Pin,
    /// Any characters, entered on the full keyboard.
    Password,
}

/// A stored lock-screen credential: its kind, Android's password metrics,
/// the quality recorded with it, and a salted digest, never the passcode.
/// `Debug` shows the kind and length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    metrics: PasswordMetrics,
    quality: PasswordQuality,
    digest: [u8; 32],
}

impl Credential {
    /// Hash `passcode` under `salt`. The salt is per device and per user so the
    /// same passcode on two holders gives two digests.
    pub fn derive(passcode: &Passcode, kind: CredentialKind, salt: u64) -> Self {
        let metrics = PasswordMetrics::of(passcode, kind);
        Credential { quality: PasswordQuality::of_metrics(&metrics), metrics, digest: digest(passcode, salt) }
    }

    /// §1.2 (Android 5-10): "the currently active quality will be increased
    /// to match" the required one when a reset passes the policy.
    pub fn raised_to(mut self, required: PasswordQuality) -> Self {
        if let (Some(have), Some(want)) = (self.quality.dpm_constant(), required.dpm_constant()) {
            if want > have {
                self.quality = required;
            }
        }
        self
    }

    pub fn kind(&self) -> CredentialKind {
        self.metrics.kind
    }

    pub fn length(&self) -> u8 {
        self.metrics.length
    }

    pub fn metrics(&self) -> &PasswordMetrics {
        &self.metrics
    }

    /// The quality recorded with the credential (what Android 5-10 compare).
    pub fn quality(&self) -> PasswordQuality {
        self.quality
    }

    /// Whether `candidate` is this credential.
    pub fn matches(&self, candidate: &Passcode, salt: u64) -> bool {
        // Not constant-time: this is a simulator, no attacker measures it.
        digest(candidate, salt) == self.digest
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("kind", &self.metrics.kind)
            .field("length", &self.metrics.length)
            .finish_non_exhaustive()
    }
}

fn digest(passcode: &Passcode, salt: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt.to_le_bytes());
    h.update(passcode.expose().as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Passcode::new("48151623");
        let c = Credential::derive(&p, CredentialKind::Pin, 7);
        let printed = format!("{p:?} {c:?}");
        assert!(!printed.contains("48151623"), "{printed}");
        assert!(printed.contains("length: 8"), "{printed}");
    }

    #[test]
    fn salt_separates_holders() {
        let p = Passcode::new("1234");
        let a = Credential::derive(&p, CredentialKind::Pin, 1);
        assert!(a.matches(&p, 1));
        assert!(!a.matches(&p, 2));
        assert!(!a.matches(&Passcode::new("1235"), 1));
    }

    #[test]
    fn numeric_means_digits_only() {
        assert!(Passcode::new("0042").is_numeric());
        assert!(!Passcode::new("4a2").is_numeric());
        assert!(!Passcode::new("").is_numeric());
    }
}
