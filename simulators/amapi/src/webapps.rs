//! `enterprises.webApps` (create, get, list, patch, delete) and
//! `enterprises.webTokens.create` (the token for the embedded managed Play
//! iframe).

use crate::errors::ApiError;
use crate::wire::{self, Query};
use crate::world::{Enterprise, World};
use serde_json::{json, Map, Value};

/// One web app: its writable fields and its version.
#[derive(Clone, Debug)]
pub(crate) struct WebApp {
    pub fields: Map<String, Value>,
    /// `versionCode`: 1 at creation, one more with each patch (the
    /// discovery document says it can grow during the app's lifetime).
    pub version: i64,
}

const OUTPUT_ONLY: [&str; 2] = ["name", "versionCode"];
const DISPLAY_MODES: [&str; 4] = ["DISPLAY_MODE_UNSPECIFIED", "MINIMAL_UI", "STANDALONE", "FULL_SCREEN"];

fn name(e: &Enterprise, id: &str) -> String {
    format!("{}/webApps/{id}", e.name())
}

fn render(e: &Enterprise, id: &str, w: &WebApp) -> Value {
    let mut out = w.fields.clone();
    out.insert("name".into(), Value::String(name(e, id)));
    out.insert("versionCode".into(), Value::String(w.version.to_string()));
    Value::Object(out)
}

/// Our choice: `title` and `startUrl` are required, an icon list must not
/// be empty when given (the discovery document asks for one), and
/// displayMode defaults to what the client sent (unspecified stays absent).
fn check(fields: &Map<String, Value>) -> Result<(), ApiError> {
    for key in ["title", "startUrl"] {
        if fields.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(ApiError::invalid_argument(key, format!("{key} is required.")));
        }
    }
    if fields.get("icons").and_then(Value::as_array).is_some_and(Vec::is_empty) {
        return Err(ApiError::invalid_argument("icons", "icons must have at least one element."));
    }
    if let Some(m) = fields.get("displayMode").and_then(Value::as_str) {
        if !DISPLAY_MODES.contains(&m) {
            return Err(ApiError::invalid_argument("displayMode", format!("Invalid value at 'display_mode', \"{m}\"")));
        }
    }
    Ok(())
}

fn find<'e>(e: &'e Enterprise, id: &str) -> Result<&'e WebApp, ApiError> {
    e.web_apps.get(id).ok_or_else(|| ApiError::not_found(name(e, id)))
}

/// Web app ids look like Google's: `com.google.enterprise.webapp.x` and
/// random letters.
pub(crate) fn create(world: &mut World, enterprise: &str, mut body: Map<String, Value>) -> Result<Value, ApiError> {
    for key in OUTPUT_ONLY {
        body.remove(key);
    }
    check(&body)?;
    let id = format!("com.google.enterprise.webapp.x{}", world.rng.string(b"abcdefghijklmnopqrstuvwxyz0123456789", 12));
    let e = world
        .enterprises
        .get_mut(enterprise)
        .ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
    let w = WebApp { fields: body, version: 1 };
    let out = render(e, &id, &w);
    e.web_apps.insert(id, w);
    Ok(out)
}

pub(crate) fn get(e: &Enterprise, id: &str) -> Result<Value, ApiError> {
    Ok(render(e, id, find(e, id)?))
}

pub(crate) fn list(e: &Enterprise, q: &mut Query) -> Result<Value, ApiError> {
    let size = q.take_page_size(10, 100)?;
    let after = wire::page_start(q.take("pageToken"))?;
    let (page, next) = wire::paginate(e.web_apps.iter(), |(id, _)| (*id).clone(), after.as_deref(), size);
    let mut out = json!({});
    if !page.is_empty() {
        out["webApps"] = page.iter().map(|(id, w)| render(e, id, w)).collect();
    }
    if let Some(next) = next {
        out["nextPageToken"] = Value::String(next);
    }
    Ok(out)
}

pub(crate) fn patch(
    e: &mut Enterprise,
    id: &str,
    mut body: Map<String, Value>,
    mask: Option<String>,
) -> Result<Value, ApiError> {
    let mut fields = find(e, id)?.fields.clone();
    match mask.filter(|m| !m.trim().is_empty()) {
        None => {
            for key in OUTPUT_ONLY {
                body.remove(key);
            }
            fields = body;
        }
        Some(mask) => {
            for path in mask.split(',').map(|p| crate::policies::camel_path(p.trim())) {
                if OUTPUT_ONLY.contains(&path.as_str()) {
                    return Err(ApiError::invalid_argument("update_mask", format!("Field `{path}` is read-only.")));
                }
                crate::policies::apply_path(&mut fields, &body, &path);
            }
        }
    }
    check(&fields)?;
    let version = find(e, id)?.version + 1;
    let w = WebApp { fields, version };
    let out = render(e, id, &w);
    e.web_apps.insert(id.to_owned(), w);
    Ok(out)
}

pub(crate) fn delete(e: &mut Enterprise, id: &str) -> Result<Value, ApiError> {
    find(e, id)?;
    e.web_apps.remove(id);
    Ok(json!({}))
}

/// webTokens.create. Our choice: `parentFrameUrl` is required (the
/// iframe refuses to load without it); the token is not kept.
pub(crate) fn create_token(
    world: &mut World,
    enterprise: &str,
    mut body: Map<String, Value>,
) -> Result<Value, ApiError> {
    if !world.enterprises.contains_key(enterprise) {
        return Err(ApiError::not_found(format!("enterprises/{enterprise}")));
    }
    if body
        .get("parentFrameUrl")
        .and_then(Value::as_str)
        .is_none_or(|u| !u.starts_with("https://") && !u.starts_with("http://"))
    {
        return Err(ApiError::invalid_argument(
            "parentFrameUrl",
            "parentFrameUrl is required and must be an http(s) URL.",
        ));
    }
    let id = format!("W{}", world.new_hex_id());
    let value = world.rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 48);
    body.insert("name".into(), Value::String(format!("enterprises/{enterprise}/webTokens/{id}")));
    body.insert("value".into(), Value::String(value));
    Ok(Value::Object(body))
}
