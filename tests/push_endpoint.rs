//! `--push-endpoint URL` sends the mock's Pub/Sub pushes to that URL and
//! nowhere else. The MDM here learns of devices and command results only
//! from pushes (its polling is slowed to once an hour), and is reached
//! through two recording relays: one is the `--target` (the default push
//! endpoint is the target URL + `/amapi/pubsub`), the other stands where
//! `--push-endpoint` points, in front of the MDM's own push route. So the
//! suite passes only if the pushes arrive, and the relays say where they
//! went.
//!
//! The controls: the same run without the flag sends every push to the
//! target's relay, and the same assertion fails on it (a harness that
//! ignored the flag would look like that run); and pushes that reach the
//! endpoint but never the MDM fail the scenarios, so the MDM does depend on
//! them.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod support;
use lockstep::cli::RunArgs;
use reference_mdm::PUSH_PATH;
use std::path::PathBuf;
use support::relay::Relay;

/// Where pushes went in one run: (to the `--push-endpoint` relay, to the
/// target's relay), and the run's verdict.
struct Pushes {
    at_endpoint: usize,
    at_target: usize,
    passed: usize,
    failed: usize,
    summary: String,
}

/// Where `--push-endpoint` points in a run.
#[derive(Clone, Copy, PartialEq)]
enum Flag {
    /// At a relay in front of the MDM's push route.
    AtRelay,
    /// Not given: the default, the target URL + `/amapi/pubsub`.
    Absent,
    /// At a relay in front of nothing: every push is answered 502 and lost.
    AtNothing,
}

/// Run `feature` against a reference MDM behind a target relay, with
/// `--push-endpoint` as `flag` says.
fn run(feature: &str, flag: Flag) -> Pushes {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (amapi, smtp) = (support::ports::free_addr(), support::ports::free_addr());
    runtime.block_on(async {
        let mut config = support::external::mdm_config(amapi, smtp, "miradore");
        // Pushes only: no inventory sync or operation poll after start-up
        // within the run, so a push that goes astray fails a scenario.
        config.poll_interval = std::time::Duration::from_secs(3600);
        let mdm = reference_mdm::serve(config).await.unwrap();
        let target = Relay::start(&mdm.base_url).await;
        let nothing = format!("http://{}", support::ports::free_addr());
        let endpoint = Relay::start(if flag == Flag::AtNothing { &nothing } else { &mdm.base_url }).await;
        let reports = tempfile::tempdir().unwrap();
        let args = RunArgs {
            paths: vec![root.join(feature).display().to_string()],
            target: Some(target.url.clone()),
            amapi_listen: Some(amapi),
            smtp_listen: Some(smtp),
            push_endpoint: (flag != Flag::Absent).then(|| format!("{}{PUSH_PATH}", endpoint.url)),
            report_dir: Some(reports.path().to_owned()),
            no_progress: true,
            ..Default::default()
        };
        let config = lockstep::config::resolve(&args, root.join("fixtures")).unwrap();
        let result = lockstep::runner::run(config).await.unwrap();
        mdm.shutdown().await;
        Pushes {
            at_endpoint: endpoint.count("POST", PUSH_PATH),
            at_target: target.count("POST", PUSH_PATH),
            passed: result.record.passed(),
            failed: result.record.failed(),
            summary: lockstep::runner::summary(&result),
        }
    })
}

/// What `--push-endpoint` promises: pushes reached the endpoint, none the
/// default, and the scenarios that depend on them passed.
fn pushes_went_to_the_endpoint(p: &Pushes) -> Result<(), String> {
    if p.at_endpoint == 0 {
        return Err(format!("no push reached --push-endpoint ({} went to the target's default endpoint)", p.at_target));
    }
    if p.at_target > 0 {
        return Err(format!("{} pushes went to the target's default endpoint despite --push-endpoint", p.at_target));
    }
    if p.failed > 0 || p.passed < 3 {
        return Err(format!("the scenarios that need the pushes did not all pass:\n{}", p.summary));
    }
    Ok(())
}

const FEATURE: &str = "features/reset_passcode/miradore_reset.feature";

#[test]
fn pushes_go_to_the_push_endpoint_and_nowhere_else() {
    let p = run(FEATURE, Flag::AtRelay);
    pushes_went_to_the_endpoint(&p).unwrap();
    // One ENROLLMENT push per device at least, and a few per scenario.
    assert!(p.at_endpoint >= p.passed, "{} pushes for {} scenarios", p.at_endpoint, p.passed);
}

/// The negative control: without the flag (what a harness that ignored it
/// would do), the pushes go to the target's default endpoint, and the
/// check above fails on the run, saying so.
#[test]
fn without_the_flag_the_check_fails_as_the_pushes_go_to_the_default() {
    let p = run(FEATURE, Flag::Absent);
    assert!(p.at_target > 0 && p.at_endpoint == 0, "{} at the endpoint, {} at the target", p.at_endpoint, p.at_target);
    let wrong = pushes_went_to_the_endpoint(&p).unwrap_err();
    assert!(wrong.contains("no push reached --push-endpoint"), "{wrong}");
}

/// The control for the MDM's polling: pushes that reach the endpoint but
/// never the MDM fail the scenarios, so a run that passes above passed on
/// its pushes, not on a poll that would have found the devices anyway.
#[test]
fn pushes_lost_at_the_endpoint_fail_the_scenarios() {
    let p = run(FEATURE, Flag::AtNothing);
    assert!(p.at_endpoint > 0 && p.at_target == 0, "{} at the endpoint, {} at the target", p.at_endpoint, p.at_target);
    assert!(p.failed > 0, "the MDM learnt what the lost pushes said some other way:\n{}", p.summary);
    let wrong = pushes_went_to_the_endpoint(&p).unwrap_err();
    assert!(wrong.contains("did not all pass"), "{wrong}");
}
