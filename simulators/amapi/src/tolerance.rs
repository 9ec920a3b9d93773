//! Google's input tolerance: what Google's front end accepts in a request
//! body beyond the canonical proto3 JSON form, rewritten here to the
//! canonical form before the schema check, each rewrite noted as a
//! [`Finding`] naming the field, the rule and the rule's source. In
//! `--strict` mode the findings go to the journal and out as warnings, so
//! a vendor learns what their MDM sends that Google merely tolerates.
//!
//! Each decision and its source:
//!
//! | rule | accepted | source |
//! |---|---|---|
//! | `number-as-string` | `"6"` for an int32/uint32/double field | proto3 JSON mapping: "Either numbers or strings are accepted" |
//! | `integer-as-float` | `6.0` / `6e0` for an int32 field | protobuf's JSON parser (json/internal/parser.cc, ParseFloatStringAsInt): integral values only |
//! | `int64-as-number` | `3` for an int64 field (canonical `"3"`) | proto3 JSON mapping: "Either numbers or strings are accepted" |
//! | `enum-as-number` | `2` or `"2"` for an enum field | proto3 JSON mapping: "Parsers accept both enum names and integer values"; the number is the value's position in the discovery document's list (Our choice: AMAPI's enums are numbered in declaration order from 0) |
//! | `bool-as-string` | `"true"` / `"false"` (any case) for a bool | protobuf's JSON parser in legacy (ESF, Google's front end) syntax: quoted booleans |
//! | `single-for-repeated` | `"LOCK_NOW"` for a list field | protobuf's JSON parser, legacy syntax: "The original ESF parser permits a single element in place of an array thereof" |
//!
//! Not tolerated, as Google's front end refuses them: unknown field names
//! (`Invalid JSON payload received. Unknown name ...`, amapi.md §7) and
//! unknown enum names (`Invalid value at 'type' ...`, amapi.md §7; the
//! parser accepts them only with ignore_unknown_fields, which the front
//! end does not set).

use crate::schema::{self, Path};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One tolerated sloppiness in a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Where, as a JSON path (`passwordPolicies[0].passwordMinimumLength`).
    pub field: String,
    /// Which rule (`number-as-string`, ...).
    pub rule: String,
    /// What the canonical form would have been.
    pub canonical: String,
    /// Why Google accepts it.
    pub source: String,
}

const MAPPING: &str = "proto3 JSON mapping (protobuf.dev/programming-guides/json)";
const PARSER: &str = "protobuf JSON parser (src/google/protobuf/json/internal/parser.cc)";
const LEGACY: &str = "protobuf JSON parser, legacy ESF syntax (Google's front end)";

struct Walk<'a> {
    out: &'a mut Vec<Finding>,
}

impl Walk<'_> {
    fn note(&mut self, path: &Path<'_>, rule: &str, canonical: &Value, source: &str) {
        self.out.push(Finding {
            field: path.to_string(),
            rule: rule.to_owned(),
            canonical: canonical.to_string(),
            source: source.to_owned(),
        });
    }

    fn value(&mut self, spec: &Value, value: &mut Value, path: &Path<'_>) {
        if value.is_null() {
            return;
        }
        if let Some(name) = spec.get("$ref").and_then(Value::as_str) {
            if let Some(target) = schema::schema(name) {
                self.value(target, value, path);
            }
            return;
        }
        match spec.get("type").and_then(Value::as_str).unwrap_or("any") {
            "object" => self.object(spec, value, path),
            "array" => {
                if !value.is_array() {
                    let single = std::mem::take(value);
                    *value = Value::Array(vec![single]);
                    self.note(path, "single-for-repeated", &Value::String("[...]".into()), LEGACY);
                }
                let item = spec.get("items").unwrap_or(&schema::NO_SPEC);
                if let Value::Array(items) = value {
                    for (i, v) in items.iter_mut().enumerate() {
                        self.value(item, v, &Path::Index(path, i));
                    }
                }
            }
            "boolean" => {
                let parsed = value.as_str().and_then(|s| match s.to_ascii_lowercase().as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                });
                if let Some(b) = parsed {
                    *value = Value::Bool(b);
                    self.note(path, "bool-as-string", value, LEGACY);
                }
            }
            "integer" => match value {
                Value::String(s) => {
                    if let Ok(n) = s.parse::<i64>() {
                        *value = Value::from(n);
                        self.note(path, "number-as-string", value, MAPPING);
                    }
                }
                Value::Number(n) if n.as_i64().is_none() => {
                    if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                        *value = Value::from(f as i64);
                        self.note(path, "integer-as-float", value, PARSER);
                    }
                }
                _ => {}
            },
            "number" => {
                if let Some(f) = value.as_str().and_then(|s| s.parse::<f64>().ok()).filter(|f| f.is_finite()) {
                    if let Some(n) = serde_json::Number::from_f64(f) {
                        *value = Value::Number(n);
                        self.note(path, "number-as-string", value, MAPPING);
                    }
                }
            }
            "string" => self.string(spec, value, path),
            _ => {}
        }
    }

    fn string(&mut self, spec: &Value, value: &mut Value, path: &Path<'_>) {
        let format = spec.get("format").and_then(Value::as_str);
        if matches!(format, Some("int64" | "uint64")) {
            if let Some(n) = value.as_i64().map(|n| n.to_string()).or_else(|| value.as_u64().map(|n| n.to_string())) {
                *value = Value::String(n);
                self.note(path, "int64-as-number", value, MAPPING);
            }
            return;
        }
        let Some(members) = spec.get("enum").and_then(Value::as_array) else { return };
        let number = match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) if !members.iter().any(|m| m.as_str() == Some(s)) => s.parse::<u64>().ok(),
            _ => None,
        };
        let name = number.and_then(|n| usize::try_from(n).ok()).and_then(|i| members.get(i)).cloned();
        if let Some(name) = name {
            *value = name;
            self.note(path, "enum-as-number", value, MAPPING);
        }
    }

    fn object(&mut self, spec: &Value, value: &mut Value, path: &Path<'_>) {
        let Value::Object(map) = value else { return };
        let properties = spec.get("properties").and_then(Value::as_object);
        let additional = spec.get("additionalProperties");
        for (key, item) in map.iter_mut() {
            let field = Path::Field(path, key);
            if let Some(prop) = properties.and_then(|p| p.get(key)) {
                self.value(prop, item, &field);
            } else if let Some(extra) = additional {
                self.value(extra, item, &field);
            }
        }
    }
}

/// Rewrite `body` (the JSON form of schema `name`) to its canonical form;
/// returns what was rewritten.
pub fn canonicalize(name: &str, body: &mut Map<String, Value>) -> Vec<Finding> {
    let mut out = Vec::new();
    // As walking `{"$ref": name}`: an unknown schema rewrites nothing.
    if let Some(spec) = schema::schema(name) {
        let mut value = Value::Object(std::mem::take(body));
        Walk { out: &mut out }.value(spec, &mut value, &Path::Root);
        if let Value::Object(map) = value {
            *body = map;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(name: &str, v: Value) -> (Value, Vec<String>) {
        let mut map = v.as_object().cloned().unwrap();
        let f = canonicalize(name, &mut map);
        (Value::Object(map), f.into_iter().map(|f| format!("{} {}", f.field, f.rule)).collect())
    }

    #[test]
    fn each_rule_rewrites_to_the_canonical_form() {
        let (v, f) = run(
            "Policy",
            json!({"cameraDisabled": "true", "maximumTimeToLock": 60,
                   "passwordPolicies": {"passwordMinimumLength": "6", "passwordQuality": 3, "passwordScope": "SCOPE_DEVICE"}}),
        );
        assert_eq!(
            v,
            json!({"cameraDisabled": true, "maximumTimeToLock": "60",
                   "passwordPolicies": [{"passwordMinimumLength": 6, "passwordQuality": "NUMERIC", "passwordScope": "SCOPE_DEVICE"}]})
        );
        assert_eq!(
            f,
            [
                "cameraDisabled bool-as-string",
                "maximumTimeToLock int64-as-number",
                "passwordPolicies single-for-repeated",
                "passwordPolicies[0].passwordMinimumLength number-as-string",
                "passwordPolicies[0].passwordQuality enum-as-number",
            ]
        );
        let (v, f) = run("Command", json!({"type": "LOCK", "resetPasswordFlags": ["LOCK_NOW"]}));
        assert_eq!(
            (v, f.len()),
            (json!({"type": "LOCK", "resetPasswordFlags": ["LOCK_NOW"]}), 0),
            "canonical: untouched"
        );
    }

    #[test]
    fn what_google_refuses_stays_as_it_is_for_the_schema_check() {
        let (v, f) = run("Command", json!({"type": "FOO", "colour": 1, "duration": 600}));
        assert_eq!(v, json!({"type": "FOO", "colour": 1, "duration": 600}));
        assert!(f.is_empty(), "{f:?}");
        let (_, f) = run("Policy", json!({"cameraDisabled": "maybe"}));
        assert!(f.is_empty());
    }
}
