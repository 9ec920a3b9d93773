//! Fleet files: the shipped ones load and enroll against the shipped
//! device profiles, the matrix covers every profile in every mode it
//! supports, and `serve` starts a mock with a fleet behind it.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{serve, ClockChoice, Fleet, ServeConfig};
use android_sim::DeviceProfile;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

#[test]
fn the_matrix_covers_every_profile_in_every_mode_it_supports() {
    let profiles = DeviceProfile::load_dir(&fixtures().join("devices")).unwrap();
    let fleet = Fleet::load(&fixtures().join("fleets/matrix.toml")).unwrap();
    let have: BTreeSet<(String, String)> =
        fleet.devices.iter().map(|d| (d.profile.clone(), d.ownership.to_string())).collect();
    let want: BTreeSet<(String, String)> =
        profiles.iter().flat_map(|p| p.ownership_modes.iter().map(move |o| (p.name.clone(), o.to_string()))).collect();
    let missing: Vec<_> = want.difference(&have).collect();
    let stale: Vec<_> = have.difference(&want).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "regenerate fixtures/fleets/matrix.toml: missing {missing:?}, stale {stale:?}"
    );
}

#[tokio::test]
async fn every_shipped_fleet_serves() {
    for entry in std::fs::read_dir(fixtures().join("fleets")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let running = serve(ServeConfig {
            fleet: Some(path.clone()),
            clock: ClockChoice::Virtual(amapi_mock::clock::DEFAULT_VIRTUAL_START),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let fleet = Fleet::load(&path).unwrap();
        let expected: u32 = fleet.devices.iter().map(|d| d.count.unwrap_or(1)).sum();
        assert_eq!(running.devices.len() as u32, expected, "{}", path.display());
        assert!(running.base_url.starts_with("http://127.0.0.1:"));
        let names = running.mock().device_names(&fleet.enterprise.id);
        assert_eq!(names.len() as u32, expected);
        running.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_broken_fleet_names_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("amapi-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.toml");
    std::fs::write(
        &path,
        "[enterprise]\nid = \"LC00x\"\n\n[policies.default]\n\n[[devices]]\nprofile = \"no-such-phone\"\nownership = \"fully-managed\"\n",
    )
    .unwrap();
    let err = serve(ServeConfig {
        fleet: Some(path.clone()),
        profiles_dir: Some(fixtures().join("devices")),
        ..Default::default()
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("broken.toml:6"), "{err}");
    assert!(err.contains("devices[0].profile"), "{err}");
    assert!(err.contains("no-such-phone"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn on_a_real_clock_commands_expire_by_themselves() {
    use amapi_mock::{serve_mock, Clock, MockConfig};
    let (mock, token) = common::mock_with(
        MockConfig { clock: Clock::real(), profiles: common::profiles(), ..Default::default() },
        None,
    );
    let name = common::enroll(&mock, &token, "d1", "test-pixel-8", android_sim::Ownership::FullyManaged, None);
    mock.set_online(&name, false).unwrap();
    let running = serve_mock(mock.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (status, op) = common::call(&mock, "POST", &common::device_path("d1"), None).await;
    assert_eq!(status, 404, "GET-only path with POST: {op}");
    let (status, op) = common::call(
        &mock,
        "POST",
        &format!("{}:issueCommand", common::device_path("d1")),
        Some(serde_json::json!({"type": "LOCK", "duration": "0.050s"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(op["metadata"]["duration"], "0.050s");
    // No request comes in: the background sweeper must expire it.
    let mut expired = None;
    for _ in 0..1000 {
        expired = mock.published_messages().into_iter().find(|m| m.notification_type == "COMMAND");
        if expired.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let expired = expired.expect("the command expired without any request");
    assert_eq!(expired.data["error"]["code"], 4);
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_fleet_can_push_its_notifications() {
    use axum::routing::post;
    use std::sync::{Arc, Mutex};
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/pubsub",
        post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(v);
                http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/pubsub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = std::env::temp_dir().join(format!("amapi-push-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("push.toml");
    std::fs::write(
        &path,
        format!(
            "[enterprise]\nid = \"LC00push\"\npubsub_topic = \"projects/p/topics/amapi-events\"\n\n[policies.default]\n\n\
             [[devices]]\nprofile = \"google-pixel-8\"\nownership = \"work-profile-personal\"\ncount = 2\n\n\
             [[push_subscriptions]]\nname = \"projects/p/subscriptions/mdm\"\npush_endpoint = \"{endpoint}\"\n"
        ),
    )
    .unwrap();
    let running =
        serve(ServeConfig { fleet: Some(path), profiles_dir: Some(fixtures().join("devices")), ..Default::default() })
            .await
            .unwrap();
    for _ in 0..500 {
        if got.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|e| e["message"]["attributes"]["notificationType"] == "ENROLLMENT"));
    running.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
