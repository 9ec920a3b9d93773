//! How long the harness waits for something asynchronous (a notification, a
//! status change, an enrollment reaching the MDM) before it gives up. Real
//! time: the stack runs on loopback, so this is patience, not a model.

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// How long a wait lasts before it fails, unless `--patience` says otherwise.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The patience of this run, in milliseconds (one run per process).
static CURRENT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(10_000);

/// How long a wait lasts in this run (`--patience`, default [`PATIENCE`]).
pub fn current() -> Duration {
    Duration::from_millis(CURRENT_MS.load(std::sync::atomic::Ordering::Relaxed))
}

/// Set the run's patience; the runner does this once, from the resolved config.
pub fn set(patience: Duration) {
    let ms = u64::try_from(patience.as_millis()).unwrap_or(u64::MAX).max(1);
    CURRENT_MS.store(ms, std::sync::atomic::Ordering::Relaxed);
}

/// A patience as people write it: `30s`, `500ms`, `2m`.
pub fn parse(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("a patience must be more than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!("`{text}` is not a duration such as 30s, 500ms or 2m ({e})")),
    }
}

/// A duration for a failure message: `10 s`, `0.5 s`.
pub fn describe(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Poll `check` with a backoff from 2 ms to 50 ms until it returns `Some`;
/// `Ok(None)` once [`PATIENCE`] has passed.
pub async fn poll<T, E, F, Fut>(check: F) -> Result<Option<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    poll_woken::<T, E, F, Fut, ()>(check, None).await
}

/// [`poll`], woken as well whenever `wake` changes: a system that signals
/// its own activity (the embedded MDM's background work, see
/// `reference_mdm::Activity`) is looked at again the moment it has done
/// something, rather than at the next step of the backoff. The backoff
/// stays as the fallback for whatever changes without a signal.
pub async fn poll_woken<T, E, F, Fut, W>(mut check: F, mut wake: Option<watch::Receiver<W>>) -> Result<Option<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let deadline = tokio::time::Instant::now() + current();
    let mut pause = Duration::from_millis(2);
    loop {
        // Whatever changes from here on, while `check` runs too, wakes the wait below.
        if let Some(w) = wake.as_mut() {
            w.borrow_and_update();
        }
        if let Some(v) = check().await? {
            return Ok(Some(v));
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        nap(&mut wake, pause.min(deadline - now)).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Sleep for `pause`, or less if `wake` changes first (mark what was seen
/// with `borrow_and_update` before looking). A signal that is gone (the
/// MDM stopped) leaves the sleep alone.
pub async fn nap<W>(wake: &mut Option<watch::Receiver<W>>, pause: Duration) {
    let sleep = tokio::time::sleep(pause);
    match wake.as_mut() {
        Some(w) => {
            tokio::select! {
                changed = w.changed() => {
                    if changed.is_err() {
                        *wake = None;
                    }
                }
                () = sleep => {}
            }
        }
        None => sleep.await,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn patience_reads_as_people_write_it() {
        assert_eq!(parse("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("2m").unwrap(), Duration::from_secs(120));
        assert!(parse("0s").is_err());
        assert!(parse("soon").unwrap_err().contains("soon"));
        assert_eq!(describe(Duration::from_secs(10)), "10 s");
        assert_eq!(describe(Duration::from_millis(1500)), "1.5 s");
    }
}
