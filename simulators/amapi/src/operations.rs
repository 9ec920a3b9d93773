//! `enterprises.devices.operations`: the long-running Operation that
//! `issueCommand` returns, how it looks at each stage of its life, and the
//! get, list and cancel methods.
//!
//! Life of an operation: pending (no `done`), then exactly one of
//! succeeded (`done: true`), failed (`done`, `metadata.errorCode`, `error`),
//! cancelled (`done`, `error.code` 1) or expired (`done`, `error.code` 4).

use crate::clock::{format_duration, Timestamp};
use crate::commands::CommandType;
use crate::errors::{ApiError, Code};
use crate::wire::{self, Query};
use crate::world::{device_name, DeviceRecord, Enterprise, NotificationType, Outbox, World};
use android_sim::{CommandErrorCode, Passcode};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// The `@type` of an operation's metadata.
pub(crate) const COMMAND_TYPE_URL: &str = "type.googleapis.com/google.android.devicemanagement.v1.Command";

/// How an operation ended, or that it has not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pending,
    Succeeded,
    Failed(CommandErrorCode),
    Cancelled,
    Expired,
}

/// One command and its operation.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    pub id: i64,
    pub kind: CommandType,
    pub create_time: Timestamp,
    pub duration: Duration,
    pub user_name: String,
    /// What the request carried besides type and duration (flags, *Params),
    /// echoed in the metadata.
    pub echo: Map<String, Value>,
    /// RESET_PASSWORD's newPassword, held only until the operation ends.
    ///
    /// Our choice: it is never echoed in `metadata` (AMAPI does not say
    /// whether it is), never journaled and dropped once the command ends.
    pub new_password: Option<Passcode>,
    pub outcome: Outcome,
}

impl Operation {
    pub(crate) fn is_pending(&self) -> bool {
        self.outcome == Outcome::Pending
    }

    pub(crate) fn deadline(&self) -> Timestamp {
        self.create_time.plus(self.duration)
    }

    pub(crate) fn name(&self, device_name: &str) -> String {
        format!("{device_name}/operations/{}", self.id)
    }

    /// The Operation resource.
    pub(crate) fn render(&self, device_name: &str) -> Value {
        let mut metadata = Map::new();
        metadata.insert("@type".into(), Value::String(COMMAND_TYPE_URL.into()));
        metadata.insert("type".into(), Value::String(self.kind.amapi_name().into()));
        metadata.insert("createTime".into(), Value::String(self.create_time.rfc3339()));
        metadata.insert("duration".into(), Value::String(format_duration(self.duration)));
        metadata.insert("userName".into(), Value::String(self.user_name.clone()));
        for (k, v) in &self.echo {
            metadata.insert(k.clone(), v.clone());
        }
        let mut op = json!({ "name": self.name(device_name) });
        match self.outcome {
            Outcome::Pending => {}
            // Our choice: a success carries no `response`, like the real
            // completed operations Fleet recorded.
            Outcome::Succeeded => op["done"] = Value::Bool(true),
            Outcome::Failed(code) => {
                metadata.insert("errorCode".into(), Value::String(code.amapi_name().into()));
                op["done"] = Value::Bool(true);
                op["error"] = failure_status(code);
            }
            Outcome::Cancelled => {
                op["done"] = Value::Bool(true);
                op["error"] = json!({"code": Code::Cancelled.number(), "message": "The operation was cancelled."});
            }
            // Our choice (AMAPI does not document expiry): DEADLINE_EXCEEDED
            // and no errorCode, since the device never answered.
            Outcome::Expired => {
                op["done"] = Value::Bool(true);
                op["error"] = json!({
                    "code": Code::DeadlineExceeded.number(),
                    "message": format!("The command expired: the device did not execute it within {}.", format_duration(self.duration)),
                });
            }
        }
        op["metadata"] = Value::Object(metadata);
        op
    }
}

/// The `error` of a failed command.
///
/// Our choice: AMAPI documents only `errorCode`; we also set `error`, whose
/// code follows the nature of the failure: INVALID_VALUE is
/// INVALID_ARGUMENT, UNKNOWN is UNKNOWN, and the device refusing the command
/// (API_LEVEL, MANAGEMENT_MODE, UNSUPPORTED) is FAILED_PRECONDITION.
fn failure_status(code: CommandErrorCode) -> Value {
    let rpc = match code {
        CommandErrorCode::InvalidValue => Code::InvalidArgument,
        CommandErrorCode::Unknown => Code::Unknown,
        CommandErrorCode::ApiLevel | CommandErrorCode::ManagementMode | CommandErrorCode::Unsupported => {
            Code::FailedPrecondition
        }
    };
    json!({"code": rpc.number(), "message": format!("The command failed on the device: {}.", code.amapi_name())})
}

fn find<'a>(e: &'a Enterprise, device: &str, op: &str) -> Result<(&'a DeviceRecord, &'a Operation), ApiError> {
    let d = e.devices.get(device).ok_or_else(|| ApiError::not_found(e.device_name(device)))?;
    let id: i64 = op.parse().map_err(|_| ApiError::not_found(format!("{}/operations/{op}", e.device_name(device))))?;
    let o = d
        .operations
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("{}/operations/{op}", e.device_name(device))))?;
    Ok((d, o))
}

pub(crate) fn get(e: &Enterprise, device: &str, op: &str) -> Result<Value, ApiError> {
    let (d, o) = find(e, device, op)?;
    Ok(o.render(&e.device_name(&d.id)))
}

/// Our choice: list is implemented (AMAPI may answer UNIMPLEMENTED), in
/// issue order, 10 per page by default and at most 100; finished operations
/// stay listed for as long as the device exists. `filter` is not supported.
pub(crate) fn list(e: &Enterprise, device: &str, q: &mut Query) -> Result<Value, ApiError> {
    if q.take("filter").is_some_and(|f| !f.trim().is_empty()) {
        return Err(ApiError::invalid_argument("filter", "The mock does not support operation filters."));
    }
    if q.take_bool("returnPartialSuccess")? == Some(true) {
        return Err(ApiError::new(Code::Unimplemented, "returnPartialSuccess is not supported for this method."));
    }
    let size = q.take_page_size(10, 100)?;
    let after = wire::page_start(q.take("pageToken"))?;
    let d = e.devices.get(device).ok_or_else(|| ApiError::not_found(e.device_name(device)))?;
    let name = e.device_name(device);
    let (page, next) = wire::paginate(d.operations.values(), |o| format!("{:020}", o.id), after.as_deref(), size);
    let mut out = json!({});
    if !page.is_empty() {
        out["operations"] = page.iter().map(|o| o.render(&name)).collect();
    }
    if let Some(next) = next {
        out["nextPageToken"] = Value::String(next);
    }
    Ok(out)
}

/// Cancel a pending operation: done, `error.code` 1, no errorCode, removed
/// from the device's queue.
///
/// Our choice: cancelling a finished operation answers `{}` and changes
/// nothing (google.longrunning cancel is best effort).
pub(crate) fn cancel(world: &mut World, enterprise: &str, device: &str, op: &str) -> Result<Value, ApiError> {
    let World { enterprises, outbox, .. } = world;
    let e = enterprises.get_mut(enterprise).ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    let id = find(e, device, op)?.1.id;
    if let Some(d) = e.devices.get_mut(device) {
        if d.operations.get(&id).is_some_and(Operation::is_pending) {
            finish(enterprise, d, id, Outcome::Cancelled, outbox);
        }
    }
    Ok(json!({}))
}

/// Record how an operation ended and queue its COMMAND notification.
pub(crate) fn finish(enterprise: &str, d: &mut DeviceRecord, id: i64, outcome: Outcome, outbox: &mut Outbox) {
    let name = device_name(enterprise, &d.id);
    if let Some(o) = d.operations.get_mut(&id) {
        o.outcome = outcome;
        o.new_password = None;
        outbox.push(enterprise, NotificationType::Command, || o.render(&name));
        outbox.ended((o.deadline().as_unix_millis(), id));
        d.queue.retain(|q| *q != id);
    }
}
