//! Loopback addresses for the servers of each embedded scenario's stack.
//!
//! Every scenario starts three servers (the AMAPI mock, the MDM, the mail
//! sink). Asking the kernel for "any free port" (port 0) makes Linux search
//! the ephemeral range for a port in which no socket conflicts, and a run
//! fills that range with its own finished connections: about twelve sockets
//! in TIME_WAIT a scenario, 12,700 after a run of 1,080 scenarios, in a range
//! of 28,000 ports. Measured with perf on that run, the search took a quarter
//! of all the CPU time. So the stack picks its own ports, from below the
//! ephemeral range, where finished client connections never sit: a
//! process-wide counter from a random start, each port checked by binding it
//! once. Where the range cannot be read, or leaves too little room beneath
//! it, port 0 as before.
//!
//! Another process can take a checked port before the server binds it; the
//! stack then starts again on port 0 ([`crate::stack`]).

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::LazyLock;

/// The lowest port we use: above the registered ports most services sit on.
const LOWEST: u16 = 10_000;
/// How many ports a single pick tries before it settles for port 0.
const TRIES: usize = 64;

/// The ports below the kernel's ephemeral range, if there is room there.
static BELOW_EPHEMERAL: LazyLock<Option<(u16, u16)>> = LazyLock::new(|| {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let low: u16 = text.split_whitespace().next()?.parse().ok()?;
    (low > LOWEST + 1_000).then(|| (LOWEST, low - 1))
});

/// A process-wide position in the range, starting at random so that two
/// Lockstep processes rarely walk the same ports.
static NEXT: LazyLock<AtomicU32> = LazyLock::new(|| {
    use std::hash::{BuildHasher, Hasher};
    // std's hasher keys are random per process: randomness enough to spread starts.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    AtomicU32::new(h.finish() as u32)
});

/// A loopback address for a server to listen on: a port from below the
/// ephemeral range that was free a moment ago, or port 0.
pub fn server_addr() -> SocketAddr {
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let Some((low, high)) = *BELOW_EPHEMERAL else { return any };
    let size = u32::from(high - low) + 1;
    for _ in 0..TRIES {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed) % size;
        let port = low + u16::try_from(offset).unwrap_or(0);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if TcpListener::bind(addr).is_ok() {
            return addr;
        }
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_distinct_bindable_ports_outside_the_ephemeral_range() {
        let addrs: Vec<SocketAddr> = (0..20).map(|_| server_addr()).collect();
        if let Some((low, high)) = *BELOW_EPHEMERAL {
            for a in &addrs {
                assert!((low..=high).contains(&a.port()), "{a} is below the ephemeral range");
            }
            let distinct: std::collections::BTreeSet<u16> = addrs.iter().map(SocketAddr::port).collect();
            assert_eq!(distinct.len(), addrs.len(), "no port is handed out twice in a row: {addrs:?}");
        }
        for a in addrs {
            // Free when picked, so a server can listen there.
            let listener = TcpListener::bind(a).unwrap();
            assert_eq!(listener.local_addr().unwrap().ip(), Ipv4Addr::LOCALHOST);
        }
    }

    #[test]
    fn a_taken_port_is_passed_over() {
        let Some(_) = *BELOW_EPHEMERAL else { return };
        let first = server_addr();
        let _held = TcpListener::bind(first).unwrap();
        // Wind the counter back so the next pick meets the held port first.
        NEXT.fetch_sub(1, Ordering::Relaxed);
        let next = server_addr();
        assert_ne!(next, first);
        TcpListener::bind(next).unwrap();
    }
}
