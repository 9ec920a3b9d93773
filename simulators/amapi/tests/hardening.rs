//! Hardening: no passcode value of any JSON type in an error or the
//! journal, a bearer token opens one enterprise, the journal is bounded by
//! bytes, finished operations age out, and silent connections do not stop
//! the server.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{EnterpriseSetup, JournalFilter, MockConfig};
use android_sim::Ownership;
use common::*;
use serde_json::json;

#[tokio::test]
async fn no_passcode_value_of_any_type_leaks() {
    let (mock, token) = mock();
    let d = enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    let uri = format!("/v1/{d}:issueCommand");
    let secrets = ["918273", "918273.5", "[918273]", "{\"x\": 918273}", "true"];
    for s in secrets {
        let body = format!(r#"{{"type": "RESET_PASSWORD", "newPassword": {s}}}"#);
        let (status, answer) = call_raw(&mock, "POST", &uri, body, None).await;
        assert_eq!(status, 400, "{s}: {answer}");
        assert!(!answer.to_string().contains("918273"), "{answer}");
    }
    let register = format!(
        r#"{{"enrollmentToken": "{token}", "profile": "test-pixel-8", "ownership": "fully-managed", "passcode": 918273}}"#
    );
    let (status, answer) = call_raw(&mock, "POST", "/_lockstep/v1/devices:register", register, None).await;
    assert_eq!(status, 400);
    assert!(!answer.to_string().contains("918273"), "{answer}");
    let (status, answer) =
        call_raw(&mock, "POST", &format!("/_lockstep/v1/{d}:enterPasscode"), r#"{"passcode": 918273}"#.into(), None)
            .await;
    assert_eq!(status, 400);
    assert!(!answer.to_string().contains("918273"), "{answer}");
    let journal = serde_json::to_string(&mock.journal(&JournalFilter::default())).unwrap();
    assert!(!journal.contains("918273"), "{journal}");
    // The negative control: another field's value is quoted.
    let (_, answer) = call_raw(&mock, "POST", &uri, r#"{"type": "LOCK", "duration": 918273}"#.into(), None).await;
    assert!(answer.to_string().contains("918273"), "{answer}");
}

#[tokio::test]
async fn a_bearer_token_belongs_to_one_enterprise() {
    let (mock, _) = mock_with(MockConfig { profiles: profiles(), ..Default::default() }, Some("tok-a"));
    let second = EnterpriseSetup { id: "LC00other".into(), bearer_token: Some("tok-a".into()), ..Default::default() };
    let e = mock.create_enterprise(second).unwrap_err();
    assert_eq!(e.status, 409);
    assert!(!e.message.contains("tok-a"), "{e}");
    let third = EnterpriseSetup { id: "LC00third".into(), bearer_token: Some("tok-b".into()), ..Default::default() };
    assert!(mock.create_enterprise(third).is_ok());
    let (s, _) =
        call(&mock, "POST", "/_lockstep/v1/enterprises", Some(json!({"id": "LC00four", "bearerToken": "tok-b"}))).await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn the_clock_refuses_to_wrap_on_the_control_surface() {
    let (mock, _) = mock();
    let before = mock.now();
    let (s, body) = call(&mock, "POST", "/_lockstep/v1/clock:advance", Some(json!({"by": "9223372036854775s"}))).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(mock.now(), before);
}
