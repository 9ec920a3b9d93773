//! `lockstep steps`: the step vocabulary with one example each.

use crate::steps::vocabulary;
use std::fmt::Write as _;

pub fn render() -> String {
    let mut out = String::new();
    for (group, steps) in vocabulary() {
        let _ = writeln!(out, "## {group}\n");
        for s in steps {
            let _ = writeln!(out, "  {} {}\n      e.g. {}\n", s.keyword, s.pattern, s.example);
        }
    }
    out.push_str("Passcode shapes: \"6-digit\", \"8 digits\", \"10 letters\", \"8 letters and digits\", \"6 digits in sequence\".\n");
    out.push_str("Ownership modes: fully-managed, dedicated, work-profile-personal, work-profile-company-owned, legacy-device-admin.\n");
    out
}
