//! Passcodes described in feature text ("a 6-digit passcode", "a new passcode
//! of 8 letters and digits") and made concrete from the scenario's seeded
//! random source. Feature files never hold a literal passcode.

use std::fmt;

/// The shape of a passcode a scenario asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub length: usize,
    pub alphabet: Alphabet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// Digits with no run of four in sequence (so policies against sequences accept them).
    Digits,
    /// Digits counting up: 123456...
    DigitsInSequence,
    /// Digits that rise by steps of one and two in turn (0124578): ordered,
    /// but no four of them step evenly, so not a sequence by AMAPI's or
    /// Android's rule. At most 7 digits (the rise must stay within 0-9).
    DigitsRisingUnevenly,
    /// Lower-case letters only.
    Letters,
    /// Letters and digits, at least one of each.
    LettersAndDigits,
}

impl Shape {
    /// Parse "6 digits", "6-digit", "8 letters and digits", "10 letters",
    /// "6 digits in sequence", "6 digits rising unevenly".
    pub fn parse(text: &str) -> Option<Shape> {
        let text = text.trim();
        let (number, rest) = text.split_once([' ', '-'])?;
        let length: usize = number.parse().ok().filter(|n| (1..=32).contains(n))?;
        let alphabet = match rest.trim() {
            "digit" | "digits" => Alphabet::Digits,
            "digits in sequence" => Alphabet::DigitsInSequence,
            "digits rising unevenly" if (2..=7).contains(&length) => Alphabet::DigitsRisingUnevenly,
            "letters" => Alphabet::Letters,
            "letters and digits" => Alphabet::LettersAndDigits,
            _ => return None,
        };
        Some(Shape { length, alphabet })
    }

    /// A passcode of this shape drawn from `rng`.
    pub fn generate(self, rng: &mut Rng) -> String {
        const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
        const DIGITS: &[u8] = b"0123456789";
        match self.alphabet {
            Alphabet::DigitsInSequence => (0..self.length).map(|i| char::from(b'1' + (i % 9) as u8)).collect(),
            Alphabet::DigitsRisingUnevenly => {
                let steps = |n: usize| (1..n).map(|i| if i % 2 == 1 { 1 } else { 2 }).sum::<u64>();
                let rise = steps(self.length);
                let mut digit = rng.next_u64() % (10 - rise);
                let mut out = String::with_capacity(self.length);
                for i in 0..self.length {
                    if i > 0 {
                        digit += if i % 2 == 1 { 1 } else { 2 };
                    }
                    out.push(char::from(b'0' + digit as u8));
                }
                out
            }
            Alphabet::Letters => rng.string(LETTERS, self.length, no_sequences),
            Alphabet::Digits => rng.string(DIGITS, self.length, no_sequences),
            Alphabet::LettersAndDigits => rng.string(b"abcdefghjkmnpqrstuvwxyz23456789", self.length, |s| {
                no_sequences(s) && s.bytes().any(|b| b.is_ascii_digit()) && s.bytes().any(|b| b.is_ascii_alphabetic())
            }),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.alphabet {
            Alphabet::Digits => "digits",
            Alphabet::DigitsInSequence => "digits in sequence",
            Alphabet::DigitsRisingUnevenly => "digits rising unevenly",
            Alphabet::Letters => "letters",
            Alphabet::LettersAndDigits => "letters and digits",
        };
        write!(f, "{} {what}", self.length)
    }
}

/// No run of three equal or evenly stepped characters (stricter than the
/// platform's four, so a generated passcode never trips a sequence rule).
fn no_sequences(s: &str) -> bool {
    s.as_bytes().windows(3).all(|w| (w[1] as i16 - w[0] as i16) != (w[2] as i16 - w[1] as i16))
}

/// A small seeded generator (SplitMix64): each scenario draws from its own,
/// seeded from the run's seed and the scenario's name, so a run replays.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for one scenario of a run.
    pub fn for_scenario(run_seed: u64, scenario: &str) -> Self {
        // FNV-1a over the name, mixed with the run seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in scenario.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(run_seed ^ h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn string(&mut self, alphabet: &[u8], len: usize, accept: impl Fn(&str) -> bool) -> String {
        loop {
            let s: String =
                (0..len).map(|_| char::from(alphabet[(self.next_u64() % alphabet.len() as u64) as usize])).collect();
            if accept(&s) {
                return s;
            }
        }
    }
}

// ----- Shapes named by character class (issue 13) ---------------------------

/// A passcode shape that names character classes rather than an alphabet:
/// "4 repeated digits", "6 characters with a symbol and an upper-case letter".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassShape {
    /// One digit, repeated.
    RepeatedDigits { length: usize },
    /// One lower-case letter, repeated.
    RepeatedLetters { length: usize },
    /// Lower-case letters and digits plus the named classes, with at least
    /// one of each named class (and none of an unnamed upper case or symbol).
    Characters { length: usize, symbol: bool, upper: bool, lower: bool, digit: bool },
}

impl ClassShape {
    /// Parse "4 repeated digits", "6 repeated letters" or "N characters with a symbol[ and an
    /// upper-case letter][ and a lower-case letter][ and a digit]".
    pub fn parse(text: &str) -> Option<ClassShape> {
        let (number, rest) = text.trim().split_once(' ')?;
        let length: usize = number.parse().ok().filter(|n| (1..=32).contains(n))?;
        match rest {
            "repeated digits" => return Some(ClassShape::RepeatedDigits { length }),
            "repeated letters" => return Some(ClassShape::RepeatedLetters { length }),
            _ => {}
        }
        let classes = rest.strip_prefix("characters with ")?;
        let (mut symbol, mut upper, mut lower, mut digit) = (false, false, false, false);
        for class in classes.split(" and ") {
            match class.trim() {
                "a symbol" => symbol = true,
                "an upper-case letter" => upper = true,
                "a lower-case letter" => lower = true,
                "a digit" => digit = true,
                _ => return None,
            }
        }
        let needed = [symbol, upper, lower, digit].iter().filter(|b| **b).count();
        (needed <= length).then_some(ClassShape::Characters { length, symbol, upper, lower, digit })
    }

    /// A passcode of this shape drawn from `rng`, without runs of three.
    pub fn generate(self, rng: &mut Rng) -> String {
        match self {
            ClassShape::RepeatedDigits { length } => {
                let digit = char::from(b'0' + (rng.next_u64() % 10) as u8);
                std::iter::repeat_n(digit, length).collect()
            }
            ClassShape::RepeatedLetters { length } => {
                let letter = char::from(b'a' + (rng.next_u64() % 26) as u8);
                std::iter::repeat_n(letter, length).collect()
            }
            ClassShape::Characters { length, symbol, upper, lower, digit } => {
                // Lower-case letters and digits, and only the classes named.
                let mut chars = b"abcdefghjkmnpqrstuvwxyz23456789".to_vec();
                if upper {
                    chars.extend_from_slice(b"ABCDEFGHJKLMNPQRSTUVWXYZ");
                }
                if symbol {
                    chars.extend_from_slice(b"!#$%&*+?@");
                }
                rng.string(&chars, length, |s| {
                    no_sequences(s)
                        && (!symbol || s.bytes().any(|b| !b.is_ascii_alphanumeric()))
                        && (!upper || s.bytes().any(|b| b.is_ascii_uppercase()))
                        && (!lower || s.bytes().any(|b| b.is_ascii_lowercase()))
                        && (!digit || s.bytes().any(|b| b.is_ascii_digit()))
                })
            }
        }
    }
}

#[cfg(test)]
mod class_shape_tests {
    use super::*;

    #[test]
    fn class_shapes_parse_and_generate() {
        let mut rng = Rng::new(3);
        let p = ClassShape::parse("4 repeated digits").unwrap().generate(&mut rng);
        assert_eq!(p.len(), 4);
        assert!(p.bytes().all(|b| b == p.as_bytes()[0] && b.is_ascii_digit()), "{p}");
        for _ in 0..50 {
            let p =
                ClassShape::parse("6 characters with a symbol and an upper-case letter").unwrap().generate(&mut rng);
            assert_eq!(p.len(), 6);
            assert!(p.bytes().any(|b| !b.is_ascii_alphanumeric()) && p.bytes().any(|b| b.is_ascii_uppercase()), "{p}");
            let q = ClassShape::parse("6 characters with a symbol").unwrap().generate(&mut rng);
            assert!(q.bytes().all(|b| !b.is_ascii_uppercase()), "{q}");
        }
        let p = ClassShape::parse("6 repeated letters").unwrap().generate(&mut rng);
        assert_eq!(p.len(), 6);
        assert!(p.bytes().all(|b| b == p.as_bytes()[0] && b.is_ascii_lowercase()), "{p}");
        assert!(ClassShape::parse("6 characters with an emoji").is_none());
        assert!(ClassShape::parse("1 characters with a symbol and a digit").is_none());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_generate() {
        let mut rng = Rng::new(7);
        for (text, len, all_digits) in
            [("6-digit", 6, true), ("8 digits", 8, true), ("10 letters and digits", 10, false)]
        {
            let shape = Shape::parse(text).unwrap();
            let p = shape.generate(&mut rng);
            assert_eq!(p.len(), len, "{text}");
            assert_eq!(p.bytes().all(|b| b.is_ascii_digit()), all_digits, "{text}");
            assert!(no_sequences(&p), "{p}");
        }
        assert_eq!(Shape::parse("6 digits in sequence").unwrap().generate(&mut rng), "123456");
        for len in 2..=7 {
            for seed in 0..20 {
                let p = Shape::parse(&format!("{len} digits rising unevenly")).unwrap().generate(&mut Rng::new(seed));
                assert_eq!(p.len(), len, "{p}");
                let b = p.as_bytes();
                assert!(b.windows(2).all(|w| w[0] < w[1] && w[0].is_ascii_digit() && w[1].is_ascii_digit()), "{p}");
                assert!(no_sequences(&p), "{p}");
            }
        }
        assert!(Shape::parse("8 digits rising unevenly").is_none(), "no room to rise");
        assert!(Shape::parse("six digits").is_none());
        assert!(Shape::parse("6 emoji").is_none());
    }

    #[test]
    fn a_seed_replays() {
        let a = Shape::parse("8 digits").unwrap().generate(&mut Rng::for_scenario(1, "x"));
        let b = Shape::parse("8 digits").unwrap().generate(&mut Rng::for_scenario(1, "x"));
        let c = Shape::parse("8 digits").unwrap().generate(&mut Rng::for_scenario(2, "x"));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
