#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

//! Kill -9 during a wave of resets, restart on the same database: every
//! acknowledged action is still in the log, every one reaches a terminal
//! status, and AMAPI received exactly one command per action (checked in
//! the mock's journal).

mod common;
// The workspace's one home for test ports (see its module doc).
#[path = "../../../tests/support/ports.rs"]
mod ports;

use amapi_mock::{Clock, EnterpriseSetup, FaultPlan, JournalFilter, Mock, MockConfig, Registration};
use android_sim::{DeviceProfile, Ownership};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const DEVICES: usize = 6;
const RESETS_PER_DEVICE: usize = 3;

fn spawn_mdm(amapi: &str, addr: &str, db: &std::path::Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-mdm"))
        .args(["--addr", addr, "--amapi", amapi, "--vendor", "miradore", "--enterprise", common::ENTERPRISE])
        .args(["--poll-ms", "100", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on"), "{line}");
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_a_wave_of_resets_loses_nothing_and_sends_each_command_once() {
    // A wall clock: the MDM process runs on wall time too.
    let profiles = DeviceProfile::load_dir(&common::repo_root().join("fixtures/devices")).unwrap();
    let mock = Mock::new(MockConfig { profiles, clock: Clock::real(), ..MockConfig::default() });
    mock.create_enterprise(EnterpriseSetup {
        id: common::ENTERPRISE.into(),
        pubsub_topic: Some(common::TOPIC.into()),
        notification_types: vec!["ENROLLMENT".into(), "COMMAND".into()],
        ..Default::default()
    })
    .unwrap();
    let amapi = amapi_mock::serve_mock(mock.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mdm.sqlite");
    let addr = format!("127.0.0.1:{}", ports::free_port());
    let base = format!("http://{addr}/lockstep/v1");
    common::subscribe(&mock, &format!("http://{addr}{}", reference_mdm::PUSH_PATH));
    let http = reqwest::Client::new();

    let mut mdm = spawn_mdm(&amapi.base_url, &addr, &db);
    http.post(format!("{base}/accounts"))
        .json(&json!({"email": "admin@example.test", "name": "Admin", "role": "site-admin"}))
        .send()
        .await
        .unwrap();
    let session: Value = http
        .post(format!("{base}/sessions"))
        .json(&json!({"email": "admin@example.test"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let post = |path: String, body: Value| {
        let req = http.post(format!("{base}{path}")).bearer_auth(&token).json(&body);
        async move { req.send().await }
    };

    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let v: Value = post(
            "/enrollments".into(),
            json!({"ownership": "fully-managed", "user_email": format!("u{i}@example.test")}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let reg = Registration::new(v["enrollment_token"].as_str().unwrap(), "google-pixel-8", Ownership::FullyManaged)
            .passcode("1357");
        let name = mock.register_device(&reg).unwrap();
        devices.push(name.rsplit('/').next().unwrap().to_owned());
    }
    // Slow answers keep commands in flight when the process dies.
    let plan: FaultPlan = serde_json::from_value(json!({"rules": [{"route": "enterprises.devices.issueCommand",
        "latency": {"distribution": "uniform", "minMs": 100, "maxMs": 300}}]}))
    .unwrap();
    mock.set_fault_plan(plan).unwrap();

    // The wave: every acknowledged action must survive.
    let mut acknowledged: BTreeMap<String, String> = BTreeMap::new();
    for round in 0..RESETS_PER_DEVICE {
        for d in &devices {
            let resp = post(format!("/devices/{d}/reset-passcode"), json!({})).await.unwrap();
            assert_eq!(resp.status(), 202, "round {round}");
            let v: Value = resp.json().await.unwrap();
            acknowledged.insert(v["action_id"].as_str().unwrap().to_owned(), d.clone());
        }
    }
    tokio::time::sleep(Duration::from_millis(40)).await;
    mdm.kill().unwrap(); // SIGKILL
    mdm.wait().unwrap();
    let store = reference_mdm::store::Store::open(&db).unwrap();
    let in_flight = store.unfinished_actions().unwrap().len();
    eprintln!("killed with {in_flight} of {} actions unfinished", acknowledged.len());
    drop(store);

    let mut mdm = spawn_mdm(&amapi.base_url, &addr, &db);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let log = loop {
        let page: Value = http
            .get(format!("{base}/actions?page_size=1000"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let log: Vec<Value> = page["actions"].as_array().unwrap().clone();
        let unfinished = log.iter().filter(|a| matches!(a["status"].as_str(), Some("pending" | "sent"))).count();
        if unfinished == 0 {
            break log;
        }
        assert!(tokio::time::Instant::now() < deadline, "stuck after restart: {unfinished} unfinished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    mdm.kill().unwrap();
    mdm.wait().unwrap();

    // Nothing lost.
    let ids: Vec<&str> = log.iter().filter_map(|a| a["id"].as_str()).collect();
    for id in acknowledged.keys() {
        assert!(ids.contains(&id.as_str()), "{id} lost");
    }
    assert_eq!(log.len(), acknowledged.len());
    for a in &log {
        assert_eq!(a["status"], "completed", "{a}");
    }
    // Exactly one command per action.
    let journal = mock.journal(&JournalFilter {
        route: Some("androidmanagement.enterprises.devices.issueCommand".into()),
        status: Some(200),
        ..Default::default()
    });
    let mut per_device: BTreeMap<String, usize> = BTreeMap::new();
    for e in &journal {
        let device = e.path.trim_end_matches(":issueCommand").rsplit('/').next().unwrap().to_owned();
        *per_device.entry(device).or_default() += 1;
    }
    for d in &devices {
        assert_eq!(per_device.get(d).copied().unwrap_or(0), RESETS_PER_DEVICE, "commands to {d}: {per_device:?}");
    }
    amapi.shutdown().await.unwrap();
}
