//! reference-mdm: a small, real MDM that reproduces what the seed products
//! (Miradore, Intune, Iru) document about remote passcode reset and remote
//! lock on Android, and reaches devices only through the Android Management
//! API. It speaks the Lockstep driver protocol (docs/driver-protocol.md)
//! natively.
//!
//! Start one with [`serve`]; or build the pieces with [`Mdm::open`],
//! [`router`] and [`spawn_background`] to drive the router in-process.
//!
//! Modules: [`config`] (what it starts with, the [`Clock`] and the
//! [`Defect`] switches), [`vendor`] (the profiles), [`store`] (SQLite),
//! [`amapi`] (the AMAPI client), `actions` (the pipeline, with
//! reconciliation), `reset` (what a reset may do), [`mail`], `api` (HTTP).

mod actions;
pub mod activity;
pub mod amapi;
mod api;
pub mod config;
pub mod mail;
mod mdm;
mod outcome;
pub mod passcode;
pub mod passcode_rules;
mod push_auth;
mod reset;
pub mod store;
pub mod vendor;

pub use activity::Activity;
pub use api::{router, PUSH_PATH};
pub use config::{Clock, Defect, ManualClock, RetryPolicy, ServeConfig, SystemClock, VendorSource};
pub use mdm::{Error, Mdm};
pub use push_auth::PushAuth;
pub use reset::PasswordPolicyInput;

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running MDM: where it listens, and how to stop it.
#[derive(Debug)]
pub struct RunningMdm {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base_url: String,
    pub addr: SocketAddr,
    pub mdm: Arc<Mdm>,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    background: JoinHandle<()>,
}

impl RunningMdm {
    /// The URL the AMAPI Pub/Sub push subscription should deliver to.
    pub fn push_endpoint(&self) -> String {
        format!("{}{}", self.base_url, PUSH_PATH)
    }

    /// What the MDM's background work is doing, as it changes.
    pub fn activity(&self) -> watch::Receiver<Activity> {
        self.mdm.activity()
    }

    /// A count of the MDM's work done (dispatches and pushes ended, rounds
    /// that had something to do): what a waiter looks again after.
    pub fn work_done(&self) -> watch::Receiver<u64> {
        self.mdm.activity.work()
    }

    /// Start a background round (sweep, mail outbox) now rather than at the
    /// next poll interval: work the MDM would do anyway, done sooner.
    pub fn wake(&self) {
        self.mdm.mail_wake.notify_one();
    }

    /// Stop serving and stop the background work; waits for both.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        self.background.abort();
        let _ = self.background.await;
    }
}

/// Open the MDM, reconcile what a previous run left unfinished, and serve
/// HTTP on `config.addr` until [`RunningMdm::shutdown`].
pub async fn serve(config: ServeConfig) -> Result<RunningMdm, Error> {
    let mdm = Mdm::open(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| Error::Listen { addr: config.addr, source })?;
    let addr = listener.local_addr().map_err(|source| Error::Listen { addr: config.addr, source })?;
    let (stop, mut stopped) = watch::channel(false);
    let app = router(Arc::clone(&mdm));
    let server = tokio::spawn(tracing::Instrument::in_current_span(async move {
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let limits = amapi_mock::listen::Limits::default();
        if let Err(e) =
            amapi_mock::listen::serve_router(listener, app, amapi_mock::listen::Protocols::Http1, limits, shutdown)
                .await
        {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    }));
    let background = spawn_background(&mdm);
    Ok(RunningMdm { base_url: format!("http://{addr}"), addr, mdm, stop, server, background })
}

/// The work that goes on besides requests: at start, the inventory and the
/// reconciliation of unfinished actions; then, every poll interval, the
/// sweep (dispatch what is pending, poll what was sent) and the mail outbox.
pub fn spawn_background(mdm: &Arc<Mdm>) -> JoinHandle<()> {
    let mdm = Arc::clone(mdm);
    tokio::spawn(tracing::Instrument::in_current_span(async move {
        let mut round: u64 = 0;
        loop {
            let mut this_round = mdm.activity.round();
            if round % 30 == 0 {
                mdm.sync_inventory().await;
            }
            let swept = mdm.sweep().await;
            let mailed = mdm.flush_mail().await;
            if swept || mailed {
                this_round.worked();
            }
            round += 1;
            drop(this_round);
            tokio::select! {
                _ = tokio::time::sleep(mdm.poll_interval) => {}
                _ = mdm.mail_wake.notified() => {}
            }
        }
    }))
}

/// Start sending a device's pending commands now (the sweep would, later).
pub(crate) fn spawn_dispatch(mdm: &Arc<Mdm>, device_id: &str) {
    let mdm = Arc::clone(mdm);
    let device_id = device_id.to_owned();
    let busy = mdm.activity.busy();
    tokio::spawn(tracing::Instrument::in_current_span(async move {
        let _busy = busy;
        mdm.dispatch_device(&device_id).await;
        mdm.flush_mail().await;
    }));
}

/// A session token: 32 bytes from the OS CSPRNG, hex.
pub(crate) fn new_token() -> String {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand::rngs::StdRng::try_from_rng(&mut rand::rngs::SysRng)
        .unwrap_or_else(|_| rand::rngs::StdRng::from_rng(&mut rand::rng()));
    (0..32).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}
