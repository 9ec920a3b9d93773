//! Serving a mock on a socket: [`serve`] builds a mock from a
//! [`ServeConfig`] (clock, seed, device profiles, fleet file), binds, and
//! serves in the background; [`serve_mock`] serves a mock built by hand.
//! With a real clock, a background task expires due commands even when no
//! request comes in.

use crate::{Clock, Error, Fleet, Mock, MockConfig, PushRetry, Timestamp};
use android_sim::DeviceProfile;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Which clock a served mock runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClockChoice {
    /// Starts at the given instant and moves only when advanced.
    Virtual(Timestamp),
    /// Wall time.
    Real,
}

/// How to start a mock on a socket.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Default 127.0.0.1:0 (an ephemeral port).
    pub addr: SocketAddr,
    /// A fleet file (fixtures/fleets/*.toml) to enroll at start.
    pub fleet: Option<PathBuf>,
    /// Device profiles; default: the `devices` directory beside the fleet
    /// file's directory (fixtures/fleets/x.toml -> fixtures/devices).
    pub profiles_dir: Option<PathBuf>,
    pub seed: u64,
    /// Default: real. A standalone server is driven by clients in real
    /// time; the embedded harness asks for a virtual clock.
    pub clock: ClockChoice,
    pub journal_capacity: usize,
    pub push_retry: PushRetry,
    /// The app catalogue for applications.get; default: `apps/catalogue.json`
    /// beside the profiles directory (fixtures/apps), when it exists.
    pub catalogue: Option<PathBuf>,
    /// Strict mode (also `[mock] strict = true` in the fleet file).
    pub strict: bool,
    /// Connection cap and header-read/idle timeout.
    pub limits: crate::listen::Limits,
    /// Also serve the Pub/Sub emulator (gRPC and REST) here; default none.
    pub pubsub_addr: Option<SocketAddr>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            fleet: None,
            profiles_dir: None,
            seed: 0,
            clock: ClockChoice::Real,
            journal_capacity: 10_000,
            push_retry: PushRetry::default(),
            catalogue: None,
            strict: false,
            limits: crate::listen::Limits::default(),
            pubsub_addr: None,
        }
    }
}

/// A mock serving on a socket.
#[derive(Debug)]
pub struct RunningMock {
    /// `http://127.0.0.1:PORT/`: what a client's base URL is set to.
    pub base_url: String,
    pub addr: SocketAddr,
    /// The enrolled fleet's device names.
    pub devices: Vec<String>,
    /// The Pub/Sub emulator, when [`ServeConfig::pubsub_addr`] asked for one.
    pub pubsub: Option<crate::RunningPubSub>,
    mock: Mock,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    sweeper: Option<tokio::task::JoinHandle<()>>,
}

impl RunningMock {
    pub fn mock(&self) -> &Mock {
        &self.mock
    }

    /// Stop serving and wait for the server to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(p) = self.pubsub.take() {
            p.shutdown().await?;
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.sweeper.take() {
            s.abort();
        }
        match (&mut self.server).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Serve until the server stops (it stops only on error or shutdown).
    pub async fn wait(mut self) -> std::io::Result<()> {
        match (&mut self.server).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Bind, enroll the fleet (if any), and serve in the background.
pub async fn serve(config: ServeConfig) -> Result<RunningMock, Error> {
    let fleet = config.fleet.as_deref().map(Fleet::load).transpose()?;
    let profiles_dir = config.profiles_dir.clone().or_else(|| {
        let dir = config.fleet.as_deref()?.parent()?;
        Some(dir.join("..").join("devices"))
    });
    let clock = match config.clock {
        ClockChoice::Virtual(start) => Clock::virtual_at(start),
        ClockChoice::Real => Clock::real(),
    };
    let profiles = match &profiles_dir {
        Some(dir) => DeviceProfile::load_dir(dir)?,
        None => Vec::new(),
    };
    let mock = Mock::new(MockConfig {
        seed: config.seed,
        clock,
        profiles,
        journal_capacity: config.journal_capacity,
        journal_bytes: crate::journal::DEFAULT_BYTE_BUDGET,
        message_log_capacity: 10_000,
        push_retry: config.push_retry,
        strict: config.strict,
    });
    let catalogue = config.catalogue.clone().or_else(|| {
        let file = profiles_dir.as_deref()?.parent()?.join("apps").join("catalogue.json");
        file.is_file().then_some(file)
    });
    if let Some(file) = &catalogue {
        mock.load_catalogue(file)?;
    }
    let devices = match &fleet {
        Some(f) => mock.enroll_fleet(f)?,
        None => Vec::new(),
    };
    let pubsub = match config.pubsub_addr {
        Some(addr) => Some(crate::pubsub::serve(&mock, addr, config.limits).await?),
        None => None,
    };
    let mut running = serve_mock_with(mock, config.addr, config.limits).await?;
    running.devices = devices;
    running.pubsub = pubsub;
    Ok(running)
}

/// Serve an already built mock on `addr` (e.g. one a test set up in
/// process). With a real clock, a background task expires due commands.
pub async fn serve_mock(mock: Mock, addr: SocketAddr) -> Result<RunningMock, Error> {
    serve_mock_with(mock, addr, crate::listen::Limits::default()).await
}

/// [`serve_mock`] with chosen connection limits.
pub async fn serve_mock_with(
    mock: Mock,
    addr: SocketAddr,
    limits: crate::listen::Limits,
) -> Result<RunningMock, Error> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| Error::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| Error::Bind { addr, source })?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let service = crate::app::service(mock.clone());
    let server = tokio::spawn(tracing::Instrument::in_current_span(async move {
        crate::listen::serve_service(listener, service, crate::listen::Protocols::Http1, limits, async move {
            let _ = rx.await;
        })
        .await
    }));
    let sweeper = (!mock.clock().is_virtual()).then(|| {
        let weak = Arc::downgrade(&mock.inner);
        tokio::spawn(tracing::Instrument::in_current_span(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(inner) => Mock { inner }.sweep(),
                    None => return,
                }
            }
        }))
    });
    Ok(RunningMock {
        base_url: format!("http://{local}/"),
        addr: local,
        devices: Vec::new(),
        pubsub: None,
        mock,
        shutdown: Some(tx),
        server,
        sweeper,
    })
}
