//! Pub/Sub push: notifications reach a local axum receiver in Pub/Sub's
//! push envelope; a failing endpoint gets retries until it acknowledges;
//! fault plans drop or duplicate messages. Waits poll the receiver with a
//! generous deadline; nothing here asserts how long anything took.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{FaultPlan, MockConfig, PushRetry, PushSubscription};
use android_sim::Ownership;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use common::*;
use http::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
    /// Answer 503 to this many requests first.
    failures_left: Arc<Mutex<u32>>,
}

async fn receive(State(r): State<Receiver>, Json(body): Json<Value>) -> StatusCode {
    let mut left = r.failures_left.lock().unwrap();
    if *left > 0 {
        *left -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    r.got.lock().unwrap().push(body);
    StatusCode::NO_CONTENT
}

async fn start_receiver(failures: u32) -> (Receiver, String) {
    let r = Receiver { failures_left: Arc::new(Mutex::new(failures)), ..Default::default() };
    let app = Router::new().route("/push", post(receive)).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (r, format!("http://{addr}/push"))
}

/// Wait until the receiver holds `n` messages (or give up after a while).
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

fn fast_retry() -> PushRetry {
    PushRetry { initial: Duration::from_millis(5), max: Duration::from_millis(20), ..Default::default() }
}

fn decode(envelope: &Value) -> Value {
    let data = envelope["message"]["data"].as_str().unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(data).unwrap()).unwrap()
}

#[tokio::test]
async fn notifications_arrive_in_the_push_envelope() {
    let (mock, token) =
        mock_with(MockConfig { profiles: profiles(), push_retry: fast_retry(), ..Default::default() }, None);
    let (receiver, endpoint) = start_receiver(0).await;
    mock.subscribe(PushSubscription {
        name: "projects/lockstep/subscriptions/mdm".into(),
        topic: TOPIC.into(),
        push_endpoint: endpoint,
        ..Default::default()
    })
    .unwrap();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let (_, op) =
        call(&mock, "POST", &format!("{}:issueCommand", device_path("d1")), Some(json!({"type": "LOCK"}))).await;
    let got = wait_for(&receiver, 2).await;
    assert_eq!(got.len(), 2, "{got:?}");
    let types: Vec<&str> =
        got.iter().map(|e| e["message"]["attributes"]["notificationType"].as_str().unwrap()).collect();
    assert_eq!(types, ["ENROLLMENT", "COMMAND"]);
    for e in &got {
        assert_eq!(e["subscription"], "projects/lockstep/subscriptions/mdm");
        assert!(e["message"]["messageId"].is_string());
        assert_eq!(e["message"]["publishTime"], mock.now().rfc3339());
    }
    let device = decode(&got[0]);
    assert!(amapi_mock::schema::validate("Device", &device, amapi_mock::schema::Mode::Response).is_ok());
    assert_eq!(device["name"], "enterprises/LC00test/devices/d1");
    let command = decode(&got[1]);
    assert_eq!(command["name"], op["name"]);
    assert_eq!(command["done"], true, "COMMAND only for finished operations");
    assert!(amapi_mock::schema::validate("Operation", &command, amapi_mock::schema::Mode::Response).is_ok());
    let log = mock.published_messages();
    assert!(log.iter().all(|m| m.attempts.iter().any(|a| a.acked)), "{log:?}");
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn a_failing_endpoint_gets_retries_until_it_acknowledges() {
    let (mock, token) =
        mock_with(MockConfig { profiles: profiles(), push_retry: fast_retry(), ..Default::default() }, None);
    let (receiver, endpoint) = start_receiver(3).await;
    mock.subscribe(PushSubscription {
        name: "projects/p/subscriptions/sub".into(),
        topic: TOPIC.into(),
        push_endpoint: endpoint,
        ..Default::default()
    })
    .unwrap();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    let got = wait_for(&receiver, 1).await;
    assert_eq!(got.len(), 1);
    // The receiver answers before the mock records that attempt: wait for
    // the record (bounded), rather than racing it.
    let mut attempts = mock.published_messages()[0].attempts.clone();
    for _ in 0..500 {
        if attempts.iter().any(|a| a.acked) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        attempts = mock.published_messages()[0].attempts.clone();
    }
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    assert_eq!(attempts.iter().filter(|a| a.status == Some(503)).count(), 3);
    assert!(attempts.last().unwrap().acked);
}

#[tokio::test]
async fn fault_plans_drop_and_duplicate_notifications() {
    let (mock, token) =
        mock_with(MockConfig { profiles: profiles(), push_retry: fast_retry(), ..Default::default() }, None);
    let (receiver, endpoint) = start_receiver(0).await;
    mock.subscribe(PushSubscription {
        name: "projects/p/subscriptions/sub".into(),
        topic: TOPIC.into(),
        push_endpoint: endpoint,
        ..Default::default()
    })
    .unwrap();
    let plan: FaultPlan = serde_json::from_value(json!({"seed": 1, "notifications": [
        {"notificationType": "ENROLLMENT", "action": "drop", "count": 1},
        {"notificationType": "COMMAND", "action": "duplicate", "count": 1}
    ]}))
    .unwrap();
    mock.set_fault_plan(plan).unwrap();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    call(&mock, "POST", &format!("{}:issueCommand", device_path("d1")), Some(json!({"type": "LOCK"}))).await;
    let got = wait_for(&receiver, 2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let got_after = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(got_after.len(), 2, "the dropped ENROLLMENT never arrives");
    assert!(got.iter().all(|e| e["message"]["attributes"]["notificationType"] == "COMMAND"));
    assert_eq!(got[0]["message"]["messageId"], got[1]["message"]["messageId"], "a duplicate is the same message");
    let log = mock.published_messages();
    assert!(log[0].dropped && log[1].duplicated);
}

#[tokio::test]
async fn only_enabled_types_and_topics_are_published() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    let (s, _) = call(
        &mock,
        "PATCH",
        &format!("/v1/enterprises/{ENTERPRISE}?updateMask=enabledNotificationTypes"),
        Some(json!({"enabledNotificationTypes": ["COMMAND"]})),
    )
    .await;
    assert_eq!(s, 200);
    mock.clear_published_messages();
    let name = format!("enterprises/{ENTERPRISE}/devices/d1");
    mock.set_online(&name, false).unwrap();
    mock.set_online(&name, true).unwrap();
    assert!(mock.published_messages().is_empty(), "STATUS_REPORT is not enabled any more");
    let plan = mock.published_messages();
    assert!(plan.is_empty());
    assert_journal_valid(&mock);
}

/// Records each push's Authorization header.
async fn start_header_receiver() -> (Arc<Mutex<Vec<Option<String>>>>, String) {
    let got: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let sink = got.clone();
    let app = Router::new().route(
        "/push",
        post(move |headers: http::HeaderMap| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (got, format!("http://{addr}/push"))
}

#[derive(serde::Deserialize)]
struct PushClaims {
    iss: String,
    aud: String,
    email: String,
    email_verified: bool,
    iat: u64,
    exp: u64,
}

#[tokio::test]
async fn an_oidc_push_carries_a_google_like_token_the_jwks_verifies() {
    let (mock, token) =
        mock_with(MockConfig { profiles: profiles(), push_retry: fast_retry(), ..Default::default() }, None);
    let (got, endpoint) = start_header_receiver().await;
    let account = "push@lockstep.iam.gserviceaccount.com";
    mock.subscribe(PushSubscription {
        name: "projects/p/subscriptions/signed".into(),
        topic: TOPIC.into(),
        push_endpoint: endpoint.clone(),
        oidc_token: Some(amapi_mock::OidcToken { service_account_email: account.into(), audience: String::new() }),
    })
    .unwrap();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    let mut headers = Vec::new();
    for _ in 0..3000 {
        headers = got.lock().unwrap().clone();
        if !headers.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(headers.len(), 1, "{headers:?}");
    let jwt = headers[0].as_deref().unwrap().strip_prefix("Bearer ").unwrap();
    // The JWKS the control surface serves is the one that verifies it.
    let (status, jwks) = call(&mock, "GET", "/_lockstep/v1/pubsub/jwks", None).await;
    assert_eq!(status, 200);
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let kid = jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&["https://accounts.google.com"]);
    validation.set_audience(&[&endpoint]);
    let claims = jsonwebtoken::decode::<PushClaims>(jwt, &key, &validation).unwrap().claims;
    assert_eq!(claims.iss, "https://accounts.google.com");
    assert_eq!(claims.aud, endpoint, "no audience configured: the endpoint URL");
    assert_eq!(claims.email, account);
    assert!(claims.email_verified);
    assert!(claims.exp > claims.iat);
    // Another audience does not verify.
    validation.set_audience(&["https://elsewhere.test"]);
    assert!(jsonwebtoken::decode::<PushClaims>(jwt, &key, &validation).is_err());
}
