//! Every answer checked against docs/driver-protocol.openapi.yaml, read at
//! build time: the status must be one the operation documents, and the body
//! must match that status's schema. OpenAPI 3.0's `nullable` becomes JSON
//! Schema's `null` type; the rest of the schema language is JSON Schema's.

use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The protocol's machine-readable description, as shipped.
pub const OPENAPI_YAML: &str = include_str!("../../../docs/driver-protocol.openapi.yaml");

/// The OpenAPI document as JSON, `nullable` translated.
fn document() -> &'static Result<Value, String> {
    static DOC: OnceLock<Result<Value, String>> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc: Value =
            serde_yaml::from_str(OPENAPI_YAML).map_err(|e| format!("docs/driver-protocol.openapi.yaml: {e}"))?;
        translate_nullable(&mut doc);
        Ok(doc)
    })
}

/// `{type: T, nullable: true}` → `{type: [T, "null"]}`; a nullable `$ref`
/// or `allOf` becomes `anyOf: [it, {type: null}]`.
fn translate_nullable(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                translate_nullable(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(e)) = map.get_mut("enum") {
                        e.push(Value::Null);
                    }
                } else {
                    let inner = Value::Object(std::mem::take(map));
                    map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(translate_nullable),
        _ => {}
    }
}

/// The OpenAPI path and method of an operation named `"GET /devices/{id}"`.
fn split(operation: &str) -> Option<(String, &str)> {
    let (method, path) = operation.split_once(' ')?;
    Some((method.to_lowercase(), path))
}

/// Follow a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(v),
        None => v,
    }
}

type Validators = Mutex<HashMap<(String, u16), Option<Arc<jsonschema::Validator>>>>;

/// The compiled schema of one operation's answer with `status`: `Ok(None)`
/// when that answer has no body schema, `Err` when the status is not documented.
fn validator(operation: &str, status: u16) -> Result<Option<Arc<jsonschema::Validator>>, String> {
    static CACHE: OnceLock<Validators> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&(operation.to_owned(), status)) {
        return Ok(v.clone());
    }
    let doc = document().as_ref().map_err(Clone::clone)?;
    let (method, path) = split(operation).ok_or_else(|| format!("no operation called {operation}"))?;
    let responses = doc
        .get("paths")
        .and_then(|p| p.get(path))
        .and_then(|p| p.get(&method))
        .and_then(|o| o.get("responses"))
        .ok_or_else(|| format!("no operation {operation} in the OpenAPI file"))?;
    let response = responses.get(status.to_string()).or_else(|| responses.get("default")).ok_or_else(|| {
        let documented: Vec<&str> =
            responses.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
        format!("status {status} is not one {operation} answers (documented: {})", documented.join(", "))
    })?;
    let response = resolve(doc, response);
    let compiled = match response.pointer("/content/application~1json/schema") {
        None => None,
        Some(schema) => {
            let mut root = Map::new();
            root.insert("allOf".into(), json!([schema]));
            root.insert("components".into(), doc.get("components").cloned().unwrap_or(Value::Null));
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .build(&Value::Object(root))
                .map_err(|e| format!("the OpenAPI schema of {operation} {status} does not compile: {e}"))?;
            Some(Arc::new(validator))
        }
    };
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert((operation.to_owned(), status), compiled.clone());
    Ok(compiled)
}

/// Whether `body`, answered with `status` to `operation`, is what the
/// protocol allows; else what was violated, with the instance and schema
/// paths. Values are never quoted (a body may hold a passcode).
pub fn check(operation: &str, status: u16, body: &Value) -> Result<(), String> {
    let Some(validator) = validator(operation, status)? else {
        return Ok(());
    };
    let problems: Vec<String> = validator
        .iter_errors(body)
        .take(3)
        .map(|e| {
            let at = e.instance_path.to_string();
            let schema = e.schema_path.to_string();
            let schema = schema.strip_prefix("/allOf/0").unwrap_or(&schema);
            format!("at `{}` {} (schema path `{schema}`)", if at.is_empty() { "/" } else { &at }, describe(&e.kind))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// What a violation is, without the offending value.
fn describe(kind: &jsonschema::error::ValidationErrorKind) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    match kind {
        K::Required { property } => format!("the field {property} is required"),
        K::AdditionalProperties { unexpected } => {
            format!("the fields {} are not in the protocol", unexpected.join(", "))
        }
        K::Type { kind } => format!("the value must be of type {kind:?}"),
        K::Enum { options } => format!("the value must be one of {options}"),
        K::Format { format } => format!("the value is not a {format}"),
        K::AnyOf | K::OneOfNotValid | K::OneOfMultipleValid => "the value matches none of the allowed shapes".into(),
        other => {
            // Other keywords: name the keyword, not the value.
            let text = format!("{other:?}");
            format!("the value breaks `{}`", text.split([' ', '{', '(']).next().unwrap_or("a rule"))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_openapi_file_parses_and_every_documented_schema_compiles() {
        let doc = document().as_ref().unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for status in op["responses"].as_object().unwrap().keys() {
                    let operation = format!("{} {path}", method.to_uppercase());
                    validator(&operation, status.parse().unwrap()).unwrap();
                }
            }
        }
    }

    #[test]
    fn a_bare_array_where_a_page_belongs_is_refused_with_the_schema_path() {
        let e = check("GET /devices", 200, &json!([])).unwrap_err();
        assert!(e.contains("type"), "{e}");
        check("GET /devices", 200, &json!({"devices": [], "next_page_token": "after-1"})).unwrap();
        let e = check("GET /actions", 200, &json!({"next_page_token": "after-1"})).unwrap_err();
        assert!(e.contains("actions"), "{e}");
    }

    #[test]
    fn an_undocumented_status_is_refused() {
        let e = check("GET /about", 418, &json!({})).unwrap_err();
        assert!(e.contains("418") && e.contains("200"), "{e}");
    }

    #[test]
    fn nullable_fields_take_null_and_others_do_not() {
        let action = json!({"id": "a", "kind": "lock", "device_id": "d", "requested_by": "x", "status": "sent",
            "created_at": "2026-01-05T09:00:00.000Z", "updated_at": "2026-01-05T09:00:00.000Z",
            "reason": null, "sent_at": null});
        check("GET /actions/{id}", 200, &action).unwrap();
        let mut bad = action.clone();
        bad["kind"] = Value::Null;
        assert!(check("GET /actions/{id}", 200, &bad).is_err());
    }

    #[test]
    fn violations_never_quote_values() {
        let e = check("GET /devices/{id}/security", 200, &json!({"latest_reset_passcode": 48151623})).unwrap_err();
        assert!(!e.contains("48151623"), "{e}");
    }
}
