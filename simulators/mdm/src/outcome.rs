//! Reading an AMAPI Operation: is it finished, and how did it end, in
//! words a person understands.
//!
//! Order of precedence as AMAPI documents it (amapi.md §3.1): the
//! command-specific status, then `metadata.errorCode`, then
//! `Operation.error`. LOCK and RESET_PASSWORD have no specific status.

use crate::store::{ActionKind, ActionStatus};
use serde_json::Value;

/// How a finished operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ended {
    pub status: ActionStatus,
    pub reason: Option<String>,
}

/// `None` while the operation is not done.
pub(crate) fn read(op: &Value, kind: ActionKind) -> Option<Ended> {
    if op.get("done").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let error_code =
        op.pointer("/metadata/errorCode").and_then(Value::as_str).filter(|c| *c != "COMMAND_ERROR_CODE_UNSPECIFIED");
    let rpc_code = op.pointer("/error/code").and_then(Value::as_i64);
    let ended = match (error_code, rpc_code) {
        (Some(code), _) => Ended { status: ActionStatus::Failed, reason: Some(error_sentence(code, kind)) },
        (None, Some(1)) => Ended {
            status: ActionStatus::Cancelled,
            reason: Some("The command was cancelled before the device carried it out.".into()),
        },
        // The mock's representation of expiry (DEADLINE_EXCEEDED); AMAPI documents none.
        (None, Some(4)) => Ended {
            status: ActionStatus::Expired,
            reason: Some(
                "The device did not pick up the command in time (it may be switched off or offline). Try again when it is online."
                    .into(),
            ),
        },
        (None, Some(0) | None) => Ended { status: ActionStatus::Completed, reason: None },
        (None, Some(_)) => {
            let msg = op.pointer("/error/message").and_then(Value::as_str).unwrap_or("no details");
            Ended { status: ActionStatus::Failed, reason: Some(format!("Android Management API reported a failure: {msg}")) }
        }
    };
    Some(ended)
}

/// AMAPI's `CommandErrorCode` as a sentence for the action log.
pub(crate) fn error_sentence(code: &str, kind: ActionKind) -> String {
    let what = match kind {
        ActionKind::ResetPasscode => "reset the passcode",
        ActionKind::Lock => "lock",
    };
    match code {
        "API_LEVEL" => format!("The device could not {what}: its Android version does not support this command."),
        "MANAGEMENT_MODE" => format!(
            "The device could not {what}: the way it is managed does not allow it (for example, a work profile \
             cannot reset the passcode of the whole device, and a legacy device administrator cannot change a \
             passcode that is already set)."
        ),
        "INVALID_VALUE" => format!(
            "The device could not {what}: it refused the new passcode. A passcode needs at least 4 characters, a \
             numeric one at least 6 digits on Android 14 and later, and it must meet the assigned passcode policy."
        ),
        "UNSUPPORTED" => format!(
            "The device could not {what}: it does not support this command in its current state. Updating Android \
             Device Policy, or unlocking the device once, may help."
        ),
        _ => format!("The device could not {what}, and did not say why."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcomes() {
        let k = ActionKind::ResetPasscode;
        assert_eq!(read(&json!({"name": "x"}), k), None);
        assert_eq!(read(&json!({"done": true}), k).map(|e| e.status), Some(ActionStatus::Completed));
        let failed =
            read(&json!({"done": true, "metadata": {"errorCode": "API_LEVEL"}, "error": {"code": 9}}), k).unwrap();
        assert_eq!(failed.status, ActionStatus::Failed);
        assert!(failed.reason.unwrap().contains("Android version"));
        assert_eq!(
            read(&json!({"done": true, "error": {"code": 1}}), k).map(|e| e.status),
            Some(ActionStatus::Cancelled)
        );
        assert_eq!(
            read(&json!({"done": true, "error": {"code": 4}}), k).map(|e| e.status),
            Some(ActionStatus::Expired)
        );
        assert_eq!(
            read(&json!({"done": true, "error": {"code": 13, "message": "m"}}), k).map(|e| e.status),
            Some(ActionStatus::Failed)
        );
    }
}
