//! `enterprises.enrollmentTokens` (create, get, list, delete) and
//! enrollment itself: a simulated device presents a token's value and
//! becomes a Device resource, with its management mode and ownership from
//! the token and the requested ownership mode, and its facts from its
//! device profile. An ENROLLMENT notification follows.

use crate::clock::{format_duration, parse_duration};
use crate::errors::{ApiError, Code};
use crate::wire::{self, Query};
use crate::world::{DeviceRecord, DeviceState, EnrollmentToken, Enterprise, NotificationType, Now, World};
use android_sim::{Agent, CredentialHolder, Device, Ownership, Passcode};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Documented default token lifetime: one hour.
const DEFAULT_TOKEN_DURATION: Duration = Duration::from_secs(3600);
/// Documented minimum: one minute.
const MIN_TOKEN_DURATION: Duration = Duration::from_secs(60);

const ALPHABET_UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALPHABET_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DIGITS: &[u8] = b"0123456789";

fn token_name(enterprise: &str, id: &str) -> String {
    format!("enterprises/{enterprise}/enrollmentTokens/{id}")
}

/// The QR code payload a real token carries (Android's provisioning extras).
fn qr_code(value: &str) -> String {
    json!({
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":
            "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM": "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg",
        "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":
            "https://play.google.com/managed/downloadManagingApp?identifier=setup",
        "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {
            "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": value
        }
    })
    .to_string()
}

fn render(enterprise: &str, t: &EnrollmentToken, full: bool) -> Value {
    let mut v = json!({
        "name": token_name(enterprise, &t.id),
        "value": t.value,
        "expirationTimestamp": t.expiration.rfc3339(),
        "qrCode": qr_code(&t.value),
    });
    if let Some(a) = &t.allow_personal_usage {
        v["allowPersonalUsage"] = Value::String(a.clone());
    }
    if full {
        v["policyName"] = Value::String(format!("enterprises/{enterprise}/policies/{}", t.policy_id));
        v["duration"] = Value::String(format_duration(t.duration));
        if t.one_time_only {
            v["oneTimeOnly"] = Value::Bool(true);
        }
        if let Some(d) = &t.additional_data {
            v["additionalData"] = Value::String(d.clone());
        }
        for (k, x) in &t.other {
            v[k] = x.clone();
        }
    }
    v
}

/// A policy reference as clients write it: a full name in this enterprise,
/// or a bare id. `None` when it names another enterprise or is malformed.
pub(crate) fn policy_id<'a>(enterprise: &str, given: &'a str) -> Option<&'a str> {
    let id = match given.strip_prefix("enterprises/") {
        Some(rest) => rest.strip_prefix(enterprise)?.strip_prefix("/policies/")?,
        None => given,
    };
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Create a token. Our choice: the policy it names is not checked here but
/// when a device enrolls with it.
pub(crate) fn create(
    world: &mut World,
    enterprise: &str,
    mut body: Map<String, Value>,
    now: Now,
) -> Result<Value, ApiError> {
    if !world.enterprises.contains_key(enterprise) {
        return Err(ApiError::not_found(format!("enterprises/{enterprise}")));
    }
    let duration = match body.remove("duration") {
        None => DEFAULT_TOKEN_DURATION,
        Some(v) => v.as_str().and_then(parse_duration).ok_or_else(|| {
            ApiError::invalid_argument(
                "duration",
                "Invalid value at 'enrollment_token.duration' (google.protobuf.Duration)",
            )
        })?,
    };
    if duration < MIN_TOKEN_DURATION {
        return Err(ApiError::invalid_argument("duration", "The token duration must be at least one minute."));
    }
    let given_policy = body.remove("policyName").and_then(|v| v.as_str().map(str::to_owned));
    let policy = match given_policy.as_deref() {
        None | Some("") => "default".to_owned(),
        Some(p) => policy_id(enterprise, p)
            .ok_or_else(|| ApiError::invalid_argument("policyName", format!("Invalid policy name \"{p}\".")))?
            .to_owned(),
    };
    let additional_data = body.remove("additionalData").and_then(|v| v.as_str().map(str::to_owned));
    if additional_data.as_ref().is_some_and(|d| d.chars().count() > 1024) {
        return Err(ApiError::invalid_argument("additionalData", "additionalData must be at most 1024 characters."));
    }
    for output_only in ["name", "value", "qrCode", "expirationTimestamp"] {
        body.remove(output_only);
    }
    let allow_personal_usage = body.remove("allowPersonalUsage").and_then(|v| v.as_str().map(str::to_owned));
    let one_time_only = body.remove("oneTimeOnly").and_then(|v| v.as_bool()).unwrap_or(false);
    let id = world.rng.string(ALPHABET_ALNUM, 20).to_lowercase();
    let value = world.rng.string(ALPHABET_UPPER, 20);
    let token = EnrollmentToken {
        id: id.clone(),
        value,
        policy_id: policy,
        duration,
        expiration: now.at.plus(duration),
        allow_personal_usage,
        one_time_only,
        additional_data,
        other: body,
        internal: false,
    };
    let rendered = render(enterprise, &token, true);
    if let Some(e) = world.enterprises.get_mut(enterprise) {
        e.tokens.insert(id, token);
    }
    Ok(rendered)
}

/// Our choice: an expired token can still be read until it is deleted.
pub(crate) fn get(e: &Enterprise, id: &str) -> Result<Value, ApiError> {
    e.tokens
        .get(id)
        .filter(|t| !t.internal)
        .map(|t| render(&e.id, t, true))
        .ok_or_else(|| ApiError::not_found(token_name(&e.id, id)))
}

/// Documented: active, unexpired tokens only, in a partial view (name,
/// expirationTimestamp, allowPersonalUsage, value, qrCode).
pub(crate) fn list(e: &Enterprise, q: &mut Query, now: Now) -> Result<Value, ApiError> {
    let size = q.take_page_size(10, 100)?;
    let after = wire::page_start(q.take("pageToken"))?;
    let live = e.tokens.values().filter(|t| !t.internal && t.expiration > now.at);
    let (page, next) = wire::paginate(live, |t| t.id.clone(), after.as_deref(), size);
    let mut out = json!({});
    if !page.is_empty() {
        out["enrollmentTokens"] = page.iter().map(|t| render(&e.id, t, false)).collect();
    }
    if let Some(next) = next {
        out["nextPageToken"] = Value::String(next);
    }
    Ok(out)
}

pub(crate) fn delete(e: &mut Enterprise, id: &str) -> Result<Value, ApiError> {
    match e.tokens.get(id) {
        Some(t) if !t.internal => {
            e.tokens.remove(id);
            Ok(json!({}))
        }
        _ => Err(ApiError::not_found(token_name(&e.id, id))),
    }
}

/// A simulated device asking to enroll.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The enrollment token's `value` (what a QR code carries).
    pub enrollment_token: String,
    /// A device profile name (file stem in fixtures/devices).
    pub profile: String,
    pub ownership: Ownership,
    /// The device user's screen lock, if the device has one.
    pub passcode: Option<Passcode>,
    /// A separate work-profile challenge, for work-profile devices.
    pub work_passcode: Option<Passcode>,
    /// The device id to use; generated when absent.
    pub device_id: Option<String>,
    /// Whether the device is online once enrolled (default true).
    pub online: bool,
    /// The hardware serial number; generated when absent. A device that
    /// enrolls again with the serial of a deleted one is the same phone:
    /// it lists the old names in `previousDeviceNames`.
    pub serial: Option<String>,
}

impl Registration {
    pub fn new(enrollment_token: impl Into<String>, profile: impl Into<String>, ownership: Ownership) -> Self {
        Registration {
            enrollment_token: enrollment_token.into(),
            profile: profile.into(),
            ownership,
            passcode: None,
            work_passcode: None,
            device_id: None,
            online: true,
            serial: None,
        }
    }

    pub fn passcode(mut self, passcode: &str) -> Self {
        self.passcode = Some(Passcode::new(passcode));
        self
    }
}

/// Which ownership modes a token's allowPersonalUsage admits.
///
/// Our choice (AMAPI describes the intent, not a table): DISALLOWED and
/// DISALLOWED_USERLESS make company devices without a work profile (fully
/// managed, dedicated); ALLOWED makes work-profile devices, personally or
/// company owned; unspecified admits every mode. A legacy device admin is
/// admitted by any token, so tests can see AMAPI commands fail on it.
fn admits(allow_personal_usage: Option<&str>, ownership: Ownership) -> bool {
    use Ownership as O;
    match (allow_personal_usage, ownership) {
        (_, O::LegacyDeviceAdmin) => true,
        (Some("PERSONAL_USAGE_DISALLOWED" | "PERSONAL_USAGE_DISALLOWED_USERLESS"), o) => {
            matches!(o, O::FullyManaged | O::Dedicated)
        }
        (Some("PERSONAL_USAGE_ALLOWED"), o) => matches!(o, O::WorkProfilePersonal | O::WorkProfileCompanyOwned),
        _ => true,
    }
}

fn valid_device_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Enroll a simulated device. Returns the new device's name.
pub(crate) fn register(world: &mut World, r: &Registration, now: Now) -> Result<String, ApiError> {
    let found = world
        .enterprises
        .values()
        .find_map(|e| e.tokens.values().find(|t| t.value == r.enrollment_token).map(|t| (e.id.clone(), t.clone())));
    let Some((enterprise, token)) = found else {
        return Err(ApiError::new(Code::NotFound, "No enrollment token has this value."));
    };
    if token.expiration <= now.at {
        return Err(ApiError::failed_precondition(format!(
            "Enrollment token {} expired at {}.",
            token_name(&enterprise, &token.id),
            token.expiration
        )));
    }
    let profile = world.profiles.get(&r.profile).cloned().ok_or_else(|| {
        let known: Vec<&str> = world.profiles.keys().map(String::as_str).collect();
        ApiError::invalid_argument(
            "profile",
            format!("Unknown device profile `{}`; known: {}.", r.profile, known.join(", ")),
        )
    })?;
    if !admits(token.allow_personal_usage.as_deref(), r.ownership) {
        return Err(ApiError::failed_precondition(format!(
            "A {} device cannot enroll with a token whose allowPersonalUsage is {}.",
            r.ownership,
            token.allow_personal_usage.as_deref().unwrap_or("unspecified")
        )));
    }
    let Some(e) = world.enterprises.get(&enterprise) else {
        return Err(ApiError::not_found(format!("enterprises/{enterprise}")));
    };
    if !e.policies.contains_key(&token.policy_id) {
        return Err(ApiError::failed_precondition(format!(
            "The token's policy {} does not exist; create it with policies.patch first.",
            e.policy_name(&token.policy_id)
        )));
    }
    if let Some(id) = &r.device_id {
        if !valid_device_id(id) {
            return Err(ApiError::invalid_argument("deviceId", "A device id is 1 to 64 letters, digits, '-' or '_'."));
        }
        if e.tombstones.contains(id) {
            return Err(ApiError::failed_precondition(format!(
                "Device {} was deleted; a deleted device cannot enroll again under its name.",
                e.device_name(id)
            )));
        }
        if e.devices.contains_key(id) {
            return Err(ApiError::new(Code::AlreadyExists, format!("Device {} already exists.", e.device_name(id))));
        }
    }
    let salt = world.rng.next_u64();
    let mut sim = Device::new(profile, r.ownership, salt)
        .map_err(|err| ApiError::invalid_argument("ownership", err.to_string()))?;
    set_up(&mut sim, r, now)?;
    let device_id = match &r.device_id {
        Some(id) => id.clone(),
        None => loop {
            let id = world.new_hex_id();
            let taken = world
                .enterprises
                .get(&enterprise)
                .is_some_and(|e| e.devices.contains_key(&id) || e.tombstones.contains(&id));
            if !taken {
                break id;
            }
        },
    };
    let user_id = format!("1{}", world.rng.string(DIGITS, 20));
    let serial = match &r.serial {
        Some(s) if !s.is_empty() && s.len() <= 64 => s.clone(),
        Some(_) => return Err(ApiError::invalid_argument("serialNumber", "A serial number is 1 to 64 characters.")),
        None => world.rng.string(ALPHABET_ALNUM, 12),
    };
    let previous_names =
        world.enterprises.get(&enterprise).and_then(|e| e.retired_names.get(&serial)).cloned().unwrap_or_default();
    let record = DeviceRecord {
        id: device_id.clone(),
        sim,
        policy_id: token.policy_id.clone(),
        applied_policy: None,
        applied_password_policies: Vec::new(),
        state: DeviceState::Active,
        applied_state: DeviceState::Active,
        disabled_reason: None,
        enrollment_time: now.at,
        last_status_report_time: now.at,
        last_policy_sync_time: now.at,
        token_name: (!token.internal).then(|| token_name(&enterprise, &token.id)),
        token_data: token.additional_data.clone(),
        user_id,
        serial,
        previous_names,
        operations: BTreeMap::new(),
        queue: VecDeque::new(),
        home: None,
    };
    let Some(e) = world.enterprises.get_mut(&enterprise) else {
        return Err(ApiError::not_found(format!("enterprises/{enterprise}")));
    };
    // Our choice: a one-time token is used up (and gone) after one enrollment.
    if token.one_time_only {
        e.tokens.remove(&token.id);
    }
    let name = e.device_name(&device_id);
    e.devices.insert(device_id.clone(), record);
    // The device applies its policy straight away if it is online.
    crate::devices::device_event(world, &enterprise, &device_id, now, crate::devices::Report::Never);
    if let Some(d) = world.enterprises.get(&enterprise).and_then(|e| e.devices.get(&device_id)) {
        world.outbox.push(&enterprise, NotificationType::Enrollment, || crate::devices::render(&enterprise, d, None));
    }
    Ok(name)
}

/// Provision the agent and set the screen locks, in the order they happen
/// in life.
///
/// Our choice: a personally owned device had its screen lock before the
/// work profile arrived, so its reset token starts pending until the
/// user's next unlock (PLAT-2); company devices are provisioned from
/// factory reset, so the agent is there before any passcode and its token
/// is active at once.
fn set_up(sim: &mut Device, r: &Registration, now: Now) -> Result<(), ApiError> {
    let set = |sim: &mut Device, holder: CredentialHolder, p: &Passcode, field: &str| {
        sim.set_passcode_in_settings(holder, None, Some(p), now.sim).map_err(|refusal| {
            ApiError::invalid_argument(field, format!("The device refused this passcode: {refusal:?}."))
        })
    };
    let personal_first = r.ownership == Ownership::WorkProfilePersonal;
    if personal_first {
        if let Some(p) = &r.passcode {
            set(sim, CredentialHolder::DeviceUser, p, "passcode")?;
        }
    }
    Agent::on(sim).provision();
    if !personal_first {
        if let Some(p) = &r.passcode {
            set(sim, CredentialHolder::DeviceUser, p, "passcode")?;
        }
    }
    if let Some(p) = &r.work_passcode {
        if !sim.has_work_profile() {
            return Err(ApiError::invalid_argument("workPasscode", "Only a work-profile device has a work challenge."));
        }
        set(sim, CredentialHolder::WorkProfile, p, "workPasscode")?;
    }
    if !r.online {
        sim.set_online(false);
    }
    Ok(())
}

/// A token the fleet loader creates for its own enrollments; it is hidden
/// from the API and removed once the fleet is enrolled.
pub(crate) fn internal_token(world: &mut World, enterprise: &str, policy: &str, now: Now) -> Option<String> {
    let id = format!("fleet-{}", world.rng.string(ALPHABET_ALNUM, 12).to_lowercase());
    let value = world.rng.string(ALPHABET_UPPER, 24);
    let token = EnrollmentToken {
        id: id.clone(),
        value: value.clone(),
        policy_id: policy.to_owned(),
        duration: DEFAULT_TOKEN_DURATION,
        expiration: now.at.plus(DEFAULT_TOKEN_DURATION),
        allow_personal_usage: None,
        one_time_only: false,
        additional_data: None,
        other: Map::new(),
        internal: true,
    };
    world.enterprises.get_mut(enterprise)?.tokens.insert(id, token);
    Some(value)
}

/// Remove the fleet loader's tokens.
pub(crate) fn drop_internal_tokens(world: &mut World) {
    for e in world.enterprises.values_mut() {
        e.tokens.retain(|_, t| !t.internal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_usage_decides_the_modes() {
        assert!(admits(Some("PERSONAL_USAGE_ALLOWED"), Ownership::WorkProfilePersonal));
        assert!(!admits(Some("PERSONAL_USAGE_ALLOWED"), Ownership::FullyManaged));
        assert!(admits(Some("PERSONAL_USAGE_DISALLOWED"), Ownership::Dedicated));
        assert!(!admits(Some("PERSONAL_USAGE_DISALLOWED_USERLESS"), Ownership::WorkProfileCompanyOwned));
        assert!(admits(None, Ownership::WorkProfileCompanyOwned));
        assert!(admits(Some("PERSONAL_USAGE_DISALLOWED"), Ownership::LegacyDeviceAdmin));
    }

    #[test]
    fn policy_references() {
        assert_eq!(policy_id("E1", "enterprises/E1/policies/p"), Some("p"));
        assert_eq!(policy_id("E1", "p"), Some("p"));
        assert_eq!(policy_id("E1", "enterprises/E2/policies/p"), None);
        assert_eq!(policy_id("E1", "a/b"), None);
    }
}
