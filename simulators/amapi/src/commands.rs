//! `enterprises.devices.issueCommand` and the delivery of commands to the
//! device's agent: reading the Command body, creating its operation,
//! handing it to android-sim's [`Agent`] when the device can run it,
//! keeping it queued when it cannot (offline, or waiting for the boot
//! password), and expiring it when its `duration` passes on the clock.

use crate::clock::{parse_duration, Timestamp};
use crate::errors::ApiError;
use crate::operations::{Form, Operation, Outcome};
use crate::wire::Answer;
use crate::world::{device_name, DeviceRecord, Now, OperationRef, Outbox, World};
use android_sim::{Agent, AgentCommand, BootState, CommandErrorCode, CommandOutcome, Passcode, ResetFlags};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// Ten minutes, AMAPI's documented default `duration`.
pub(crate) const DEFAULT_DURATION: Duration = Duration::from_secs(600);

/// Our choice: a finished operation stays readable (get, list) for 24
/// hours of the mock's clock after its deadline (createTime + duration),
/// then it is forgotten (404). AMAPI does not document how long it keeps
/// operations.
pub(crate) const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Our choice: a device keeps at most this many operations; issuing one
/// more forgets its oldest finished one.
pub(crate) const MAX_OPERATIONS_PER_DEVICE: usize = 1000;

/// AMAPI `CommandType` (less COMMAND_TYPE_UNSPECIFIED, which is refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CommandType {
    Lock,
    ResetPassword,
    Reboot,
    /// A type the simulated agent does not carry out.
    ///
    /// Our choice: accepted at issue time (AMAPI accepts commands a device
    /// cannot run and reports later, amapi.md §3.2) and failed on delivery
    /// with errorCode UNSUPPORTED.
    Other(&'static str),
}

const OTHER_TYPES: [&str; 8] = [
    "RELINQUISH_OWNERSHIP",
    "CLEAR_APP_DATA",
    "START_LOST_MODE",
    "STOP_LOST_MODE",
    "ADD_ESIM",
    "REMOVE_ESIM",
    "REQUEST_DEVICE_INFO",
    "WIPE",
];

/// `*Params` fields and the type each one implies.
const PARAMS: [(&str, &str); 7] = [
    ("clearAppsDataParams", "CLEAR_APP_DATA"),
    ("startLostModeParams", "START_LOST_MODE"),
    ("stopLostModeParams", "STOP_LOST_MODE"),
    ("addEsimParams", "ADD_ESIM"),
    ("removeEsimParams", "REMOVE_ESIM"),
    ("requestDeviceInfoParams", "REQUEST_DEVICE_INFO"),
    ("wipeParams", "WIPE"),
];

impl CommandType {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "LOCK" => Some(CommandType::Lock),
            "RESET_PASSWORD" => Some(CommandType::ResetPassword),
            "REBOOT" => Some(CommandType::Reboot),
            other => OTHER_TYPES.iter().find(|t| **t == other).map(|t| CommandType::Other(t)),
        }
    }

    pub(crate) fn amapi_name(self) -> &'static str {
        match self {
            CommandType::Lock => "LOCK",
            CommandType::ResetPassword => "RESET_PASSWORD",
            CommandType::Reboot => "REBOOT",
            CommandType::Other(name) => name,
        }
    }
}

/// A Command body, read and checked (the schema check already ran).
#[derive(Debug)]
struct Request {
    kind: CommandType,
    duration: Duration,
    echo: Map<String, Value>,
    new_password: Option<Passcode>,
}

fn read(mut body: Map<String, Value>) -> Result<Request, ApiError> {
    let explicit = body.remove("type").and_then(|t| t.as_str().map(str::to_owned));
    let implied: Vec<&str> = PARAMS.iter().filter(|(p, _)| body.contains_key(*p)).map(|(_, t)| *t).collect();
    if implied.len() > 1 {
        return Err(ApiError::invalid_argument("type", "A command can carry the parameters of one command type only."));
    }
    let name = match (explicit.as_deref(), implied.first()) {
        (None | Some("COMMAND_TYPE_UNSPECIFIED"), None) => {
            return Err(ApiError::invalid_argument("type", "The command type must be specified."))
        }
        (None | Some("COMMAND_TYPE_UNSPECIFIED"), Some(t)) => (*t).to_owned(),
        (Some(t), Some(p)) if t != *p => {
            return Err(ApiError::invalid_argument(
                "type",
                format!("Command type {t} does not match the {p} parameters."),
            ))
        }
        (Some(t), _) => t.to_owned(),
    };
    let kind = CommandType::from_name(&name)
        .ok_or_else(|| ApiError::invalid_argument("type", format!("Invalid value at 'type', \"{name}\"")))?;
    let duration = match body.remove("duration") {
        None => DEFAULT_DURATION,
        Some(v) => v.as_str().and_then(parse_duration).ok_or_else(|| {
            ApiError::invalid_argument("duration", "Invalid value at 'duration' (google.protobuf.Duration)")
        })?,
    };
    // Our choice: newPassword on a command other than RESET_PASSWORD is
    // ignored (and never kept).
    let new_password = body
        .remove("newPassword")
        .and_then(|v| v.as_str().map(Passcode::new))
        .filter(|_| kind == CommandType::ResetPassword);
    // Output-only and server-set fields in a request are ignored.
    for key in [
        "createTime",
        "userName",
        "errorCode",
        "clearAppsDataStatus",
        "startLostModeStatus",
        "stopLostModeStatus",
        "esimStatus",
        "requestDeviceInfoStatus",
    ] {
        body.remove(key);
    }
    if kind != CommandType::ResetPassword {
        body.remove("resetPasswordFlags");
    }
    Ok(Request { kind, duration, echo: body, new_password })
}

/// The ResetFlags a `resetPasswordFlags` list asks for.
fn reset_flags(echo: &Map<String, Value>) -> ResetFlags {
    let mut flags = ResetFlags::default();
    for f in echo.get("resetPasswordFlags").and_then(Value::as_array).into_iter().flatten() {
        match f.as_str() {
            Some("REQUIRE_ENTRY") => flags.require_entry = true,
            Some("DO_NOT_ASK_CREDENTIALS_ON_BOOT") => flags.do_not_ask_credentials_on_boot = true,
            Some("LOCK_NOW") => flags.lock_now = true,
            _ => {}
        }
    }
    flags
}

/// An operation id: the command's createTime in epoch milliseconds, as
/// AMAPI's are.
///
/// Our choice: when two commands are created in the same millisecond (a
/// virtual clock makes that common), the later one takes the next unused
/// millisecond, so ids stay unique and in issue order; createTime itself is
/// not changed.
fn next_operation_id(last_operation_id: &mut i64, at: Timestamp) -> i64 {
    let id = at.as_unix_millis().max(*last_operation_id + 1);
    *last_operation_id = id;
    id
}

/// issueCommand: create the operation, try to deliver it at once, and
/// answer with the operation as it was created. Our choice: a DISABLED
/// device still receives commands (AMAPI does not say otherwise).
///
/// Our choice: the answer is the operation before delivery (no `done`),
/// as a real device acknowledges only later; a `get` right after shows the
/// outcome of an online device.
pub(crate) fn issue(
    world: &mut World,
    enterprise: &str,
    device: &str,
    body: Map<String, Value>,
    now: Now,
    form: Form,
) -> Result<Answer, ApiError> {
    let World { enterprises, deadlines, retirements, outbox, last_operation_id, .. } = world;
    let Some(d) = enterprises.get_mut(enterprise).and_then(|e| e.devices.get_mut(device)) else {
        return Err(ApiError::not_found(device_name(enterprise, device)));
    };
    let request = read(body)?;
    let id = next_operation_id(last_operation_id, now.at);
    if d.operations.len() >= MAX_OPERATIONS_PER_DEVICE {
        if let Some(oldest) = d.operations.values().find(|o| !o.is_pending()).map(|o| o.id) {
            d.operations.remove(&oldest);
        }
    }
    let home = d.home(enterprise);
    let op = Operation {
        id,
        kind: request.kind,
        create_time: now.at,
        duration: request.duration,
        home: Arc::clone(&home),
        echo: request.echo,
        new_password: request.new_password,
        outcome: Outcome::Pending,
    };
    let answer = op.render_as(enterprise, device, form);
    let deadline = op.deadline();
    retirements.insert(
        (deadline.plus(RETENTION).as_unix_millis(), id),
        OperationRef { home: Arc::clone(&home), operation: id },
    );
    d.operations.insert(id, op);
    d.queue.push_back(id);
    deliver(enterprise, d, now, outbox);
    // Only a command still pending needs its deadline watched (one the
    // device ran at once would leave the index again right away).
    if d.operations.get(&id).is_some_and(Operation::is_pending) {
        deadlines.insert((deadline.as_unix_millis(), id), OperationRef { home, operation: id });
    }
    Ok(answer)
}

/// Hand the device's queued commands to its agent, in order, until one has
/// to wait.
pub(crate) fn deliver(enterprise: &str, d: &mut DeviceRecord, now: Now, outbox: &mut Outbox) {
    while let Some(&id) = d.queue.front() {
        let Some(op) = d.operations.get(&id).filter(|o| o.is_pending()) else {
            d.queue.pop_front();
            continue;
        };
        let command = match op.kind {
            CommandType::Lock => Some(AgentCommand::Lock),
            CommandType::Reboot => Some(AgentCommand::Reboot),
            CommandType::ResetPassword => Some(AgentCommand::ResetPassword {
                new_password: op.new_password.clone(),
                flags: reset_flags(&op.echo),
            }),
            CommandType::Other(_) => None,
        };
        let outcome = match command {
            Some(c) => Agent::on(&mut d.sim).apply(&c, now.sim),
            None if d.sim.is_online() && d.sim.boot_state() == BootState::Running => {
                CommandOutcome::Failed { code: CommandErrorCode::Unsupported, refusal: None }
            }
            None => CommandOutcome::Waiting(android_sim::Waiting::Offline),
        };
        let kind = op.kind;
        match outcome {
            CommandOutcome::Waiting(_) => break,
            CommandOutcome::Done => {
                crate::operations::finish(enterprise, d, id, Outcome::Succeeded, outbox);
                if kind == CommandType::ResetPassword {
                    // The device's security settings changed: it reports.
                    crate::devices::report_status(enterprise, d, now, outbox);
                }
            }
            CommandOutcome::Failed { code, .. } => {
                crate::operations::finish(enterprise, d, id, Outcome::Failed(code), outbox);
            }
        }
    }
}

/// Expire every pending command whose deadline has passed, and forget the
/// operations whose retention is over.
pub(crate) fn expire_due(world: &mut World, now: Now) {
    let World { enterprises, deadlines, retirements, outbox, .. } = world;
    while let Some(entry) = deadlines.first_entry() {
        if entry.key().0 > now.at.as_unix_millis() {
            break;
        }
        let r = entry.remove();
        let Some(d) = enterprises.get_mut(&r.home.enterprise).and_then(|e| e.devices.get_mut(&r.home.device)) else {
            continue;
        };
        if d.operations.get(&r.operation).is_some_and(Operation::is_pending) {
            crate::operations::finish(&r.home.enterprise, d, r.operation, Outcome::Expired, outbox);
        }
    }
    while let Some(entry) = retirements.first_entry() {
        if entry.key().0 > now.at.as_unix_millis() {
            break;
        }
        let r = entry.remove();
        if let Some(d) = enterprises.get_mut(&r.home.enterprise).and_then(|e| e.devices.get_mut(&r.home.device)) {
            if d.operations.get(&r.operation).is_some_and(|o| !o.is_pending()) {
                d.operations.remove(&r.operation);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn types_are_explicit_or_implied_by_params() {
        assert_eq!(read(body(json!({"type":"LOCK"}))).unwrap().kind, CommandType::Lock);
        let r = read(body(json!({"wipeParams":{}}))).unwrap();
        assert_eq!(r.kind, CommandType::Other("WIPE"));
        assert!(read(body(json!({}))).is_err());
        assert!(read(body(json!({"type":"COMMAND_TYPE_UNSPECIFIED"}))).is_err());
        assert!(read(body(json!({"type":"LOCK","wipeParams":{}}))).is_err());
    }

    #[test]
    fn password_and_flags_are_read_but_never_echoed() {
        let r = read(body(json!({"type":"RESET_PASSWORD","newPassword":"135790","resetPasswordFlags":["LOCK_NOW"],
                                  "duration":"30s"})))
        .unwrap();
        assert_eq!(r.duration, Duration::from_secs(30));
        assert_eq!(r.new_password.as_ref().map(Passcode::expose), Some("135790"));
        assert!(!r.echo.contains_key("newPassword"));
        assert!(reset_flags(&r.echo).lock_now);
        let lock = read(body(json!({"type":"LOCK","newPassword":"135790"}))).unwrap();
        assert!(lock.new_password.is_none());
        assert_eq!(read(body(json!({"type":"LOCK"}))).unwrap().duration, DEFAULT_DURATION);
    }
}
