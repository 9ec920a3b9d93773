//! Google's input tolerance: bodies Google's front end accepts beyond the
//! canonical proto3 JSON form are accepted and act like their canonical
//! form; in strict mode each tolerated sloppiness is a journal finding and
//! a `Warning` header; what Google refuses stays refused.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{Mock, MockConfig};
use android_sim::Ownership;
use axum::body::Body;
use common::*;
use serde_json::{json, Value};
use tower::ServiceExt;

/// (status, Warning header, body)
async fn send(mock: &Mock, method: &str, uri: &str, body: &str) -> (u16, Option<String>, Value) {
    let req = http::Request::builder().method(method).uri(uri).body(Body::from(body.to_owned())).unwrap();
    let response = mock.router().oneshot(req).await.unwrap();
    let status = response.status().as_u16();
    let warning = response.headers().get("warning").map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, warning, serde_json::from_slice(&bytes).unwrap())
}

const SLOPPY_POLICY: &str =
    r#"{"cameraDisabled": "true", "passwordPolicies": {"passwordQuality": "NUMERIC", "passwordMinimumLength": "6"}}"#;
const SLOPPY_COMMAND: &str = r#"{"type": "RESET_PASSWORD", "newPassword": "135790", "resetPasswordFlags": "LOCK_NOW"}"#;

async fn sloppy_requests(mock: &Mock, device: &str) -> Vec<(u16, Option<String>)> {
    let policy = format!("/v1/enterprises/{ENTERPRISE}/policies/default");
    let (s1, w1, p) = send(mock, "PATCH", &policy, SLOPPY_POLICY).await;
    assert_eq!(p["cameraDisabled"], true, "{p}");
    assert_eq!(p["passwordPolicies"][0]["passwordMinimumLength"], 6, "{p}");
    let (s2, w2, op) = send(mock, "POST", &format!("/v1/{device}:issueCommand"), SLOPPY_COMMAND).await;
    assert_eq!(op["metadata"]["resetPasswordFlags"], json!(["LOCK_NOW"]), "{op}");
    vec![(s1, w1), (s2, w2)]
}

#[tokio::test]
async fn sloppy_bodies_google_accepts_act_as_their_canonical_form() {
    let (mock, token) = mock();
    let d = enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    for (status, warning) in sloppy_requests(&mock, &d).await {
        assert_eq!((status, warning), (200, None), "tolerated quietly when not strict");
    }
    let (_, _, device) = send(&mock, "GET", &format!("/v1/{d}"), "").await;
    assert_eq!(device["appliedPasswordPolicies"][0]["passwordMinimumLength"], 6, "the policy acts: {device}");
    assert!(mock.device_view(&d).unwrap().device_locked, "LOCK_NOW given as a single value acted");
    assert!(mock.journal(&Default::default()).iter().all(|e| e.findings.is_empty()));
    assert_journal_valid(&mock);
}

#[tokio::test]
async fn strict_mode_journals_and_warns_each_tolerated_sloppiness() {
    let (mock, token) = mock_with(MockConfig { profiles: profiles(), strict: true, ..Default::default() }, None);
    let d = enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let results = sloppy_requests(&mock, &d).await;
    assert!(
        results.iter().all(|(s, w)| *s == 200 && w.as_deref().is_some_and(|w| w.starts_with("199 "))),
        "{results:?}"
    );
    let rules: Vec<(String, String)> = mock
        .journal(&Default::default())
        .iter()
        .flat_map(|e| e.findings.iter().map(|f| (f.field.clone(), f.rule.clone())))
        .collect();
    let expect = [
        ("cameraDisabled", "bool-as-string"),
        ("passwordPolicies", "single-for-repeated"),
        ("passwordPolicies[0].passwordMinimumLength", "number-as-string"),
        ("resetPasswordFlags", "single-for-repeated"),
    ];
    assert_eq!(rules, expect.map(|(a, b)| (a.to_owned(), b.to_owned())));
    let journal = serde_json::to_string(&mock.journal(&Default::default())).unwrap();
    assert!(!journal.contains("135790"), "findings never carry a passcode");
    // A canonical body: no finding, no warning.
    let (s, w, _) = send(&mock, "POST", &format!("/v1/{d}:issueCommand"), r#"{"type": "LOCK"}"#).await;
    assert_eq!((s, w), (200, None));
    assert!(mock.journal(&Default::default()).last().unwrap().findings.is_empty());
}

#[tokio::test]
async fn what_google_refuses_stays_refused() {
    let (mock, token) = mock_with(MockConfig { profiles: profiles(), strict: true, ..Default::default() }, None);
    let d = enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    for body in
        [r#"{"type": "LOCK", "colour": 1}"#, r#"{"type": "SELF_DESTRUCT"}"#, r#"{"type": "LOCK", "duration": 600}"#]
    {
        let (s, _, e) = send(&mock, "POST", &format!("/v1/{d}:issueCommand"), body).await;
        assert_eq!(s, 400, "{body}: {e}");
    }
    let policy = format!("/v1/enterprises/{ENTERPRISE}/policies/default");
    let (s, _, _) = send(&mock, "PATCH", &policy, r#"{"cameraDisabled": "maybe"}"#).await;
    assert_eq!(s, 400);
}
