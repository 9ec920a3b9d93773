//! What the MDM shows afterwards: the action log, mail, the device page, the
//! reset dialog, refusals; and what reached the device through AMAPI.

use super::{eventually, StepDoc};
use crate::driver::{Action, ActionFilter};
use crate::world::{Failure, LastAnswer, LockstepWorld, StepResult};
use cucumber::{gherkin::Step, given, then};

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "Then",
        pattern: "the action log shows the reset | lock of \"<alias>\" as pending | sent | completed | failed | expired | cancelled",
        example: "Then the action log shows the reset of \"phone\" as completed",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the reset | lock of \"<alias>\" fails | expires | is cancelled with reason code <CODE>",
        example: "Then the reset of \"phone\" fails with reason code MANAGEMENT_MODE",
    },
    StepDoc {
        keyword: "Then",
        pattern: "<Name> receives the new passcode of \"<alias>\" by mail | <Name> receives no mail",
        example: "Then Alice receives the new passcode of \"phone\" by mail",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the new passcode of \"<alias>\" has <n> digits | is made of letters and digits",
        example: "Then the new passcode of \"phone\" has 8 digits",
    },
    StepDoc {
        keyword: "Then",
        pattern: "<Name> sees the latest reset passcode on the device page of \"<alias>\" | <Name> is refused the latest reset passcode of \"<alias>\"",
        example: "Then Bob is refused the latest reset passcode of \"phone\"",
    },
    StepDoc { keyword: "Then", pattern: "the wizard shows \"<alias>\" and its user <Name>", example: "Then the wizard shows \"phone\" and its user Erin" },
    StepDoc {
        keyword: "Then",
        pattern: "the dialog lists [exactly] these requirements: (a table of requirement | met)",
        example: "Then the dialog lists exactly these requirements:",
    },
    StepDoc { keyword: "Then", pattern: "the Reset passcode button is enabled | disabled", example: "Then the Reset passcode button is disabled" },
    StepDoc {
        keyword: "Then",
        pattern: "the MDM refuses with <CODE> | the MDM refuses because the device is not supported",
        example: "Then the MDM refuses with POLICY_NOT_MET",
    },
    StepDoc { keyword: "Then", pattern: "nothing has been sent to \"<alias>\"", example: "Then nothing has been sent to \"phone\"" },
    StepDoc {
        keyword: "Then",
        pattern: "the MDM sent exactly one passcode reset to \"<alias>\"",
        example: "Then the MDM sent exactly one passcode reset to \"phone\"",
    },
];

pub fn anchor() {}

/// Wait until the action reaches `want`; fail early if it settles elsewhere.
async fn action_status(w: &LockstepWorld, alias: &str, kind: &str, want: &str) -> Result<Action, Failure> {
    let action = w
        .handset(alias)?
        .last_action
        .get(kind)
        .cloned()
        .ok_or_else(|| w.fail(format!("no {kind} of \"{alias}\" was started in this scenario")))?;
    let token = w.observer().await?;
    let mdm = w.stack()?.mdm().clone();
    let device = w.handset(alias)?.mdm_id.clone();
    let what = format!("the {kind} of \"{alias}\" to show as {want} in the action log");
    let entry = eventually(w, &what, || {
        let (mdm, token, action, want) = (mdm.clone(), token.clone(), action.clone(), want.to_owned());
        async move {
            let entry = mdm
                .action(&token, &action)
                .await
                .map_err(|e| Failure(e.to_string()))?
                .map_err(|r| Failure(format!("the MDM refused the observer the action log: {r}")))?;
            if entry.status == want {
                Ok(Some(entry))
            } else if entry.is_terminal() {
                Err(Failure(format!(
                    "the action log shows it as {}, not {want}{}",
                    entry.status,
                    entry.reason.as_ref().map(|r| format!(" (reason: {r})")).unwrap_or_default()
                )))
            } else {
                Ok(None)
            }
        }
    })
    .await;
    let entry = match entry {
        Ok(entry) => {
            reason_pairing(w, alias, kind, &entry)?;
            entry
        }
        Err(f) => {
            // Say what the log showed last, not only what it never showed.
            let last = match mdm.action(&token, &action).await {
                Ok(Ok(a)) => format!("; the action log last showed it as {}", a.status),
                Ok(Err(r)) => format!("; the action log last answered {r}"),
                Err(e) => format!("; the action log could not be read: {e}"),
            };
            return Err(w.fail(format!("{what}: {f}{last}")));
        }
    };
    // The same entry, with the same status, in the device's log and filtered by status.
    for (filter, which) in [
        (ActionFilter { device_id: Some(&device), status: None }, "of the device"),
        (ActionFilter { device_id: Some(&device), status: Some(want) }, "filtered by status"),
    ] {
        let list = mdm
            .actions(&token, &filter)
            .await
            .map_err(|e| w.fail(e.to_string()))?
            .map_err(|r| w.fail(format!("the MDM refused the observer the action log: {r}")))?;
        let found = list.iter().any(|a| a.id == entry.id && a.status == entry.status);
        if !found {
            return Err(w.fail(format!("the action log {which} does not list the {kind} of \"{alias}\" as {want}")));
        }
    }
    Ok(entry)
}

#[given(
    regex = r#"^the action log shows the (reset|lock) of "(\w+)" as (pending|sent|completed|failed|expired|cancelled)$"#
)]
#[then(
    regex = r#"^the action log shows the (reset|lock) of "(\w+)" as (pending|sent|completed|failed|expired|cancelled)$"#
)]
async fn action_log(w: &mut LockstepWorld, kind: String, alias: String, status: String) -> StepResult {
    action_status(w, &alias, &kind, &status).await.map(|_| ())
}

/// The protocol's rule for an ended action: `reason_code` is set exactly
/// when `reason` is, and every ending but completion has both.
fn reason_pairing(w: &LockstepWorld, alias: &str, kind: &str, entry: &Action) -> StepResult {
    let (code, sentence) = (entry.reason_code.as_deref(), entry.reason.as_deref().map(str::trim));
    let needs_reason = entry.is_terminal() && entry.status != "completed";
    match (code, sentence) {
        (Some(_), Some(s)) if !s.is_empty() => Ok(()),
        (None, None) if !needs_reason => Ok(()),
        (None, _) if needs_reason => Err(w.fail(format!(
            "the {kind} of \"{alias}\" is {} without a reason_code: a program cannot tell why",
            entry.status
        ))),
        _ => Err(w.fail(format!(
            "the {kind} of \"{alias}\" has reason_code {code:?} but {}: the protocol sets both or neither",
            if sentence.is_some_and(|s| !s.is_empty()) { "a reason" } else { "no reason sentence" }
        ))),
    }
}

#[then(regex = r#"^the (reset|lock) of "(\w+)" (fails|expires|is cancelled) with reason code ([A-Z_]+)$"#)]
async fn ends_with_code(w: &mut LockstepWorld, kind: String, alias: String, how: String, code: String) -> StepResult {
    let status = match how.as_str() {
        "fails" => "failed",
        "expires" => "expired",
        _ => "cancelled",
    };
    let entry = action_status(w, &alias, &kind, status).await?;
    if entry.reason_code.as_deref() == Some(code.as_str()) {
        Ok(())
    } else {
        Err(w.fail(format!(
            "the {kind} of \"{alias}\" is {status} with reason_code {} (reason: \"{}\"), not {code}",
            entry.reason_code.as_deref().unwrap_or("none"),
            entry.reason.as_deref().unwrap_or_default()
        )))
    }
}

#[then(regex = r#"^(\w+) receives the new passcode of "(\w+)" by mail$"#)]
async fn mail(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    let email = w.person(&name)?.email.clone();
    let passcode = w.learn_new_passcode(&alias).await?;
    let stack = w.stack()?;
    let found = eventually(w, &format!("a mail to {name} with the new passcode of \"{alias}\""), || async {
        Ok(stack.mail_to(&email).iter().any(|m| m.body.contains(passcode.expose())).then_some(()))
    })
    .await;
    found.map_err(|f| {
        let arrived: Vec<String> = stack.mail_to(&email).iter().map(|m| format!("\"{}\"", m.subject)).collect();
        let arrived = if arrived.is_empty() { "none".to_owned() } else { arrived.join(", ") };
        w.fail(format!("{f}; the mail that did arrive for {name}: {arrived}"))
    })
}

#[then(regex = r"^(\w+) receives no mail$")]
async fn no_mail(w: &mut LockstepWorld, name: String) -> StepResult {
    let email = w.person(&name)?.email.clone();
    // Mail goes out when an action starts or settles: wait until the
    // actions have settled and the mail sink has been idle for a while.
    w.quiesce().await?;
    let mails = w.stack()?.mail_to(&email);
    if mails.is_empty() {
        Ok(())
    } else {
        Err(w.fail(format!("{name} received {} mail(s); the first is titled \"{}\"", mails.len(), mails[0].subject)))
    }
}

#[then(regex = r#"^the new passcode of "(\w+)" (has (\d+) digits|is made of letters and digits)$"#)]
async fn shape(w: &mut LockstepWorld, alias: String, what: String, digits: String) -> StepResult {
    let p = w.learn_new_passcode(&alias).await?;
    let s = p.expose();
    let ok = if digits.is_empty() {
        s.chars().all(|c| c.is_ascii_alphanumeric())
            && s.chars().any(|c| c.is_ascii_alphabetic())
            && s.chars().any(|c| c.is_ascii_digit())
    } else {
        p.is_numeric() && p.len().to_string() == digits
    };
    if ok {
        Ok(())
    } else {
        let kind = if p.is_numeric() { "digits only" } else { "not digits only" };
        Err(w.fail(format!(
            "expected the new passcode of \"{alias}\" to be a passcode that {what}; it has {} characters, {kind}",
            p.len()
        )))
    }
}

#[then(regex = r#"^(\w+) sees the latest reset passcode on the device page of "(\w+)"$"#)]
async fn sees_passcode(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    // Wait until the reset has set a passcode to show.
    w.learn_new_passcode(&alias).await?;
    let shown = w.latest_passcode_as(&name, &alias).await?;
    match shown {
        Ok(Some(p)) => {
            let p = w.learn(&p);
            let known = w.handset(&alias)?.new_passcode.clone();
            if known.is_some_and(|k| k != p) {
                return Err(w.fail(format!(
                    "the device page of \"{alias}\" shows a passcode other than the one the reset set"
                )));
            }
            w.handset_mut(&alias)?.new_passcode = Some(p);
            Ok(())
        }
        Ok(None) => Err(w.fail(format!("the device page of \"{alias}\" shows {name} no latest reset passcode"))),
        Err(refusal) => Err(w.fail(format!("{name} was refused the device page of \"{alias}\": {refusal}"))),
    }
}

#[then(regex = r#"^(\w+) is refused the latest reset passcode of "(\w+)"$"#)]
async fn refused_passcode(w: &mut LockstepWorld, name: String, alias: String) -> StepResult {
    // Make sure there is a passcode to show before checking it is not shown.
    w.learn_new_passcode(&alias).await?;
    match w.latest_passcode_as(&name, &alias).await? {
        Err(refusal) if refusal.status == 403 && refusal.code() == "FORBIDDEN" => Ok(()),
        Err(refusal) => Err(w.fail(format!("expected a 403 FORBIDDEN refusal for {name}; the MDM answered {refusal}"))),
        Ok(None) => {
            Err(w.fail(format!("expected the MDM to refuse {name} clearly (403); it answered without the passcode")))
        }
        Ok(Some(_)) => Err(w.fail(format!("{name} can see the latest reset passcode of \"{alias}\""))),
    }
}

#[then(regex = r#"^the wizard shows "(\w+)" and its user (\w+)$"#)]
async fn wizard_shows(w: &mut LockstepWorld, alias: String, user: String) -> StepResult {
    let preview = last_preview(w, "the wizard was not opened")?;
    let id = w.handset(&alias)?.mdm_id.clone();
    let email = w.person(&user)?.email.clone();
    let device_ok = preview.device.id == id;
    let user_ok = preview.user.as_ref().is_some_and(|u| u.email == email);
    if device_ok && user_ok {
        Ok(())
    } else {
        let shown = preview.user.as_ref().map_or("no user", |u| u.email.as_str());
        Err(w.fail(format!(
            "the wizard does not show \"{alias}\" ({id}) and {email}; it shows device {} and {shown}",
            preview.device.id
        )))
    }
}

/// The `| requirement | met |` rows of a step's table.
fn requirement_rows(w: &LockstepWorld, step: &Step) -> Result<Vec<(String, bool)>, Failure> {
    let table = step.table.as_ref().ok_or_else(|| w.fail("this step needs a table of | requirement | met |"))?;
    let mut rows = Vec::new();
    for row in table.rows.iter().skip(1) {
        let (Some(text), Some(met)) = (row.first(), row.get(1)) else {
            return Err(w.fail("each row needs a requirement and yes/no"));
        };
        rows.push((text.trim().to_owned(), met.trim() == "yes"));
    }
    Ok(rows)
}

#[then("the dialog lists these requirements:")]
async fn requirements(w: &mut LockstepWorld, step: &Step) -> StepResult {
    let listed = &last_preview(w, "the reset dialog was not opened")?.requirements;
    for (text, want) in requirement_rows(w, step)? {
        let found = listed.iter().find(|r| r.description == text);
        match found.map(|r| r.met) {
            Some(m) if m == want => {}
            Some(m) => return Err(w.fail(format!("requirement \"{text}\" shows met = {m}, expected {want}"))),
            None => {
                return Err(w.fail(format!(
                    "the dialog does not list the requirement \"{text}\"; it lists {}",
                    listed.iter().map(|r| format!("\"{}\"", r.description)).collect::<Vec<_>>().join(", ")
                )))
            }
        }
    }
    Ok(())
}

/// The whole list, in the dialog's order: no requirement missing, none extra.
#[then("the dialog lists exactly these requirements:")]
async fn exact_requirements(w: &mut LockstepWorld, step: &Step) -> StepResult {
    let want = requirement_rows(w, step)?;
    let listed: Vec<(String, bool)> = last_preview(w, "the reset dialog was not opened")?
        .requirements
        .iter()
        .map(|r| (r.description.clone(), r.met))
        .collect();
    if listed == want {
        return Ok(());
    }
    let show = |rows: &[(String, bool)]| {
        rows.iter()
            .map(|(t, m)| format!("\"{t}\" ({})", if *m { "met" } else { "not met" }))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(w.fail(format!("the dialog lists {}; expected {}", show(&listed), show(&want))))
}

#[then(regex = r"^the Reset passcode button is (enabled|disabled)$")]
async fn button(w: &mut LockstepWorld, state: String) -> StepResult {
    let can = last_preview(w, "the reset dialog was not opened")?.can_reset;
    if can == (state == "enabled") {
        Ok(())
    } else {
        Err(w.fail(format!("expected the Reset passcode button to be {state}; the dialog says can_reset = {can}")))
    }
}

#[then(regex = r"^the MDM refuses (?:with ([A-Z_]+)|because the device is not supported)$")]
async fn refuses(w: &mut LockstepWorld, code: String) -> StepResult {
    let want = if code.is_empty() { "UNSUPPORTED_DEVICE" } else { code.as_str() };
    let last = w.last.as_ref().ok_or_else(|| w.fail("the MDM was not asked anything yet"))?;
    let LastAnswer::Refused(refusal) = last else {
        return Err(w.fail(format!("expected the refusal {want}; the MDM answered {}", last.summary())));
    };
    if refusal.code() != want {
        return Err(w.fail(format!("expected the refusal {want}; got {refusal}")));
    }
    // The code is what is checked; the sentence must still be there for people.
    if refusal.message().trim().is_empty() {
        return Err(w.fail("the refusal has no message a person could read"));
    }
    Ok(())
}

#[then(regex = r#"^nothing has been sent to "(\w+)"$"#)]
async fn nothing_sent(w: &mut LockstepWorld, alias: String) -> StepResult {
    w.quiesce().await?;
    let name = w.handset(&alias)?.amapi_name.clone();
    let n = w.stack()?.commands_sent(&name, None);
    if n == 0 {
        Ok(())
    } else {
        Err(w.fail(format!("{n} command(s) reached AMAPI for \"{alias}\"")))
    }
}

#[then(regex = r#"^the MDM sent exactly one passcode reset to "(\w+)"$"#)]
async fn exactly_one(w: &mut LockstepWorld, alias: String) -> StepResult {
    w.quiesce().await?;
    let name = w.handset(&alias)?.amapi_name.clone();
    let n = w.stack()?.commands_sent(&name, Some("RESET_PASSWORD"));
    if n == 1 {
        Ok(())
    } else {
        Err(w.fail(format!("the MDM sent {n} RESET_PASSWORD commands to \"{alias}\" through AMAPI")))
    }
}

/// The reset wizard the scenario opened last.
fn last_preview<'w>(w: &'w LockstepWorld, missing: &str) -> Result<&'w crate::driver::Preview, Failure> {
    match &w.last {
        Some(LastAnswer::Preview(p)) => Ok(p),
        Some(other) => Err(w.fail(format!("{missing}; the MDM's last answer was {}", other.summary()))),
        None => Err(w.fail(missing)),
    }
}
