//! A recording HTTP relay: it passes each request on to one upstream base
//! URL, answers with what the upstream answered, and keeps the method and
//! path of every request it saw. A test puts one in front of an MDM (or of
//! the MDM's Pub/Sub push route) to see which calls went where.
//!
//! HTTP/1.1 only, with `Content-Length` bodies: what reqwest and hyper send.

#![allow(dead_code)] // each test crate uses what it needs

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// One request the relay passed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) method: String,
    /// The path and query as asked (`/lockstep/v1/devices?user_email=...`).
    pub(crate) path: String,
}

/// A running relay; it stops with the runtime that started it.
#[derive(Debug, Clone)]
pub(crate) struct Relay {
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Relay {
    /// Listen on a free loopback port and pass everything on to `upstream`
    /// (a base URL; the request's path is appended). Must run in a Tokio runtime.
    pub(crate) async fn start(upstream: &str) -> Relay {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let upstream = upstream.trim_end_matches('/').to_owned();
        let http = reqwest::Client::new();
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (upstream, http, record) = (upstream.clone(), http.clone(), Arc::clone(&record));
                tokio::spawn(async move {
                    let _ = serve_connection(stream, &upstream, &http, &record).await;
                });
            }
        });
        Relay { url, seen }
    }

    /// Every request so far, in order.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// How many requests so far had a path starting with `prefix`.
    pub(crate) fn count(&self, method: &str, prefix: &str) -> usize {
        self.seen().iter().filter(|s| s.method == method && s.path.starts_with(prefix)).count()
    }
}

/// Requests on one connection, one after the other (keep-alive).
async fn serve_connection(
    stream: tokio::net::TcpStream,
    upstream: &str,
    http: &reqwest::Client,
    record: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut stream = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(path)) = (parts.next().map(str::to_owned), parts.next().map(str::to_owned)) else {
            return Ok(());
        };
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            stream.read_line(&mut header).await?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
                if name == "content-length" {
                    length = value.parse().unwrap_or(0);
                }
                headers.push((name, value));
            }
        }
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).await?;
        record.lock().unwrap_or_else(PoisonError::into_inner).push(Seen { method: method.clone(), path: path.clone() });

        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = http.request(method, format!("{upstream}{path}")).body(body);
        for (name, value) in &headers {
            if matches!(name.as_str(), "authorization" | "content-type") {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let (status, content_type, answer) = match request.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
                (status, content_type, resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
            }
            Err(_) => (502, None, Vec::new()),
        };
        let mut head = format!("HTTP/1.1 {status} Relayed\r\ncontent-length: {}\r\n", answer.len());
        if let Some(t) = content_type {
            head.push_str(&format!("content-type: {t}\r\n"));
        }
        head.push_str("\r\n");
        let out = stream.get_mut();
        out.write_all(head.as_bytes()).await?;
        out.write_all(&answer).await?;
        out.flush().await?;
    }
}
