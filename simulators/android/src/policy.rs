//! The password policy an MDM assigns (AMAPI `PasswordRequirements`), and the
//! check of a passcode against it, requirement by requirement.
//!
//! The per-requirement answer is what Iru's reset dialog shows (IRU-3): each
//! requirement of the assigned policy and whether the typed passcode meets it.
//! Platform floors (minimum 4, the Android 14 numeric minimum) are not policy;
//! they live in [`crate::platform`].

use crate::passcode::Passcode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// AMAPI `passwordQuality`, with the same member names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PasswordQuality {
    #[default]
    PasswordQualityUnspecified,
    BiometricWeak,
    Something,
    Numeric,
    NumericComplex,
    Alphabetic,
    Alphanumeric,
    Complex,
    ComplexityLow,
    ComplexityMedium,
    ComplexityHigh,
}

/// AMAPI `passwordScope`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyScope {
    /// The work profile on work-profile devices, the device elsewhere.
    #[default]
    ScopeUnspecified,
    ScopeDevice,
    ScopeProfile,
}

/// One password policy: the fields of AMAPI `PasswordRequirements` that
/// decide whether a passcode is acceptable. As JSON (the driver protocol's
/// enrollment policy) every field is optional and an unknown one is refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    pub quality: PasswordQuality,
    pub minimum_length: u8,
    pub minimum_letters: u8,
    pub minimum_lower_case: u8,
    pub minimum_upper_case: u8,
    pub minimum_non_letter: u8,
    pub minimum_numeric: u8,
    pub minimum_symbols: u8,
    pub scope: PolicyScope,
}

/// One thing a passcode must satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "requirement", content = "value", rename_all = "kebab-case")]
pub enum Requirement {
    /// Some credential must be set.
    NotEmpty,
    MinimumLength(u8),
    /// At least one letter (ALPHABETIC).
    ContainsLetter,
    /// At least one letter and one digit (ALPHANUMERIC).
    ContainsLetterAndDigit,
    /// No run of more than three repeating or evenly stepped characters
    /// (4444, 1234, 4321, 2468): NUMERIC_COMPLEX and the MEDIUM/HIGH buckets.
    NoSequences,
    MinimumLetters(u8),
    MinimumLowerCase(u8),
    MinimumUpperCase(u8),
    MinimumNonLetter(u8),
    MinimumNumeric(u8),
    MinimumSymbols(u8),
}

/// A requirement and whether the passcode meets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementCheck {
    pub requirement: Requirement,
    pub met: bool,
}

impl PasswordPolicy {
    /// The requirements this policy places on a passcode, in the order a
    /// dialog lists them.
    ///
    /// Following AMAPI's field docs: `passwordMinimumLength` counts only for
    /// NUMERIC..COMPLEX, the six per-class minima only for COMPLEX; the
    /// COMPLEXITY_* buckets follow the platform's PasswordMetrics (LOW: any
    /// credential; MEDIUM: no sequences, 4 long; HIGH: no sequences, PIN 8
    /// long, other passwords 6 long).
    pub fn requirements(&self, candidate: &Passcode) -> Vec<Requirement> {
        use PasswordQuality as Q;
        let mut out = Vec::new();
        let length_counts =
            matches!(self.quality, Q::Numeric | Q::NumericComplex | Q::Alphabetic | Q::Alphanumeric | Q::Complex);
        if self.quality != Q::PasswordQualityUnspecified {
            out.push(Requirement::NotEmpty);
        }
        if length_counts && self.minimum_length > 0 {
            out.push(Requirement::MinimumLength(self.minimum_length));
        }
        match self.quality {
            Q::NumericComplex | Q::ComplexityMedium => out.push(Requirement::NoSequences),
            Q::Alphabetic => out.push(Requirement::ContainsLetter),
            Q::Alphanumeric => out.push(Requirement::ContainsLetterAndDigit),
            Q::ComplexityHigh => {
                out.push(Requirement::NoSequences);
                let floor = if candidate.is_numeric() || candidate.is_empty() { 8 } else { 6 };
                out.push(Requirement::MinimumLength(floor));
            }
            Q::Complex => {
                let minima = [
                    (self.minimum_letters, Requirement::MinimumLetters as fn(u8) -> Requirement),
                    (self.minimum_lower_case, Requirement::MinimumLowerCase),
                    (self.minimum_upper_case, Requirement::MinimumUpperCase),
                    (self.minimum_non_letter, Requirement::MinimumNonLetter),
                    (self.minimum_numeric, Requirement::MinimumNumeric),
                    (self.minimum_symbols, Requirement::MinimumSymbols),
                ];
                out.extend(minima.into_iter().filter(|(n, _)| *n > 0).map(|(n, r)| r(n)));
            }
            _ => {}
        }
        if self.quality == Q::ComplexityMedium {
            out.push(Requirement::MinimumLength(4));
        }
        out
    }

    /// Each requirement with whether `candidate` meets it.
    pub fn check(&self, candidate: &Passcode) -> Vec<RequirementCheck> {
        self.requirements(candidate)
            .into_iter()
            .map(|requirement| RequirementCheck { requirement, met: requirement.is_met_by(candidate) })
            .collect()
    }

    /// Whether `candidate` meets every requirement.
    pub fn accepts(&self, candidate: &Passcode) -> bool {
        self.check(candidate).iter().all(|c| c.met)
    }
}

impl Requirement {
    pub fn is_met_by(self, p: &Passcode) -> bool {
        let s = p.expose();
        let count = |f: fn(&char) -> bool| s.chars().filter(f).count();
        let at_least = |n: u8, f: fn(&char) -> bool| count(f) >= usize::from(n);
        match self {
            Requirement::NotEmpty => !s.is_empty(),
            Requirement::MinimumLength(n) => p.len() >= usize::from(n),
            Requirement::ContainsLetter => count(|c: &char| c.is_alphabetic()) > 0,
            Requirement::ContainsLetterAndDigit => {
                count(|c: &char| c.is_alphabetic()) > 0 && count(char::is_ascii_digit) > 0
            }
            Requirement::NoSequences => longest_sequence(s) <= MAX_ALLOWED_SEQUENCE,
            Requirement::MinimumLetters(n) => at_least(n, |c: &char| c.is_alphabetic()),
            Requirement::MinimumLowerCase(n) => at_least(n, |c: &char| c.is_lowercase()),
            Requirement::MinimumUpperCase(n) => at_least(n, |c: &char| c.is_uppercase()),
            Requirement::MinimumNonLetter(n) => at_least(n, |c: &char| !c.is_alphabetic()),
            Requirement::MinimumNumeric(n) => at_least(n, char::is_ascii_digit),
            Requirement::MinimumSymbols(n) => at_least(n, |c: &char| !c.is_alphanumeric()),
        }
    }
}

/// android.md §5: PasswordMetrics allows runs of at most three.
const MAX_ALLOWED_SEQUENCE: usize = 3;

/// The longest run of characters with a constant step between neighbours,
/// as PasswordMetrics counts them: digits may step by any amount (2468 is a
/// run), letters of one case by at most one, other characters only repeat.
fn longest_sequence(s: &str) -> usize {
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

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::NotEmpty => write!(f, "a passcode is set"),
            Requirement::MinimumLength(n) => write!(f, "at least {n} characters"),
            Requirement::ContainsLetter => write!(f, "contains a letter"),
            Requirement::ContainsLetterAndDigit => write!(f, "contains a letter and a digit"),
            Requirement::NoSequences => write!(f, "no repeating or ordered sequences"),
            Requirement::MinimumLetters(n) => write!(f, "at least {n} letters"),
            Requirement::MinimumLowerCase(n) => write!(f, "at least {n} lower-case letters"),
            Requirement::MinimumUpperCase(n) => write!(f, "at least {n} upper-case letters"),
            Requirement::MinimumNonLetter(n) => write!(f, "at least {n} non-letters"),
            Requirement::MinimumNumeric(n) => write!(f, "at least {n} digits"),
            Requirement::MinimumSymbols(n) => write!(f, "at least {n} symbols"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PasswordQuality as Q;

    fn policy(quality: Q, minimum_length: u8) -> PasswordPolicy {
        PasswordPolicy { quality, minimum_length, ..Default::default() }
    }

    #[test]
    fn sequences_as_amapi_describes_them() {
        for bad in ["4444", "1234", "4321", "2468", "1357", "98765", "abcd", "19999", "!!!!"] {
            assert!(longest_sequence(bad) > 3, "{bad}");
        }
        for ok in ["1358x", "4813", "1122", "a1b2", "aceg", "", "7", "!#%&"] {
            assert!(longest_sequence(ok) <= 3, "{ok}");
        }
    }

    #[test]
    fn table_of_qualities() {
        // (quality, min length, passcode, accepted)
        let table = [
            (Q::PasswordQualityUnspecified, 0, "", true),
            (Q::Something, 0, "", false),
            (Q::Something, 0, "1111", true),
            (Q::Numeric, 6, "12345", false),
            (Q::Numeric, 6, "111111", true),
            (Q::NumericComplex, 4, "1234", false),
            (Q::NumericComplex, 4, "1358", true),
            (Q::Alphabetic, 4, "123456", false),
            (Q::Alphabetic, 4, "abcdxy", true),
            (Q::Alphanumeric, 6, "abcdef", false),
            (Q::Alphanumeric, 6, "abc123", true),
            (Q::ComplexityLow, 0, "1111", true),
            (Q::ComplexityMedium, 0, "135", false),
            (Q::ComplexityMedium, 0, "1358", true),
            (Q::ComplexityHigh, 0, "1358135", false),
            (Q::ComplexityHigh, 0, "13581358", true),
            (Q::ComplexityHigh, 0, "13579135", false),
            (Q::ComplexityHigh, 0, "k3x9q2", true),
            (Q::ComplexityHigh, 0, "k3x9q", false),
        ];
        for (q, len, pass, ok) in table {
            assert_eq!(policy(q, len).accepts(&Passcode::new(pass)), ok, "{q:?} {len} {pass}");
        }
    }

    #[test]
    fn minimum_length_only_counts_with_a_quality_that_uses_it() {
        // AMAPI: passwordMinimumLength is enforced only for NUMERIC..COMPLEX.
        assert!(policy(Q::Something, 10).accepts(&Passcode::new("1593")));
        assert!(!policy(Q::Numeric, 10).accepts(&Passcode::new("1593")));
    }

    #[test]
    fn complex_minima_are_listed_one_by_one() {
        let p = PasswordPolicy {
            quality: Q::Complex,
            minimum_length: 8,
            minimum_letters: 2,
            minimum_upper_case: 1,
            minimum_symbols: 1,
            ..Default::default()
        };
        let checks = p.check(&Passcode::new("abcdefg1"));
        let unmet: Vec<_> = checks.iter().filter(|c| !c.met).map(|c| c.requirement).collect();
        assert_eq!(unmet, vec![Requirement::MinimumUpperCase(1), Requirement::MinimumSymbols(1)]);
        assert!(p.accepts(&Passcode::new("abcDefg1!")));
    }
}
