//! Topics and subscriptions as resources: their names, and the settings a
//! subscription is created with (over gRPC, REST or the control surface).

use crate::errors::ApiError;
use serde::{Deserialize, Serialize};

/// Pub/Sub's default ack deadline, and the range it allows (seconds).
pub const DEFAULT_ACK_DEADLINE_SECONDS: u32 = 10;
pub const MIN_ACK_DEADLINE_SECONDS: u32 = 10;
pub const MAX_ACK_DEADLINE_SECONDS: u32 = 600;

/// Which resource a name is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Topic,
    Subscription,
}

impl Kind {
    fn collection(self) -> &'static str {
        match self {
            Kind::Topic => "topics",
            Kind::Subscription => "subscriptions",
        }
    }
}

/// Check `projects/{project}/{topics|subscriptions}/{id}`. The id rules are
/// Pub/Sub's documented ones: 3 to 255 characters, starting with a letter,
/// of letters, digits and `-_.~+%`, not starting with `goog`.
pub(crate) fn check_name(kind: Kind, name: &str) -> Result<(), ApiError> {
    let collection = kind.collection();
    let parts: Vec<&str> = name.split('/').collect();
    let ok = match parts.as_slice() {
        ["projects", project, c, id] if *c == collection && !project.is_empty() => {
            (3..=255).contains(&id.len())
                && id.starts_with(|c: char| c.is_ascii_alphabetic())
                && !id.starts_with("goog")
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~+%".contains(&b))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(
            "name",
            format!(
                "Invalid [{collection}] name: (name={name}). A name is projects/PROJECT/{collection}/ID, the ID \
                 3 to 255 letters, digits or -_.~+%, starting with a letter."
            ),
        ))
    }
}

/// The project of a checked name.
pub(crate) fn project_of(name: &str) -> &str {
    name.split('/').nth(1).unwrap_or_default()
}

/// How a push subscription authenticates its requests: Pub/Sub's
/// `pushConfig.oidcToken`. The mock signs an OpenID Connect ID token for
/// `service_account_email` and sends it as `Authorization: Bearer`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcToken {
    pub service_account_email: String,
    /// The token's `aud`; empty: the push endpoint URL (as Pub/Sub does).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub audience: String,
}

/// A subscription as created: pull when `push_endpoint` is `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionConfig {
    /// `projects/{project}/subscriptions/{subscription}`.
    pub name: String,
    /// `projects/{project}/topics/{topic}`.
    pub topic: String,
    /// How long a pulled message stays leased before it is redelivered.
    pub ack_deadline_seconds: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_token: Option<OidcToken>,
}

impl SubscriptionConfig {
    /// A pull subscription with the default ack deadline.
    pub fn pull(name: impl Into<String>, topic: impl Into<String>) -> Self {
        SubscriptionConfig {
            name: name.into(),
            topic: topic.into(),
            ack_deadline_seconds: DEFAULT_ACK_DEADLINE_SECONDS,
            push_endpoint: None,
            oidc_token: None,
        }
    }

    /// Check names, the deadline and the endpoint, as CreateSubscription does.
    /// An ack deadline of 0 means the default, as in Pub/Sub.
    pub(crate) fn checked(mut self) -> Result<Self, ApiError> {
        check_name(Kind::Subscription, &self.name)?;
        check_name(Kind::Topic, &self.topic)
            .map_err(|e| ApiError { message: e.message.replace("name=", "topic="), ..e })?;
        if self.ack_deadline_seconds == 0 {
            self.ack_deadline_seconds = DEFAULT_ACK_DEADLINE_SECONDS;
        }
        check_ack_deadline("ackDeadlineSeconds", self.ack_deadline_seconds, MIN_ACK_DEADLINE_SECONDS)?;
        if let Some(endpoint) = &self.push_endpoint {
            // Our choice: plain http:// endpoints only (the mock serves a
            // local test stack; Pub/Sub itself demands https).
            if !endpoint.starts_with("http://") || endpoint.parse::<http::Uri>().is_err() {
                return Err(ApiError::invalid_argument(
                    "pushConfig.pushEndpoint",
                    format!("pushEndpoint \"{endpoint}\" must be an http:// URL"),
                ));
            }
        }
        if let Some(oidc) = &self.oidc_token {
            if self.push_endpoint.is_none() {
                return Err(ApiError::invalid_argument("pushConfig.oidcToken", "An oidcToken needs a pushEndpoint."));
            }
            if !oidc.service_account_email.contains('@') {
                return Err(ApiError::invalid_argument(
                    "pushConfig.oidcToken.serviceAccountEmail",
                    "serviceAccountEmail must be an email address.",
                ));
            }
        }
        Ok(self)
    }
}

/// Check an ack deadline in seconds against `min..=600`.
pub(crate) fn check_ack_deadline(field: &str, seconds: u32, min: u32) -> Result<(), ApiError> {
    if (min..=MAX_ACK_DEADLINE_SECONDS).contains(&seconds) {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(
            field,
            format!("Invalid {field}: {seconds}. It must be between {min} and {MAX_ACK_DEADLINE_SECONDS} seconds."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_pubsubs_rules() {
        assert!(check_name(Kind::Topic, "projects/p/topics/amapi-events").is_ok());
        assert!(check_name(Kind::Subscription, "projects/p/subscriptions/mdm.pull").is_ok());
        for bad in [
            "projects/p/topics/ab",
            "projects/p/topics/1abc",
            "projects/p/topics/goog-x",
            "topics/abc",
            "projects//topics/abc",
            "projects/p/subscriptions/abc",
        ] {
            assert!(check_name(Kind::Topic, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_config_is_checked() {
        let ok = SubscriptionConfig {
            ack_deadline_seconds: 0,
            ..SubscriptionConfig::pull("projects/p/subscriptions/sub", "projects/p/topics/top")
        };
        assert_eq!(ok.checked().unwrap().ack_deadline_seconds, DEFAULT_ACK_DEADLINE_SECONDS);
        let long = SubscriptionConfig {
            ack_deadline_seconds: 601,
            ..SubscriptionConfig::pull("projects/p/subscriptions/sub", "projects/p/topics/top")
        };
        assert!(long.checked().is_err());
        let https = SubscriptionConfig {
            push_endpoint: Some("https://x/push".into()),
            ..SubscriptionConfig::pull("projects/p/subscriptions/sub", "projects/p/topics/top")
        };
        assert!(https.checked().is_err());
    }
}
