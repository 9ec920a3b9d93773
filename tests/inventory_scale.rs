//! 20,000 devices already in the MDM change no verdict: the harness finds
//! a scenario's devices by `?user_email=` and follows pages of filtered
//! lists, so it never reads the inventory. The inventory is bulk-seeded
//! into the MDM's SQLite store (devices of other people, as an MDM in
//! production has), the honest fast path: enrolling 20,000 devices through
//! AMAPI would test enrollment, not the inventory. The same scenarios run
//! against an empty MDM and the seeded one, side by side in one test, as
//! an external target; the verdicts must be equal. The run times are
//! printed as a ratio (timings are measured, never asserted).

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use lockstep::cli::RunArgs;
use lockstep::report::Outcome;
use reference_mdm::store::{DeviceRow, Store};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Instant;

const INVENTORY: usize = 20_000;

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// `n` devices of 2,000 other people, in the enterprise the harness serves.
fn seed(db: &Path, n: usize) {
    let store = Store::open(db).unwrap();
    let devices: Vec<DeviceRow> = (0..n)
        .map(|i| DeviceRow {
            id: format!("seeded{i:05}"),
            amapi_name: format!("enterprises/LC0lockstep/devices/seeded{i:05}"),
            user_email: Some(format!("person{}@fleet.example", i % 2000)),
            ownership: "fully-managed".into(),
            management_mode: "DEVICE_OWNER".into(),
            manufacturer: Some("Google".into()),
            model: Some("Pixel 8".into()),
            api_level: 34,
            android_version: Some("14".into()),
            state: "ACTIVE".into(),
            policy_name: None,
            enrolled_at: Some("2026-01-01T09:00:00.000Z".into()),
            last_status_report_at: None,
            secure: Some(true),
            updated_at: "2026-01-01T09:00:00.000Z".into(),
        })
        .collect();
    store.upsert_devices(&devices).unwrap();
}

/// Run the miradore scenarios against an MDM on `db`: each scenario's verdict, and the wall time.
fn run_against(root: &Path, db: &Path) -> (BTreeMap<String, String>, f64) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (amapi, smtp) = (free_port(), free_port());
    runtime.block_on(async {
        let mut mdm = reference_mdm::ServeConfig::new(format!("http://{amapi}"));
        mdm.enterprise = Some("enterprises/LC0lockstep".into());
        mdm.vendor = reference_mdm::VendorSource::Builtin("miradore".into());
        mdm.smtp = Some(smtp.to_string());
        mdm.db = Some(db.to_owned());
        let mdm = reference_mdm::serve(mdm).await.unwrap();
        let reports = tempfile::tempdir().unwrap();
        let args = RunArgs {
            paths: ["reset_passcode", "driver", "remote_lock"]
                .iter()
                .map(|f| root.join("features").join(f).display().to_string())
                .collect(),
            target: Some(mdm.base_url.clone()),
            amapi_listen: Some(amapi),
            smtp_listen: Some(smtp),
            report_dir: Some(reports.path().to_owned()),
            seed: Some(7),
            // Two runs side by side on a shared machine: wait as a slow MDM would need.
            patience: Some(std::time::Duration::from_secs(30)),
            no_progress: true,
            ..Default::default()
        };
        let config = lockstep::config::resolve(&args, root.join("fixtures")).unwrap();
        let started = Instant::now();
        let result = lockstep::runner::run(config).await.unwrap_or_else(|e| panic!("the run did not start: {e}"));
        let took = started.elapsed().as_secs_f64();
        mdm.shutdown().await;
        let verdicts = result
            .record
            .scenarios
            .iter()
            .map(|s| {
                let verdict = match &s.outcome {
                    Outcome::Failed { step, message } => format!("failed at `{step}`: {message}"),
                    Outcome::Skipped { .. } => "skipped".to_owned(),
                    _ => "passed".to_owned(),
                };
                (format!("{}:{}", s.name, s.line), verdict)
            })
            .collect();
        (verdicts, took)
    })
}

#[test]
fn twenty_thousand_devices_in_the_mdm_change_no_verdict() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let (empty, full) = (dir.path().join("empty.db"), dir.path().join("full.db"));
    seed(&empty, 0);
    let seeding = Instant::now();
    seed(&full, INVENTORY);
    println!("seeded {INVENTORY} devices in {:.2} s", seeding.elapsed().as_secs_f64());

    let (verdicts_empty, t_empty) = run_against(&root, &empty);
    let (verdicts_full, t_full) = run_against(&root, &full);
    println!("empty MDM {t_empty:.1} s, {INVENTORY} devices {t_full:.1} s: ratio {:.2}", t_full / t_empty.max(0.001));
    assert!(verdicts_empty.values().filter(|v| *v == "passed").count() >= 10, "{verdicts_empty:?}");
    let differ: Vec<String> = verdicts_empty
        .iter()
        .filter(|(name, v)| verdicts_full.get(*name) != Some(v))
        .map(|(name, v)| format!("{name}: empty MDM {v}; with {INVENTORY} devices {:?}", verdicts_full.get(name)))
        .collect();
    assert!(differ.is_empty() && verdicts_empty.len() == verdicts_full.len(), "{}", differ.join("\n"));
}
