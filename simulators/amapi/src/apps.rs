//! Apps: `enterprises.applications.get` from the managed Google Play
//! catalogue the mock is given (fixtures/apps/catalogue.json: Application
//! resources by package name, checked against the discovery schema when
//! loaded), and the two methods that edit a policy's `applications`
//! list, `policies.modifyPolicyApplications` and
//! `policies.removePolicyApplications`.

use crate::errors::ApiError;
use crate::schema::{self, Mode};
use crate::tolerance::Finding;
use crate::wire::Query;
use crate::world::World;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// A catalogue file that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("app catalogue {path}: {problem}")]
pub struct CatalogueError {
    pub path: String,
    pub problem: String,
}

/// Read a catalogue: `{"com.example.app": {Application fields but name}, ...}`.
pub fn load_catalogue(path: &Path) -> Result<BTreeMap<String, Value>, CatalogueError> {
    let err = |problem: String| CatalogueError { path: path.display().to_string(), problem };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let apps: BTreeMap<String, Value> = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    for (package, app) in &apps {
        if !app.is_object() || app.get("name").is_some() {
            return Err(err(format!("{package}: an Application object without `name` (the mock names it)")));
        }
        if let Err(v) = schema::validate("Application", app, Mode::Response) {
            return Err(err(format!("{package}: {}: {}", v.field, v.description)));
        }
    }
    Ok(apps)
}

/// applications.get. Our choice: `languageCode` is accepted and the
/// catalogue's (English) text comes back whatever it asks for.
pub(crate) fn get(world: &World, enterprise: &str, package: &str, q: &mut Query) -> Result<Value, ApiError> {
    q.take("languageCode");
    let name = format!("enterprises/{enterprise}/applications/{package}");
    let app = world.catalogue.get(package).ok_or_else(|| ApiError::not_found(&name))?;
    let mut out = app.clone();
    out["name"] = Value::String(name);
    Ok(out)
}

fn applications(fields: &Map<String, Value>) -> Vec<Value> {
    fields.get("applications").and_then(Value::as_array).cloned().unwrap_or_default()
}

fn package(app: &Value) -> Option<&str> {
    app.get("packageName").and_then(Value::as_str)
}

/// modifyPolicyApplications: each change updates the policy's
/// ApplicationPolicy of the same packageName (only the `updateMask`
/// fields, or all of them) or adds it. Our choice: the policy must exist
/// (404 otherwise), and it gets a new version as with any patch.
pub(crate) fn modify(
    world: &mut World,
    enterprise: &str,
    policy: &str,
    body: &bytes::Bytes,
    findings: &mut Vec<Finding>,
) -> Result<Value, ApiError> {
    let body = crate::wire::parse_body_noting(body, "ModifyPolicyApplicationsRequest", "body", findings)?;
    let changes = body.get("changes").and_then(Value::as_array).cloned().unwrap_or_default();
    if changes.is_empty() {
        return Err(ApiError::invalid_argument("changes", "There must be at least one change."));
    }
    let e =
        world.enterprises.get(enterprise).ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    let p = e.policies.get(policy).ok_or_else(|| ApiError::not_found(e.policy_name(policy)))?;
    let mut fields = p.fields.clone();
    let mut apps = applications(&fields);
    for (i, change) in changes.iter().enumerate() {
        let app = change.get("application").and_then(Value::as_object).cloned().unwrap_or_default();
        let Some(pkg) = app.get("packageName").and_then(Value::as_str).filter(|p| !p.is_empty()) else {
            return Err(ApiError::invalid_argument(
                &format!("changes[{i}].application.package_name"),
                "Each change names an application by packageName.",
            ));
        };
        let mask = change.get("updateMask").and_then(Value::as_str).filter(|m| !m.trim().is_empty());
        match apps.iter_mut().find(|a| package(a) == Some(pkg)) {
            Some(Value::Object(existing)) => match mask {
                None => *existing = app.clone(),
                Some(mask) => {
                    for path in mask.split(',').map(|p| crate::policies::camel_path(p.trim())) {
                        crate::policies::apply_path(existing, &app, &path);
                    }
                    existing.insert("packageName".into(), Value::String(pkg.to_owned()));
                }
            },
            _ => apps.push(Value::Object(app.clone())),
        }
    }
    fields.insert("applications".into(), Value::Array(apps));
    store(world, enterprise, policy, fields)
}

/// removePolicyApplications: packages not in the policy are ignored.
pub(crate) fn remove(
    world: &mut World,
    enterprise: &str,
    policy: &str,
    body: &bytes::Bytes,
    findings: &mut Vec<Finding>,
) -> Result<Value, ApiError> {
    let body = crate::wire::parse_body_noting(body, "RemovePolicyApplicationsRequest", "body", findings)?;
    let names: Vec<&str> =
        body.get("packageNames").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    if names.is_empty() {
        return Err(ApiError::invalid_argument("packageNames", "There must be at least one package name."));
    }
    let e =
        world.enterprises.get(enterprise).ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    let p = e.policies.get(policy).ok_or_else(|| ApiError::not_found(e.policy_name(policy)))?;
    let mut fields = p.fields.clone();
    let apps: Vec<Value> =
        applications(&fields).into_iter().filter(|a| package(a).is_none_or(|p| !names.contains(&p))).collect();
    if apps.is_empty() {
        fields.remove("applications");
    } else {
        fields.insert("applications".into(), Value::Array(apps));
    }
    store(world, enterprise, policy, fields)
}

fn store(world: &mut World, enterprise: &str, policy: &str, fields: Map<String, Value>) -> Result<Value, ApiError> {
    let e = world
        .enterprises
        .get_mut(enterprise)
        .ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    let rendered = crate::policies::patch(e, policy, fields, None)?;
    Ok(json!({"policy": rendered}))
}
