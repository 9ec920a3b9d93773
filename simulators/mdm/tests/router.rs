#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

//! The router in process (tower `oneshot`, no socket): what needs no AMAPI.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use reference_mdm::{router, Mdm, RetryPolicy, ServeConfig, VendorSource};
use serde_json::Value;
use std::time::Duration;
use tower::ServiceExt;

async fn app(vendor: &str) -> axum::Router {
    // Nothing listens there: start-up tolerates it (notifications stay off).
    let mut c = ServeConfig::new("http://127.0.0.1:9");
    c.enterprise = Some("LCoffline".into());
    c.vendor = VendorSource::Builtin(vendor.into());
    c.retry =
        RetryPolicy { max_attempts: 1, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(1) };
    router(Mdm::open(&c).await.unwrap())
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn post(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri).header("content-type", "application/json").body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn about_sessions_and_errors_in_process() {
    let app = app("intune").await;
    let (s, about) = send(&app, Request::get("/lockstep/v1/about").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(about["passcode"]["alphabet"], "letters-and-digits");
    assert_eq!(about["virtual_clock"], false);

    let (s, e) = send(&app, post("/lockstep/v1/clock:advance", r#"{"seconds": 5}"#)).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("CLOCK_NOT_VIRTUAL")));

    let (s, _) = send(
        &app,
        post("/lockstep/v1/accounts", r#"{"email":"h@x.test","name":"H","role":"helpdesk","password":"pw"}"#),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = send(&app, post("/lockstep/v1/sessions", r#"{"email":"h@x.test","password":"nope"}"#)).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED")));
    let (s, session) = send(&app, post("/lockstep/v1/sessions", r#"{"email":"h@x.test","password":"pw"}"#)).await;
    assert_eq!(s, StatusCode::CREATED);
    let token = session["token"].as_str().unwrap();

    let with_token = |req: Request<Body>| {
        let (mut parts, body) = req.into_parts();
        parts.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        Request::from_parts(parts, body)
    };
    let (s, e) = send(
        &app,
        with_token(post("/lockstep/v1/enrollments", r#"{"ownership":"dedicated","user_email":"u@x.test"}"#)),
    )
    .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("FORBIDDEN")));
    let (s, e) =
        send(&app, with_token(Request::get("/lockstep/v1/actions?status=lost").body(Body::empty()).unwrap())).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_ARGUMENT")));
    let (s, e) = send(&app, with_token(Request::get("/lockstep/v1/portal/devices").body(Body::empty()).unwrap())).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (s, e) = send(&app, Request::get("/lockstep/v1/nowhere").body(Body::empty()).unwrap()).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("NOT_FOUND")));

    let (s, _) =
        send(&app, with_token(Request::delete("/lockstep/v1/sessions/current").body(Body::empty()).unwrap())).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send(&app, with_token(Request::get("/lockstep/v1/devices").body(Body::empty()).unwrap())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_product_without_a_portal_says_so() {
    let app = app("miradore").await;
    send(&app, post("/lockstep/v1/accounts", r#"{"email":"u@x.test","name":"U","role":"end-user"}"#)).await;
    let (_, session) = send(&app, post("/lockstep/v1/sessions", r#"{"email":"u@x.test"}"#)).await;
    let req = Request::get("/lockstep/v1/portal/devices")
        .header("authorization", format!("Bearer {}", session["token"].as_str().unwrap()))
        .body(Body::empty())
        .unwrap();
    let (s, e) = send(&app, req).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("NOT_OFFERED")));
}
