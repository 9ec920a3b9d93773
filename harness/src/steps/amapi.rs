//! Talking to a device through the Android Management API directly, as any
//! MDM would, to check the firmware rather than an MDM; and moving the
//! virtual clock. These need the embedded stack.

use super::StepDoc;
use crate::world::{LockstepWorld, StepResult};
use amapi_mock::faults::{Effect, Fault};
use cucumber::{given, then, when};
use serde_json::{json, Value};
use std::time::Duration;

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "When",
        pattern: "an AMAPI client resets the passcode of \"<alias>\" to a new passcode of <shape> [with flags <FLAG>[, <FLAG>]]",
        example: "When an AMAPI client resets the passcode of \"phone\" to a new passcode of 8 digits with flags LOCK_NOW",
    },
    StepDoc {
        keyword: "When",
        pattern: "an AMAPI client clears the passcode of \"<alias>\"",
        example: "When an AMAPI client clears the passcode of \"phone\"",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the AMAPI command succeeds | fails with <API_LEVEL|MANAGEMENT_MODE|INVALID_VALUE|UNSUPPORTED|UNKNOWN>",
        example: "Then the AMAPI command fails with INVALID_VALUE",
    },
    StepDoc { keyword: "When", pattern: "<n> minutes pass", example: "When 6 minutes pass" },
    StepDoc {
        keyword: "Given",
        pattern: "AMAPI answers the next [<n>] command(s) with <429|500|503>",
        example: "Given AMAPI answers the next command with 429",
    },
    StepDoc {
        keyword: "Given",
        pattern: "AMAPI loses the next <COMMAND|ENROLLMENT|STATUS_REPORT> notification",
        example: "Given AMAPI loses the next COMMAND notification",
    },
];

pub fn anchor() {}

#[when(regex = r#"^an AMAPI client resets the passcode of "(\w+)" to a new passcode of (.+?)(?: with flags (.+))?$"#)]
async fn direct_reset(w: &mut LockstepWorld, alias: String, shape: String, flags: String) -> StepResult {
    let new = w.draw_passcode(&shape)?;
    let flags: Vec<&str> = flags.split([',', ' ']).map(str::trim).filter(|f| !f.is_empty() && *f != "and").collect();
    let body = json!({ "type": "RESET_PASSWORD", "newPassword": new.expose(), "resetPasswordFlags": flags });
    let name = w.handset(&alias)?.amapi_name.clone();
    let op = w.stack()?.issue_command(&name, body).await.map_err(|e| w.fail(e))?;
    let succeeded = op.get("error").is_none() && op.pointer("/metadata/errorCode").is_none();
    let h = w.handset_mut(&alias)?;
    if succeeded {
        h.old_passcode = h.device_passcode.clone();
        h.new_passcode = Some(new);
    }
    w.amapi_result = Some(op);
    Ok(())
}

#[when(regex = r#"^an AMAPI client clears the passcode of "(\w+)"$"#)]
async fn direct_clear(w: &mut LockstepWorld, alias: String) -> StepResult {
    let body = json!({ "type": "RESET_PASSWORD", "newPassword": "" });
    let name = w.handset(&alias)?.amapi_name.clone();
    let op = w.stack()?.issue_command(&name, body).await.map_err(|e| w.fail(e))?;
    let succeeded = op.get("error").is_none() && op.pointer("/metadata/errorCode").is_none();
    let h = w.handset_mut(&alias)?;
    if succeeded {
        h.old_passcode = h.device_passcode.clone();
        if !h.ownership.has_work_profile() {
            h.device_passcode = None;
        }
    }
    w.amapi_result = Some(op);
    Ok(())
}

#[then(regex = r"^the AMAPI command (succeeds|fails with ([A-Z_]+))$")]
async fn command_result(w: &mut LockstepWorld, verdict: String, code: String) -> StepResult {
    let op = w.amapi_result.as_ref().ok_or_else(|| w.fail("no AMAPI command was issued in this scenario"))?;
    let got = op.pointer("/metadata/errorCode").and_then(Value::as_str);
    let error = op.get("error");
    match (verdict.as_str(), got) {
        ("succeeds", None) if error.is_none() => Ok(()),
        ("succeeds", _) => Err(w.fail(format!("the command failed: errorCode {got:?}, error {error:?}"))),
        (_, Some(g)) if g == code => Ok(()),
        _ => Err(
            w.fail(format!("expected errorCode {code}; the operation ended with errorCode {got:?}, error {error:?}"))
        ),
    }
}

#[when(regex = r"^(\d+) minutes? pass(?:es)?$")]
async fn minutes_pass(w: &mut LockstepWorld, minutes: u64) -> StepResult {
    w.stack()?.advance(Duration::from_secs(60 * minutes)).await.map_err(|e| w.fail(e.to_string()))
}

#[given(regex = r"^AMAPI answers the next (?:(\d+) )?commands? with (\d{3})$")]
async fn command_fault(w: &mut LockstepWorld, count: String, status: u16) -> StepResult {
    let count = count.parse().unwrap_or(1);
    let what = format!("the {status} answer to the next {count} command(s)");
    w.arm_fault(&what, |device| {
        Fault::error(status).on("enterprises.devices.issueCommand").method("POST").device(device).times(count)
    })
}

#[given(regex = r"^AMAPI loses the next (COMMAND|ENROLLMENT|STATUS_REPORT) notification$")]
async fn notification_fault(w: &mut LockstepWorld, kind: String) -> StepResult {
    let what = format!("the loss of the next {kind} notification");
    w.arm_fault(&what, |device| {
        Fault::new(Effect::DropNotification).notification(kind.as_str()).device(device).times(1)
    })
}
