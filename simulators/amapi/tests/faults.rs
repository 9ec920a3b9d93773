//! The faults an MDM must survive, each through the router as an MDM sees
//! it and each reporting whether it fired: scoped 5xx on issueCommand and
//! on operations.get, a 400 refusal, a command carried out whose answer is
//! lost, an outage until the command expires, 429 streaks, Google's quota
//! profile, and duplicated, delayed and reordered notifications. Every
//! response is checked against the discovery document.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{Effect, Fault, FaultPlan, Mock, MockConfig, PushRetry, PushSubscription, Registration};
use android_sim::Ownership;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ISSUE: &str = "enterprises.devices.issueCommand";

fn two_devices() -> (Mock, String, String) {
    let (mock, token) = mock();
    let a = enroll(&mock, &token, "a", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let b = enroll(&mock, &token, "b", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    (mock, a, b)
}

async fn lock(mock: &Mock, device: &str) -> (u16, Value) {
    call(mock, "POST", &format!("/v1/{device}:issueCommand"), Some(json!({"type": "LOCK"}))).await
}

async fn operations(mock: &Mock, device: &str) -> Vec<Value> {
    let (s, list) = call(mock, "GET", &format!("/v1/{device}/operations"), None).await;
    assert_eq!(s, 200);
    list["operations"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_5xx_on_issue_command_strikes_only_its_device_and_changes_nothing() {
    let (mock, a, b) = two_devices();
    let id = mock.add_fault(Fault::error(503).on(ISSUE).device(&a).times(1)).unwrap();
    assert_eq!(lock(&mock, &b).await.0, 200);
    assert_eq!(mock.fault_fired(&id), Some(0), "another device's command does not fire it");
    let (s, body) = lock(&mock, &a).await;
    assert_eq!((s, body["error"]["status"].as_str()), (503, Some("UNAVAILABLE")));
    assert!(operations(&mock, &a).await.is_empty(), "a 503 before the state changed nothing");
    assert_eq!(mock.fault_fired(&id), Some(1));
    assert_eq!(lock(&mock, &a).await.0, 200, "count spent");
    let report = mock.fault_report();
    assert!(report[0].exhausted, "{report:?}");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn a_5xx_on_operations_get_and_a_400_refusal() {
    let (mock, a, _) = two_devices();
    let (_, op) = lock(&mock, &a).await;
    let op_name = op["name"].as_str().unwrap().to_owned();
    let get = mock.add_fault(Fault::error(500).on("enterprises.devices.operations.get").operation(&op_name).times(1));
    let get = get.unwrap();
    let (s, _) = call(&mock, "GET", &format!("/v1/{op_name}"), None).await;
    assert_eq!(s, 500);
    let (s, again) = call(&mock, "GET", &format!("/v1/{op_name}"), None).await;
    assert_eq!((s, again["done"].as_bool()), (200, Some(true)));
    assert_eq!(mock.fault_fired(&get), Some(1));

    let refuse = mock.add_fault(Fault::error(400).id("refuse").on(ISSUE).device(&a).times(1)).unwrap();
    assert_eq!(refuse, "refuse");
    let (s, body) = lock(&mock, &a).await;
    assert_eq!((s, body["error"]["status"].as_str()), (400, Some("INVALID_ARGUMENT")));
    assert_eq!(operations(&mock, &a).await.len(), 1, "refused: no new operation");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn a_command_carried_out_whose_answer_is_lost() {
    let (mock, a, _) = two_devices();
    let id = mock.add_fault(Fault::new(Effect::AnswerLost { status: None }).on(ISSUE).device(&a).times(1)).unwrap();
    let (s, _) = lock(&mock, &a).await;
    assert_eq!(s, 503, "the MDM sees a failure");
    assert!(mock.device_view(&a).unwrap().device_locked, "but the device locked");
    let ops = operations(&mock, &a).await;
    assert_eq!(ops.len(), 1, "and operations.list shows the command: {ops:?}");
    assert_eq!(ops[0]["metadata"]["type"], "LOCK");
    assert_eq!(mock.fault_fired(&id), Some(1));
    let filter = amapi_mock::JournalFilter { route: Some(format!("androidmanagement.{ISSUE}")), ..Default::default() };
    let journal = mock.journal(&filter);
    assert_eq!(journal.last().unwrap().status, 503);
    assert!(journal.last().unwrap().fault.as_deref().unwrap().contains("answer lost"));
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn an_outage_lasts_until_the_command_expires() {
    let (mock, a, b) = two_devices();
    mock.set_online(&a, false).unwrap();
    let id = mock.add_fault(Fault::new(Effect::OutageUntilCommandExpires).device(&a).times(1)).unwrap();
    let (s, op) =
        call(&mock, "POST", &format!("/v1/{a}:issueCommand"), Some(json!({"type": "LOCK", "duration": "120s"}))).await;
    assert_eq!(s, 200, "the trigger is answered");
    let op_name = op["name"].as_str().unwrap().to_owned();
    assert_eq!(call(&mock, "GET", &format!("/v1/{op_name}"), None).await.0, 503);
    assert_eq!(call(&mock, "GET", &format!("/v1/{a}"), None).await.0, 503);
    assert_eq!(call(&mock, "GET", &format!("/v1/{b}"), None).await.0, 200, "other devices are served");
    assert!(mock.fault_report()[0].active_until.is_some());
    mock.advance_clock(Duration::from_secs(119)).unwrap();
    assert_eq!(call(&mock, "GET", &format!("/v1/{op_name}"), None).await.0, 503);
    mock.advance_clock(Duration::from_secs(1)).unwrap();
    let (s, op) = call(&mock, "GET", &format!("/v1/{op_name}"), None).await;
    assert_eq!((s, op["error"]["code"].as_i64()), (200, Some(4)), "back, and the command expired");
    assert_eq!(mock.fault_fired(&id), Some(4), "its start and three refusals");
    assert!(mock.fault_report()[0].exhausted);
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn streaks_of_429_in_rounds() {
    let (mock, a, _) = two_devices();
    let mut plan = FaultPlan::default();
    plan.faults.push(Fault::new(Effect::RateLimitStreak { length: 3, rounds: 2 }).on(ISSUE).id("streak"));
    mock.set_fault_plan(plan).unwrap();
    let mut statuses = Vec::new();
    for _ in 0..9 {
        statuses.push(lock(&mock, &a).await.0);
    }
    assert_eq!(statuses, [429, 429, 429, 200, 429, 429, 429, 200, 200]);
    assert_eq!(operations(&mock, &a).await.len(), 3, "only the admitted commands exist");
    assert_eq!(mock.fault_fired("streak"), Some(6));
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn the_google_quota_profile() {
    let (mock, token) = mock();
    mock.set_fault_plan(serde_json::from_value(json!({"profile": "googleQuotas"})).unwrap()).unwrap();
    for i in 0..500 {
        let mut r = Registration::new(&token, "test-pixel-8", Ownership::FullyManaged);
        r.device_id = Some(format!("d{i}"));
        mock.register_device(&r).unwrap();
    }
    let e = mock.register_device(&Registration::new(&token, "test-pixel-8", Ownership::FullyManaged)).unwrap_err();
    assert_eq!((e.status, e.code.name()), (429, "RESOURCE_EXHAUSTED"));
    let path = format!("/v1/enterprises/{ENTERPRISE}");
    for _ in 0..1000 {
        assert_eq!(call(&mock, "GET", &path, None).await.0, 200);
    }
    let (s, body) = call(&mock, "GET", &path, None).await;
    assert_eq!(s, 429);
    assert!(body["error"]["message"].as_str().unwrap().contains("Queries per 100 seconds"), "{body}");
    mock.advance_clock(Duration::from_secs(100)).unwrap();
    assert_eq!(call(&mock, "GET", &path, None).await.0, 200);
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn the_control_surface_adds_scoped_faults_and_reports_them() {
    let (mock, a, b) = two_devices();
    let fault = json!({"route": ISSUE, "device": a, "count": 1, "effect": {"kind": "error", "status": 500}});
    let (s, added) = call(&mock, "POST", "/_lockstep/v1/faults:add", Some(fault)).await;
    assert_eq!(s, 200, "{added}");
    let id = added["id"].as_str().unwrap().to_owned();
    let (_, report) = call(&mock, "GET", "/_lockstep/v1/faults:report", None).await;
    assert_eq!(report["faults"][0], json!({"id": id, "fired": 0, "exhausted": false}));
    assert_eq!(lock(&mock, &b).await.0, 200);
    assert_eq!(lock(&mock, &a).await.0, 500);
    let (_, report) = call(&mock, "GET", "/_lockstep/v1/faults:report", None).await;
    assert_eq!(report["faults"][0], json!({"id": id, "fired": 1, "exhausted": true}));
    let bad = json!({"device": "d1", "effect": {"kind": "error", "status": 500}});
    let (s, body) = call(&mock, "POST", "/_lockstep/v1/faults:add", Some(bad)).await;
    assert_eq!(s, 400, "{body}");
    // The existing unscoped rules report too.
    let plan = json!({"rules": [{"route": ISSUE, "error": {"status": 503, "count": 1}}]});
    assert_eq!(call(&mock, "PUT", "/_lockstep/v1/faults", Some(plan)).await.0, 200);
    assert_eq!(lock(&mock, &b).await.0, 503);
    assert_eq!(mock.fault_fired("rules[0]"), Some(1));
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
}

async fn receive(State(r): State<Receiver>, Json(body): Json<Value>) -> http::StatusCode {
    r.got.lock().unwrap().push(body);
    http::StatusCode::NO_CONTENT
}

async fn subscribed_mock() -> (Mock, String, Receiver) {
    let retry = PushRetry { initial: Duration::from_millis(5), max: Duration::from_millis(20), ..Default::default() };
    let (mock, token) = mock_with(MockConfig { profiles: profiles(), push_retry: retry, ..Default::default() }, None);
    let r = Receiver::default();
    let app = Router::new().route("/push", post(receive)).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let name = "projects/lockstep/subscriptions/mdm".to_owned();
    mock.subscribe(PushSubscription {
        name,
        topic: TOPIC.into(),
        push_endpoint: format!("http://{addr}/push"),
        oidc_token: None,
    })
    .unwrap();
    (mock, token, r)
}

async fn wait_for(r: &Receiver, n: usize) -> Vec<Value> {
    for _ in 0..500 {
        let got = r.got.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    r.got.lock().unwrap().clone()
}

fn kinds(got: &[Value]) -> Vec<(String, String)> {
    got.iter()
        .map(|m| {
            let data = m["message"]["data"].as_str().unwrap();
            let v: Value =
                serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(data).unwrap()).unwrap();
            (m["message"]["attributes"]["notificationType"].as_str().unwrap().to_owned(), v["name"].to_string())
        })
        .collect()
}

#[tokio::test]
async fn a_reordered_notification_arrives_after_a_newer_one() {
    let (mock, token, r) = subscribed_mock().await;
    let id = mock.add_fault(Fault::new(Effect::ReorderNotification).notification("ENROLLMENT").times(1)).unwrap();
    let a = enroll(&mock, &token, "a", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    mock.advance_clock(Duration::from_secs(5)).unwrap();
    lock(&mock, &a).await;
    let got = wait_for(&r, 2).await;
    let k = kinds(&got);
    assert_eq!(k[0].0, "COMMAND", "{k:?}");
    assert_eq!(k[1].0, "ENROLLMENT", "{k:?}");
    let times: Vec<&str> = got.iter().map(|m| m["message"]["publishTime"].as_str().unwrap()).collect();
    assert!(times[1] < times[0], "an older publishTime after a newer one: {times:?}");
    assert_eq!(mock.fault_fired(&id), Some(1));
    assert!(mock.published_messages()[0].reordered);
}

#[tokio::test]
async fn a_delayed_notification_is_overtaken_and_a_duplicate_keeps_its_id() {
    let (mock, token, r) = subscribed_mock().await;
    let a = enroll(&mock, &token, "a", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let b = enroll(&mock, &token, "b", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    assert_eq!(wait_for(&r, 2).await.len(), 2);
    r.got.lock().unwrap().clear();
    let delay = mock.add_fault(Fault::new(Effect::DelayNotification { ms: 300 }).device(&a).times(1)).unwrap();
    let dup = mock.add_fault(Fault::new(Effect::DuplicateNotification).device(&b).times(1)).unwrap();
    lock(&mock, &a).await;
    lock(&mock, &b).await;
    let got = wait_for(&r, 3).await;
    let k = kinds(&got);
    assert_eq!(k.len(), 3, "{k:?}");
    assert!(k[0].1.contains("/devices/b/") && k[1].1.contains("/devices/b/"), "b's twice first: {k:?}");
    assert_eq!(got[0]["message"]["messageId"], got[1]["message"]["messageId"]);
    assert!(k[2].1.contains("/devices/a/"), "a's late: {k:?}");
    assert_eq!((mock.fault_fired(&delay), mock.fault_fired(&dup)), (Some(1), Some(1)));
}
