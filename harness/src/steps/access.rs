//! Who may do and see what: sessions (sign-in, sign-out, expiry) and the
//! device page as each role sees it. Refusals are checked by their code,
//! never by their sentence.

use super::StepDoc;
use crate::world::{LockstepWorld, StepResult};
use cucumber::{then, when};
use std::time::Duration;

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc { keyword: "When", pattern: "<Name> signs in | <Name> signs out", example: "When Alice signs out" },
    StepDoc {
        keyword: "Then",
        pattern: "the MDM accepts <Name>'s session",
        example: "Then the MDM accepts Alice's session",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the MDM refuses the session <Name> signed out of | the MDM refuses <Name>'s expired session",
        example: "Then the MDM refuses the session Alice signed out of",
    },
    StepDoc {
        keyword: "When",
        pattern: "<Name>'s session outlives the MDM's session lifetime",
        example: "When Erin's session outlives the MDM's session lifetime",
    },
    StepDoc {
        keyword: "Then",
        pattern: "<Name> sees the device page of \"<alias>\" with | without the latest reset passcode",
        example: "Then Bob sees the device page of \"phone\" without the latest reset passcode",
    },
    StepDoc {
        keyword: "Then",
        pattern: "<Name> is refused the device page of \"<alias>\"",
        example: "Then Erin is refused the device page of \"phone\"",
    },
];

pub fn anchor() {}

#[when(regex = r"^(\w+) signs in$")]
async fn signs_in(w: &mut LockstepWorld, name: String) -> StepResult {
    w.session(&name).await.map(|_| ())
}

#[when(regex = r"^(\w+) signs out$")]
async fn signs_out(w: &mut LockstepWorld, name: String) -> StepResult {
    if w.person(&name)?.session.is_none() {
        return Err(w.fail(format!("{name} has no session to sign out of; add `When {name} signs in` first")));
    }
    w.sign_out(&name).await
}

#[then(regex = r"^the MDM accepts (\w+)'s session$")]
async fn accepts(w: &mut LockstepWorld, name: String) -> StepResult {
    let token = w.session(&name).await?;
    let email = w.person(&name)?.email.clone();
    let reply = w.stack()?.mdm().current_session(&token).await.map_err(|e| w.fail(e.to_string()))?;
    match reply {
        Ok(account) if account.email.eq_ignore_ascii_case(&email) => Ok(()),
        Ok(account) => Err(w.fail(format!("{name}'s session belongs to {}, not {email}", account.email))),
        Err(r) => Err(w.fail(format!("the MDM refused {name}'s session: {r}"))),
    }
}

/// The session must be refused as ended: 401 UNAUTHENTICATED.
async fn refused(w: &LockstepWorld, name: &str, token: &str, which: &str) -> StepResult {
    let reply = w.stack()?.mdm().current_session(token).await.map_err(|e| w.fail(e.to_string()))?;
    match reply {
        Err(r) if r.status == 401 && r.code() == "UNAUTHENTICATED" => Ok(()),
        Err(r) => Err(w.fail(format!("expected {which} of {name} to be refused with 401 UNAUTHENTICATED; got {r}"))),
        Ok(_) => Err(w.fail(format!("the MDM still accepts {which} of {name}"))),
    }
}

#[then(regex = r"^the MDM refuses the session (\w+) signed out of$")]
async fn refuses_ended(w: &mut LockstepWorld, name: String) -> StepResult {
    let token = w
        .ended_sessions
        .get(&name)
        .cloned()
        .ok_or_else(|| w.fail(format!("{name} has not signed out in this scenario")))?;
    refused(w, &name, &token, "the session signed out").await
}

#[when(regex = r"^(\w+)'s session outlives the MDM's session lifetime$")]
async fn outlives(w: &mut LockstepWorld, name: String) -> StepResult {
    w.session(&name).await?;
    let about = w.stack()?.mdm().about().await.map_err(|e| w.fail(e.to_string()))?;
    let about = about.map_err(|r| w.fail(format!("the MDM refused /about: {r}")))?;
    let lifetime = about
        .session_lifetime_seconds
        .ok_or_else(|| w.fail("the MDM claims `session-expiry` but /about gives no session_lifetime_seconds"))?;
    // A minute past the end: a session may end at its last second or the next.
    w.stack()?.advance(Duration::from_secs(lifetime + 60)).await.map_err(|e| w.fail(e.to_string()))
}

#[then(regex = r"^the MDM refuses (\w+)'s expired session$")]
async fn refuses_expired(w: &mut LockstepWorld, name: String) -> StepResult {
    let token =
        w.person(&name)?.session.clone().ok_or_else(|| w.fail(format!("{name} has no session in this scenario")))?;
    refused(w, &name, &token, "the expired session").await?;
    // The next step that needs a session signs in again.
    if let Some(p) = w.people.get_mut(&name) {
        p.session = None;
    }
    Ok(())
}

#[then(regex = r#"^(\w+) sees the device page of "(\w+)" (with|without) the latest reset passcode$"#)]
async fn device_page(w: &mut LockstepWorld, name: String, alias: String, with: String) -> StepResult {
    // Wait until a completed reset has a passcode to show (or to hide).
    let known = w.learn_new_passcode(&alias).await?;
    let token = w.session(&name).await?;
    let (id, action) = {
        let h = w.handset(&alias)?;
        (h.mdm_id.clone(), h.last_action.get("reset").cloned())
    };
    let reply = w.stack()?.mdm().device_page(&token, &id).await.map_err(|e| w.fail(e.to_string()))?;
    let page = reply.map_err(|r| w.fail(format!("{name} was refused the device page of \"{alias}\": {r}")))?;
    if page.device.id != id {
        return Err(w.fail(format!("the device page of \"{alias}\" ({id}) is the page of {}", page.device.id)));
    }
    if let Some(action) = action {
        if !page.actions.iter().any(|a| a.id == action) {
            return Err(w.fail(format!("the device page of \"{alias}\" does not list its reset ({action})")));
        }
    }
    match (with.as_str(), page.security) {
        ("with", Some(security)) => match security.latest_reset_passcode {
            Some(shown) if shown == known.expose() => Ok(()),
            Some(_) => {
                Err(w.fail(format!("the device page of \"{alias}\" shows {name} a passcode other than the reset's")))
            }
            None => Err(w.fail(format!("the device page of \"{alias}\" shows {name} no latest reset passcode"))),
        },
        ("with", None) => Err(w.fail(format!("the device page of \"{alias}\" has no security section for {name}"))),
        (_, None) => Ok(()),
        (_, Some(_)) => Err(w.fail(format!(
            "the device page of \"{alias}\" carries the security section (the latest reset passcode) for {name}, \
             whose role may not see it"
        ))),
    }
}

#[then(regex = r#"^(\w+) is refused the device page of "(\w+)"$"#)]
async fn refused_page(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    let token = w.session(&name).await?;
    let id = w.handset(&alias)?.mdm_id.clone();
    let reply = w.stack()?.mdm().device_page(&token, &id).await.map_err(|e| w.fail(e.to_string()))?;
    match reply {
        Err(r) if r.status == 403 && r.code() == "FORBIDDEN" => Ok(()),
        Err(r) => Err(w.fail(format!("expected 403 FORBIDDEN for {name} on the device page; the MDM answered {r}"))),
        Ok(_) => Err(w.fail(format!("{name} was shown the console's device page of \"{alias}\""))),
    }
}
