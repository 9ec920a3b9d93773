//! The MDM's own reading of a passcode policy: which rules a new passcode
//! must meet before the MDM sends it, and whether a typed one meets them.
//!
//! Written apart from android-sim on purpose. The harness checks the MDM
//! against simulated devices; if both asked one implementation, a mistake in
//! it would pass on both sides and no scenario could catch it. So this module
//! reads AMAPI's `PasswordRequirements` documentation itself, and the
//! device's rules (android-sim's policy and metrics modules) read Android's.
//! Where the two disagree (Android counts a symbol as a letter for
//! ALPHABETIC; this MDM, like the AMAPI field docs, asks for a letter), the
//! device is the one that decides, and a scenario shows it.

use android_sim::{PasswordPolicy, PasswordQuality};
use serde::Serialize;
use std::fmt;

/// One rule the MDM checks a new passcode against. Serialised as the driver
/// protocol lists requirements: `{"requirement": "minimum-length", "value": 8}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "requirement", content = "value", rename_all = "kebab-case")]
pub enum Rule {
    NotEmpty,
    MinimumLength(u8),
    ContainsLetter,
    ContainsLetterAndDigit,
    NoSequences,
    MinimumLetters(u8),
    MinimumLowerCase(u8),
    MinimumUpperCase(u8),
    MinimumNonLetter(u8),
    MinimumNumeric(u8),
    MinimumSymbols(u8),
}

/// A rule and whether the candidate meets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleCheck {
    pub rule: Rule,
    pub met: bool,
}

/// Android's minimum passcode length, as AMAPI and Android's docs state it.
const ANDROID_MINIMUM: u8 = 4;
/// AMAPI: a numeric RESET_PASSWORD `newPassword` on Android 14 needs 6 digits.
const AMAPI_NUMERIC_MINIMUM: u8 = 6;
/// The first API level of Android 14.
const ANDROID_14: u8 = 34;
/// AMAPI's NUMERIC_COMPLEX: "repeating (4444) or ordered (1234, 4321, 2468)
/// sequences are not allowed". Our reading: four in a row is a sequence.
const SEQUENCE: usize = 4;

/// The rules a policy sets, in the order the reset dialog lists them.
/// AMAPI: the minimum length counts for NUMERIC up to COMPLEX, the per-class
/// minima only for COMPLEX; COMPLEXITY_LOW/MEDIUM/HIGH are bands (MEDIUM: no
/// sequences, 4 long; HIGH: no sequences, 8 digits or 6 other characters).
pub fn policy_rules(policy: &PasswordPolicy, candidate: &str) -> Vec<Rule> {
    use PasswordQuality as Q;
    let q = policy.quality;
    let mut rules = Vec::new();
    if q != Q::PasswordQualityUnspecified {
        rules.push(Rule::NotEmpty);
    }
    let uses_length = matches!(q, Q::Numeric | Q::NumericComplex | Q::Alphabetic | Q::Alphanumeric | Q::Complex);
    if uses_length && policy.minimum_length > 0 {
        rules.push(Rule::MinimumLength(policy.minimum_length));
    }
    match q {
        Q::NumericComplex => rules.push(Rule::NoSequences),
        Q::Alphabetic => rules.push(Rule::ContainsLetter),
        Q::Alphanumeric => rules.push(Rule::ContainsLetterAndDigit),
        Q::ComplexityMedium => {
            rules.push(Rule::NoSequences);
            rules.push(Rule::MinimumLength(4));
        }
        Q::ComplexityHigh => {
            rules.push(Rule::NoSequences);
            let digits_only = !candidate.is_empty() && candidate.chars().all(|c| c.is_ascii_digit());
            rules.push(Rule::MinimumLength(if digits_only || candidate.is_empty() { 8 } else { 6 }));
        }
        Q::Complex => {
            for (n, rule) in [
                (policy.minimum_letters, Rule::MinimumLetters as fn(u8) -> Rule),
                (policy.minimum_lower_case, Rule::MinimumLowerCase),
                (policy.minimum_upper_case, Rule::MinimumUpperCase),
                (policy.minimum_non_letter, Rule::MinimumNonLetter),
                (policy.minimum_numeric, Rule::MinimumNumeric),
                (policy.minimum_symbols, Rule::MinimumSymbols),
            ] {
                if n > 0 {
                    rules.push(rule(n));
                }
            }
        }
        _ => {}
    }
    rules
}

/// The floor every new passcode meets whatever the policy: Android's minimum
/// length, and AMAPI's 6 digits for a numeric passcode on Android 14+.
pub fn android_floor(api_level: u8, candidate: &str) -> Vec<Rule> {
    let mut rules = vec![Rule::MinimumLength(ANDROID_MINIMUM)];
    let numeric = !candidate.is_empty() && candidate.bytes().all(|b| b.is_ascii_digit());
    if numeric && api_level >= ANDROID_14 {
        rules.push(Rule::MinimumLength(AMAPI_NUMERIC_MINIMUM));
    }
    rules
}

impl Rule {
    /// Whether `candidate` meets the rule.
    pub fn is_met_by(self, candidate: &str) -> bool {
        let count = |pred: fn(char) -> bool| candidate.chars().filter(|c| pred(*c)).count();
        let at_least = |n: u8, pred: fn(char) -> bool| count(pred) >= usize::from(n);
        match self {
            Rule::NotEmpty => !candidate.is_empty(),
            Rule::MinimumLength(n) => candidate.chars().count() >= usize::from(n),
            Rule::ContainsLetter => count(|c| c.is_ascii_alphabetic()) > 0,
            Rule::ContainsLetterAndDigit => count(|c| c.is_ascii_alphabetic()) > 0 && count(|c| c.is_ascii_digit()) > 0,
            Rule::NoSequences => !has_sequence(candidate),
            Rule::MinimumLetters(n) => at_least(n, |c| c.is_ascii_alphabetic()),
            Rule::MinimumLowerCase(n) => at_least(n, |c| c.is_ascii_lowercase()),
            Rule::MinimumUpperCase(n) => at_least(n, |c| c.is_ascii_uppercase()),
            Rule::MinimumNonLetter(n) => at_least(n, |c| !c.is_ascii_alphabetic()),
            Rule::MinimumNumeric(n) => at_least(n, |c| c.is_ascii_digit()),
            Rule::MinimumSymbols(n) => at_least(n, |c| !c.is_ascii_alphanumeric()),
        }
    }

    pub fn check(self, candidate: &str) -> RuleCheck {
        RuleCheck { rule: self, met: self.is_met_by(candidate) }
    }
}

/// Four characters in a row that repeat (4444, aaaa) or go up or down by a
/// constant step: any step for digits (2468), one for letters (abcd, dcba).
fn has_sequence(candidate: &str) -> bool {
    let chars: Vec<char> = candidate.chars().collect();
    chars.windows(SEQUENCE).any(|w| {
        let steps: Vec<i32> = w.windows(2).map(|p| p[1] as i32 - p[0] as i32).collect();
        let constant = steps.iter().all(|s| *s == steps[0]);
        let digits = w.iter().all(char::is_ascii_digit);
        let lower = w.iter().all(char::is_ascii_lowercase);
        let upper = w.iter().all(char::is_ascii_uppercase);
        constant && (steps[0] == 0 || digits || ((lower || upper) && steps[0].abs() == 1))
    })
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::NotEmpty => write!(f, "a passcode is set"),
            Rule::MinimumLength(n) => write!(f, "at least {n} characters"),
            Rule::ContainsLetter => write!(f, "contains a letter"),
            Rule::ContainsLetterAndDigit => write!(f, "contains a letter and a digit"),
            Rule::NoSequences => write!(f, "no repeating or ordered sequences"),
            Rule::MinimumLetters(n) => write!(f, "at least {n} letters"),
            Rule::MinimumLowerCase(n) => write!(f, "at least {n} lower-case letters"),
            Rule::MinimumUpperCase(n) => write!(f, "at least {n} upper-case letters"),
            Rule::MinimumNonLetter(n) => write!(f, "at least {n} non-letters"),
            Rule::MinimumNumeric(n) => write!(f, "at least {n} digits"),
            Rule::MinimumSymbols(n) => write!(f, "at least {n} symbols"),
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

    fn accepts(p: &PasswordPolicy, candidate: &str) -> bool {
        policy_rules(p, candidate).iter().all(|r| r.is_met_by(candidate))
    }

    #[test]
    fn sequences_as_amapi_describes_them() {
        for bad in ["4444", "1234", "4321", "2468", "98765", "abcd", "DCBA", "x1111", "!!!!"] {
            assert!(has_sequence(bad), "{bad}");
        }
        for ok in ["1358", "4813", "1122", "a1b2", "aceg", "", "123", "!#%&"] {
            assert!(!has_sequence(ok), "{ok}");
        }
    }

    #[test]
    fn table_of_qualities() {
        // (quality, minimum length, candidate, accepted)
        let table = [
            (Q::PasswordQualityUnspecified, 0, "", true),
            (Q::Something, 0, "", false),
            (Q::Numeric, 6, "12345", false),
            (Q::NumericComplex, 4, "1234", false),
            (Q::NumericComplex, 4, "1358", true),
            (Q::Alphabetic, 4, "123456", false),
            (Q::Alphanumeric, 6, "abcdef", false),
            (Q::Alphanumeric, 6, "abc123", true),
            (Q::ComplexityMedium, 0, "1358", true),
            (Q::ComplexityHigh, 0, "1358135", false),
            (Q::ComplexityHigh, 0, "13581358", true),
            (Q::ComplexityHigh, 0, "k3x9q2", true),
        ];
        for (q, n, candidate, want) in table {
            assert_eq!(accepts(&policy(q, n), candidate), want, "{q:?} {n} {candidate}");
        }
    }

    #[test]
    fn the_floor_follows_amapi() {
        let floor = |api, c| android_floor(api, c).iter().all(|r| r.is_met_by(c));
        assert!(!floor(33, "135"));
        assert!(floor(33, "13579"));
        assert!(!floor(34, "13579"));
        assert!(floor(34, "a3579"));
    }

    #[test]
    fn rules_serialise_as_the_driver_protocol_lists_them() {
        let v = serde_json::to_value(Rule::MinimumLength(8)).unwrap_or_default();
        assert_eq!(v, serde_json::json!({ "requirement": "minimum-length", "value": 8 }));
        assert_eq!(
            serde_json::to_value(Rule::NotEmpty).unwrap_or_default(),
            serde_json::json!({ "requirement": "not-empty" })
        );
    }
}
