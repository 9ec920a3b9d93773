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

#[tokio::test]
async fn finished_operations_age_out_after_the_retention() {
    let (mock, token) = mock();
    let d = enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let (_, op) =
        call(&mock, "POST", &format!("/v1/{d}:issueCommand"), Some(json!({"type": "LOCK", "duration": "60s"}))).await;
    let name = op["name"].as_str().unwrap().to_owned();
    mock.advance_clock(std::time::Duration::from_secs(60 + 24 * 3600 - 1)).unwrap();
    assert_eq!(call(&mock, "GET", &format!("/v1/{name}"), None).await.0, 200, "still within the retention");
    mock.advance_clock(std::time::Duration::from_secs(1)).unwrap();
    assert_eq!(call(&mock, "GET", &format!("/v1/{name}"), None).await.0, 404, "forgotten");
    let (_, list) = call(&mock, "GET", &format!("/v1/{d}/operations"), None).await;
    assert_eq!(list, json!({}));
}

#[tokio::test]
async fn a_device_keeps_a_bounded_number_of_operations() {
    let (mock, token) = mock();
    let d = enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let first = call(&mock, "POST", &format!("/v1/{d}:issueCommand"), Some(json!({"type": "LOCK"}))).await.1;
    for _ in 0..1000 {
        call(&mock, "POST", &format!("/v1/{d}:issueCommand"), Some(json!({"type": "LOCK"}))).await;
    }
    let first = first["name"].as_str().unwrap();
    assert_eq!(call(&mock, "GET", &format!("/v1/{first}"), None).await.0, 404, "the oldest finished one went");
    let (_, page) = call(&mock, "GET", &format!("/v1/{d}/operations?pageSize=100"), None).await;
    assert_eq!(page["operations"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn the_journal_stays_within_its_byte_budget() {
    let budget = 200_000;
    let (mock, token) =
        mock_with(MockConfig { profiles: profiles(), journal_bytes: budget, ..Default::default() }, None);
    for i in 0..50 {
        enroll(&mock, &token, &format!("d{i}"), "test-pixel-8", Ownership::FullyManaged, None);
    }
    let list = format!("/v1/enterprises/{ENTERPRISE}/devices?pageSize=100");
    for _ in 0..100 {
        assert_eq!(call(&mock, "GET", &list, None).await.0, 200);
    }
    let kept = mock.journal(&JournalFilter::default());
    let bytes: usize = kept.iter().map(|e| serde_json::to_vec(&e.response_body).unwrap().len()).sum();
    assert!(bytes <= budget, "{bytes} bytes of bodies kept");
    assert!(kept.len() < 100 && !kept.is_empty(), "{} entries", kept.len());
}

/// One plain HTTP/1.1 GET on a fresh connection: the status line.
async fn get_status_line(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn silent_connections_do_not_stop_the_server() {
    let (mock, _) = mock();
    let limits =
        amapi_mock::listen::Limits { max_connections: 32, header_read_timeout: std::time::Duration::from_millis(200) };
    let server = amapi_mock::serve_mock_with(mock, "127.0.0.1:0".parse().unwrap(), limits).await.unwrap();
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let path = format!("/v1/enterprises/{ENTERPRISE}");
    assert_eq!(get_status_line(server.addr, &path).await, "HTTP/1.1 200 OK", "served despite 300 silent peers");
    // A peer that sends half a request head is cut off too.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut half = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET /v1/enterprises HTTP/1.1\r\nhost:").await.unwrap();
    let mut buf = Vec::new();
    let guard = std::time::Duration::from_secs(60);
    let closed = tokio::time::timeout(guard, half.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the server closes a connection whose request head never completes");
    let closed = tokio::time::timeout(guard, silent[0].read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "and one that never says anything");
    assert_eq!(get_status_line(server.addr, &path).await, "HTTP/1.1 200 OK");
    drop(silent);
    server.shutdown().await.unwrap();
}
