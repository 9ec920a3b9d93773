//! The signup flow end to end to an enrolled device (signup URL, the admin
//! completes it, the callback gets the enterpriseToken, enterprises.create,
//! a policy, an enrollment token, a device, a command), the fleet switch
//! that completes signups by itself, partial responses (`fields`) and
//! previousDeviceNames. Every response is checked against the discovery
//! document.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{serve_mock, Mock, MockConfig, Registration};
use android_sim::Ownership;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use common::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An MDM's signup callback endpoint: remembers the enterpriseTokens it got.
async fn callback_receiver() -> (Arc<Mutex<Vec<String>>>, String) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    async fn cb(State(got): State<Arc<Mutex<Vec<String>>>>, Query(q): Query<HashMap<String, String>>) -> &'static str {
        if let Some(t) = q.get("enterpriseToken") {
            got.lock().unwrap().push(t.clone());
        }
        "signed up"
    }
    let app = Router::new().route("/signup/done", get(cb)).with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (got, format!("http://{addr}/signup/done?tenant=7"))
}

async fn wait_for_token(got: &Arc<Mutex<Vec<String>>>) -> Option<String> {
    for _ in 0..500 {
        if let Some(t) = got.lock().unwrap().first() {
            return Some(t.clone());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn signup_to_an_enrolled_device() {
    let mock = Mock::new(MockConfig { profiles: profiles(), ..Default::default() });
    let server = serve_mock(mock.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (got, callback) = callback_receiver().await;
    let (s, signup) =
        call(&mock, "POST", &format!("/v1/signupUrls?projectId=p&callbackUrl={}", enc(&callback)), None).await;
    assert_eq!(s, 200, "{signup}");
    let name = signup["name"].as_str().unwrap();
    assert_eq!(
        call(&mock, "POST", &format!("/v1/enterprises?projectId=p&signupUrlName={name}&enterpriseToken=x"), None)
            .await
            .0,
        400,
        "not completed yet"
    );
    let (s, done) = call(&mock, "POST", &format!("/_lockstep/v1/{name}:complete"), None).await;
    assert_eq!(s, 200, "{done}");
    let token = wait_for_token(&got).await.expect("the callback URL got the enterpriseToken");
    assert_eq!(done["enterpriseToken"], token.as_str());
    assert!(done["callbackUrl"].as_str().unwrap().contains("tenant=7&enterpriseToken="));
    let body = json!({"enterpriseDisplayName": "Signed up", "pubsubTopic": "projects/p/topics/t",
                      "enabledNotificationTypes": ["ENROLLMENT", "COMMAND"]});
    let (s, e) = call(
        &mock,
        "POST",
        &format!("/v1/enterprises?projectId=p&signupUrlName={name}&enterpriseToken={token}"),
        Some(body),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    let e_name = e["name"].as_str().unwrap();
    let (s, _) = call(&mock, "PATCH", &format!("/v1/{e_name}/policies/default"), Some(json!({}))).await;
    assert_eq!(s, 200);
    let (s, t) =
        call(&mock, "POST", &format!("/v1/{e_name}/enrollmentTokens"), Some(json!({"policyName": "default"}))).await;
    assert_eq!(s, 200);
    let device = mock
        .register_device(
            &Registration::new(t["value"].as_str().unwrap(), "test-pixel-8", Ownership::FullyManaged)
                .passcode("147036"),
        )
        .unwrap();
    assert!(device.starts_with(e_name));
    let (s, op) = call(&mock, "POST", &format!("/v1/{device}:issueCommand"), Some(json!({"type": "LOCK"}))).await;
    assert_eq!(s, 200, "{op}");
    assert!(mock.device_view(&device).unwrap().device_locked);
    assert_journal_valid(&mock);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_fleet_switch_completes_signups_by_itself() {
    let dir = std::env::temp_dir().join(format!("amapi-signup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fleet = dir.join("auto.toml");
    std::fs::write(&fleet, "[enterprise]\nid = \"LC00auto\"\n\n[mock]\nauto_complete_signups = true\n").unwrap();
    let running = amapi_mock::serve(amapi_mock::ServeConfig {
        fleet: Some(fleet),
        profiles_dir: Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/devices")),
        ..Default::default()
    })
    .await
    .unwrap();
    let mock = running.mock().clone();
    let (got, callback) = callback_receiver().await;
    let (s, signup) =
        call(&mock, "POST", &format!("/v1/signupUrls?projectId=p&callbackUrl={}", enc(&callback)), None).await;
    assert_eq!(s, 200);
    let token = wait_for_token(&got).await.expect("completed without anyone");
    let name = signup["name"].as_str().unwrap();
    let (s, e) =
        call(&mock, "POST", &format!("/v1/enterprises?projectId=p&signupUrlName={name}&enterpriseToken={token}"), None)
            .await;
    assert_eq!(s, 200, "{e}");
    running.shutdown().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn fields_trim_answers() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    enroll(&mock, &token, "d2", "test-pixel-8", Ownership::FullyManaged, None);
    let base = format!("/v1/enterprises/{ENTERPRISE}/devices");
    let (s, list) = call(&mock, "GET", &format!("{base}?fields=devices(name,state)&pageSize=1"), None).await;
    assert_eq!(s, 200);
    assert_eq!(list, json!({"devices": [{"name": format!("enterprises/{ENTERPRISE}/devices/d1"), "state": "ACTIVE"}]}));
    let (_, d) = call(&mock, "GET", &format!("{base}/d1?fields=hardwareInfo/model,apiLevel"), None).await;
    assert_eq!(d, json!({"hardwareInfo": {"model": "Pixel 8"}, "apiLevel": 34}));
    let (s, _) = call(&mock, "GET", &format!("{base}/d1?fields=hardwareInfo(model"), None).await;
    assert_eq!(s, 400);
    let (_, full) = call(&mock, "GET", &format!("{base}/d1"), None).await;
    assert!(full.as_object().unwrap().len() > 5, "without fields, everything");
}

#[tokio::test]
async fn a_reenrolled_phone_lists_its_previous_names() {
    let (mock, token) = mock();
    let mut r = Registration::new(&token, "test-pixel-8", Ownership::FullyManaged);
    r.device_id = Some("first".into());
    r.serial = Some("SER123".into());
    let first = mock.register_device(&r).unwrap();
    assert_eq!(call(&mock, "DELETE", &format!("/v1/{first}"), None).await.0, 200);
    r.device_id = Some("second".into());
    let second = mock.register_device(&r).unwrap();
    let (_, d) = call(&mock, "GET", &format!("/v1/{second}"), None).await;
    assert_eq!(d["previousDeviceNames"], json!([first]));
    r.device_id = Some("other".into());
    r.serial = Some("SER999".into());
    let other = mock.register_device(&r).unwrap();
    let (_, d) = call(&mock, "GET", &format!("/v1/{other}"), None).await;
    assert!(d.get("previousDeviceNames").is_none(), "another phone: {d}");
    assert_journal_valid(&mock);
}
