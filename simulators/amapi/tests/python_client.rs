//! Google's Python client (google-api-python-client, from the venv .ci/run
//! makes), built offline from the bundled discovery document with
//! `build_from_document`, calls every one of the 36 methods against a mock
//! on a loopback socket, the signup flow to an enrolled device included;
//! then every response is checked against the discovery schemas.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{serve_mock, JournalFilter};
use android_sim::Ownership;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;

#[tokio::test]
async fn googles_python_client_calls_every_method() {
    let (mock, token) = mock();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let server = serve_mock(mock.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/all_methods.py");
    let discovery = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/androidmanagement.v1.json");
    let base_url = server.base_url.clone();
    // The server keeps serving on this runtime while Python runs on a blocking thread.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python())
            .arg(&script)
            .arg(&discovery)
            .arg(&base_url)
            .arg(ENTERPRISE)
            .arg("d1")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let called: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(called["called"].as_array().unwrap().len(), 36, "{called}");
    assert_journal_valid(&mock);
    let answered: BTreeSet<String> = mock
        .journal(&JournalFilter::default())
        .into_iter()
        .filter(|e| e.status == 200)
        .filter_map(|e| e.route)
        .collect();
    assert_eq!(answered.len(), 36, "{answered:?}");
    server.shutdown().await.unwrap();
}
