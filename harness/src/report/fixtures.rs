//! A small run for the writers' golden tests: two feature files, each with
//! run and skipped scenarios; an outline whose rows differ only in a column
//! the name leaves out; a background; a failure with evidence; a scenario
//! that passed on its second attempt; a swap in force.

use super::*;
use crate::requirements::Requirement;

fn at(ms: u64) -> Option<SystemTime> {
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000) + Duration::from_millis(ms))
}

fn step(keyword: &str, name: &str, line: usize, background: bool, status: StepStatus) -> StepRecord {
    StepRecord {
        keyword: keyword.into(),
        name: name.into(),
        line,
        background,
        status,
        duration: Duration::from_millis(if status == StepStatus::Skipped { 0 } else { 3 }),
    }
}

fn feature(name: &str, tags: &[&str]) -> FeatureInfo {
    FeatureInfo {
        keyword: "Feature".into(),
        name: name.into(),
        line: 2,
        description: "What the requirement says.".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

struct Scenario<'a> {
    file: &'a str,
    feature: FeatureInfo,
    name: &'a str,
    line: usize,
    tags: &'a [&'a str],
    example: Option<&'a [(&'a str, &'a str)]>,
    steps: Vec<StepStatus>,
    started: Option<u64>,
    attempts: u32,
    outcome: Outcome,
}

fn scenario(s: Scenario<'_>) -> ScenarioRecord {
    let mut steps = Vec::new();
    let background = if s.started.is_some() { StepStatus::Passed } else { StepStatus::Skipped };
    steps.push(step("Given", "Hana is a site administrator", 8, true, background));
    for (i, own) in s.steps.iter().enumerate() {
        steps.push(step(
            ["Given", "When", "Then"][i % 3],
            &format!("step {} of {}", i + 1, s.name),
            s.line + 1 + i,
            false,
            *own,
        ));
    }
    ScenarioRecord {
        file: s.file.into(),
        feature: s.feature.clone(),
        rule: None,
        keyword: if s.example.is_some() { "Scenario Outline".into() } else { "Scenario".into() },
        name: s.name.into(),
        line: s.line,
        example: s
            .example
            .map(|row| ExampleRow { values: row.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }),
        tags: s.feature.tags.iter().cloned().chain(s.tags.iter().map(|t| t.to_string())).collect(),
        background: Some(BackgroundInfo { keyword: "Background".into(), name: String::new(), line: 7 }),
        steps,
        started: s.started.and_then(at),
        duration: Duration::from_millis(if s.started.is_some() { 12 } else { 0 }),
        attempts: s.attempts,
        earlier_failures: if s.attempts > 1 {
            vec!["Then step 2 (line 40): the MDM answered 429 <Too Many Requests>".into()]
        } else {
            vec![]
        },
        evidence: if matches!(s.outcome, Outcome::Failed { .. }) {
            vec![
                "AMAPI: POST /v1/enterprises/LC1/devices/d1:issueCommand -> 200 RESET_PASSWORD".into(),
                "MDM action log: reset d1 completed".into(),
                "mail to hana: \"Your new passcode\"".into(),
            ]
        } else {
            vec![]
        },
        devices: match (s.started, s.example) {
            (None, _) => vec![],
            (Some(_), Some(row)) => vec![DeviceRecord {
                alias: "phone".into(),
                profile: row[0].1.into(),
                api_level: row[1].1.parse().unwrap_or(0),
                ownership: "fully-managed".into(),
            }],
            (Some(_), None) => vec![DeviceRecord {
                alias: "kiosk".into(),
                profile: "samsung-galaxy-a14".into(),
                api_level: 33,
                ownership: "dedicated".into(),
            }],
        },
        outcome: s.outcome,
    }
}

/// The golden run.
pub(crate) fn run() -> RunRecord {
    use StepStatus::{Failed as F, Passed as P, Skipped as S};
    let reset = feature("Remote passcode reset", &["miradore"]);
    let lock = feature("Remote lock", &[]);
    let (reset_file, lock_file) =
        ("features/reset_passcode/miradore_reset.feature", "features/remote_lock/remote_lock.feature");
    let scenarios = vec![
        scenario(Scenario {
            file: reset_file,
            feature: reset.clone(),
            name: "Reset on a fully managed google-pixel-8",
            line: 32,
            tags: &["MIR-3"],
            example: Some(&[("profile", "google-pixel-8"), ("api", "34")]),
            steps: vec![P, P],
            started: Some(0),
            attempts: 1,
            outcome: Outcome::Passed,
        }),
        scenario(Scenario {
            file: reset_file,
            feature: reset.clone(),
            name: "Reset on a fully managed google-pixel-8",
            line: 33,
            tags: &["MIR-3"],
            example: Some(&[("profile", "google-pixel-8"), ("api", "35")]),
            steps: vec![P, P],
            started: Some(5),
            attempts: 2,
            outcome: Outcome::Passed,
        }),
        scenario(Scenario {
            file: lock_file,
            feature: lock.clone(),
            name: "Lock a dedicated device",
            line: 12,
            tags: &["PLAT-6"],
            example: None,
            steps: vec![P],
            started: Some(7),
            attempts: 1,
            outcome: Outcome::Passed,
        }),
        scenario(Scenario {
            file: reset_file,
            feature: reset.clone(),
            name: "Only site administrators see the latest reset passcode",
            line: 57,
            tags: &["MIR-5"],
            example: None,
            steps: vec![P, F, S],
            started: Some(20),
            attempts: 1,
            outcome: Outcome::Failed {
                step: "Then step 2 of Only site administrators see the latest reset passcode (line 59)".into(),
                message: "Hana can see the latest reset passcode of \"phone\" <& friends>".into(),
            },
        }),
        scenario(Scenario {
            file: reset_file,
            feature: reset,
            name: "The reset must come within five minutes",
            line: 70,
            tags: &["INT-3", "virtual-time"],
            example: None,
            steps: vec![S, S],
            started: None,
            attempts: 0,
            outcome: Outcome::Skipped { reason: "needs the virtual clock".into() },
        }),
        scenario(Scenario {
            file: lock_file,
            feature: lock,
            name: "Lock through the external MDM",
            line: 20,
            tags: &["god-mode"],
            example: None,
            steps: vec![S],
            started: None,
            attempts: 0,
            outcome: Outcome::Skipped { reason: "talks to the devices around the MDM (god-mode)".into() },
        }),
    ];
    RunRecord {
        seed: 7,
        features: 2,
        scenarios,
        parse_failures: vec![],
        duration: Duration::from_millis(40),
        interrupted: false,
        provenance: Provenance::new(
            "0.1.0",
            "git:0123456789abcdef",
            at(0).unwrap_or(SystemTime::UNIX_EPOCH),
            "ci-runner-3",
            vec![
                ("target".into(), "embedded".into()),
                ("swap-profile".into(), "google-pixel-8=acme-a14-stale-keyguard".into()),
            ],
            7,
            "lockstep run --seed 7 --swap-profile google-pixel-8=acme-a14-stale-keyguard features",
        ),
    }
}

pub(crate) fn catalogue() -> Vec<Requirement> {
    ["MIR-3", "MIR-5", "INT-3", "PLAT-6"]
        .iter()
        .map(|id| Requirement { id: id.to_string(), title: format!("title of {id}"), android: true })
        .collect()
}
