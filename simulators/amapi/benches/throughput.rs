//! Throughput of the AMAPI mock over loopback HTTP/1.1 keep-alive, beside a
//! bare hyper server that answers every request with a fixed JSON body (the
//! ceiling for this stack), driven by the same load generator in the same
//! run; plus the memory one enrolled device costs.
//!
//! The load: each connection loops `POST .../devices/D:issueCommand?alt=json`
//! (a LOCK, which the device runs at once) then `GET .../operations/ID?alt=json`,
//! as an MDM issuing a command and polling it does. Journal on, default
//! settings, virtual clock.
//!
//! Run: `cargo bench -p amapi-mock --bench throughput`
//! (optional: `-- SECONDS CONNECTIONS DEVICES`). Target: the mock serves at
//! least 0.8 of the ceiling's requests per second. Then 100,000 more
//! commands in process, and the live heap they leave per command.

// A counting global allocator needs `unsafe impl GlobalAlloc`; it only
// forwards to the system allocator.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used)]

use amapi_mock::{serve_mock, EnterpriseSetup, Mock, MockConfig, Registration};
use android_sim::{DeviceProfile, Ownership};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes, so memory per device is measured, not guessed.
/// The count is spread over cache-line-sized shards, one per thread (by
/// turn), so that counting costs the allocation-heavy mock no more than
/// the bare server: one shared counter would make every allocation of
/// both worker threads fight over one cache line.
struct Counting;

#[repr(align(64))]
struct Shard(AtomicIsize);

const SHARDS: usize = 16;
static LIVE: [Shard; SHARDS] = [const { Shard(AtomicIsize::new(0)) }; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MY_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn shard() -> &'static AtomicIsize {
    let i = MY_SHARD
        .try_with(|s| {
            if s.get() == usize::MAX {
                s.set(NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS);
            }
            s.get()
        })
        .unwrap_or(0);
    &LIVE[i].0
}

/// Live heap bytes now (every shard; a block freed on another thread than
/// the one that made it moves bytes between shards, the sum is exact).
fn live() -> usize {
    usize::try_from(LIVE.iter().map(|s| s.0.load(Ordering::Relaxed)).sum::<isize>()).unwrap_or(0)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        shard().fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shard().fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const ENTERPRISE: &str = "LC00bench";

/// What the ceiling answers: an Operation of the size the mock sends.
const FIXED: &str = r#"{
  "name": "enterprises/LC00bench/devices/d00000/operations/1767603600000",
  "metadata": {
    "@type": "type.googleapis.com/google.android.devicemanagement.v1.Command",
    "createTime": "2026-01-05T09:00:00.000Z",
    "duration": "600s",
    "type": "LOCK",
    "userName": "enterprises/LC00bench/users/115152678574749474491"
  },
  "done": true
}"#;

fn setup(devices: usize) -> (Mock, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/devices");
    let profile = DeviceProfile::load(&dir.join("google-pixel-8.toml")).expect("fixtures/devices/google-pixel-8.toml");
    let mock = Mock::new(MockConfig { profiles: vec![profile], ..Default::default() });
    mock.create_enterprise(EnterpriseSetup { id: ENTERPRISE.into(), ..Default::default() }).unwrap();
    mock.put_policy(ENTERPRISE, "default", json!({"passwordPolicies": [{"passwordQuality": "NUMERIC"}]})).unwrap();
    let token = mock.create_enrollment_token(ENTERPRISE, json!({"duration": "86400s"})).unwrap();
    let token = token["value"].as_str().unwrap().to_owned();
    let before = live();
    for i in 0..devices {
        let mut r = Registration::new(&token, "google-pixel-8", Ownership::FullyManaged).passcode("147036");
        r.device_id = Some(format!("d{i:05}"));
        mock.register_device(&r).unwrap();
    }
    let per_device = live().saturating_sub(before) / devices.max(1);
    (mock, per_device)
}

async fn serve_ceiling() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    // Read the body like any server must before answering.
                    let _ = req.into_body().collect().await;
                    let mut resp = hyper::Response::new(Full::new(Bytes::from_static(FIXED.as_bytes())));
                    resp.headers_mut().insert("content-type", "application/json; charset=UTF-8".parse().unwrap());
                    Ok::<_, Infallible>(resp)
                });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    addr
}

/// Requests answered and their latencies (µs).
#[derive(Default)]
struct Tally {
    requests: u64,
    errors: u64,
    latencies: Vec<u32>,
}

async fn send(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    method: &str,
    uri: &str,
    body: &'static str,
    tally: &mut Tally,
) -> Option<Bytes> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    let started = Instant::now();
    let resp = sender.send_request(req).await.ok()?;
    let ok = resp.status().is_success();
    let bytes = resp.into_body().collect().await.ok()?.to_bytes();
    tally.latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
    tally.requests += 1;
    if !ok {
        tally.errors += 1;
    }
    Some(bytes)
}

/// The operation name in an issueCommand answer, without a JSON parser.
fn operation_name(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("\"name\": \"")? + 9;
    let end = text[start..].find('"')?;
    Some(text[start..start + end].to_owned())
}

async fn connection(addr: SocketAddr, index: usize, devices: usize, until: Instant) -> Tally {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let mut tally = Tally::default();
    let mut i = index;
    while Instant::now() < until {
        let device = format!("d{:05}", i % devices.max(1));
        i += 7;
        let issue = format!("/v1/enterprises/{ENTERPRISE}/devices/{device}:issueCommand?alt=json");
        let Some(answer) = send(&mut sender, "POST", &issue, r#"{"type":"LOCK"}"#, &mut tally).await else { break };
        let op = operation_name(&answer)
            .unwrap_or_else(|| format!("enterprises/{ENTERPRISE}/devices/{device}/operations/0"));
        if send(&mut sender, "GET", &format!("/v1/{op}?alt=json"), "", &mut tally).await.is_none() {
            break;
        }
    }
    tally
}

/// What one target did over all its rounds.
#[derive(Default)]
struct Run {
    tally: Tally,
    seconds: f64,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.tally.requests as f64 / self.seconds
    }

    fn percentile_ms(&mut self, p: f64) -> f64 {
        let l = &mut self.tally.latencies;
        l.sort_unstable();
        let i = ((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1));
        f64::from(l.get(i).copied().unwrap_or(0)) / 1000.0
    }
}

/// One round of load on `addr`, added to `run`.
async fn round(run: &mut Run, addr: SocketAddr, connections: usize, devices: usize, seconds: f64) {
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..connections).map(|c| tokio::spawn(connection(addr, c, devices, until))).collect();
    for t in tasks {
        let t = t.await.unwrap();
        run.tally.requests += t.requests;
        run.tally.errors += t.errors;
        run.tally.latencies.extend(t.latencies);
    }
    run.seconds += started.elapsed().as_secs_f64();
}

/// Issue `n` commands in process (round-robin over the devices) and report
/// the live heap they leave behind: operations, their indexes, the journal.
async fn kept_per_command(mock: &Mock, devices: usize, n: usize) {
    use tower::ServiceExt;
    let router = mock.router();
    let before = live();
    let started = Instant::now();
    for i in 0..n {
        let uri = format!("/v1/enterprises/{ENTERPRISE}/devices/d{:05}:issueCommand", i % devices);
        let req = http::Request::post(uri).body(axum::body::Body::from(r#"{"type":"LOCK"}"#)).unwrap();
        let response = router.clone().oneshot(req).await.unwrap();
        assert!(response.status().is_success());
        let _ = response.into_body().collect().await;
    }
    let elapsed = started.elapsed();
    let after = live();
    let per = after.saturating_sub(before) / n;
    println!("in process (router, no sockets): {:.2} µs per issueCommand", elapsed.as_secs_f64() * 1e6 / n as f64);
    println!("bytes kept per command after {n} more commands: {per} (journal included; operations age out 24 h after their deadline, at most 1,000 per device)");
}

fn main() {
    let args: Vec<f64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let seconds = args.first().copied().unwrap_or(4.0);
    let connections = args.get(1).map_or(16, |c| *c as usize);
    let devices = args.get(2).map_or(10_000, |d| *d as usize);

    let (mock, per_device) = setup(devices);
    println!("memory per enrolled device record: {per_device} bytes ({devices} devices, live heap counted)");

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ceiling = serve_ceiling().await;
        let running = serve_mock(mock.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        println!(
            "load: {connections} keep-alive HTTP/1.1 connections, {seconds} s each in alternating 0.5 s rounds, issueCommand + operations.get"
        );
        // Warm both up, then alternate short rounds so that load from
        // elsewhere on the machine falls on both alike.
        let (mut bare, mut ours) = (Run::default(), Run::default());
        round(&mut Run::default(), ceiling, connections, devices, 0.3).await;
        round(&mut Run::default(), running.addr, connections, devices, 0.3).await;
        let rounds = (seconds / 0.5).ceil().max(1.0) as usize;
        for _ in 0..rounds {
            round(&mut bare, ceiling, connections, devices, 0.5).await;
            round(&mut ours, running.addr, connections, devices, 0.5).await;
        }
        println!(
            "ceiling (bare hyper, fixed JSON): {:>9.0} req/s   p50 {:.3} ms   p99 {:.3} ms",
            bare.per_second(),
            bare.percentile_ms(0.50),
            bare.percentile_ms(0.99)
        );
        println!(
            "amapi-mock:                       {:>9.0} req/s   p50 {:.3} ms   p99 {:.3} ms   ({} non-2xx)",
            ours.per_second(),
            ours.percentile_ms(0.50),
            ours.percentile_ms(0.99),
            ours.tally.errors
        );
        let ratio = ours.per_second() / bare.per_second();
        println!("ratio mock/ceiling: {ratio:.2} (target >= 0.80: {})", if ratio >= 0.8 { "met" } else { "NOT met" });
        let journaled = mock.journal(&Default::default()).len();
        println!("journal entries kept: {journaled} (at most 10,000 and 32 MiB)");
        running.shutdown().await.unwrap();
        kept_per_command(&mock, devices, 100_000).await;
    });
}
