//! Loopback ports for servers a test must name before they start (an MDM
//! configured with the address of a mock the harness has yet to serve).
//!
//! Binding port 0 and dropping the listener is racy: the kernel hands the
//! same port to the next bind to port 0 or outgoing connection, and under a
//! busy `cargo test` another server took it before the harness bound it.
//! These ports come from below the kernel's ephemeral range, which no bind
//! to port 0 and no outgoing connection ever uses, so only another test
//! picking the very same port by hand could take one; each is checked free.

#![allow(dead_code)] // each test crate uses what it needs

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

/// The lowest port we draw from; below it sit well-known services.
const FLOOR: u32 = 10_000;

/// The first port of the kernel's ephemeral range (Linux's default when
/// /proc does not say).
fn ephemeral_start() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(32_768)
}

/// A loopback port that is free now and outside the ephemeral range.
pub(crate) fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ceiling = ephemeral_start().max(FLOOR + 1_000);
    let span = ceiling - FLOOR;
    // Test processes running at once start at different places.
    let start = std::process::id().wrapping_mul(7_919) % span;
    for _ in 0..span {
        let port = FLOOR + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        let port = u16::try_from(port).expect("ports fit in u16");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between {FLOOR} and {ceiling}");
}

/// [`free_port`] as a loopback address.
pub(crate) fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}
