//! Time as the mock sees it: one [`Clock`] per mock, either virtual (it
//! moves only when the harness advances it) or real (wall time). Every
//! timestamp the API shows (createTime, enrollmentTime, publishTime, token
//! expiry) and every deadline (command `duration`) comes from it.
//!
//! Also the two wire formats AMAPI uses for time: RFC 3339 in UTC with a `Z`
//! (`google-datetime`) and seconds with an `s` suffix (`google-duration`).

use android_sim::SimTime;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An instant, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn as_unix_millis(self) -> i64 {
        self.0
    }

    /// This instant plus `d`, saturating.
    pub fn plus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }

    /// RFC 3339 in UTC with millisecond precision and a `Z`, as Google writes
    /// `google-datetime` values.
    pub fn rfc3339(self) -> String {
        match DateTime::<Utc>::from_timestamp_millis(self.0) {
            Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
            // Out of chrono's range: only reachable with absurd durations.
            None => "9999-12-31T23:59:59.999Z".to_owned(),
        }
    }

    /// Parse an RFC 3339 timestamp (any offset; fractions allowed).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text).ok().map(|t| Timestamp(t.timestamp_millis()))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

/// The default start of a virtual clock: 2026-01-05T09:00:00Z, a Monday
/// morning. Any fixed instant would do; a fixed one makes runs replay.
pub const DEFAULT_VIRTUAL_START: Timestamp = Timestamp(1_767_603_600_000);

/// The clock of one mock. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    Virtual { start: Timestamp, elapsed_ms: AtomicI64 },
    Real { start: Timestamp, started: Instant },
}

/// Why a clock cannot be moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("the clock is real (wall time) and cannot be advanced; start the mock with a virtual clock")]
    NotVirtual,
    /// Our choice: a virtual clock stops at the end of RFC 3339's range
    /// (year 9999) rather than wrapping around to the past.
    #[error("advancing the clock by {0:?} would pass the year 9999; the clock did not move")]
    WouldWrap(Duration),
}

/// The last instant a clock may reach: 9999-12-31T23:59:59.999Z.
pub const LATEST: Timestamp = Timestamp(253_402_300_799_999);

impl Clock {
    /// A virtual clock standing at `start` until advanced.
    pub fn virtual_at(start: Timestamp) -> Self {
        Clock { inner: Arc::new(Inner::Virtual { start, elapsed_ms: AtomicI64::new(0) }) }
    }

    /// Wall time (monotonic after start).
    pub fn real() -> Self {
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let start = Timestamp(i64::try_from(ms).unwrap_or(i64::MAX));
        Clock { inner: Arc::new(Inner::Real { start, started: Instant::now() }) }
    }

    pub fn is_virtual(&self) -> bool {
        matches!(*self.inner, Inner::Virtual { .. })
    }

    /// When this clock started.
    pub fn start(&self) -> Timestamp {
        match &*self.inner {
            Inner::Virtual { start, .. } | Inner::Real { start, .. } => *start,
        }
    }

    pub fn now(&self) -> Timestamp {
        match &*self.inner {
            Inner::Virtual { start, elapsed_ms } => {
                Timestamp(start.0.saturating_add(elapsed_ms.load(Ordering::SeqCst)))
            }
            Inner::Real { start, started } => start.plus(started.elapsed()),
        }
    }

    /// `t` as android-sim time: milliseconds since this clock started.
    pub fn sim_time(&self, t: Timestamp) -> SimTime {
        SimTime::from_millis(u64::try_from(t.0.saturating_sub(self.start().0)).unwrap_or(0))
    }

    /// Move a virtual clock forward by `by`; returns the new time.
    pub fn advance(&self, by: Duration) -> Result<Timestamp, ClockError> {
        match &*self.inner {
            Inner::Virtual { start, elapsed_ms } => {
                let ms = i64::try_from(by.as_millis()).map_err(|_| ClockError::WouldWrap(by))?;
                elapsed_ms
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |e| {
                        let next = e.checked_add(ms)?;
                        (start.0.checked_add(next)? <= LATEST.0).then_some(next)
                    })
                    .map_err(|_| ClockError::WouldWrap(by))?;
                Ok(self.now())
            }
            Inner::Real { .. } => Err(ClockError::NotVirtual),
        }
    }
}

/// Parse a `google-duration` such as `"600s"` or `"3.5s"` (protobuf JSON:
/// seconds, up to nine fractional digits, an `s`). Negative durations are
/// refused: no AMAPI duration we accept can be negative.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let number = text.strip_suffix('s')?;
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 9 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || (number.contains('.') && fraction.is_empty()) {
        return None;
    }
    let seconds: u64 = whole.parse().ok()?;
    let nanos: u32 = if fraction.is_empty() { 0 } else { format!("{fraction:0<9}").parse().ok()? };
    Some(Duration::new(seconds, nanos))
}

/// Format a duration the way protobuf JSON does: `"600s"`, `"1.500s"`.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        format!("{}s", d.as_secs())
    } else if nanos % 1_000_000 == 0 {
        format!("{}.{:03}s", d.as_secs(), nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!("{}.{:06}s", d.as_secs(), nanos / 1_000)
    } else {
        format!("{}.{:09}s", d.as_secs(), nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_virtual_clock_refuses_to_wrap() {
        let c = Clock::virtual_at(DEFAULT_VIRTUAL_START);
        assert!(matches!(c.advance(Duration::from_secs(u64::MAX)), Err(ClockError::WouldWrap(_))));
        let far = Duration::from_millis(u64::try_from(LATEST.0 - DEFAULT_VIRTUAL_START.0).unwrap());
        assert_eq!(c.advance(far), Ok(LATEST));
        assert!(c.advance(Duration::from_millis(1)).is_err(), "not one millisecond past the end");
        assert_eq!(c.now(), LATEST, "and the clock did not move");
        assert_eq!(Clock::real().advance(Duration::from_secs(1)), Err(ClockError::NotVirtual));
    }

    #[test]
    fn virtual_clock_moves_only_when_told() {
        let c = Clock::virtual_at(DEFAULT_VIRTUAL_START);
        assert_eq!(c.now(), DEFAULT_VIRTUAL_START);
        assert_eq!(c.now().rfc3339(), "2026-01-05T09:00:00.000Z");
        let later = c.advance(Duration::from_secs(601)).unwrap();
        assert_eq!(later.rfc3339(), "2026-01-05T09:10:01.000Z");
        assert_eq!(c.sim_time(later).as_millis(), 601_000);
        assert!(Clock::real().advance(Duration::from_secs(1)).is_err());
    }

    #[test]
    fn durations_round_trip() {
        for (text, d) in [
            ("600s", Duration::from_secs(600)),
            ("3.5s", Duration::from_millis(3500)),
            ("0.000000001s", Duration::from_nanos(1)),
        ] {
            assert_eq!(parse_duration(text), Some(d), "{text}");
        }
        assert_eq!(format_duration(Duration::from_secs(600)), "600s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.500s");
        for bad in ["600", "-1s", "1.s", "s", "1.0000000001s", "1e3s", " 1s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_parse_any_offset() {
        let t = Timestamp::parse_rfc3339("2026-01-05T10:00:00+01:00").unwrap();
        assert_eq!(t, DEFAULT_VIRTUAL_START);
        assert!(Timestamp::parse_rfc3339("yesterday").is_none());
    }
}
