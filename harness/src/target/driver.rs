//! The driver protocol client. Every call returns the HTTP status and the
//! JSON body, so steps can check refusals as well as successes.

use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// An MDM reached through the driver protocol.
#[derive(Debug, Clone)]
pub struct Mdm {
    base: String,
    http: reqwest::Client,
}

/// One answer of the MDM.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The error code of a refusal (`error.code`), if any.
    pub fn error_code(&self) -> Option<&str> {
        self.body.pointer("/error/code").and_then(Value::as_str)
    }

    /// The sentence of a refusal (`error.message`), if any.
    pub fn error_message(&self) -> Option<&str> {
        self.body.pointer("/error/message").and_then(Value::as_str)
    }

    pub fn str(&self, pointer: &str) -> Option<&str> {
        self.body.pointer(pointer).and_then(Value::as_str)
    }
}

/// The MDM could not be reached or answered something that is not JSON.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("{method} {url}: {source}")]
    Transport { method: Method, url: String, source: reqwest::Error },
    #[error("{method} {url}: answered {status} with a body that is not JSON")]
    NotJson { method: Method, url: String, status: u16 },
}

impl Mdm {
    pub fn new(base: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Mdm { base: base.into().trim_end_matches('/').to_owned(), http }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Call `path` (under /lockstep/v1) as the holder of `session`, if any.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        session: Option<&str>,
        body: Option<Value>,
    ) -> Result<Reply, DriverError> {
        let url = format!("{}/lockstep/v1{path}", self.base);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(token) = session {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.map_err(|source| DriverError::Transport {
            method: method.clone(),
            url: url.clone(),
            source,
        })?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|source| DriverError::Transport {
            method: method.clone(),
            url: url.clone(),
            source,
        })?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|_| DriverError::NotJson { method, url, status })?
        };
        Ok(Reply { status, body })
    }

    pub async fn get(&self, path: &str, session: Option<&str>) -> Result<Reply, DriverError> {
        self.call(Method::GET, path, session, None).await
    }

    pub async fn post(&self, path: &str, session: Option<&str>, body: Value) -> Result<Reply, DriverError> {
        self.call(Method::POST, path, session, Some(body)).await
    }

    pub async fn delete(&self, path: &str, session: Option<&str>) -> Result<Reply, DriverError> {
        self.call(Method::DELETE, path, session, None).await
    }
}
