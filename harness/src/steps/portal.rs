//! The self-service portal as an end user sees it: signing in again, asking
//! for a reset, confirming it, the device details and notifications.

use super::{eventually, StepDoc};
use crate::driver::{PortalDevice, PortalResetRequest};
use crate::world::{LastAnswer, LockstepWorld, StepResult};
use cucumber::{given, then, when};
use std::time::Duration;

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "When",
        pattern: "<Name> signs out and signs in again",
        example: "When Erin signs out and signs in again",
    },
    StepDoc {
        keyword: "Given",
        pattern: "<Name> signed in <n> minutes ago",
        example: "Given Erin signed in 10 minutes ago",
    },
    StepDoc {
        keyword: "When",
        pattern: "<Name> asks the portal to reset the passcode of \"<alias>\"",
        example: "When Erin asks the portal to reset the passcode of \"phone\"",
    },
    StepDoc {
        keyword: "When",
        pattern: "<Name> confirms the passcode reset of \"<alias>\" in the portal",
        example: "When Erin confirms the passcode reset of \"phone\" in the portal",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the portal warns that the current passcode will be removed",
        example: "Then the portal warns that the current passcode will be removed",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the portal asks <Name> to sign in again",
        example: "Then the portal asks Erin to sign in again",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the portal shows a temporary passcode for \"<alias>\" made of letters and digits",
        example: "Then the portal shows a temporary passcode for \"phone\" made of letters and digits",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the portal shows <Name>'s own reset of \"<alias>\" as its latest, not the administrator's",
        example: "Then the portal shows Erin's own reset of \"phone\" as its latest, not the administrator's",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the reset passcode option is not offered for \"<alias>\"",
        example: "Then the reset passcode option is not offered for \"phone\"",
    },
    StepDoc {
        keyword: "Then",
        pattern: "<Name> gets a portal notification that the passcode of \"<alias>\" was changed",
        example: "Then Erin gets a portal notification that the passcode of \"phone\" was changed",
    },
    StepDoc {
        keyword: "Then",
        pattern: "<Name> gets a portal notification that the passcode reset of \"<alias>\" failed",
        example: "Then Erin gets a portal notification that the passcode reset of \"phone\" failed",
    },
];

pub fn anchor() {}

#[when(regex = r"^(\w+) signs out and signs in again$")]
async fn sign_in_again(w: &mut LockstepWorld, name: String) -> StepResult {
    w.sign_out(&name).await?;
    w.session(&name).await.map(|_| ())
}

#[given(regex = r"^(\w+) signed in (\d+) minutes? ago$")]
async fn signed_in_ago(w: &mut LockstepWorld, name: String, minutes: u64) -> StepResult {
    w.sign_out(&name).await?;
    w.session(&name).await?;
    w.stack()?.advance(Duration::from_secs(60 * minutes)).await.map_err(|e| w.fail(e.to_string()))
}

async fn portal_reset(w: &mut LockstepWorld, name: &str, alias: &str, confirm: bool) -> StepResult {
    let token = w.session(name).await?;
    let id = w.handset(alias)?.mdm_id.clone();
    let request = PortalResetRequest { confirm: confirm.then_some(true) };
    let reply = w.stack()?.mdm().portal_reset(&token, &id, &request).await.map_err(|e| w.fail(e.to_string()))?;
    if confirm {
        w.record_action(alias, "reset", &reply, None)?;
        w.record_action(alias, PORTAL_RESET, &reply, None)?;
    }
    w.last = Some(LastAnswer::from_answer(reply, LastAnswer::Started));
    Ok(())
}

#[when(regex = r#"^(\w+) asks the portal to reset the passcode of "(\w+)"$"#)]
async fn ask(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    portal_reset(w, &name, &alias, false).await
}

#[when(regex = r#"^(\w+) confirms the passcode reset of "(\w+)" in the portal$"#)]
async fn confirm(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    portal_reset(w, &name, &alias, true).await
}

#[then("the portal warns that the current passcode will be removed")]
async fn warns(w: &mut LockstepWorld) -> StepResult {
    let last = w.last.as_ref().ok_or_else(|| w.fail("the portal has not answered anything yet"))?;
    // The warning comes as a refusal that asks for confirmation.
    match last {
        LastAnswer::Refused(r)
            if r.code() == "CONFIRMATION_REQUIRED" && r.message().to_lowercase().contains("remove") =>
        {
            Ok(())
        }
        other => Err(w.fail(format!(
            "expected a warning that the current passcode will be removed; the portal answered {}",
            other.summary()
        ))),
    }
}

#[then(regex = r"^the portal asks (\w+) to sign in again$")]
async fn asks_sign_in(w: &mut LockstepWorld, _name: String) -> StepResult {
    let last = w.last.as_ref().ok_or_else(|| w.fail("the portal has not answered anything yet"))?;
    match last {
        LastAnswer::Refused(r) if r.code() == "REAUTHENTICATION_REQUIRED" => Ok(()),
        other => Err(w.fail(format!(
            "expected the portal to ask for a fresh sign-in (REAUTHENTICATION_REQUIRED); it answered {}",
            other.summary()
        ))),
    }
}

/// The portal's device details for `alias`, as its owner sees them.
async fn details(w: &mut LockstepWorld, alias: &str) -> Result<PortalDevice, crate::world::Failure> {
    let owner = w.handset(alias)?.owner.clone();
    let token = w.session(&owner).await?;
    let id = w.handset(alias)?.mdm_id.clone();
    let reply = w.stack()?.mdm().portal_device(&token, &id).await.map_err(|e| w.fail(e.to_string()))?;
    reply.map_err(|r| w.fail(format!("the portal refused the device details of \"{alias}\": {r}")))
}

/// The key of the latest portal reset among a handset's actions (an
/// administrator's later reset takes the "reset" key).
const PORTAL_RESET: &str = "portal-reset";

/// The portal's "latest reset" of a device is the user's own, made in the
/// portal: an administrator's reset from the console is not theirs to see.
#[then(regex = r#"^the portal shows (\w+)'s own reset of "(\w+)" as its latest, not the administrator's$"#)]
async fn own_latest(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    let want = w
        .handset(&alias)?
        .last_action
        .get(PORTAL_RESET)
        .cloned()
        .ok_or_else(|| w.fail(format!("{name} started no portal reset of \"{alias}\" in this scenario")))?;
    let shown = details(w, &alias).await?.last_reset;
    match shown {
        Some(r) if r.action_id == want => Ok(()),
        Some(r) => Err(w.fail(format!(
            "the portal shows action {} as the latest reset of \"{alias}\", not {name}'s own portal reset {want}",
            r.action_id
        ))),
        None => Err(w.fail(format!("the portal shows no reset of \"{alias}\"; {name} made {want}"))),
    }
}

#[then(regex = r#"^the portal shows a temporary passcode for "(\w+)" made of letters and digits$"#)]
async fn temporary(w: &mut LockstepWorld, alias: String) -> StepResult {
    let owner = w.handset(&alias)?.owner.clone();
    let token = w.session(&owner).await?;
    let id = w.handset(&alias)?.mdm_id.clone();
    let mdm = w.stack()?.mdm().clone();
    let passcode = eventually(w, &format!("a temporary passcode for \"{alias}\" in the portal"), || {
        let (mdm, token, id) = (mdm.clone(), token.clone(), id.clone());
        async move {
            let reply = mdm.portal_device(&token, &id).await.map_err(|e| crate::world::Failure(e.to_string()))?;
            let device =
                reply.map_err(|r| crate::world::Failure(format!("the portal refused the device details: {r}")))?;
            Ok(device.temporary_passcode)
        }
    })
    .await?;
    let p = w.learn(&passcode);
    let letters = passcode.chars().any(|c| c.is_ascii_alphabetic());
    let digits = passcode.chars().any(|c| c.is_ascii_digit());
    if !(letters && digits && passcode.chars().all(|c| c.is_ascii_alphanumeric())) {
        return Err(w.fail(format!(
            "the temporary passcode of \"{alias}\" is not made of letters and digits ({} characters)",
            passcode.len()
        )));
    }
    w.handset_mut(&alias)?.new_passcode = Some(p);
    Ok(())
}

#[then(regex = r#"^the reset passcode option is not offered for "(\w+)"$"#)]
async fn not_offered(w: &mut LockstepWorld, alias: String) -> StepResult {
    let device = details(w, &alias).await?;
    if device.can_reset_passcode {
        Err(w.fail(format!(
            "expected the portal not to offer a passcode reset for \"{alias}\"; can_reset_passcode is true"
        )))
    } else {
        Ok(())
    }
}

#[then(regex = r#"^(\w+) gets a portal notification that the passcode of "(\w+)" was changed$"#)]
async fn notification(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    let what = format!("a portal notification for {name} that the passcode of \"{alias}\" was changed");
    notice(w, &name, &alias, "passcode-changed", &what).await
}

#[then(regex = r#"^(\w+) gets a portal notification that the passcode reset of "(\w+)" failed$"#)]
async fn failure_notice(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    let what = format!("a portal notification for {name} that the passcode reset of \"{alias}\" failed");
    notice(w, &name, &alias, "reset-failed", &what).await
}

/// Wait for a portal notification of `kind` about `alias` for `name`.
async fn notice(w: &mut LockstepWorld, name: &str, alias: &str, kind: &str, what: &str) -> StepResult {
    let token = w.session(name).await?;
    let id = w.handset(alias)?.mdm_id.clone();
    let mdm = w.stack()?.mdm().clone();
    eventually(w, what, || {
        let (mdm, token, id) = (mdm.clone(), token.clone(), id.clone());
        async move {
            let reply = mdm.notifications(&token).await.map_err(|e| crate::world::Failure(e.to_string()))?;
            let listed =
                reply.map_err(|r| crate::world::Failure(format!("the portal refused the notifications: {r}")))?;
            let found = listed.iter().any(|n| n.device_id == id && n.kind == kind);
            Ok(found.then_some(()))
        }
    })
    .await
}
