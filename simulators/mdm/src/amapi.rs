//! The MDM's Android Management API client: plain REST over reqwest, the
//! way any AMAPI consumer talks to Google.
//!
//! Idempotent calls (get, list, patch) are retried with exponential backoff
//! and jitter on 429, 5xx and transport failures. `issueCommand` is never retried here: a retry of a
//! command whose answer was lost could run it twice, so the action
//! pipeline ([`crate::actions`]) owns that decision and reconciles through
//! the device's operations first.

use crate::config::RetryPolicy;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// A failed AMAPI call. Messages carry AMAPI's own text, which for a
/// RESET_PASSWORD the pipeline scrubs of the passcode before keeping it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmapiError {
    #[error("AMAPI could not be reached: {0}")]
    Transport(String),
    #[error("AMAPI answered {status} {google_status}: {message}")]
    Http { status: u16, google_status: String, message: String },
    #[error("AMAPI's answer could not be read: {0}")]
    Decode(String),
}

impl AmapiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            AmapiError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth trying again: quota (429), server trouble (5xx), or no answer.
    pub fn is_retryable(&self) -> bool {
        match self {
            AmapiError::Transport(_) => true,
            AmapiError::Http { status, .. } => *status == 429 || *status >= 500,
            AmapiError::Decode(_) => false,
        }
    }

    /// The request may have taken effect although we got no success: a
    /// 5xx, or a connection that failed after the request went out.
    /// Our choice: a 429 is not ambiguous. Google rejects over-quota calls
    /// before doing anything, so a 429 means "not done".
    pub fn is_ambiguous(&self) -> bool {
        match self {
            AmapiError::Transport(_) | AmapiError::Decode(_) => true,
            AmapiError::Http { status, .. } => *status >= 500,
        }
    }

    pub fn is_quota(&self) -> bool {
        self.status() == Some(429)
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

#[derive(Debug, Clone)]
pub struct AmapiClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    retry: RetryPolicy,
}

impl AmapiClient {
    pub fn new(base_url: &str, token: Option<String>, retry: RetryPolicy) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .user_agent("lockstep-reference-mdm/0.1")
            .build()
            .unwrap_or_default();
        AmapiClient { http, base: base_url.trim_end_matches('/').to_owned(), token, retry }
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// One request, one attempt.
    pub async fn once(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, AmapiError> {
        let url = format!("{}/v1/{}", self.base, path.trim_start_matches('/'));
        let mut req = self.http.request(method, &url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| AmapiError::Transport(without_url(&e)))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| AmapiError::Transport(without_url(&e)))?;
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(Value::Object(Default::default()));
            }
            return serde_json::from_slice(&bytes).map_err(|e| AmapiError::Decode(e.to_string()));
        }
        Err(http_error(status, &bytes))
    }

    /// An idempotent request, retried with backoff while the failure is retryable.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, AmapiError> {
        let mut attempt = 0;
        loop {
            match self.once(method.clone(), path, body).await {
                Err(e) if e.is_retryable() && attempt + 1 < self.retry.max_attempts => {
                    tracing::debug!(%method, path, error = %e, attempt, "AMAPI call failed; backing off");
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Exponential backoff with full jitter: a random wait in
    /// [0, min(max, base * 2^attempt)].
    pub fn backoff(&self, attempt: u32) -> Duration {
        let cap = self.retry.base_delay.saturating_mul(2u32.saturating_pow(attempt.min(16))).min(self.retry.max_delay);
        let ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(ms / 2..=ms.max(1)))
    }

    // ----- enterprises ----------------------------------------------------

    pub async fn list_enterprises(&self, project_id: &str) -> Result<Vec<Value>, AmapiError> {
        let v = self.call(Method::GET, &format!("enterprises?projectId={project_id}"), None).await?;
        Ok(v.get("enterprises").and_then(Value::as_array).cloned().unwrap_or_default())
    }

    pub async fn create_enterprise(&self, project_id: &str, display_name: &str) -> Result<Value, AmapiError> {
        // Not idempotent either, but a duplicate enterprise costs nothing here.
        let body = serde_json::json!({ "enterpriseDisplayName": display_name });
        self.call(Method::POST, &format!("enterprises?projectId={project_id}&agreementAccepted=true"), Some(&body))
            .await
    }

    pub async fn patch_enterprise(&self, name: &str, body: &Value, mask: &str) -> Result<Value, AmapiError> {
        self.call(Method::PATCH, &format!("{name}?updateMask={mask}"), Some(body)).await
    }

    // ----- policies and tokens -------------------------------------------

    /// "Updates or creates a policy": idempotent, so retried.
    pub async fn patch_policy(&self, name: &str, body: &Value) -> Result<Value, AmapiError> {
        self.call(Method::PATCH, name, Some(body)).await
    }

    /// Creating a token twice only leaves an unused token behind, so it is retried.
    pub async fn create_enrollment_token(&self, enterprise: &str, body: &Value) -> Result<Value, AmapiError> {
        self.call(Method::POST, &format!("{enterprise}/enrollmentTokens"), Some(body)).await
    }

    // ----- devices ----------------------------------------------------------

    pub async fn get_device(&self, name: &str) -> Result<Value, AmapiError> {
        self.call(Method::GET, name, None).await
    }

    pub async fn list_devices(&self, enterprise: &str) -> Result<Vec<Value>, AmapiError> {
        self.list_all(&format!("{enterprise}/devices"), "devices").await
    }

    /// `devices.issueCommand`, one attempt (see the module doc).
    pub async fn issue_command(&self, device: &str, command: &Value) -> Result<Value, AmapiError> {
        self.once(Method::POST, &format!("{device}:issueCommand"), Some(command)).await
    }

    // ----- operations -------------------------------------------------------

    pub async fn get_operation(&self, name: &str) -> Result<Value, AmapiError> {
        self.call(Method::GET, name, None).await
    }

    pub async fn list_operations(&self, device: &str) -> Result<Vec<Value>, AmapiError> {
        self.list_all(&format!("{device}/operations"), "operations").await
    }

    async fn list_all(&self, path: &str, key: &str) -> Result<Vec<Value>, AmapiError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let url = match &token {
                Some(t) => format!("{path}?pageSize=100&pageToken={}", percent_encode(t)),
                None => format!("{path}?pageSize=100"),
            };
            let page = self.call(Method::GET, &url, None).await?;
            out.extend(page.get(key).and_then(Value::as_array).cloned().unwrap_or_default());
            match page.get("nextPageToken").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_owned()),
                None => return Ok(out),
            }
        }
    }
}

fn http_error(status: StatusCode, body: &[u8]) -> AmapiError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let message = err
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let google_status = err.and_then(|e| e.get("status")).and_then(Value::as_str).unwrap_or("").to_owned();
    AmapiError::Http { status: status.as_u16(), google_status, message }
}

/// reqwest's error text without the URL (kept short; URLs carry no secret,
/// but the page token can be long).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({detail})")
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
