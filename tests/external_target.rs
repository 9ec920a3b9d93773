//! `--target URL`: the harness drives an MDM it did not start, through the
//! driver protocol, serving the AMAPI mock and the mail sink at the
//! addresses that MDM was configured with. Scenarios for other vendors, the
//! virtual clock or god-mode are skipped with their reason.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod support;
use lockstep::cli::RunArgs;
use lockstep::report::Outcome;
use std::path::PathBuf;

#[test]
fn an_external_mdm_is_driven_through_the_driver_protocol() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (amapi, smtp) = (support::ports::free_addr(), support::ports::free_addr());
    runtime.block_on(async {
        // The vendor's MDM, started on its own and configured by hand.
        let mut mdm = reference_mdm::ServeConfig::new(format!("http://{amapi}"));
        mdm.enterprise = Some("enterprises/LC0lockstep".into());
        mdm.vendor = reference_mdm::VendorSource::Builtin("miradore".into());
        mdm.smtp = Some(smtp.to_string());
        let mdm = reference_mdm::serve(mdm).await.unwrap();

        let reports = tempfile::tempdir().unwrap();
        let args = RunArgs {
            paths: vec![
                root.join("features/reset_passcode").display().to_string(),
                root.join("features/self_service").display().to_string(),
            ],
            target: Some(mdm.base_url.clone()),
            amapi_listen: Some(amapi),
            smtp_listen: Some(smtp),
            report_dir: Some(reports.path().to_owned()),
            no_progress: true,
            ..Default::default()
        };
        let config = lockstep::config::resolve(&args, root.join("fixtures")).unwrap();
        let result = lockstep::runner::run(config).await.unwrap();
        mdm.shutdown().await;

        let r = &result.record;
        assert_eq!(r.failed(), 0, "{}", lockstep::runner::summary(&result));
        assert!(r.passed() >= 15, "miradore scenarios ran: {}", lockstep::runner::summary(&result));
        let reasons: Vec<&str> = r
            .scenarios
            .iter()
            .filter_map(|s| match &s.outcome {
                Outcome::Skipped { reason } => Some(reason.as_str()),
                _ => None,
            })
            .collect();
        assert!(reasons.iter().any(|r| r.contains("claims `miradore`")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("virtual clock")), "{reasons:?}");
    });
}

/// An MDM whose `/about.vendor` is not a profile Lockstep knows (here the
/// product's title, capitalised) is a configuration error, found before any
/// scenario runs: exit 2, naming the known profiles. It never "passes".
#[test]
fn an_unknown_vendor_profile_is_refused_with_exit_2_and_the_known_names() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (amapi, smtp) = (support::ports::free_addr(), support::ports::free_addr());
    let profiles = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root.join("fixtures/vendors/miradore.toml")).unwrap();
    let capitalised = text.replacen("name = \"miradore\"", "name = \"Miradore\"", 1);
    assert_ne!(text, capitalised, "the profile names itself `miradore`");
    let profile = profiles.path().join("miradore.toml");
    std::fs::write(&profile, capitalised).unwrap();
    let mdm = runtime.block_on(async {
        let mut mdm = reference_mdm::ServeConfig::new(format!("http://{amapi}"));
        mdm.enterprise = Some("enterprises/LC0lockstep".into());
        mdm.vendor = reference_mdm::VendorSource::File(profile.clone());
        reference_mdm::serve(mdm).await.unwrap()
    });
    let reports = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["run", "features/reset_passcode", "--no-progress", "--target", &mdm.base_url])
        .args(["--amapi-listen", &amapi.to_string(), "--smtp-listen", &smtp.to_string()])
        .arg("--report-dir")
        .arg(reports.path())
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    runtime.block_on(mdm.shutdown());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`Miradore`") && stderr.contains("miradore, intune, iru"), "{stderr}");
}
