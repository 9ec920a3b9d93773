//! The request journal: every AMAPI request the mock answered (method,
//! path, route, status, clock time, real elapsed time, request and response
//! bodies, the fault that struck), newest last, in a ring of bounded size,
//! queryable by filters and resettable.
//!
//! Secrets never enter it: `newPassword` (and the control surface's
//! `passcode` fields) are replaced by `"<redacted>"` before a body is kept.
//!
//! Our choice: only the AMAPI surface is journaled; control calls are the
//! harness talking to the mock, not the system under test talking to AMAPI.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::VecDeque;

/// Field names whose values are secrets.
const SECRET_FIELDS: [&str; 3] = ["newPassword", "passcode", "workPasscode"];
pub const REDACTED: &str = "<redacted>";

/// Is `name` a field whose value is a secret?
pub fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.contains(&name)
}

/// Does this text name a secret field (so a message about it must not
/// quote the text's values)?
pub fn mentions_secret(text: &[u8]) -> bool {
    let text = String::from_utf8_lossy(text);
    SECRET_FIELDS.iter().any(|f| text.contains(f))
}

/// Replace every secret field in `value`, at any depth.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) && !v.is_null() {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// A request body made safe to keep. Bodies that cannot hold a secret are
/// kept as they are; a body that mentions one but does not parse is not kept.
pub fn redacted_body(body: &Bytes) -> Option<Bytes> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    if !SECRET_FIELDS.iter().any(|f| text.contains(f)) {
        return Some(body.clone());
    }
    let mut v: Value = serde_json::from_slice(body).ok()?;
    redact(&mut v);
    serde_json::to_vec(&v).ok().map(Bytes::from)
}

/// One journaled request.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub seq: u64,
    pub method: http::Method,
    pub path: String,
    pub query: Option<String>,
    pub route: Option<&'static str>,
    pub enterprise: Option<String>,
    pub status: u16,
    pub time: crate::clock::Timestamp,
    pub elapsed_ms: f64,
    pub request: Option<Bytes>,
    pub response: Bytes,
    pub fault: Option<String>,
    /// What Google merely tolerates in the request (strict mode only).
    pub findings: Vec<crate::tolerance::Finding>,
}

/// A journaled request as the harness reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub seq: u64,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The AMAPI method id, when the path named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<String>,
    pub status: u16,
    /// The mock's clock when the request arrived.
    pub time: String,
    /// Real time spent answering, injected latency included.
    pub elapsed_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Strict mode: every tolerated sloppiness of the request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::tolerance::Finding>,
}

fn body_value(b: &Bytes) -> Option<Value> {
    if b.is_empty() {
        return None;
    }
    Some(serde_json::from_slice(b).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned())))
}

impl Record {
    fn entry(&self) -> JournalEntry {
        JournalEntry {
            seq: self.seq,
            method: self.method.to_string(),
            path: self.path.clone(),
            query: self.query.clone(),
            route: self.route.map(str::to_owned),
            enterprise: self.enterprise.clone(),
            status: self.status,
            time: self.time.rfc3339(),
            elapsed_ms: self.elapsed_ms,
            request_body: self.request.as_ref().and_then(body_value),
            response_body: body_value(&self.response),
            fault: self.fault.clone(),
            findings: self.findings.clone(),
        }
    }
}

/// Which entries to read. Every field narrows; none reads everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JournalFilter {
    pub method: Option<String>,
    /// An AMAPI method id, e.g. `enterprises.devices.issueCommand`.
    pub route: Option<String>,
    pub path_prefix: Option<String>,
    pub enterprise: Option<String>,
    pub status: Option<u16>,
    /// Only entries with a larger sequence number.
    pub after_seq: Option<u64>,
    /// At most this many (the newest).
    pub limit: Option<usize>,
}

impl JournalFilter {
    fn matches(&self, r: &Record) -> bool {
        self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(r.method.as_str()))
            && self.route.as_deref().is_none_or(|x| r.route == Some(x))
            && self.path_prefix.as_deref().is_none_or(|p| r.path.starts_with(p))
            && self.enterprise.as_deref().is_none_or(|e| r.enterprise.as_deref() == Some(e))
            && self.status.is_none_or(|s| r.status == s)
            && self.after_seq.is_none_or(|s| r.seq > s)
    }
}

/// The journal's default byte budget: 32 MiB for all entries together.
pub const DEFAULT_BYTE_BUDGET: usize = 32 * 1024 * 1024;

/// A request or answer body larger than this is not kept; the entry says
/// how large it was instead.
pub const MAX_BODY_KEPT: usize = 256 * 1024;

/// What one entry costs beyond its bodies and path (an estimate of the
/// record's own fields).
const ENTRY_OVERHEAD: usize = 256;

/// The journal itself: at most `capacity` entries and `budget` bytes;
/// the oldest go first.
#[derive(Debug)]
pub(crate) struct Journal {
    records: VecDeque<(Record, usize)>,
    capacity: usize,
    budget: usize,
    bytes: usize,
    next_seq: u64,
}

/// A body too large to keep becomes a JSON string saying so.
fn bounded(body: Bytes) -> Bytes {
    if body.len() <= MAX_BODY_KEPT {
        return body;
    }
    Bytes::from(format!("\"<journal: a {}-byte body, not kept>\"", body.len()))
}

impl Record {
    fn cost(&self) -> usize {
        ENTRY_OVERHEAD
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self.request.as_ref().map_or(0, Bytes::len)
            + self.response.len()
            + self.fault.as_ref().map_or(0, String::len)
            + self.findings.iter().map(|f| f.field.len() + f.canonical.len() + 64).sum::<usize>()
    }
}

impl Journal {
    pub(crate) fn with_budget(capacity: usize, budget: usize) -> Self {
        Journal { records: VecDeque::new(), capacity, budget, bytes: 0, next_seq: 1 }
    }

    /// The bytes the kept entries cost (an estimate).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn push(&mut self, mut record: Record) {
        if self.capacity == 0 {
            return;
        }
        record.seq = self.next_seq;
        self.next_seq += 1;
        record.request = record.request.map(bounded);
        record.response = bounded(record.response);
        let cost = record.cost();
        while !self.records.is_empty() && (self.records.len() >= self.capacity || self.bytes + cost > self.budget) {
            if let Some((_, c)) = self.records.pop_front() {
                self.bytes -= c;
            }
        }
        self.bytes += cost;
        self.records.push_back((record, cost));
    }

    pub(crate) fn read(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        let matching: Vec<&Record> = self.records.iter().map(|(r, _)| r).filter(|r| filter.matches(r)).collect();
        let skip = filter.limit.map_or(0, |l| matching.len().saturating_sub(l));
        matching.into_iter().skip(skip).map(Record::entry).collect()
    }

    /// Forget everything (sequence numbers keep growing).
    pub(crate) fn reset(&mut self) {
        self.records.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(method: &str, path: &str, status: u16, body: &str) -> Record {
        Record {
            seq: 0,
            method: http::Method::from_bytes(method.as_bytes()).unwrap(),
            path: path.into(),
            query: None,
            route: None,
            enterprise: None,
            status,
            time: crate::clock::Timestamp::default(),
            elapsed_ms: 0.0,
            request: redacted_body(&Bytes::from(body.to_owned())),
            response: Bytes::new(),
            fault: None,
            findings: Vec::new(),
        }
    }

    #[test]
    fn passwords_never_enter() {
        let b = redacted_body(&Bytes::from_static(br#"{"type":"RESET_PASSWORD","newPassword":"246813"}"#)).unwrap();
        let text = String::from_utf8(b.to_vec()).unwrap();
        assert!(!text.contains("246813"), "{text}");
        assert!(text.contains(REDACTED));
        // Unparseable and mentioning a secret: not kept at all.
        assert!(redacted_body(&Bytes::from_static(br#"{"newPassword":"246813""#)).is_none());
        let mut v = json!({"devices":[{"passcode":"1111"}]});
        redact(&mut v);
        assert_eq!(v["devices"][0]["passcode"], REDACTED);
    }

    #[test]
    fn filters_limits_and_capacity() {
        let mut j = Journal::with_budget(3, usize::MAX);
        for (m, s) in [("GET", 200), ("POST", 429), ("POST", 200), ("GET", 404)] {
            j.push(record(m, "/v1/enterprises/e/devices", s, ""));
        }
        let all = j.read(&JournalFilter::default());
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3, 4]);
        let posts = j.read(&JournalFilter { method: Some("post".into()), ..Default::default() });
        assert_eq!(posts.len(), 2);
        let last = j.read(&JournalFilter { limit: Some(1), ..Default::default() });
        assert_eq!(last[0].status, 404);
        j.reset();
        assert!(j.read(&JournalFilter::default()).is_empty());
    }

    #[test]
    fn the_byte_budget_bounds_the_journal() {
        let mut j = Journal::with_budget(1000, 10_000);
        for _ in 0..100 {
            let mut r = record("GET", "/v1/enterprises/e/devices", 200, "");
            r.response = Bytes::from(vec![b' '; 2000]);
            j.push(r);
        }
        assert!(j.bytes() <= 10_000, "{}", j.bytes());
        assert_eq!(j.read(&JournalFilter::default()).len(), 4, "as many of the newest as fit");
        let mut big = record("GET", "/v1/x", 200, "");
        big.response = Bytes::from(vec![b'1'; MAX_BODY_KEPT + 1]);
        let mut j = Journal::with_budget(10, usize::MAX);
        j.push(big);
        let e = &j.read(&JournalFilter::default())[0];
        assert!(e.response_body.as_ref().unwrap().as_str().unwrap().contains("not kept"));
    }
}
