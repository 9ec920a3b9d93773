//! Pub/Sub pull, as MDMs consume AMAPI notifications: Google's Python
//! client (google-cloud-pubsub, through PUBSUB_EMULATOR_HOST), a tonic
//! gRPC client built from the same generated protos, and the REST API each
//! create a subscription on the enterprise's topic, pull, acknowledge, and
//! see a message they did not acknowledge come back after its deadline.
//! Notification faults apply to pulled messages as to pushed ones. Waits
//! are bounded by generous deadlines; nothing asserts how long anything took.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{Effect, Fault, FaultPlan, RunningPubSub, SubscriptionConfig};
use android_sim::Ownership;
use axum::body::Body;
use common::*;
use googleapis_tonic_google_pubsub_v1::google::pubsub::v1 as pb;
use pb::publisher_client::PublisherClient;
use pb::subscriber_client::SubscriberClient;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;
use tower::ServiceExt;

const SUB: &str = "projects/lockstep/subscriptions/mdm-pull";

async fn emulator(mock: &amapi_mock::Mock) -> RunningPubSub {
    amapi_mock::pubsub::serve(mock, "127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap()
}

/// Produce ENROLLMENT, STATUS_REPORT (the device comes back online) and
/// COMMAND (a lock) for device d1; returns the published messageIds.
async fn amapi_events(mock: &amapi_mock::Mock, token: &str) -> Vec<String> {
    enroll(mock, token, "d1", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let name = format!("enterprises/{ENTERPRISE}/devices/d1");
    mock.set_online(&name, false).unwrap();
    mock.set_online(&name, true).unwrap();
    let (status, _) =
        call(mock, "POST", &format!("{}:issueCommand", device_path("d1")), Some(json!({"type": "LOCK"}))).await;
    assert_eq!(status, 200);
    let published = mock.published_messages();
    let types: BTreeSet<&str> = published.iter().map(|m| m.notification_type.as_str()).collect();
    assert_eq!(types, BTreeSet::from(["ENROLLMENT", "STATUS_REPORT", "COMMAND"]), "{published:?}");
    published.into_iter().map(|m| m.message_id).collect()
}

// ----- Google's Python client ---------------------------------------------------

fn run_python(host: &str, args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/pubsub_pull.py");
    let out = std::process::Command::new(python())
        .arg(&script)
        .args(args)
        .env("PUBSUB_EMULATOR_HOST", host)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{args:?}\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

async fn python_step(host: &str, args: &[&str]) -> Value {
    let (host, args): (String, Vec<String>) = (host.to_owned(), args.iter().map(|a| (*a).to_owned()).collect());
    // The emulator keeps serving on this runtime while Python runs on a blocking thread.
    tokio::task::spawn_blocking(move || run_python(&host, &args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

fn ids(v: &Value) -> BTreeSet<String> {
    v["messages"].as_array().unwrap().iter().map(|m| m["messageId"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn googles_python_client_pulls_amapi_notifications() {
    let (mock, token) = mock();
    let pubsub = emulator(&mock).await;
    let stream_sub = "projects/lockstep/subscriptions/mdm-stream";
    let setup = python_step(&pubsub.emulator_host, &["setup", TOPIC, SUB, stream_sub]).await;
    assert_eq!(setup["subscriptions"], json!([SUB, stream_sub]));
    let published = amapi_events(&mock, &token).await;
    let n = published.len().to_string();
    let expected: BTreeSet<String> = published.into_iter().collect();

    let pulled = python_step(&pubsub.emulator_host, &["pull", SUB, &n]).await;
    assert_eq!(ids(&pulled), expected, "{pulled}");
    let types: BTreeSet<&str> =
        pulled["messages"].as_array().unwrap().iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(types, BTreeSet::from(["ENROLLMENT", "STATUS_REPORT", "COMMAND"]));
    for m in pulled["messages"].as_array().unwrap() {
        assert!(m["name"].as_str().unwrap().starts_with(&format!("enterprises/{ENTERPRISE}/devices/d1")), "{m}");
    }
    assert!(expected.contains(pulled["redelivered"].as_str().unwrap()));

    let streamed = python_step(&pubsub.emulator_host, &["stream", stream_sub, &n]).await;
    assert_eq!(ids(&streamed), expected, "{streamed}");
    let first = streamed["messages"][0]["messageId"].as_str().unwrap();
    assert!(streamed["deliveries"][first].as_u64().unwrap() >= 2, "the nacked message came back: {streamed}");
    pubsub.shutdown().await.unwrap();
}

// ----- a tonic gRPC client ------------------------------------------------------

async fn clients(
    host: &str,
) -> (PublisherClient<tonic::transport::Channel>, SubscriberClient<tonic::transport::Channel>) {
    let channel = tonic::transport::Channel::from_shared(format!("http://{host}")).unwrap().connect().await.unwrap();
    (PublisherClient::new(channel.clone()), SubscriberClient::new(channel))
}

async fn pull_n(
    sub: &mut SubscriberClient<tonic::transport::Channel>,
    name: &str,
    n: usize,
) -> Vec<pb::ReceivedMessage> {
    let mut got = Vec::new();
    for _ in 0..20 {
        if got.len() >= n {
            break;
        }
        let r = sub
            .pull(pb::PullRequest { subscription: name.into(), max_messages: 10, ..Default::default() })
            .await
            .unwrap();
        got.extend(r.into_inner().received_messages);
    }
    got
}

fn device_or_operation(m: &pb::ReceivedMessage) -> Value {
    let m = m.message.as_ref().unwrap();
    let data: Value = serde_json::from_slice(&m.data).unwrap();
    let schema = if m.attributes["notificationType"] == "COMMAND" { "Operation" } else { "Device" };
    assert!(amapi_mock::schema::validate(schema, &data, amapi_mock::schema::Mode::Response).is_ok(), "{data}");
    data
}

#[tokio::test]
async fn a_tonic_client_pulls_acks_and_sees_redelivery_after_the_deadline() {
    let (mock, token) = mock();
    let pubsub = emulator(&mock).await;
    let (mut publisher, mut sub) = clients(&pubsub.emulator_host).await;
    publisher.create_topic(pb::Topic { name: TOPIC.into(), ..Default::default() }).await.unwrap();
    let created = sub
        .create_subscription(pb::Subscription { name: SUB.into(), topic: TOPIC.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.ack_deadline_seconds, 10, "0 means Pub/Sub's default");
    let published = amapi_events(&mock, &token).await;
    let got = pull_n(&mut sub, SUB, published.len()).await;
    let got_ids: Vec<String> = got.iter().map(|r| r.message.as_ref().unwrap().message_id.clone()).collect();
    assert_eq!(got_ids.iter().collect::<BTreeSet<_>>(), published.iter().collect::<BTreeSet<_>>());
    for r in &got {
        device_or_operation(r);
        let time = r.message.as_ref().unwrap().publish_time.unwrap();
        assert_eq!(time.seconds * 1000 + i64::from(time.nanos / 1_000_000), mock.now().as_unix_millis());
    }
    // Ack all but the first; lease the first for one second more only.
    let (first, rest) = got.split_first().unwrap();
    sub.acknowledge(pb::AcknowledgeRequest {
        subscription: SUB.into(),
        ack_ids: rest.iter().map(|r| r.ack_id.clone()).collect(),
    })
    .await
    .unwrap();
    sub.modify_ack_deadline(pb::ModifyAckDeadlineRequest {
        subscription: SUB.into(),
        ack_ids: vec![first.ack_id.clone()],
        ack_deadline_seconds: 1,
    })
    .await
    .unwrap();
    let again = pull_n(&mut sub, SUB, 1).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message.as_ref().unwrap().message_id, first.message.as_ref().unwrap().message_id);
    assert_ne!(again[0].ack_id, first.ack_id);
    // Acking the lapsed ackId does nothing; the new one finishes the message.
    sub.acknowledge(pb::AcknowledgeRequest { subscription: SUB.into(), ack_ids: vec![first.ack_id.clone()] })
        .await
        .unwrap();
    sub.acknowledge(pb::AcknowledgeRequest { subscription: SUB.into(), ack_ids: vec![again[0].ack_id.clone()] })
        .await
        .unwrap();
    #[allow(deprecated)]
    let empty = sub
        .pull(pb::PullRequest { subscription: SUB.into(), max_messages: 10, return_immediately: true })
        .await
        .unwrap()
        .into_inner();
    assert!(empty.received_messages.is_empty(), "{empty:?}");
    pubsub.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_tonic_streaming_pull_acks_in_the_stream_and_honours_max_outstanding() {
    let (mock, token) = mock();
    let pubsub = emulator(&mock).await;
    let (mut publisher, mut sub) = clients(&pubsub.emulator_host).await;
    publisher.create_topic(pb::Topic { name: TOPIC.into(), ..Default::default() }).await.unwrap();
    sub.create_subscription(pb::Subscription { name: SUB.into(), topic: TOPIC.into(), ..Default::default() })
        .await
        .unwrap();
    let published = amapi_events(&mock, &token).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::StreamingPullRequest>(8);
    tx.send(pb::StreamingPullRequest {
        subscription: SUB.into(),
        stream_ack_deadline_seconds: 60,
        max_outstanding_messages: 1,
        ..Default::default()
    })
    .await
    .unwrap();
    let requests = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let mut responses = sub.streaming_pull(requests).await.unwrap().into_inner();
    let mut seen = Vec::new();
    while seen.len() < published.len() {
        let r = tokio::time::timeout(Duration::from_secs(30), responses.message()).await.unwrap().unwrap().unwrap();
        assert_eq!(r.received_messages.len(), 1, "one outstanding message at a time");
        let m = &r.received_messages[0];
        seen.push(m.message.as_ref().unwrap().message_id.clone());
        device_or_operation(m);
        tx.send(pb::StreamingPullRequest { ack_ids: vec![m.ack_id.clone()], ..Default::default() }).await.unwrap();
    }
    assert_eq!(seen, published, "one subscriber, no faults: publication order");
    drop(tx);
    assert!(tokio::time::timeout(Duration::from_secs(30), responses.message()).await.unwrap().unwrap().is_none());
    pubsub.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_grpc_api_answers_pubsub_errors() {
    let (mock, _) = mock();
    let pubsub = emulator(&mock).await;
    let (mut publisher, mut sub) = clients(&pubsub.emulator_host).await;
    let missing = sub
        .create_subscription(pb::Subscription { name: SUB.into(), topic: TOPIC.into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound, "the topic must exist first");
    publisher.create_topic(pb::Topic { name: TOPIC.into(), ..Default::default() }).await.unwrap();
    let twice = publisher.create_topic(pb::Topic { name: TOPIC.into(), ..Default::default() }).await.unwrap_err();
    assert_eq!(twice.code(), tonic::Code::AlreadyExists);
    let bad = sub
        .create_subscription(pb::Subscription {
            name: SUB.into(),
            topic: TOPIC.into(),
            ack_deadline_seconds: 601,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    let filtered = sub
        .create_subscription(pb::Subscription {
            name: SUB.into(),
            topic: TOPIC.into(),
            filter: "attributes.x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(filtered.code(), tonic::Code::Unimplemented);
    let not_there = sub
        .pull(pb::PullRequest { subscription: SUB.into(), max_messages: 1, ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(not_there.code(), tonic::Code::NotFound);
    let other =
        sub.get_snapshot(pb::GetSnapshotRequest { snapshot: "projects/p/snapshots/s".into() }).await.unwrap_err();
    assert_eq!(other.code(), tonic::Code::Unimplemented);
    pubsub.shutdown().await.unwrap();
}

// ----- REST -----------------------------------------------------------------------

async fn rest(mock: &amapi_mock::Mock, method: &str, path: &str, body: Value) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(format!("/v1/{path}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = mock.pubsub_router().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn rest_pull_acknowledge_and_modify_ack_deadline() {
    let (mock, token) = mock();
    let topic = TOPIC;
    let (s, t) = rest(&mock, "PUT", topic, json!({})).await;
    assert_eq!((s, &t), (200, &json!({"name": topic})));
    let (s, created) = rest(&mock, "PUT", SUB, json!({"topic": topic, "ackDeadlineSeconds": 20})).await;
    assert_eq!(s, 200, "{created}");
    assert_eq!(created["ackDeadlineSeconds"], 20);
    let (s, e) = rest(&mock, "PUT", SUB, json!({"topic": topic})).await;
    assert_eq!(s, 409);
    assert_error_envelope(s, &e);
    let (s, e) =
        rest(&mock, "PUT", "projects/lockstep/subscriptions/other", json!({"topic": topic, "colour": "red"})).await;
    assert_eq!(s, 400, "unknown fields are refused: {e}");
    let published = amapi_events(&mock, &token).await;
    let (s, pulled) = rest(&mock, "POST", &format!("{SUB}:pull"), json!({"maxMessages": 100})).await;
    assert_eq!(s, 200);
    let received = pulled["receivedMessages"].as_array().unwrap();
    assert_eq!(received.len(), published.len());
    for r in received {
        use base64::Engine as _;
        let data = base64::engine::general_purpose::STANDARD.decode(r["message"]["data"].as_str().unwrap()).unwrap();
        let data: Value = serde_json::from_slice(&data).unwrap();
        assert!(data["name"].as_str().unwrap().contains("/devices/d1"), "{data}");
        assert_eq!(r["message"]["publishTime"], mock.now().rfc3339());
        assert!(r["message"]["attributes"]["notificationType"].is_string());
    }
    let ack_ids: Vec<&str> = received.iter().map(|r| r["ackId"].as_str().unwrap()).collect();
    // Nack the first (deadline 0): at once pullable again; ack the others.
    let (s, _) = rest(
        &mock,
        "POST",
        &format!("{SUB}:modifyAckDeadline"),
        json!({"ackIds": [ack_ids[0]], "ackDeadlineSeconds": 0}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = rest(&mock, "POST", &format!("{SUB}:acknowledge"), json!({"ackIds": ack_ids[1..]})).await;
    assert_eq!(s, 200);
    let (_, again) =
        rest(&mock, "POST", &format!("{SUB}:pull"), json!({"maxMessages": 100, "returnImmediately": true})).await;
    let again = again["receivedMessages"].as_array().unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["message"]["messageId"], received[0]["message"]["messageId"]);
    let (s, _) = rest(&mock, "POST", &format!("{SUB}:acknowledge"), json!({"ackIds": [again[0]["ackId"]]})).await;
    assert_eq!(s, 200);
    let (_, empty) =
        rest(&mock, "POST", &format!("{SUB}:pull"), json!({"maxMessages": 100, "returnImmediately": true})).await;
    assert_eq!(empty, json!({}));
    let (s, e) =
        rest(&mock, "POST", &format!("{SUB}:modifyAckDeadline"), json!({"ackIds": ["x"], "ackDeadlineSeconds": 601}))
            .await;
    assert_eq!(s, 400, "{e}");
    let (s, _) = rest(&mock, "DELETE", SUB, json!({})).await;
    assert_eq!(s, 200);
    let (s, e) = rest(&mock, "POST", &format!("{SUB}:pull"), json!({"maxMessages": 1})).await;
    assert_eq!(s, 404);
    assert_error_envelope(s, &e);
}

// ----- fan-out and faults ---------------------------------------------------------

/// A pull that does not wait: (messageId, notificationType) of each message.
async fn pull_now(mock: &amapi_mock::Mock) -> Vec<(String, String)> {
    let (_, got) =
        rest(mock, "POST", &format!("{SUB}:pull"), json!({"maxMessages": 100, "returnImmediately": true})).await;
    let received = got["receivedMessages"].as_array().cloned().unwrap_or_default();
    received
        .iter()
        .map(|r| {
            let m = &r["message"];
            (
                m["messageId"].as_str().unwrap().to_owned(),
                m["attributes"]["notificationType"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn notification_faults_apply_to_pulled_messages() {
    let (mock, token) = mock();
    mock.create_topic(TOPIC).unwrap();
    mock.create_subscription(SubscriptionConfig::pull(SUB, TOPIC)).unwrap();
    let plan: FaultPlan = serde_json::from_value(json!({"seed": 1, "notifications": [
        {"notificationType": "ENROLLMENT", "action": "drop", "count": 1},
        {"notificationType": "COMMAND", "action": "duplicate", "count": 1}
    ]}))
    .unwrap();
    mock.set_fault_plan(plan).unwrap();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    call(&mock, "POST", &format!("{}:issueCommand", device_path("d1")), Some(json!({"type": "LOCK"}))).await;
    let log = mock.published_messages();
    let got = pull_now(&mock).await;
    let commands: Vec<&(String, String)> = got.iter().filter(|(_, t)| t == "COMMAND").collect();
    assert_eq!(commands.len(), 2, "{got:?}");
    assert_eq!(commands[0].0, commands[1].0, "a duplicate keeps its messageId");
    assert!(got.iter().all(|(_, t)| t != "ENROLLMENT"), "the dropped ENROLLMENT is never pulled: {got:?}");
    assert!(log.iter().any(|m| m.dropped) && log.iter().any(|m| m.duplicated));
    assert!(mock.fault_report().iter().all(|r| r.fired == 1), "{:?}", mock.fault_report());
}

#[tokio::test]
async fn a_held_or_delayed_message_is_overtaken_on_pull() {
    let (mock, token) = mock();
    mock.create_topic(TOPIC).unwrap();
    mock.create_subscription(SubscriptionConfig::pull(SUB, TOPIC)).unwrap();
    let held = mock.add_fault(Fault::new(Effect::ReorderNotification).notification("ENROLLMENT").times(1)).unwrap();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    assert!(pull_now(&mock).await.is_empty(), "held until the next message on the topic");
    mock.advance_clock(Duration::from_secs(5)).unwrap();
    call(&mock, "POST", &format!("{}:issueCommand", device_path("d1")), Some(json!({"type": "LOCK"}))).await;
    let (_, got) =
        rest(&mock, "POST", &format!("{SUB}:pull"), json!({"maxMessages": 100, "returnImmediately": true})).await;
    let got = got["receivedMessages"].as_array().unwrap();
    let kinds: Vec<&str> =
        got.iter().map(|r| r["message"]["attributes"]["notificationType"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"COMMAND"), "the newer message comes first: {kinds:?}");
    let enrollment = kinds.iter().position(|k| *k == "ENROLLMENT").unwrap();
    let time = |i: usize| got[i]["message"]["publishTime"].as_str().unwrap().to_owned();
    assert!(time(enrollment) < time(0), "an older publishTime after a newer one");
    assert_eq!(mock.fault_fired(&held), Some(1));

    // A delay: later messages overtake it; a waiting pull gets it when due.
    let (mock, token) = common::mock();
    mock.create_topic(TOPIC).unwrap();
    mock.create_subscription(SubscriptionConfig::pull(SUB, TOPIC)).unwrap();
    let delay =
        mock.add_fault(Fault::new(Effect::DelayNotification { ms: 300 }).notification("ENROLLMENT").times(1)).unwrap();
    enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, None);
    call(&mock, "POST", &format!("{}:issueCommand", device_path("d1")), Some(json!({"type": "LOCK"}))).await;
    let early = pull_now(&mock).await;
    let mut kinds: Vec<String> = early.into_iter().map(|(_, t)| t).collect();
    assert!(kinds.iter().any(|t| t == "COMMAND"), "{kinds:?}");
    for _ in 0..50 {
        if kinds.iter().any(|t| t == "ENROLLMENT") {
            break;
        }
        let (_, late) = rest(&mock, "POST", &format!("{SUB}:pull"), json!({"maxMessages": 100})).await;
        kinds.extend(
            late["receivedMessages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| r["message"]["attributes"]["notificationType"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(kinds.last().map(String::as_str), Some("ENROLLMENT"), "the delayed one comes last: {kinds:?}");
    assert_eq!(mock.fault_fired(&delay), Some(1));
}

#[tokio::test]
async fn push_and_pull_subscriptions_of_one_topic_both_get_every_message() {
    let (mock, token) = mock();
    mock.create_topic(TOPIC).unwrap();
    mock.create_subscription(SubscriptionConfig::pull(SUB, TOPIC)).unwrap();
    mock.create_subscription(SubscriptionConfig::pull("projects/lockstep/subscriptions/second", TOPIC)).unwrap();
    let published = amapi_events(&mock, &token).await;
    let first: Vec<String> = pull_now(&mock).await.into_iter().map(|(id, _)| id).collect();
    let (_, second) = rest(
        &mock,
        "POST",
        "projects/lockstep/subscriptions/second:pull",
        json!({"maxMessages": 100, "returnImmediately": true}),
    )
    .await;
    let second: Vec<&str> = second["receivedMessages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"]["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(first, published);
    assert_eq!(second, published.iter().map(String::as_str).collect::<Vec<_>>());
    let names: Vec<String> = mock.pubsub_subscriptions().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["projects/lockstep/subscriptions/mdm-pull", "projects/lockstep/subscriptions/second"]);
}
