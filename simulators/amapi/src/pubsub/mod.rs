//! Pub/Sub as AMAPI publishes to it and MDMs consume it.
//!
//! Every notification published for an enterprise goes to its
//! `pubsubTopic` (`projects/P/topics/T`), and from there to every
//! subscription of that topic: push subscriptions get it POSTed in Pub/Sub's
//! push envelope ([`push`]), pull subscriptions keep it until a consumer
//! pulls and acknowledges it ([`pull`]). Both are served by an emulator of
//! the Pub/Sub API, over gRPC ([`grpc`]) and REST ([`rest`]), on the address
//! an MDM finds through `PUBSUB_EMULATOR_HOST` ([`serve`]); this module is
//! the one home of topics, subscriptions and the fan-out between them.
//!
//! Delivery is at least once and unordered, as Pub/Sub's: a consumer must
//! dedupe by messageId and order by publishTime. Faults (see
//! [`crate::faults`]) make that visible on every subscription alike: a
//! message dropped (never delivered), duplicated (delivered twice with the
//! same messageId), delayed (later messages overtake it), or held back
//! until the next message on its topic (an older publishTime arrives after
//! a newer one).
//!
//! Our choices where Pub/Sub's documentation is silent, or where a test
//! stack needs less than Google: no authentication of API callers (the
//! emulator convention); a subscription's topic must exist (CreateTopic),
//! except for push subscriptions registered on the control surface, which
//! create it; deleting a topic detaches its subscriptions (their topic
//! becomes `_deleted-topic_`, as in Pub/Sub).

pub mod grpc;
mod oidc;
mod pull;
mod push;
pub mod rest;
mod serve;
mod topics;

pub use oidc::{Jwks, Signer};
pub use push::{Attempt, PublishedMessage, PushRetry, PushSubscription};
pub use serve::{serve, RunningPubSub};
pub use topics::{
    OidcToken, SubscriptionConfig, DEFAULT_ACK_DEADLINE_SECONDS, MAX_ACK_DEADLINE_SECONDS, MIN_ACK_DEADLINE_SECONDS,
};

use crate::clock::Timestamp;
use crate::errors::{ApiError, Code};
use crate::faults::Delivery;
use crate::world::Outgoing;
use bytes::Bytes;
use pull::{PullQueue, Received};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use topics::{check_ack_deadline, check_name, Kind};

/// gRPC and REST on one router.
pub(crate) fn router(mock: &crate::Mock) -> axum::Router {
    grpc::router(mock.clone()).merge(rest::router(mock.clone()))
}

/// One published message, as every subscription of its topic gets it.
#[derive(Clone, Debug)]
pub(crate) struct Message {
    /// Publication order (messageId is its decimal form).
    pub seq: u64,
    pub id: String,
    pub data: Bytes,
    pub attributes: BTreeMap<String, String>,
    pub publish_time: Timestamp,
}

/// Where a subscription's messages go.
#[derive(Clone, Debug)]
enum Sink {
    Push(push::Sender),
    Pull(Arc<PullQueue>),
}

impl Sink {
    fn deliver(&self, message: &Message, delay: Option<Duration>) {
        match self {
            Sink::Push(sender) => sender.send(message, delay),
            Sink::Pull(queue) => queue.add(message.clone(), delay),
        }
    }
}

#[derive(Debug)]
struct Subscription {
    config: SubscriptionConfig,
    sink: Sink,
}

/// Messages held back by a reorder fault until the next one on `topic`.
#[derive(Debug)]
struct Held {
    topic: String,
    sends: Vec<(Sink, Message)>,
}

#[derive(Debug, Default)]
struct State {
    next_message_id: u64,
    topics: BTreeSet<String>,
    subscriptions: BTreeMap<String, Subscription>,
    log: VecDeque<PublishedMessage>,
    held: Vec<Held>,
}

/// The part delivery tasks share (push workers hold it weakly: when the
/// mock goes, they stop).
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    retry: PushRetry,
    log_capacity: usize,
    signer: Signer,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Pub/Sub of one mock.
#[derive(Debug, Clone)]
pub(crate) struct PubSub {
    shared: Arc<Shared>,
}

/// Our choice: a Pull that finds nothing waits this long for a message
/// before it answers empty (Pub/Sub waits "a while" and may answer empty
/// even when messages exist; we answer as soon as one is there).
const PULL_WAIT: Duration = Duration::from_secs(10);

/// Our choice: at most this many messages per Pull or StreamingPull answer
/// (Pub/Sub documents 1000 as Pull's maximum `maxMessages`).
pub(crate) const MAX_MESSAGES: usize = 1000;

fn already_exists(name: &str) -> ApiError {
    ApiError::new(Code::AlreadyExists, format!("Resource already exists in the project (resource={name})."))
}

fn not_found(name: &str) -> ApiError {
    ApiError::new(Code::NotFound, format!("Resource not found (resource={name})."))
}

impl PubSub {
    pub(crate) fn new(retry: PushRetry, log_capacity: usize) -> Self {
        PubSub { shared: Arc::new(Shared { state: Mutex::default(), retry, log_capacity, signer: Signer::generate() }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state()
    }

    /// The public keys push tokens are signed with.
    pub(crate) fn jwks(&self) -> Jwks {
        self.shared.signer.jwks()
    }

    // ----- topics ---------------------------------------------------------------

    pub(crate) fn create_topic(&self, name: &str) -> Result<(), ApiError> {
        check_name(Kind::Topic, name)?;
        if !self.state().topics.insert(name.to_owned()) {
            return Err(already_exists(name));
        }
        Ok(())
    }

    pub(crate) fn get_topic(&self, name: &str) -> Result<(), ApiError> {
        check_name(Kind::Topic, name)?;
        if self.state().topics.contains(name) {
            Ok(())
        } else {
            Err(not_found(name))
        }
    }

    pub(crate) fn topics(&self, project: &str) -> Vec<String> {
        self.state().topics.iter().filter(|t| topics::project_of(t) == project).cloned().collect()
    }

    /// Delete a topic; its subscriptions stay, detached.
    pub(crate) fn delete_topic(&self, name: &str) -> Result<(), ApiError> {
        check_name(Kind::Topic, name)?;
        let mut state = self.state();
        if !state.topics.remove(name) {
            return Err(not_found(name));
        }
        for s in state.subscriptions.values_mut().filter(|s| s.config.topic == name) {
            s.config.topic = "_deleted-topic_".to_owned();
        }
        Ok(())
    }

    pub(crate) fn topic_subscriptions(&self, topic: &str) -> Result<Vec<String>, ApiError> {
        self.get_topic(topic)?;
        Ok(self
            .state()
            .subscriptions
            .values()
            .filter(|s| s.config.topic == topic)
            .map(|s| s.config.name.clone())
            .collect())
    }

    // ----- subscriptions --------------------------------------------------------

    /// CreateSubscription: the topic must exist, the name must be new.
    pub(crate) fn create_subscription(&self, config: SubscriptionConfig) -> Result<SubscriptionConfig, ApiError> {
        let config = config.checked()?;
        let mut state = self.state();
        if !state.topics.contains(&config.topic) {
            return Err(not_found(&config.topic));
        }
        if state.subscriptions.contains_key(&config.name) {
            return Err(already_exists(&config.name));
        }
        let sink = self.sink(&config)?;
        state.subscriptions.insert(config.name.clone(), Subscription { config: config.clone(), sink });
        Ok(config)
    }

    fn sink(&self, config: &SubscriptionConfig) -> Result<Sink, ApiError> {
        match &config.push_endpoint {
            None => Ok(Sink::Pull(Arc::new(PullQueue::new(&config.name)))),
            Some(_) => push::Sender::start(Arc::downgrade(&self.shared), config)
                .map(Sink::Push)
                .map_err(|e| ApiError::invalid_argument("pushConfig.pushEndpoint", e)),
        }
    }

    /// Register (or replace) a push subscription from the control surface;
    /// its topic is created if need be. Must run inside a tokio runtime.
    pub(crate) fn subscribe(&self, push: PushSubscription) -> Result<(), ApiError> {
        let config = SubscriptionConfig {
            name: push.name,
            topic: push.topic,
            ack_deadline_seconds: DEFAULT_ACK_DEADLINE_SECONDS,
            push_endpoint: Some(push.push_endpoint),
            oidc_token: push.oidc_token,
        }
        .checked()?;
        let sink = self.sink(&config)?;
        let mut state = self.state();
        state.topics.insert(config.topic.clone());
        if let Some(Subscription { sink: Sink::Pull(q), .. }) = state.subscriptions.remove(&config.name) {
            q.close();
        }
        state.subscriptions.insert(config.name.clone(), Subscription { config, sink });
        Ok(())
    }

    pub(crate) fn get_subscription(&self, name: &str) -> Result<SubscriptionConfig, ApiError> {
        check_name(Kind::Subscription, name)?;
        self.state().subscriptions.get(name).map(|s| s.config.clone()).ok_or_else(|| not_found(name))
    }

    pub(crate) fn delete_subscription(&self, name: &str) -> Result<(), ApiError> {
        check_name(Kind::Subscription, name)?;
        match self.state().subscriptions.remove(name) {
            Some(Subscription { sink: Sink::Pull(q), .. }) => {
                q.close();
                Ok(())
            }
            Some(_) => Ok(()),
            None => Err(not_found(name)),
        }
    }

    /// Every subscription, push and pull, in name order; of one project
    /// when `project` is given.
    pub(crate) fn subscription_configs(&self, project: Option<&str>) -> Vec<SubscriptionConfig> {
        self.state()
            .subscriptions
            .values()
            .filter(|s| project.is_none_or(|p| topics::project_of(&s.config.name) == p))
            .map(|s| s.config.clone())
            .collect()
    }

    /// The push subscriptions, as the control surface lists them.
    pub(crate) fn push_subscriptions(&self) -> Vec<PushSubscription> {
        self.subscription_configs(None)
            .into_iter()
            .filter_map(|c| {
                Some(PushSubscription {
                    push_endpoint: c.push_endpoint?,
                    name: c.name,
                    topic: c.topic,
                    oidc_token: c.oidc_token,
                })
            })
            .collect()
    }

    pub(crate) fn unsubscribe(&self, name: &str) -> bool {
        self.delete_subscription(name).is_ok()
    }

    // ----- pull -----------------------------------------------------------------

    /// A pull subscription's queue and ack deadline. Our choice: pulling
    /// from a push subscription is FAILED_PRECONDITION.
    pub(crate) fn pull_queue(&self, name: &str) -> Result<(Arc<PullQueue>, Duration), ApiError> {
        check_name(Kind::Subscription, name)?;
        let state = self.state();
        let sub = state.subscriptions.get(name).ok_or_else(|| not_found(name))?;
        match &sub.sink {
            Sink::Pull(q) => Ok((Arc::clone(q), Duration::from_secs(u64::from(sub.config.ack_deadline_seconds)))),
            Sink::Push(_) => Err(ApiError::failed_precondition(format!(
                "{name} is a push subscription; pull from a subscription without a pushEndpoint."
            ))),
        }
    }

    /// Pull: up to `max` messages, waiting for one unless `return_immediately`.
    pub(crate) async fn pull(&self, name: &str, max: i32, return_immediately: bool) -> Result<Vec<Received>, ApiError> {
        if max <= 0 {
            return Err(ApiError::invalid_argument("maxMessages", "maxMessages must be positive."));
        }
        let max = usize::try_from(max).unwrap_or(MAX_MESSAGES).min(MAX_MESSAGES);
        let (queue, deadline) = self.pull_queue(name)?;
        let wait = if return_immediately { Duration::ZERO } else { PULL_WAIT };
        Ok(queue.pull(max, deadline, wait).await)
    }

    pub(crate) fn acknowledge(&self, name: &str, ack_ids: &[String]) -> Result<(), ApiError> {
        if ack_ids.is_empty() {
            return Err(ApiError::invalid_argument("ackIds", "At least one ackId is required."));
        }
        self.pull_queue(name)?.0.ack(ack_ids);
        Ok(())
    }

    /// ModifyAckDeadline: 0 seconds nacks (redelivers at once), up to 600.
    pub(crate) fn modify_ack_deadline(&self, name: &str, ack_ids: &[String], seconds: i32) -> Result<(), ApiError> {
        if ack_ids.is_empty() {
            return Err(ApiError::invalid_argument("ackIds", "At least one ackId is required."));
        }
        let seconds = u32::try_from(seconds).unwrap_or(u32::MAX);
        check_ack_deadline("ackDeadlineSeconds", seconds, 0)?;
        self.pull_queue(name)?.0.modify(ack_ids, seconds);
        Ok(())
    }

    // ----- publishing -----------------------------------------------------------

    /// Publish one AMAPI notification as the fault plan's `delivery` says.
    pub(crate) fn publish(&self, n: Outgoing, at: Timestamp, delivery: Delivery) {
        let data = Bytes::from(serde_json::to_vec(&n.data).unwrap_or_default());
        let attributes = BTreeMap::from([("notificationType".to_owned(), n.kind.amapi_name().to_owned())]);
        let mut state = self.state();
        let message = Self::fan_out(&mut state, &n.topic, data, attributes, at, delivery);
        Self::log(&mut state, self.shared.log_capacity, &message, &n.topic, n.data, delivery);
    }

    /// Publish (the API's): messages a client publishes to an existing topic
    /// reach its subscriptions as notifications do, without faults.
    pub(crate) fn publish_raw(
        &self,
        topic: &str,
        messages: Vec<(Bytes, BTreeMap<String, String>)>,
        at: Timestamp,
    ) -> Result<Vec<String>, ApiError> {
        self.get_topic(topic)?;
        if messages.is_empty() {
            return Err(ApiError::invalid_argument("messages", "At least one message is required."));
        }
        if messages.iter().any(|(d, a)| d.is_empty() && a.is_empty()) {
            return Err(ApiError::invalid_argument("messages", "A message needs data or attributes."));
        }
        let mut state = self.state();
        let mut ids = Vec::new();
        for (data, attributes) in messages {
            let shown = serde_json::from_slice(&data).unwrap_or(Value::Null);
            let message = Self::fan_out(&mut state, topic, data, attributes, at, Delivery::default());
            Self::log(&mut state, self.shared.log_capacity, &message, topic, shown, Delivery::default());
            ids.push(message.id);
        }
        Ok(ids)
    }

    /// Give a new message to every subscription of `topic`: `copies` times,
    /// late, or held until the next message on the topic.
    fn fan_out(
        state: &mut State,
        topic: &str,
        data: Bytes,
        attributes: BTreeMap<String, String>,
        at: Timestamp,
        delivery: Delivery,
    ) -> Message {
        state.next_message_id += 1;
        let seq = state.next_message_id;
        let message = Message { seq, id: seq.to_string(), data, attributes, publish_time: at };
        let mut sends = Vec::new();
        for sub in state.subscriptions.values().filter(|s| s.config.topic == topic) {
            for _ in 0..delivery.copies {
                match delivery.delay {
                    Some(delay) => sub.sink.deliver(&message, Some(delay)),
                    None => sends.push((sub.sink.clone(), message.clone())),
                }
            }
        }
        if delivery.hold {
            state.held.push(Held { topic: topic.to_owned(), sends });
        } else {
            let (release, keep): (Vec<Held>, Vec<Held>) =
                std::mem::take(&mut state.held).into_iter().partition(|h| h.topic == topic);
            state.held = keep;
            for (sink, m) in sends.into_iter().chain(release.into_iter().flat_map(|h| h.sends)) {
                sink.deliver(&m, None);
            }
        }
        message
    }

    fn log(state: &mut State, capacity: usize, m: &Message, topic: &str, data: Value, delivery: Delivery) {
        if state.log.len() >= capacity {
            state.log.pop_front();
        }
        state.log.push_back(PublishedMessage {
            message_id: m.id.clone(),
            topic: topic.to_owned(),
            notification_type: m.attributes.get("notificationType").cloned().unwrap_or_default(),
            publish_time: m.publish_time.rfc3339(),
            data,
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
