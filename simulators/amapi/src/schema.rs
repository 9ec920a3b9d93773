//! The discovery document (`androidmanagement.v1.json`, Google's own
//! machine-readable description of AMAPI, bundled in `fixtures/`) and a
//! validator of JSON values against its schemas.
//!
//! The mock checks every request body with it, the way Google's front end
//! parses a body into the request proto: unknown fields, wrong JSON types,
//! unknown enum values and malformed int64/datetime/duration strings are
//! 400 INVALID_ARGUMENT naming the field. Tests check every response body
//! with the strict [`Mode::Response`]: int64 as strings, no unknown fields.

use crate::clock::{parse_duration, Timestamp};
use base64::Engine as _;
use serde_json::Value;
use std::sync::LazyLock;

static DISCOVERY_TEXT: &str = include_str!("../fixtures/androidmanagement.v1.json");

static DISCOVERY: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(DISCOVERY_TEXT).expect("the bundled discovery document is valid JSON"));

/// The parsed discovery document.
pub fn discovery() -> &'static Value {
    &DISCOVERY
}

/// A schema by name (`"Device"`, `"Operation"`), if the document has it.
pub fn schema(name: &str) -> Option<&'static Value> {
    DISCOVERY.get("schemas").and_then(|s| s.get(name))
}

/// How strictly to read a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A request body, read like Google's proto3 JSON parser: numbers may be
    /// strings, int64 may be numbers, `null` means "not set".
    Request,
    /// A response body as a client decodes it: exactly the canonical proto3
    /// JSON form (int64 as strings, enums as names, no nulls).
    Response,
}

/// The first thing wrong with a value: where (a JSON path such as
/// `passwordPolicies[0].passwordQuality`) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

/// Check `value` against schema `name`; all violations, in document order.
pub fn validate_all(name: &str, value: &Value, mode: Mode) -> Vec<Violation> {
    let mut out = Vec::new();
    if value.is_null() {
        null(&Path::Root, mode, &mut out);
    } else {
        check_named(name, value, &Path::Root, mode, &mut out);
    }
    out
}

/// Check `value` against schema `name`; the first violation.
pub fn validate(name: &str, value: &Value, mode: Mode) -> Result<(), Violation> {
    match validate_all(name, value, mode).into_iter().next() {
        Some(v) => Err(v),
        None => Ok(()),
    }
}

/// Where a value sits in a body, as a chain of borrowed steps: written
/// out as a JSON path (`passwordPolicies[0].passwordQuality`) only when a
/// message needs it, so a walk over a valid body formats no paths.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            // As `"{path}.{field}"`, but a field of an empty path is the
            // field alone.
            Path::Field(parent, field) if parent.is_empty() => f.write_str(field),
            Path::Field(parent, field) => write!(f, "{parent}.{field}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

impl Path<'_> {
    /// Whether the path is written as nothing (the root, or empty field
    /// names all the way down).
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Path::Root => true,
            Path::Field(parent, field) => field.is_empty() && parent.is_empty(),
            Path::Index(..) => false,
        }
    }
}

/// What an `items` spec is missing stands for: no constraint.
pub(crate) static NO_SPEC: Value = Value::Null;

fn violation(out: &mut Vec<Violation>, path: &str, description: String) {
    out.push(Violation { field: path.to_owned(), description });
}

fn null(at: &Path<'_>, mode: Mode, out: &mut Vec<Violation>) {
    if mode == Mode::Response {
        let path = &at.to_string();
        violation(out, path, format!("null at '{path}': a response omits unset fields instead"));
    }
}

fn check_named(name: &str, value: &Value, at: &Path<'_>, mode: Mode, out: &mut Vec<Violation>) {
    match schema(name) {
        Some(target) => check(target, value, at, name, mode, out),
        None => violation(out, &at.to_string(), format!("the discovery document has no schema `{name}`")),
    }
}

/// Check `value` against one property spec (`type`/`$ref`/`format`/...).
/// `owner` names the schema that holds the property, for enum messages.
fn check(spec: &Value, value: &Value, at: &Path<'_>, owner: &str, mode: Mode, out: &mut Vec<Violation>) {
    if value.is_null() {
        null(at, mode, out);
        return;
    }
    if let Some(name) = spec.get("$ref").and_then(Value::as_str) {
        check_named(name, value, at, mode, out);
        return;
    }
    let ty = spec.get("type").and_then(Value::as_str).unwrap_or("any");
    match ty {
        "any" => {}
        "object" => check_object(spec, value, at, owner, mode, out),
        "array" => match value.as_array() {
            Some(items) => {
                let item_spec = spec.get("items").unwrap_or(&NO_SPEC);
                for (i, item) in items.iter().enumerate() {
                    check(item_spec, item, &Path::Index(at, i), owner, mode, out);
                }
            }
            None => {
                let path = &at.to_string();
                violation(out, path, format!("Invalid value at '{path}': expected a list, got {}", kind(value)));
            }
        },
        "boolean" => {
            if !value.is_boolean() {
                let path = &at.to_string();
                violation(out, path, format!("Invalid value at '{path}' (TYPE_BOOL), {}", shown(path, value)));
            }
        }
        "integer" => check_integer(spec, value, at, mode, out),
        "number" => {
            let ok = value.is_number()
                || (mode == Mode::Request
                    && value.as_str().is_some_and(|s| s.parse::<f64>().is_ok() || s == "NaN" || s == "Infinity"));
            if !ok {
                let path = &at.to_string();
                violation(out, path, format!("Invalid value at '{path}' (TYPE_DOUBLE), {}", shown(path, value)));
            }
        }
        "string" => check_string(spec, value, at, owner, mode, out),
        other => violation(out, &at.to_string(), format!("the discovery document uses an unknown type `{other}`")),
    }
}

/// A value as an error message may show it: never the value of a secret
/// field (a passcode), whatever its JSON type.
fn shown(path: &str, value: &Value) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    if crate::journal::is_secret_field(last) {
        format!("<{} redacted>", kind(value))
    } else {
        value.to_string()
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_object(spec: &Value, value: &Value, at: &Path<'_>, owner: &str, mode: Mode, out: &mut Vec<Violation>) {
    let Some(map) = value.as_object() else {
        let path = &at.to_string();
        violation(out, path, format!("Invalid value at '{path}': expected an object, got {}", kind(value)));
        return;
    };
    let properties = spec.get("properties").and_then(Value::as_object);
    let additional = spec.get("additionalProperties");
    for (key, item) in map {
        let field = Path::Field(at, key);
        if let Some(prop) = properties.and_then(|p| p.get(key)) {
            check(prop, item, &field, owner, mode, out);
        } else if let Some(extra) = additional {
            // A map (`localizedMessages`) or an `Any` (`metadata`, `@type`).
            check(extra, item, &field, owner, mode, out);
        } else if properties.is_none() && spec.get("$ref").is_none() && spec.get("id").is_none() {
            // A free-form object without a declared shape: anything goes.
        } else {
            let at = if at.is_empty() { String::new() } else { format!(" at '{at}'") };
            violation(
                out,
                &field.to_string(),
                format!("Invalid JSON payload received. Unknown name \"{key}\"{at}: Cannot find field."),
            );
        }
    }
}

fn check_integer(spec: &Value, value: &Value, at: &Path<'_>, mode: Mode, out: &mut Vec<Violation>) {
    let parsed = match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) if mode == Mode::Request => s.parse::<i64>().ok(),
        _ => None,
    };
    let (lo, hi) = match spec.get("format").and_then(Value::as_str) {
        Some("uint32") => (0, i64::from(u32::MAX)),
        _ => (i64::from(i32::MIN), i64::from(i32::MAX)),
    };
    match parsed {
        Some(n) if (lo..=hi).contains(&n) => {}
        _ => {
            let path = &at.to_string();
            violation(out, path, format!("Invalid value at '{path}' (TYPE_INT32), {}", shown(path, value)));
        }
    }
}

fn check_string(spec: &Value, value: &Value, at: &Path<'_>, owner: &str, mode: Mode, out: &mut Vec<Violation>) {
    let format = spec.get("format").and_then(Value::as_str);
    // proto3 JSON parsers accept int64 as a bare number in requests.
    if mode == Mode::Request && format == Some("int64") && value.as_i64().is_some() {
        return;
    }
    // Our choice: enums by number (which proto3 JSON parsers also accept)
    // are refused; every client we know sends names.
    let enum_values = spec.get("enum").and_then(Value::as_array);
    let Some(text) = value.as_str() else {
        let ty = if format == Some("int64") { "TYPE_INT64" } else { "TYPE_STRING" };
        let path = &at.to_string();
        violation(out, path, format!("Invalid value at '{path}' ({ty}), {}", shown(path, value)));
        return;
    };
    if let Some(members) = enum_values {
        if !members.iter().any(|m| m.as_str() == Some(text)) {
            let path = &at.to_string();
            let last = path.rsplit('.').next().unwrap_or(path);
            let last = last.split('[').next().unwrap_or(last);
            let enum_name = format!("{owner}.{}", pascal(last));
            violation(
                out,
                path,
                format!(
                    "Invalid value at '{path}' (type.googleapis.com/google.android.devicemanagement.v1.{enum_name}), \"{text}\""
                ),
            );
        }
        return;
    }
    let ok = match format {
        Some("int64") => text.strip_prefix('-').unwrap_or(text).bytes().all(|b| b.is_ascii_digit()) && !text.is_empty(),
        Some("uint64") => !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
        Some("google-datetime") => Timestamp::parse_rfc3339(text).is_some(),
        Some("google-duration") => parse_duration(text).is_some(),
        Some("byte") => {
            base64::engine::general_purpose::STANDARD.decode(text).is_ok()
                || base64::engine::general_purpose::URL_SAFE.decode(text).is_ok()
        }
        _ => true,
    };
    if !ok {
        let what = match format {
            Some("int64") => "an int64 written as a decimal string",
            Some("google-datetime") => "an RFC 3339 timestamp such as \"2026-01-05T09:00:00Z\"",
            Some("google-duration") => "a duration in seconds such as \"600s\"",
            _ => "base64 data",
        };
        let path = &at.to_string();
        violation(out, path, format!("Invalid value at '{path}', \"{text}\": expected {what}"));
    }
}

fn pascal(camel: &str) -> String {
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Strategy;
    use serde_json::json;

    /// The old way of writing paths, which [`Path`] must match.
    fn joined(steps: &[Result<&str, usize>]) -> String {
        let mut path = String::new();
        for step in steps {
            path = match step {
                Ok(field) if path.is_empty() => (*field).to_owned(),
                Ok(field) => format!("{path}.{field}"),
                Err(i) => format!("{path}[{i}]"),
            };
        }
        path
    }

    fn written(steps: &[Result<&str, usize>], parent: &Path<'_>) -> (String, bool) {
        match steps.split_first() {
            None => (parent.to_string(), parent.is_empty()),
            Some((Ok(field), rest)) => written(rest, &Path::Field(parent, field)),
            Some((Err(i), rest)) => written(rest, &Path::Index(parent, *i)),
        }
    }

    proptest::proptest! {
        #[test]
        fn paths_are_written_as_they_were_joined(
            steps in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<usize>().prop_map(Err),
                    "[a-z.]{0,3}".prop_map(Ok),
                ],
                0..6,
            )
        ) {
            let steps: Vec<Result<&str, usize>> = steps.iter().map(|s| s.as_ref().map(String::as_str).map_err(|i| *i)).collect();
            let (text, empty) = written(&steps, &Path::Root);
            proptest::prop_assert_eq!(&text, &joined(&steps));
            proptest::prop_assert_eq!(empty, text.is_empty());
        }
    }

    #[test]
    fn a_real_operation_validates() {
        let op = json!({"done":true,
            "metadata":{"@type":"type.googleapis.com/google.android.devicemanagement.v1.Command","type":"REBOOT",
                "createTime":"2026-08-06T20:38:43.669Z","duration":"315360000s",
                "userName":"enterprises/LC03k6enk8/users/115152678574749474491"},
            "name":"enterprises/LC03k6enk8/devices/36c339908766f292/operations/1786048723669"});
        assert_eq!(validate_all("Operation", &op, Mode::Response), vec![]);
    }

    #[test]
    fn violations_name_the_field() {
        let bad = json!({"type": "FOO", "duration": "ten minutes", "colour": 1, "resetPasswordFlags": ["LOCK_NOW", 7]});
        let v = validate_all("Command", &bad, Mode::Response);
        let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["colour", "duration", "resetPasswordFlags[1]", "type"], "{v:?}");
        assert!(v[3].description.contains("\"FOO\""), "{v:?}");
        assert!(v[0].description.contains("Unknown name \"colour\""), "{v:?}");
    }

    #[test]
    fn int64_must_be_a_string_in_responses_only() {
        let d = json!({"appliedPolicyVersion": 3});
        assert!(validate("Device", &d, Mode::Request).is_ok());
        assert_eq!(validate("Device", &d, Mode::Response).unwrap_err().field, "appliedPolicyVersion");
        assert!(validate("Device", &json!({"appliedPolicyVersion": "3"}), Mode::Response).is_ok());
        assert!(validate("Device", &json!({"apiLevel": "34"}), Mode::Response).is_err());
        assert!(validate("Device", &json!({"apiLevel": 34}), Mode::Response).is_ok());
    }

    #[test]
    fn nested_refs_and_maps_resolve() {
        let p = json!({"passwordPolicies":[{"passwordQuality":"NUMERIC","passwordScope":"SCOPE_PROFILE"}],
                       "version":"2", "name":"enterprises/e/policies/p"});
        assert!(validate("Policy", &p, Mode::Response).is_ok());
        let bad = json!({"passwordPolicies":[{"passwordQuality":"NUMERICAL"}]});
        let v = validate("Policy", &bad, Mode::Request).unwrap_err();
        assert_eq!(v.field, "passwordPolicies[0].passwordQuality");
        let msg = json!({"disabledReason": {"localizedMessages": {"de": "Gesperrt", "fr": 3}}});
        assert_eq!(validate("Device", &msg, Mode::Response).unwrap_err().field, "disabledReason.localizedMessages.fr");
    }
}
