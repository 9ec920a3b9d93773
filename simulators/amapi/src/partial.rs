//! Partial responses: the `fields` standard parameter, in Google's syntax
//! (`name,devices(name,state),metadata/type,*`): commas separate
//! selections, `/` walks into an object, parentheses select inside every
//! element of a list or object, `*` keeps everything at its level.
//!
//! Our choice: a name the answer does not have selects nothing (no
//! error); a selection that does not parse is 400 INVALID_ARGUMENT.

use crate::errors::ApiError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What to keep of one object.
#[derive(Debug, Default, PartialEq)]
struct Selection {
    all: bool,
    /// Keep this key: entirely (`None`) or a selection inside it.
    keys: BTreeMap<String, Option<Selection>>,
}

fn invalid(fields: &str) -> ApiError {
    ApiError::invalid_argument("fields", format!("Invalid field selection {fields}"))
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn name(&mut self) -> Option<String> {
        let start = self.at;
        while self.at < self.text.len() && !matches!(self.text[self.at], b',' | b'/' | b'(' | b')') {
            self.at += 1;
        }
        let name = std::str::from_utf8(&self.text[start..self.at]).ok()?.trim();
        (!name.is_empty()).then(|| name.to_owned())
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// list := item (',' item)*
    fn list(&mut self, into: &mut Selection) -> Option<()> {
        loop {
            self.item(into)?;
            if self.peek() == Some(b',') {
                self.at += 1;
            } else {
                return Some(());
            }
        }
    }

    /// item := name ('/' name)* ['(' list ')']
    fn item(&mut self, into: &mut Selection) -> Option<()> {
        let name = self.name()?;
        if name == "*" {
            into.all = true;
            return Some(());
        }
        let slot = into.keys.entry(name).or_insert(None);
        match self.peek() {
            Some(b'/') => {
                self.at += 1;
                let sub = slot.get_or_insert_with(Selection::default);
                self.item(sub)
            }
            Some(b'(') => {
                self.at += 1;
                let sub = slot.get_or_insert_with(Selection::default);
                self.list(sub)?;
                (self.peek() == Some(b')')).then(|| self.at += 1)
            }
            _ => {
                *slot = None;
                Some(())
            }
        }
    }
}

fn parse(fields: &str) -> Result<Selection, ApiError> {
    let mut p = Parser { text: fields.as_bytes(), at: 0 };
    let mut sel = Selection::default();
    match p.list(&mut sel) {
        Some(()) if p.at == fields.len() => Ok(sel),
        _ => Err(invalid(fields)),
    }
}

fn apply(sel: &Selection, value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| apply(sel, v)).collect()),
        Value::Object(map) if !sel.all => {
            let mut out = Map::new();
            for (k, sub) in &sel.keys {
                if let Some(v) = map.get(k) {
                    out.insert(k.clone(), sub.as_ref().map_or_else(|| v.clone(), |s| apply(s, v)));
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// The answer trimmed to `fields`; the selection is checked first.
pub(crate) fn trim(fields: &str, value: &Value) -> Result<Value, ApiError> {
    if fields.trim().is_empty() {
        return Ok(value.clone());
    }
    Ok(apply(&parse(fields)?, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selections_walk_objects_and_lists() {
        let v = json!({"devices": [{"name": "a", "state": "ACTIVE", "x": 1}, {"name": "b"}],
                       "nextPageToken": "t", "metadata": {"type": "LOCK", "duration": "600s"}});
        assert_eq!(trim("nextPageToken", &v).unwrap(), json!({"nextPageToken": "t"}));
        assert_eq!(
            trim("devices(name,state),metadata/type", &v).unwrap(),
            json!({"devices": [{"name": "a", "state": "ACTIVE"}, {"name": "b"}], "metadata": {"type": "LOCK"}})
        );
        assert_eq!(trim("devices/name", &v).unwrap()["devices"][1], json!({"name": "b"}));
        assert_eq!(trim("*", &v).unwrap(), v);
        assert_eq!(trim("nothing", &v).unwrap(), json!({}));
        for bad in ["devices(name", "a,,b", "a)", "/a"] {
            assert_eq!(trim(bad, &v).unwrap_err().status, 400, "{bad}");
        }
    }
}
