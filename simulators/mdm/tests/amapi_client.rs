#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

//! The MDM's AMAPI client and action pipeline against wiremock: backoff on
//! 429 and 5xx, never a second command for one action when an answer is
//! lost, reconciliation through operations (also after a restart), and
//! idempotent Pub/Sub handling.

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use mail_sink::MailSink;
use reference_mdm::store::{Account, ActionKind, Channel, DeviceRow, NewAction, Role, Store};
use reference_mdm::{Defect, ManualClock, RetryPolicy, RunningMdm, ServeConfig, VendorSource};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const E: &str = "enterprises/LCwire";
const DEVICE: &str = "enterprises/LCwire/devices/d1";
const OP: &str = "enterprises/LCwire/devices/d1/operations/1767603600000";
const ADMIN: &str = "admin@example.test";
const WAIT: Duration = Duration::from_secs(20);

fn start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_603_600, 0).unwrap()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn device() -> Value {
    json!({"name": DEVICE, "managementMode": "DEVICE_OWNER", "ownership": "COMPANY_OWNED", "state": "ACTIVE",
           "apiLevel": 34, "hardwareInfo": {"manufacturer": "Google", "model": "Pixel 8"},
           "softwareInfo": {"androidVersion": "14"}, "enrollmentTime": rfc(start_time())})
}

fn operation(done: bool) -> Value {
    let mut op = json!({"name": OP, "metadata": {
        "@type": "type.googleapis.com/google.android.devicemanagement.v1.Command",
        "type": "RESET_PASSWORD", "createTime": rfc(start_time()), "duration": "600s"}});
    if done {
        op["done"] = json!(true);
    }
    op
}

/// The AMAPI calls every test needs: the enterprise patch and the device.
async fn amapi() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/{E}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": E})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{E}/devices")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"devices": [device()]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{DEVICE}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(device()))
        .mount(&server)
        .await;
    server
}

fn config(server: &MockServer, db: Option<&std::path::Path>) -> ServeConfig {
    let mut c = ServeConfig::new(server.uri());
    c.enterprise = Some(E.into());
    c.vendor = VendorSource::Builtin("miradore".into());
    c.clock = Arc::new(ManualClock::at(start_time()));
    c.poll_interval = Duration::from_millis(50);
    c.retry =
        RetryPolicy { max_attempts: 6, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(10) };
    c.db = db.map(ToOwned::to_owned);
    c
}

struct Client {
    mdm: RunningMdm,
    http: reqwest::Client,
    token: String,
}

impl Client {
    async fn start(config: ServeConfig) -> Client {
        let mdm = reference_mdm::serve(config).await.unwrap();
        let http = reqwest::Client::new();
        let url = format!("{}/lockstep/v1", mdm.base_url);
        http.post(format!("{url}/accounts"))
            .json(&json!({"email": ADMIN, "name": "A", "role": "site-admin"}))
            .send()
            .await
            .unwrap();
        let s: Value = http
            .post(format!("{url}/sessions"))
            .json(&json!({"email": ADMIN}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Client { mdm, http, token: s["token"].as_str().unwrap().to_owned() }
    }

    async fn reset(&self) -> String {
        let url = format!("{}/lockstep/v1/devices/d1/reset-passcode", self.mdm.base_url);
        let v: Value =
            self.http.post(url).bearer_auth(&self.token).json(&json!({})).send().await.unwrap().json().await.unwrap();
        v["action_id"].as_str().unwrap_or_else(|| panic!("{v}")).to_owned()
    }

    async fn action(&self, id: &str) -> Value {
        let url = format!("{}/lockstep/v1/actions/{id}", self.mdm.base_url);
        self.http.get(url).bearer_auth(&self.token).send().await.unwrap().json().await.unwrap()
    }

    async fn until(&self, id: &str, status: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let a = self.action(id).await;
            if a["status"] == status {
                return a;
            }
            assert!(tokio::time::Instant::now() < deadline, "never {status}: {a}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn count(server: &MockServer, m: &str, suffix: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == m && r.url.path().ends_with(suffix))
        .count()
}

fn issue_command() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path(format!("/v1/{DEVICE}:issueCommand")))
}

fn get_operation() -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path(format!("/v1/{OP}")))
}

fn list_operations() -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path(format!("/v1/{DEVICE}/operations")))
}

#[tokio::test]
async fn backs_off_on_429_and_issues_the_command_once() {
    let server = amapi().await;
    issue_command()
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota"}})),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    issue_command()
        .respond_with(ResponseTemplate::new(200).set_body_json(operation(false)))
        .with_priority(2)
        .mount(&server)
        .await;
    get_operation().respond_with(ResponseTemplate::new(200).set_body_json(operation(true))).mount(&server).await;
    let client = Client::start(config(&server, None)).await;
    let id = client.reset().await;
    client.until(&id, "completed").await;
    assert_eq!(count(&server, "POST", ":issueCommand").await, 3, "two 429s, one success");
    // A 429 means "not done": no need to look for the command.
    assert_eq!(count(&server, "GET", "/operations").await, 0);
}

#[tokio::test]
async fn a_lost_answer_is_found_among_the_operations_not_issued_again() {
    let server = amapi().await;
    // AMAPI runs the command but the answer never arrives intact.
    issue_command().respond_with(ResponseTemplate::new(503)).mount(&server).await;
    list_operations()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"operations": [operation(false)]})))
        .mount(&server)
        .await;
    get_operation().respond_with(ResponseTemplate::new(200).set_body_json(operation(true))).mount(&server).await;
    let client = Client::start(config(&server, None)).await;
    let id = client.reset().await;
    client.until(&id, "completed").await;
    assert_eq!(count(&server, "POST", ":issueCommand").await, 1);
}

#[tokio::test]
async fn after_a_5xx_that_changed_nothing_the_command_is_issued_again_after_checking() {
    let server = amapi().await;
    issue_command().respond_with(ResponseTemplate::new(500)).up_to_n_times(1).with_priority(1).mount(&server).await;
    issue_command()
        .respond_with(ResponseTemplate::new(200).set_body_json(operation(true)))
        .with_priority(2)
        .mount(&server)
        .await;
    list_operations().respond_with(ResponseTemplate::new(200).set_body_json(json!({}))).mount(&server).await;
    let client = Client::start(config(&server, None)).await;
    let id = client.reset().await;
    client.until(&id, "completed").await;
    let requests = server.received_requests().await.unwrap();
    let order: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path().contains("d1:issueCommand") || r.url.path().ends_with("/operations"))
        .map(|r| r.url.path().rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["d1:issueCommand", "operations", "d1:issueCommand"]);
}

#[tokio::test]
async fn a_failure_that_is_not_retryable_fails_the_action_with_a_sentence() {
    let server = amapi().await;
    issue_command()
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "Device is no longer being managed."}}),
        ))
        .mount(&server)
        .await;
    let client = Client::start(config(&server, None)).await;
    let id = client.reset().await;
    let a = client.until(&id, "failed").await;
    assert!(a["reason"].as_str().unwrap().contains("no longer being managed"), "{a}");
    assert_eq!(count(&server, "POST", ":issueCommand").await, 1);
}

#[tokio::test]
async fn idempotent_reads_are_retried_through_5xx() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/{E}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{E}/devices")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{E}/devices")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"devices": [device()]})))
        .with_priority(2)
        .mount(&server)
        .await;
    let mdm = reference_mdm::serve(config(&server, None)).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while mdm.mdm.store().device("d1").unwrap().is_none() {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(count(&server, "GET", "/devices").await, 3);
}

#[tokio::test]
async fn the_duplicate_command_defect_issues_twice_after_a_429() {
    let server = amapi().await;
    issue_command().respond_with(ResponseTemplate::new(429)).up_to_n_times(1).with_priority(1).mount(&server).await;
    issue_command()
        .respond_with(ResponseTemplate::new(200).set_body_json(operation(true)))
        .with_priority(2)
        .mount(&server)
        .await;
    let mut c = config(&server, None);
    c.defects = vec![Defect::DuplicateCommandAfter429];
    let client = Client::start(c).await;
    let id = client.reset().await;
    client.until(&id, "completed").await;
    assert_eq!(count(&server, "POST", ":issueCommand").await, 3, "one 429, then two accepted copies");
}

#[tokio::test]
async fn after_a_restart_an_attempted_action_is_reconciled_not_reissued() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mdm.sqlite");
    {
        // What a killed MDM left behind: the action recorded and attempted,
        // the operation name never stored.
        let store = Store::open(&db).unwrap();
        store.set_meta("enterprise", E).unwrap();
        store.upsert_account(&Account { email: ADMIN.into(), name: "A".into(), role: Role::SiteAdmin }, None).unwrap();
        store
            .upsert_device(&DeviceRow {
                id: "d1".into(),
                amapi_name: DEVICE.into(),
                user_email: None,
                ownership: "fully-managed".into(),
                management_mode: "DEVICE_OWNER".into(),
                manufacturer: None,
                model: None,
                api_level: 34,
                android_version: None,
                state: "ACTIVE".into(),
                policy_name: None,
                enrolled_at: None,
                last_status_report_at: None,
                secure: None,
                updated_at: rfc(start_time()),
            })
            .unwrap();
        let new = NewAction {
            kind: ActionKind::ResetPasscode,
            device_id: "d1",
            requested_by: ADMIN,
            channel: Channel::Console,
            send_to_user: false,
            lock_now: true,
            batch_id: None,
        };
        let a = store.insert_action(&new, Some("13572468"), start_time()).unwrap();
        store.record_attempt(&a.id, start_time()).unwrap();
    }
    let server = amapi().await;
    list_operations()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"operations": [operation(true)]})))
        .mount(&server)
        .await;
    issue_command().respond_with(ResponseTemplate::new(200).set_body_json(operation(true))).mount(&server).await;
    let client = Client::start(config(&server, Some(&db))).await;
    let a = client.until("act_1", "completed").await;
    assert_eq!(count(&server, "POST", ":issueCommand").await, 0, "{a}");
}

#[tokio::test]
async fn a_redelivered_command_notification_finishes_the_action_and_mails_once() {
    let server = amapi().await;
    issue_command().respond_with(ResponseTemplate::new(200).set_body_json(operation(false))).mount(&server).await;
    // Polling sees it unfinished; only the push says it is done.
    get_operation().respond_with(ResponseTemplate::new(200).set_body_json(operation(false))).mount(&server).await;
    let sink = MailSink::start().await.unwrap();
    let mut c = config(&server, None);
    c.smtp = Some(sink.addr().to_string());
    let client = Client::start(c).await;
    let id = client.reset().await;
    client.until(&id, "sent").await;
    let data = base64::engine::general_purpose::STANDARD.encode(operation(true).to_string());
    let envelope = json!({"message": {"attributes": {"notificationType": "COMMAND"}, "data": data, "messageId": "7", "message_id": "7", "publishTime": rfc(start_time())}, "subscription": "projects/p/subscriptions/s"});
    for _ in 0..2 {
        let r = client.http.post(client.mdm.push_endpoint()).json(&envelope).send().await.unwrap();
        assert!(r.status().is_success());
    }
    // The same outcome under another message id (a duplicate publish).
    let mut again = envelope.clone();
    again["message"]["messageId"] = json!("8");
    client.http.post(client.mdm.push_endpoint()).json(&again).send().await.unwrap();
    client.until(&id, "completed").await;
    sink.wait_for(|m| m.is_for(ADMIN), WAIT).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1);
}
