//! What administrators do in the console: reset a passcode (with its
//! options), preview the reset, lock, and run a task on several devices.

use super::StepDoc;
use crate::driver::{BatchRequest, PreviewRequest, ResetRequest};
use crate::passcodes::Shape;
use crate::world::{LastAnswer, LockstepWorld, StepResult};
use cucumber::{given, when};

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "When",
        pattern: "<Name> resets the passcode of \"<alias>\" [and sends it to the device user]",
        example: "When Alice resets the passcode of \"phone\" and sends it to the device user",
    },
    StepDoc {
        keyword: "When",
        pattern: "<Name> resets the work profile passcode of \"<alias>\" [with a new passcode of <shape>] [and locks the work profile immediately]",
        example: "When Ivan resets the work profile passcode of \"phone\" with a new passcode of 8 letters and digits and locks the work profile immediately",
    },
    StepDoc {
        keyword: "When",
        pattern: "<Name> opens the reset passcode wizard for \"<alias>\"",
        example: "When Alice opens the reset passcode wizard for \"phone\"",
    },
    StepDoc {
        keyword: "When",
        pattern: "<Name> types a new passcode of <shape> in the reset dialog for \"<alias>\"",
        example: "When Ivan types a new passcode of 10 letters and digits in the reset dialog for \"phone\"",
    },
    StepDoc { keyword: "When", pattern: "<Name> locks \"<alias>\"", example: "When Alice locks \"phone\"" },
    StepDoc {
        keyword: "When",
        pattern: "<Name> resets the passcodes of all devices of <Name> | <Name> locks all devices of <Name>",
        example: "When Alice resets the passcodes of all devices of Erin",
    },
    StepDoc {
        keyword: "When",
        pattern: "<Name> resets the passcodes of | locks \"<alias>\" and \"<alias>\" [and \"<alias>\" ...]",
        example: "When Alice resets the passcodes of \"phone\" and \"tablet\"",
    },
];

pub fn anchor() {}

/// Start a reset as `admin` and remember the action.
async fn reset(
    w: &mut LockstepWorld,
    admin: &str,
    alias: &str,
    request: ResetRequest<'_>,
    new: Option<android_sim::Passcode>,
) -> StepResult {
    let token = w.session(admin).await?;
    let id = w.handset(alias)?.mdm_id.clone();
    let reply = w.stack()?.mdm().reset_passcode(&token, &id, &request).await.map_err(|e| w.fail(e.to_string()))?;
    w.record_action(alias, "reset", &reply, new)?;
    w.last = Some(LastAnswer::from_answer(reply, LastAnswer::Started));
    Ok(())
}

#[given(regex = r#"^(\w+) resets the passcode of "(\w+)"( and sends it to the device user)?$"#)]
#[when(regex = r#"^(\w+) resets the passcode of "(\w+)"( and sends it to the device user)?$"#)]
async fn reset_passcode(w: &mut LockstepWorld, admin: String, alias: String, to_user: String) -> StepResult {
    let request = ResetRequest { send_to_user: Some(!to_user.is_empty()), ..Default::default() };
    reset(w, &admin, &alias, request, None).await
}

#[given(
    regex = r#"^(\w+) resets the work profile passcode of "(\w+)"(?: with a new passcode of (.+?))?( and locks the work profile immediately)?$"#
)]
#[when(
    regex = r#"^(\w+) resets the work profile passcode of "(\w+)"(?: with a new passcode of (.+?))?( and locks the work profile immediately)?$"#
)]
async fn reset_work_profile(
    w: &mut LockstepWorld,
    admin: String,
    alias: String,
    shape: String,
    lock: String,
) -> StepResult {
    let new = if shape.is_empty() {
        None
    } else {
        let shape = Shape::parse(&shape)
            .ok_or_else(|| w.fail(format!("`{shape}` is not a passcode shape such as `8 letters and digits`")))?;
        Some(w.make_passcode(shape))
    };
    let request = ResetRequest {
        lock_now: Some(!lock.is_empty()),
        new_passcode: new.as_ref().map(|p| p.expose()),
        ..Default::default()
    };
    reset(w, &admin, &alias, request, new.clone()).await
}

async fn preview(w: &mut LockstepWorld, admin: &str, alias: &str, request: PreviewRequest<'_>) -> StepResult {
    let token = w.session(admin).await?;
    let id = w.handset(alias)?.mdm_id.clone();
    let reply = w.stack()?.mdm().preview_reset(&token, &id, &request).await.map_err(|e| w.fail(e.to_string()))?;
    let preview = reply.map_err(|r| w.fail(format!("the MDM refused the preview: {r}")))?;
    w.last = Some(LastAnswer::Preview(Box::new(preview)));
    Ok(())
}

#[when(regex = r#"^(\w+) opens the reset passcode wizard for "(\w+)"$"#)]
async fn wizard(w: &mut LockstepWorld, admin: String, alias: String) -> StepResult {
    preview(w, &admin, &alias, PreviewRequest::default()).await
}

#[when(regex = r#"^(\w+) types a new passcode of (.+) in the reset dialog for "(\w+)"$"#)]
async fn dialog(w: &mut LockstepWorld, admin: String, shape: String, alias: String) -> StepResult {
    let p = w.draw_passcode(&shape)?;
    preview(w, &admin, &alias, PreviewRequest { new_passcode: Some(p.expose()) }).await
}

#[when(regex = r#"^(\w+) locks "(\w+)"$"#)]
async fn lock(w: &mut LockstepWorld, admin: String, alias: String) -> StepResult {
    let token = w.session(&admin).await?;
    let id = w.handset(&alias)?.mdm_id.clone();
    let reply = w.stack()?.mdm().lock(&token, &id).await.map_err(|e| w.fail(e.to_string()))?;
    w.record_action(&alias, "lock", &reply, None)?;
    w.last = Some(LastAnswer::from_answer(reply, LastAnswer::Started));
    Ok(())
}

#[when(regex = r"^(\w+) (resets the passcodes of|locks) all devices of (\w+)$")]
async fn batch(w: &mut LockstepWorld, admin: String, verb: String, user: String) -> StepResult {
    let kind = if verb == "locks" { "lock" } else { "reset-passcode" };
    let token = w.session(&admin).await?;
    let email = w.person(&user)?.email.clone();
    let request = BatchRequest { kind, user_email: Some(&email), device_ids: None };
    run_batch(w, &token, &request).await
}

/// The remote task on devices picked from a list (a device group, ICL-3).
#[when(regex = r#"^(\w+) (resets the passcodes of|locks) ((?:"\w+", )*"\w+" and "\w+")$"#)]
async fn batch_by_list(w: &mut LockstepWorld, admin: String, verb: String, list: String) -> StepResult {
    let kind = if verb == "locks" { "lock" } else { "reset-passcode" };
    let token = w.session(&admin).await?;
    let mut ids = Vec::new();
    for alias in list.split('"').skip(1).step_by(2) {
        ids.push(w.handset(alias)?.mdm_id.clone());
    }
    let request = BatchRequest { kind, user_email: None, device_ids: Some(ids.iter().map(String::as_str).collect()) };
    run_batch(w, &token, &request).await
}

/// Send a batch and remember the action it started on each device.
async fn run_batch(w: &mut LockstepWorld, token: &str, request: &BatchRequest<'_>) -> StepResult {
    let kind = request.kind;
    let reply = w.stack()?.mdm().batch(token, request).await.map_err(|e| w.fail(e.to_string()))?;
    let results = match reply {
        Ok(results) => results,
        Err(refusal) => {
            w.last = Some(LastAnswer::Refused(refusal));
            return Ok(());
        }
    };
    let short = if kind == "lock" { "lock" } else { "reset" };
    for r in &results {
        let alias = w.handsets.iter().find(|(_, h)| h.mdm_id == r.device_id).map(|(a, _)| a.clone());
        if let (Some(alias), Some(action)) = (alias, r.action_id.as_ref()) {
            let h = w.handset_mut(&alias)?;
            h.last_action.insert(short, action.clone());
            if short == "reset" {
                h.old_passcode = h.device_passcode.clone();
                h.new_passcode = None;
            }
        }
    }
    w.last = Some(LastAnswer::Batch(results));
    Ok(())
}
