//! The Pub/Sub API over REST (v1, proto3 JSON: camelCase fields, bytes as
//! base64), as Google's REST clients and `curl` call it:
//!
//! | request | method |
//! |---|---|
//! | `PUT/GET/DELETE /v1/projects/P/topics/T` | create / get / delete a topic |
//! | `GET /v1/projects/P/topics` | list topics |
//! | `POST /v1/projects/P/topics/T:publish {messages}` | publish |
//! | `GET /v1/projects/P/topics/T/subscriptions` | a topic's subscriptions |
//! | `PUT/GET/DELETE /v1/projects/P/subscriptions/S` | create / get / delete a subscription |
//! | `GET /v1/projects/P/subscriptions` | list subscriptions |
//! | `POST /v1/projects/P/subscriptions/S:pull {maxMessages, returnImmediately}` | pull |
//! | `POST …/S:acknowledge {ackIds}` | acknowledge |
//! | `POST …/S:modifyAckDeadline {ackIds, ackDeadlineSeconds}` | extend or end leases |
//!
//! Errors come in Google's JSON envelope. Our choice: an unknown field is
//! INVALID_ARGUMENT (as Google's JSON front end answers), a known one the
//! emulator does not offer is UNIMPLEMENTED (see [`super::grpc`]).

use super::pull::Received;
use super::{OidcToken, PubSub, SubscriptionConfig};
use crate::errors::{ApiError, Code};
use crate::Mock;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The REST half of the emulator.
pub(crate) fn router(mock: Mock) -> Router {
    Router::new().route("/v1/{*path}", any(handle)).with_state(mock)
}

fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => {
            let status = http::StatusCode::from_u16(e.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(e.to_body())).into_response()
        }
    }
}

async fn handle(State(mock): State<Mock>, method: Method, Path(path): Path<String>, body: Bytes) -> Response {
    answer(route(&mock, &method, &path, &body).await)
}

fn parse<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_argument("body", format!("Invalid JSON payload received. {e}.")))
}

fn no_route(method: &str, path: &str) -> ApiError {
    ApiError::new(Code::NotFound, format!("The Pub/Sub emulator has no {method} /v1/{path}."))
}

async fn route(mock: &Mock, method: &Method, path: &str, body: &[u8]) -> Result<Value, ApiError> {
    let ps = mock.pubsub();
    let (resource, verb) = match path.rsplit_once(':') {
        Some((r, v)) if !v.contains('/') => (r, Some(v)),
        _ => (path, None),
    };
    let parts: Vec<&str> = resource.split('/').collect();
    match (method.as_str(), parts.as_slice(), verb) {
        ("GET", ["projects", p, "topics"], None) => {
            let topics: Vec<Value> = ps.topics(p).into_iter().map(|t| json!({"name": t})).collect();
            Ok(non_empty("topics", topics))
        }
        ("GET", ["projects", p, "subscriptions"], None) => {
            let subs: Vec<Value> = ps.subscription_configs(Some(p)).into_iter().map(subscription_json).collect();
            Ok(non_empty("subscriptions", subs))
        }
        ("GET", ["projects", _, "topics", _, "subscriptions"], None) => {
            let topic = parts[..4].join("/");
            let subs = ps.topic_subscriptions(&topic)?.into_iter().map(Value::String).collect();
            Ok(non_empty("subscriptions", subs))
        }
        (m, ["projects", _, "topics", _], v) => topic_call(mock, ps, m, resource, v, body),
        (m, ["projects", _, "subscriptions", _], v) => subscription_call(ps, m, resource, v, body).await,
        _ => Err(no_route(method.as_str(), path)),
    }
}

fn non_empty(field: &str, items: Vec<Value>) -> Value {
    // proto3 JSON leaves out empty repeated fields.
    if items.is_empty() {
        json!({})
    } else {
        json!({ field: items })
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TopicBody {
    name: Option<String>,
    #[allow(dead_code)] // accepted, no effect
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PublishBody {
    #[serde(default)]
    messages: Vec<OutMessage>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OutMessage {
    #[serde(default)]
    data: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    #[allow(dead_code)] // accepted, no effect (no ordered delivery)
    ordering_key: String,
}

fn topic_call(
    mock: &Mock,
    ps: &PubSub,
    method: &str,
    name: &str,
    verb: Option<&str>,
    body: &[u8],
) -> Result<Value, ApiError> {
    match (method, verb) {
        ("PUT", None) => {
            let b: TopicBody = parse(body)?;
            if b.name.as_deref().is_some_and(|n| n != name) {
                return Err(ApiError::invalid_argument("name", "The body's name differs from the URL's."));
            }
            ps.create_topic(name)?;
            Ok(json!({"name": name}))
        }
        ("GET", None) => ps.get_topic(name).map(|()| json!({"name": name})),
        ("DELETE", None) => ps.delete_topic(name).map(|()| json!({})),
        ("POST", Some("publish")) => {
            let b: PublishBody = parse(body)?;
            let mut messages = Vec::new();
            for (i, m) in b.messages.into_iter().enumerate() {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(&m.data)
                    .map_err(|_| ApiError::invalid_argument(&format!("messages[{i}].data"), "data must be base64."))?;
                messages.push((bytes::Bytes::from(data), m.attributes));
            }
            let ids = ps.publish_raw(name, messages, mock.now())?;
            Ok(json!({"messageIds": ids}))
        }
        (m, v) => Err(no_route(m, &format!("{name}{}", v.map(|v| format!(":{v}")).unwrap_or_default()))),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubscriptionBody {
    name: Option<String>,
    topic: Option<String>,
    ack_deadline_seconds: Option<i64>,
    push_config: Option<PushConfigBody>,
    // Accepted, no effect (our choice, see the module docs of grpc).
    labels: Option<BTreeMap<String, String>>,
    retain_acked_messages: Option<bool>,
    message_retention_duration: Option<String>,
    enable_message_ordering: Option<bool>,
    expiration_policy: Option<Value>,
    retry_policy: Option<Value>,
    // Not offered: refused.
    filter: Option<String>,
    dead_letter_policy: Option<Value>,
    enable_exactly_once_delivery: Option<bool>,
    bigquery_config: Option<Value>,
    cloud_storage_config: Option<Value>,
    bigtable_config: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PushConfigBody {
    #[serde(default)]
    push_endpoint: String,
    #[allow(dead_code)] // accepted, no effect
    attributes: Option<BTreeMap<String, String>>,
    oidc_token: Option<OidcBody>,
    no_wrapper: Option<Value>,
    pubsub_wrapper: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OidcBody {
    #[serde(default)]
    service_account_email: String,
    #[serde(default)]
    audience: String,
}

fn unsupported(what: &str) -> ApiError {
    ApiError::unimplemented(&format!("Subscription {what}"))
}

fn subscription_config(name: &str, b: SubscriptionBody) -> Result<SubscriptionConfig, ApiError> {
    let _accepted = (
        b.labels,
        b.retain_acked_messages,
        b.message_retention_duration,
        b.enable_message_ordering,
        b.expiration_policy,
        b.retry_policy,
    );
    if b.name.as_deref().is_some_and(|n| n != name) {
        return Err(ApiError::invalid_argument("name", "The body's name differs from the URL's."));
    }
    if b.filter.is_some_and(|f| !f.is_empty()) {
        return Err(unsupported("filter"));
    }
    if b.dead_letter_policy.is_some() {
        return Err(unsupported("deadLetterPolicy"));
    }
    if b.enable_exactly_once_delivery == Some(true) {
        return Err(unsupported("enableExactlyOnceDelivery"));
    }
    if b.bigquery_config.is_some() || b.cloud_storage_config.is_some() || b.bigtable_config.is_some() {
        return Err(unsupported("export (BigQuery, Cloud Storage, Bigtable)"));
    }
    let topic = b.topic.ok_or_else(|| ApiError::invalid_argument("topic", "topic is required."))?;
    let (push_endpoint, oidc_token) = match b.push_config {
        Some(p) if !p.push_endpoint.is_empty() => {
            let _ = p.pubsub_wrapper;
            if p.no_wrapper.is_some() {
                return Err(unsupported("pushConfig.noWrapper"));
            }
            let oidc = p
                .oidc_token
                .map(|t| OidcToken { service_account_email: t.service_account_email, audience: t.audience });
            (Some(p.push_endpoint), oidc)
        }
        _ => (None, None),
    };
    let ack_deadline_seconds = match b.ack_deadline_seconds {
        None => 0,
        Some(s) => u32::try_from(s).unwrap_or(u32::MAX),
    };
    Ok(SubscriptionConfig { name: name.to_owned(), topic, ack_deadline_seconds, push_endpoint, oidc_token })
}

fn subscription_json(c: SubscriptionConfig) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), Value::String(c.name));
    out.insert("topic".into(), Value::String(c.topic));
    let mut push = Map::new();
    if let Some(endpoint) = c.push_endpoint {
        push.insert("pushEndpoint".into(), Value::String(endpoint));
        if let Some(t) = c.oidc_token {
            let mut oidc = Map::new();
            oidc.insert("serviceAccountEmail".into(), Value::String(t.service_account_email));
            if !t.audience.is_empty() {
                oidc.insert("audience".into(), Value::String(t.audience));
            }
            push.insert("oidcToken".into(), Value::Object(oidc));
        }
    }
    out.insert("pushConfig".into(), Value::Object(push));
    out.insert("ackDeadlineSeconds".into(), json!(c.ack_deadline_seconds));
    Value::Object(out)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PullBody {
    max_messages: Option<i64>,
    return_immediately: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AckBody {
    #[serde(default)]
    ack_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModifyBody {
    #[serde(default)]
    ack_ids: Vec<String>,
    ack_deadline_seconds: Option<i64>,
}

fn received_json(r: Received) -> Value {
    json!({
        "ackId": r.ack_id,
        "message": {
            "data": base64::engine::general_purpose::STANDARD.encode(&r.message.data),
            "attributes": r.message.attributes,
            "messageId": r.message.id,
            "publishTime": r.message.publish_time.rfc3339(),
        },
    })
}

async fn subscription_call(
    ps: &PubSub,
    method: &str,
    name: &str,
    verb: Option<&str>,
    body: &[u8],
) -> Result<Value, ApiError> {
    match (method, verb) {
        ("PUT", None) => ps.create_subscription(subscription_config(name, parse(body)?)?).map(subscription_json),
        ("GET", None) => ps.get_subscription(name).map(subscription_json),
        ("DELETE", None) => ps.delete_subscription(name).map(|()| json!({})),
        ("POST", Some("pull")) => {
            let b: PullBody = parse(body)?;
            let max =
                b.max_messages.ok_or_else(|| ApiError::invalid_argument("maxMessages", "maxMessages is required."))?;
            let max = i32::try_from(max).unwrap_or(i32::MAX);
            let got = ps.pull(name, max, b.return_immediately.unwrap_or(false)).await?;
            Ok(non_empty("receivedMessages", got.into_iter().map(received_json).collect()))
        }
        ("POST", Some("acknowledge")) => {
            let b: AckBody = parse(body)?;
            ps.acknowledge(name, &b.ack_ids).map(|()| json!({}))
        }
        ("POST", Some("modifyAckDeadline")) => {
            let b: ModifyBody = parse(body)?;
            let seconds = b
                .ack_deadline_seconds
                .ok_or_else(|| ApiError::invalid_argument("ackDeadlineSeconds", "ackDeadlineSeconds is required."))?;
            ps.modify_ack_deadline(name, &b.ack_ids, i32::try_from(seconds).unwrap_or(i32::MAX)).map(|()| json!({}))
        }
        (m, v) => Err(no_route(m, &format!("{name}{}", v.map(|v| format!(":{v}")).unwrap_or_default()))),
    }
}
