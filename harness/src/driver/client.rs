//! The typed driver-protocol client: one method per operation of
//! docs/driver-protocol.md. A method answers the operation's body as its
//! type, or the protocol's refusal; anything else (no answer, not JSON, a
//! body the protocol does not allow) is a [`DriverError`] naming the
//! operation and the status.

use super::wire::*;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// How long one call may take before it counts as timed out.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// An MDM reached through the driver protocol.
#[derive(Debug, Clone)]
pub struct Mdm {
    base: String,
    http: reqwest::Client,
    /// How long one call may take ([`CALL_TIMEOUT`] unless told).
    timeout: Duration,
}

/// The protocol's refusal of one call: its status and error envelope.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub operation: &'static str,
    pub status: u16,
    pub error: ErrorBody,
}

impl Refusal {
    pub fn code(&self) -> &str {
        &self.error.code
    }

    pub fn message(&self) -> &str {
        &self.error.message
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} {} ({})", self.operation, self.status, self.error.code, self.error.message)
    }
}

/// What an operation answered: its body, or a refusal.
pub type Answer<T> = Result<T, Refusal>;

/// Why a call failed before the protocol could answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    Refused,
    TimedOut(Duration),
    Reset,
    Other,
}

impl std::fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportFailure::Refused => f.write_str("connection refused"),
            TransportFailure::TimedOut(d) if d.subsec_millis() == 0 => write!(f, "timed out after {} s", d.as_secs()),
            TransportFailure::TimedOut(d) => write!(f, "timed out after {} s", d.as_secs_f64()),
            TransportFailure::Reset => f.write_str("connection reset"),
            TransportFailure::Other => f.write_str("transport failure"),
        }
    }
}

/// The MDM could not be reached, or answered outside the protocol.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("{operation} ({url}): {failure}: {detail}")]
    Transport { operation: &'static str, url: String, failure: TransportFailure, detail: String },
    #[error("{operation}: answered {status} with a body that is not JSON")]
    NotJson { operation: &'static str, status: u16 },
    #[error("{operation}: answered {status}; the protocol says {problem}")]
    Deviation { operation: &'static str, status: u16, problem: String },
}

/// Which transport failure `e` is: reqwest and hyper wrap the socket's
/// `io::Error`, so the chain of sources is searched for it.
fn classify(e: &reqwest::Error, timeout: Duration) -> TransportFailure {
    if e.is_timeout() {
        return TransportFailure::TimedOut(timeout);
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return TransportFailure::Refused,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                    return TransportFailure::Reset
                }
                std::io::ErrorKind::TimedOut => return TransportFailure::TimedOut(timeout),
                _ => {}
            }
        }
        source = s.source();
    }
    if e.is_connect() {
        TransportFailure::Refused
    } else {
        TransportFailure::Other
    }
}

/// One raw answer: status and JSON body (Null when empty).
struct Raw {
    status: u16,
    body: Value,
}

impl Mdm {
    pub fn new(base: impl Into<String>) -> Self {
        Self::with_timeout(base, CALL_TIMEOUT)
    }

    /// A client whose calls time out after `timeout`.
    pub fn with_timeout(base: impl Into<String>, timeout: Duration) -> Self {
        let http = reqwest::Client::builder().timeout(timeout).build().unwrap_or_else(|_| reqwest::Client::new());
        Mdm { base: base.into().trim_end_matches('/').to_owned(), http, timeout }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn raw(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        session: Option<&str>,
        body: Option<Value>,
    ) -> Result<Raw, DriverError> {
        let url = format!("{}/lockstep/v1{path}", self.base);
        let mut req = self.http.request(method, &url);
        if let Some(token) = session {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let transport = |e: reqwest::Error| DriverError::Transport {
            operation,
            url: url.clone(),
            failure: classify(&e, self.timeout),
            detail: e.to_string(),
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(transport)?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|_| DriverError::NotJson { operation, status })?
        };
        super::schema::check(operation, status, &body).map_err(|problem| DriverError::Deviation {
            operation,
            status,
            problem,
        })?;
        Ok(Raw { status, body })
    }

    /// Call `operation` and read its body as `T` on 2xx, as a refusal otherwise.
    async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        session: Option<&str>,
        body: Option<Value>,
    ) -> Result<Answer<T>, DriverError> {
        let raw = self.raw(operation, method, path, session, body).await?;
        let status = raw.status;
        let deviation = |e: serde_json::Error| DriverError::Deviation { operation, status, problem: e.to_string() };
        if (200..300).contains(&status) {
            // 204: no body, read as null.
            Ok(Ok(serde_json::from_value(raw.body).map_err(deviation)?))
        } else {
            let envelope: ErrorEnvelope = serde_json::from_value(raw.body).map_err(|e| DriverError::Deviation {
                operation,
                status,
                problem: format!("an error envelope {{\"error\": {{code, message}}}}: {e}"),
            })?;
            Ok(Err(Refusal { operation, status, error: envelope.error }))
        }
    }

    fn to_json(body: &impl Serialize) -> Option<Value> {
        Some(serde_json::to_value(body).unwrap_or(Value::Null))
    }

    pub async fn about(&self) -> Result<Answer<About>, DriverError> {
        self.call("GET /about", Method::GET, "/about", None, None).await
    }

    pub async fn create_account(&self, account: &NewAccount<'_>) -> Result<Answer<Account>, DriverError> {
        self.call("POST /accounts", Method::POST, "/accounts", None, Self::to_json(account)).await
    }

    pub async fn sign_in(&self, sign_in: &SignIn<'_>) -> Result<Answer<Session>, DriverError> {
        self.call("POST /sessions", Method::POST, "/sessions", None, Self::to_json(sign_in)).await
    }

    pub async fn current_session(&self, session: &str) -> Result<Answer<Account>, DriverError> {
        self.call("GET /sessions/current", Method::GET, "/sessions/current", Some(session), None).await
    }

    pub async fn sign_out(&self, session: &str) -> Result<Answer<()>, DriverError> {
        self.call("DELETE /sessions/current", Method::DELETE, "/sessions/current", Some(session), None).await
    }

    pub async fn enroll(
        &self,
        session: &str,
        enrollment: &NewEnrollment<'_>,
    ) -> Result<Answer<Enrollment>, DriverError> {
        self.call("POST /enrollments", Method::POST, "/enrollments", Some(session), Self::to_json(enrollment)).await
    }

    /// One page of the devices of `user_email` (of every device when `None`:
    /// only conformance checks ask that).
    pub async fn devices_page(
        &self,
        session: &str,
        user_email: Option<&str>,
        page: PageRequest<'_>,
    ) -> Result<Answer<DeviceList>, DriverError> {
        let mut query = Vec::new();
        if let Some(email) = user_email {
            query.push(format!("user_email={}", encode(email)));
        }
        push_page(&mut query, page);
        self.call("GET /devices", Method::GET, &with_query("/devices", &query), Some(session), None).await
    }

    /// Every device of `user_email`, page after page.
    pub async fn devices(&self, session: &str, user_email: &str) -> Result<Answer<Vec<Device>>, DriverError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = PageRequest { page_size: None, page_token: token.as_deref() };
            match self.devices_page(session, Some(user_email), page).await? {
                Err(refusal) => return Ok(Err(refusal)),
                Ok(list) => {
                    all.extend(list.devices);
                    match list.next_page_token.filter(|t| !t.is_empty()) {
                        Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                        Some(_) => return Err(self.paging_loop("GET /devices")),
                        None => return Ok(Ok(all)),
                    }
                }
            }
        }
        Err(self.paging_loop("GET /devices"))
    }

    fn paging_loop(&self, operation: &'static str) -> DriverError {
        DriverError::Deviation {
            operation,
            status: 200,
            problem: format!(
                "next_page_token must end the list: it repeated itself, or {MAX_PAGES} pages came without an end"
            ),
        }
    }

    /// The device page: the device, its action log and, for roles allowed
    /// to see it, `security`.
    pub async fn device_page(&self, session: &str, id: &str) -> Result<Answer<DevicePage>, DriverError> {
        self.call("GET /devices/{id}", Method::GET, &format!("/devices/{}", encode(id)), Some(session), None).await
    }

    pub async fn security(&self, session: &str, id: &str) -> Result<Answer<Security>, DriverError> {
        let path = format!("/devices/{}/security", encode(id));
        self.call("GET /devices/{id}/security", Method::GET, &path, Some(session), None).await
    }

    pub async fn preview_reset(
        &self,
        session: &str,
        id: &str,
        request: &PreviewRequest<'_>,
    ) -> Result<Answer<Preview>, DriverError> {
        let path = format!("/devices/{}/reset-passcode:preview", encode(id));
        self.call(
            "POST /devices/{id}/reset-passcode:preview",
            Method::POST,
            &path,
            Some(session),
            Self::to_json(request),
        )
        .await
    }

    pub async fn reset_passcode(
        &self,
        session: &str,
        id: &str,
        request: &ResetRequest<'_>,
    ) -> Result<Answer<Accepted>, DriverError> {
        let path = format!("/devices/{}/reset-passcode", encode(id));
        self.call("POST /devices/{id}/reset-passcode", Method::POST, &path, Some(session), Self::to_json(request)).await
    }

    pub async fn lock(&self, session: &str, id: &str) -> Result<Answer<Accepted>, DriverError> {
        let path = format!("/devices/{}/lock", encode(id));
        self.call(
            "POST /devices/{id}/lock",
            Method::POST,
            &path,
            Some(session),
            Some(Value::Object(Default::default())),
        )
        .await
    }

    pub async fn batch(
        &self,
        session: &str,
        request: &BatchRequest<'_>,
    ) -> Result<Answer<Vec<BatchResult>>, DriverError> {
        self.call("POST /actions:batch", Method::POST, "/actions:batch", Some(session), Self::to_json(request)).await
    }

    /// One page of the action log through `filter`.
    pub async fn actions_page(
        &self,
        session: &str,
        filter: &ActionFilter<'_>,
        page: PageRequest<'_>,
    ) -> Result<Answer<ActionList>, DriverError> {
        let mut query = Vec::new();
        if let Some(d) = filter.device_id {
            query.push(format!("device_id={}", encode(d)));
        }
        if let Some(s) = filter.status {
            query.push(format!("status={}", encode(s)));
        }
        push_page(&mut query, page);
        self.call("GET /actions", Method::GET, &with_query("/actions", &query), Some(session), None).await
    }

    /// Every entry of the action log through `filter`, page after page.
    pub async fn actions(&self, session: &str, filter: &ActionFilter<'_>) -> Result<Answer<Vec<Action>>, DriverError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = PageRequest { page_size: None, page_token: token.as_deref() };
            match self.actions_page(session, filter, page).await? {
                Err(refusal) => return Ok(Err(refusal)),
                Ok(list) => {
                    all.extend(list.actions);
                    match list.next_page_token.filter(|t| !t.is_empty()) {
                        Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                        Some(_) => return Err(self.paging_loop("GET /actions")),
                        None => return Ok(Ok(all)),
                    }
                }
            }
        }
        Err(self.paging_loop("GET /actions"))
    }

    pub async fn action(&self, session: &str, id: &str) -> Result<Answer<Action>, DriverError> {
        self.call("GET /actions/{id}", Method::GET, &format!("/actions/{}", encode(id)), Some(session), None).await
    }

    pub async fn cancel(&self, session: &str, id: &str) -> Result<Answer<Action>, DriverError> {
        let path = format!("/actions/{}/cancel", encode(id));
        self.call(
            "POST /actions/{id}/cancel",
            Method::POST,
            &path,
            Some(session),
            Some(Value::Object(Default::default())),
        )
        .await
    }

    pub async fn portal_devices(&self, session: &str) -> Result<Answer<Vec<PortalDevice>>, DriverError> {
        self.call("GET /portal/devices", Method::GET, "/portal/devices", Some(session), None).await
    }

    pub async fn portal_device(&self, session: &str, id: &str) -> Result<Answer<PortalDevice>, DriverError> {
        let path = format!("/portal/devices/{}", encode(id));
        self.call("GET /portal/devices/{id}", Method::GET, &path, Some(session), None).await
    }

    pub async fn portal_reset(
        &self,
        session: &str,
        id: &str,
        request: &PortalResetRequest,
    ) -> Result<Answer<Accepted>, DriverError> {
        let path = format!("/portal/devices/{}/reset-passcode", encode(id));
        self.call(
            "POST /portal/devices/{id}/reset-passcode",
            Method::POST,
            &path,
            Some(session),
            Self::to_json(request),
        )
        .await
    }

    pub async fn notifications(&self, session: &str) -> Result<Answer<Vec<Notification>>, DriverError> {
        self.call("GET /portal/notifications", Method::GET, "/portal/notifications", Some(session), None).await
    }
}

/// How many pages a filtered list may take before the harness calls it a
/// loop: a scenario's own devices and actions fit in a few.
const MAX_PAGES: usize = 50;

fn push_page(query: &mut Vec<String>, page: PageRequest<'_>) {
    if let Some(n) = page.page_size {
        query.push(format!("page_size={n}"));
    }
    if let Some(t) = page.page_token {
        query.push(format!("page_token={}", encode(t)));
    }
}

fn with_query(path: &str, query: &[String]) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Percent-encode a path segment or query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wait for the request and read some of it (no io-util needed).
    async fn read_some(stream: &tokio::net::TcpStream) {
        let mut buf = [0u8; 4096];
        loop {
            if stream.readable().await.is_err() {
                return;
            }
            match stream.try_read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                _ => return,
            }
        }
    }

    async fn about_failure(mdm: &Mdm) -> (TransportFailure, String) {
        match mdm.about().await {
            Err(e @ DriverError::Transport { failure, .. }) => (failure, e.to_string()),
            other => panic!("expected a transport failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_connection_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        drop(listener);
        let (failure, message) = about_failure(&Mdm::new(format!("http://{addr}"))).await;
        assert_eq!(failure, TransportFailure::Refused, "{message}");
        assert!(
            message.starts_with(&format!("GET /about (http://{addr}/lockstep/v1/about): connection refused")),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_timed_out_after_the_call_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        // Accepts, reads the request, and says nothing.
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
            read_some(&stream).await;
            std::future::pending::<()>().await;
        });
        let mdm = Mdm::with_timeout(format!("http://{addr}"), Duration::from_millis(300));
        let (failure, message) = about_failure(&mdm).await;
        assert_eq!(failure, TransportFailure::TimedOut(Duration::from_millis(300)), "{message}");
        assert!(message.contains(": timed out after 0.3 s: "), "{message}");
        server.abort();
    }

    #[tokio::test]
    async fn a_connection_dropped_with_a_reset_is_connection_reset() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        // Reads the request, then closes with SO_LINGER 0: the peer gets an RST.
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
            read_some(&stream).await;
            let _ = stream.set_zero_linger();
            drop(stream);
        });
        let (failure, message) = about_failure(&Mdm::new(format!("http://{addr}"))).await;
        assert_eq!(failure, TransportFailure::Reset, "{message}");
        assert!(message.contains(": connection reset: "), "{message}");
        let _ = server.await;
    }

    #[tokio::test]
    async fn an_answering_server_is_no_transport_failure() {
        // The negative control of the three above: the same call against a
        // server that answers is no transport failure (here: not JSON).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
            read_some(&stream).await;
            let _ = stream.writable().await;
            let _ = stream.try_write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi");
        });
        let answer = Mdm::new(format!("http://{addr}")).about().await;
        assert!(matches!(answer, Err(DriverError::NotJson { status: 200, .. })), "{answer:?}");
        let _ = server.await;
    }
}
