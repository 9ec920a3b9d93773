//! The Pub/Sub emulator on a socket: gRPC (HTTP/2 without TLS) and REST
//! (HTTP/1.1) on one address, as Google's emulator serves them; a client
//! finds it through `PUBSUB_EMULATOR_HOST=host:port`. No authentication.

use crate::{Error, Mock};
use std::net::SocketAddr;

/// A Pub/Sub emulator serving on a socket.
#[derive(Debug)]
pub struct RunningPubSub {
    pub addr: SocketAddr,
    /// `127.0.0.1:PORT`: the value of `PUBSUB_EMULATOR_HOST`.
    pub emulator_host: String,
    /// `http://127.0.0.1:PORT/`: the REST root (`…v1/projects/…`).
    pub base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningPubSub {
    /// Stop serving and wait for the server to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.server).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Serve the Pub/Sub of `mock` on `addr`, in the background.
pub async fn serve(mock: &Mock, addr: SocketAddr, limits: crate::listen::Limits) -> Result<RunningPubSub, Error> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| Error::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| Error::Bind { addr, source })?;
    let router = mock.pubsub_router();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tracing::Instrument::in_current_span(async move {
        crate::listen::serve_router(listener, router, crate::listen::Protocols::Http1AndH2c, limits, async move {
            let _ = rx.await;
        })
        .await
    }));
    Ok(RunningPubSub {
        addr: local,
        emulator_host: local.to_string(),
        base_url: format!("http://{local}/"),
        shutdown: Some(tx),
        server,
    })
}
