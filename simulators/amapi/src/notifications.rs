//! Pub/Sub as AMAPI uses it: notifications published to an enterprise's
//! `pubsubTopic` and pushed to the push subscriptions of that topic, in
//! Pub/Sub's push envelope (`{message: {attributes: {notificationType},
//! data: base64(JSON), messageId, publishTime}, subscription}`).
//!
//! Delivery is at least once: one background task per subscription posts
//! its messages in order and retries each one with exponential backoff
//! until the endpoint acknowledges it (a 102, 200, 201, 202 or 204, as Pub/Sub
//! push counts them). HTTP handlers only enqueue, never wait.
//!
//! Faults (see [`crate::faults`]) may drop a message, deliver it twice with
//! the same messageId, deliver it late (later messages overtake it), or hold
//! it back until the next message on its topic (an older publishTime
//! arrives after a newer one). A consumer must dedupe by messageId and
//! order by publishTime, as Pub/Sub's at-least-once, unordered delivery
//! requires anyway.
//!
//! Our choice: push subscriptions are registered on the control surface
//! (Pub/Sub itself is not emulated beyond push); only `http://` endpoints.

use crate::clock::Timestamp;
use crate::faults::Delivery;
use crate::world::Outgoing;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// A push subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushSubscription {
    /// `projects/{project}/subscriptions/{subscription}`.
    pub name: String,
    /// `projects/{project}/topics/{topic}`: an enterprise's pubsubTopic.
    pub topic: String,
    /// Where messages are POSTed, e.g. `http://127.0.0.1:8080/pubsub`.
    pub push_endpoint: String,
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

#[derive(Debug)]
struct Subscriber {
    config: PushSubscription,
    queue: Queue,
    runtime: tokio::runtime::Handle,
}

/// A message held back by a reorder fault, with where it goes.
#[derive(Debug)]
struct Held {
    topic: String,
    sends: Vec<(Queue, String, Bytes)>,
}

#[derive(Debug, Default)]
struct State {
    next_message_id: u64,
    subscribers: Vec<Subscriber>,
    log: VecDeque<PublishedMessage>,
    held: Vec<Held>,
}

/// The part the delivery tasks share (they hold it weakly: when the mock
/// goes, they stop).
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    retry: PushRetry,
    log_capacity: usize,
}

/// The publisher of one mock.
#[derive(Debug, Clone)]
pub(crate) struct PubSub {
    shared: Arc<Shared>,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Pub/Sub push counts these statuses as an acknowledgement.
fn is_ack(status: u16) -> bool {
    matches!(status, 102 | 200 | 201 | 202 | 204)
}

impl PubSub {
    pub(crate) fn new(retry: PushRetry, log_capacity: usize) -> Self {
        PubSub { shared: Arc::new(Shared { state: Mutex::new(State::default()), retry, log_capacity }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Register (or replace) a push subscription and start its delivery
    /// task. Must run inside a tokio runtime.
    pub(crate) fn subscribe(&self, config: PushSubscription) -> Result<(), String> {
        if !config.push_endpoint.starts_with("http://") {
            return Err(format!("pushEndpoint \"{}\" must be an http:// URL", config.push_endpoint));
        }
        let uri: http::Uri = config.push_endpoint.parse().map_err(|e| format!("pushEndpoint: {e}"))?;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| "no tokio runtime to deliver from".to_owned())?;
        let (tx, rx) = mpsc::unbounded_channel();
        let worker = Worker {
            shared: Arc::downgrade(&self.shared),
            subscription: config.name.clone(),
            endpoint: uri,
            client: Client::builder(TokioExecutor::new()).build_http(),
        };
        runtime.spawn(tracing::Instrument::in_current_span(worker.run(rx)));
        let mut state = self.state();
        state.subscribers.retain(|s| s.config.name != config.name);
        state.subscribers.push(Subscriber { config, queue: tx, runtime });
        Ok(())
    }

    pub(crate) fn unsubscribe(&self, name: &str) -> bool {
        let mut state = self.state();
        let before = state.subscribers.len();
        state.subscribers.retain(|s| s.config.name != name);
        before != state.subscribers.len()
    }

    pub(crate) fn subscriptions(&self) -> Vec<PushSubscription> {
        self.state().subscribers.iter().map(|s| s.config.clone()).collect()
    }

    /// Publish one notification as the fault plan's `delivery` says:
    /// `copies` times (0: dropped), late, or held back until the next one.
    pub(crate) fn publish(&self, n: Outgoing, at: Timestamp, delivery: Delivery) {
        let mut state = self.state();
        state.next_message_id += 1;
        let message_id = state.next_message_id.to_string();
        let data = serde_json::to_vec(&n.data).unwrap_or_default();
        let publish_time = at.rfc3339();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
        let mut sends = Vec::new();
        for sub in state.subscribers.iter().filter(|s| s.config.topic == n.topic) {
            let envelope = json!({
                "message": {
                    "attributes": {"notificationType": n.kind.amapi_name()},
                    "data": encoded,
                    "messageId": message_id,
                    "message_id": message_id,
                    "publishTime": publish_time,
                    "publish_time": publish_time,
                },
                "subscription": sub.config.name,
            });
            let body = Bytes::from(serde_json::to_vec(&envelope).unwrap_or_default());
            for _ in 0..delivery.copies {
                match delivery.delay {
                    Some(delay) => {
                        let (queue, id, body) = (sub.queue.clone(), message_id.clone(), body.clone());
                        sub.runtime.spawn(tracing::Instrument::in_current_span(async move {
                            tokio::time::sleep(delay).await;
                            let _ = queue.send((id, body));
                        }));
                    }
                    None => sends.push((sub.queue.clone(), message_id.clone(), body.clone())),
                }
            }
        }
        if delivery.hold {
            state.held.push(Held { topic: n.topic.clone(), sends });
        } else {
            // A closed queue means the subscription is going away.
            for (queue, id, body) in sends {
                let _ = queue.send((id, body));
            }
            let (release, keep): (Vec<Held>, Vec<Held>) =
                std::mem::take(&mut state.held).into_iter().partition(|h| h.topic == n.topic);
            state.held = keep;
            for (queue, id, body) in release.into_iter().flat_map(|h| h.sends) {
                let _ = queue.send((id, body));
            }
        }
        if state.log.len() >= self.shared.log_capacity {
            state.log.pop_front();
        }
        state.log.push_back(PublishedMessage {
            message_id,
            topic: n.topic,
            notification_type: n.kind.amapi_name().to_owned(),
            publish_time,
            data: n.data,
            dropped: delivery.copies == 0,
            duplicated: delivery.copies > 1,
            delayed_ms: delivery.delay.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            reordered: delivery.hold,
            attempts: Vec::new(),
        });
    }

    /// Every published message still in the log, oldest first.
    pub(crate) fn messages(&self) -> Vec<PublishedMessage> {
        self.state().log.iter().cloned().collect()
    }

    pub(crate) fn clear_messages(&self) {
        self.state().log.clear();
    }
}

struct Worker {
    shared: Weak<Shared>,
    subscription: String,
    endpoint: http::Uri,
    client: HttpClient,
}

impl Worker {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<(String, Bytes)>) {
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
        let request = http::Request::post(self.endpoint.clone())
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
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = state.log.iter_mut().rev().find(|m| m.message_id == message_id) {
            m.attempts.push(attempt);
        }
        true
    }
}
