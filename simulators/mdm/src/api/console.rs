//! The administrators' side of the driver protocol: about, test set-up
//! (accounts, clock), sessions, enrollment, devices and the device page,
//! reset passcode and lock, multi-device tasks, the action log.

use super::error::{ApiError, ApiResult};
use super::paging::{self, PageQuery};
use super::{Body, Caller};
use crate::actions::device_label;
use crate::config::Defect;
use crate::mdm::Mdm;
use crate::reset::{policy_to_amapi, requirement_json, PasswordPolicyInput, ResetRequest};
use crate::store::{ts, Account, Action, ActionKind, ActionStatus, Channel, DeviceRow, Enrollment, NewAction, Role};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

type St = State<Arc<Mdm>>;

pub(super) async fn about(State(mdm): St) -> Json<Value> {
    let v = &mdm.vendor;
    let mut about = json!({
        "vendor": v.vendor.name,
        "product": v.vendor.product,
        "capabilities": v.capabilities(),
        "passcode": {
            "alphabet": v.passcode.alphabet.as_str(),
            "length": v.passcode.length,
            "source": match v.passcode.new_passcode {
                crate::vendor::NewPasscode::Generated => "generated",
                crate::vendor::NewPasscode::Optional => "optional",
            },
        },
        "virtual_clock": mdm.clock.is_virtual(),
        "requirements": v.vendor.requirements,
        "defects": mdm.defects.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "enterprise": mdm.enterprise,
        "session_lifetime_seconds": mdm.session_lifetime.as_secs(),
    });
    if v.portal.enabled {
        about["reauthentication_window_seconds"] = json!(v.portal.reauthentication_window_seconds);
    }
    Json(about)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewAccount {
    email: String,
    name: String,
    role: String,
    #[serde(default)]
    password: Option<String>,
}

/// Test set-up: no session needed (the stack is a test stack).
pub(super) async fn create_account(State(mdm): St, Body(a): Body<NewAccount>) -> ApiResult<impl IntoResponse> {
    let role = Role::from_name(&a.role)
        .ok_or_else(|| ApiError::invalid("`role` must be one of: site-admin, admin, helpdesk, end-user."))?;
    if !a.email.contains('@') {
        return Err(ApiError::invalid("`email` must be an e-mail address."));
    }
    let account = Account { email: a.email, name: a.name, role };
    mdm.store.upsert_account(&account, a.password.as_deref())?;
    Ok((StatusCode::CREATED, Json(json!({"email": account.email, "name": account.name, "role": role}))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Advance {
    seconds: i64,
}

pub(super) async fn advance_clock(State(mdm): St, Body(a): Body<Advance>) -> ApiResult<Json<Value>> {
    if a.seconds < 0 {
        return Err(ApiError::invalid("`seconds` must not be negative: time only moves forward."));
    }
    if !mdm.clock.advance(chrono::Duration::seconds(a.seconds)) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "CLOCK_NOT_VIRTUAL",
            "This MDM runs on wall time; its clock cannot be advanced.",
        ));
    }
    Ok(Json(json!({"now": ts(mdm.now())})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignIn {
    email: String,
    #[serde(default)]
    password: Option<String>,
}

pub(super) async fn sign_in(State(mdm): St, Body(s): Body<SignIn>) -> ApiResult<impl IntoResponse> {
    let refused = || {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "The e-mail address or the password is not right.")
    };
    let (account, password) = mdm.store.account(&s.email)?.ok_or_else(refused)?;
    if let Some(p) = password {
        if s.password.as_deref() != Some(p.as_str()) {
            return Err(refused());
        }
    }
    let token = crate::new_token();
    let at = mdm.now();
    mdm.store.insert_session(&token, &account.email, at)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"token": token, "signed_in_at": ts(at), "email": account.email, "role": account.role})),
    ))
}

pub(super) async fn sign_out(State(mdm): St, caller: Caller) -> ApiResult<StatusCode> {
    if !mdm.has(Defect::SignOutKeepsSession) {
        mdm.store.sign_out(&caller.session.token, mdm.now())?;
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn current_session(caller: Caller) -> Json<Value> {
    Json(json!({
        "email": caller.account.email,
        "name": caller.account.name,
        "role": caller.account.role,
        "signed_in_at": ts(caller.session.signed_in_at),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewEnrollment {
    ownership: String,
    user_email: String,
    #[serde(default)]
    password_policy: Option<PasswordPolicyInput>,
}

pub(super) async fn create_enrollment(
    State(mdm): St,
    caller: Caller,
    Body(e): Body<NewEnrollment>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Role::is_admin, "enroll devices")?;
    let personal_usage = match e.ownership.as_str() {
        // Our choice: a legacy device-admin enrollment is company-owned.
        "fully-managed" | "legacy-device-admin" => "PERSONAL_USAGE_DISALLOWED",
        "dedicated" => "PERSONAL_USAGE_DISALLOWED_USERLESS",
        "work-profile-personal" | "work-profile-company-owned" => "PERSONAL_USAGE_ALLOWED",
        _ => return Err(ApiError::invalid(
            "`ownership` must be one of: fully-managed, dedicated, work-profile-personal, work-profile-company-owned, legacy-device-admin.",
        )),
    };
    // One policy per enrollment. Enrollments made at once (scenarios of one
    // run sharing this MDM) must never share a name: the later patch
    // would give both devices its password policy.
    let n = mdm.store.next_in_sequence("policy_seq")?;
    let policy_name = format!("{}/policies/lockstep-{n}", mdm.enterprise);
    let mut policy = json!({
        "statusReportingSettings": {"softwareInfoEnabled": true, "hardwareStatusEnabled": true, "deviceSettingsEnabled": true},
    });
    if let Some(p) = &e.password_policy {
        policy["passwordPolicies"] = json!([policy_to_amapi(p)]);
    }
    let unavailable = |err: crate::amapi::AmapiError| {
        ApiError::new(StatusCode::BAD_GATEWAY, "AMAPI_UNAVAILABLE", format!("Enrollment could not be set up: {err}"))
    };
    mdm.amapi.patch_policy(&policy_name, &policy).await.map_err(unavailable)?;
    let additional = json!({"ownership": e.ownership, "user": e.user_email}).to_string();
    let token_body = json!({
        "policyName": policy_name,
        "duration": "86400s",
        "allowPersonalUsage": personal_usage,
        "additionalData": additional,
        "oneTimeOnly": false,
    });
    let token = mdm.amapi.create_enrollment_token(&mdm.enterprise, &token_body).await.map_err(unavailable)?;
    let value = token.get("value").and_then(Value::as_str).unwrap_or_default().to_owned();
    let token_name = token.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let enrollment = Enrollment {
        token_name: token_name.clone(),
        token_value: value.clone(),
        policy_name: policy_name.clone(),
        ownership: e.ownership,
        user_email: e.user_email,
        created_at: mdm.now(),
    };
    let policy_json = e.password_policy.as_ref().map(|p| serde_json::to_string(p).unwrap_or_default());
    mdm.store.insert_enrollment(&enrollment, policy_json.as_deref())?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "enrollment_token": value,
            "enrollment_token_name": token_name,
            "policy_name": policy_name,
            "expires_at": token.get("expirationTimestamp"),
        })),
    ))
}

pub(super) fn device_json(d: &DeviceRow) -> Value {
    json!({
        "id": d.id,
        "amapi_name": d.amapi_name,
        "user_email": d.user_email,
        "manufacturer": d.manufacturer,
        "model": d.model,
        "api_level": d.api_level,
        "android_version": d.android_version,
        "ownership": d.ownership,
        "management_mode": d.management_mode,
        "state": d.state,
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct DeviceFilter {
    user_email: Option<String>,
    #[serde(flatten)]
    paging: PageQuery,
}

/// One page of the inventory, of one user when asked (the harness always asks).
pub(super) async fn list_devices(
    State(mdm): St,
    caller: Caller,
    Query(f): Query<DeviceFilter>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::can_read_console, "see the device list")?;
    let page = f.paging.page()?;
    let user_email = f.user_email.as_deref().filter(|_| !mdm.has(Defect::DeviceFilterIgnored));
    let rows = mdm.store.devices_page(user_email, page.after, page.size + 1)?;
    let (devices, next) = paging::cut(rows, page);
    let mut out = json!({"devices": devices.iter().map(device_json).collect::<Vec<_>>()});
    if let Some(token) = next {
        out["next_page_token"] = json!(token);
    }
    Ok(Json(out))
}

async fn console_device(mdm: &Mdm, caller: &Caller, id: &str) -> ApiResult<DeviceRow> {
    caller.require(Role::can_read_console, "see devices in the console")?;
    mdm.find_device(id).await?.ok_or_else(|| ApiError::not_found("device"))
}

fn may_see_passcode(mdm: &Mdm, role: Role) -> bool {
    mdm.vendor.reset.passcode_visible_to.iter().any(|r| r == role.as_str())
        || (role == Role::Helpdesk && mdm.has(crate::config::Defect::PasscodeVisibleToHelpdesk))
}

/// Site administrators and administrators act on devices; helpdesk reads.
fn may_act(mdm: &Mdm, role: Role) -> bool {
    role.is_admin() || (role == Role::Helpdesk && mdm.has(Defect::HelpdeskMayAct))
}

fn security_json(mdm: &Mdm, device_id: &str) -> ApiResult<Value> {
    let completed_only = !mdm.has(Defect::PasscodeBeforeCompletion);
    Ok(match mdm.store.latest_reset_passcode(device_id, completed_only)? {
        Some((action_id, passcode)) => {
            let at = mdm.store.action(&action_id)?.and_then(|a| a.finished_at);
            json!({"latest_reset_passcode": passcode, "action_id": action_id, "reset_at": at})
        }
        None => json!({"latest_reset_passcode": null}),
    })
}

/// The device page: inventory for every console role; the security
/// section only for the roles the profile allows (others: no `security` key,
/// and 403 on `/security`).
pub(super) async fn device_page(State(mdm): St, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let d = if mdm.has(Defect::DevicePageForEndUsers) {
        mdm.find_device(&id).await?.ok_or_else(|| ApiError::not_found("device"))?
    } else {
        console_device(&mdm, &caller, &id).await?
    };
    let mut page = device_json(&d);
    page["label"] = json!(device_label(&d));
    page["policy_name"] = json!(d.policy_name);
    page["enrolled_at"] = json!(d.enrolled_at);
    page["last_status_report_at"] = json!(d.last_status_report_at);
    page["device_secure"] = json!(d.secure);
    let actions: Vec<Value> = mdm.store.actions(Some(&d.id), None)?.iter().map(action_json).collect();
    page["actions"] = Value::Array(actions);
    if may_see_passcode(&mdm, caller.account.role) || mdm.has(Defect::SecurityOnEveryDevicePage) {
        page["security"] = security_json(&mdm, &d.id)?;
    }
    Ok(Json(page))
}

pub(super) async fn device_security(State(mdm): St, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let d = console_device(&mdm, &caller, &id).await?;
    if !may_see_passcode(&mdm, caller.account.role) {
        return Err(ApiError::forbidden("Only site administrators can see the latest reset passcode of a device."));
    }
    Ok(Json(security_json(&mdm, &d.id)?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct PreviewRequest {
    new_passcode: Option<String>,
}

/// The reset wizard (MIR-2) and the requirement list (IRU-3): nothing is recorded.
pub(super) async fn preview_reset(
    State(mdm): St,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<PreviewRequest>,
) -> ApiResult<Json<Value>> {
    let d = console_device(&mdm, &caller, &id).await?;
    let user = match &d.user_email {
        Some(email) => match mdm.store.account(email)? {
            Some((a, _)) => json!({"email": a.email, "name": a.name}),
            None => json!({"email": email, "name": null}),
        },
        None => Value::Null,
    };
    let typed = req.new_passcode.as_deref().filter(|p| !p.is_empty());
    let checks = mdm.requirement_checks(&d, typed)?;
    let requirements: Vec<Value> =
        checks.as_ref().map(|(c, _)| c.iter().map(requirement_json).collect()).unwrap_or_default();
    let refusal = mdm.refusal(&d);
    let mut can_reset = refusal.is_none();
    if let Some((c, policy_assigned)) = &checks {
        can_reset &= c.iter().all(|r| r.met) && !(*policy_assigned && typed.is_none());
    }
    let mut out = json!({
        "device": device_json(&d),
        "user": user,
        "requirements": requirements,
        "can_reset": can_reset,
        "send_to_user_option": mdm.vendor.reset.send_to_user_option,
        "lock_now_option": mdm.vendor.reset.lock_now_option,
    });
    if let Some(r) = refusal {
        out["refusal"] = json!({"code": r.code, "message": r.message});
    }
    Ok(Json(out))
}

pub(super) async fn reset_passcode(
    State(mdm): St,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ResetRequest>,
) -> ApiResult<impl IntoResponse> {
    caller.require(|r| may_act(&mdm, r), "reset passcodes")?;
    let d = console_device(&mdm, &caller, &id).await?;
    let action = start_reset(&mdm, &caller, &d, &req, None)?;
    Ok((StatusCode::ACCEPTED, Json(json!({"action_id": action.id, "status": action.status}))))
}

fn start_reset(
    mdm: &Arc<Mdm>,
    caller: &Caller,
    d: &DeviceRow,
    req: &ResetRequest,
    batch: Option<&str>,
) -> ApiResult<Action> {
    let plan = mdm.plan_reset(d, req)?;
    let new = NewAction {
        kind: ActionKind::ResetPasscode,
        device_id: &d.id,
        requested_by: &caller.account.email,
        channel: Channel::Console,
        send_to_user: plan.send_to_user,
        lock_now: plan.lock_now,
        batch_id: batch,
    };
    let action = mdm.store.insert_action(&new, plan.passcode.as_ref().map(|p| p.expose()), mdm.now())?;
    crate::spawn_dispatch(mdm, &d.id);
    Ok(action)
}

fn start_lock(mdm: &Arc<Mdm>, caller: &Caller, d: &DeviceRow, batch: Option<&str>) -> ApiResult<Action> {
    if d.state != "ACTIVE" {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNSUPPORTED_DEVICE",
            format!("The device is not active (AMAPI state {}).", d.state),
        ));
    }
    let new = NewAction {
        kind: ActionKind::Lock,
        device_id: &d.id,
        requested_by: &caller.account.email,
        channel: Channel::Console,
        send_to_user: false,
        lock_now: false,
        batch_id: batch,
    };
    let action = mdm.store.insert_action(&new, None, mdm.now())?;
    crate::spawn_dispatch(mdm, &d.id);
    Ok(action)
}

pub(super) async fn lock(State(mdm): St, caller: Caller, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    caller.require(|r| may_act(&mdm, r), "lock devices")?;
    let d = console_device(&mdm, &caller, &id).await?;
    let action = start_lock(&mdm, &caller, &d, None)?;
    Ok((StatusCode::ACCEPTED, Json(json!({"action_id": action.id, "status": action.status}))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Batch {
    kind: String,
    #[serde(default)]
    device_ids: Option<Vec<String>>,
    #[serde(default)]
    user_email: Option<String>,
}

/// The classic console's remote task on several devices (ICL-3): by a list
/// of devices (a device group) or by all devices of a user.
pub(super) async fn batch(State(mdm): St, caller: Caller, Body(b): Body<Batch>) -> ApiResult<Json<Value>> {
    caller.require(Role::is_admin, "run remote tasks")?;
    if !mdm.vendor.reset.multi_device {
        return Err(ApiError::not_offered("This product runs remote tasks on one device at a time."));
    }
    let kind = ActionKind::parse(&b.kind).ok_or_else(|| ApiError::invalid("`kind` must be reset-passcode or lock."))?;
    let ids: Vec<String> = match (b.device_ids, b.user_email) {
        (Some(ids), None) if mdm.has(Defect::BatchWidensToUserDevices) => widen_to_users(&mdm, ids)?,
        (Some(ids), None) => ids,
        (None, Some(email)) => mdm.store.devices(Some(&email))?.into_iter().map(|d| d.id).collect(),
        _ => return Err(ApiError::invalid("Give either `device_ids` or `user_email`.")),
    };
    let batch_id = format!("batch_{}", crate::new_token().get(..12).unwrap_or("0"));
    let mut results = Vec::new();
    for id in ids {
        let outcome = match mdm.find_device(&id).await? {
            None => Err(ApiError::not_found("device")),
            Some(d) => match kind {
                ActionKind::ResetPasscode => start_reset(&mdm, &caller, &d, &ResetRequest::default(), Some(&batch_id)),
                ActionKind::Lock => start_lock(&mdm, &caller, &d, Some(&batch_id)),
            },
        };
        results.push(match outcome {
            Ok(a) => json!({"device_id": id, "action_id": a.id, "status": a.status}),
            Err(e) => json!({"device_id": id, "error": {"code": e.code, "message": e.message}}),
        });
    }
    Ok(Json(Value::Array(results)))
}

/// The defect: every device of the users the listed devices belong to.
fn widen_to_users(mdm: &Mdm, ids: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut out = ids.clone();
    for id in &ids {
        let user = mdm.store.device(id)?.and_then(|d| d.user_email);
        for d in mdm.store.devices(user.as_deref())? {
            if user.is_some() && !out.contains(&d.id) {
                out.push(d.id);
            }
        }
    }
    Ok(out)
}

pub(super) fn action_json(a: &Action) -> Value {
    json!({
        "id": a.id,
        "kind": a.kind,
        "device_id": a.device_id,
        "requested_by": a.requested_by,
        "channel": a.channel,
        "status": a.status,
        "reason": a.reason,
        "reason_code": a.reason_code,
        "send_to_user": a.send_to_user,
        "lock_now": a.lock_now,
        "batch_id": a.batch_id,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "sent_at": a.sent_at,
        "finished_at": a.finished_at,
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct ActionFilter {
    device_id: Option<String>,
    status: Option<String>,
    #[serde(flatten)]
    paging: PageQuery,
}

pub(super) async fn list_actions(
    State(mdm): St,
    caller: Caller,
    Query(f): Query<ActionFilter>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::can_read_console, "see the action log")?;
    if let Some(s) = &f.status {
        if ActionStatus::parse(s).is_none() {
            return Err(ApiError::invalid(
                "`status` must be one of: pending, sent, completed, failed, expired, cancelled.",
            ));
        }
    }
    let (device_id, status) = if mdm.has(Defect::ActionFiltersIgnored) {
        (None, None)
    } else {
        (f.device_id.as_deref(), f.status.as_deref())
    };
    let page = f.paging.page()?;
    let rows = mdm.store.actions_page(device_id, status, page.after, page.size + 1)?;
    let (list, next) = paging::cut(rows, page);
    let mut out = json!({"actions": list.iter().map(action_json).collect::<Vec<_>>()});
    if let Some(token) = next {
        out["next_page_token"] = json!(token);
    }
    Ok(Json(out))
}

pub(super) async fn get_action(State(mdm): St, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    caller.require(Role::can_read_console, "see the action log")?;
    let a = mdm.store.action(&id)?.ok_or_else(|| ApiError::not_found("action"))?;
    Ok(Json(action_json(&a)))
}

/// Cancel an action: one not yet accepted by AMAPI is cancelled here; one
/// that was sent is cancelled through `operations.cancel`, and its status
/// follows from the operation.
pub(super) async fn cancel_action(State(mdm): St, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    caller.require(Role::is_admin, "cancel actions")?;
    let a = mdm.store.action(&id)?.ok_or_else(|| ApiError::not_found("action"))?;
    match (a.status, &a.operation_name) {
        (ActionStatus::Pending, None) if a.attempts == 0 => {
            let reason = crate::outcome::Reason::ours(
                crate::outcome::ReasonCode::CancelledByAdmin,
                format!("Cancelled by {}.", caller.account.email),
            );
            mdm.finish(&a, ActionStatus::Cancelled, Some(reason))?;
        }
        (ActionStatus::Sent, Some(_)) if mdm.has(Defect::CancelOnlyLocally) => {
            let reason = crate::outcome::Reason::ours(
                crate::outcome::ReasonCode::CancelledByAdmin,
                format!("Cancelled by {}.", caller.account.email),
            );
            mdm.finish(&a, ActionStatus::Cancelled, Some(reason))?;
        }
        (ActionStatus::Sent, Some(op)) => {
            mdm.amapi
                .call(reqwest::Method::POST, &format!("{op}:cancel"), None)
                .await
                .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "AMAPI_UNAVAILABLE", e.to_string()))?;
            if let Ok(op) = mdm.amapi.get_operation(op).await {
                mdm.apply_operation(&op)?;
            }
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "NOT_CANCELLABLE",
                format!("The action is {} and can no longer be cancelled.", a.status.as_str()),
            ))
        }
    }
    let a = mdm.store.action(&id)?.ok_or_else(|| ApiError::not_found("action"))?;
    Ok(Json(action_json(&a)))
}
