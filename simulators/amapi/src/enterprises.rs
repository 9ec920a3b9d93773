//! `enterprises` create, get, list, patch and delete, and who may see an
//! enterprise: the optional per-enterprise bearer token that stands in for
//! Google's OAuth, so that one enterprise's caller never sees another's
//! devices.

use crate::errors::{ApiError, Code};
use crate::wire::Query;
use crate::world::{Enterprise, World};
use serde_json::{json, Map, Value};

/// Output-only Enterprise fields, ignored in requests.
const OUTPUT_ONLY: [&str; 4] =
    ["name", "enterpriseType", "managedGoogleDomainType", "managedGooglePlayAccountsEnterpriseType"];

pub(crate) fn render(e: &Enterprise) -> Value {
    let mut out = e.fields.clone();
    out.insert("name".into(), Value::String(e.name()));
    if let Some(kind) = e.kind {
        out.insert("enterpriseType".into(), Value::String(kind.into()));
    }
    Value::Object(out)
}

fn check_topic(fields: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(topic) = fields.get("pubsubTopic").and_then(Value::as_str) {
        let parts: Vec<&str> = topic.split('/').collect();
        let ok = topic.is_empty()
            || (parts.len() == 4
                && parts[0] == "projects"
                && parts[2] == "topics"
                && !parts[1].is_empty()
                && !parts[3].is_empty());
        if !ok {
            return Err(ApiError::invalid_argument(
                "pubsubTopic",
                format!("pubsubTopic \"{topic}\" is not of the form projects/{{project}}/topics/{{topic}}."),
            ));
        }
    }
    Ok(())
}

/// Create an enterprise, from a completed signup (signupUrlName +
/// enterpriseToken) or as the deprecated EMM-managed variant
/// (agreementAccepted=true); see [`crate::signup`]. Our choice: the new
/// enterprise has no bearer token.
pub(crate) fn create(world: &mut World, mut body: Map<String, Value>, q: &mut Query) -> Result<Value, ApiError> {
    for key in OUTPUT_ONLY {
        body.remove(key);
    }
    check_topic(&body)?;
    let origin = crate::signup::claim(world, q)?;
    let id = loop {
        let id = format!("LC{}", world.rng.string(b"0123456789abcdefghijklmnopqrstuvwxyz", 8));
        if !world.enterprises.contains_key(&id) {
            break id;
        }
    };
    let mut e = Enterprise::new(id.clone(), body, None);
    if let crate::signup::Origin::Signup(kind) = origin {
        e.kind = Some(kind);
    }
    let out = render(&e);
    world.enterprises.insert(id, e);
    Ok(out)
}

pub(crate) fn get(world: &World, id: &str) -> Result<Value, ApiError> {
    world.enterprises.get(id).map(render).ok_or_else(|| ApiError::not_found(format!("enterprises/{id}")))
}

/// Documented: BASIC view (name and display name) only; `projectId` is
/// required. The caller sees the enterprises without a bearer token and
/// the one its token opens.
pub(crate) fn list(world: &World, q: &mut Query, bearer: Option<&str>) -> Result<Value, ApiError> {
    if q.take("projectId").is_none_or(|p| p.is_empty()) {
        return Err(ApiError::invalid_argument("projectId", "projectId is required."));
    }
    match q.take("view").as_deref() {
        None | Some("ENTERPRISE_VIEW_UNSPECIFIED") | Some("BASIC") => {}
        Some(other) => {
            return Err(ApiError::invalid_argument(
                "view",
                format!("Invalid value at 'view' (type.googleapis.com/google.android.devicemanagement.v1.EnterpriseView), \"{other}\""),
            ))
        }
    }
    let size = q.take_page_size(10, 100)?;
    let after = crate::wire::page_start(q.take("pageToken"))?;
    let visible =
        world.enterprises.values().filter(|e| e.bearer_token.is_none() || e.bearer_token.as_deref() == bearer);
    let (page, next) = crate::wire::paginate(visible, |e| e.id.clone(), after.as_deref(), size);
    let mut out = json!({});
    if !page.is_empty() {
        out["enterprises"] = page
            .iter()
            .map(|e| {
                let mut v = json!({"name": e.name()});
                if let Some(n) = e.fields.get("enterpriseDisplayName") {
                    v["enterpriseDisplayName"] = n.clone();
                }
                v
            })
            .collect();
    }
    if let Some(next) = next {
        out["nextPageToken"] = Value::String(next);
    }
    Ok(out)
}

pub(crate) fn patch(
    world: &mut World,
    id: &str,
    mut body: Map<String, Value>,
    mask: Option<String>,
) -> Result<Value, ApiError> {
    let e = world.enterprises.get_mut(id).ok_or_else(|| ApiError::not_found(format!("enterprises/{id}")))?;
    for key in OUTPUT_ONLY {
        body.remove(key);
    }
    let mut fields = e.fields.clone();
    match mask.filter(|m| !m.trim().is_empty()) {
        None => fields = body,
        Some(mask) => {
            for path in mask.split(',').map(|p| crate::policies::camel_path(p.trim())) {
                if OUTPUT_ONLY.contains(&path.as_str()) {
                    return Err(ApiError::invalid_argument("update_mask", format!("Field `{path}` is read-only.")));
                }
                crate::policies::apply_path(&mut fields, &body, &path);
            }
        }
    }
    check_topic(&fields)?;
    e.fields = fields;
    Ok(render(e))
}

/// Delete an enterprise and everything in it.
pub(crate) fn delete(world: &mut World, id: &str) -> Result<Value, ApiError> {
    world.enterprises.remove(id).map(|_| json!({})).ok_or_else(|| ApiError::not_found(format!("enterprises/{id}")))
}

/// May a caller holding `bearer` act on enterprise `id`?
///
/// Our choice: bearer tokens stand in for OAuth; the mock checks them only
/// for enterprises that have one.
///
/// An enterprise without a bearer token is open to everyone. One with a
/// token wants it: none gives 401 UNAUTHENTICATED, a token no enterprise
/// owns gives 401, another enterprise's token gives 403 PERMISSION_DENIED
/// (also for enterprises that do not exist, so a token holder learns
/// nothing about other enterprises).
pub(crate) fn authorize(world: &World, id: &str, bearer: Option<&str>) -> Result<(), ApiError> {
    let owner = bearer.and_then(|b| world.enterprises.values().find(|e| e.bearer_token.as_deref() == Some(b)));
    if let Some(owner) = owner {
        if owner.id == id {
            return Ok(());
        }
        return Err(ApiError::new(
            Code::PermissionDenied,
            format!("The caller does not have permission to access enterprises/{id}."),
        )
        .with_reason("IAM_PERMISSION_DENIED"));
    }
    let wanted = world.enterprises.get(id).and_then(|e| e.bearer_token.as_deref());
    match (wanted, bearer) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(ApiError::new(
            Code::Unauthenticated,
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        )
        .with_reason("CREDENTIALS_MISSING")),
        (Some(_), Some(_)) => Err(ApiError::new(
            Code::Unauthenticated,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        )
        .with_reason("ACCESS_TOKEN_TYPE_UNSUPPORTED")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        let mut w = World::new(1);
        w.enterprises.insert("A".into(), Enterprise::new("A".into(), Map::new(), Some("ta".into())));
        w.enterprises.insert("B".into(), Enterprise::new("B".into(), Map::new(), Some("tb".into())));
        w.enterprises.insert("O".into(), Enterprise::new("O".into(), Map::new(), None));
        w
    }

    #[test]
    fn tokens_open_their_own_enterprise_only() {
        let w = world();
        assert!(authorize(&w, "A", Some("ta")).is_ok());
        assert_eq!(authorize(&w, "A", Some("tb")).unwrap_err().status, 403);
        assert_eq!(authorize(&w, "A", None).unwrap_err().status, 401);
        assert_eq!(authorize(&w, "A", Some("nope")).unwrap_err().status, 401);
        assert!(authorize(&w, "O", None).is_ok());
        assert_eq!(authorize(&w, "ZZ", Some("ta")).unwrap_err().status, 403);
        let mut q = Query::parse(Some("projectId=p")).unwrap();
        let listed = list(&w, &mut q, Some("ta")).unwrap();
        let names: Vec<_> = listed["enterprises"].as_array().unwrap().iter().map(|e| e["name"].clone()).collect();
        assert_eq!(names, [json!("enterprises/A"), json!("enterprises/O")]);
    }
}
