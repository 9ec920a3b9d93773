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
use crate::world::{device_name, DeviceHome, DeviceRecord, Enterprise, NotificationType, Outbox, World};
use android_sim::{CommandErrorCode, Passcode};
use serde_json::{json, Map, Value};
use std::sync::Arc;
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
    /// Its device's home, which holds the `userName` of the metadata.
    pub home: Arc<DeviceHome>,
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
        metadata.insert("userName".into(), Value::String(self.home.user_name.clone()));
        for (k, v) in &self.echo {
            metadata.insert(k.clone(), v.clone());
        }
        if let Outcome::Failed(code) = self.outcome {
            metadata.insert("errorCode".into(), Value::String(code.amapi_name().into()));
        }
        let mut op = json!({ "name": self.name(device_name) });
        if self.outcome != Outcome::Pending {
            // Our choice: a success carries no `response`, like the real
            // completed operations Fleet recorded.
            op["done"] = Value::Bool(true);
        }
        if let Some(Status { code, message }) = self.error_status() {
            op["error"] = json!({"code": code, "message": message});
        }
        op["metadata"] = Value::Object(metadata);
        op
    }
}

/// How an answer is wanted: as a JSON value (to trim with `fields`, to
/// publish), or already serialized (pretty or compact).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    Value,
    Json { pretty: bool },
}

impl Form {
    /// The form a request's answer takes: serialized at once unless a
    /// `fields` selection has to trim it first.
    pub(crate) fn of(q: &Query) -> Form {
        if q.fields.is_some() {
            Form::Value
        } else {
            Form::Json { pretty: q.pretty }
        }
    }
}

impl Operation {
    /// The Operation resource in the wanted form. The serialized form is
    /// written straight from the record, byte for byte what serializing
    /// [`Operation::render`] gives, without building the value.
    pub(crate) fn render_as(&self, enterprise: &str, device: &str, form: Form) -> wire::Answer {
        match form {
            Form::Value => wire::Answer::Value(self.render(&device_name(enterprise, device))),
            Form::Json { pretty } => {
                let view = View { op: self, enterprise, device };
                let mut out = Vec::with_capacity(512);
                // Serializing strings and `Value`s into a Vec cannot fail.
                let _ = if pretty {
                    serde_json::to_writer_pretty(&mut out, &view)
                } else {
                    serde_json::to_writer(&mut out, &view)
                };
                wire::Answer::Json(out)
            }
        }
    }
}

/// An operation as it serializes: the keys of [`Operation::render`]'s
/// value in the order a `serde_json::Map` keeps them (sorted).
struct View<'a> {
    op: &'a Operation,
    enterprise: &'a str,
    device: &'a str,
}

/// An `error` status: `{"code": N, "message": "..."}`.
struct Status {
    code: i32,
    message: String,
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("code", &self.code)?;
        m.serialize_entry("message", &self.message)?;
        m.end()
    }
}

/// A metadata value: a fixed field's text or an echoed request value.
enum Meta<'a> {
    Text(&'a str),
    Echo(&'a Value),
}

impl serde::Serialize for Meta<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Meta::Text(t) => s.serialize_str(t),
            Meta::Echo(v) => v.serialize(s),
        }
    }
}

struct Metadata<'a> {
    op: &'a Operation,
}

impl serde::Serialize for Metadata<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let op = self.op;
        let create_time = op.create_time.rfc3339();
        let duration = format_duration(op.duration);
        let error_code = match op.outcome {
            Outcome::Failed(code) => Some(code.amapi_name()),
            _ => None,
        };
        // The fixed fields, sorted. `render` inserts them, then the echo
        // (which replaces a fixed field of the same name), then errorCode
        // (which replaces an echoed one).
        let fixed: [(&str, Option<&str>, bool); 6] = [
            ("@type", Some(COMMAND_TYPE_URL), false),
            ("createTime", Some(&create_time), false),
            ("duration", Some(&duration), false),
            ("errorCode", error_code, true),
            ("type", Some(op.kind.amapi_name()), false),
            ("userName", Some(&op.home.user_name), false),
        ];
        let mut m = s.serialize_map(None)?;
        let mut echo = op.echo.iter().peekable();
        for (key, value, wins) in fixed {
            let Some(value) = value else { continue };
            while let Some((k, v)) = echo.next_if(|(k, _)| k.as_str() < key) {
                m.serialize_entry(k, &Meta::Echo(v))?;
            }
            match echo.next_if(|(k, _)| k.as_str() == key) {
                Some((k, v)) if !wins => m.serialize_entry(k, &Meta::Echo(v))?,
                _ => m.serialize_entry(key, &Meta::Text(value))?,
            }
        }
        for (k, v) in echo {
            m.serialize_entry(k, &Meta::Echo(v))?;
        }
        m.end()
    }
}

impl serde::Serialize for View<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let op = self.op;
        let error = op.error_status();
        let done = op.outcome != Outcome::Pending;
        let mut m = s.serialize_map(Some(2 + usize::from(done) + usize::from(error.is_some())))?;
        if done {
            m.serialize_entry("done", &true)?;
        }
        if let Some(error) = &error {
            m.serialize_entry("error", error)?;
        }
        m.serialize_entry("metadata", &Metadata { op })?;
        let (e, d) = (self.enterprise, self.device);
        m.serialize_entry("name", &format_args!("enterprises/{e}/devices/{d}/operations/{}", op.id))?;
        m.end()
    }
}

impl Operation {
    /// The `error` of a finished operation that did not succeed.
    fn error_status(&self) -> Option<Status> {
        match self.outcome {
            Outcome::Pending | Outcome::Succeeded => None,
            Outcome::Failed(code) => Some(failure_status(code)),
            Outcome::Cancelled => {
                Some(Status { code: Code::Cancelled.number(), message: "The operation was cancelled.".to_owned() })
            }
            // Our choice (AMAPI does not document expiry): DEADLINE_EXCEEDED
            // and no errorCode, since the device never answered.
            Outcome::Expired => Some(Status {
                code: Code::DeadlineExceeded.number(),
                message: format!(
                    "The command expired: the device did not execute it within {}.",
                    format_duration(self.duration)
                ),
            }),
        }
    }
}

/// The `error` of a failed command.
///
/// Our choice: AMAPI documents only `errorCode`; we also set `error`, whose
/// code follows the nature of the failure: INVALID_VALUE is
/// INVALID_ARGUMENT, UNKNOWN is UNKNOWN, and the device refusing the command
/// (API_LEVEL, MANAGEMENT_MODE, UNSUPPORTED) is FAILED_PRECONDITION.
fn failure_status(code: CommandErrorCode) -> Status {
    let rpc = match code {
        CommandErrorCode::InvalidValue => Code::InvalidArgument,
        CommandErrorCode::Unknown => Code::Unknown,
        CommandErrorCode::ApiLevel | CommandErrorCode::ManagementMode | CommandErrorCode::Unsupported => {
            Code::FailedPrecondition
        }
    };
    Status { code: rpc.number(), message: format!("The command failed on the device: {}.", code.amapi_name()) }
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

pub(crate) fn get(e: &Enterprise, device: &str, op: &str, form: Form) -> Result<wire::Answer, ApiError> {
    let (d, o) = find(e, device, op)?;
    Ok(o.render_as(&e.id, &d.id, form))
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
    if let Some(o) = d.operations.get_mut(&id) {
        o.outcome = outcome;
        o.new_password = None;
        outbox.push(enterprise, NotificationType::Command, || o.render(&device_name(enterprise, &d.id)));
        outbox.ended((o.deadline().as_unix_millis(), id));
        d.queue.retain(|q| *q != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![
            Just(Outcome::Pending),
            Just(Outcome::Succeeded),
            Just(Outcome::Cancelled),
            Just(Outcome::Expired),
            prop_oneof![
                Just(CommandErrorCode::Unknown),
                Just(CommandErrorCode::ApiLevel),
                Just(CommandErrorCode::ManagementMode),
                Just(CommandErrorCode::InvalidValue),
                Just(CommandErrorCode::Unsupported),
            ]
            .prop_map(Outcome::Failed),
        ]
    }

    fn kind() -> impl Strategy<Value = CommandType> {
        prop_oneof![
            Just(CommandType::Lock),
            Just(CommandType::Reboot),
            Just(CommandType::ResetPassword),
            Just(CommandType::Other("WIPE")),
        ]
    }

    /// Echoed keys, among them ones that sort before, between and after
    /// the fixed metadata fields and ones equal to them.
    fn echo() -> impl Strategy<Value = Map<String, Value>> {
        let key = prop_oneof![
            Just("resetPasswordFlags".to_owned()),
            Just("wipeParams".to_owned()),
            Just("clearAppsDataParams".to_owned()),
            Just("errorCode".to_owned()),
            Just("type".to_owned()),
            Just("duration".to_owned()),
            Just("@type".to_owned()),
            Just("a".to_owned()),
            Just("zz".to_owned()),
            "[a-zA-Z@\"\\\\é]{0,8}",
        ];
        let value = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            Just(serde_json::json!({})),
            Just(serde_json::json!([])),
            Just(serde_json::json!(["LOCK_NOW", {"a": [1, {"b": "c"}]}])),
        ];
        proptest::collection::btree_map(key, value, 0..6).prop_map(|m| m.into_iter().collect())
    }

    proptest! {
        #[test]
        fn serialized_straight_is_the_rendered_value_serialized(
            id in any::<i64>(),
            kind in kind(),
            created in -62_000_000_000_000i64..253_402_300_799_999,
            secs in 0u64..400_000_000,
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1000).prop_map(|n| n * 1_000_000)],
            user in ".{0,40}",
            echo in echo(),
            outcome in outcome(),
            enterprise in "[a-zA-Z0-9/\"é]{0,12}",
            device in "[a-z0-9/\"é]{0,30}",
            pretty in any::<bool>(),
        ) {
            let op = Operation {
                id,
                kind,
                create_time: Timestamp::from_unix_millis(created),
                duration: Duration::new(secs, nanos),
                home: Arc::new(DeviceHome { enterprise: "e".into(), device: "d".into(), user_name: user }),
                echo,
                new_password: None,
                outcome,
            };
            let straight = match op.render_as(&enterprise, &device, Form::Json { pretty }) {
                wire::Answer::Json(bytes) => bytes,
                wire::Answer::Value(_) => unreachable!("asked for JSON"),
            };
            let via_value = wire::to_json_bytes(&op.render(&device_name(&enterprise, &device)), pretty);
            prop_assert_eq!(String::from_utf8(straight).unwrap(), String::from_utf8(via_value).unwrap());
        }
    }
}
