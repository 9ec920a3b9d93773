//! A mail sink: a plain SMTP server on an ephemeral loopback port that keeps
//! every message it is given, so a test can read what an MDM mailed.
//!
//! It speaks the part of SMTP (RFC 5321) a submitting client needs: `EHLO`/
//! `HELO`, `MAIL FROM`, `RCPT TO`, `DATA` (with dot-unstuffing), `RSET`,
//! `NOOP` and `QUIT`. No TLS, no authentication, no relaying: it is a sink.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sink = mail_sink::MailSink::start().await?;
//! // point the SMTP client at sink.addr(), send, then:
//! let mail = sink.wait_for(|m| m.to.iter().any(|t| t == "admin@example.com"), std::time::Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod message;
mod session;

pub use message::Mail;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running SMTP sink. Dropping it stops the server.
#[derive(Debug)]
pub struct MailSink {
    addr: SocketAddr,
    inbox: Arc<Inbox>,
    accept: JoinHandle<()>,
}

/// The messages received so far, and a counter that wakes waiters.
#[derive(Debug)]
pub(crate) struct Inbox {
    mails: Mutex<Vec<Mail>>,
    count: watch::Sender<usize>,
}

impl Inbox {
    pub(crate) fn deliver(&self, mail: Mail) {
        let n = {
            let mut mails = self.mails.lock().unwrap_or_else(PoisonError::into_inner);
            mails.push(mail);
            mails.len()
        };
        self.count.send_replace(n);
    }
}

impl MailSink {
    /// Start a sink on `127.0.0.1` and an ephemeral port.
    pub async fn start() -> io::Result<MailSink> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Start a sink on `addr` (port 0 picks a free one).
    pub async fn bind(addr: SocketAddr) -> io::Result<MailSink> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (count, _) = watch::channel(0);
        let inbox = Arc::new(Inbox { mails: Mutex::new(Vec::new()), count });
        let accepting = Arc::clone(&inbox);
        let accept = tokio::spawn(tracing::Instrument::in_current_span(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let inbox = Arc::clone(&accepting);
                tokio::spawn(tracing::Instrument::in_current_span(async move {
                    // A broken connection loses only its unfinished message.
                    let _ = session::serve(stream, &inbox).await;
                }));
            }
        }));
        Ok(MailSink { addr, inbox, accept })
    }

    /// Where the SMTP server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        self.inbox.mails.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Messages sent to `address` (an envelope recipient), oldest first.
    pub fn messages_to(&self, address: &str) -> Vec<Mail> {
        self.messages().into_iter().filter(|m| m.is_for(address)).collect()
    }

    /// Forget the messages received so far for `address` (one recipient of
    /// a shared sink starting afresh).
    pub fn forget_to(&self, address: &str) {
        let n = {
            let mut mails = self.inbox.mails.lock().unwrap_or_else(PoisonError::into_inner);
            mails.retain(|m| !m.is_for(address));
            mails.len()
        };
        self.inbox.count.send_replace(n);
    }

    /// Forget every message received so far.
    pub fn clear(&self) {
        self.inbox.mails.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.inbox.count.send_replace(0);
    }

    /// The first message (received before or during the wait) that matches
    /// `pred`, or `None` when none arrives within `timeout`.
    pub async fn wait_for(&self, pred: impl Fn(&Mail) -> bool, timeout: Duration) -> Option<Mail> {
        let mut changes = self.inbox.count.subscribe();
        let search = async {
            loop {
                if let Some(m) = self.messages().into_iter().find(|m| pred(m)) {
                    return Some(m);
                }
                if changes.changed().await.is_err() {
                    return None;
                }
            }
        };
        tokio::time::timeout(timeout, search).await.ok().flatten()
    }

    /// Wait until at least `n` messages have arrived; returns all of them, or
    /// `None` if fewer arrived within `timeout`.
    pub async fn wait_for_count(&self, n: usize, timeout: Duration) -> Option<Vec<Mail>> {
        let mut changes = self.inbox.count.subscribe();
        let wait = async {
            loop {
                let all = self.messages();
                if all.len() >= n {
                    return Some(all);
                }
                if changes.changed().await.is_err() {
                    return None;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.ok().flatten()
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
