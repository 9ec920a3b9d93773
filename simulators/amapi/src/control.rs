//! The control surface, under `/_lockstep/v1/` (outside AMAPI's namespace,
//! as LocalStack and WireMock keep theirs): what the harness does to the
//! world rather than what an MDM asks of the API. Each route calls the
//! [`Mock`] method of the same purpose; answers and errors use Google's
//! JSON envelope too.
//!
//! | route | what |
//! |---|---|
//! | `GET state` | clock, enterprises, device counts, profiles |
//! | `GET clock`, `POST clock:advance {"by":"600s"}` | read / move the virtual clock |
//! | `POST enterprises {id, displayName, bearerToken, pubsubTopic, notificationTypes}` | create an enterprise with a chosen id |
//! | `POST devices:register {enrollmentToken, profile, ownership, passcode, workPasscode, deviceId, online}` | enroll a simulated device |
//! | `GET enterprises/E/devices/D` | the simulated side of a device |
//! | `POST enterprises/E/devices/D:setOnline {"online":false}` | connectivity |
//! | `POST enterprises/E/devices/D:enterPasscode {"passcode":"…","holder":"device"}` | a person unlocks (holder `device` or `work-profile`) |
//! | `POST enterprises/E/devices/D:reboot`, `:pressPower` | a person restarts it / presses power |
//! | `GET/PUT/DELETE faults` | the fault plan ([`crate::FaultPlan`] as JSON) |
//! | `POST faults:add {Fault}` | add one scoped fault to the plan in force; answers its `id` |
//! | `GET faults:report` | `{"faults": [{id, fired, exhausted, activeUntil?}]}` per fault |
//! | `GET/DELETE journal?method=&route=&pathPrefix=&enterprise=&status=&afterSeq=&limit=` | the request journal |
//! | `GET/POST pubsub/subscriptions`, `DELETE pubsub/subscriptions?name=` | push subscriptions |
//! | `GET/DELETE pubsub/messages` | published notifications and their delivery attempts |
//! | `GET pubsub/jwks` | the public keys that sign authenticated pushes (a JWKS) |
//! | `GET profiles` | device profile names |
//! | `POST signupUrls/ID:complete {enterpriseType?}` | the admin signs up: `{signupUrlName, enterpriseToken, callbackUrl}`, callback followed |

use crate::clock::parse_duration;
use crate::errors::{ApiError, Code};
use crate::journal::JournalFilter;
use crate::wire::Query;
use crate::{EnterpriseSetup, Fault, FaultPlan, Mock, PushSubscription, Registration};
use android_sim::{CredentialHolder, Ownership, Passcode};
use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

const PREFIX: &str = "/_lockstep/v1/";

/// Answer one control request: (HTTP status, JSON body).
pub(crate) fn handle(mock: &Mock, method: &Method, path: &str, query: Option<&str>, body: &Bytes) -> (u16, Value) {
    match route(mock, method, path, query, body) {
        Ok(v) => (200, v),
        Err(e) => (e.status, e.to_body()),
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    serde_json::from_slice(body).map_err(|e| {
        // serde quotes the offending value; a body holding a passcode gets
        // only the position.
        let message = if crate::journal::mentions_secret(body) {
            format!("Invalid control request at line {} column {}.", e.line(), e.column())
        } else {
            format!("Invalid control request: {e}.")
        };
        ApiError::invalid_argument("body", message)
    })
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Advance {
    by: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewEnterprise {
    id: String,
    display_name: Option<String>,
    bearer_token: Option<String>,
    pubsub_topic: Option<String>,
    #[serde(default)]
    notification_types: Vec<String>,
}

/// No Debug: it holds passcodes.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Register {
    enrollment_token: String,
    profile: String,
    ownership: Ownership,
    passcode: Option<String>,
    work_passcode: Option<String>,
    device_id: Option<String>,
    online: Option<bool>,
    serial_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompleteSignup {
    enterprise_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetOnline {
    online: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EnterPasscode {
    passcode: String,
    holder: Option<String>,
}

fn journal_filter(query: Option<&str>) -> Result<JournalFilter, ApiError> {
    let mut q = Query::parse(query)?;
    let number = |name: &str, v: Option<String>| -> Result<Option<u64>, ApiError> {
        v.map(|s| s.parse::<u64>().map_err(|_| ApiError::invalid_argument(name, format!("{name} must be a number"))))
            .transpose()
    };
    let filter = JournalFilter {
        method: q.take("method"),
        route: q.take("route"),
        path_prefix: q.take("pathPrefix"),
        enterprise: q.take("enterprise"),
        status: number("status", q.take("status"))?.and_then(|s| u16::try_from(s).ok()),
        after_seq: number("afterSeq", q.take("afterSeq"))?,
        limit: number("limit", q.take("limit"))?.and_then(|l| usize::try_from(l).ok()),
    };
    q.check_known(&[])?;
    Ok(filter)
}

fn route(mock: &Mock, method: &Method, path: &str, query: Option<&str>, body: &Bytes) -> Result<Value, ApiError> {
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Err(ApiError::new(Code::NotFound, format!("No control route {path}; control routes start {PREFIX}.")));
    };
    let m = method.as_str();
    match (m, rest) {
        ("GET", "state") => {
            let world = mock.world();
            let enterprises: Vec<Value> = world
                .enterprises
                .values()
                .map(|e| json!({"name": e.name(), "devices": e.devices.len(), "bearerToken": e.bearer_token.is_some()}))
                .collect();
            let profiles: Vec<&String> = world.profiles.keys().collect();
            Ok(json!({"now": mock.now().rfc3339(), "virtualClock": mock.clock().is_virtual(),
                      "enterprises": enterprises, "profiles": profiles}))
        }
        ("GET", "clock") => Ok(json!({"now": mock.now().rfc3339(), "virtual": mock.clock().is_virtual()})),
        ("POST", "clock:advance") => {
            let a: Advance = parse(body)?;
            let by = parse_duration(&a.by).ok_or_else(|| {
                ApiError::invalid_argument("by", format!("\"{}\" is not a duration like \"600s\".", a.by))
            })?;
            let now = mock.advance_clock(by).map_err(|e| ApiError::failed_precondition(e.to_string()))?;
            Ok(json!({"now": now.rfc3339()}))
        }
        ("GET", "profiles") => Ok(json!({"profiles": mock.profile_names()})),
        ("POST", "enterprises") => {
            let n: NewEnterprise = parse(body)?;
            let name = mock.create_enterprise(EnterpriseSetup {
                id: n.id,
                display_name: n.display_name,
                bearer_token: n.bearer_token,
                pubsub_topic: n.pubsub_topic,
                notification_types: n.notification_types,
            })?;
            Ok(json!({"name": name}))
        }
        ("POST", "devices:register") => {
            let r: Register = parse(body)?;
            let registration = Registration {
                enrollment_token: r.enrollment_token,
                profile: r.profile,
                ownership: r.ownership,
                passcode: r.passcode.map(Passcode::new),
                work_passcode: r.work_passcode.map(Passcode::new),
                device_id: r.device_id,
                online: r.online.unwrap_or(true),
                serial: r.serial_number,
            };
            let name = mock.register_device(&registration)?;
            Ok(json!({"name": name, "device": to_value(&mock.device_view(&name)?)}))
        }
        ("GET", "faults") => Ok(to_value(&mock.fault_plan())),
        ("PUT", "faults") => {
            let plan: FaultPlan = parse(body)?;
            mock.set_fault_plan(plan.clone()).map_err(|e| ApiError::invalid_argument(&e.field, e.to_string()))?;
            Ok(to_value(&plan))
        }
        ("POST", "faults:add") => {
            let fault: Fault = parse(body)?;
            let id = mock.add_fault(fault).map_err(|e| ApiError::invalid_argument(&e.field, e.to_string()))?;
            Ok(json!({"id": id}))
        }
        ("GET", "faults:report") => Ok(json!({"faults": to_value(&mock.fault_report())})),
        ("DELETE", "faults") => {
            mock.clear_faults();
            Ok(json!({}))
        }
        ("GET", "journal") => Ok(json!({"entries": to_value(&mock.journal(&journal_filter(query)?))})),
        ("DELETE", "journal") => {
            mock.reset_journal();
            Ok(json!({}))
        }
        ("GET", "pubsub/subscriptions") => Ok(json!({"subscriptions": to_value(&mock.subscriptions())})),
        ("POST", "pubsub/subscriptions") => {
            let s: PushSubscription = parse(body)?;
            mock.subscribe(s.clone())?;
            Ok(to_value(&s))
        }
        ("DELETE", "pubsub/subscriptions") => {
            let mut q = Query::parse(query)?;
            let name = q.take("name").ok_or_else(|| ApiError::invalid_argument("name", "name is required"))?;
            if mock.unsubscribe(&name) {
                Ok(json!({}))
            } else {
                Err(ApiError::not_found(name))
            }
        }
        ("GET", "pubsub/jwks") => Ok(to_value(&mock.push_jwks())),
        ("GET", "pubsub/messages") => Ok(json!({"messages": to_value(&mock.published_messages())})),
        ("DELETE", "pubsub/messages") => {
            mock.clear_published_messages();
            Ok(json!({}))
        }
        _ if m == "POST" && rest.starts_with("signupUrls/") && rest.ends_with(":complete") => {
            let id = rest.trim_start_matches("signupUrls/").trim_end_matches(":complete");
            let c: CompleteSignup = parse(body)?;
            mock.complete_signup(id, c.enterprise_type.as_deref())
        }
        _ => device_route(mock, m, rest, body),
    }
}

/// `enterprises/E/devices/D[:verb]`.
fn device_route(mock: &Mock, method: &str, rest: &str, body: &Bytes) -> Result<Value, ApiError> {
    let not_found = || ApiError::new(Code::NotFound, format!("No control route {method} {PREFIX}{rest}."));
    let (resource, verb) = match rest.split_once(':') {
        Some((r, v)) => (r, Some(v)),
        None => (rest, None),
    };
    let parts: Vec<&str> = resource.split('/').collect();
    if !matches!(parts.as_slice(), ["enterprises", e, "devices", d] if !e.is_empty() && !d.is_empty()) {
        return Err(not_found());
    }
    let name = resource;
    match (method, verb) {
        ("GET", None) => {}
        ("POST", Some("setOnline")) => {
            let s: SetOnline = parse(body)?;
            mock.set_online(name, s.online)?;
        }
        ("POST", Some("enterPasscode")) => {
            let p: EnterPasscode = parse(body)?;
            let holder = match p.holder.as_deref() {
                None | Some("device") => CredentialHolder::DeviceUser,
                Some("work-profile") => CredentialHolder::WorkProfile,
                Some(other) => {
                    return Err(ApiError::invalid_argument(
                        "holder",
                        format!("holder is device or work-profile, not {other}"),
                    ))
                }
            };
            let passcode = Passcode::new(p.passcode);
            let entry = mock.with_device(name, |d, now| d.enter_passcode(holder, &passcode, now))?;
            return Ok(json!({"entry": format!("{entry:?}"), "device": to_value(&mock.device_view(name)?)}));
        }
        ("POST", Some("reboot")) => mock.with_device(name, |d, _| d.reboot())?,
        ("POST", Some("pressPower")) => mock.with_device(name, |d, _| d.press_power())?,
        _ => return Err(not_found()),
    }
    Ok(to_value(&mock.device_view(name)?))
}
