//! The Lockstep driver protocol over HTTP (docs/driver-protocol.md), and
//! the Pub/Sub push endpoint AMAPI notifications arrive at.

mod console;
pub(crate) mod error;
mod paging;
mod portal;
mod pubsub;

use crate::mdm::Mdm;
use crate::store::{Account, Role, Session};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use axum::Router;
use error::ApiError;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The path AMAPI's Pub/Sub push subscription should deliver to.
pub const PUSH_PATH: &str = "/amapi/pubsub";

/// The whole HTTP surface of one MDM.
pub fn router(mdm: Arc<Mdm>) -> Router {
    let v1 = Router::new()
        .route("/about", get(console::about))
        .route("/accounts", post(console::create_account))
        .route("/clock:advance", post(console::advance_clock))
        .route("/sessions", post(console::sign_in))
        .route("/sessions/current", delete(console::sign_out).get(console::current_session))
        .route("/enrollments", post(console::create_enrollment))
        .route("/devices", get(console::list_devices))
        .route("/devices/{id}", get(console::device_page))
        .route("/devices/{id}/security", get(console::device_security))
        .route("/devices/{id}/reset-passcode:preview", post(console::preview_reset))
        .route("/devices/{id}/reset-passcode", post(console::reset_passcode))
        .route("/devices/{id}/lock", post(console::lock))
        .route("/actions", get(console::list_actions))
        .route("/actions:batch", post(console::batch))
        .route("/actions/{id}", get(console::get_action))
        .route("/actions/{id}/cancel", post(console::cancel_action))
        .route("/portal/devices", get(portal::devices))
        .route("/portal/devices/{id}", get(portal::device))
        .route("/portal/devices/{id}/reset-passcode", post(portal::reset_passcode))
        .route("/portal/notifications", get(portal::notifications))
        // A known path asked with a method it does not take: the protocol's
        // 405 error, not axum's empty one.
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() });
    Router::new()
        .nest("/lockstep/v1", v1)
        .route(PUSH_PATH, post(pubsub::push))
        .fallback(|| async { ApiError::not_found("endpoint") })
        .with_state(mdm)
}

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub session: Session,
    pub account: Account,
}

impl Caller {
    pub(crate) fn require(&self, allowed: impl Fn(Role) -> bool, what: &str) -> Result<(), ApiError> {
        if allowed(self.account.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Your role ({}) does not allow you to {what}.",
                self.account.role.as_str()
            )))
        }
    }
}

impl FromRequestParts<Arc<Mdm>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, mdm: &Arc<Mdm>) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthenticated)?;
        let ended = || {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "This session has ended or never existed; sign in again.",
            )
        };
        let (session, account) = mdm.store.session(token.trim())?.ok_or_else(ended)?;
        let lifetime = chrono::Duration::from_std(mdm.session_lifetime).unwrap_or(chrono::Duration::MAX);
        if mdm.now() - session.signed_in_at > lifetime && !mdm.has(crate::config::Defect::SessionsNeverExpire) {
            return Err(ended());
        }
        Ok(Caller { session, account })
    }
}

/// A JSON body whose problems come back as the protocol's INVALID_ARGUMENT.
/// An empty body reads as `{}`.
#[derive(Debug)]
pub(crate) struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::invalid(format!("Cannot read the request body: {e}")))?;
        let text = if bytes.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { &bytes[..] };
        serde_json::from_slice(text).map(Body).map_err(|e| {
            ApiError::invalid(format!("The request body is not valid: {}", without_values(&e.to_string())))
        })
    }
}

/// serde's message without the values it quotes (a mistyped passcode must
/// not come back in an error): quoted text goes, unless it is a field name
/// in backticks.
fn without_values(message: &str) -> String {
    let mut out = String::new();
    let mut quoted: Option<char> = None;
    let mut inner = String::new();
    for c in message.chars() {
        match quoted {
            None if c == '"' || c == '`' => {
                quoted = Some(c);
                inner.clear();
            }
            None => out.push(c),
            Some(q) if c == q => {
                let is_name = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                out.push(q);
                out.push_str(if is_name && q == '`' { &inner } else { "..." });
                out.push(q);
                quoted = None;
            }
            Some(_) => inner.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn body_errors_keep_field_names_and_drop_values() {
        let e = serde_json::from_str::<crate::reset::ResetRequest>(r#"{"new_passcode": 48151623}"#).unwrap_err();
        let m = super::without_values(&e.to_string());
        assert!(!m.contains("48151623"), "{m}");
        let e = serde_json::from_str::<crate::reset::ResetRequest>(r#"{"new_pass": "x"}"#).unwrap_err();
        let m = super::without_values(&e.to_string());
        assert!(m.contains("`new_pass`"), "{m}");
    }
}
