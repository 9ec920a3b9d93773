//! `--target docker:IMAGE`: the images built from the lockstep binary this
//! test has (`lockstep image build`), the reference MDM's image passing the
//! Miradore suite, the @docker scenarios (an MDM container killed with
//! SIGKILL mid-command and restarted on its volume) with their negative
//! control, the bad inputs (no such image, an image that exits at start,
//! one that never answers /about: exit 2 with the reason and the last log
//! lines, nothing left running), Ctrl-C, and the skip path when no engine
//! answers.
//!
//! Without an engine the engine-bound tests print why they did not run;
//! with LOCKSTEP_REQUIRE_DOCKER=1 (set by .ci/run, whose machine kind has
//! one) they fail instead. The skip-path test needs no engine.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use lockstep::container::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The tag the images are built with here.
const TAG: &str = "test";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lockstep() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lockstep"));
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// The engine, or why there is none (a failure when one is required).
fn engine() -> Option<Engine> {
    match runtime().block_on(Engine::connect()) {
        Ok(e) => Some(e),
        Err(e) if std::env::var("LOCKSTEP_REQUIRE_DOCKER").is_ok_and(|v| v == "1") => {
            panic!("LOCKSTEP_REQUIRE_DOCKER=1 but {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED (not run, not passed): {e}");
            None
        }
    }
}

/// One container run at a time: two cores, and every run starts one.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Build lockstep:test and lockstep-reference-mdm:test once per test run,
/// with `lockstep image build` from this test's binary.
fn images() -> &'static Output {
    static BUILT: OnceLock<Output> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = lockstep().args(["image", "build", "--tag", TAG]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out
    })
}

fn mdm_image() -> String {
    format!("lockstep-reference-mdm:{TAG}")
}

/// What a lockstep process labelled its objects with (`HOST/PID`).
fn owner_of(pid: u32) -> String {
    let own = Engine::owner();
    format!("{}/{pid}", own.rsplit_once('/').unwrap().0)
}

/// The containers, networks and volumes a lockstep process left.
fn left_behind(pid: u32) -> Vec<String> {
    left_behind_by(&owner_of(pid))
}

/// The containers, networks and volumes labelled with this owner.
fn left_behind_by(owner: &str) -> Vec<String> {
    let filter = format!("label=org.lockstep.owner={owner}");
    let mut left = Vec::new();
    for (what, args) in [
        ("container", vec!["ps", "-a", "-q", "--filter", &filter]),
        ("network", vec!["network", "ls", "-q", "--filter", &filter]),
        ("volume", vec!["volume", "ls", "-q", "--filter", &filter]),
    ] {
        let out = Command::new("docker").args(&args).output().unwrap();
        for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            left.push(format!("{what} {id}"));
        }
    }
    left
}

/// A run against `image`, as a process of its own; returns its output and pid.
fn run_against(image: &str, extra: &[&str], reports: &Path) -> (Output, u32) {
    let child = lockstep()
        .args(["run", "--no-progress", "--target", &format!("docker:{image}")])
        .args(extra)
        .arg("--report-dir")
        .arg(reports)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    (child.wait_with_output().unwrap(), pid)
}

/// An image FROM the reference MDM's with another entrypoint, built with
/// the docker CLI from a Dockerfile on stdin (no context, no pull).
fn derived_image(name: &str, entrypoint: &[&str]) -> String {
    let image = format!("{name}:{TAG}");
    let before = image_id(&image);
    let entry: Vec<String> = entrypoint.iter().map(|a| format!("\"{a}\"")).collect();
    let dockerfile = format!("FROM {}\nENTRYPOINT [{}]\n", mdm_image(), entry.join(", "));
    let mut child = Command::new("docker")
        .args(["build", "-q", "-t", &image, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(dockerfile.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The image the tag named before, untagged now: not left dangling.
    if let Some(old) = before.filter(|old| image_id(&image).as_ref() != Some(old)) {
        let _ = Command::new("docker").args(["rmi", &old]).output();
    }
    image
}

/// The id of a local image, if the engine holds it.
fn image_id(image: &str) -> Option<String> {
    let out = Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", image]).output().unwrap();
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// [`run_against`] that must exit with `code` and leave no container,
/// network or volume behind; returns what it printed.
fn run_expecting(code: i32, image: &str, extra: &[&str], reports: &Path) -> String {
    let (out, pid) = run_against(image, extra, reports);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(code), "{image} {extra:?}:\n{all}");
    assert_eq!(left_behind(pid), Vec::<String>::new(), "{image} {extra:?}");
    all
}

#[test]
fn without_an_engine_every_scenario_is_skipped_with_the_reason_and_the_run_is_not_a_pass() {
    let reports = tempfile::tempdir().unwrap();
    let out = lockstep()
        .args(["run", "features/docker", "--no-progress", "--target", "docker:lockstep-reference-mdm:0.1.0"])
        .arg("--report-dir")
        .arg(reports.path())
        // Port 1 on loopback: nothing answers there.
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "nothing ran, which is never a pass:\n{all}");
    assert!(all.contains("no container engine answers a ping at tcp://127.0.0.1:1"), "{all}");
    assert!(
        all.lines().any(|l| l.starts_with("SKIP") && l.contains("no container engine answers")),
        "each scenario's skip line gives the reason:\n{all}"
    );
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert!(junit.contains("<skipped") && junit.contains("no container engine answers"), "{junit}");
    // --allow-empty (docs/ci.md's shards use it) does not make it a pass either.
    let out = lockstep()
        .args([
            "run",
            "features/docker",
            "--no-progress",
            "--allow-empty",
            "--target",
            "docker:lockstep-reference-mdm:0.1.0",
        ])
        .arg("--report-dir")
        .arg(reports.path())
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
}

#[test]
fn the_images_are_built_from_the_binary_with_nothing_pulled() {
    let Some(engine) = engine() else { return };
    let out = images();
    let said = String::from_utf8_lossy(&out.stdout);
    eprintln!("{said}");
    for image in [format!("lockstep:{TAG}"), mdm_image()] {
        assert!(said.contains(&format!("built {image}")), "{said}");
        runtime().block_on(async {
            let sized = engine.image_size(&image).await.unwrap();
            assert!(sized > 1_000_000, "{image}: {sized} bytes");
        });
    }
    // The harness image runs: its own binary, libraries and suite.
    let out = Command::new("docker").args(["run", "--rm", &format!("lockstep:{TAG}"), "list"]).output().unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("features/reset_passcode/miradore_reset.feature"), "{all}");
}

#[test]
fn the_reference_mdm_image_passes_the_miradore_suite_and_is_removed_after() {
    if engine().is_none() {
        return;
    }
    images();
    let _one = one_at_a_time();
    let reports = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let all = run_expecting(
        0,
        &mdm_image(),
        &["features/reset_passcode", "features/self_service", "--patience", "30s"],
        reports.path(),
    );
    eprintln!("the Miradore suite against {} took {:.1} s", mdm_image(), started.elapsed().as_secs_f64());
    assert!(all.contains("Started the MDM from image lockstep-reference-mdm:test"), "{all}");
    assert!(
        all.contains("  Pub/Sub pull     PUBSUB_EMULATOR_HOST=")
            && all.contains(" projects/lockstep/subscriptions/mdm-pull"),
        "the console names the pull offer: {all}"
    );
    let passed = all.lines().filter(|l| l.starts_with("PASS")).count();
    assert!(passed >= 15, "Miradore scenarios ran against the container: {passed}\n{all}");
    assert!(all.lines().any(|l| l.starts_with("SKIP") && l.contains("claims `miradore`")), "{all}");
    let log = std::fs::read_to_string(reports.path().join("mdm-container.log")).unwrap();
    assert!(log.contains("listening on"), "the container's own output is kept: {log}");
    // PUBSUB_EMULATOR_HOST and the pull subscription, reached from inside
    // the container's network (the reference MDM asks the emulator at start).
    assert!(
        log.contains("Pub/Sub emulator at ")
            && log.contains(
                "answers: pull subscription projects/lockstep/subscriptions/mdm-pull on topic projects/lockstep/topics/amapi-events"
            ),
        "the container reaches the Pub/Sub emulator: {log}"
    );
}

#[test]
fn an_mdm_container_killed_mid_command_loses_nothing_and_a_defective_one_sends_twice() {
    if engine().is_none() {
        return;
    }
    images();
    let _one = one_at_a_time();
    let reports = tempfile::tempdir().unwrap();
    let all = run_expecting(0, &mdm_image(), &["features/docker", "--patience", "30s"], reports.path());
    assert!(all.contains("PASS") && all.contains("killed mid-wave"), "{all}");

    // The negative control: an MDM that sends again after a restart
    // without looking at the device's operations fails exactly this check.
    let reports = tempfile::tempdir().unwrap();
    let all = run_expecting(
        1,
        &mdm_image(),
        &["features/docker", "--patience", "30s", "--mdm-defect", "reissues-after-restart"],
        reports.path(),
    );
    assert!(all.contains("the MDM sent 2 RESET_PASSWORD commands"), "{all}");
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert!(junit.contains("MDM container lockstep-mdm-"), "the container's log is in the failure's evidence");
}

#[test]
fn an_image_that_is_missing_exits_or_never_answers_is_exit_2_with_its_last_log_lines() {
    if engine().is_none() {
        return;
    }
    images();
    let _one = one_at_a_time();
    let exits = derived_image("lockstep-test-exits", &["/lockstep/bin/lockstep", "mdm", "serve", "--no-such-flag"]);
    let mute =
        derived_image("lockstep-test-mute", &["/lockstep/bin/lockstep", "amapi", "serve", "--addr", "0.0.0.0:8080"]);
    let cases: [(&str, &[&str], &[&str]); 3] = [
        ("lockstep-no-such-image:1", &[], &["no image `lockstep-no-such-image:1`", "never pulls"]),
        (&exits, &[], &["exited at start", "--no-such-flag"]),
        (&mute, &["--start-timeout", "3s"], &["did not answer GET", "within 3", "HTTP 404", "AMAPI mock listening"]),
    ];
    for (image, extra, expected) in cases {
        let reports = tempfile::tempdir().unwrap();
        let all = run_expecting(2, image, extra, reports.path());
        for e in expected {
            assert!(all.contains(e), "{image}: `{e}` in\n{all}");
        }
    }
}

#[test]
fn ctrl_c_while_the_container_starts_removes_it_and_a_killed_run_is_reaped_by_the_next() {
    if engine().is_none() {
        return;
    }
    images();
    let _one = one_at_a_time();
    let mute =
        derived_image("lockstep-test-mute", &["/lockstep/bin/lockstep", "amapi", "serve", "--addr", "0.0.0.0:8080"]);
    let start = |reports: &Path| {
        let child = lockstep()
            .args(["run", "--no-progress", "--start-timeout", "120s", "--target", &format!("docker:{mute}")])
            .arg("--report-dir")
            .arg(reports)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !left_behind(pid).iter().any(|l| l.starts_with("container")) {
            assert!(Instant::now() < deadline, "no container started");
            std::thread::sleep(Duration::from_millis(100));
        }
        (child, pid)
    };
    let reports = tempfile::tempdir().unwrap();
    let (child, pid) = start(reports.path());
    Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert_eq!(left_behind(pid), Vec::<String>::new(), "Ctrl-C removes what the start made");

    // SIGKILL leaves no chance to clean up; the next run removes it.
    let (mut child, pid) = start(reports.path());
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!left_behind(pid).is_empty(), "a killed run leaves its container behind");
    let (out, _) = run_against("lockstep-no-such-image:1", &[], reports.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(left_behind(pid), Vec::<String>::new(), "the next run reaped what the killed one left");
}

/// A run file for `lockstep run --config`, in a directory of its own.
fn run_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lockstep.toml");
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

#[test]
fn a_run_file_with_a_typo_is_exit_2_naming_the_line_the_field_and_the_known_keys() {
    // Resolved before any engine is asked: no engine needed.
    let (_dir, file) = run_file("[target]\nimage = \"lockstep-reference-mdm\"\ntga = \"test\"\n");
    let reports = tempfile::tempdir().unwrap();
    let out = lockstep()
        .args(["run", "--no-progress", "--config"])
        .arg(&file)
        .arg("--report-dir")
        .arg(reports.path())
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    let expected = format!(
        "error: --config {}:3: field `target.tga`: unknown field `tga`; known: image, tag, url, start_timeout, env",
        file.display()
    );
    assert!(all.contains(&expected), "{expected}\nin\n{all}");
    assert!(!all.contains("no container engine"), "nothing was started: {all}");
}

#[test]
fn a_run_file_names_the_image_its_tag_and_the_containers_extra_environment() {
    if engine().is_none() {
        return;
    }
    images();
    let _one = one_at_a_time();
    // LOCKSTEP_MDM_VENDOR is no part of the contract: the reference MDM's
    // image reads it, so the container claims the Intune profile.
    let (_dir, file) = run_file(&format!(
        "[target]\nimage = \"lockstep-reference-mdm\"\ntag = \"{TAG}\"\nstart_timeout = \"90s\"\n\n[target.env]\nLOCKSTEP_MDM_VENDOR = \"intune\"\n"
    ));
    let reports = tempfile::tempdir().unwrap();
    let child = lockstep()
        .args(["run", "--no-progress", "--patience", "30s", "features/reset_passcode/device_refusals.feature"])
        .arg("--config")
        .arg(&file)
        .arg("--report-dir")
        .arg(reports.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains(&format!("Started the MDM from image {}", mdm_image())), "{all}");
    assert!(all.contains("vendor profile   intune"), "the container got the file's env: {all}");
    assert!(all.lines().any(|l| l.starts_with("PASS")), "{all}");
    assert_eq!(left_behind(pid), Vec::<String>::new());
    let provenance = std::fs::read_to_string(reports.path().join("run.json")).unwrap();
    assert!(provenance.contains("--config"), "the replay command names the run file: {provenance}");
}

#[test]
fn the_lockstep_image_runs_the_suite_against_the_mdm_image_and_writes_junit_to_a_mounted_directory() {
    if engine().is_none() {
        return;
    }
    images();
    let _one = one_at_a_time();
    // docs/ci.md's job, on this machine: Lockstep's own image with the
    // engine's socket, on the host's network, the reports mounted.
    let reports = tempfile::tempdir().unwrap();
    let name = format!("lockstep-test-harness-{}", std::process::id());
    let socket_group = std::fs::metadata("/var/run/docker.sock").map(|m| {
        use std::os::unix::fs::MetadataExt as _;
        m.gid()
    });
    let id = |flag: &str| String::from_utf8(Command::new("id").arg(flag).output().unwrap().stdout).unwrap();
    let user = format!("{}:{}", id("-u").trim(), id("-g").trim());
    let mut docker = Command::new("docker");
    docker.args(["run", "--rm", "--name", &name, "--network", "host", "--user", &user]);
    if let Ok(gid) = socket_group {
        docker.args(["--group-add", &gid.to_string()]);
    }
    let out = docker
        .args(["-v", "/var/run/docker.sock:/var/run/docker.sock"])
        .arg("-v")
        .arg(format!("{}:/lockstep/reports", reports.path().display()))
        .args([
            &format!("lockstep:{TAG}"),
            "run",
            "--no-progress",
            "--patience",
            "30s",
            "--target",
            &format!("docker:{}", mdm_image()),
            "--report-dir",
            "reports/shard-1",
            "features/reset_passcode/miradore_reset.feature",
        ])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "the containerised run is green:\n{all}");
    assert!(all.contains(&format!("Started the MDM from image {}", mdm_image())), "{all}");
    let junit = std::fs::read_to_string(reports.path().join("shard-1/junit.xml")).unwrap();
    let cases = junit.matches("<testcase").count();
    assert!(cases >= 3, "JUnit on the mounted directory, {cases} cases:\n{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
    assert!(reports.path().join("shard-1/mdm-container.log").is_file());
    // What the containerised Lockstep made carries its own PID namespace
    // in the label, and is gone.
    let labelled = Command::new("docker")
        .args(["ps", "-a", "--filter", "label=org.lockstep.owner", "--format", "{{.Label \"org.lockstep.owner\"}}"])
        .output()
        .unwrap();
    let owners = String::from_utf8_lossy(&labelled.stdout);
    assert!(!owners.lines().any(|o| o.contains("@pid:[") && o.ends_with("/1")), "left behind: {owners}");
}

#[test]
fn rebuilding_an_image_under_its_tag_removes_the_one_it_replaced() {
    let Some(engine) = engine() else { return };
    images();
    let _one = one_at_a_time();
    /// The images this test tags, untagged again however it ends.
    struct Untag;
    impl Drop for Untag {
        fn drop(&mut self) {
            for image in ["lockstep:prune-test", "lockstep-reference-mdm:prune-test"] {
                let _ = Command::new("docker").args(["rmi", image]).output();
            }
        }
    }
    let _untag = Untag;
    // Two suites of one feature file each: two harness images under one tag.
    let suite = |file: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(root().join("features/reset_passcode").join(file), dir.path().join(file)).unwrap();
        dir
    };
    let (one, other) = (suite("miradore_reset.feature"), suite("device_refusals.feature"));
    let build = |features: &Path| {
        let out =
            lockstep().args(["image", "build", "--tag", "prune-test", "--features"]).arg(features).output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        text(&out)
    };
    let id = image_id;
    build(one.path());
    let first = id("lockstep:prune-test").unwrap();
    let said = build(other.path());
    let second = id("lockstep:prune-test").unwrap();
    assert_ne!(first, second, "a different suite is a different image");
    assert!(said.contains(&format!("removed the image lockstep:prune-test used to name ({first})")), "{said}");
    assert_eq!(id(&first), None, "no dangling image left: {said}");
    // The MDM image did not change, so nothing of it was removed.
    assert!(!said.contains("lockstep-reference-mdm:prune-test used to name"), "{said}");
    // A tagged image stays, and an untagged one without our label is not
    // ours to remove (`docker import` of an empty archive makes one).
    let mut import =
        Command::new("docker").args(["import", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write as _;
        import.stdin.take().unwrap().write_all(&[0u8; 1024]).unwrap();
    }
    let foreign = String::from_utf8(import.wait_with_output().unwrap().stdout).unwrap().trim().to_owned();
    runtime().block_on(async {
        let mdm = id(&mdm_image()).unwrap();
        assert!(!engine.prune_replaced(&mdm).await, "a tagged image stays");
        assert!(!engine.prune_replaced(&foreign).await, "an image without our label stays");
    });
    assert!(id(&foreign).is_some(), "{foreign}");
    Command::new("docker").args(["rmi", &foreign]).output().unwrap();
}
