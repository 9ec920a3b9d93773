//! The device in the person's hand: the power key, restarts, typing a
//! passcode on the lock screen, Settings, connectivity; and what the screen
//! shows afterwards.

use super::StepDoc;
use crate::device::{DeviceError, DeviceState, GodMode};
use crate::passcodes::{Alphabet, Shape};
use crate::world::{Failure, LockstepWorld, StepResult};
use android_sim::{CredentialHolder, Entry, Passcode};
use cucumber::{given, then, when};

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc { keyword: "Given", pattern: "\"<alias>\" is offline", example: "Given \"phone\" is offline" },
    StepDoc { keyword: "When", pattern: "\"<alias>\" comes back online", example: "When \"phone\" comes back online" },
    StepDoc { keyword: "When", pattern: "\"<alias>\" restarts", example: "When \"phone\" restarts" },
    StepDoc { keyword: "When", pattern: "the user of \"<alias>\" presses the power key", example: "When the user of \"phone\" presses the power key" },
    StepDoc {
        keyword: "When",
        pattern: "the user of \"<alias>\" enters the old passcode | the new passcode",
        example: "When the user of \"phone\" enters the old passcode",
    },
    StepDoc {
        keyword: "When",
        pattern: "the user of \"<alias>\" sets a new <n>-digit passcode in Settings",
        example: "When the user of \"phone\" sets a new 6-digit passcode in Settings",
    },
    StepDoc {
        keyword: "Then",
        pattern: "Settings on \"<alias>\" refuses a new <n>-digit passcode",
        example: "Then Settings on \"phone\" refuses a new 6-digit passcode",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the lock screen of \"<alias>\" waits for the last digit of the new passcode, with no OK key",
        example: "Then the lock screen of \"phone\" waits for the last digit of the new passcode, with no OK key",
    },
    StepDoc { keyword: "Then", pattern: "\"<alias>\" is locked | is not locked", example: "Then \"phone\" is locked" },
    StepDoc {
        keyword: "Then",
        pattern: "the work profile of \"<alias>\" is locked | is not locked",
        example: "Then the work profile of \"phone\" is locked",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the new passcode unlocks \"<alias>\" | the old passcode unlocks \"<alias>\" | the old passcode no longer unlocks \"<alias>\"",
        example: "Then the new passcode unlocks \"phone\"",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the new | old passcode does not unlock \"<alias>\" while it is locked out",
        example: "Then the new passcode does not unlock \"phone\" while it is locked out",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the new passcode unlocks the work profile of \"<alias>\"",
        example: "Then the new passcode unlocks the work profile of \"phone\"",
    },
    StepDoc { keyword: "Then", pattern: "\"<alias>\" is still before its first unlock", example: "Then \"phone\" is still before its first unlock" },
    StepDoc {
        keyword: "Then",
        pattern: "\"<alias>\" has booted without asking for a passcode",
        example: "Then \"phone\" has booted without asking for a passcode",
    },
    StepDoc {
        keyword: "Then",
        pattern: "another device admin app is refused a passcode change on \"<alias>\" | may change the passcode of \"<alias>\"",
        example: "Then another device admin app is refused a passcode change on \"phone\"",
    },
];

pub fn anchor() {}

async fn state(w: &LockstepWorld, alias: &str) -> Result<DeviceState, Failure> {
    w.settle(alias).await?;
    w.handset(alias)?.dut.state().await.map_err(|e| w.fail(e.to_string()))
}

fn god<'w>(w: &'w LockstepWorld, alias: &str) -> Result<&'w dyn GodMode, Failure> {
    w.handset(alias)?.dut.god_mode().ok_or_else(|| w.fail("this step needs a simulated device (god-mode)"))
}

#[given(regex = r#"^"(\w+)" is offline$"#)]
#[when(regex = r#"^"(\w+)" goes offline$"#)]
async fn offline(w: &mut LockstepWorld, alias: String) -> StepResult {
    god(w, &alias)?.set_online(false).await.map_err(|e| w.fail(e.to_string()))
}

#[when(regex = r#"^"(\w+)" comes back online$"#)]
async fn online(w: &mut LockstepWorld, alias: String) -> StepResult {
    god(w, &alias)?.set_online(true).await.map_err(|e| w.fail(e.to_string()))
}

#[given(regex = r#"^"(\w+)" restarts$"#)]
#[when(regex = r#"^"(\w+)" restarts$"#)]
async fn restarts(w: &mut LockstepWorld, alias: String) -> StepResult {
    // What the MDM started reaches the device before the person acts on it.
    w.settle(&alias).await?;
    w.handset(&alias)?.dut.reboot().await.map_err(|e| w.fail(e.to_string()))
}

#[when(regex = r#"^the user of "(\w+)" presses the power key$"#)]
async fn power(w: &mut LockstepWorld, alias: String) -> StepResult {
    w.settle(&alias).await?;
    w.handset(&alias)?.dut.press_power().await.map_err(|e| w.fail(e.to_string()))
}

/// Which passcode a step means.
fn which(w: &LockstepWorld, alias: &str, which: &str) -> Result<Passcode, Failure> {
    let h = w.handset(alias)?;
    let p = match which {
        "new" => h.new_passcode.clone(),
        _ => h.old_passcode.clone().or_else(|| h.device_passcode.clone()),
    };
    p.ok_or_else(|| w.fail(format!("the scenario does not know the {which} passcode of \"{alias}\"")))
}

/// Put the device lock up (power key) unless it is up already.
async fn ensure_locked(w: &LockstepWorld, alias: &str) -> StepResult {
    let s = state(w, alias).await?;
    if !s.locked {
        let dut = &w.handset(alias)?.dut;
        if !s.screen_on {
            dut.press_power().await.map_err(|e| w.fail(e.to_string()))?;
        }
        dut.press_power().await.map_err(|e| w.fail(e.to_string()))?;
    }
    Ok(())
}

/// Type `passcode` on `holder`'s lock screen.
async fn enter(
    w: &LockstepWorld,
    alias: &str,
    holder: CredentialHolder,
    passcode: &Passcode,
) -> Result<Entry, Failure> {
    w.handset(alias)?.dut.enter_passcode(holder, passcode).await.map_err(|e| w.fail(e.to_string()))
}

/// A sentence for what the lock screen did with a passcode.
pub fn explain(entry: &Entry, length: usize) -> String {
    match entry {
        Entry::Unlocked => "it unlocked".into(),
        Entry::Rejected { failed_attempts, .. } => format!("the lock screen rejected it (failed attempts: {failed_attempts})"),
        Entry::CutShort { at, .. } => {
            format!("the lock screen submitted on its own after {at} digits, so the {length}-character passcode could not be entered")
        }
        Entry::AwaitingMoreDigits { typed, expected } => format!(
            "after {typed} digits the lock screen still waited for {expected} and shows no OK key, so the passcode could not be entered"
        ),
        Entry::Truncated { at, .. } => {
            format!("the PIN pad took only {at} digits, so the {length}-character passcode could not be entered")
        }
        Entry::CannotType => "the PIN pad has no keys for some of its characters".into(),
        Entry::LockedOut { remaining } => format!("the lock screen is locked out for another {} s", remaining.as_secs()),
        Entry::NotLocked => "nothing was locked".into(),
        Entry::NotSeparate => "the work profile shares the device lock".into(),
        Entry::UnlockDeviceFirst => "the device itself is still locked".into(),
    }
}

/// The person locks the device (if it is not locked) and unlocks it with the
/// old or the new passcode, which must work.
async fn unlock_with(w: &mut LockstepWorld, alias: &str, which_one: &str) -> StepResult {
    if which_one == "new" {
        w.learn_new_passcode(alias).await?;
    }
    let p = which(w, alias, which_one)?;
    ensure_locked(w, alias).await?;
    let entry = enter(w, alias, CredentialHolder::DeviceUser, &p).await?;
    if entry != Entry::Unlocked {
        return Err(
            w.fail(format!("the {which_one} passcode did not unlock \"{alias}\": {}", explain(&entry, p.len())))
        );
    }
    w.handset_mut(alias)?.device_passcode = Some(p);
    Ok(())
}

#[when(regex = r#"^the user of "(\w+)" enters the (old|new) passcode$"#)]
async fn enters(w: &mut LockstepWorld, alias: String, which_one: String) -> StepResult {
    unlock_with(w, &alias, &which_one).await
}

#[then(regex = r#"^the (old|new) passcode unlocks "(\w+)"$"#)]
#[when(regex = r#"^the (old|new) passcode unlocks "(\w+)"$"#)]
async fn unlocks(w: &mut LockstepWorld, which_one: String, alias: String) -> StepResult {
    unlock_with(w, &alias, &which_one).await
}

/// The lockout after five wrong passcodes holds for the right one too.
#[then(regex = r#"^the (old|new) passcode does not unlock "(\w+)" while it is locked out$"#)]
async fn locked_out(w: &mut LockstepWorld, which_one: String, alias: String) -> StepResult {
    if which_one == "new" {
        w.learn_new_passcode(&alias).await?;
    }
    let p = which(w, &alias, &which_one)?;
    ensure_locked(w, &alias).await?;
    match enter(w, &alias, CredentialHolder::DeviceUser, &p).await? {
        Entry::LockedOut { .. } => Ok(()),
        other => Err(w.fail(format!(
            "expected the lock screen of \"{alias}\" to be locked out; the {which_one} passcode was typed and {}",
            explain(&other, p.len())
        ))),
    }
}

#[then(regex = r#"^the old passcode no longer unlocks "(\w+)"$"#)]
#[when(regex = r#"^the old passcode no longer unlocks "(\w+)"$"#)]
async fn no_longer(w: &mut LockstepWorld, alias: String) -> StepResult {
    let p = which(w, &alias, "old")?;
    ensure_locked(w, &alias).await?;
    let entry = enter(w, &alias, CredentialHolder::DeviceUser, &p).await?;
    if entry == Entry::Unlocked {
        return Err(w.fail(format!("the old passcode still unlocks \"{alias}\"")));
    }
    Ok(())
}

#[then(regex = r#"^the new passcode unlocks the work profile of "(\w+)"$"#)]
#[when(regex = r#"^the new passcode unlocks the work profile of "(\w+)"$"#)]
async fn unlocks_work(w: &mut LockstepWorld, alias: String) -> StepResult {
    w.learn_new_passcode(&alias).await?;
    let new = which(w, &alias, "new")?;
    let s = state(w, &alias).await?;
    if s.work_profile_locked != Some(true) {
        // Lock everything, then open the device so the work challenge shows.
        ensure_locked(w, &alias).await?;
    }
    if state(w, &alias).await?.locked {
        let device = w.handset(&alias)?.device_passcode.clone();
        if let Some(device) = device {
            let entry = enter(w, &alias, CredentialHolder::DeviceUser, &device).await?;
            if entry != Entry::Unlocked {
                return Err(w.fail(format!(
                    "the device passcode of \"{alias}\" no longer opens it: {}",
                    explain(&entry, device.len())
                )));
            }
        }
    }
    let entry = enter(w, &alias, CredentialHolder::WorkProfile, &new).await?;
    if entry != Entry::Unlocked {
        return Err(w.fail(format!(
            "the new passcode did not unlock the work profile of \"{alias}\": {}",
            explain(&entry, new.len())
        )));
    }
    Ok(())
}

#[when(regex = r#"^the user of "(\w+)" sets a new (\d+)-digit passcode in Settings$"#)]
async fn settings(w: &mut LockstepWorld, alias: String, digits: usize) -> StepResult {
    w.settle(&alias).await?;
    let new = w.make_passcode(Shape { length: digits, alphabet: Alphabet::Digits });
    let current = w.handset(&alias)?.device_passcode.clone();
    w.handset(&alias)?
        .dut
        .set_passcode_in_settings(CredentialHolder::DeviceUser, current.as_ref(), &new)
        .await
        .map_err(|e| w.fail(e.to_string()))?;
    w.handset_mut(&alias)?.device_passcode = Some(new);
    Ok(())
}

/// The device holds a new passcode to the policy it was sent (PLAT-5):
/// Settings says no, and the passcode in force stays.
#[then(regex = r#"^Settings on "(\w+)" refuses a new (\d+)-digit passcode$"#)]
async fn settings_refuses(w: &mut LockstepWorld, alias: String, digits: usize) -> StepResult {
    w.settle(&alias).await?;
    let new = w.make_passcode(Shape { length: digits, alphabet: Alphabet::Digits });
    let current = w.handset(&alias)?.device_passcode.clone();
    let result =
        w.handset(&alias)?.dut.set_passcode_in_settings(CredentialHolder::DeviceUser, current.as_ref(), &new).await;
    match result {
        Err(DeviceError::Refused(_)) => Ok(()),
        Err(e) => Err(w.fail(e.to_string())),
        Ok(()) => {
            w.handset_mut(&alias)?.device_passcode = Some(new);
            Err(w.fail(format!("Settings on \"{alias}\" took a new {digits}-digit passcode")))
        }
    }
}

/// PIN auto-confirm, checked directly (PLAT-6): one digit short of the new
/// passcode, the lock screen has submitted nothing and waits for exactly
/// the new length; a lock screen with an OK key, or one that kept another
/// length, has already judged what was typed.
#[then(regex = r#"^the lock screen of "(\w+)" waits for the last digit of the new passcode, with no OK key$"#)]
async fn auto_confirm(w: &mut LockstepWorld, alias: String) -> StepResult {
    let new = w.learn_new_passcode(&alias).await?;
    if !new.is_numeric() || new.len() < 2 {
        return Err(w.fail(format!("the new passcode of \"{alias}\" is not a PIN of two digits or more")));
    }
    let short = Passcode::new(new.expose().chars().take(new.len() - 1).collect::<String>());
    ensure_locked(w, &alias).await?;
    let entry = enter(w, &alias, CredentialHolder::DeviceUser, &short).await?;
    let want = u8::try_from(new.len()).unwrap_or(u8::MAX);
    match entry {
        Entry::AwaitingMoreDigits { expected, .. } if expected == want => Ok(()),
        other => Err(w.fail(format!(
            "typing all but the last digit of the new {}-digit passcode: {}",
            new.len(),
            explain(&other, short.len())
        ))),
    }
}

#[then(regex = r#"^"(\w+)" is (locked|not locked)$"#)]
async fn is_locked(w: &mut LockstepWorld, alias: String, what: String) -> StepResult {
    let want = what == "locked";
    let s = state(w, &alias).await?;
    if s.locked == want {
        Ok(())
    } else {
        Err(w.fail(format!(
            "expected \"{alias}\" to be {what}; its lock screen is {} (screen {})",
            if s.locked { "up" } else { "not up" },
            if s.screen_on { "on" } else { "off" }
        )))
    }
}

#[then(regex = r#"^the work profile of "(\w+)" is (locked|not locked)$"#)]
async fn work_locked(w: &mut LockstepWorld, alias: String, what: String) -> StepResult {
    let want = what == "locked";
    match state(w, &alias).await?.work_profile_locked {
        Some(locked) if locked == want => Ok(()),
        Some(_) => Err(w.fail(format!("expected the work profile of \"{alias}\" to be {what}"))),
        None => Err(w.fail(format!("\"{alias}\" has no work profile"))),
    }
}

#[then(regex = r#"^"(\w+)" is still before its first unlock$"#)]
async fn before_first_unlock(w: &mut LockstepWorld, alias: String) -> StepResult {
    let s = state(w, &alias).await?;
    if s.direct_boot || s.awaiting_boot_password {
        Ok(())
    } else {
        Err(w.fail(format!(
            "expected \"{alias}\" to still be before its first unlock (Direct Boot); its user storage is unlocked"
        )))
    }
}

#[then(regex = r#"^"(\w+)" has booted without asking for a passcode$"#)]
async fn booted_without(w: &mut LockstepWorld, alias: String) -> StepResult {
    if state(w, &alias).await?.awaiting_boot_password {
        Err(w.fail(format!("\"{alias}\" is waiting for its boot password")))
    } else {
        Ok(())
    }
}

#[then(regex = r#"^another device admin app (is refused a passcode change on|may change the passcode of) "(\w+)"$"#)]
async fn other_admin(w: &mut LockstepWorld, verdict: String, alias: String) -> StepResult {
    let attempt = w.make_passcode(Shape { length: 8, alphabet: Alphabet::Digits });
    let result = god(w, &alias)?.other_admin_reset(&attempt).await.map_err(|e| w.fail(e.to_string()))?;
    match (verdict.starts_with("is refused"), result) {
        (true, Err(_)) | (false, Ok(())) => Ok(()),
        (true, Ok(())) => Err(w.fail(format!("another admin app changed the passcode of \"{alias}\""))),
        (false, Err(why)) => Err(w.fail(format!("another admin app was refused on \"{alias}\": {why}"))),
    }
}
