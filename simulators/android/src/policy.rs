//! The password policy an MDM assigns (AMAPI `PasswordRequirements`), and the
//! check of a passcode against it, requirement by requirement.
//!
//! The per-requirement answer is what Iru's reset dialog shows (IRU-3): each
//! requirement of the assigned policy and whether the typed passcode meets it.
//! Platform floors (minimum 4, the Android 14 numeric minimum) are not policy;
//! they live in [`crate::platform`].

use crate::metrics::{Complexity, PasswordMetrics};
use crate::passcode::Passcode;
use crate::platform;
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
    /// At least one letter and one digit (ALPHANUMERIC, Android 11+).
    ContainsLetterAndDigit,
    /// At least one digit and one other character (ALPHANUMERIC before Android 11).
    ContainsDigitAndNonDigit,
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

/// A constraint a policy setter sets (`setPasswordMinimumLength`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Constraint {
    Length,
    Letters,
    LowerCase,
    UpperCase,
    NonLetter,
    Numeric,
    Symbols,
}

impl Constraint {
    pub fn as_str(self) -> &'static str {
        match self {
            Constraint::Length => "minimum length",
            Constraint::Letters => "minimum letters",
            Constraint::LowerCase => "minimum lower-case",
            Constraint::UpperCase => "minimum upper-case",
            Constraint::NonLetter => "minimum non-letter",
            Constraint::Numeric => "minimum numeric",
            Constraint::Symbols => "minimum symbols",
        }
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PasswordPolicy {
    /// Set one constraint's value.
    pub fn set(&mut self, constraint: Constraint, value: u8) {
        let field = match constraint {
            Constraint::Length => &mut self.minimum_length,
            Constraint::Letters => &mut self.minimum_letters,
            Constraint::LowerCase => &mut self.minimum_lower_case,
            Constraint::UpperCase => &mut self.minimum_upper_case,
            Constraint::NonLetter => &mut self.minimum_non_letter,
            Constraint::Numeric => &mut self.minimum_numeric,
            Constraint::Symbols => &mut self.minimum_symbols,
        };
        *field = value;
    }
}

/// A requirement and whether the passcode meets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementCheck {
    pub requirement: Requirement,
    pub met: bool,
}

impl PasswordPolicy {
    /// The requirements this policy places on a new passcode on the newest
    /// API level, in the order a dialog lists them.
    pub fn requirements(&self, candidate: &Passcode) -> Vec<Requirement> {
        self.requirements_on(platform::HIGHEST_API, &PasswordMetrics::of_candidate(candidate))
    }

    /// The requirements on `api` for a passcode measured as `candidate`.
    ///
    /// Following AMAPI's field docs: `passwordMinimumLength` counts only for
    /// NUMERIC..COMPLEX, the six per-class minima only for COMPLEX; the
    /// COMPLEXITY_* buckets follow the platform's PasswordMetrics (LOW: any
    /// credential; MEDIUM: no sequences, 4 long; HIGH: no sequences, 8 long
    /// with digits only, 6 otherwise). ALPHANUMERIC differs by API level
    /// (docs/platform.md §5): a digit and a non-digit before Android 11, a
    /// digit and a letter from 11.
    pub fn requirements_on(&self, api: u8, candidate: &PasswordMetrics) -> Vec<Requirement> {
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
            Q::Alphanumeric if platform::alphanumeric_needs_a_letter(api) => {
                out.push(Requirement::ContainsLetterAndDigit)
            }
            Q::Alphanumeric => out.push(Requirement::ContainsDigitAndNonDigit),
            Q::ComplexityHigh => {
                out.push(Requirement::NoSequences);
                let floor = if candidate.non_numeric == 0 { 8 } else { 6 };
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

    /// Each requirement with whether `candidate` meets it (newest API level).
    pub fn check(&self, candidate: &Passcode) -> Vec<RequirementCheck> {
        self.check_on(platform::HIGHEST_API, candidate)
    }

    /// Each requirement on `api` with whether `candidate` meets it.
    pub fn check_on(&self, api: u8, candidate: &Passcode) -> Vec<RequirementCheck> {
        if candidate.is_empty() {
            return self.check_metrics(api, None);
        }
        self.check_metrics(api, Some(&PasswordMetrics::of_candidate(candidate)))
    }

    /// Each requirement on `api` against a credential's metrics (`None`: no credential).
    pub fn check_metrics(&self, api: u8, metrics: Option<&PasswordMetrics>) -> Vec<RequirementCheck> {
        let none = PasswordMetrics::of_candidate(&Passcode::new(""));
        let m = metrics.unwrap_or(&none);
        self.requirements_on(api, m)
            .into_iter()
            .map(|requirement| RequirementCheck { requirement, met: metrics.is_some() && requirement.is_met(m) })
            .collect()
    }

    /// Whether `candidate` meets every requirement (newest API level).
    pub fn accepts(&self, candidate: &Passcode) -> bool {
        self.check(candidate).iter().all(|c| c.met)
    }

    /// The DPM quality constant of this policy's quality, for the qualities
    /// that are DPM qualities (not the COMPLEXITY_* buckets).
    pub fn dpm_quality(&self) -> Option<u32> {
        self.quality.dpm_constant()
    }
}

impl PasswordQuality {
    /// §5: the `DevicePolicyManager` constant; `None` for the complexity buckets.
    pub fn dpm_constant(self) -> Option<u32> {
        use PasswordQuality as Q;
        Some(match self {
            Q::PasswordQualityUnspecified => 0,
            Q::BiometricWeak => 0x8000,
            Q::Something => 0x10000,
            Q::Numeric => 0x20000,
            Q::NumericComplex => 0x30000,
            Q::Alphabetic => 0x40000,
            Q::Alphanumeric => 0x50000,
            Q::Complex => 0x60000,
            Q::ComplexityLow | Q::ComplexityMedium | Q::ComplexityHigh => return None,
        })
    }

    /// The complexity bucket a COMPLEXITY_* quality names.
    pub fn complexity(self) -> Option<Complexity> {
        match self {
            PasswordQuality::ComplexityLow => Some(Complexity::Low),
            PasswordQuality::ComplexityMedium => Some(Complexity::Medium),
            PasswordQuality::ComplexityHigh => Some(Complexity::High),
            _ => None,
        }
    }

    /// The quality LockPatternUtils computes for a credential (used by the
    /// quality checks of Android 5-10, §1.2): digits and non-digits make
    /// ALPHANUMERIC, non-digits alone ALPHABETIC, digits NUMERIC_COMPLEX
    /// without a sequence and NUMERIC with one.
    pub fn of_metrics(m: &PasswordMetrics) -> PasswordQuality {
        match (m.numeric > 0, m.non_numeric > 0) {
            (true, true) => PasswordQuality::Alphanumeric,
            (false, true) => PasswordQuality::Alphabetic,
            (true, false) if m.has_sequence() => PasswordQuality::Numeric,
            (true, false) => PasswordQuality::NumericComplex,
            (false, false) => PasswordQuality::PasswordQualityUnspecified,
        }
    }
}

impl Requirement {
    /// Whether a passcode meets this requirement, as Android measures it.
    pub fn is_met_by(self, p: &Passcode) -> bool {
        self.is_met(&PasswordMetrics::of_candidate(p))
    }

    /// Whether a credential with these metrics meets this requirement.
    /// ALPHABETIC's "letter" is any non-digit, as Android counts it (§5).
    pub fn is_met(self, m: &PasswordMetrics) -> bool {
        match self {
            Requirement::NotEmpty => m.length > 0,
            Requirement::MinimumLength(n) => m.length >= n,
            Requirement::ContainsLetter => m.non_numeric > 0,
            Requirement::ContainsLetterAndDigit => m.letters > 0 && m.numeric > 0,
            Requirement::ContainsDigitAndNonDigit => m.numeric > 0 && m.non_numeric > 0,
            Requirement::NoSequences => !m.has_sequence(),
            Requirement::MinimumLetters(n) => m.letters >= n,
            Requirement::MinimumLowerCase(n) => m.lower_case >= n,
            Requirement::MinimumUpperCase(n) => m.upper_case >= n,
            Requirement::MinimumNonLetter(n) => m.non_letter >= n,
            Requirement::MinimumNumeric(n) => m.numeric >= n,
            Requirement::MinimumSymbols(n) => m.symbols >= n,
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::NotEmpty => write!(f, "a passcode is set"),
            Requirement::MinimumLength(n) => write!(f, "at least {n} characters"),
            Requirement::ContainsLetter => write!(f, "contains a letter"),
            Requirement::ContainsLetterAndDigit => write!(f, "contains a letter and a digit"),
            Requirement::ContainsDigitAndNonDigit => write!(f, "contains a digit and a non-digit"),
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
    fn alphanumeric_per_api_level() {
        // (api, passcode, accepted): a symbol is a non-digit but not a letter.
        let table = [(29, "12!!34", true), (30, "12!!34", false), (29, "ab12", true), (35, "ab12", true)];
        let p = policy(Q::Alphanumeric, 4);
        for (api, pass, ok) in table {
            let all = p.check_on(api, &Passcode::new(pass)).iter().all(|c| c.met);
            assert_eq!(all, ok, "api {api} {pass}");
        }
    }

    #[test]
    fn alphabetic_counts_any_non_digit() {
        assert!(policy(Q::Alphabetic, 4).accepts(&Passcode::new("12!4")));
        assert!(!policy(Q::Alphabetic, 4).accepts(&Passcode::new("1234")));
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
