//! One test stack: amapi-mock (virtual clock, android-sim devices) on a
//! socket, the reference MDM on a socket sharing that clock, a mail sink,
//! and a driver-protocol client.
#![allow(dead_code)]

use amapi_mock::{EnterpriseSetup, Mock, MockConfig, PushSubscription, Registration, RunningMock};
use android_sim::{DeviceProfile, Ownership};
use chrono::{DateTime, Utc};
use mail_sink::MailSink;
use reference_mdm::{Defect, RetryPolicy, RunningMdm, ServeConfig, VendorSource};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub(crate) const ENTERPRISE: &str = "LC0lockstep";
pub(crate) const TOPIC: &str = "projects/lockstep/topics/amapi-events";
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The mock's clock as the MDM's: one virtual clock for the whole stack.
#[derive(Debug)]
pub(crate) struct SharedClock(pub amapi_mock::Clock);

impl reference_mdm::Clock for SharedClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0.now().as_unix_millis()).unwrap_or_default()
    }
    fn advance(&self, by: chrono::Duration) -> bool {
        by.to_std().ok().is_some_and(|d| self.0.advance(d).is_ok())
    }
    fn is_virtual(&self) -> bool {
        self.0.is_virtual()
    }
}

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A mock with every device profile of fixtures/devices and one enterprise.
pub(crate) fn new_mock() -> Mock {
    let profiles = DeviceProfile::load_dir(&repo_root().join("fixtures/devices")).unwrap();
    let mock = Mock::new(MockConfig { profiles, ..MockConfig::default() });
    mock.create_enterprise(EnterpriseSetup {
        id: ENTERPRISE.into(),
        pubsub_topic: Some(TOPIC.into()),
        notification_types: vec!["ENROLLMENT".into(), "STATUS_REPORT".into(), "COMMAND".into()],
        ..Default::default()
    })
    .unwrap();
    mock
}

pub(crate) fn mdm_config(amapi_url: &str, vendor: &str, clock: &amapi_mock::Clock) -> ServeConfig {
    let mut c = ServeConfig::new(amapi_url);
    c.enterprise = Some(ENTERPRISE.into());
    c.vendor = VendorSource::Builtin(vendor.into());
    c.clock = Arc::new(SharedClock(clock.clone()));
    c.poll_interval = Duration::from_millis(100);
    c.retry =
        RetryPolicy { max_attempts: 6, base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(50) };
    c.pubsub_topic = Some(TOPIC.into());
    c
}

pub(crate) struct Stack {
    pub amapi: RunningMock,
    pub mdm: RunningMdm,
    pub mail: MailSink,
    pub http: reqwest::Client,
}

impl Stack {
    pub(crate) async fn start(vendor: &str, defects: &[Defect]) -> Stack {
        let amapi = amapi_mock::serve_mock(new_mock(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let mail = MailSink::start().await.unwrap();
        let mut config = mdm_config(&amapi.base_url, vendor, amapi.mock().clock());
        config.smtp = Some(mail.addr().to_string());
        config.defects = defects.to_vec();
        let mdm = reference_mdm::serve(config).await.unwrap();
        subscribe(amapi.mock(), &format!("{}{}", mdm.base_url, reference_mdm::PUSH_PATH));
        Stack { amapi, mdm, mail, http: reqwest::Client::new() }
    }

    pub(crate) fn mock(&self) -> &Mock {
        self.amapi.mock()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/lockstep/v1{path}", self.mdm.base_url)
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub(crate) async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, Some(token), path, None).await
    }

    pub(crate) async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, Some(token), path, Some(body)).await
    }

    /// Create an account and sign it in; returns the session token.
    pub(crate) async fn sign_in_as(&self, email: &str, role: &str) -> String {
        let (s, _) = self
            .call(reqwest::Method::POST, None, "/accounts", Some(json!({"email": email, "name": email, "role": role})))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        self.sign_in(email).await
    }

    pub(crate) async fn sign_in(&self, email: &str) -> String {
        let (s, v) = self.call(reqwest::Method::POST, None, "/sessions", Some(json!({"email": email}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    /// Enroll a simulated device through the driver protocol and wait until
    /// the MDM lists it. Returns the driver-protocol device id.
    pub(crate) async fn enroll(&self, admin: &str, enrollment: Enroll<'_>) -> String {
        // The driver protocol has no legacy mode: such a device enrolls with
        // a fully-managed token and AMAPI reports what it really is.
        let ownership = match enrollment.ownership {
            Ownership::LegacyDeviceAdmin => "fully-managed",
            o => o.as_str(),
        };
        let mut body = json!({"ownership": ownership, "user_email": enrollment.user});
        if let Some(p) = enrollment.policy {
            body["password_policy"] = p;
        }
        let (s, v) = self.post(admin, "/enrollments", body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let token = v["enrollment_token"].as_str().unwrap();
        let mut reg = Registration::new(token, enrollment.profile, enrollment.ownership);
        reg.passcode = enrollment.passcode.map(android_sim::Passcode::new);
        reg.work_passcode = enrollment.work_passcode.map(android_sim::Passcode::new);
        let name = self.mock().register_device(&reg).unwrap();
        let id = name.rsplit('/').next().unwrap().to_owned();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (s, _) = self.get(admin, &format!("/devices/{id}")).await;
            if s == StatusCode::OK {
                return id;
            }
            assert!(tokio::time::Instant::now() < deadline, "device {id} never showed up in the MDM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait until an action reaches a terminal status; returns it.
    pub(crate) async fn finished(&self, token: &str, action_id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (s, v) = self.get(token, &format!("/actions/{action_id}")).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            if !matches!(v["status"].as_str(), Some("pending" | "sent")) {
                return v;
            }
            assert!(tokio::time::Instant::now() < deadline, "action {action_id} stuck: {v}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The number of issueCommand calls the mock answered with success.
    pub(crate) fn commands_issued(&self) -> Vec<Value> {
        let filter = amapi_mock::JournalFilter {
            route: Some("androidmanagement.enterprises.devices.issueCommand".into()),
            status: Some(200),
            ..Default::default()
        };
        self.mock().journal(&filter).into_iter().filter_map(|e| e.request_body).collect()
    }

    pub(crate) fn device_name(&self, id: &str) -> String {
        format!("enterprises/{ENTERPRISE}/devices/{id}")
    }
}

pub(crate) fn subscribe(mock: &Mock, endpoint: &str) {
    mock.subscribe(PushSubscription {
        name: "projects/lockstep/subscriptions/mdm".into(),
        topic: TOPIC.into(),
        push_endpoint: endpoint.into(),
        ..Default::default()
    })
    .unwrap();
}

/// What to enroll.
#[derive(Debug, Clone)]
pub(crate) struct Enroll<'a> {
    pub ownership: Ownership,
    pub profile: &'a str,
    pub user: &'a str,
    pub passcode: Option<&'a str>,
    pub work_passcode: Option<&'a str>,
    pub policy: Option<Value>,
}

impl<'a> Enroll<'a> {
    pub(crate) fn new(ownership: Ownership, profile: &'a str, user: &'a str) -> Self {
        Enroll { ownership, profile, user, passcode: Some("1357"), work_passcode: None, policy: None }
    }
}

impl Clone for SharedClock {
    fn clone(&self) -> Self {
        SharedClock(self.0.clone())
    }
}
