//! Authenticated push: the AMAPI mock signs each push with an ID token
//! (its push subscription has an `oidcToken`), and the reference MDM,
//! configured with the mock's JWKS and the audience, accepts only pushes
//! that carry a valid one. A forged COMMAND message (no token, a token of
//! the wrong algorithm, a bad signature, the wrong audience) is refused and
//! cannot complete an action; the same forgery against an MDM that does
//! not verify completes it (the negative control).

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{OidcToken, PushSubscription};
use android_sim::Ownership;
use base64::Engine as _;
use common::*;
use mail_sink::MailSink;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const AUDIENCE: &str = "https://mdm.lockstep.test/amapi/pubsub";
const ACCOUNT: &str = "amapi-push@lockstep.iam.gserviceaccount.com";

async fn stack(verify: bool) -> Stack {
    let amapi = amapi_mock::serve_mock(new_mock(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mail = MailSink::start().await.unwrap();
    let mut config = mdm_config(&amapi.base_url, "miradore", amapi.mock().clock());
    config.smtp = Some(mail.addr().to_string());
    if verify {
        config.push_auth = Some(reference_mdm::PushAuth {
            jwks_url: format!("{}_lockstep/v1/pubsub/jwks", amapi.base_url),
            audience: AUDIENCE.into(),
            service_account: Some(ACCOUNT.into()),
        });
    }
    let mdm = reference_mdm::serve(config).await.unwrap();
    amapi
        .mock()
        .subscribe(PushSubscription {
            name: "projects/lockstep/subscriptions/mdm".into(),
            topic: TOPIC.into(),
            push_endpoint: format!("{}{}", mdm.base_url, reference_mdm::PUSH_PATH),
            oidc_token: Some(OidcToken { service_account_email: ACCOUNT.into(), audience: AUDIENCE.into() }),
        })
        .unwrap();
    Stack { amapi, mdm, mail, http: reqwest::Client::new() }
}

/// Enroll a device, take it offline and ask the MDM to lock it: the action
/// is sent and stays open. Returns (admin token, action id, operation name).
async fn open_lock(stack: &Stack) -> (String, String, String) {
    let admin = stack.sign_in_as("admin@lockstep.test", "admin").await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", "user@lockstep.test")).await;
    stack.mock().set_online(&stack.device_name(&id), false).unwrap();
    let (s, v) = stack.post(&admin, &format!("/devices/{id}/lock"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let action = v["action_id"].as_str().unwrap().to_owned();
    let filter = amapi_mock::JournalFilter {
        route: Some("androidmanagement.enterprises.devices.issueCommand".into()),
        status: Some(200),
        ..Default::default()
    };
    for _ in 0..1000 {
        if let Some(e) = stack.mock().journal(&filter).into_iter().next() {
            let op = e.response_body.unwrap()["name"].as_str().unwrap().to_owned();
            return (admin, action, op);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the MDM never issued the lock");
}

/// A COMMAND push saying the lock finished, which AMAPI never published.
fn forged_envelope(operation: &str) -> Value {
    let op = json!({"name": operation, "done": true, "metadata": {"@type": "type.googleapis.com/google.android.devicemanagement.v1.Command", "type": "LOCK"}, "response": {}});
    let data = base64::engine::general_purpose::STANDARD.encode(op.to_string());
    json!({
        "message": {"attributes": {"notificationType": "COMMAND"}, "data": data, "messageId": "forged-1", "publishTime": "2026-01-05T09:00:00.000Z"},
        "subscription": "projects/lockstep/subscriptions/mdm",
    })
}

async fn push(stack: &Stack, bearer: Option<&str>, body: &Value) -> StatusCode {
    let mut req = stack.http.post(format!("{}{}", stack.mdm.base_url, reference_mdm::PUSH_PATH)).json(body);
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    req.send().await.unwrap().status()
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

async fn action_status(stack: &Stack, admin: &str, action: &str) -> String {
    let (s, v) = stack.get(admin, &format!("/actions/{action}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_forged_command_push_cannot_complete_an_action() {
    let stack = stack(true).await;
    let (admin, action, operation) = open_lock(&stack).await;
    // Genuine pushes get through: the signed ENROLLMENT is acknowledged
    // (waited for: the first push waits for the mock's signing key).
    let mut enrollment = None;
    for _ in 0..1500 {
        enrollment = stack.mock().published_messages().into_iter().find(|m| m.notification_type == "ENROLLMENT");
        if enrollment.as_ref().is_some_and(|m| m.attempts.iter().any(|a| a.acked)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let enrollment = enrollment.unwrap();
    assert!(enrollment.attempts.iter().any(|a| a.acked && a.status == Some(204)), "{enrollment:?}");
    assert_eq!(action_status(&stack, &admin, &action).await, "sent");

    let forged = forged_envelope(&operation);
    let kid = stack.mock().push_jwks().keys[0].common.key_id.clone().unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": "https://accounts.google.com", "aud": AUDIENCE, "email": ACCOUNT, "email_verified": true, "iat": now, "exp": now + 3600});
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header { kid: Some(kid.clone()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) },
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"guessed"),
    )
    .unwrap();
    let bad_signature = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "RS256", "kid": kid, "typ": "JWT"})),
        b64(&claims),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 256])
    );
    assert_eq!(push(&stack, None, &forged).await, StatusCode::UNAUTHORIZED, "no token");
    assert_eq!(push(&stack, Some("not-a-jwt"), &forged).await, StatusCode::UNAUTHORIZED);
    assert_eq!(push(&stack, Some(&hs256), &forged).await, StatusCode::UNAUTHORIZED, "HS256 with the key id");
    assert_eq!(push(&stack, Some(&bad_signature), &forged).await, StatusCode::UNAUTHORIZED, "a bad signature");
    // Each refusal answered only after the handler finished: the action is
    // as it was, and the forged message id was not recorded as handled.
    assert_eq!(action_status(&stack, &admin, &action).await, "sent");
    assert!(!stack.mdm.mdm.store().push_seen("forged-1").unwrap());
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let stack = stack(true).await;
    stack
        .mock()
        .subscribe(PushSubscription {
            name: "projects/lockstep/subscriptions/elsewhere".into(),
            topic: TOPIC.into(),
            push_endpoint: format!("{}{}", stack.mdm.base_url, reference_mdm::PUSH_PATH),
            oidc_token: Some(OidcToken {
                service_account_email: ACCOUNT.into(),
                audience: "https://elsewhere.test".into(),
            }),
        })
        .unwrap();
    let admin = stack.sign_in_as("admin@lockstep.test", "admin").await;
    stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", "user@lockstep.test")).await;
    let mut attempts = Vec::new();
    for _ in 0..1000 {
        attempts = stack.mock().published_messages().into_iter().flat_map(|m| m.attempts).collect::<Vec<_>>();
        if attempts.iter().any(|a| a.subscription.ends_with("/elsewhere"))
            && attempts.iter().any(|a| a.subscription.ends_with("/mdm") && a.acked)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elsewhere: Vec<_> = attempts.iter().filter(|a| a.subscription.ends_with("/elsewhere")).collect();
    assert!(!elsewhere.is_empty() && elsewhere.iter().all(|a| a.status == Some(401) && !a.acked), "{attempts:?}");
    assert!(attempts.iter().any(|a| a.subscription.ends_with("/mdm") && a.status == Some(204)), "{attempts:?}");
}

#[tokio::test]
async fn without_verification_the_forgery_completes_the_action() {
    // The negative control: the check above can fail.
    let stack = stack(false).await;
    let (admin, action, operation) = open_lock(&stack).await;
    assert_eq!(push(&stack, None, &forged_envelope(&operation)).await, StatusCode::NO_CONTENT);
    assert_ne!(action_status(&stack, &admin, &action).await, "sent", "the forged COMMAND finished the action");
}
