//! The action log beyond one action's status: cancelling, the filters of
//! `GET /actions` and `GET /devices`, and the latest reset passcode kept
//! hidden until the device has taken it.

use super::StepDoc;
use crate::driver::{Accepted, Action, ActionFilter};
use crate::world::{Failure, LastAnswer, LockstepWorld, StepResult};
use cucumber::{then, when};

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "When",
        pattern: "<Name> cancels the reset | lock of \"<alias>\"",
        example: "When Alice cancels the reset of \"phone\"",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the device page of \"<alias>\" shows no latest reset passcode yet",
        example: "Then the device page of \"phone\" shows no latest reset passcode yet",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the action log filtered by device \"<alias>\" lists only its reset | lock",
        example: "Then the action log filtered by device \"phone\" lists only its reset",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the action log filtered by status <status> lists the reset | lock of \"<alias>\" but not the reset | lock of \"<alias>\"",
        example: "Then the action log filtered by status sent lists the lock of \"tablet\" but not the reset of \"phone\"",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the MDM lists only \"<alias>\" among the devices of <Name>",
        example: "Then the MDM lists only \"phone\" among the devices of Erin",
    },
];

pub fn anchor() {}

/// The id of the last action of `kind` the scenario started on `alias`.
fn action_of(w: &LockstepWorld, kind: &str, alias: &str) -> Result<String, Failure> {
    w.handset(alias)?
        .last_action
        .get(kind)
        .cloned()
        .ok_or_else(|| w.fail(format!("no {kind} of \"{alias}\" was started in this scenario")))
}

#[when(regex = r#"^(\w+) cancels the (reset|lock) of "(\w+)"$"#)]
async fn cancel(w: &mut LockstepWorld, name: String, kind: String, alias: String) -> StepResult {
    let action = action_of(w, &kind, &alias)?;
    let token = w.session(&name).await?;
    let reply = w.stack()?.mdm().cancel(&token, &action).await.map_err(|e| w.fail(e.to_string()))?;
    w.last =
        Some(LastAnswer::from_answer(reply, |a| LastAnswer::Started(Accepted { action_id: a.id, status: a.status })));
    Ok(())
}

#[then(regex = r#"^the device page of "(\w+)" shows no latest reset passcode yet$"#)]
async fn no_passcode_yet(w: &mut LockstepWorld, alias: String) -> StepResult {
    // Not a snapshot: first let the reset go as far as it can.
    w.quiesce().await?;
    let token = w.observer().await?;
    let id = w.handset(&alias)?.mdm_id.clone();
    let mdm = w.stack()?.mdm().clone();
    let security = mdm.security(&token, &id).await.map_err(|e| w.fail(e.to_string()))?;
    let security = security.map_err(|r| w.fail(format!("the MDM refused the observer the passcode: {r}")))?;
    if security.latest_reset_passcode.is_some() {
        return Err(w.fail(format!(
            "the device page of \"{alias}\" shows a latest reset passcode before the device has taken the reset"
        )));
    }
    let page = mdm.device_page(&token, &id).await.map_err(|e| w.fail(e.to_string()))?;
    let page = page.map_err(|r| w.fail(format!("the MDM refused the observer the device page: {r}")))?;
    match page.security.and_then(|s| s.latest_reset_passcode) {
        None => Ok(()),
        Some(_) => Err(w.fail(format!(
            "the device page of \"{alias}\" carries a latest reset passcode before the device has taken the reset"
        ))),
    }
}

/// The action log as the observer sees it through `filter`.
async fn filtered(w: &LockstepWorld, filter: &ActionFilter<'_>) -> Result<Vec<Action>, Failure> {
    let token = w.observer().await?;
    let reply = w.stack()?.mdm().actions(&token, filter).await.map_err(|e| w.fail(e.to_string()))?;
    reply.map_err(|r| w.fail(format!("the MDM refused the observer the action log: {r}")))
}

#[then(regex = r#"^the action log filtered by device "(\w+)" lists only its (reset|lock)$"#)]
async fn by_device(w: &mut LockstepWorld, alias: String, kind: String) -> StepResult {
    let action = action_of(w, &kind, &alias)?;
    let id = w.handset(&alias)?.mdm_id.clone();
    let listed = filtered(w, &ActionFilter { device_id: Some(&id), status: None }).await?;
    let others: Vec<&str> = listed.iter().filter(|a| a.id != action).map(|a| a.id.as_str()).collect();
    if !listed.iter().any(|a| a.id == action) {
        return Err(w.fail(format!("the action log filtered by device \"{alias}\" does not list its {kind}")));
    }
    if others.is_empty() {
        Ok(())
    } else {
        Err(w.fail(format!(
            "the action log filtered by device \"{alias}\" lists {} other action(s): {}",
            others.len(),
            others.join(", ")
        )))
    }
}

#[then(
    regex = r#"^the action log filtered by status (pending|sent|completed|failed|expired|cancelled) lists the (reset|lock) of "(\w+)" but not the (reset|lock) of "(\w+)"$"#
)]
async fn by_status(
    w: &mut LockstepWorld,
    status: String,
    kind: String,
    alias: String,
    other_kind: String,
    other: String,
) -> StepResult {
    let wanted = action_of(w, &kind, &alias)?;
    let unwanted = action_of(w, &other_kind, &other)?;
    let listed = filtered(w, &ActionFilter { device_id: None, status: Some(&status) }).await?;
    if let Some(a) = listed.iter().find(|a| a.status != status) {
        return Err(w.fail(format!("the action log filtered by status {status} lists {} as {}", a.id, a.status)));
    }
    if !listed.iter().any(|a| a.id == wanted) {
        return Err(
            w.fail(format!("the action log filtered by status {status} does not list the {kind} of \"{alias}\""))
        );
    }
    if listed.iter().any(|a| a.id == unwanted) {
        return Err(w.fail(format!("the action log filtered by status {status} lists the {other_kind} of \"{other}\"")));
    }
    Ok(())
}

#[then(regex = r#"^the MDM lists only "(\w+)" among the devices of (\w+)$"#)]
async fn devices_of(w: &mut LockstepWorld, alias: String, name: String) -> StepResult {
    let email = w.person(&name)?.email.clone();
    let id = w.handset(&alias)?.mdm_id.clone();
    let token = w.observer().await?;
    let reply = w.stack()?.mdm().devices(&token, &email).await.map_err(|e| w.fail(e.to_string()))?;
    let listed = reply.map_err(|r| w.fail(format!("the MDM refused the observer the device list: {r}")))?;
    let ids: Vec<&str> = listed.iter().map(|d| d.id.as_str()).collect();
    if ids == [id.as_str()] {
        Ok(())
    } else {
        Err(w.fail(format!(
            "the devices of {name} should be \"{alias}\" ({id}) alone; the MDM lists [{}]",
            ids.join(", ")
        )))
    }
}
