//! Errors: the Google JSON error a client receives (`{"error": {code,
//! message, status, details}}`, the `google.rpc.Status` envelope with the
//! HTTP status in `code`), the `google.rpc.Code` table behind it, and the
//! crate's own error for starting a mock.

use serde_json::{json, Value};
use std::fmt;
use std::path::PathBuf;

/// `google.rpc.Code`, with the HTTP status Google maps each one to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    Cancelled,
    Unknown,
    InvalidArgument,
    DeadlineExceeded,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    FailedPrecondition,
    Aborted,
    Unimplemented,
    Internal,
    Unavailable,
    Unauthenticated,
}

impl Code {
    /// The numeric code (what an Operation's `error.code` carries).
    pub fn number(self) -> i32 {
        match self {
            Code::Cancelled => 1,
            Code::Unknown => 2,
            Code::InvalidArgument => 3,
            Code::DeadlineExceeded => 4,
            Code::NotFound => 5,
            Code::AlreadyExists => 6,
            Code::PermissionDenied => 7,
            Code::ResourceExhausted => 8,
            Code::FailedPrecondition => 9,
            Code::Aborted => 10,
            Code::Unimplemented => 12,
            Code::Internal => 13,
            Code::Unavailable => 14,
            Code::Unauthenticated => 16,
        }
    }

    /// The status string of the JSON error envelope.
    pub fn name(self) -> &'static str {
        match self {
            Code::Cancelled => "CANCELLED",
            Code::Unknown => "UNKNOWN",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::PermissionDenied => "PERMISSION_DENIED",
            Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Code::FailedPrecondition => "FAILED_PRECONDITION",
            Code::Aborted => "ABORTED",
            Code::Unimplemented => "UNIMPLEMENTED",
            Code::Internal => "INTERNAL",
            Code::Unavailable => "UNAVAILABLE",
            Code::Unauthenticated => "UNAUTHENTICATED",
        }
    }

    /// The HTTP status (cloud.google.com/apis/design/errors).
    pub fn http_status(self) -> u16 {
        match self {
            Code::Cancelled => 499,
            Code::Unknown | Code::Internal => 500,
            Code::InvalidArgument | Code::FailedPrecondition => 400,
            Code::DeadlineExceeded => 504,
            Code::NotFound => 404,
            Code::AlreadyExists | Code::Aborted => 409,
            Code::PermissionDenied => 403,
            Code::ResourceExhausted => 429,
            Code::Unimplemented => 501,
            Code::Unavailable => 503,
            Code::Unauthenticated => 401,
        }
    }

    /// The code Google's front end reports for an HTTP status (used for
    /// injected faults, which are given as statuses).
    pub fn from_http_status(status: u16) -> Code {
        match status {
            400 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            409 => Code::Aborted,
            429 => Code::ResourceExhausted,
            499 => Code::Cancelled,
            501 => Code::Unimplemented,
            503 => Code::Unavailable,
            504 => Code::DeadlineExceeded,
            _ => Code::Internal,
        }
    }
}

/// An error answer of the API (and of the control surface, which uses the
/// same envelope). `status` may differ from `code.http_status()` only for
/// injected faults that imitate Google's odd answers (a 500 saying NOT_FOUND).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub code: Code,
    pub status: u16,
    pub message: String,
    pub details: Vec<Value>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code.name(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError { code, status: code.http_status(), message: message.into(), details: Vec::new() }
    }

    /// 400 INVALID_ARGUMENT naming `field` in a `google.rpc.BadRequest`.
    pub fn invalid_argument(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let violation = json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": message}],
        });
        ApiError { details: vec![violation], ..ApiError::new(Code::InvalidArgument, message) }
    }

    pub fn not_found(what: impl fmt::Display) -> Self {
        ApiError::new(Code::NotFound, format!("Requested entity was not found: {what}."))
    }

    pub fn failed_precondition(message: impl Into<String>) -> Self {
        ApiError::new(Code::FailedPrecondition, message)
    }

    pub fn unimplemented(what: &str) -> Self {
        ApiError::new(Code::Unimplemented, format!("{what} is not emulated by the Lockstep AMAPI mock."))
    }

    /// Add a `google.rpc.ErrorInfo` detail, as Google's front end does for
    /// auth and quota errors.
    pub fn with_reason(mut self, reason: &str) -> Self {
        self.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"service": "androidmanagement.googleapis.com"},
        }));
        self
    }

    /// The JSON body a client receives.
    pub fn to_body(&self) -> Value {
        let mut error = json!({
            "code": self.status,
            "message": self.message,
            "status": self.code.name(),
        });
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details.clone());
        }
        json!({ "error": error })
    }
}

/// Why a mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),
    #[error(transparent)]
    Profile(#[from] android_sim::ProfileError),
    #[error(transparent)]
    Catalogue(#[from] crate::apps::CatalogueError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("fleet {path}: cannot enroll `{what}`: {source}")]
    Enroll {
        path: PathBuf,
        what: String,
        #[source]
        source: ApiError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_code_status_and_field() {
        let e = ApiError::invalid_argument("type", "Invalid value at 'type'");
        let body = e.to_body();
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(body["error"]["details"][0]["fieldViolations"][0]["field"], "type");
        assert_eq!(Code::from_http_status(429), Code::ResourceExhausted);
        assert_eq!(Code::from_http_status(503).http_status(), 503);
    }
}
