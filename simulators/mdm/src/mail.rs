//! Passcode mail over SMTP (lettre). Mail is queued in the store's outbox
//! in the same transaction as the action status that causes it, and sent
//! from there, so neither a crash nor a mail server that is down loses it.
//! The passcode is put into the body here, at the last moment, and nowhere else.

use crate::store::{OutboxEntry, Store};
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Give up on a message after this many failed attempts.
const MAX_ATTEMPTS: u32 = 20;

#[derive(Debug, Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: String,
}

/// A mail that failed. It names the recipient, never the body.
#[derive(Debug, thiserror::Error)]
#[error("mail to {recipient} failed: {reason}")]
pub struct MailError {
    recipient: String,
    reason: String,
}

/// What a passcode mail says.
#[derive(Debug)]
pub struct PasscodeMail<'a> {
    pub recipient: &'a str,
    pub audience: &'a str,
    pub device_label: &'a str,
    pub device_user: &'a str,
    pub passcode: &'a str,
    pub requested_by: &'a str,
    pub product: &'a str,
}

impl Mailer {
    /// `smtp` is `host:port`; `None` makes a mailer that drops every message
    /// (marked sent, so nothing piles up).
    pub fn new(smtp: Option<&str>, from: &str) -> Self {
        let transport = smtp.map(|addr| {
            let (host, port) = match addr.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().unwrap_or(25)),
                None => (addr.to_owned(), 25),
            };
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).build()
        });
        Mailer { transport, from: from.to_owned() }
    }

    pub async fn send(&self, m: &PasscodeMail<'_>) -> Result<(), MailError> {
        let Some(transport) = &self.transport else { return Ok(()) };
        let fail = |reason: String| MailError { recipient: m.recipient.to_owned(), reason };
        let subject = format!("New passcode for {}", m.device_label);
        let body = if m.audience == "user" {
            format!(
                "Hello,\n\nThe passcode of your device {} was reset by your administrator ({}).\n\n\
                 New passcode: {}\n\nEnter it on the device to go on using it.\n\n-- {}\n",
                m.device_label, m.requested_by, m.passcode, m.product
            )
        } else {
            format!(
                "Hello,\n\nYou reset the passcode of {} (user {}).\n\nNew passcode: {}\n\n\
                 The device needs this passcode to go on.\n\n-- {}\n",
                m.device_label, m.device_user, m.passcode, m.product
            )
        };
        let message = Message::builder()
            .from(self.from.parse().map_err(|e| fail(format!("bad sender address: {e}")))?)
            .to(m.recipient.parse().map_err(|e| fail(format!("bad recipient address: {e}")))?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| fail(e.to_string()))?;
        transport.send(message).await.map_err(|e| fail(e.to_string()))?;
        Ok(())
    }

    /// Send everything in the outbox that has not gone yet.
    pub async fn flush(&self, store: &Store, compose: impl Fn(&OutboxEntry) -> Option<Composed>) {
        let Ok(entries) = store.unsent_mail() else { return };
        for entry in entries.into_iter().filter(|e| e.attempts < MAX_ATTEMPTS) {
            let clock_now = chrono::Utc::now();
            let result = match compose(&entry) {
                Some(c) => {
                    let mail = PasscodeMail {
                        recipient: &entry.recipient,
                        audience: &entry.audience,
                        device_label: &c.device_label,
                        device_user: &c.device_user,
                        passcode: &c.passcode,
                        requested_by: &c.requested_by,
                        product: &c.product,
                    };
                    self.send(&mail).await
                }
                // The passcode is gone (no such action): nothing to send.
                None => Ok(()),
            };
            let sent = match result {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(action = %entry.action_id, error = %e, "passcode mail not sent; will retry");
                    false
                }
            };
            if let Err(e) = store.mail_done(entry.seq, sent, clock_now) {
                tracing::warn!(error = %e, "could not record the mail's state");
            }
        }
    }
}

/// The parts of a passcode mail that come from the store.
#[derive(Debug)]
pub struct Composed {
    pub device_label: String,
    pub device_user: String,
    pub passcode: String,
    pub requested_by: String,
    pub product: String,
}
