//! The enterprise signup flow as an admin lives it: `signupUrls.create`
//! gives a URL; the admin signs up there (here: the control surface's
//! `POST /_lockstep/v1/signupUrls/{id}:complete`, or at once when the fleet
//! says `auto_complete_signups`), which sends the browser to the callback
//! URL with an `enterpriseToken` query parameter; `enterprises.create` with
//! `signupUrlName` + `enterpriseToken` then creates the enterprise. Also
//! `generateEnterpriseUpgradeUrl` for managed Google Play Accounts
//! enterprises.

use crate::errors::{ApiError, Code};
use crate::wire::{self, Query};
use crate::world::World;
use serde_json::{json, Value};

const MGPA: &str = "MANAGED_GOOGLE_PLAY_ACCOUNTS_ENTERPRISE";
const DOMAIN: &str = "MANAGED_GOOGLE_DOMAIN";

/// One signup URL and how far its signup got.
#[derive(Clone, Debug)]
pub(crate) struct Signup {
    pub callback_url: String,
    /// The enterpriseToken, once the admin has completed the signup.
    pub token: Option<String>,
    /// The enterpriseType the signup produces.
    pub kind: &'static str,
    /// An enterprise was created from it (a signup URL serves once).
    pub used: bool,
}

/// The signup URL's resource name.
fn name(id: &str) -> String {
    format!("signupUrls/{id}")
}

/// Does `email` belong to one of `domains` (`*.example.com` admits
/// subdomains, as the discovery document describes)?
fn email_allowed(email: &str, domains: &[String]) -> bool {
    let Some((_, domain)) = email.rsplit_once('@') else { return false };
    domains.iter().any(|d| match d.strip_prefix("*.") {
        Some(parent) => domain.strip_suffix(parent).is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
        None => d.eq_ignore_ascii_case(domain),
    })
}

/// signupUrls.create. Our choice: `projectId` and `callbackUrl` are
/// required (Google cannot hand the token back without a callback); the URL
/// is the mock's own completion route, on the host the request came to.
pub(crate) fn create(world: &mut World, q: &mut Query, host: Option<&str>) -> Result<Value, ApiError> {
    if q.take("projectId").is_none_or(|p| p.is_empty()) {
        return Err(ApiError::invalid_argument("projectId", "projectId is required."));
    }
    let callback_url = q
        .take("callbackUrl")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid_argument("callbackUrl", "callbackUrl is required."))?;
    if !(callback_url.starts_with("http://") || callback_url.starts_with("https://")) {
        return Err(ApiError::invalid_argument("callbackUrl", "callbackUrl must be an http(s) URL."));
    }
    let domains = q.take_all("allowedDomains");
    if let Some(email) = q.take("adminEmail") {
        if !domains.is_empty() && !email_allowed(&email, &domains) {
            return Err(ApiError::invalid_argument("adminEmail", "adminEmail must belong to one of allowedDomains."));
        }
    }
    let id = format!("C{}", world.new_hex_id());
    let url = format!("http://{}/_lockstep/v1/{}:complete", host.unwrap_or("localhost"), name(&id));
    let signup = Signup { callback_url, token: None, kind: MGPA, used: false };
    world.signups.insert(id.clone(), signup);
    if world.auto_complete_signups {
        complete(world, &id, None)?;
    }
    Ok(json!({"name": name(&id), "url": url}))
}

/// The admin finishes signing up: the signup gets its enterpriseToken and
/// the callback URL (with `enterpriseToken` appended) is what the browser
/// would be sent to; it is queued for the mock to follow.
///
/// Our choice: the enterprise is a managed Google Play Accounts enterprise
/// unless the completion says `MANAGED_GOOGLE_DOMAIN`.
pub(crate) fn complete(world: &mut World, id: &str, kind: Option<&str>) -> Result<Value, ApiError> {
    let kind = match kind {
        None | Some(MGPA) => MGPA,
        Some(DOMAIN) => DOMAIN,
        Some(other) => {
            return Err(ApiError::invalid_argument(
                "enterpriseType",
                format!("enterpriseType is {MGPA} or {DOMAIN}, not {other}."),
            ))
        }
    };
    let token = format!("E{}", world.rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40));
    let s = world.signups.get_mut(id).ok_or_else(|| ApiError::not_found(name(id)))?;
    if s.token.is_some() {
        return Err(ApiError::failed_precondition(format!("{} was already completed.", name(id))));
    }
    s.token = Some(token.clone());
    s.kind = kind;
    let sep = if s.callback_url.contains('?') { '&' } else { '?' };
    let callback = format!("{}{sep}enterpriseToken={token}", s.callback_url);
    world.outbox.callback(callback.clone());
    Ok(json!({"signupUrlName": name(id), "enterpriseToken": token, "callbackUrl": callback}))
}

/// How an enterprises.create request says it was signed up.
pub(crate) enum Origin {
    /// A customer-managed enterprise from this signup: its enterpriseType.
    Signup(&'static str),
    /// The deprecated EMM-managed variant (no signup URL, agreement accepted).
    EmmManaged,
}

/// Check enterprises.create's signup parameters and use the signup up.
/// Everything is checked before the signup is marked used.
pub(crate) fn claim(world: &mut World, q: &mut Query) -> Result<Origin, ApiError> {
    if q.take("projectId").is_none_or(|p| p.is_empty()) {
        return Err(ApiError::invalid_argument("projectId", "projectId is required."));
    }
    let agreement = q.take_bool("agreementAccepted")?;
    match (q.take("signupUrlName"), q.take("enterpriseToken")) {
        (None, None) => {
            if agreement != Some(true) {
                return Err(ApiError::invalid_argument(
                    "agreementAccepted",
                    "An EMM-managed enterprise needs agreementAccepted=true; a customer-managed one needs signupUrlName and enterpriseToken.",
                ));
            }
            Ok(Origin::EmmManaged)
        }
        (Some(n), Some(t)) => {
            let id = n.strip_prefix("signupUrls/").unwrap_or(&n).to_owned();
            let s = world.signups.get_mut(&id).ok_or_else(|| ApiError::not_found(name(&id)))?;
            if s.token.as_deref() != Some(t.as_str()) {
                return Err(ApiError::invalid_argument(
                    "enterpriseToken",
                    "The enterprise token does not belong to this signup URL.",
                ));
            }
            if s.used {
                return Err(ApiError::new(Code::AlreadyExists, format!("{} was already used.", name(&id))));
            }
            s.used = true;
            Ok(Origin::Signup(s.kind))
        }
        _ => Err(ApiError::invalid_argument(
            "signupUrlName",
            "signupUrlName and enterpriseToken are given together, or neither.",
        )),
    }
}

/// generateEnterpriseUpgradeUrl: only a managed Google Play Accounts
/// enterprise can be upgraded (to a managed Google domain).
pub(crate) fn upgrade_url(
    world: &World,
    enterprise: &str,
    body: &bytes::Bytes,
    findings: &mut Vec<crate::tolerance::Finding>,
) -> Result<Value, ApiError> {
    let body = wire::parse_body_noting(body, "GenerateEnterpriseUpgradeUrlRequest", "body", findings)?;
    let e =
        world.enterprises.get(enterprise).ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    if e.kind != Some(MGPA) {
        return Err(ApiError::failed_precondition(format!(
            "enterprises/{enterprise} is not a managed Google Play Accounts enterprise and cannot be upgraded."
        )));
    }
    let domains: Vec<String> = body
        .get("allowedDomains")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    if let Some(email) = body.get("adminEmail").and_then(Value::as_str) {
        if !domains.is_empty() && !email_allowed(email, &domains) {
            return Err(ApiError::invalid_argument("adminEmail", "adminEmail must belong to one of allowedDomains."));
        }
    }
    Ok(json!({"url": format!("https://play.google.com/work/adminupgrade?enterprise={enterprise}")}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_domains_admit_subdomains_only_with_a_star() {
        let d = vec!["example.com".to_owned(), "*.corp.example".to_owned()];
        assert!(email_allowed("a@example.com", &d));
        assert!(!email_allowed("a@sub.example.com", &d));
        assert!(email_allowed("a@eu.corp.example", &d));
        assert!(!email_allowed("a@corp.example", &d));
        assert!(!email_allowed("no-at-sign", &d));
    }
}
