//! The Pub/Sub push endpoint: AMAPI notifications in Pub/Sub's push
//! envelope (`message.data` base64, `message.attributes.notificationType`,
//! `message.messageId`).
//!
//! Delivery is at least once, so handling is idempotent twice over: a
//! message already handled (its id and publish time) is acknowledged and skipped, and every state
//! change it causes is itself a no-op when repeated. A message is recorded
//! as handled only after its effects are committed; if they cannot be, the
//! endpoint answers 500 and Pub/Sub delivers again.
//!
//! With `push_auth` configured (ServeConfig, `lockstep mdm serve
//! --push-jwks-url --push-audience`), a push without a valid ID token is
//! refused with 401 before anything is read ([`crate::push_auth`]);
//! without it, the endpoint takes any caller.

use super::error::ApiError;
use crate::mdm::Mdm;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub(super) struct Envelope {
    message: PubsubMessage,
    #[serde(default)]
    #[allow(dead_code)]
    subscription: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PubsubMessage {
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    attributes: HashMap<String, String>,
    /// Pub/Sub sends `messageId` and `message_id` alike; we read the first.
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    publish_time: Option<String>,
}

impl PubsubMessage {
    /// What tells a redelivery from a new message: the message id, and
    /// when it was published. Pub/Sub never reuses an id on a topic, but
    /// an AMAPI replaced under a long-running MDM (Lockstep serves a new
    /// mock each run, at the same address) numbers its messages from 1
    /// again; a redelivery keeps its publish time, a new message has its own.
    fn delivery_key(&self) -> Option<String> {
        let id = self.message_id.as_deref()?;
        Some(match &self.publish_time {
            Some(at) => format!("{id}@{at}"),
            None => id.to_owned(),
        })
    }
}

pub(super) async fn push(
    State(mdm): State<Arc<Mdm>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    // A push is work the MDM does unasked, like the sweep: it counts as activity.
    let _busy = mdm.activity.busy();
    if let Some(verifier) = &mdm.push_auth {
        let authorization = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if let Err(reason) = verifier.verify(authorization).await {
            tracing::warn!(reason = %reason, "push refused: not signed by Pub/Sub");
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "Push without a valid ID token."));
        }
    }
    // A body we cannot read will not improve on redelivery: acknowledge it.
    let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) else {
        tracing::warn!("push message is not a Pub/Sub envelope; dropped");
        return Ok(StatusCode::NO_CONTENT);
    };
    let m = envelope.message;
    let kind = m.attributes.get("notificationType").cloned().unwrap_or_default();
    let Some(data) = m.data.as_deref().and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok()) else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let Ok(resource) = serde_json::from_slice::<Value>(&data) else {
        tracing::warn!(kind, "push message data is not JSON; dropped");
        return Ok(StatusCode::NO_CONTENT);
    };
    let key = m.delivery_key();
    if let Some(id) = &key {
        if mdm.store.push_seen(id)? {
            return Ok(StatusCode::NO_CONTENT);
        }
    }
    match kind.as_str() {
        "ENROLLMENT" => {
            mdm.learn_device(&resource)?;
        }
        "STATUS_REPORT" => {
            if let Some(d) = mdm.learn_device(&resource)? {
                mdm.status_reported(&d.id, d.last_status_report_at.as_deref(), d.secure)?;
            }
        }
        // AMAPI publishes COMMAND only for finished operations; an
        // unfinished one is simply acknowledged.
        "COMMAND" => mdm.apply_operation(&resource)?,
        other => tracing::debug!(kind = other, "notification type not used; acknowledged"),
    }
    if let Some(id) = &key {
        mdm.store.first_delivery(id, &kind, mdm.now())?;
    }
    Ok(StatusCode::NO_CONTENT)
}
