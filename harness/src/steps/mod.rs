//! The step vocabulary, one module per part of a scenario. Each module lists
//! its steps in [`VOCABULARY`] with an example, which `lockstep steps` prints
//! and a test matches against the registered definitions.

pub mod admin;
pub mod amapi;
pub mod handset;
pub mod outcomes;
pub mod portal;
pub mod setup;

use crate::world::{Failure, LockstepWorld};
use std::future::Future;
use std::time::Duration;

/// One step of the vocabulary, for `lockstep steps`.
#[derive(Debug, Clone, Copy)]
pub struct StepDoc {
    pub keyword: &'static str,
    pub pattern: &'static str,
    pub example: &'static str,
}

/// Every step, grouped as the modules are.
pub fn vocabulary() -> Vec<(&'static str, &'static [StepDoc])> {
    vec![
        ("setting up", setup::VOCABULARY),
        ("administrator actions", admin::VOCABULARY),
        ("self-service portal", portal::VOCABULARY),
        ("the device in hand", handset::VOCABULARY),
        ("outcomes", outcomes::VOCABULARY),
        ("the Android Management API directly (god-mode)", amapi::VOCABULARY),
    ]
}

/// Step definitions register themselves through link sections; a linker
/// drops an object file nothing refers to, taking its steps with it. The
/// runner calls this so every step module is referenced.
pub fn link() {
    let anchors: [fn(); 6] =
        [setup::anchor, admin::anchor, portal::anchor, handset::anchor, outcomes::anchor, amapi::anchor];
    for a in anchors {
        std::hint::black_box(a);
    }
}

/// How long a step waits for something asynchronous (a notification, a
/// status change) before it fails. Real time: the stack runs on loopback.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Poll `check` until it returns `Some`, or fail with `what` after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(world: &LockstepWorld, what: &str, mut check: F) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Failure>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(world.fail(format!("waited {} s: {what}", PATIENCE.as_secs())));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
