#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

//! Which pushes are redeliveries. Pub/Sub delivers at least once, so the
//! MDM skips a message it has handled; a message is its id *and* its
//! publish time. A new AMAPI under a long-running MDM (Lockstep serves a
//! fresh mock every run) numbers its messages from 1 again, and those are
//! new messages, not redeliveries of the last run's.

mod common;

use base64::Engine as _;
use common::{Stack, ENTERPRISE};
use serde_json::{json, Value};

/// An ENROLLMENT push for device `id`, as message `message_id` published at `at`.
fn enrollment(id: &str, message_id: &str, at: &str) -> Value {
    let device = json!({"name": format!("enterprises/{ENTERPRISE}/devices/{id}"), "managementMode": "DEVICE_OWNER", "state": "ACTIVE"});
    let data = base64::engine::general_purpose::STANDARD.encode(device.to_string());
    json!({
        "message": {"attributes": {"notificationType": "ENROLLMENT"}, "data": data, "messageId": message_id, "publishTime": at},
        "subscription": "projects/lockstep/subscriptions/mdm",
    })
}

async fn listed(stack: &Stack, admin: &str) -> Vec<String> {
    let (_, page) = stack.get(admin, "/devices?page_size=1000").await;
    page["devices"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_message_id_again_with_another_publish_time_is_a_new_message() {
    let stack = Stack::start("miradore", &[]).await;
    let admin = stack.sign_in_as("site.admin@example.test", "site-admin").await;
    let push = |body: Value| {
        let (http, url) = (stack.http.clone(), stack.mdm.push_endpoint());
        async move { assert!(http.post(url).json(&body).send().await.unwrap().status().is_success()) }
    };
    push(enrollment("aaaa000000000001", "1", "2026-01-05T09:00:00.000Z")).await;
    // The next run's first message: id 1 again, published later.
    push(enrollment("bbbb000000000002", "1", "2026-01-06T09:00:00.000Z")).await;
    let devices = listed(&stack, &admin).await;
    assert!(devices.contains(&"aaaa000000000001".to_owned()), "{devices:?}");
    assert!(
        devices.contains(&"bbbb000000000002".to_owned()),
        "the new run's message 1 was taken for the old one: {devices:?}"
    );
    // The control: the same id and publish time is a redelivery, skipped
    // (here carrying another device, so that handling it would show).
    push(enrollment("cccc000000000003", "1", "2026-01-06T09:00:00.000Z")).await;
    let devices = listed(&stack, &admin).await;
    assert!(!devices.contains(&"cccc000000000003".to_owned()), "a redelivery was handled again: {devices:?}");
}
