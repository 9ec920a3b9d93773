//! Which AMAPI method a request names: `/v1/...` paths with Google's custom
//! verbs (`:issueCommand`, `:cancel`), resolved to a [`Call`] carrying the
//! path's ids and the discovery document's method id (used by the fault
//! plan and the journal). Every method of the discovery document is
//! emulated; anything else is 404.

use crate::errors::{ApiError, Code};
use crate::schema;
use crate::wire::percent_decode;
use http::Method;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

/// One AMAPI call, with its path ids decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    EnterprisesCreate,
    EnterprisesList,
    EnterprisesGet { e: String },
    EnterprisesPatch { e: String },
    EnterprisesDelete { e: String },
    DevicesList { e: String },
    DevicesGet { e: String, d: String },
    DevicesPatch { e: String, d: String },
    DevicesDelete { e: String, d: String },
    DevicesIssueCommand { e: String, d: String },
    OperationsList { e: String, d: String },
    OperationsGet { e: String, d: String, o: String },
    OperationsCancel { e: String, d: String, o: String },
    PoliciesList { e: String },
    PoliciesGet { e: String, p: String },
    PoliciesPatch { e: String, p: String },
    PoliciesDelete { e: String, p: String },
    TokensCreate { e: String },
    TokensList { e: String },
    TokensGet { e: String, t: String },
    TokensDelete { e: String, t: String },
    EnterprisesUpgradeUrl { e: String },
    ApplicationsGet { e: String, a: String },
    PoliciesModifyApplications { e: String, p: String },
    PoliciesRemoveApplications { e: String, p: String },
    WebAppsCreate { e: String },
    WebAppsList { e: String },
    WebAppsGet { e: String, w: String },
    WebAppsPatch { e: String, w: String },
    WebAppsDelete { e: String, w: String },
    WebTokensCreate { e: String },
    MigrationTokensCreate { e: String },
    MigrationTokensList { e: String },
    MigrationTokensGet { e: String, m: String },
    ProvisioningInfoGet { id: String },
    SignupUrlsCreate,
}

impl Call {
    /// The discovery document's method id.
    pub(crate) fn id(&self) -> &'static str {
        match self {
            Call::EnterprisesCreate => "androidmanagement.enterprises.create",
            Call::EnterprisesList => "androidmanagement.enterprises.list",
            Call::EnterprisesGet { .. } => "androidmanagement.enterprises.get",
            Call::EnterprisesPatch { .. } => "androidmanagement.enterprises.patch",
            Call::EnterprisesDelete { .. } => "androidmanagement.enterprises.delete",
            Call::DevicesList { .. } => "androidmanagement.enterprises.devices.list",
            Call::DevicesGet { .. } => "androidmanagement.enterprises.devices.get",
            Call::DevicesPatch { .. } => "androidmanagement.enterprises.devices.patch",
            Call::DevicesDelete { .. } => "androidmanagement.enterprises.devices.delete",
            Call::DevicesIssueCommand { .. } => "androidmanagement.enterprises.devices.issueCommand",
            Call::OperationsList { .. } => "androidmanagement.enterprises.devices.operations.list",
            Call::OperationsGet { .. } => "androidmanagement.enterprises.devices.operations.get",
            Call::OperationsCancel { .. } => "androidmanagement.enterprises.devices.operations.cancel",
            Call::PoliciesList { .. } => "androidmanagement.enterprises.policies.list",
            Call::PoliciesGet { .. } => "androidmanagement.enterprises.policies.get",
            Call::PoliciesPatch { .. } => "androidmanagement.enterprises.policies.patch",
            Call::PoliciesDelete { .. } => "androidmanagement.enterprises.policies.delete",
            Call::TokensCreate { .. } => "androidmanagement.enterprises.enrollmentTokens.create",
            Call::TokensList { .. } => "androidmanagement.enterprises.enrollmentTokens.list",
            Call::TokensGet { .. } => "androidmanagement.enterprises.enrollmentTokens.get",
            Call::TokensDelete { .. } => "androidmanagement.enterprises.enrollmentTokens.delete",
            Call::EnterprisesUpgradeUrl { .. } => "androidmanagement.enterprises.generateEnterpriseUpgradeUrl",
            Call::ApplicationsGet { .. } => "androidmanagement.enterprises.applications.get",
            Call::PoliciesModifyApplications { .. } => {
                "androidmanagement.enterprises.policies.modifyPolicyApplications"
            }
            Call::PoliciesRemoveApplications { .. } => {
                "androidmanagement.enterprises.policies.removePolicyApplications"
            }
            Call::WebAppsCreate { .. } => "androidmanagement.enterprises.webApps.create",
            Call::WebAppsList { .. } => "androidmanagement.enterprises.webApps.list",
            Call::WebAppsGet { .. } => "androidmanagement.enterprises.webApps.get",
            Call::WebAppsPatch { .. } => "androidmanagement.enterprises.webApps.patch",
            Call::WebAppsDelete { .. } => "androidmanagement.enterprises.webApps.delete",
            Call::WebTokensCreate { .. } => "androidmanagement.enterprises.webTokens.create",
            Call::MigrationTokensCreate { .. } => "androidmanagement.enterprises.migrationTokens.create",
            Call::MigrationTokensList { .. } => "androidmanagement.enterprises.migrationTokens.list",
            Call::MigrationTokensGet { .. } => "androidmanagement.enterprises.migrationTokens.get",
            Call::ProvisioningInfoGet { .. } => "androidmanagement.provisioningInfo.get",
            Call::SignupUrlsCreate => "androidmanagement.signupUrls.create",
        }
    }

    /// The enterprise the call is about, if any.
    pub(crate) fn enterprise(&self) -> Option<&str> {
        match self {
            Call::EnterprisesCreate | Call::EnterprisesList | Call::SignupUrlsCreate => None,
            Call::ProvisioningInfoGet { .. } => None,
            Call::EnterprisesUpgradeUrl { e }
            | Call::ApplicationsGet { e, .. }
            | Call::PoliciesModifyApplications { e, .. }
            | Call::PoliciesRemoveApplications { e, .. }
            | Call::WebAppsCreate { e }
            | Call::WebAppsList { e }
            | Call::WebAppsGet { e, .. }
            | Call::WebAppsPatch { e, .. }
            | Call::WebAppsDelete { e, .. }
            | Call::WebTokensCreate { e }
            | Call::MigrationTokensCreate { e }
            | Call::MigrationTokensList { e }
            | Call::MigrationTokensGet { e, .. } => Some(e),
            Call::EnterprisesGet { e }
            | Call::EnterprisesPatch { e }
            | Call::EnterprisesDelete { e }
            | Call::DevicesList { e }
            | Call::DevicesGet { e, .. }
            | Call::DevicesPatch { e, .. }
            | Call::DevicesDelete { e, .. }
            | Call::DevicesIssueCommand { e, .. }
            | Call::OperationsList { e, .. }
            | Call::OperationsGet { e, .. }
            | Call::OperationsCancel { e, .. }
            | Call::PoliciesList { e }
            | Call::PoliciesGet { e, .. }
            | Call::PoliciesPatch { e, .. }
            | Call::PoliciesDelete { e, .. }
            | Call::TokensCreate { e }
            | Call::TokensList { e }
            | Call::TokensGet { e, .. }
            | Call::TokensDelete { e, .. } => Some(e),
        }
    }
}

impl Call {
    /// `enterprises/E/devices/D`, for calls about a device or its operations.
    pub(crate) fn device_name(&self) -> Option<String> {
        match self {
            Call::DevicesGet { e, d }
            | Call::DevicesPatch { e, d }
            | Call::DevicesDelete { e, d }
            | Call::DevicesIssueCommand { e, d }
            | Call::OperationsList { e, d }
            | Call::OperationsGet { e, d, .. }
            | Call::OperationsCancel { e, d, .. } => Some(crate::world::device_name(e, d)),
            _ => None,
        }
    }

    /// `enterprises/E/devices/D/operations/O`, for calls about one operation.
    pub(crate) fn operation_name(&self) -> Option<String> {
        match self {
            Call::OperationsGet { e, d, o } | Call::OperationsCancel { e, d, o } => {
                Some(format!("{}/operations/{o}", crate::world::device_name(e, d)))
            }
            _ => None,
        }
    }
}

/// Our choice: an unknown path, or a known path with the wrong HTTP
/// method, is 404 NOT_FOUND in the JSON envelope (Google's front end
/// answers such requests with an HTML 404 page).
fn not_found() -> ApiError {
    ApiError::new(Code::NotFound, "The requested URL was not found on this server.")
}

/// Resolve a request line to a call.
pub(crate) fn resolve(method: &Method, path: &str) -> Result<Call, ApiError> {
    let rest = path.strip_prefix("/v1/").ok_or_else(not_found)?;
    // A segment without escapes is used as it is (decoding would copy it
    // unchanged).
    let mut segs: Vec<Cow<'_, str>> = Vec::with_capacity(8);
    for s in rest.split('/') {
        let decoded = if s.contains('%') {
            Cow::Owned(percent_decode(s, false).ok_or_else(not_found)?)
        } else {
            Cow::Borrowed(s)
        };
        if decoded.is_empty() || decoded.contains('/') {
            return Err(not_found());
        }
        segs.push(decoded);
    }
    let mut verb: Option<Cow<'_, str>> = None;
    if let Some(last) = segs.pop() {
        let last = match last {
            Cow::Borrowed(l) => match l.split_once(':') {
                Some((id, v)) => {
                    verb = Some(Cow::Borrowed(v));
                    Cow::Borrowed(id)
                }
                None => Cow::Borrowed(l),
            },
            Cow::Owned(l) => match l.split_once(':') {
                Some((id, v)) => {
                    verb = Some(Cow::Owned(v.to_owned()));
                    Cow::Owned(id.to_owned())
                }
                None => Cow::Owned(l),
            },
        };
        segs.push(last);
    }
    if segs.iter().any(|s| s.is_empty()) {
        return Err(not_found());
    }
    let s: Vec<&str> = segs.iter().map(|s| &**s).collect();
    let m = method.as_str();
    let own = |x: &str| x.to_owned();
    let call = match (m, s.as_slice(), verb.as_deref()) {
        ("POST", ["enterprises"], None) => Call::EnterprisesCreate,
        ("GET", ["enterprises"], None) => Call::EnterprisesList,
        ("GET", ["enterprises", e], None) => Call::EnterprisesGet { e: own(e) },
        ("PATCH", ["enterprises", e], None) => Call::EnterprisesPatch { e: own(e) },
        ("DELETE", ["enterprises", e], None) => Call::EnterprisesDelete { e: own(e) },
        ("GET", ["enterprises", e, "devices"], None) => Call::DevicesList { e: own(e) },
        ("GET", ["enterprises", e, "devices", d], None) => Call::DevicesGet { e: own(e), d: own(d) },
        ("PATCH", ["enterprises", e, "devices", d], None) => Call::DevicesPatch { e: own(e), d: own(d) },
        ("DELETE", ["enterprises", e, "devices", d], None) => Call::DevicesDelete { e: own(e), d: own(d) },
        ("POST", ["enterprises", e, "devices", d], Some("issueCommand")) => {
            Call::DevicesIssueCommand { e: own(e), d: own(d) }
        }
        ("GET", ["enterprises", e, "devices", d, "operations"], None) => Call::OperationsList { e: own(e), d: own(d) },
        ("GET", ["enterprises", e, "devices", d, "operations", o], None) => {
            Call::OperationsGet { e: own(e), d: own(d), o: own(o) }
        }
        ("POST", ["enterprises", e, "devices", d, "operations", o], Some("cancel")) => {
            Call::OperationsCancel { e: own(e), d: own(d), o: own(o) }
        }
        ("GET", ["enterprises", e, "policies"], None) => Call::PoliciesList { e: own(e) },
        ("GET", ["enterprises", e, "policies", p], None) => Call::PoliciesGet { e: own(e), p: own(p) },
        ("PATCH", ["enterprises", e, "policies", p], None) => Call::PoliciesPatch { e: own(e), p: own(p) },
        ("DELETE", ["enterprises", e, "policies", p], None) => Call::PoliciesDelete { e: own(e), p: own(p) },
        ("POST", ["enterprises", e, "enrollmentTokens"], None) => Call::TokensCreate { e: own(e) },
        ("GET", ["enterprises", e, "enrollmentTokens"], None) => Call::TokensList { e: own(e) },
        ("GET", ["enterprises", e, "enrollmentTokens", t], None) => Call::TokensGet { e: own(e), t: own(t) },
        ("DELETE", ["enterprises", e, "enrollmentTokens", t], None) => Call::TokensDelete { e: own(e), t: own(t) },
        ("POST", ["enterprises", e], Some("generateEnterpriseUpgradeUrl")) => Call::EnterprisesUpgradeUrl { e: own(e) },
        ("GET", ["enterprises", e, "applications", a], None) => Call::ApplicationsGet { e: own(e), a: own(a) },
        ("POST", ["enterprises", e, "policies", p], Some("modifyPolicyApplications")) => {
            Call::PoliciesModifyApplications { e: own(e), p: own(p) }
        }
        ("POST", ["enterprises", e, "policies", p], Some("removePolicyApplications")) => {
            Call::PoliciesRemoveApplications { e: own(e), p: own(p) }
        }
        ("POST", ["enterprises", e, "webApps"], None) => Call::WebAppsCreate { e: own(e) },
        ("GET", ["enterprises", e, "webApps"], None) => Call::WebAppsList { e: own(e) },
        ("GET", ["enterprises", e, "webApps", w], None) => Call::WebAppsGet { e: own(e), w: own(w) },
        ("PATCH", ["enterprises", e, "webApps", w], None) => Call::WebAppsPatch { e: own(e), w: own(w) },
        ("DELETE", ["enterprises", e, "webApps", w], None) => Call::WebAppsDelete { e: own(e), w: own(w) },
        ("POST", ["enterprises", e, "webTokens"], None) => Call::WebTokensCreate { e: own(e) },
        ("POST", ["enterprises", e, "migrationTokens"], None) => Call::MigrationTokensCreate { e: own(e) },
        ("GET", ["enterprises", e, "migrationTokens"], None) => Call::MigrationTokensList { e: own(e) },
        ("GET", ["enterprises", e, "migrationTokens", m], None) => Call::MigrationTokensGet { e: own(e), m: own(m) },
        ("GET", ["provisioningInfo", id], None) => Call::ProvisioningInfoGet { id: own(id) },
        ("POST", ["signupUrls"], None) => Call::SignupUrlsCreate,
        _ => return Err(not_found()),
    };
    Ok(call)
}

/// The query parameters a method declares (its non-path parameters).
pub(crate) fn query_parameters(id: &str) -> &'static [&'static str] {
    QUERY_PARAMETERS.get(id).map_or(&[], Vec::as_slice)
}

static QUERY_PARAMETERS: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    let mut out = Vec::new();
    collect_parameters(schema::discovery(), &mut out);
    out.into_iter().collect()
});

fn collect_parameters(node: &'static Value, out: &mut Vec<(&'static str, Vec<&'static str>)>) {
    for m in node.get("methods").and_then(Value::as_object).into_iter().flat_map(|m| m.values()) {
        let Some(id) = m.get("id").and_then(Value::as_str) else { continue };
        let params = m
            .get("parameters")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|p| p.iter())
            .filter(|(_, spec)| spec.get("location").and_then(Value::as_str) == Some("query"))
            .map(|(name, _)| name.as_str())
            .collect();
        out.push((id, params));
    }
    for r in node.get("resources").and_then(Value::as_object).into_iter().flat_map(|r| r.values()) {
        collect_parameters(r, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every method of the discovery document: (HTTP method, flat path
    /// segments, id).
    static METHODS: LazyLock<Vec<(String, Vec<String>, &'static str)>> = LazyLock::new(|| {
        let mut out = Vec::new();
        collect(schema::discovery(), &mut out);
        out
    });

    fn collect(node: &'static Value, out: &mut Vec<(String, Vec<String>, &'static str)>) {
        for m in node.get("methods").and_then(Value::as_object).into_iter().flat_map(|m| m.values()) {
            let (Some(http), Some(flat), Some(id)) = (
                m.get("httpMethod").and_then(Value::as_str),
                m.get("flatPath").and_then(Value::as_str),
                m.get("id").and_then(Value::as_str),
            ) else {
                continue;
            };
            let segs = flat.trim_start_matches("v1/").split('/').map(str::to_owned).collect();
            out.push((http.to_owned(), segs, id));
        }
        for r in node.get("resources").and_then(Value::as_object).into_iter().flat_map(|r| r.values()) {
            collect(r, out);
        }
    }

    #[test]
    fn paths_and_verbs() {
        let c = resolve(&Method::POST, "/v1/enterprises/LC1/devices/abc:issueCommand").unwrap();
        assert_eq!(c, Call::DevicesIssueCommand { e: "LC1".into(), d: "abc".into() });
        let c = resolve(&Method::POST, "/v1/enterprises/LC1/devices/abc/operations/17:cancel").unwrap();
        assert_eq!(c.id(), "androidmanagement.enterprises.devices.operations.cancel");
        let c = resolve(&Method::GET, "/v1/enterprises/LC1/devices/abc/operations").unwrap();
        assert_eq!(c.enterprise(), Some("LC1"));
        assert!(resolve(&Method::GET, "/v1/enterprises/LC1/devices/abc:issueCommand").is_err());
        assert!(resolve(&Method::GET, "/v2/enterprises").is_err());
        assert!(resolve(&Method::GET, "/v1/enterprises//devices").is_err());
        assert!(resolve(&Method::PUT, "/v1/enterprises/LC1").is_err());
    }

    #[test]
    fn every_discovery_method_resolves_to_an_emulated_call() {
        for (http, template, id) in METHODS.iter() {
            let path: Vec<String> = template
                .iter()
                .map(|t| match t.split_once('}') {
                    Some((_, verb)) if t.starts_with('{') => format!("x1{verb}"),
                    _ => t.clone(),
                })
                .collect();
            let method = Method::from_bytes(http.as_bytes()).unwrap();
            let call = resolve(&method, &format!("/v1/{}", path.join("/"))).unwrap();
            assert_eq!(call.id(), *id);
        }
        assert_eq!(METHODS.len(), 36);
        let c = resolve(&Method::POST, "/v1/signupUrls").unwrap();
        assert_eq!(c.enterprise(), None);
    }

    #[test]
    fn escaped_segments_resolve_like_plain_ones() {
        let plain = resolve(&Method::POST, "/v1/enterprises/LC1/devices/abc:issueCommand").unwrap();
        assert_eq!(resolve(&Method::POST, "/v1/enterprises/LC%31/devices/ab%63:issueCommand").unwrap(), plain);
        assert_eq!(resolve(&Method::POST, "/v1/enterprises/LC1/devices/abc%3AissueCommand").unwrap(), plain);
        assert!(resolve(&Method::GET, "/v1/enterprises/LC1/devices/a%2Fb").is_err());
        assert!(resolve(&Method::GET, "/v1/enterprises/LC1/devices/a%zz").is_err());
    }

    #[test]
    fn a_doubled_colon_is_no_method() {
        let e = resolve(&Method::POST, "/v1/enterprises/LC1/devices/abc::issueCommand").unwrap_err();
        assert_eq!(e.status, 404);
        assert!(resolve(&Method::POST, "/v1/enterprises/LC1/devices/abc:issueCommand:issueCommand").is_err());
    }
}
