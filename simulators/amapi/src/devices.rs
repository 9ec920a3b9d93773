//! `enterprises.devices` get, list, patch and delete; how a Device resource
//! is drawn from its simulated device and profile; and the device side of
//! the protocol: syncing its policy and state when it is reachable, and
//! sending status reports.

use crate::errors::ApiError;
use crate::policies::{self, Policy};
use crate::wire::{self, Query};
use crate::world::{device_name, DeviceRecord, DeviceState, Enterprise, NotificationType, Now, Outbox, World};
use android_sim::{AmapiOwnership, BootState, CredentialHolder, Encryption, PasswordQuality};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Our choice: the version the simulated Android Device Policy app reports.
const DPC_VERSION_CODE: i64 = 19_360;
const DPC_VERSION_NAME: &str = "124.10.4";

/// The Device resource.
///
/// Our choice: softwareInfo, hardwareInfo and deviceSettings are always
/// reported, whatever the policy's statusReportingSettings say; the
/// harness always wants to see them.
pub(crate) fn render(enterprise: &str, d: &DeviceRecord, state_override: Option<&str>) -> Value {
    let p = d.sim.profile();
    let ownership = d.sim.ownership();
    let mut hardware = json!({
        "brand": p.brand,
        "manufacturer": p.manufacturer,
        "model": p.model,
        "hardware": p.name,
        "serialNumber": d.serial,
    });
    if ownership.amapi_ownership() == AmapiOwnership::PersonallyOwned {
        // Personally owned: the serial is replaced by the enterprise-specific id.
        hardware["enterpriseSpecificId"] = Value::String(d.serial.clone());
    }
    let mut v = json!({
        "name": device_name(enterprise, &d.id),
        "userName": format!("enterprises/{enterprise}/users/{}", d.user_id),
        "managementMode": ownership.management_mode().amapi_name(),
        "ownership": ownership.amapi_ownership().amapi_name(),
        "state": state_override.unwrap_or(d.state.amapi_name()),
        "appliedState": state_override.unwrap_or(d.applied_state.amapi_name()),
        "apiLevel": p.api_level,
        "softwareInfo": {
            "androidVersion": p.android_version,
            "androidBuildNumber": p.build_id,
            "securityPatchLevel": p.security_patch,
            "androidDevicePolicyVersionCode": DPC_VERSION_CODE,
            "androidDevicePolicyVersionName": DPC_VERSION_NAME,
            "primaryLanguageCode": "en-US",
        },
        "hardwareInfo": hardware,
        "policyName": format!("enterprises/{enterprise}/policies/{}", d.policy_id),
        "enrollmentTime": d.enrollment_time.rfc3339(),
        "lastStatusReportTime": d.last_status_report_time.rfc3339(),
        "deviceSettings": {
            "isDeviceSecure": d.sim.has_credential(CredentialHolder::DeviceUser),
            "isEncrypted": true,
            "encryptionStatus": match p.encryption {
                Encryption::FileBased => "ACTIVE_PER_USER",
                Encryption::FullDisk => "ACTIVE",
            },
        },
    });
    if let Some((policy, version)) = &d.applied_policy {
        v["appliedPolicyName"] = Value::String(format!("enterprises/{enterprise}/policies/{policy}"));
        v["appliedPolicyVersion"] = Value::String(version.to_string());
        v["lastPolicySyncTime"] = Value::String(d.last_policy_sync_time.rfc3339());
    }
    if !d.applied_password_policies.is_empty() {
        v["appliedPasswordPolicies"] = Value::Array(d.applied_password_policies.clone());
    }
    let issues = non_compliance(d);
    v["policyCompliant"] = Value::Bool(issues.is_empty());
    if !issues.is_empty() {
        v["nonComplianceDetails"] = Value::Array(issues);
    }
    if let Some(t) = &d.token_name {
        v["enrollmentTokenName"] = Value::String(t.clone());
    }
    if let Some(t) = &d.token_data {
        v["enrollmentTokenData"] = Value::String(t.clone());
    }
    if let Some(r) = &d.disabled_reason {
        v["disabledReason"] = r.clone();
    }
    if !d.previous_names.is_empty() {
        v["previousDeviceNames"] = d.previous_names.iter().cloned().map(Value::String).collect();
    }
    v
}

/// Our choice: the only compliance the mock judges is the password policy,
/// and only by whether a required passcode exists (the device keeps hashes,
/// so the mock cannot re-check an existing passcode's quality).
fn non_compliance(d: &DeviceRecord) -> Vec<Value> {
    let mut holders = vec![(CredentialHolder::DeviceUser, "SCOPE_DEVICE")];
    if d.sim.has_work_profile() {
        holders.push((CredentialHolder::WorkProfile, "SCOPE_PROFILE"));
    }
    holders
        .into_iter()
        .filter(|(h, _)| {
            d.sim.policy_for(*h).is_some_and(|p| p.quality != PasswordQuality::PasswordQualityUnspecified)
                && !d.sim.has_credential(*h)
        })
        .map(|(_, scope)| {
            json!({
                "settingName": "passwordPolicies",
                "nonComplianceReason": "USER_ACTION",
                "specificNonComplianceReason": "PASSWORD_POLICIES_PASSWORD_NOT_SUFFICIENT",
                "specificNonComplianceContext": {"passwordPoliciesContext": {"passwordPolicyScope": scope}},
            })
        })
        .collect()
}

/// Whether the device can talk to the server now: online, and (with
/// full-disk encryption) past the boot password.
fn reachable(d: &DeviceRecord) -> bool {
    d.sim.is_online() && d.sim.boot_state() == BootState::Running
}

/// Bring the device's policy and state up to date if it is reachable.
/// Returns whether anything changed.
fn sync(policies: &BTreeMap<String, Policy>, d: &mut DeviceRecord, now: Now) -> bool {
    if !reachable(d) {
        return false;
    }
    let mut changed = false;
    let current = policies.get(&d.policy_id).map(|p| (p.id.clone(), p.version));
    if current.is_some() && current != d.applied_policy {
        if let Some(p) = policies.get(&d.policy_id) {
            d.sim.assign_password_policies(p.password_policies());
            d.applied_password_policies = p.password_requirements();
        }
        d.applied_policy = current;
        d.last_policy_sync_time = now.at;
        changed = true;
    }
    if d.applied_state != d.state {
        d.applied_state = d.state;
        changed = true;
    }
    changed
}

/// The device sends a status report (a STATUS_REPORT notification).
pub(crate) fn report_status(enterprise: &str, d: &mut DeviceRecord, now: Now, outbox: &mut Outbox) {
    d.last_status_report_time = now.at;
    outbox.push(enterprise, NotificationType::StatusReport, || render(enterprise, d, None));
}

/// When a device event sends a status report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Report {
    /// When the device applied a new policy or state.
    IfChanged,
    /// Always (the device came online).
    Always,
    /// Never (enrollment: the ENROLLMENT notification says it all).
    Never,
}

/// Something changed on or for the device (it came online, a user acted on
/// it, its policy changed): sync if it can, report if anything changed,
/// and deliver its queued commands.
///
/// Our choice: a device reports status when it comes online, when it
/// applies a new policy or state, and after a passcode reset.
pub(crate) fn device_event(world: &mut World, enterprise: &str, device: &str, now: Now, report: Report) {
    let World { enterprises, outbox, .. } = world;
    let Some(e) = enterprises.get_mut(enterprise) else { return };
    let Enterprise { policies, devices, .. } = e;
    let Some(d) = devices.get_mut(device) else { return };
    let changed = sync(policies, d, now);
    let send = match report {
        Report::IfChanged => changed,
        Report::Always => true,
        Report::Never => false,
    };
    if send && reachable(d) {
        report_status(enterprise, d, now, outbox);
    }
    crate::commands::deliver(enterprise, d, now, outbox);
}

/// Every device using `policy` learns of its new version.
pub(crate) fn policy_changed(world: &mut World, enterprise: &str, policy: &str, now: Now) {
    let users: Vec<String> = world
        .enterprises
        .get(enterprise)
        .map(|e| e.devices.values().filter(|d| d.policy_id == policy).map(|d| d.id.clone()).collect())
        .unwrap_or_default();
    for device in users {
        device_event(world, enterprise, &device, now, Report::IfChanged);
    }
}

pub(crate) fn get(e: &Enterprise, device: &str) -> Result<Value, ApiError> {
    e.devices.get(device).map(|d| render(&e.id, d, None)).ok_or_else(|| ApiError::not_found(e.device_name(device)))
}

/// Documented: 10 per page by default, at most 100 (larger sizes coerced).
pub(crate) fn list(e: &Enterprise, q: &mut Query) -> Result<Value, ApiError> {
    let size = q.take_page_size(10, 100)?;
    let after = wire::page_start(q.take("pageToken"))?;
    let (page, next) = wire::paginate(e.devices.values(), |d| d.id.clone(), after.as_deref(), size);
    let mut out = json!({});
    if !page.is_empty() {
        out["devices"] = page.iter().map(|d| render(&e.id, d, None)).collect();
    }
    if let Some(next) = next {
        out["nextPageToken"] = Value::String(next);
    }
    Ok(out)
}

/// The fields a patch may change (documented).
const MODIFIABLE: [&str; 3] = ["state", "policyName", "disabledReason"];

/// Change `state` (ACTIVE or DISABLED), `policyName` (a bare policy id is
/// accepted) or `disabledReason`.
///
/// Our choices: without an updateMask, a modifiable field missing from the
/// body is left as it is; a policyName naming a policy that does not exist
/// is refused with 400; other fields in the body are ignored like any
/// output-only field.
pub(crate) fn patch(
    world: &mut World,
    enterprise: &str,
    device: &str,
    body: Map<String, Value>,
    mask: Option<String>,
    now: Now,
) -> Result<Value, ApiError> {
    let e =
        world.enterprises.get(enterprise).ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    if !e.devices.contains_key(device) {
        return Err(ApiError::not_found(e.device_name(device)));
    }
    let fields: Vec<String> = match mask.filter(|m| !m.trim().is_empty()) {
        Some(mask) => mask.split(',').map(|p| policies::camel_path(p.trim())).collect(),
        None => MODIFIABLE.iter().filter(|f| body.contains_key(**f)).map(|f| (*f).to_owned()).collect(),
    };
    let mut state = None;
    let mut policy = None;
    let mut reason = None;
    for field in &fields {
        match field.as_str() {
            "state" => {
                state = Some(match body.get("state").and_then(Value::as_str) {
                    Some("ACTIVE") => DeviceState::Active,
                    Some("DISABLED") => DeviceState::Disabled,
                    other => {
                        return Err(ApiError::invalid_argument(
                            "state",
                            format!("state can only be set to ACTIVE or DISABLED, not {}.", other.unwrap_or("unset")),
                        ))
                    }
                })
            }
            "policyName" => {
                let given = body.get("policyName").and_then(Value::as_str).unwrap_or("");
                let id = given.strip_prefix(&format!("enterprises/{enterprise}/policies/")).unwrap_or(given);
                if id.is_empty() || id.contains('/') || !e.policies.contains_key(id) {
                    return Err(ApiError::invalid_argument(
                        "policyName",
                        format!("Policy \"{given}\" does not exist in enterprises/{enterprise}."),
                    ));
                }
                policy = Some(id.to_owned());
            }
            "disabledReason" => reason = Some(body.get("disabledReason").cloned()),
            other => {
                return Err(ApiError::invalid_argument(
                    "update_mask",
                    format!(
                        "Field `{other}` of a device cannot be updated; only state, policyName and disabledReason can."
                    ),
                ))
            }
        }
    }
    if let Some(d) = world.enterprises.get_mut(enterprise).and_then(|e| e.devices.get_mut(device)) {
        if let Some(s) = state {
            d.state = s;
        }
        if let Some(p) = policy {
            d.policy_id = p;
        }
        if let Some(r) = reason {
            d.disabled_reason = r;
        }
    }
    device_event(world, enterprise, device, now, Report::IfChanged);
    let e =
        world.enterprises.get(enterprise).ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    get(e, device)
}

const WIPE_FLAGS: [&str; 4] =
    ["WIPE_DATA_FLAG_UNSPECIFIED", "PRESERVE_RESET_PROTECTION_DATA", "WIPE_EXTERNAL_STORAGE", "WIPE_ESIMS"];

/// Delete: the device leaves the API for good (404 afterwards, its name
/// can never enroll again), its pending operations go with it, and a
/// final STATUS_REPORT with state DELETED is published.
pub(crate) fn delete(world: &mut World, enterprise: &str, device: &str, q: &mut Query) -> Result<Value, ApiError> {
    for flag in q.take_all("wipeDataFlags") {
        if !WIPE_FLAGS.contains(&flag.as_str()) {
            return Err(ApiError::invalid_argument(
                "wipeDataFlags",
                format!("Invalid value at 'wipe_data_flags' (type.googleapis.com/google.android.devicemanagement.v1.WipeDataFlag), \"{flag}\""),
            ));
        }
    }
    if q.take("wipeReasonMessage").is_some_and(|m| m.chars().count() > 200) {
        return Err(ApiError::invalid_argument(
            "wipeReasonMessage",
            "wipeReasonMessage must be at most 200 characters.",
        ));
    }
    let World { enterprises, outbox, .. } = world;
    let e = enterprises.get_mut(enterprise).ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    let d = e.devices.remove(device).ok_or_else(|| ApiError::not_found(device_name(enterprise, device)))?;
    e.tombstones.insert(d.id.clone());
    e.retired_names.entry(d.serial.clone()).or_default().push(device_name(enterprise, &d.id));
    outbox.push(enterprise, NotificationType::StatusReport, || render(enterprise, &d, Some("DELETED")));
    Ok(json!({}))
}
