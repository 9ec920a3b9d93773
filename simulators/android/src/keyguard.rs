//! The lock screen's handling of typed input: which keys exist, when a PIN is
//! submitted (auto-confirm at the cached length, or the OK key), failed
//! attempts and lockouts. Whether the typed passcode is right is the device's
//! business; the keyguard decides what actually gets submitted.

use crate::clock::SimTime;
use crate::passcode::{CredentialKind, Passcode};
use crate::platform;
use crate::profile::PinLengthRefresh;
use std::time::Duration;

/// Keyguard state for one credential holder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keyguard {
    /// The PIN length the keyguard read when it started (PLAT-6). Only a
    /// restart or, on conforming firmware, a credential change refreshes it.
    cached_pin_length: Option<u8>,
    failed_attempts: u16,
    lockout_until: Option<SimTime>,
    /// Five wrong PINs switch auto-confirm off until the next success (§4).
    auto_confirm_suspended: bool,
}

/// What the keyguard does with what a person typed.
#[derive(Debug, PartialEq, Eq)]
pub enum Submission<'a> {
    /// These characters are checked against the credential.
    Submit(&'a str),
    /// The keyguard submitted the first `at` digits on its own (auto-confirm
    /// at the cached length); the rest were never read.
    CutShort { submitted: &'a str, at: u8 },
    /// Fewer digits than auto-confirm waits for, and there is no OK key.
    AwaitingMoreDigits { typed: u8, expected: u8 },
    /// The PIN pad has no key for some character.
    CannotType,
    /// Input is refused during a lockout.
    LockedOut { remaining: Duration },
}

impl Keyguard {
    /// A keyguard starting (SystemUI start at boot) with the stored length.
    pub fn start(stored_pin_length: Option<u8>) -> Self {
        Keyguard { cached_pin_length: stored_pin_length, ..Default::default() }
    }

    /// A restart: the cache is read again; attempts and lockout persist.
    pub fn restart(&mut self, stored_pin_length: Option<u8>) {
        self.cached_pin_length = stored_pin_length;
    }

    /// The credential changed. Conforming firmware refreshes the cached PIN
    /// length at once; the quirk keeps the old one until restart (PLAT-6).
    pub fn credential_changed(&mut self, stored_pin_length: Option<u8>, refresh: PinLengthRefresh) {
        if refresh == PinLengthRefresh::Immediate {
            self.cached_pin_length = stored_pin_length;
        }
        self.failed_attempts = 0;
        self.lockout_until = None;
        self.auto_confirm_suspended = false;
    }

    pub fn cached_pin_length(&self) -> Option<u8> {
        self.cached_pin_length
    }

    pub fn failed_attempts(&self) -> u16 {
        self.failed_attempts
    }

    /// The auto-confirm length in force, if any: auto-confirm is available for
    /// this credential, a length is cached, and five failures have not
    /// suspended it. `None` means the OK key is shown.
    pub fn auto_confirm_length(&self, auto_confirm_available: bool) -> Option<u8> {
        if auto_confirm_available && !self.auto_confirm_suspended {
            self.cached_pin_length
        } else {
            None
        }
    }

    /// Decide what gets submitted when a person types `typed` (and presses OK
    /// if there is one).
    pub fn submit<'a>(
        &self,
        typed: &'a Passcode,
        kind: CredentialKind,
        auto_confirm_available: bool,
        now: SimTime,
    ) -> Submission<'a> {
        if let Some(remaining) = self.lockout_remaining(now) {
            return Submission::LockedOut { remaining };
        }
        let text = typed.expose();
        if kind == CredentialKind::Pin && !typed.is_numeric() {
            return Submission::CannotType;
        }
        let Some(expected) = self.auto_confirm_length(auto_confirm_available && kind == CredentialKind::Pin) else {
            return Submission::Submit(text);
        };
        let typed_len = u8::try_from(typed.len()).unwrap_or(u8::MAX);
        match typed_len.cmp(&expected) {
            std::cmp::Ordering::Equal => Submission::Submit(text),
            std::cmp::Ordering::Less => Submission::AwaitingMoreDigits { typed: typed_len, expected },
            // Digits are ASCII, so the byte index is the character index.
            std::cmp::Ordering::Greater => {
                Submission::CutShort { submitted: &text[..usize::from(expected)], at: expected }
            }
        }
    }

    /// A wrong credential was submitted. Returns the lockout it started, if any.
    pub fn record_failure(&mut self, now: SimTime) -> Option<Duration> {
        self.failed_attempts = self.failed_attempts.saturating_add(1);
        if self.failed_attempts >= platform::FAILED_ATTEMPTS_BEFORE_LOCKOUT {
            self.auto_confirm_suspended = true;
        }
        let lockout = platform::lockout_after(self.failed_attempts);
        if let Some(d) = lockout {
            self.lockout_until = Some(now.after(d));
        }
        lockout
    }

    /// How long the current lockout still lasts at `now`, if one is running.
    pub fn lockout_remaining(&self, now: SimTime) -> Option<Duration> {
        self.lockout_until.filter(|u| now < *u).map(|u| now.until(u))
    }

    /// End a running lockout at once (a lock screen without the throttle).
    pub fn forget_lockout(&mut self) {
        self.lockout_until = None;
    }

    /// The right credential was entered.
    pub fn record_success(&mut self) {
        self.failed_attempts = 0;
        self.lockout_until = None;
        self.auto_confirm_suspended = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: SimTime = SimTime::ZERO;

    #[test]
    fn auto_confirm_cuts_a_longer_pin_short_and_waits_on_a_shorter_one() {
        let kg = Keyguard::start(Some(6));
        let eight = Passcode::new("48151623");
        assert_eq!(
            kg.submit(&eight, CredentialKind::Pin, true, T0),
            Submission::CutShort { submitted: "481516", at: 6 }
        );
        let four = Passcode::new("4815");
        assert_eq!(
            kg.submit(&four, CredentialKind::Pin, true, T0),
            Submission::AwaitingMoreDigits { typed: 4, expected: 6 }
        );
        // Without auto-confirm the OK key submits whatever was typed.
        assert_eq!(kg.submit(&eight, CredentialKind::Pin, false, T0), Submission::Submit("48151623"));
    }

    #[test]
    fn the_pin_pad_has_no_letters() {
        let kg = Keyguard::start(None);
        assert_eq!(kg.submit(&Passcode::new("a1b2c3"), CredentialKind::Pin, false, T0), Submission::CannotType);
        assert!(matches!(
            kg.submit(&Passcode::new("a1b2c3"), CredentialKind::Password, false, T0),
            Submission::Submit(_)
        ));
    }

    #[test]
    fn five_failures_lock_out_and_bring_back_the_ok_key() {
        let mut kg = Keyguard::start(Some(6));
        for n in 1..=4 {
            assert_eq!(kg.record_failure(T0), None, "attempt {n}");
        }
        assert_eq!(kg.auto_confirm_length(true), Some(6));
        assert_eq!(kg.record_failure(T0), Some(Duration::from_secs(30)));
        assert_eq!(kg.auto_confirm_length(true), None, "OK key is back");
        let eight = Passcode::new("48151623");
        assert!(matches!(kg.submit(&eight, CredentialKind::Pin, true, T0), Submission::LockedOut { .. }));
        let later = T0.after(Duration::from_secs(30));
        assert_eq!(kg.submit(&eight, CredentialKind::Pin, true, later), Submission::Submit("48151623"));
        kg.record_success();
        assert_eq!(kg.auto_confirm_length(true), Some(6));
    }

    #[test]
    fn refresh_policy_decides_when_the_new_length_counts() {
        let mut conforming = Keyguard::start(Some(6));
        conforming.credential_changed(Some(8), PinLengthRefresh::Immediate);
        assert_eq!(conforming.cached_pin_length(), Some(8));

        let mut quirky = Keyguard::start(Some(6));
        quirky.credential_changed(Some(8), PinLengthRefresh::OnRestart);
        assert_eq!(quirky.cached_pin_length(), Some(6));
        quirky.restart(Some(8));
        assert_eq!(quirky.cached_pin_length(), Some(8));
    }
}
