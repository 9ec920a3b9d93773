//! Passcodes the MDM generates, drawn from the operating system's CSPRNG.

use crate::vendor::Alphabet;
use android_sim::Passcode;
use rand::{RngExt, SeedableRng};

const DIGITS: &[u8] = b"0123456789";
/// Letters and digits without the ones people confuse when they read a
/// passcode off a screen (0/O, 1/l/I). Our choice; Intune says only
/// "letters and numbers".
const LETTERS_AND_DIGITS: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// A new passcode of `length` characters from `alphabet`.
///
/// A letters-and-digits passcode always has at least one of each (so it
/// really is "letters and digits", and meets ALPHANUMERIC). Every passcode
/// passes the MDM's own NUMERIC_COMPLEX check of no runs longer than three (our choice: a generated passcode should be accepted by any
/// policy an MDM would assign alongside it).
pub fn generate(alphabet: Alphabet, length: u8) -> Passcode {
    let mut rng = rand::rngs::StdRng::try_from_rng(&mut rand::rngs::SysRng).unwrap_or_else(|_| {
        // getrandom failing is not recoverable in any useful way; fall back
        // to the thread CSPRNG (itself seeded from the OS).
        rand::rngs::StdRng::from_rng(&mut rand::rng())
    });
    let chars = match alphabet {
        Alphabet::Digits => DIGITS,
        Alphabet::LettersAndDigits => LETTERS_AND_DIGITS,
    };
    loop {
        let candidate: String = (0..length).map(|_| char::from(chars[rng.random_range(0..chars.len())])).collect();
        let p = Passcode::new(candidate);
        if acceptable(alphabet, &p) {
            return p;
        }
    }
}

fn acceptable(alphabet: Alphabet, p: &Passcode) -> bool {
    let s = p.expose();
    let mixed = s.bytes().any(|b| b.is_ascii_digit()) && s.bytes().any(|b| b.is_ascii_alphabetic());
    let no_runs = crate::passcode_rules::Rule::NoSequences.is_met_by(s);
    no_runs && (alphabet == Alphabet::Digits || mixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_alphabets() {
        for _ in 0..200 {
            let p = generate(Alphabet::Digits, 8);
            assert_eq!(p.len(), 8);
            assert!(p.is_numeric());
            let q = generate(Alphabet::LettersAndDigits, 8);
            assert_eq!(q.len(), 8);
            assert!(q.expose().bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(q.expose().bytes().any(|b| b.is_ascii_alphabetic()));
            assert!(q.expose().bytes().any(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn not_the_same_twice() {
        let a: Vec<String> = (0..20).map(|_| generate(Alphabet::Digits, 8).expose().to_owned()).collect();
        let mut b = a.clone();
        b.dedup();
        assert!(b.len() > 15);
    }
}
