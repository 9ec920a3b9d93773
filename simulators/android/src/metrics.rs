//! Password metrics: what Android keeps about a credential once it is set
//! (docs/platform.md §5). The device never keeps a passcode; it keeps these
//! counts, a salted digest (crate::passcode) and the credential's kind, and
//! answers every policy and complexity question from them.
//!
//! Android counts characters in ASCII classes: `A-Z` are upper-case letters,
//! `a-z` lower-case letters, `0-9` digits, and everything else a symbol.

use crate::passcode::{CredentialKind, Passcode};

/// §5: PasswordMetrics allows runs of at most three (`MAX_ALLOWED_SEQUENCE`).
pub const MAX_ALLOWED_SEQUENCE: u8 = 3;

/// The counts Android keeps for a lock-screen credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PasswordMetrics {
    pub kind: CredentialKind,
    pub length: u8,
    pub letters: u8,
    pub upper_case: u8,
    pub lower_case: u8,
    pub numeric: u8,
    pub symbols: u8,
    pub non_letter: u8,
    pub non_numeric: u8,
    /// The longest run of repeated or evenly stepped characters (4444, 1234, abcd).
    pub longest_sequence: u8,
}

/// `DevicePolicyManager`'s complexity levels (§5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Complexity {
    None,
    Low,
    Medium,
    High,
}

impl Complexity {
    /// The platform's constant: NONE 0, LOW 0x10000, MEDIUM 0x30000, HIGH 0x50000.
    pub fn constant(self) -> u32 {
        match self {
            Complexity::None => 0,
            Complexity::Low => 0x10000,
            Complexity::Medium => 0x30000,
            Complexity::High => 0x50000,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Complexity::None => "none",
            Complexity::Low => "low",
            Complexity::Medium => "medium",
            Complexity::High => "high",
        }
    }
}

impl PasswordMetrics {
    /// Count `passcode` as a credential of `kind`.
    pub fn of(passcode: &Passcode, kind: CredentialKind) -> Self {
        let mut m = PasswordMetrics {
            kind,
            length: 0,
            letters: 0,
            upper_case: 0,
            lower_case: 0,
            numeric: 0,
            symbols: 0,
            non_letter: 0,
            non_numeric: 0,
            longest_sequence: saturate(longest_sequence(passcode.expose())),
        };
        for c in passcode.expose().chars() {
            m.length = m.length.saturating_add(1);
            match c {
                'A'..='Z' => {
                    m.letters += 1;
                    m.upper_case += 1;
                    m.non_numeric += 1;
                }
                'a'..='z' => {
                    m.letters += 1;
                    m.lower_case += 1;
                    m.non_numeric += 1;
                }
                '0'..='9' => {
                    m.numeric += 1;
                    m.non_letter += 1;
                }
                _ => {
                    m.symbols += 1;
                    m.non_letter += 1;
                    m.non_numeric += 1;
                }
            }
        }
        m
    }

    /// Metrics of a passcode not yet stored: a PIN if it is all digits.
    pub fn of_candidate(passcode: &Passcode) -> Self {
        let kind = if passcode.is_numeric() { CredentialKind::Pin } else { CredentialKind::Password };
        Self::of(passcode, kind)
    }

    /// A repeated or ordered run longer than Android allows.
    pub fn has_sequence(&self) -> bool {
        self.longest_sequence > MAX_ALLOWED_SEQUENCE
    }

    /// §5 (ComplexityBucket): the complexity level this credential reaches.
    /// HIGH: no sequence, 8 long if it has only digits, 6 otherwise; MEDIUM:
    /// no sequence, 4 long; LOW: any credential.
    pub fn complexity(&self) -> Complexity {
        let digits_only = self.non_numeric == 0;
        if !self.has_sequence() && self.length >= if digits_only { 8 } else { 6 } {
            Complexity::High
        } else if !self.has_sequence() && self.length >= 4 {
            Complexity::Medium
        } else {
            Complexity::Low
        }
    }
}

fn saturate(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// The longest run of characters with a constant step between neighbours,
/// as PasswordMetrics counts them: digits may step by any amount (2468 is a
/// run), letters of one case by at most one, other characters only repeat.
pub fn longest_sequence(s: &str) -> usize {
    fn class_and_limit(c: char) -> (u8, i32) {
        match c {
            '0'..='9' => (1, 10),
            'a'..='z' => (2, 1),
            'A'..='Z' => (3, 1),
            _ => (0, 0),
        }
    }
    let chars: Vec<char> = s.chars().collect();
    let mut longest = usize::from(!chars.is_empty());
    let (mut run, mut step) = (longest, None::<i32>);
    for w in chars.windows(2) {
        let ((class_a, limit), (class_b, _)) = (class_and_limit(w[0]), class_and_limit(w[1]));
        let d = w[1] as i32 - w[0] as i32;
        if class_a != class_b || d.abs() > limit {
            (run, step) = (1, None);
        } else if step == Some(d) {
            run += 1;
        } else {
            (run, step) = (2, Some(d));
        }
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sequences_as_android_counts_them() {
        for bad in ["4444", "1234", "4321", "2468", "1357", "98765", "abcd", "19999", "!!!!"] {
            assert!(longest_sequence(bad) > 3, "{bad}");
        }
        for ok in ["1358x", "4813", "1122", "a1b2", "aceg", "", "7", "!#%&"] {
            assert!(longest_sequence(ok) <= 3, "{ok}");
        }
    }

    #[test]
    fn counts_by_ascii_class() {
        let m = PasswordMetrics::of(&Passcode::new("aB3$x9"), CredentialKind::Password);
        assert_eq!(
            (m.length, m.letters, m.upper_case, m.lower_case, m.numeric, m.symbols, m.non_letter, m.non_numeric),
            (6, 3, 1, 2, 2, 1, 3, 4)
        );
    }

    #[test]
    fn complexity_table() {
        // (passcode, kind, complexity)
        let table = [
            ("1234", CredentialKind::Pin, Complexity::Low),
            ("4444", CredentialKind::Pin, Complexity::Low),
            ("1358", CredentialKind::Pin, Complexity::Medium),
            ("1358135", CredentialKind::Pin, Complexity::Medium),
            ("13581358", CredentialKind::Pin, Complexity::High),
            // API 30 stores digits as a password: still measured as digits only.
            ("13581358", CredentialKind::Password, Complexity::High),
            ("1358135", CredentialKind::Password, Complexity::Medium),
            ("k3x9q2", CredentialKind::Password, Complexity::High),
            ("k3x9q", CredentialKind::Password, Complexity::Medium),
            ("abcdef", CredentialKind::Password, Complexity::Low),
        ];
        for (p, kind, want) in table {
            assert_eq!(PasswordMetrics::of(&Passcode::new(p), kind).complexity(), want, "{p}");
        }
    }

    proptest! {
        #[test]
        fn classes_add_up(s in "[ -~]{0,20}") {
            let m = PasswordMetrics::of(&Passcode::new(s.clone()), CredentialKind::Password);
            prop_assert_eq!(usize::from(m.length), s.chars().count());
            prop_assert_eq!(m.letters + m.non_letter, m.length);
            prop_assert_eq!(m.numeric + m.non_numeric, m.length);
            prop_assert_eq!(m.upper_case + m.lower_case, m.letters);
            prop_assert_eq!(m.symbols, m.length - m.letters - m.numeric);
        }

        #[test]
        fn complexity_follows_its_buckets(s in "[0-9a-zA-Z!#]{1,12}") {
            let m = PasswordMetrics::of_candidate(&Passcode::new(s));
            let c = m.complexity();
            prop_assert!(c >= Complexity::Low, "any credential is at least LOW");
            if m.has_sequence() || m.length < 4 {
                prop_assert_eq!(c, Complexity::Low);
            }
            if c == Complexity::High {
                prop_assert!(m.length >= 6 && !m.has_sequence());
                prop_assert!(m.non_numeric > 0 || m.length >= 8);
            }
        }
    }
}
