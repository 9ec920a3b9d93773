//! `enterprises.migrationTokens` (create, get, list: tokens for moving a
//! device from the Play EMM API to AMAPI) and `provisioningInfo.get`.

use crate::clock::{parse_duration, Timestamp};
use crate::errors::ApiError;
use crate::wire::{self, Query};
use crate::world::{Enterprise, Now, World};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Seven days: the longest a migration token may live (discovery document).
const MAX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
const MODES: [&str; 3] = ["WORK_PROFILE_PERSONALLY_OWNED", "WORK_PROFILE_COMPANY_OWNED", "FULLY_MANAGED"];

/// Create: deviceId, userId, policy and managementMode are required; the
/// expiry is `expireTime` or now + `ttl`, at most seven days away.
///
/// Our choice: with neither `ttl` nor `expireTime` the token lives the
/// full seven days; the `device` field stays unset, as no Play EMM device
/// ever migrates in the mock.
pub(crate) fn create(
    world: &mut World,
    enterprise: &str,
    body: Map<String, Value>,
    now: Now,
) -> Result<Value, ApiError> {
    let e =
        world.enterprises.get(enterprise).ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    for key in ["deviceId", "userId", "policy", "managementMode"] {
        if body.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(ApiError::invalid_argument(key, format!("{key} is required.")));
        }
    }
    let mode = body.get("managementMode").and_then(Value::as_str).unwrap_or_default();
    if !MODES.contains(&mode) {
        return Err(ApiError::invalid_argument("managementMode", format!("managementMode {mode} cannot be migrated.")));
    }
    let policy = body.get("policy").and_then(Value::as_str).unwrap_or_default().to_owned();
    let policy_id = crate::enrollment::policy_id(enterprise, &policy).unwrap_or(&policy).to_owned();
    if !e.policies.contains_key(&policy_id) {
        return Err(ApiError::invalid_argument("policy", format!("Policy {policy} does not exist.")));
    }
    let expire = match (body.get("expireTime").and_then(Value::as_str), body.get("ttl").and_then(Value::as_str)) {
        (Some(_), Some(_)) => return Err(ApiError::invalid_argument("ttl", "Give ttl or expireTime, not both.")),
        (Some(t), None) => Timestamp::parse_rfc3339(t)
            .ok_or_else(|| ApiError::invalid_argument("expireTime", "expireTime is not an RFC 3339 time."))?,
        (None, Some(t)) => {
            now.at.plus(parse_duration(t).ok_or_else(|| ApiError::invalid_argument("ttl", "ttl is not a duration."))?)
        }
        (None, None) => now.at.plus(MAX_TTL),
    };
    if expire <= now.at || expire > now.at.plus(MAX_TTL) {
        return Err(ApiError::invalid_argument("expireTime", "A migration token expires within seven days from now."));
    }
    let id = world.new_hex_id();
    let value = world.rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32);
    let mut token = body;
    token.remove("ttl");
    token.remove("device");
    token.insert("policy".into(), Value::String(format!("enterprises/{enterprise}/policies/{policy_id}")));
    token.insert("name".into(), Value::String(format!("enterprises/{enterprise}/migrationTokens/{id}")));
    token.insert("value".into(), Value::String(value));
    token.insert("createTime".into(), Value::String(now.at.rfc3339()));
    token.insert("expireTime".into(), Value::String(expire.rfc3339()));
    let out = Value::Object(token.clone());
    if let Some(e) = world.enterprises.get_mut(enterprise) {
        e.migration_tokens.insert(id, token);
    }
    Ok(out)
}

pub(crate) fn get(e: &Enterprise, id: &str) -> Result<Value, ApiError> {
    e.migration_tokens
        .get(id)
        .map(|t| Value::Object(t.clone()))
        .ok_or_else(|| ApiError::not_found(format!("{}/migrationTokens/{id}", e.name())))
}

pub(crate) fn list(e: &Enterprise, q: &mut Query) -> Result<Value, ApiError> {
    let size = q.take_page_size(10, 100)?;
    let after = wire::page_start(q.take("pageToken"))?;
    let (page, next) = wire::paginate(e.migration_tokens.iter(), |(id, _)| (*id).clone(), after.as_deref(), size);
    let mut out = json!({});
    if !page.is_empty() {
        out["migrationTokens"] = page.iter().map(|(_, t)| Value::Object((*t).clone())).collect();
    }
    if let Some(next) = next {
        out["nextPageToken"] = Value::String(next);
    }
    Ok(out)
}

/// provisioningInfo.get.
///
/// Our choice: the provisioning id Android Device Policy would pass to a
/// sign-in page is the enrolled device's id, so `provisioningInfo/{deviceId}`
/// describes that device (the mock has no sign-in-URL enrollment in flight).
pub(crate) fn provisioning_info(world: &World, id: &str) -> Result<Value, ApiError> {
    let name = format!("provisioningInfo/{id}");
    let (e, d) = world
        .enterprises
        .values()
        .find_map(|e| e.devices.get(id).map(|d| (e, d)))
        .ok_or_else(|| ApiError::not_found(&name))?;
    let p = d.sim.profile();
    let ownership = d.sim.ownership();
    let mut out = json!({
        "name": name,
        "enterprise": e.name(),
        "apiLevel": p.api_level,
        "brand": p.brand,
        "model": p.model,
        "managementMode": ownership.management_mode().amapi_name(),
        "ownership": ownership.amapi_ownership().amapi_name(),
    });
    if ownership.amapi_ownership() == android_sim::AmapiOwnership::CompanyOwned {
        out["serialNumber"] = Value::String(d.serial.clone());
    }
    Ok(out)
}
