//! How long the harness waits for something asynchronous (a notification, a
//! status change, an enrollment reaching the MDM) before it gives up. Real
//! time: the stack runs on loopback, so this is patience, not a model.

use std::future::Future;
use std::time::Duration;

/// How long a wait lasts before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Poll `check` with a backoff from 2 ms to 50 ms until it returns `Some`;
/// `Ok(None)` once [`PATIENCE`] has passed.
pub async fn poll<T, E, F, Fut>(mut check: F) -> Result<Option<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(v) = check().await? {
            return Ok(Some(v));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
