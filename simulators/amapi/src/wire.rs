//! Google's wire conventions that every method shares: the standard query
//! parameters (accepted and ignored), query parsing with Google's error for
//! an unknown parameter, request bodies parsed and checked against the
//! discovery schema, JSON responses (pretty unless `prettyPrint=false`),
//! page sizes and page tokens.

use crate::errors::ApiError;
use crate::schema::{self, Mode};
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Map, Value};

/// Parameters every Google API method accepts. The mock ignores all of
/// them but `prettyPrint`.
///
/// `fields` selects what a successful answer keeps ([`crate::partial`]).
pub const STANDARD_PARAMETERS: [&str; 11] = [
    "$.xgafv",
    "access_token",
    "alt",
    "callback",
    "fields",
    "key",
    "oauth_token",
    "prettyPrint",
    "quotaUser",
    "uploadType",
    "upload_protocol",
];

/// The query string of one request, consumed parameter by parameter; what
/// is left at the end is unknown and refused.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
    pub pretty: bool,
    /// The `fields` selection, if any.
    pub fields: Option<String>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Result<Query, ApiError> {
        let mut pairs = Vec::new();
        let mut pretty = true;
        let mut fields = None;
        for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let key = percent_decode(k, true)
                .ok_or_else(|| ApiError::invalid_argument(k, format!("Invalid query parameter name \"{k}\".")))?;
            let value = percent_decode(v, true).ok_or_else(|| {
                ApiError::invalid_argument(&key, format!("Invalid value for query parameter \"{key}\"."))
            })?;
            if key == "prettyPrint" {
                pretty = match value.as_str() {
                    "" | "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(ApiError::invalid_argument(
                            "prettyPrint",
                            format!("Invalid value at 'pretty_print' (TYPE_BOOL), \"{value}\""),
                        ))
                    }
                };
            } else if key == "alt" && !matches!(value.as_str(), "json" | "media" | "proto") {
                return Err(ApiError::invalid_argument("alt", format!("Invalid value at 'alt', \"{value}\"")));
            } else if key == "fields" {
                fields = Some(value);
            } else if !STANDARD_PARAMETERS.contains(&key.as_str()) {
                pairs.push((key, value));
            }
        }
        Ok(Query { pairs, pretty, fields })
    }

    /// Remove and return the last value of `name`.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let mut found = None;
        self.pairs.retain(|(k, v)| {
            if k == name {
                found = Some(v.clone());
                false
            } else {
                true
            }
        });
        found
    }

    /// Remove and return every value of a repeated parameter.
    pub fn take_all(&mut self, name: &str) -> Vec<String> {
        let mut found = Vec::new();
        self.pairs.retain(|(k, v)| {
            if k == name {
                found.push(v.clone());
                false
            } else {
                true
            }
        });
        found
    }

    /// A boolean parameter.
    pub fn take_bool(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.take(name).as_deref() {
            None => Ok(None),
            Some("true") | Some("1") | Some("") => Ok(Some(true)),
            Some("false") | Some("0") => Ok(Some(false)),
            Some(other) => {
                Err(ApiError::invalid_argument(name, format!("Invalid value at '{name}' (TYPE_BOOL), \"{other}\"")))
            }
        }
    }

    /// `pageSize`: absent or 0 gives `default`; above `max` is coerced to
    /// `max` (documented for devices.list and enrollmentTokens.list).
    ///
    /// Our choice: the other lists (enterprises, policies, operations) use
    /// the same 10 and 100.
    pub fn take_page_size(&mut self, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.take("pageSize") {
            None => Ok(default),
            Some(text) => match text.parse::<i32>() {
                Ok(0) => Ok(default),
                Ok(n) if n > 0 => Ok(usize::try_from(n).unwrap_or(max).min(max)),
                Ok(_) => Err(ApiError::invalid_argument("pageSize", "pageSize must not be negative.")),
                Err(_) => Err(ApiError::invalid_argument(
                    "pageSize",
                    format!("Invalid value at 'page_size' (TYPE_INT32), \"{text}\""),
                )),
            },
        }
    }

    /// Refuse any parameter the method does not declare, as Google does.
    pub fn check_known(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some((k, _)) => Err(ApiError::invalid_argument(
                k,
                format!(
                    "Invalid JSON payload received. Unknown name \"{k}\": Cannot bind query parameter. Field '{k}' could not be found in request message."
                ),
            )),
        }
    }
}

/// Decode `%XX` escapes (and `+` as space in query strings). `None` when
/// an escape is broken or the result is not UTF-8.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Parse a request body as the JSON form of schema `schema_name`. An empty
/// body is an empty message. `field` is what Google calls the body in
/// messages (`command`, `device`, `policy`...).
pub fn parse_body(body: &Bytes, schema_name: &str, field: &str) -> Result<Map<String, Value>, ApiError> {
    parse_body_noting(body, schema_name, field, &mut Vec::new())
}

/// [`parse_body`], noting in `findings` what Google's front end tolerates
/// and the mock rewrote to the canonical form ([`crate::tolerance`]).
pub fn parse_body_noting(
    body: &Bytes,
    schema_name: &str,
    field: &str,
    findings: &mut Vec<crate::tolerance::Finding>,
) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_argument(
            field,
            format!("Invalid JSON payload received. {} at line {} column {}.", describe(&e), e.line(), e.column()),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(ApiError::invalid_argument(
            field,
            format!("Invalid JSON payload received. Expected an object for '{field}'."),
        ));
    };
    let mut map = map;
    findings.extend(crate::tolerance::canonicalize(schema_name, &mut map));
    let whole = Value::Object(map);
    if let Err(v) = schema::validate(schema_name, &whole, Mode::Request) {
        let description = v.description.replace(" at ''", "");
        return Err(ApiError::invalid_argument(&v.field, description));
    }
    match whole {
        Value::Object(map) => Ok(without_nulls(map)),
        _ => Ok(Map::new()),
    }
}

/// proto3 JSON: a `null` field is the same as an absent one.
fn without_nulls(mut map: Map<String, Value>) -> Map<String, Value> {
    map.retain(|_, v| !v.is_null());
    map
}

fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends " at line X column Y"; we add our own.
    match text.find(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// An int32 field of a request body (a number, or a string holding one).
pub fn int_field(map: &Map<String, Value>, key: &str) -> Option<i64> {
    match map.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A successful answer: a value still to serialize, or the bytes of one
/// already serialized in the form the request asked for.
#[derive(Debug)]
pub enum Answer {
    Value(Value),
    Json(Vec<u8>),
}

impl Answer {
    /// The answer's bytes (`pretty` applies to a value still to serialize).
    pub fn into_bytes(self, pretty: bool) -> Vec<u8> {
        match self {
            Answer::Value(v) => to_json_bytes(&v, pretty),
            Answer::Json(bytes) => bytes,
        }
    }

    /// The answer as a value (parsing it back if it was serialized).
    pub fn into_value(self) -> Value {
        match self {
            Answer::Value(v) => v,
            Answer::Json(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }
}

/// Serialize a response body: pretty (Google's default) or compact.
pub fn to_json_bytes(value: &Value, pretty: bool) -> Vec<u8> {
    let result = if pretty { serde_json::to_vec_pretty(value) } else { serde_json::to_vec(value) };
    // Serializing a `Value` cannot fail (its keys are strings).
    result.unwrap_or_default()
}

/// A page token: the name of the last item of the previous page, encoded so
/// clients treat it as opaque. Lists are ordered by name, so a page never
/// repeats or skips an item when others are added or removed meanwhile.
pub fn page_token(last_name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("after:{last_name}"))
}

/// The name after which a page starts, or `None` for the first page.
pub fn page_start(token: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else { return Ok(None) };
    let invalid = || ApiError::invalid_argument("pageToken", format!("Invalid page token \"{token}\"."));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.as_bytes()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("after:").map(|s| Some(s.to_owned())).ok_or_else(invalid)
}

/// One page of `items` (already sorted by `name_of`), with the next token.
pub fn paginate<T>(
    items: impl Iterator<Item = T>,
    name_of: impl Fn(&T) -> String,
    after: Option<&str>,
    size: usize,
) -> (Vec<T>, Option<String>) {
    let mut page = Vec::with_capacity(size.min(128));
    let mut more = false;
    for item in items {
        if after.is_some_and(|a| name_of(&item).as_str() <= a) {
            continue;
        }
        if page.len() == size {
            more = true;
            break;
        }
        page.push(item);
    }
    let next = if more { page.last().map(|last| page_token(&name_of(last))) } else { None };
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_parameters_are_ignored_and_unknown_ones_refused() {
        let mut q = Query::parse(Some("alt=json&prettyPrint=false&fields=name&%24.xgafv=2&key=k&pageSize=5")).unwrap();
        q.check_known(&["pageSize"]).unwrap();
        assert_eq!(q.take_page_size(10, 100).unwrap(), 5);
        assert!(!q.pretty);
        let q = Query::parse(Some("alt=json&colour=blue")).unwrap();
        let e = q.check_known(&["pageSize"]).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("Unknown name \"colour\""), "{e}");
        assert!(Query::parse(Some("prettyPrint=maybe")).is_err());
        assert!(Query::parse(Some("x=%zz")).is_err());
    }

    #[test]
    fn page_sizes_default_and_coerce() {
        let mut q = Query::parse(Some("pageSize=1000")).unwrap();
        assert_eq!(q.take_page_size(10, 100).unwrap(), 100);
        let mut q = Query::parse(None).unwrap();
        assert_eq!(q.take_page_size(10, 100).unwrap(), 10);
        let mut q = Query::parse(Some("pageSize=-1")).unwrap();
        assert!(q.take_page_size(10, 100).is_err());
    }

    #[test]
    fn pages_follow_names() {
        let names = ["a", "b", "c", "d", "e"];
        let (p1, t1) = paginate(names.iter(), |s| s.to_string(), None, 2);
        assert_eq!(p1, [&"a", &"b"]);
        let after = page_start(t1).unwrap();
        let (p2, _) = paginate(names.iter(), |s| s.to_string(), after.as_deref(), 2);
        assert_eq!(p2, [&"c", &"d"]);
        let (p3, t3) = paginate(names.iter(), |s| s.to_string(), Some("d"), 2);
        assert_eq!((p3, t3), (vec![&"e"], None));
        assert!(page_start(Some("!!".into())).is_err());
    }

    #[test]
    fn bodies_are_checked_against_the_schema() {
        let ok = parse_body(
            &Bytes::from_static(br#"{"type":"LOCK","duration":"60s","userName":null}"#),
            "Command",
            "command",
        )
        .unwrap();
        assert!(!ok.contains_key("userName"));
        let e = parse_body(&Bytes::from_static(b"{\"type\":"), "Command", "command").unwrap_err();
        assert!(e.message.starts_with("Invalid JSON payload received."), "{e}");
        let e = parse_body(&Bytes::from_static(br#"{"type":"EXPLODE"}"#), "Command", "command").unwrap_err();
        assert_eq!(e.details[0]["fieldViolations"][0]["field"], "type");
        let e = parse_body(&Bytes::from_static(b"[1]"), "Command", "command").unwrap_err();
        assert_eq!(e.status, 400);
        assert!(parse_body(&Bytes::new(), "Command", "command").unwrap().is_empty());
    }
}
