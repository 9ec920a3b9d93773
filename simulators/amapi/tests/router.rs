//! In-process tests of the AMAPI surface through the axum router
//! (`tower::ServiceExt::oneshot`, no socket): behaviour of commands and
//! operations, devices, policies, tokens, enterprises, faults, and every
//! error path. Each test ends by checking every response it caused against
//! the discovery document.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{EnterpriseSetup, FaultPlan, JournalFilter, MockConfig, Registration};
use android_sim::Ownership;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const PIXEL: &str = "test-pixel-8";
const NEXUS: &str = "test-nexus-6";

async fn issue(mock: &amapi_mock::Mock, device: &str, command: Value) -> Value {
    let (status, op) = call(mock, "POST", &format!("{}:issueCommand", device_path(device)), Some(command)).await;
    assert_eq!(status, 200, "{op}");
    op
}

async fn get_op(mock: &amapi_mock::Mock, op: &Value) -> Value {
    let (status, v) = call(mock, "GET", &format!("/v1/{}", op["name"].as_str().unwrap()), None).await;
    assert_eq!(status, 200, "{v}");
    v
}

fn command_messages(mock: &amapi_mock::Mock) -> Vec<Value> {
    mock.published_messages().into_iter().filter(|m| m.notification_type == "COMMAND").map(|m| m.data).collect()
}

#[tokio::test]
async fn lock_returns_a_pending_operation_then_completes() {
    let (mock, token) = mock();
    let name = enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, Some("147036"));
    let op = issue(&mock, "d1", json!({"type": "LOCK"})).await;
    assert!(op.get("done").is_none(), "issueCommand answers before the device acks: {op}");
    let md = &op["metadata"];
    assert_eq!(md["@type"], "type.googleapis.com/google.android.devicemanagement.v1.Command");
    assert_eq!(md["type"], "LOCK");
    assert_eq!(md["duration"], "600s");
    assert_eq!(md["createTime"], mock.now().rfc3339());
    assert!(md["userName"].as_str().unwrap().starts_with("enterprises/LC00test/users/"));
    let id = op["name"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(id, mock.now().as_unix_millis().to_string(), "operation ids are createTime in epoch ms");
    let done = get_op(&mock, &op).await;
    assert_eq!(done["done"], true);
    assert!(done.get("error").is_none() && done["metadata"].get("errorCode").is_none(), "{done}");
    assert!(mock.device_view(&name).unwrap().device_locked);
    let notes = command_messages(&mock);
    assert_eq!(notes.len(), 1, "one COMMAND notification, for the finished operation");
    assert_eq!(notes[0], done);
    assert!(assert_journal_valid(&mock) >= 2);
}

#[tokio::test]
async fn operation_ids_stay_unique_on_a_frozen_clock() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, None);
    let mut names = Vec::new();
    for _ in 0..5 {
        names.push(issue(&mock, "d1", json!({"type": "LOCK"})).await["name"].clone());
    }
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5, "{names:?}");
    let (status, page) = call(&mock, "GET", &format!("{}/operations?pageSize=2", device_path("d1")), None).await;
    assert_eq!(status, 200);
    assert_eq!(page["operations"].as_array().unwrap().len(), 2);
    let mut seen: Vec<Value> = page["operations"].as_array().unwrap().iter().map(|o| o["name"].clone()).collect();
    let mut token_ = page["nextPageToken"].as_str().map(str::to_owned);
    while let Some(t) = token_ {
        let (_, p) =
            call(&mock, "GET", &format!("{}/operations?pageSize=2&pageToken={t}", device_path("d1")), None).await;
        seen.extend(p["operations"].as_array().unwrap().iter().map(|o| o["name"].clone()));
        token_ = p["nextPageToken"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, names, "operations list in issue order, every one once");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn reset_password_is_never_echoed_nor_journaled() {
    let (mock, token) = mock();
    let name = enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, Some("147036"));
    let secret = "246813";
    let op = issue(
        &mock,
        "d1",
        json!({"type": "RESET_PASSWORD", "newPassword": secret, "resetPasswordFlags": ["LOCK_NOW", "REQUIRE_ENTRY"]}),
    )
    .await;
    assert!(op["metadata"].get("newPassword").is_none(), "our choice: never echoed");
    assert_eq!(op["metadata"]["resetPasswordFlags"], json!(["LOCK_NOW", "REQUIRE_ENTRY"]));
    let done = get_op(&mock, &op).await;
    assert_eq!(done["done"], true, "{done}");
    assert!(done.get("error").is_none(), "{done}");
    let journal = serde_json::to_string(&mock.journal(&JournalFilter::default())).unwrap();
    assert!(!journal.contains(secret), "the journal holds the passcode");
    assert!(journal.contains("<redacted>"));
    let published = serde_json::to_string(&mock.published_messages()).unwrap();
    assert!(!published.contains(secret));
    let entry = mock
        .with_device(&name, |d, now| {
            d.enter_passcode(android_sim::CredentialHolder::DeviceUser, &android_sim::Passcode::new(secret), now)
        })
        .unwrap();
    assert_eq!(entry, android_sim::Entry::Unlocked, "the new passcode works on the device");
    let status_reports = mock.published_messages().iter().filter(|m| m.notification_type == "STATUS_REPORT").count();
    assert!(status_reports >= 1, "a reset makes the device report");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn device_failures_come_back_as_error_codes() {
    let (mock, token) = mock();
    enroll(&mock, &token, "fm", PIXEL, Ownership::FullyManaged, Some("147036"));
    enroll(&mock, &token, "wp", PIXEL, Ownership::WorkProfilePersonal, None);
    // Android 14: a numeric newPassword needs 6 digits (AMAPI).
    let op = issue(&mock, "fm", json!({"type": "RESET_PASSWORD", "newPassword": "13579"})).await;
    let done = get_op(&mock, &op).await;
    assert_eq!(done["metadata"]["errorCode"], "INVALID_VALUE", "{done}");
    assert_eq!(done["error"]["code"], 3);
    // REBOOT is for fully managed devices only.
    let op = issue(&mock, "wp", json!({"type": "REBOOT"})).await;
    assert_eq!(get_op(&mock, &op).await["metadata"]["errorCode"], "MANAGEMENT_MODE");
    // Our choice: types the agent does not implement fail UNSUPPORTED; the
    // type is implied by its params.
    let op = issue(&mock, "fm", json!({"wipeParams": {"wipeDataFlags": ["WIPE_EXTERNAL_STORAGE"]}})).await;
    assert_eq!(op["metadata"]["type"], "WIPE");
    assert_eq!(get_op(&mock, &op).await["metadata"]["errorCode"], "UNSUPPORTED");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn an_offline_device_gets_its_commands_when_it_comes_back() {
    let (mock, token) = mock();
    let name = enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, Some("147036"));
    mock.set_online(&name, false).unwrap();
    let first = issue(&mock, "d1", json!({"type": "LOCK"})).await;
    let second = issue(&mock, "d1", json!({"type": "RESET_PASSWORD", "newPassword": "258036"})).await;
    mock.advance_clock(Duration::from_secs(300)).unwrap();
    assert!(get_op(&mock, &first).await.get("done").is_none());
    assert_eq!(mock.device_view(&name).unwrap().pending_commands, 2);
    assert!(command_messages(&mock).is_empty(), "no COMMAND notification before an operation ends");
    mock.set_online(&name, true).unwrap();
    assert_eq!(get_op(&mock, &first).await["done"], true);
    assert_eq!(get_op(&mock, &second).await["done"], true);
    assert_eq!(command_messages(&mock).len(), 2);
    let kinds: Vec<String> = mock.published_messages().iter().map(|m| m.notification_type.clone()).collect();
    assert!(kinds.contains(&"STATUS_REPORT".to_owned()), "coming back online, the device reports: {kinds:?}");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn commands_expire_on_the_virtual_clock() {
    let (mock, token) = mock();
    let name = enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, Some("147036"));
    mock.set_online(&name, false).unwrap();
    let short = issue(&mock, "d1", json!({"type": "LOCK", "duration": "60s"})).await;
    let default = issue(&mock, "d1", json!({"type": "LOCK"})).await;
    mock.advance_clock(Duration::from_secs(59)).unwrap();
    assert!(get_op(&mock, &short).await.get("done").is_none());
    mock.advance_clock(Duration::from_secs(2)).unwrap();
    let expired = get_op(&mock, &short).await;
    assert_eq!(expired["done"], true);
    assert_eq!(expired["error"]["code"], 4, "our choice: DEADLINE_EXCEEDED: {expired}");
    assert!(expired["metadata"].get("errorCode").is_none());
    assert_eq!(command_messages(&mock).len(), 1, "expiry is a finish: one COMMAND notification");
    mock.advance_clock(Duration::from_secs(540)).unwrap();
    assert_eq!(get_op(&mock, &default).await["error"]["code"], 4, "default duration is ten minutes");
    mock.set_online(&name, true).unwrap();
    assert!(!mock.device_view(&name).unwrap().device_locked, "an expired command never runs");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn cancel_ends_pending_operations_only() {
    let (mock, token) = mock();
    let name = enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, Some("147036"));
    let done = issue(&mock, "d1", json!({"type": "LOCK"})).await;
    mock.set_online(&name, false).unwrap();
    let pending = issue(&mock, "d1", json!({"type": "REBOOT"})).await;
    let cancel = |op: &Value| format!("/v1/{}:cancel", op["name"].as_str().unwrap());
    let (status, body) = call(&mock, "POST", &cancel(&pending), None).await;
    assert_eq!((status, body), (200, json!({})));
    let cancelled = get_op(&mock, &pending).await;
    assert_eq!(cancelled["done"], true);
    assert_eq!(cancelled["error"]["code"], 1);
    assert!(cancelled["metadata"].get("errorCode").is_none(), "errorCode is not set on cancel");
    // Our choice: cancelling a finished operation changes nothing.
    let before = get_op(&mock, &done).await;
    assert_eq!(call(&mock, "POST", &cancel(&done), None).await.0, 200);
    assert_eq!(get_op(&mock, &done).await, before);
    mock.set_online(&name, true).unwrap();
    assert_eq!(mock.device_view(&name).unwrap().boot_state, "Running");
    assert_eq!(mock.device_view(&name).unwrap().pending_commands, 0);
    let (status, _) = call(&mock, "POST", &format!("{}/operations/1:cancel", device_path("d1")), None).await;
    assert_eq!(status, 404);
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn a_request_answered_429_or_503_changes_nothing() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, None);
    let plan: FaultPlan = serde_json::from_value(json!({"seed": 3, "rules": [
        {"route": "enterprises.devices.issueCommand", "error": {"status": 429, "count": 1}},
        {"route": "androidmanagement.enterprises.devices.issueCommand", "method": "POST", "error": {"status": 503, "count": 1}}
    ]}))
    .unwrap();
    mock.set_fault_plan(plan).unwrap();
    let uri = format!("{}:issueCommand", device_path("d1"));
    let (s1, b1) = call(&mock, "POST", &uri, Some(json!({"type": "LOCK"}))).await;
    assert_eq!((s1, b1["error"]["status"].as_str()), (429, Some("RESOURCE_EXHAUSTED")));
    let (s2, b2) = call(&mock, "POST", &uri, Some(json!({"type": "LOCK"}))).await;
    assert_eq!((s2, b2["error"]["status"].as_str()), (503, Some("UNAVAILABLE")));
    let (_, ops) = call(&mock, "GET", &format!("{}/operations", device_path("d1")), None).await;
    assert!(ops.get("operations").is_none(), "refused requests created no operation: {ops}");
    assert!(mock.published_messages().iter().all(|m| m.notification_type != "COMMAND"));
    let (s3, _) = call(&mock, "POST", &uri, Some(json!({"type": "LOCK"}))).await;
    assert_eq!(s3, 200);
    let (_, ops) = call(&mock, "GET", &format!("{}/operations", device_path("d1")), None).await;
    assert_eq!(ops["operations"].as_array().unwrap().len(), 1, "the retry issued exactly one command");
    let faulted = mock.journal(&JournalFilter {
        route: Some("androidmanagement.enterprises.devices.issueCommand".into()),
        ..Default::default()
    });
    assert_eq!(faulted.iter().filter(|e| e.fault.is_some()).count(), 2);
    mock.clear_faults();
    assert_eq!(mock.fault_plan(), FaultPlan::default());
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn deleted_devices_are_gone_for_good() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, None);
    enroll(&mock, &token, "d2", PIXEL, Ownership::FullyManaged, None);
    let (status, body) = call(
        &mock,
        "DELETE",
        &format!("{}?wipeDataFlags=WIPE_EXTERNAL_STORAGE&wipeDataFlags=WIPE_ESIMS", device_path("d1")),
        None,
    )
    .await;
    assert_eq!((status, body), (200, json!({})));
    assert_eq!(call(&mock, "GET", &device_path("d1"), None).await.0, 404);
    assert_eq!(call(&mock, "DELETE", &device_path("d1"), None).await.0, 404);
    assert_eq!(
        call(&mock, "POST", &format!("{}:issueCommand", device_path("d1")), Some(json!({"type":"LOCK"}))).await.0,
        404
    );
    let (_, list) = call(&mock, "GET", &format!("/v1/enterprises/{ENTERPRISE}/devices"), None).await;
    let names: Vec<&str> = list["devices"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["enterprises/LC00test/devices/d2"]);
    let mut again = Registration::new(&token, PIXEL, Ownership::FullyManaged);
    again.device_id = Some("d1".into());
    let err = mock.register_device(&again).unwrap_err();
    assert_eq!(err.code, amapi_mock::Code::FailedPrecondition, "{err}");
    let last = mock.published_messages().into_iter().rfind(|m| m.notification_type == "STATUS_REPORT").unwrap();
    assert_eq!(last.data["state"], "DELETED", "a final report says DELETED");
    let (status, _) =
        call(&mock, "DELETE", &format!("{}?wipeDataFlags=WIPE_EVERYTHING", device_path("d2")), None).await;
    assert_eq!(status, 400);
    let long = "x".repeat(201);
    assert_eq!(call(&mock, "DELETE", &format!("{}?wipeReasonMessage={long}", device_path("d2")), None).await.0, 400);
    assert_eq!(call(&mock, "GET", &device_path("d2"), None).await.0, 200, "refused deletes delete nothing");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn device_lists_page_as_documented() {
    let (mock, token) = mock();
    for i in 0..25 {
        enroll(&mock, &token, &format!("d{i:02}"), PIXEL, Ownership::FullyManaged, None);
    }
    let base = format!("/v1/enterprises/{ENTERPRISE}/devices");
    let (_, first) = call(&mock, "GET", &base, None).await;
    assert_eq!(first["devices"].as_array().unwrap().len(), 10, "default page size 10");
    assert!(first["nextPageToken"].is_string());
    let (_, all) = call(&mock, "GET", &format!("{base}?pageSize=1000"), None).await;
    assert_eq!(all["devices"].as_array().unwrap().len(), 25, "pageSize above 100 is coerced, not refused");
    assert!(all.get("nextPageToken").is_none());
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let uri = match &next {
            Some(t) => format!("{base}?pageSize=7&pageToken={t}"),
            None => format!("{base}?pageSize=7"),
        };
        let (_, page) = call(&mock, "GET", &uri, None).await;
        seen.extend(page["devices"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()));
        next = page["nextPageToken"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("enterprises/{ENTERPRISE}/devices/d{i:02}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(call(&mock, "GET", &format!("{base}?pageToken=garbage!"), None).await.0, 400);
    assert_eq!(call(&mock, "GET", &format!("{base}?pageSize=ten"), None).await.0, 400);
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn bearer_tokens_keep_enterprises_apart() {
    let (mock, token) = mock_with(MockConfig { profiles: profiles(), ..Default::default() }, Some("token-a"));
    enroll(&mock, &token, "a1", PIXEL, Ownership::FullyManaged, None);
    mock.create_enterprise(EnterpriseSetup {
        id: "LC00other".into(),
        bearer_token: Some("token-b".into()),
        ..Default::default()
    })
    .unwrap();
    mock.put_policy("LC00other", "default", json!({})).unwrap();
    let t = mock.create_enrollment_token("LC00other", json!({})).unwrap();
    let mut r = Registration::new(t["value"].as_str().unwrap(), PIXEL, Ownership::FullyManaged);
    r.device_id = Some("b1".into());
    mock.register_device(&r).unwrap();
    let a1 = device_path("a1");
    let b1 = "/v1/enterprises/LC00other/devices/b1";
    let status = |r: (u16, Value)| r.0;
    assert_eq!(status(call_raw(&mock, "GET", &a1, String::new(), None).await), 401);
    assert_eq!(status(call_raw(&mock, "GET", &a1, String::new(), Some("forged")).await), 401);
    assert_eq!(status(call_raw(&mock, "GET", &a1, String::new(), Some("token-b")).await), 403);
    assert_eq!(status(call_raw(&mock, "GET", &a1, String::new(), Some("token-a")).await), 200);
    assert_eq!(status(call_raw(&mock, "GET", b1, String::new(), Some("token-a")).await), 403);
    let (s, body) = call_raw(&mock, "GET", "/v1/enterprises/LC00other/devices", String::new(), Some("token-a")).await;
    assert_eq!(s, 403);
    assert!(!body.to_string().contains("b1"));
    assert_eq!(
        status(call_raw(&mock, "GET", "/v1/enterprises/LC00nowhere/devices", String::new(), Some("token-a")).await),
        403
    );
    let (s, list) = call_raw(&mock, "GET", "/v1/enterprises?projectId=p", String::new(), Some("token-b")).await;
    assert_eq!(s, 200);
    assert_eq!(list["enterprises"], json!([{"name": "enterprises/LC00other"}]));
    let (s, body) = call_raw(
        &mock,
        "POST",
        "/v1/enterprises/LC00other/devices/b1:issueCommand",
        json!({"type":"LOCK"}).to_string(),
        Some("token-a"),
    )
    .await;
    assert_eq!((s, body["error"]["status"].as_str()), (403, Some("PERMISSION_DENIED")));
    assert!(!mock.device_view("enterprises/LC00other/devices/b1").unwrap().device_locked);
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn malformed_requests_are_invalid_argument_naming_the_field() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, None);
    let uri = format!("{}:issueCommand", device_path("d1"));
    let field = |v: &Value| v["error"]["details"][0]["fieldViolations"][0]["field"].as_str().map(str::to_owned);
    let cases: Vec<(String, &str)> = vec![
        ("{\"type\": \"LOCK\"".into(), "command"),
        ("[\"LOCK\"]".into(), "command"),
        (r#"{"type": 99}"#.into(), "type"),
        (r#"{"type": "SELF_DESTRUCT"}"#.into(), "type"),
        (r#"{"type": "LOCK", "colour": "red"}"#.into(), "colour"),
        (r#"{"type": "LOCK", "duration": "ten minutes"}"#.into(), "duration"),
        (r#"{"type": "LOCK", "duration": 600}"#.into(), "duration"),
        (r#"{"type": "RESET_PASSWORD", "resetPasswordFlags": ["LOCK_LATER"]}"#.into(), "resetPasswordFlags[0]"),
        (r#"{"type": "RESET_PASSWORD", "resetPasswordFlags": [7.5]}"#.into(), "resetPasswordFlags[0]"),
        (r#"{}"#.into(), "type"),
        (r#"{"type": "COMMAND_TYPE_UNSPECIFIED"}"#.into(), "type"),
        (r#"{"type": "LOCK", "clearAppsDataParams": {"packageNames": ["a"]}}"#.into(), "type"),
    ];
    for (body, expected) in cases {
        let (status, v) = call_raw(&mock, "POST", &uri, body.clone(), None).await;
        assert_eq!(status, 400, "{body} -> {v}");
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT", "{body}");
        assert_eq!(field(&v).as_deref(), Some(expected), "{body} -> {v}");
    }
    let (status, v) = call(&mock, "GET", &format!("{}?colour=red", device_path("d1")), None).await;
    assert_eq!((status, field(&v).as_deref()), (400, Some("colour")));
    let (_, ops) = call(&mock, "GET", &format!("{}/operations", device_path("d1")), None).await;
    assert_eq!(ops, json!({}), "no malformed request created an operation");
    // Standard parameters are accepted and ignored.
    let (status, compact) = call(
        &mock,
        "GET",
        &format!("{}?alt=json&prettyPrint=false&fields=name&%24.xgafv=2&key=k&quotaUser=q", device_path("d1")),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(compact["name"], "enterprises/LC00test/devices/d1");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn unknown_things_are_not_found() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, None);
    for (method, uri, status) in [
        ("GET", "/v1/enterprises/LC00nope", 404),
        ("GET", "/v1/enterprises/LC00nope/devices", 404),
        ("GET", "/v1/enterprises/LC00test/devices/nope", 404),
        ("GET", "/v1/enterprises/LC00test/devices/d1/operations/12", 404),
        ("GET", "/v1/enterprises/LC00test/devices/d1/operations/not-a-number", 404),
        ("GET", "/v1/enterprises/LC00test/policies/nope", 404),
        ("GET", "/v1/enterprises/LC00test/enrollmentTokens/nope", 404),
        ("GET", "/v2/enterprises", 404),
        ("GET", "/", 404),
        ("PUT", "/v1/enterprises/LC00test", 404),
        ("GET", "/v1/enterprises/LC00test/webApps/w", 404),
        ("GET", "/v1/enterprises/LC00test/applications/com.example.none", 404),
        ("GET", "/v1/enterprises/LC00test/migrationTokens/nope", 404),
        ("GET", "/v1/provisioningInfo/nope", 404),
        ("POST", "/v1/enterprises/LC00test/policies/nope:modifyPolicyApplications", 400),
        ("POST", "/v1/enterprises/LC00test/devices/d1::issueCommand", 404),
        ("POST", "/v1/enterprises/LC00test/devices/d1:issueCommand:issueCommand", 404),
        ("GET", "/v1/enterprises/LC00test/devices/d1/operations?returnPartialSuccess=true", 501),
        ("GET", "/v1/enterprises/LC00test/devices/d1/operations?filter=done%3Dtrue", 400),
        ("GET", "/v1/enterprises", 400),
    ] {
        let (s, body) = call(&mock, method, uri, None).await;
        assert_eq!(s, status, "{method} {uri}: {body}");
    }
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn policies_drive_the_devices_password_rules() {
    let (mock, token) = mock();
    let name = enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, None);
    let (_, before) = call(&mock, "GET", &device_path("d1"), None).await;
    assert_eq!(before["appliedPolicyVersion"], "1");
    assert_eq!(before["policyCompliant"], true);
    let policy = json!({"passwordPolicies": [{"passwordQuality": "NUMERIC", "passwordMinimumLength": 8, "passwordScope": "SCOPE_DEVICE"}]});
    let (status, p) =
        call(&mock, "PATCH", &format!("/v1/enterprises/{ENTERPRISE}/policies/default"), Some(policy)).await;
    assert_eq!((status, p["version"].as_str()), (200, Some("2")));
    let (_, after) = call(&mock, "GET", &device_path("d1"), None).await;
    assert_eq!(after["appliedPolicyVersion"], "2");
    assert_eq!(after["appliedPasswordPolicies"][0]["passwordMinimumLength"], 8);
    assert_eq!(after["policyCompliant"], false, "no passcode yet: {after}");
    assert_eq!(after["nonComplianceDetails"][0]["nonComplianceReason"], "USER_ACTION");
    let op = issue(&mock, "d1", json!({"type": "RESET_PASSWORD", "newPassword": "246813"})).await;
    assert_eq!(get_op(&mock, &op).await["metadata"]["errorCode"], "INVALID_VALUE", "6 digits < policy's 8");
    let op = issue(&mock, "d1", json!({"type": "RESET_PASSWORD", "newPassword": "24681357"})).await;
    assert!(get_op(&mock, &op).await.get("error").is_none());
    let (_, fixed) = call(&mock, "GET", &device_path("d1"), None).await;
    assert_eq!(fixed["policyCompliant"], true);
    assert_eq!(fixed["deviceSettings"]["isDeviceSecure"], true);
    // The deprecated single requirement still works; a masked patch keeps the rest.
    let (s, p) = call(
        &mock,
        "PATCH",
        &format!("/v1/enterprises/{ENTERPRISE}/policies/legacy"),
        Some(json!({"passwordRequirements": {"passwordQuality": "ALPHANUMERIC", "passwordMinimumLength": 6}, "cameraDisabled": true})),
    )
    .await;
    assert_eq!((s, p["version"].as_str()), (200, Some("1")));
    let (s, p) = call(
        &mock,
        "PATCH",
        &format!("/v1/enterprises/{ENTERPRISE}/policies/legacy?updateMask=camera_disabled"),
        Some(json!({"cameraDisabled": false})),
    )
    .await;
    assert_eq!((s, p["cameraDisabled"].as_bool(), p["version"].as_str()), (200, Some(false), Some("2")));
    assert_eq!(p["passwordRequirements"]["passwordQuality"], "ALPHANUMERIC");
    // Documented refusals.
    let bad = json!({"passwordPolicies": [{"unifiedLockSettings": "REQUIRE_SEPARATE_WORK_LOCK", "passwordScope": "SCOPE_DEVICE"}]});
    assert_eq!(call(&mock, "PATCH", &format!("/v1/enterprises/{ENTERPRISE}/policies/x"), Some(bad)).await.0, 400);
    let (s, e) = call(&mock, "DELETE", &format!("/v1/enterprises/{ENTERPRISE}/policies/default"), None).await;
    assert_eq!((s, e["error"]["status"].as_str()), (400, Some("FAILED_PRECONDITION")), "in use by d1");
    assert_eq!(call(&mock, "DELETE", &format!("/v1/enterprises/{ENTERPRISE}/policies/legacy"), None).await.0, 200);
    let (_, list) = call(&mock, "GET", &format!("/v1/enterprises/{ENTERPRISE}/policies"), None).await;
    assert_eq!(list["policies"].as_array().unwrap().len(), 1);
    let _ = name;
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn patch_changes_only_what_amapi_lets_you_change() {
    let (mock, token) = mock();
    let name = enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, None);
    mock.put_policy(ENTERPRISE, "strict", json!({"passwordPolicies": [{"passwordQuality": "SOMETHING"}]})).unwrap();
    let (s, d) = call(
        &mock,
        "PATCH",
        &format!("{}?updateMask=state,disabledReason", device_path("d1")),
        Some(json!({"state": "DISABLED", "disabledReason": {"defaultMessage": "Lost"}, "apiLevel": 1})),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!((d["state"].as_str(), d["appliedState"].as_str()), (Some("DISABLED"), Some("DISABLED")));
    assert_eq!(d["disabledReason"]["defaultMessage"], "Lost");
    assert_eq!(d["apiLevel"], 34, "read-only fields are ignored");
    mock.set_online(&name, false).unwrap();
    let (s, d) = call(&mock, "PATCH", &device_path("d1"), Some(json!({"policyName": "strict"}))).await;
    assert_eq!(s, 200);
    assert_eq!(d["policyName"], "enterprises/LC00test/policies/strict", "a bare policy id is accepted");
    assert_eq!(d["appliedPolicyName"], "enterprises/LC00test/policies/default", "offline: not applied yet");
    mock.set_online(&name, true).unwrap();
    let (_, d) = call(&mock, "GET", &device_path("d1"), None).await;
    assert_eq!(d["appliedPolicyName"], "enterprises/LC00test/policies/strict");
    for (uri, body) in [
        (device_path("d1"), json!({"state": "DELETED"})),
        (device_path("d1"), json!({"policyName": "nope"})),
        (format!("{}?updateMask=apiLevel", device_path("d1")), json!({"apiLevel": 30})),
        (device_path("d1"), json!({"state": "ACTIVE", "madeUp": 1})),
    ] {
        let (s, e) = call(&mock, "PATCH", &uri, Some(body.clone())).await;
        assert_eq!(s, 400, "{uri} {body}: {e}");
    }
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn enrollment_tokens_and_enterprises() {
    let (mock, _) = mock();
    let base = format!("/v1/enterprises/{ENTERPRISE}/enrollmentTokens");
    let (s, t) = call(
        &mock,
        "POST",
        &base,
        Some(json!({"policyName": "default", "duration": "120s", "allowPersonalUsage": "PERSONAL_USAGE_ALLOWED",
                    "oneTimeOnly": true, "additionalData": "org-unit-7"})),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["policyName"], "enterprises/LC00test/policies/default");
    assert_eq!(t["duration"], "120s");
    let value = t["value"].as_str().unwrap().to_owned();
    let (_, got) = call(&mock, "GET", &format!("/v1/{}", t["name"].as_str().unwrap()), None).await;
    assert_eq!(got, t);
    let (_, list) = call(&mock, "GET", &base, None).await;
    let listed = &list["enrollmentTokens"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|x| x.get("policyName").is_none()), "partial view");
    // allowPersonalUsage=ALLOWED makes work-profile devices only.
    let refused = mock.register_device(&Registration::new(&value, PIXEL, Ownership::FullyManaged)).unwrap_err();
    assert_eq!(refused.code, amapi_mock::Code::FailedPrecondition);
    let name = mock.register_device(&Registration::new(&value, PIXEL, Ownership::WorkProfilePersonal)).unwrap();
    let (_, d) = call(&mock, "GET", &format!("/v1/{name}"), None).await;
    assert_eq!(
        (d["managementMode"].as_str(), d["ownership"].as_str()),
        (Some("PROFILE_OWNER"), Some("PERSONALLY_OWNED"))
    );
    assert_eq!(d["enrollmentTokenData"], "org-unit-7");
    assert!(d["hardwareInfo"]["enterpriseSpecificId"].is_string());
    assert!(
        mock.register_device(&Registration::new(&value, PIXEL, Ownership::WorkProfilePersonal)).is_err(),
        "one time only"
    );
    assert_eq!(call(&mock, "GET", &format!("/v1/{}", t["name"].as_str().unwrap()), None).await.0, 404);
    let (_, t2) = call(&mock, "POST", &base, Some(json!({"duration": "60s"}))).await;
    mock.advance_clock(Duration::from_secs(61)).unwrap();
    let expired = mock.register_device(&Registration::new(t2["value"].as_str().unwrap(), PIXEL, Ownership::Dedicated));
    assert!(expired.is_err());
    let (_, list) = call(&mock, "GET", &base, None).await;
    assert_eq!(list["enrollmentTokens"].as_array().unwrap().len(), 1, "expired tokens are not listed");
    assert_eq!(call(&mock, "DELETE", &format!("/v1/{}", t2["name"].as_str().unwrap()), None).await.0, 200);
    assert_eq!(call(&mock, "POST", &base, Some(json!({"duration": "10s"}))).await.0, 400);
    assert_eq!(call(&mock, "POST", &base, Some(json!({"additionalData": "x".repeat(1025)}))).await.0, 400);
    // Enterprises.
    let (s, e) = call(&mock, "POST", "/v1/enterprises?projectId=p&agreementAccepted=true",
        Some(json!({"enterpriseDisplayName": "New", "pubsubTopic": "projects/p/topics/t", "enabledNotificationTypes": ["COMMAND"]}))).await;
    assert_eq!(s, 200, "{e}");
    let (_, got) = call(&mock, "GET", &format!("/v1/{}", e["name"].as_str().unwrap()), None).await;
    assert_eq!(got, e);
    let (s, _) =
        call(&mock, "PATCH", &format!("/v1/{}", e["name"].as_str().unwrap()), Some(json!({"pubsubTopic": "topic"})))
            .await;
    assert_eq!(s, 400);
    let (s, p) = call(
        &mock,
        "PATCH",
        &format!("/v1/{}?updateMask=enterpriseDisplayName", e["name"].as_str().unwrap()),
        Some(json!({"enterpriseDisplayName": "Renamed"})),
    )
    .await;
    assert_eq!(
        (s, p["enterpriseDisplayName"].as_str(), p["pubsubTopic"].as_str()),
        (200, Some("Renamed"), Some("projects/p/topics/t"))
    );
    let (_, list) = call(&mock, "GET", "/v1/enterprises?projectId=p", None).await;
    assert_eq!(list["enterprises"].as_array().unwrap().len(), 2);
    assert_eq!(call(&mock, "DELETE", &format!("/v1/{}", e["name"].as_str().unwrap()), None).await.0, 200);
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn a_full_disk_device_runs_commands_only_after_its_boot_password() {
    let (mock, token) = mock();
    let name = enroll(&mock, &token, "old", NEXUS, Ownership::FullyManaged, Some("147036"));
    mock.with_device(&name, |d, _| d.reboot()).unwrap();
    assert_eq!(mock.device_view(&name).unwrap().boot_state, "AwaitingBootPassword");
    let op = issue(&mock, "old", json!({"type": "LOCK"})).await;
    assert!(get_op(&mock, &op).await.get("done").is_none(), "nothing runs before the boot password");
    let entry = mock
        .with_device(&name, |d, now| {
            d.enter_passcode(android_sim::CredentialHolder::DeviceUser, &android_sim::Passcode::new("147036"), now)
        })
        .unwrap();
    assert_eq!(entry, android_sim::Entry::Unlocked);
    assert_eq!(get_op(&mock, &op).await["done"], true, "delivered once the device runs");
    let reboot = issue(&mock, "old", json!({"type": "REBOOT"})).await;
    assert_eq!(get_op(&mock, &reboot).await["metadata"]["errorCode"], "API_LEVEL", "REBOOT needs Android 7.0");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn the_project_quota_refills_when_the_clock_moves_on() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", PIXEL, Ownership::FullyManaged, None);
    mock.set_fault_plan(serde_json::from_value(json!({"quota": {"queriesPerWindow": 3}})).unwrap()).unwrap();
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(call(&mock, "GET", &device_path("d1"), None).await.0);
        }
        v
    };
    assert_eq!(statuses, [200, 200, 200, 429]);
    let (s, body) =
        call(&mock, "POST", &format!("{}:issueCommand", device_path("d1")), Some(json!({"type": "LOCK"}))).await;
    assert_eq!((s, body["error"]["status"].as_str()), (429, Some("RESOURCE_EXHAUSTED")));
    mock.advance_clock(Duration::from_secs(100)).unwrap();
    assert_eq!(call(&mock, "GET", &device_path("d1"), None).await.0, 200);
    let (_, ops) = call(&mock, "GET", &format!("{}/operations", device_path("d1")), None).await;
    assert_eq!(ops, json!({}), "the refused issueCommand left nothing behind");
    assert_journal_valid(&mock);
}
