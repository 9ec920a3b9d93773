//! `enterprises.policies`: get, list, patch (which also creates), delete;
//! the policy's `version`; and the translation of its password settings
//! (`passwordPolicies`, or the deprecated `passwordRequirements`) into
//! android-sim's [`PasswordPolicy`] for the devices that use it.
//!
//! A policy is stored as the JSON it was given (checked against the
//! discovery schema), so every Policy field round-trips even though only
//! the password settings act on the simulated devices.

use crate::errors::ApiError;
use crate::wire::{self, Query};
use crate::world::Enterprise;
use android_sim::{PasswordPolicy, PasswordQuality, PolicyScope};
use serde_json::{json, Map, Value};

/// One policy.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub id: String,
    /// Every field but `name` and `version`.
    pub fields: Map<String, Value>,
    /// Starts at 1 and grows by one with each patch.
    pub version: i64,
}

impl Policy {
    pub(crate) fn render(&self, enterprise: &Enterprise) -> Value {
        let mut out = self.fields.clone();
        out.insert("name".into(), Value::String(enterprise.policy_name(&self.id)));
        out.insert("version".into(), Value::String(self.version.to_string()));
        Value::Object(out)
    }

    /// The PasswordRequirements in force, as JSON: `passwordPolicies`, or
    /// the deprecated single `passwordRequirements` when there are none.
    ///
    /// Our choice: when a policy sets both, `passwordPolicies` wins.
    pub(crate) fn password_requirements(&self) -> Vec<Value> {
        match self.fields.get("passwordPolicies").and_then(Value::as_array) {
            Some(list) if !list.is_empty() => list.clone(),
            _ => self.fields.get("passwordRequirements").filter(|v| v.is_object()).cloned().into_iter().collect(),
        }
    }

    /// The same, as android-sim policies.
    pub(crate) fn password_policies(&self) -> Vec<PasswordPolicy> {
        self.password_requirements().iter().filter_map(Value::as_object).map(password_policy).collect()
    }
}

/// android-sim's view of one PasswordRequirements object.
pub(crate) fn password_policy(req: &Map<String, Value>) -> PasswordPolicy {
    let count = |key: &str| wire::int_field(req, key).map_or(0, |n| u8::try_from(n.clamp(0, 255)).unwrap_or(u8::MAX));
    let quality: PasswordQuality =
        req.get("passwordQuality").and_then(|q| serde_json::from_value(q.clone()).ok()).unwrap_or_default();
    let scope: PolicyScope =
        req.get("passwordScope").and_then(|q| serde_json::from_value(q.clone()).ok()).unwrap_or_default();
    PasswordPolicy {
        quality,
        minimum_length: count("passwordMinimumLength"),
        minimum_letters: count("passwordMinimumLetters"),
        minimum_lower_case: count("passwordMinimumLowerCase"),
        minimum_upper_case: count("passwordMinimumUpperCase"),
        minimum_non_letter: count("passwordMinimumNonLetter"),
        minimum_numeric: count("passwordMinimumNumeric"),
        minimum_symbols: count("passwordMinimumSymbols"),
        scope,
    }
}

pub(crate) fn get(e: &Enterprise, id: &str) -> Result<Value, ApiError> {
    e.policies.get(id).map(|p| p.render(e)).ok_or_else(|| ApiError::not_found(e.policy_name(id)))
}

pub(crate) fn list(e: &Enterprise, q: &mut Query) -> Result<Value, ApiError> {
    let size = q.take_page_size(10, 100)?;
    let after = wire::page_start(q.take("pageToken"))?;
    let (page, next) = wire::paginate(e.policies.values(), |p| p.id.clone(), after.as_deref(), size);
    let mut out = json!({});
    if !page.is_empty() {
        out["policies"] = page.iter().map(|p| p.render(e)).collect();
    }
    if let Some(next) = next {
        out["nextPageToken"] = Value::String(next);
    }
    Ok(out)
}

/// Fields a client cannot set.
const READ_ONLY: [&str; 2] = ["name", "version"];

/// Update or create. `mask` is the `updateMask` (comma-separated paths);
/// without one, every writable field is replaced by the body's.
pub(crate) fn patch(
    e: &mut Enterprise,
    id: &str,
    body: Map<String, Value>,
    mask: Option<String>,
) -> Result<Value, ApiError> {
    let mut fields = e.policies.get(id).map(|p| p.fields.clone()).unwrap_or_default();
    match mask.filter(|m| !m.is_empty()) {
        None => {
            fields = body;
            for key in READ_ONLY {
                fields.remove(key);
            }
        }
        Some(mask) => {
            for path in mask.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let path = camel_path(path);
                if READ_ONLY.contains(&path.as_str()) {
                    return Err(ApiError::invalid_argument("update_mask", format!("Field `{path}` is read-only.")));
                }
                apply_path(&mut fields, &body, &path);
            }
        }
    }
    check_password_settings(&fields)?;
    let version = e.policies.get(id).map_or(1, |p| p.version + 1);
    let policy = Policy { id: id.to_owned(), fields, version };
    let rendered = policy.render(e);
    e.policies.insert(id.to_owned(), policy);
    Ok(rendered)
}

/// Refused while a device still uses the policy (documented).
pub(crate) fn delete(e: &mut Enterprise, id: &str) -> Result<Value, ApiError> {
    if !e.policies.contains_key(id) {
        return Err(ApiError::not_found(e.policy_name(id)));
    }
    if let Some(d) = e.devices.values().find(|d| d.policy_id == id) {
        return Err(ApiError::failed_precondition(format!(
            "Policy {} is referenced by device {} and cannot be deleted.",
            e.policy_name(id),
            e.device_name(&d.id)
        )));
    }
    e.policies.remove(id);
    Ok(json!({}))
}

/// The rules AMAPI documents for the password fields, which the schema
/// alone cannot express.
fn check_password_settings(fields: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(req) = fields.get("passwordRequirements").and_then(Value::as_object) {
        for key in ["requirePasswordUnlock", "unifiedLockSettings"] {
            if req.contains_key(key) {
                return Err(ApiError::invalid_argument(
                    &format!("passwordRequirements.{key}"),
                    format!("{key} cannot be set in passwordRequirements; use passwordPolicies."),
                ));
            }
        }
        let quality = req.get("passwordQuality").and_then(Value::as_str).unwrap_or("");
        if quality.starts_with("COMPLEXITY_") {
            return Err(ApiError::invalid_argument(
                "passwordRequirements.passwordQuality",
                format!("{quality} cannot be used in passwordRequirements; use passwordPolicies."),
            ));
        }
    }
    for (i, req) in fields.get("passwordPolicies").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let unified =
            req.get("unifiedLockSettings").and_then(Value::as_str).unwrap_or("UNIFIED_LOCK_SETTINGS_UNSPECIFIED");
        let scope = req.get("passwordScope").and_then(Value::as_str).unwrap_or("SCOPE_UNSPECIFIED");
        if unified != "UNIFIED_LOCK_SETTINGS_UNSPECIFIED" && scope != "SCOPE_PROFILE" {
            return Err(ApiError::invalid_argument(
                &format!("passwordPolicies[{i}].unifiedLockSettings"),
                "unifiedLockSettings can only be set when passwordScope is SCOPE_PROFILE.",
            ));
        }
    }
    Ok(())
}

/// Field masks may be written in snake_case (proto names) or camelCase.
pub(crate) fn camel_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Copy the value at dotted `path` from `from` into `into` (removing it
/// from `into` when `from` lacks it).
pub(crate) fn apply_path(into: &mut Map<String, Value>, from: &Map<String, Value>, path: &str) {
    match path.split_once('.') {
        None => match from.get(path) {
            Some(v) => {
                into.insert(path.to_owned(), v.clone());
            }
            None => {
                into.remove(path);
            }
        },
        Some((head, rest)) => {
            let empty = Map::new();
            let sub_from = from.get(head).and_then(Value::as_object).unwrap_or(&empty);
            let entry = into.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(sub_into) = entry {
                apply_path(sub_into, sub_from, rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enterprise() -> Enterprise {
        Enterprise::new("LC00test".into(), Map::new(), None)
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn patch_creates_then_bumps_the_version() {
        let mut e = enterprise();
        let p =
            patch(&mut e, "default", obj(json!({"passwordPolicies":[{"passwordQuality":"NUMERIC"}]})), None).unwrap();
        assert_eq!(p["version"], "1");
        assert_eq!(p["name"], "enterprises/LC00test/policies/default");
        let p = patch(
            &mut e,
            "default",
            obj(json!({"screenCaptureDisabled": true})),
            Some("screen_capture_disabled".into()),
        )
        .unwrap();
        assert_eq!(p["version"], "2");
        assert_eq!(p["passwordPolicies"][0]["passwordQuality"], "NUMERIC", "masked patch keeps other fields");
        let p = patch(&mut e, "default", obj(json!({"screenCaptureDisabled": true})), None).unwrap();
        assert!(p.get("passwordPolicies").is_none(), "unmasked patch replaces");
    }

    #[test]
    fn password_settings_translate_for_the_device() {
        let mut e = enterprise();
        patch(
            &mut e,
            "p",
            obj(json!({"passwordRequirements":{"passwordQuality":"ALPHANUMERIC","passwordMinimumLength":"8"}})),
            None,
        )
        .unwrap();
        let got = e.policies["p"].password_policies();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].quality, PasswordQuality::Alphanumeric);
        assert_eq!(got[0].minimum_length, 8);
        assert_eq!(got[0].scope, PolicyScope::ScopeUnspecified);
    }

    #[test]
    fn documented_password_rules_are_enforced() {
        let mut e = enterprise();
        let bad = json!({"passwordPolicies":[{"passwordScope":"SCOPE_DEVICE","unifiedLockSettings":"REQUIRE_SEPARATE_WORK_LOCK"}]});
        let err = patch(&mut e, "p", obj(bad), None).unwrap_err();
        assert_eq!(err.details[0]["fieldViolations"][0]["field"], "passwordPolicies[0].unifiedLockSettings");
        let bad = json!({"passwordRequirements":{"passwordQuality":"COMPLEXITY_HIGH"}});
        assert!(patch(&mut e, "p", obj(bad), None).is_err());
        assert!(e.policies.is_empty(), "a refused patch changes nothing");
    }
}
