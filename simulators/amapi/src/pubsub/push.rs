//! Push delivery: each push subscription's messages are POSTed to its
//! endpoint in Pub/Sub's push envelope (`{message: {attributes, data:
//! base64, messageId, publishTime}, subscription}`), optionally with an
//! OpenID Connect token ([`super::oidc`]).
//!
//! At least once: one background task per subscription posts its messages
//! in order and retries each with exponential backoff until the endpoint
//! acknowledges it (a 102, 200, 201, 202 or 204, as Pub/Sub push counts
//! them). Publishing only enqueues, never waits.

use super::{Message, Shared, SubscriptionConfig};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Weak;
use std::time::Duration;
use tokio::sync::mpsc;

/// A push subscription, as the control surface registers it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushSubscription {
    /// `projects/{project}/subscriptions/{subscription}`.
    pub name: String,
    /// `projects/{project}/topics/{topic}`: an enterprise's pubsubTopic.
    pub topic: String,
    /// Where messages are POSTed, e.g. `http://127.0.0.1:8080/pubsub`.
    pub push_endpoint: String,
    /// Sign each push with an ID token for this service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_token: Option<super::OidcToken>,
}

/// How push retries back off (real time).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PushRetry {
    pub initial: Duration,
    pub max: Duration,
    /// Give up after this many attempts; `None` retries for ever.
    pub max_attempts: Option<u32>,
    /// One attempt's time limit.
    pub timeout: Duration,
}

impl Default for PushRetry {
    /// Our choice: 100 ms doubling to 10 s, without limit (Pub/Sub keeps
    /// unacknowledged messages for days); 10 s per attempt.
    fn default() -> Self {
        PushRetry {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(10),
            max_attempts: None,
            timeout: Duration::from_secs(10),
        }
    }
}

/// One attempt to push a message to a subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub subscription: String,
    pub attempt: u32,
    /// The endpoint's HTTP status, if it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub acked: bool,
}

/// A published message and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedMessage {
    pub message_id: String,
    pub topic: String,
    pub notification_type: String,
    pub publish_time: String,
    /// The decoded `data`: the Device or Operation.
    pub data: Value,
    /// Dropped by a fault plan: published but never pushed.
    pub dropped: bool,
    /// Pushed twice by a fault plan.
    pub duplicated: bool,
    /// Delivered this many milliseconds late by a fault plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delayed_ms: Option<u64>,
    /// Held back by a fault plan until the next message on its topic.
    #[serde(default)]
    pub reordered: bool,
    pub attempts: Vec<Attempt>,
}

type Queue = mpsc::UnboundedSender<(String, Bytes)>;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Pub/Sub push counts these statuses as an acknowledgement.
fn is_ack(status: u16) -> bool {
    matches!(status, 102 | 200 | 201 | 202 | 204)
}

/// The push envelope of `message` for `subscription`. Both spellings of
/// messageId and publishTime, as Pub/Sub sends them.
fn envelope(subscription: &str, message: &Message) -> Bytes {
    let id = &message.id;
    let time = message.publish_time.rfc3339();
    let body = json!({
        "message": {
            "attributes": message.attributes,
            "data": base64::engine::general_purpose::STANDARD.encode(&message.data),
            "messageId": id,
            "message_id": id,
            "publishTime": time,
            "publish_time": time,
        },
        "subscription": subscription,
    });
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

/// The way into one push subscription's delivery task.
#[derive(Clone, Debug)]
pub(crate) struct Sender {
    subscription: String,
    queue: Queue,
    runtime: tokio::runtime::Handle,
}

impl Sender {
    /// Start the delivery task of a (checked) push subscription. Must run
    /// inside a tokio runtime.
    pub(super) fn start(shared: Weak<Shared>, config: &SubscriptionConfig) -> Result<Self, String> {
        let endpoint = config.push_endpoint.clone().unwrap_or_default();
        let uri: http::Uri = endpoint.parse().map_err(|e| format!("pushEndpoint: {e}"))?;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| "no tokio runtime to deliver from".to_owned())?;
        let (queue, rx) = mpsc::unbounded_channel();
        let token = config.oidc_token.as_ref().map(|t| {
            let audience = if t.audience.is_empty() { endpoint.clone() } else { t.audience.clone() };
            (t.service_account_email.clone(), audience)
        });
        let worker = Worker {
            shared,
            subscription: config.name.clone(),
            endpoint: uri,
            token,
            client: Client::builder(TokioExecutor::new()).build_http(),
        };
        runtime.spawn(tracing::Instrument::in_current_span(worker.run(rx)));
        Ok(Sender { subscription: config.name.clone(), queue, runtime })
    }

    /// Queue `message`, after `delay` if any. A closed queue means the
    /// subscription is going away.
    pub(super) fn send(&self, message: &Message, delay: Option<Duration>) {
        let item = (message.id.clone(), envelope(&self.subscription, message));
        match delay {
            None => {
                let _ = self.queue.send(item);
            }
            Some(delay) => {
                let queue = self.queue.clone();
                self.runtime.spawn(tracing::Instrument::in_current_span(async move {
                    tokio::time::sleep(delay).await;
                    let _ = queue.send(item);
                }));
            }
        }
    }
}

struct Worker {
    shared: Weak<Shared>,
    subscription: String,
    endpoint: http::Uri,
    /// (service account email, audience) of the ID token to send.
    token: Option<(String, String)>,
    client: HttpClient,
}

impl Worker {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<(String, Bytes)>) {
        if self.token.is_some() {
            // Make the signing key off the runtime's threads, once.
            let shared = self.shared.clone();
            let _ = tokio::task::spawn_blocking(move || shared.upgrade().map(|s| s.signer.warm())).await;
        }
        while let Some((message_id, body)) = rx.recv().await {
            let Some(retry) = self.shared.upgrade().map(|s| s.retry) else { return };
            let mut delay = retry.initial;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let (status, error) = self.post(body.clone(), retry.timeout).await;
                let acked = status.is_some_and(is_ack);
                if !self.record(
                    &message_id,
                    Attempt { subscription: self.subscription.clone(), attempt, status, error, acked },
                ) {
                    return;
                }
                if acked || retry.max_attempts.is_some_and(|m| attempt >= m) {
                    break;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(retry.max);
            }
        }
    }

    async fn post(&self, body: Bytes, timeout: Duration) -> (Option<u16>, Option<String>) {
        let mut request = http::Request::post(self.endpoint.clone());
        if let Some((email, audience)) = &self.token {
            let Some(shared) = self.shared.upgrade() else { return (None, Some("the mock is gone".into())) };
            match shared.signer.sign(email, audience) {
                Ok(jwt) => request = request.header(http::header::AUTHORIZATION, format!("Bearer {jwt}")),
                Err(e) => return (None, Some(format!("cannot sign the push token: {e}"))),
            }
        }
        let request = request
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::USER_AGENT,
                "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
            )
            .body(Full::new(body));
        let request = match request {
            Ok(r) => r,
            Err(e) => return (None, Some(e.to_string())),
        };
        match tokio::time::timeout(timeout, self.client.request(request)).await {
            Ok(Ok(response)) => (Some(response.status().as_u16()), None),
            Ok(Err(e)) => (None, Some(e.to_string())),
            Err(_) => (None, Some(format!("no answer within {timeout:?}"))),
        }
    }

    /// Note an attempt in the log; false when the mock is gone.
    fn record(&self, message_id: &str, attempt: Attempt) -> bool {
        let Some(shared) = self.shared.upgrade() else { return false };
        let mut state = shared.state();
        if let Some(m) = state.log.iter_mut().rev().find(|m| m.message_id == message_id) {
            m.attempts.push(attempt);
        }
        true
    }
}
