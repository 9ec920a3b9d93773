#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

//! Every log line the MDM writes, at TRACE, during resets that succeed and
//! fail: no passcode may appear in any of them, nor in the action log, nor
//! in AMAPI's journal.

mod common;

use android_sim::Ownership;
use common::{Enroll, Stack, WAIT};
use reference_mdm::Defect;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passcodes_never_reach_the_logs() {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Capture(Arc::clone(&buffer));
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();
    tracing::info!("capture works");

    let mut secrets = Vec::new();
    // Miradore: a generated passcode, mailed to admin and user.
    let stack = Stack::start("miradore", &[]).await;
    let admin = stack.sign_in_as("admin@example.test", "site-admin").await;
    stack.sign_in_as("u@example.test", "end-user").await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", "u@example.test")).await;
    let (_, v) = stack.post(&admin, &format!("/devices/{id}/reset-passcode"), json!({"send_to_user": true})).await;
    stack.finished(&admin, v["action_id"].as_str().unwrap()).await;
    let (_, security) = stack.get(&admin, &format!("/devices/{id}/security")).await;
    secrets.push(security["latest_reset_passcode"].as_str().unwrap().to_owned());
    stack.mail.wait_for_count(2, WAIT).await.unwrap();
    let (_, log) = stack.get(&admin, "/actions").await;
    let journal = serde_json::to_string(&stack.mock().journal(&Default::default())).unwrap();

    // Iru with the policy check off: a typed passcode the device refuses.
    let bad = "zq9";
    let iru = Stack::start("iru", &[Defect::IgnoresWorkProfilePolicy]).await;
    let admin2 = iru.sign_in_as("admin@example.test", "site-admin").await;
    let mut e = Enroll::new(Ownership::WorkProfilePersonal, "google-pixel-8", "u@example.test");
    e.work_passcode = Some("work1234");
    let wp = iru.enroll(&admin2, e).await;
    let (_, v) = iru.post(&admin2, &format!("/devices/{wp}/reset-passcode"), json!({"new_passcode": bad})).await;
    let failed = iru.finished(&admin2, v["action_id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    let good = "Quartz7Lima";
    let (_, v) = iru.post(&admin2, &format!("/devices/{wp}/reset-passcode"), json!({"new_passcode": good})).await;
    iru.finished(&admin2, v["action_id"].as_str().unwrap()).await;
    secrets.push(bad.to_owned());
    secrets.push(good.to_owned());
    let (_, log2) = iru.get(&admin2, "/actions").await;
    let journal2 = serde_json::to_string(&iru.mock().journal(&Default::default())).unwrap();

    let logs = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("capture works"));
    assert!(logs.contains("action finished"), "the MDM's own lines are captured");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a passcode is in the logs");
        assert!(!log.to_string().contains(secret.as_str()) && !log2.to_string().contains(secret.as_str()));
        assert!(!journal.contains(secret.as_str()) && !journal2.contains(secret.as_str()));
    }
}
