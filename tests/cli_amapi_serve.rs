//! `lockstep amapi serve` as a user starts it: the banner names the
//! addresses (the `PUBSUB_EMULATOR_HOST` line among them), what it names
//! answers, a pull subscription on the fleet's topic receives an
//! enrollment notification, and Ctrl-C stops it with exit code 0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The banner's lines up to the count of enrolled devices (its last line
/// but the strict note, which this run does not ask for).
fn banner(child: &mut Child) -> Vec<String> {
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.contains("simulated devices enrolled");
        lines.push(line);
        if done {
            break;
        }
    }
    lines
}

fn value_after<'a>(lines: &'a [String], marker: &str) -> &'a str {
    let line = lines.iter().find(|l| l.contains(marker)).unwrap_or_else(|| panic!("no {marker:?} in {lines:#?}"));
    let rest = &line[line.find(marker).unwrap() + marker.len()..];
    rest.split_whitespace().next().unwrap()
}

/// Send `request` and read its answer as JSON.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn the_banner_names_a_pubsub_emulator_that_serves_the_fleets_topic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (amapi, pubsub) = (support::ports::free_addr(), support::ports::free_addr());
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["amapi", "serve", "--addr", &amapi.to_string(), "--pubsub-addr", &pubsub.to_string()])
        .arg("--fleet")
        .arg(root.join("fixtures/fleets/small.toml"))
        .current_dir(root)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = banner(&mut child);
    assert_eq!(value_after(&lines, "PUBSUB_EMULATOR_HOST="), pubsub.to_string(), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains(&format!("http://{amapi}/"))), "{lines:#?}");

    let http = reqwest::Client::new();
    let rest = format!("http://{pubsub}/v1/projects/lockstep");
    // Like Google's emulator, it starts with no topics: a pulling MDM
    // creates the enterprise's topic (fixtures/fleets/small.toml names it)
    // and its subscription, then AMAPI's notifications arrive there.
    let topic = format!("{rest}/topics/small");
    let made = http.put(&topic).json(&json!({})).send().await.unwrap();
    assert!(made.status().is_success(), "{}", made.text().await.unwrap());
    let topics: Value = http.get(format!("{rest}/topics")).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = topics["topics"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["projects/lockstep/topics/small"], "{topics}");

    // A subscription made now sees what is published from now on: a device
    // enrolled through the control surface announces itself on the topic.
    let sub = format!("{rest}/subscriptions/cli-test");
    let made = http.put(&sub).json(&json!({"topic": "projects/lockstep/topics/small"})).send().await.unwrap();
    assert!(made.status().is_success(), "{}", made.text().await.unwrap());
    let control = format!("http://{amapi}/_lockstep/v1");
    // fixtures/fleets/small.toml: enterprise LC00small, bearer token lockstep-small.
    let token = json_of(
        http.post(format!("http://{amapi}/v1/enterprises/LC00small/enrollmentTokens"))
            .bearer_auth("lockstep-small")
            .json(&json!({"duration": "3600s"})),
    )
    .await;
    let registered = http
        .post(format!("{control}/devices:register"))
        .json(&json!({"enrollmentToken": token["value"], "profile": "google-pixel-8", "ownership": "fully-managed"}))
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success(), "{}", registered.text().await.unwrap());

    let mut received = Vec::new();
    for _ in 0..50 {
        let pulled = json_of(http.post(format!("{sub}:pull")).json(&json!({"maxMessages": 10}))).await;
        received.extend(pulled["receivedMessages"].as_array().cloned().unwrap_or_default());
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let types: Vec<&str> =
        received.iter().filter_map(|m| m["message"]["attributes"]["notificationType"].as_str()).collect();
    assert!(types.contains(&"ENROLLMENT"), "pulled {received:#?}");

    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "Ctrl-C ends the server cleanly");
}
