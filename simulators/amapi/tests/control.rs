//! The control surface over HTTP (in process): registering devices,
//! connectivity, user actions, the clock, fault plans, the journal and
//! push subscriptions, with its own error answers.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn the_harness_drives_the_world_over_http() {
    let (mock, token) = mock();
    let (s, reg) = call(
        &mock,
        "POST",
        "/_lockstep/v1/devices:register",
        Some(json!({
            "enrollmentToken": token, "profile": "test-pixel-8", "ownership": "work-profile-company-owned",
            "passcode": "147036", "workPasscode": "wp2580", "deviceId": "cope"
        })),
    )
    .await;
    assert_eq!(s, 200, "{reg}");
    assert_eq!(reg["name"], "enterprises/LC00test/devices/cope");
    assert_eq!(reg["device"]["workProfileHasPasscode"], true);
    let journal = serde_json::to_string(&mock.journal(&Default::default())).unwrap();
    assert!(!journal.contains("147036") && !journal.contains("wp2580"), "control calls are not journaled");

    let dev = "/_lockstep/v1/enterprises/LC00test/devices/cope";
    let (s, v) = call(&mock, "POST", &format!("{dev}:setOnline"), Some(json!({"online": false}))).await;
    assert_eq!((s, v["online"].as_bool()), (200, Some(false)));
    let (_, op) =
        call(&mock, "POST", &format!("{}:issueCommand", device_path("cope")), Some(json!({"type":"LOCK"}))).await;
    let (_, v) = call(&mock, "GET", dev, None).await;
    assert_eq!(v["pendingCommands"], 1);
    let (s, c) = call(&mock, "POST", "/_lockstep/v1/clock:advance", Some(json!({"by": "30s"}))).await;
    assert_eq!((s, c["now"].as_str()), (200, Some("2026-01-05T09:00:30.000Z")));
    call(&mock, "POST", &format!("{dev}:setOnline"), Some(json!({"online": true}))).await;
    let (_, done) = call(&mock, "GET", &format!("/v1/{}", op["name"].as_str().unwrap()), None).await;
    assert_eq!(done["done"], true);
    // LOCK on a work profile with its own challenge locks the profile only (PLAT-7).
    let (_, v) = call(&mock, "GET", dev, None).await;
    assert_eq!((v["deviceLocked"].as_bool(), v["workProfileLocked"].as_bool()), (Some(false), Some(true)));
    let (s, e) = call(
        &mock,
        "POST",
        &format!("{dev}:enterPasscode"),
        Some(json!({"passcode": "wp2580", "holder": "work-profile"})),
    )
    .await;
    assert_eq!((s, e["entry"].as_str()), (200, Some("Unlocked")));
    let (s, _) = call(&mock, "POST", &format!("{dev}:reboot"), None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&mock, "POST", &format!("{dev}:pressPower"), None).await;
    assert_eq!(s, 200);

    // Faults.
    let plan = json!({"seed": 9, "rules": [{"route": "enterprises.devices.get", "latency": {"distribution": "fixed", "ms": 1},
                                             "error": {"status": 500, "count": 1, "message": "Requested entity was not found."}}]});
    let (s, _) = call(&mock, "PUT", "/_lockstep/v1/faults", Some(plan.clone())).await;
    assert_eq!(s, 200);
    let (_, got) = call(&mock, "GET", "/_lockstep/v1/faults", None).await;
    assert_eq!(got["rules"][0]["error"]["status"], 500);
    let (s, body) = call(&mock, "GET", &device_path("cope"), None).await;
    assert_eq!((s, body["error"]["message"].as_str()), (500, Some("Requested entity was not found.")));
    assert_eq!(call(&mock, "DELETE", "/_lockstep/v1/faults", None).await.0, 200);
    let (s, _) = call(&mock, "PUT", "/_lockstep/v1/faults", Some(json!({"rules": [{"error": {"status": 700}}]}))).await;
    assert_eq!(s, 400);

    // Journal filters.
    let (_, j) = call(&mock, "GET", "/_lockstep/v1/journal?status=500", None).await;
    assert_eq!(j["entries"].as_array().unwrap().len(), 1);
    assert!(j["entries"][0]["fault"].is_string());
    let (_, j) = call(
        &mock,
        "GET",
        "/_lockstep/v1/journal?route=androidmanagement.enterprises.devices.issueCommand&limit=5",
        None,
    )
    .await;
    assert_eq!(j["entries"][0]["requestBody"], json!({"type": "LOCK"}));
    let (_, j) =
        call(&mock, "GET", "/_lockstep/v1/journal?method=GET&pathPrefix=/v1/enterprises/LC00test/devices", None).await;
    assert!(j["entries"].as_array().unwrap().len() >= 2);
    assert_eq!(call(&mock, "GET", "/_lockstep/v1/journal?colour=red", None).await.0, 400);
    assert_eq!(call(&mock, "DELETE", "/_lockstep/v1/journal", None).await.0, 200);
    let (_, j) = call(&mock, "GET", "/_lockstep/v1/journal", None).await;
    assert_eq!(j["entries"], json!([]));

    // Subscriptions, messages, state, profiles.
    let sub =
        json!({"name": "projects/p/subscriptions/sub", "topic": TOPIC, "pushEndpoint": "http://127.0.0.1:9/push"});
    assert_eq!(call(&mock, "POST", "/_lockstep/v1/pubsub/subscriptions", Some(sub)).await.0, 200);
    let (_, subs) = call(&mock, "GET", "/_lockstep/v1/pubsub/subscriptions", None).await;
    assert_eq!(subs["subscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(
        call(&mock, "DELETE", "/_lockstep/v1/pubsub/subscriptions?name=projects/p/subscriptions/sub", None).await.0,
        200
    );
    let (_, msgs) = call(&mock, "GET", "/_lockstep/v1/pubsub/messages", None).await;
    assert!(msgs["messages"].as_array().unwrap().iter().any(|m| m["notificationType"] == "ENROLLMENT"));
    let (_, state) = call(&mock, "GET", "/_lockstep/v1/state", None).await;
    assert_eq!(state["enterprises"][0]["devices"], 1);
    let (_, p) = call(&mock, "GET", "/_lockstep/v1/profiles", None).await;
    assert_eq!(p["profiles"], json!(["test-nexus-6", "test-pixel-8"]));
    let (s, e) =
        call(&mock, "POST", "/_lockstep/v1/enterprises", Some(json!({"id": "LC00two", "bearerToken": "t2"}))).await;
    assert_eq!((s, e["name"].as_str()), (200, Some("enterprises/LC00two")));
}

#[tokio::test]
async fn control_errors_use_the_same_envelope() {
    let (mock, token) = mock();
    let cases = [
        (
            "POST",
            "/_lockstep/v1/devices:register",
            json!({"enrollmentToken": token, "profile": "nokia-3310", "ownership": "fully-managed"}),
            400,
        ),
        (
            "POST",
            "/_lockstep/v1/devices:register",
            json!({"enrollmentToken": "WRONG", "profile": "test-pixel-8", "ownership": "fully-managed"}),
            404,
        ),
        (
            "POST",
            "/_lockstep/v1/devices:register",
            json!({"enrollmentToken": token, "profile": "test-nexus-6", "ownership": "work-profile-company-owned"}),
            400,
        ),
        (
            "POST",
            "/_lockstep/v1/devices:register",
            json!({"enrollmentToken": token, "profile": "test-pixel-8", "ownership": "kiosk"}),
            400,
        ),
        (
            "POST",
            "/_lockstep/v1/devices:register",
            json!({"enrollmentToken": token, "profile": "test-pixel-8", "ownership": "fully-managed", "passcode": "12"}),
            400,
        ),
        (
            "POST",
            "/_lockstep/v1/devices:register",
            json!({"enrollmentToken": token, "profile": "test-pixel-8", "ownership": "fully-managed", "deviceId": "a/b"}),
            400,
        ),
        ("POST", "/_lockstep/v1/clock:advance", json!({"by": "soon"}), 400),
        ("POST", "/_lockstep/v1/enterprises/LC00test/devices/nope:setOnline", json!({"online": true}), 404),
        ("POST", "/_lockstep/v1/enterprises/LC00test/devices/nope:explode", json!({}), 404),
        ("GET", "/_lockstep/v2/state", json!(null), 404),
        (
            "POST",
            "/_lockstep/v1/pubsub/subscriptions",
            json!({"name": "s", "topic": "t", "pushEndpoint": "https://x"}),
            400,
        ),
        ("POST", "/_lockstep/v1/enterprises", json!({"id": "LC00test"}), 409),
    ];
    for (method, uri, body, status) in cases {
        let body = if body.is_null() { None } else { Some(body) };
        let (s, v) = call(&mock, method, uri, body).await;
        assert_eq!(s, status, "{method} {uri}: {v}");
        assert_error_envelope(s, &v);
    }
    let (s, v) =
        call_raw(&mock, "POST", "/_lockstep/v1/devices:register", "{\"passcode\": \"999999\"".into(), None).await;
    assert_eq!(s, 400);
    assert!(!v.to_string().contains("999999"), "errors do not echo passcodes: {v}");
}
