//! Simulated time. The device never reads a wall clock; callers pass the
//! current [`SimTime`] to every operation whose outcome depends on time
//! (keyguard lockouts), so a virtual clock can drive a whole fleet at once.

use std::fmt;
use std::time::Duration;

/// Milliseconds since the start of a simulation (not since the Unix epoch).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

impl SimTime {
    /// The instant a simulation starts.
    pub const ZERO: SimTime = SimTime(0);

    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This instant plus `d`, saturating rather than wrapping.
    pub fn after(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        SimTime(self.0.saturating_add(ms))
    }

    /// How long from `self` until `later` (zero if `later` is not later).
    pub fn until(self, later: SimTime) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0))
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t+{}ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = SimTime::from_millis(1_000);
        assert_eq!(t.after(Duration::from_secs(30)).as_millis(), 31_000);
        assert_eq!(t.until(SimTime::ZERO), Duration::ZERO);
        assert_eq!(SimTime::from_millis(u64::MAX).after(Duration::from_secs(1)).as_millis(), u64::MAX);
    }
}
