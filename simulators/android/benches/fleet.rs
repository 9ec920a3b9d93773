//! Fleet benchmark: memory per simulated device, and reset + unlock pairs
//! per second on one core, beside the cost of the hashing those pairs cannot
//! avoid (two salted SHA-256 digests per pair) as the ceiling.
//!
//! Run: `cargo bench -p android-sim --bench fleet` (optionally `-- DEVICES`).
//! Targets: 1,000,000 devices under 2 GiB; at least 500,000 pairs per second.

// A counting global allocator needs `unsafe impl GlobalAlloc`; it only
// forwards to the system allocator.
#![allow(unsafe_code)]

use android_sim::{
    Agent, AgentCommand, CommandOutcome, CredentialHolder, Device, DeviceProfile, Entry, Ownership, Passcode,
    ResetFlags, SimTime,
};
use sha2::{Digest, Sha256};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Counts live heap bytes so the fleet's footprint is measured, not guessed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() {
    let devices: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/devices");
    let profile = Arc::new(DeviceProfile::load(&dir.join("google-pixel-8.toml")).expect("fixture"));
    let t0 = SimTime::ZERO;
    let first = Passcode::new("135790");

    // Memory: a fleet of enrolled devices, each with a passcode and an active token.
    let before = LIVE.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut fleet: Vec<Device> = Vec::with_capacity(devices);
    for i in 0..devices {
        let mut d = Device::new(profile.clone(), Ownership::FullyManaged, i as u64).expect("supported");
        d.set_passcode_in_settings(CredentialHolder::DeviceUser, None, Some(&first), t0).expect("valid");
        Agent::on(&mut d).provision();
        d.press_power();
        d.enter_passcode(CredentialHolder::DeviceUser, &first, t0);
        fleet.push(d);
    }
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "fleet: {devices} devices in {:.2} s; {:.1} MiB live heap, {} bytes per device ({:.1}% of the 2 GiB budget at 1,000,000)",
        started.elapsed().as_secs_f64(),
        bytes as f64 / (1 << 20) as f64,
        bytes / devices.max(1),
        (bytes as f64 / devices.max(1) as f64) * 1e6 / (2u64 << 30) as f64 * 100.0
    );

    // Throughput: RESET_PASSWORD with LOCK_NOW, then the user types the new code.
    let codes: Vec<Passcode> = (0..16).map(|i| Passcode::new(format!("{:08}", 24681357 + i * 1111))).collect();
    let commands: Vec<AgentCommand> = codes
        .iter()
        .map(|p| AgentCommand::ResetPassword {
            new_password: Some(p.clone()),
            flags: ResetFlags { lock_now: true, ..Default::default() },
        })
        .collect();
    let pairs = devices.max(2_000_000);
    let started = Instant::now();
    for n in 0..pairs {
        let d = &mut fleet[n % devices];
        let k = n % codes.len();
        let outcome = Agent::on(d).apply(&commands[k], t0);
        debug_assert_eq!(outcome, CommandOutcome::Done);
        let entry = d.enter_passcode(CredentialHolder::DeviceUser, &codes[k], t0);
        debug_assert_eq!(entry, Entry::Unlocked);
        black_box((outcome, entry));
    }
    let pair_rate = pairs as f64 / started.elapsed().as_secs_f64();

    // Ceiling: just the two digests each pair must compute.
    let started = Instant::now();
    for n in 0..pairs {
        for salt in [n as u64, !(n as u64)] {
            let mut h = Sha256::new();
            h.update(salt.to_le_bytes());
            h.update(codes[n % codes.len()].expose().as_bytes());
            black_box(h.finalize());
        }
    }
    let hash_rate = pairs as f64 / started.elapsed().as_secs_f64();
    println!(
        "reset+unlock: {:.0} pairs/s on one core (target 500,000); hashing alone: {:.0} pairs/s; ratio {:.2}",
        pair_rate,
        hash_rate,
        pair_rate / hash_rate
    );
    black_box(fleet);
}
