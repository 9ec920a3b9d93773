//! The self-service portal (Intune Company Portal website, INT-1..INT-6):
//! an end user sees their own devices, resets a passcode after signing in
//! again within the re-authentication window and confirming the warning,
//! reads the temporary passcode in the device details, and gets
//! notifications.

use super::console::device_json;
use super::error::{ApiError, ApiResult};
use super::{Body, Caller};
use crate::config::Defect;
use crate::mdm::Mdm;
use crate::store::{ActionKind, Channel, DeviceRow, NewAction};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

const WARNING: &str = "Resetting removes the current passcode of this device and replaces it with a temporary one. \
    Anyone holding the device can then use it until a new passcode is set. Reset only if you have the device with \
    you. Send `confirm: true` to go ahead.";

fn portal_on(mdm: &Mdm) -> ApiResult<()> {
    if mdm.vendor.portal.enabled {
        Ok(())
    } else {
        Err(ApiError::not_offered("This product has no self-service portal."))
    }
}

fn own_device(mdm: &Mdm, caller: &Caller, id: &str) -> ApiResult<DeviceRow> {
    let d = mdm.store.device(id)?.ok_or_else(|| ApiError::not_found("device"))?;
    // Someone else's device is "not found", not "forbidden": the portal
    // does not confirm that a device exists.
    if d.user_email.as_deref().map(str::to_lowercase) != Some(caller.account.email.to_lowercase()) {
        return Err(ApiError::not_found("device"));
    }
    Ok(d)
}

fn portal_device_json(mdm: &Mdm, d: &DeviceRow) -> Value {
    let mut v = device_json(d);
    let refusal = mdm.refusal(d);
    v["can_reset_passcode"] = json!(refusal.is_none());
    if let Some(r) = refusal {
        v["reset_unavailable_reason"] = json!(r.message);
        v["reset_unavailable_code"] = json!(r.code);
    }
    v
}

pub(super) async fn devices(State(mdm): State<Arc<Mdm>>, caller: Caller) -> ApiResult<Json<Value>> {
    portal_on(&mdm)?;
    let list = mdm.store.devices(Some(&caller.account.email))?;
    Ok(Json(Value::Array(list.iter().map(|d| portal_device_json(&mdm, d)).collect())))
}

/// Device details, with the temporary passcode while the user has not yet
/// set their own (INT-5).
pub(super) async fn device(
    State(mdm): State<Arc<Mdm>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    portal_on(&mdm)?;
    let d = own_device(&mdm, &caller, &id)?;
    let mut v = portal_device_json(&mdm, &d);
    let waiting = mdm.store.awaiting_user_change(&d.id)?;
    let temporary = match waiting.last() {
        Some(a) => mdm.store.passcode_of(&a.id)?,
        None => None,
    };
    v["temporary_passcode"] = json!(temporary);
    let last_reset = mdm.store.actions(Some(&d.id), None)?.into_iter().rev().find(|a| {
        a.kind == ActionKind::ResetPasscode && (a.channel == "portal" || mdm.has(Defect::PortalShowsConsoleResets))
    });
    v["last_reset"] = match last_reset {
        Some(a) => json!({"action_id": a.id, "status": a.status, "reason": a.reason, "reason_code": a.reason_code,
            "created_at": a.created_at}),
        None => Value::Null,
    };
    Ok(Json(v))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct PortalReset {
    confirm: bool,
}

pub(super) async fn reset_passcode(
    State(mdm): State<Arc<Mdm>>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<PortalReset>,
) -> ApiResult<impl IntoResponse> {
    portal_on(&mdm)?;
    let d = own_device(&mdm, &caller, &id)?;
    if let Some(refusal) = mdm.refusal(&d) {
        return Err(refusal);
    }
    // INT-3: the sign-in must be recent, measured on the MDM's clock.
    let window = i64::from(mdm.vendor.portal.reauthentication_window_seconds);
    let age = (mdm.now() - caller.session.signed_in_at).num_seconds();
    if age > window && !mdm.has(Defect::NoReauthCheck) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "REAUTHENTICATION_REQUIRED",
            format!(
                "To confirm it is you, sign out and sign in again, then reset the passcode within {} minutes of \
                 signing in.",
                window / 60
            ),
        ));
    }
    // INT-4: the warning, and the user's confirmation.
    if !req.confirm {
        return Err(ApiError::new(StatusCode::CONFLICT, "CONFIRMATION_REQUIRED", WARNING));
    }
    let plan = mdm.plan_reset(&d, &crate::reset::ResetRequest::default())?;
    let new = NewAction {
        kind: ActionKind::ResetPasscode,
        device_id: &d.id,
        requested_by: &caller.account.email,
        channel: Channel::Portal,
        send_to_user: false,
        lock_now: plan.lock_now,
        batch_id: None,
    };
    let action = mdm.store.insert_action(&new, plan.passcode.as_ref().map(|p| p.expose()), mdm.now())?;
    crate::spawn_dispatch(&mdm, &d.id);
    Ok((StatusCode::ACCEPTED, Json(json!({"action_id": action.id, "status": action.status}))))
}

pub(super) async fn notifications(State(mdm): State<Arc<Mdm>>, caller: Caller) -> ApiResult<Json<Value>> {
    portal_on(&mdm)?;
    let list = mdm.store.notifications(&caller.account.email)?;
    Ok(Json(serde_json::to_value(list).map_err(ApiError::internal)?))
}
