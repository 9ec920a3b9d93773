//! What a simulated device answers when asked directly, as CTS and TestDPC
//! ask it (god-mode): whether its passcode is sufficient and how complex,
//! its reset token, each user's storage state, failed attempts, the screen,
//! the security log and stats events; and the policy setters, renewing the
//! reset token and lockNow's key eviction.

use super::StepDoc;
use crate::device::{DeviceState, GodMode, Probe};
use crate::world::{Failure, LockstepWorld, StepResult};
use android_sim::{Constraint, CredentialHolder, EventLog, Passcode, PasswordQuality, RunState, TokenState};
use cucumber::{then, when};

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "When",
        pattern: "the agent on \"<alias>\" requires <quality> passcodes [of at least <n> characters] for the device user | work profile",
        example: "When the agent on \"phone\" requires numeric passcodes of at least 8 characters for the device user",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the agent on \"<alias>\" is refused requiring <quality> passcodes of at least <n> characters for the device user | work profile",
        example: "Then the agent on \"phone\" is refused requiring something passcodes of at least 8 characters for the device user",
    },
    StepDoc {
        keyword: "When",
        pattern: "the user of \"<alias>\" enters a wrong passcode <n> times",
        example: "When the user of \"phone\" enters a wrong passcode 3 times",
    },
    StepDoc {
        keyword: "When",
        pattern: "the user of \"<alias>\" removes the passcode in Settings",
        example: "When the user of \"phone\" removes the passcode in Settings",
    },
    StepDoc {
        keyword: "When",
        pattern: "the agent on \"<alias>\" renews its reset token <n> times, with an unlock after each",
        example: "When the agent on \"phone\" renews its reset token 8 times, with an unlock after each",
    },
    StepDoc {
        keyword: "When",
        pattern: "the agent on \"<alias>\" locks the work profile and evicts its key",
        example: "When the agent on \"phone\" locks the work profile and evicts its key",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the agent on \"<alias>\" may not evict the work profile key",
        example: "Then the agent on \"phone\" may not evict the work profile key",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the passcode of \"<alias>\" is | is not sufficient for the device user | work profile policy",
        example: "Then the passcode of \"phone\" is not sufficient for the device user policy",
    },
    StepDoc {
        keyword: "Then",
        pattern: "asking whether the passcode of \"<alias>\" is sufficient fails while the device user | work profile is locked",
        example: "Then asking whether the passcode of \"phone\" is sufficient fails while the device user is locked",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the device user | work profile passcode complexity of \"<alias>\" is none | low | medium | high",
        example: "Then the device user passcode complexity of \"phone\" is medium",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the reset token of \"<alias>\" is active | pending | not set",
        example: "Then the reset token of \"phone\" is active",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the device user | work profile of \"<alias>\" is RUNNING_LOCKED | RUNNING_UNLOCKED",
        example: "Then the work profile of \"phone\" is RUNNING_LOCKED",
    },
    StepDoc { keyword: "Then", pattern: "\"<alias>\" counts <n> failed attempts", example: "Then \"phone\" counts 3 failed attempts" },
    StepDoc { keyword: "Then", pattern: "the screen of \"<alias>\" is on | off", example: "Then the screen of \"phone\" is off" },
    StepDoc {
        keyword: "Then",
        pattern: "the security log | stats events of \"<alias>\" record(s) | do(es) not record <NAME>",
        example: "Then the stats events of \"phone\" record RESET_PASSWORD_WITH_TOKEN",
    },
];

pub fn anchor() {}

/// A quality as the steps name it ("numeric-complex", "complexity-high").
pub fn quality(word: &str) -> Option<PasswordQuality> {
    let json = serde_json::Value::String(word.replace('-', "_").to_uppercase());
    serde_json::from_value(json).ok()
}

fn holder(word: &str) -> CredentialHolder {
    match word {
        "work profile" => CredentialHolder::WorkProfile,
        _ => CredentialHolder::DeviceUser,
    }
}

fn god<'w>(w: &'w LockstepWorld, alias: &str) -> Result<&'w dyn GodMode, Failure> {
    w.handset(alias)?.dut.god_mode().ok_or_else(|| w.fail("this step needs a simulated device (god-mode)"))
}

async fn probe(w: &LockstepWorld, alias: &str, holder: CredentialHolder) -> Result<Probe, Failure> {
    w.settle(alias).await?;
    god(w, alias)?.probe(holder).await.map_err(|e| w.fail(e.to_string()))
}

async fn state(w: &LockstepWorld, alias: &str) -> Result<DeviceState, Failure> {
    w.settle(alias).await?;
    w.handset(alias)?.dut.state().await.map_err(|e| w.fail(e.to_string()))
}

async fn require(
    w: &LockstepWorld,
    alias: &str,
    quality_word: &str,
    minimum: Option<u8>,
    who: &str,
) -> Result<Result<(), android_sim::Refusal>, Failure> {
    let q = quality(quality_word).ok_or_else(|| w.fail(format!("`{quality_word}` is not a password quality")))?;
    let minima: Vec<(Constraint, u8)> = minimum.map(|n| (Constraint::Length, n)).into_iter().collect();
    w.settle(alias).await?;
    god(w, alias)?.require(holder(who), q, &minima).await.map_err(|e| w.fail(e.to_string()))
}

#[when(
    regex = r#"^the agent on "(\w+)" requires ([a-z-]+) passcodes(?: of at least (\d+) characters)? for the (device user|work profile)$"#
)]
async fn requires(w: &mut LockstepWorld, alias: String, q: String, minimum: String, who: String) -> StepResult {
    let minimum = minimum.parse().ok();
    match require(w, &alias, &q, minimum, &who).await? {
        Ok(()) => Ok(()),
        Err(r) => Err(w.fail(format!("the platform refused the policy on \"{alias}\" ({}): {r}", r.answer()))),
    }
}

#[then(
    regex = r#"^the agent on "(\w+)" is refused requiring ([a-z-]+) passcodes of at least (\d+) characters for the (device user|work profile)$"#
)]
async fn refused_requiring(w: &mut LockstepWorld, alias: String, q: String, minimum: u8, who: String) -> StepResult {
    match require(w, &alias, &q, Some(minimum), &who).await? {
        Err(r) if r.answer() == "IllegalStateException" => Ok(()),
        Err(r) => Err(w.fail(format!("refused, but with {} ({r}), not IllegalStateException", r.answer()))),
        Ok(()) => Err(w.fail(format!("\"{alias}\" took a minimum length that a {q} quality does not use"))),
    }
}

#[when(regex = r#"^the user of "(\w+)" enters a wrong passcode (\d+) times?$"#)]
async fn wrong_times(w: &mut LockstepWorld, alias: String, times: u32) -> StepResult {
    w.settle(&alias).await?;
    for _ in 0..times {
        // A passcode of another length than any the scenario set: never right.
        let wrong =
            w.make_passcode(crate::passcodes::Shape { length: 13, alphabet: crate::passcodes::Alphabet::Digits });
        let dut = &w.handset(&alias)?.dut;
        if !dut.state().await.map_err(|e| w.fail(e.to_string()))?.locked {
            dut.press_power().await.map_err(|e| w.fail(e.to_string()))?;
        }
        dut.enter_passcode(CredentialHolder::DeviceUser, &wrong).await.map_err(|e| w.fail(e.to_string()))?;
    }
    Ok(())
}

#[when(regex = r#"^the user of "(\w+)" removes the passcode in Settings$"#)]
async fn remove_in_settings(w: &mut LockstepWorld, alias: String) -> StepResult {
    w.settle(&alias).await?;
    let current = known_device_passcode(w, &alias)?;
    let result = god(w, &alias)?
        .remove_passcode_in_settings(CredentialHolder::DeviceUser, &current)
        .await
        .map_err(|e| w.fail(e.to_string()))?;
    result.map_err(|r| w.fail(format!("Settings refused to remove the passcode of \"{alias}\": {r}")))?;
    w.handset_mut(&alias)?.device_passcode = None;
    Ok(())
}

fn known_device_passcode(w: &LockstepWorld, alias: &str) -> Result<Passcode, Failure> {
    w.handset(alias)?
        .device_passcode
        .clone()
        .ok_or_else(|| w.fail(format!("the scenario does not know the device passcode of \"{alias}\"")))
}

#[when(regex = r#"^the agent on "(\w+)" renews its reset token (\d+) times, with an unlock after each$"#)]
async fn renew_token(w: &mut LockstepWorld, alias: String, times: u32) -> StepResult {
    w.settle(&alias).await?;
    let current = known_device_passcode(w, &alias)?;
    god(w, &alias)?.renew_reset_token(times, &current).await.map_err(|e| w.fail(e.to_string()))
}

#[when(regex = r#"^the agent on "(\w+)" locks the work profile and evicts its key$"#)]
async fn evict(w: &mut LockstepWorld, alias: String) -> StepResult {
    w.settle(&alias).await?;
    let result = god(w, &alias)?.lock_evicting_key().await.map_err(|e| w.fail(e.to_string()))?;
    result.map(|_| ()).map_err(|r| w.fail(format!("lockNow(FLAG_EVICT_CREDENTIAL_ENCRYPTION_KEY) was refused: {r}")))
}

#[then(regex = r#"^the agent on "(\w+)" may not evict the work profile key$"#)]
async fn may_not_evict(w: &mut LockstepWorld, alias: String) -> StepResult {
    w.settle(&alias).await?;
    match god(w, &alias)?.lock_evicting_key().await.map_err(|e| w.fail(e.to_string()))? {
        Err(r) if r.answer() == "SecurityException" => Ok(()),
        Err(r) => Err(w.fail(format!("refused with {} ({r}), not SecurityException", r.answer()))),
        Ok(_) => Err(w.fail(format!("\"{alias}\" evicted a key for a caller that is not a profile owner"))),
    }
}

#[then(regex = r#"^the passcode of "(\w+)" (is|is not) sufficient for the (device user|work profile) policy$"#)]
async fn sufficient(w: &mut LockstepWorld, alias: String, verdict: String, who: String) -> StepResult {
    let want = verdict == "is";
    match probe(w, &alias, holder(&who)).await?.sufficient {
        Ok(got) if got == want => Ok(()),
        Ok(_) => Err(w.fail(format!(
            "the passcode of \"{alias}\" {} sufficient for the {who} policy",
            if want { "is not" } else { "is" }
        ))),
        Err(r) => Err(w.fail(format!("isActivePasswordSufficient failed ({}): {r}", r.answer()))),
    }
}

#[then(
    regex = r#"^asking whether the passcode of "(\w+)" is sufficient fails while the (device user|work profile) is locked$"#
)]
async fn sufficiency_throws(w: &mut LockstepWorld, alias: String, who: String) -> StepResult {
    match probe(w, &alias, holder(&who)).await?.sufficient {
        Err(r) if r.answer() == "IllegalStateException" => Ok(()),
        Err(r) => Err(w.fail(format!("failed with {} ({r}), not IllegalStateException", r.answer()))),
        Ok(b) => Err(w.fail(format!("isActivePasswordSufficient answered {b} while the {who} is locked"))),
    }
}

#[then(regex = r#"^the (device user|work profile) passcode complexity of "(\w+)" is (none|low|medium|high)$"#)]
async fn complexity(w: &mut LockstepWorld, who: String, alias: String, level: String) -> StepResult {
    match probe(w, &alias, holder(&who)).await?.complexity {
        Ok(c) if c.as_str() == level => Ok(()),
        Ok(c) => Err(w.fail(format!("the {who} passcode complexity of \"{alias}\" is {}", c.as_str()))),
        Err(r) => Err(w.fail(format!("getPasswordComplexity failed ({}): {r}", r.answer()))),
    }
}

#[then(regex = r#"^the reset token of "(\w+)" is (active|pending|not set)$"#)]
async fn token(w: &mut LockstepWorld, alias: String, want: String) -> StepResult {
    let h = if w.handset(&alias)?.ownership.has_work_profile() {
        CredentialHolder::WorkProfile
    } else {
        CredentialHolder::DeviceUser
    };
    let got = match probe(w, &alias, h).await?.token {
        TokenState::Active => "active",
        TokenState::Pending => "pending",
        TokenState::None => "not set",
    };
    if got == want {
        Ok(())
    } else {
        Err(w.fail(format!("the reset token of \"{alias}\" is {got}")))
    }
}

#[then(regex = r#"^the (device user|work profile) of "(\w+)" is (RUNNING_LOCKED|RUNNING_UNLOCKED)$"#)]
async fn run_state(w: &mut LockstepWorld, who: String, alias: String, want: String) -> StepResult {
    match probe(w, &alias, holder(&who)).await?.run_state {
        Some(s) if s.as_str() == want => Ok(()),
        other => Err(w.fail(format!("the {who} of \"{alias}\" is {}", other.map_or("not running", RunState::as_str)))),
    }
}

#[then(regex = r#"^"(\w+)" counts (\d+) failed attempts?$"#)]
async fn failed_attempts(w: &mut LockstepWorld, alias: String, want: u16) -> StepResult {
    let got = probe(w, &alias, CredentialHolder::DeviceUser).await?.failed_attempts;
    if got == want {
        Ok(())
    } else {
        Err(w.fail(format!("\"{alias}\" counts {got} failed attempts")))
    }
}

#[then(regex = r#"^the screen of "(\w+)" is (on|off)$"#)]
async fn screen(w: &mut LockstepWorld, alias: String, want: String) -> StepResult {
    let on = state(w, &alias).await?.screen_on;
    if on == (want == "on") {
        Ok(())
    } else {
        Err(w.fail(format!("the screen of \"{alias}\" is {}", if on { "on" } else { "off" })))
    }
}

#[then(regex = r#"^the (security log|stats events) of "(\w+)" (records?|does not record|do not record) ([A-Z_]+)$"#)]
async fn logged(w: &mut LockstepWorld, which: String, alias: String, verdict: String, name: String) -> StepResult {
    let log = if which == "security log" { EventLog::Security } else { EventLog::Stats };
    let events = probe(w, &alias, CredentialHolder::DeviceUser).await?.events;
    let found = events.iter().any(|e| e.log == log && e.name == name);
    let want = verdict.starts_with("record");
    if found == want {
        Ok(())
    } else {
        let seen: Vec<&str> = events.iter().filter(|e| e.log == log).map(|e| e.name).collect();
        Err(w.fail(format!(
            "the {which} of \"{alias}\" {} {name}; it holds {seen:?}",
            if found { "records" } else { "does not record" }
        )))
    }
}
