//! Shared by the integration tests: simulated device profiles, a mock with
//! an enterprise and devices, in-process requests, and the check that every
//! response the mock sent matches the discovery document.

#![allow(dead_code, clippy::unwrap_used)]

use amapi_mock::schema::{self, Mode};
use amapi_mock::{EnterpriseSetup, JournalFilter, Mock, MockConfig, Registration};
use android_sim::{DeviceProfile, Ownership};
use axum::body::Body;
use http::Request;
use serde_json::{json, Value};
use std::path::Path;
use tower::ServiceExt;

/// Test profiles, independent of fixtures/devices.
pub(crate) fn profiles() -> Vec<DeviceProfile> {
    let pixel = r#"
manufacturer = "Google"
brand = "google"
model = "Pixel 8"
android_version = "14"
api_level = 34
build_id = "UD1A.230803.041"
security_patch = "2023-10-05"
encryption = "file-based"
ownership_modes = ["fully-managed", "dedicated", "work-profile-personal", "work-profile-company-owned", "legacy-device-admin"]
"#;
    let nexus = r#"
manufacturer = "motorola"
brand = "google"
model = "Nexus 6"
android_version = "5.0"
api_level = 21
build_id = "LRX21O"
security_patch = "2014-11-01"
encryption = "full-disk"
ownership_modes = ["fully-managed", "dedicated", "work-profile-personal", "legacy-device-admin"]
"#;
    vec![
        DeviceProfile::parse(Path::new("test-pixel-8.toml"), pixel).unwrap(),
        DeviceProfile::parse(Path::new("test-nexus-6.toml"), nexus).unwrap(),
    ]
}

pub(crate) const ENTERPRISE: &str = "LC00test";

/// The repository's app catalogue fixture.
pub(crate) fn catalogue_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/apps/catalogue.json")
}
pub(crate) const TOPIC: &str = "projects/lockstep/topics/test";

/// A mock on a virtual clock with enterprise LC00test (pubsub on), policy
/// `default` (no password rules) and an enrollment token; returns the
/// token value too.
pub(crate) fn mock() -> (Mock, String) {
    mock_with(MockConfig { profiles: profiles(), seed: 7, ..Default::default() }, None)
}

pub(crate) fn mock_with(config: MockConfig, bearer: Option<&str>) -> (Mock, String) {
    let mock = Mock::new(config);
    mock.create_enterprise(EnterpriseSetup {
        id: ENTERPRISE.into(),
        display_name: Some("Test".into()),
        bearer_token: bearer.map(str::to_owned),
        pubsub_topic: Some(TOPIC.into()),
        notification_types: vec!["ENROLLMENT".into(), "STATUS_REPORT".into(), "COMMAND".into()],
    })
    .unwrap();
    mock.put_policy(ENTERPRISE, "default", json!({})).unwrap();
    mock.load_catalogue(&catalogue_path()).unwrap();
    let token = mock.create_enrollment_token(ENTERPRISE, json!({"duration": "86400s"})).unwrap();
    (mock, token["value"].as_str().unwrap().to_owned())
}

/// Enroll a device with an explicit id.
pub(crate) fn enroll(
    mock: &Mock,
    token: &str,
    id: &str,
    profile: &str,
    ownership: Ownership,
    passcode: Option<&str>,
) -> String {
    let mut r = Registration::new(token, profile, ownership);
    r.device_id = Some(id.into());
    if let Some(p) = passcode {
        r = r.passcode(p);
    }
    mock.register_device(&r).unwrap()
}

/// One in-process request: (status, JSON body).
pub(crate) async fn call(mock: &Mock, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
    call_raw(mock, method, uri, body.map(|b| b.to_string()).unwrap_or_default(), None).await
}

pub(crate) async fn call_raw(mock: &Mock, method: &str, uri: &str, body: String, bearer: Option<&str>) -> (u16, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    let response = mock.router().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    assert_eq!(
        response.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json; charset=UTF-8"),
        "{method} {uri}"
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let value: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{method} {uri}: not JSON ({e})"));
    (status, value)
}

/// The response schema of a discovery method id.
fn response_schema(route: &str) -> Option<&'static str> {
    fn find(node: &'static Value, id: &str) -> Option<&'static str> {
        for m in node.get("methods").and_then(Value::as_object).into_iter().flat_map(|m| m.values()) {
            if m.get("id").and_then(Value::as_str) == Some(id) {
                return m.get("response").and_then(|r| r.get("$ref")).and_then(Value::as_str);
            }
        }
        node.get("resources").and_then(Value::as_object)?.values().find_map(|r| find(r, id))
    }
    find(schema::discovery(), route)
}

/// Check a Google JSON error envelope.
pub(crate) fn assert_error_envelope(status: u16, body: &Value) {
    let e = &body["error"];
    assert_eq!(e["code"].as_u64(), Some(u64::from(status)), "{body}");
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    let names = [
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "UNAUTHENTICATED",
    ];
    assert!(e["status"].as_str().is_some_and(|s| names.contains(&s)), "{body}");
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert!(keys.iter().all(|k| ["code", "message", "status", "details"].contains(&k.as_str())), "{body}");
    for d in e.get("details").and_then(Value::as_array).into_iter().flatten() {
        assert!(d["@type"].as_str().is_some_and(|t| t.starts_with("type.googleapis.com/")), "{body}");
    }
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
}

/// Every AMAPI response in the journal matches its schema (success) or is
/// a Google error envelope. Returns how many were checked.
pub(crate) fn assert_journal_valid(mock: &Mock) -> usize {
    let entries = mock.journal(&JournalFilter::default());
    for e in &entries {
        let body = e.response_body.clone().unwrap_or(Value::Null);
        if e.status == 200 {
            let route = e.route.as_deref().unwrap_or_else(|| panic!("200 without a route: {e:?}"));
            let schema_name = response_schema(route).unwrap_or_else(|| panic!("no response schema for {route}"));
            let violations = schema::validate_all(schema_name, &body, Mode::Response);
            assert!(violations.is_empty(), "{} {} -> {schema_name}: {violations:?}\n{body:#}", e.method, e.path);
        } else {
            assert_error_envelope(e.status, &body);
        }
    }
    entries.len()
}

pub(crate) fn device_path(id: &str) -> String {
    format!("/v1/enterprises/{ENTERPRISE}/devices/{id}")
}

/// LOCKSTEP_PYTHON, else the repository's .venv.
pub(crate) fn python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("LOCKSTEP_PYTHON") {
        return std::path::PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python for this test: set LOCKSTEP_PYTHON, or create the venv with \
         `python3 -m venv .venv && .venv/bin/pip install -r .ci/requirements.txt` at the repository root"
    );
    venv
}
