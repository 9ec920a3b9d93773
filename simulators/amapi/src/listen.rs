//! Serving an axum router on a socket so that no client can stop the
//! server: at most `max_connections` connections at once (the rest wait in
//! the kernel's backlog until one ends, so the process never runs out of
//! descriptors), and a connection that does not send a complete request
//! head within `header_read_timeout` is closed, whether it is new or idle
//! between keep-alive requests (hyper's header-read timer starts whenever
//! the connection waits for a request head). Used by the AMAPI mock and the
//! reference MDM.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// How much a server admits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// How long a request head (a new connection's first, or the next on a
    /// kept-alive one) may take to arrive.
    pub header_read_timeout: Duration,
}

impl Default for Limits {
    /// Our choice: 128 connections and 10 s, well under a 256-descriptor
    /// limit and well over what a test client needs.
    fn default() -> Self {
        Limits { max_connections: 128, header_read_timeout: Duration::from_secs(10) }
    }
}

/// What a server speaks on its one plaintext port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocols {
    /// HTTP/1.1 only (AMAPI's REST surface, the driver protocol).
    Http1,
    /// HTTP/1.1 and HTTP/2 without TLS (h2c, as gRPC emulators do), told
    /// apart by each connection's first bytes.
    Http1AndH2c,
}

/// Serve `router` on `listener` until `shutdown` completes; then stop
/// accepting, let each connection finish its request in flight, and
/// return. The header-read timeout applies to HTTP/1.1 connections.
pub async fn serve_router(
    listener: TcpListener,
    router: axum::Router,
    protocols: Protocols,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_service(listener, hyper_util::service::TowerToHyperService::new(router), protocols, limits, shutdown).await
}

/// [`serve_router`] for any hyper service answering axum responses (the
/// AMAPI mock serves its one handler directly, without a router).
pub(crate) async fn serve_service<S>(
    listener: TcpListener,
    service: S,
    protocols: Protocols,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    S: hyper::service::Service<
            http::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors or a connection reset before accept:
                // wait a little and go on serving.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = service.clone();
        let mut stopped = stopped.clone();
        while connections.try_join_next().is_some() {}
        connections.spawn(tracing::Instrument::in_current_span(async move {
            let _permit = permit;
            let mut builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            if protocols == Protocols::Http1 {
                builder = builder.http1_only();
            }
            builder.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            builder.http2().timer(hyper_util::rt::TokioTimer::new());
            let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stopped.wait_for(|s| *s) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        }));
    }
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}
