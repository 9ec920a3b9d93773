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
    pub reason: Option<Reason>,
}

/// Why an action did not complete: a code for programs, a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reason {
    /// AMAPI's `CommandErrorCode` (`API_LEVEL`, `MANAGEMENT_MODE`,
    /// `INVALID_VALUE`, `UNSUPPORTED`, `UNKNOWN`) or a [`ReasonCode`].
    pub code: String,
    pub sentence: String,
}

impl Reason {
    pub(crate) fn ours(code: ReasonCode, sentence: impl Into<String>) -> Reason {
        Reason { code: code.as_str().to_owned(), sentence: sentence.into() }
    }
}

/// The driver protocol's own reason codes, for endings AMAPI gave no
/// `CommandErrorCode` for (docs/driver-protocol.md, "The action log").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReasonCode {
    /// An administrator cancelled the action before it was sent.
    CancelledByAdmin,
    /// AMAPI cancelled the operation (`operations.cancel`).
    OperationCancelled,
    /// The device did not run the command within its duration.
    CommandExpired,
    /// AMAPI refused `issueCommand` with a non-retryable error.
    CommandRefused,
    /// AMAPI kept failing until the command would have expired; nothing was sent.
    NeverAccepted,
    /// AMAPI no longer knows the operation.
    OperationLost,
    /// The operation ended with an error and no `CommandErrorCode`.
    OperationFailed,
    /// The device left the inventory before the command went out.
    DeviceGone,
}

impl ReasonCode {
    #[cfg(test)]
    pub(crate) const ALL: [ReasonCode; 8] = [
        ReasonCode::CancelledByAdmin,
        ReasonCode::OperationCancelled,
        ReasonCode::CommandExpired,
        ReasonCode::CommandRefused,
        ReasonCode::NeverAccepted,
        ReasonCode::OperationLost,
        ReasonCode::OperationFailed,
        ReasonCode::DeviceGone,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReasonCode::CancelledByAdmin => "CANCELLED_BY_ADMIN",
            ReasonCode::OperationCancelled => "OPERATION_CANCELLED",
            ReasonCode::CommandExpired => "COMMAND_EXPIRED",
            ReasonCode::CommandRefused => "COMMAND_REFUSED",
            ReasonCode::NeverAccepted => "NEVER_ACCEPTED",
            ReasonCode::OperationLost => "OPERATION_LOST",
            ReasonCode::OperationFailed => "OPERATION_FAILED",
            ReasonCode::DeviceGone => "DEVICE_GONE",
        }
    }
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
        (Some(code), _) => Ended {
            status: ActionStatus::Failed,
            reason: Some(Reason { code: code.to_owned(), sentence: error_sentence(code, kind) }),
        },
        (None, Some(1)) => Ended {
            status: ActionStatus::Cancelled,
            reason: Some(Reason::ours(
                ReasonCode::OperationCancelled,
                "The command was cancelled before the device carried it out.",
            )),
        },
        // The mock's representation of expiry (DEADLINE_EXCEEDED); AMAPI documents none.
        (None, Some(4)) => Ended {
            status: ActionStatus::Expired,
            reason: Some(Reason::ours(
                ReasonCode::CommandExpired,
                "The device did not pick up the command in time (it may be switched off or offline). Try again when it is online.",
            )),
        },
        (None, Some(0) | None) => Ended { status: ActionStatus::Completed, reason: None },
        (None, Some(_)) => {
            let msg = op.pointer("/error/message").and_then(Value::as_str).unwrap_or("no details");
            Ended {
                status: ActionStatus::Failed,
                reason: Some(Reason::ours(
                    ReasonCode::OperationFailed,
                    format!("Android Management API reported a failure: {msg}"),
                )),
            }
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
        let reason = failed.reason.unwrap();
        assert_eq!(reason.code, "API_LEVEL");
        assert!(reason.sentence.contains("Android version"));
        assert_eq!(
            read(&json!({"done": true, "error": {"code": 1}}), k).map(|e| e.status),
            Some(ActionStatus::Cancelled)
        );
        let expired = read(&json!({"done": true, "error": {"code": 4}}), k).unwrap();
        assert_eq!(expired.reason.map(|r| r.code), Some("COMMAND_EXPIRED".to_owned()));
        assert_eq!(
            read(&json!({"done": true, "error": {"code": 4}}), k).map(|e| e.status),
            Some(ActionStatus::Expired)
        );
        assert_eq!(
            read(&json!({"done": true, "error": {"code": 13, "message": "m"}}), k).map(|e| e.status),
            Some(ActionStatus::Failed)
        );
    }

    /// The codes this MDM writes are the ones the protocol's OpenAPI file
    /// lists for `reason_code` (the harness rejects any other).
    #[test]
    fn every_reason_code_is_in_the_protocol() {
        let openapi = include_str!("../../../docs/driver-protocol.openapi.yaml");
        let schema = &openapi[openapi.find("    ReasonCode:").unwrap()..];
        let list = &schema[schema.find("enum: [").unwrap() + 7..];
        let listed: Vec<&str> = list[..list.find(']').unwrap()].split(',').map(str::trim).collect();
        let amapi = ["UNKNOWN", "API_LEVEL", "MANAGEMENT_MODE", "INVALID_VALUE", "UNSUPPORTED"];
        for code in ReasonCode::ALL.iter().map(|c| c.as_str()).chain(amapi) {
            assert!(listed.contains(&code), "{code} is not in the OpenAPI file's ReasonCode: {listed:?}");
        }
    }
}
