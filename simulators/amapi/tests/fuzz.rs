//! No input makes the mock panic or answer anything but JSON: arbitrary
//! paths, methods, query strings and bodies (random bytes and random JSON
//! built from the Command, Policy and Device field names) always give a
//! success or a Google error envelope.

#![allow(clippy::unwrap_used)]

mod common;

use android_sim::Ownership;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("LOCK"),
            Just("RESET_PASSWORD"),
            Just("REBOOT"),
            Just("600s"),
            Just("2026-01-01T00:00:00Z"),
            Just("WIPE")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let keys = prop_oneof![
            Just("type"),
            Just("duration"),
            Just("newPassword"),
            Just("resetPasswordFlags"),
            Just("wipeParams"),
            Just("passwordPolicies"),
            Just("passwordQuality"),
            Just("state"),
            Just("policyName"),
            Just("disabledReason"),
            Just("localizedMessages"),
            Just("x"),
        ]
        .prop_map(str::to_owned);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn path() -> impl Strategy<Value = String> {
    let seg = prop_oneof![
        Just("v1".to_owned()),
        Just("enterprises".to_owned()),
        Just(ENTERPRISE.to_owned()),
        Just("devices".to_owned()),
        Just("d1".to_owned()),
        Just("d1:issueCommand".to_owned()),
        Just("operations".to_owned()),
        Just("policies".to_owned()),
        Just("default".to_owned()),
        Just("enrollmentTokens".to_owned()),
        Just("_lockstep".to_owned()),
        Just("clock:advance".to_owned()),
        Just("%zz".to_owned()),
        Just("%2F".to_owned()),
        Just(":cancel".to_owned()),
        "[a-zA-Z0-9:%._~-]{0,8}",
    ];
    prop::collection::vec(seg, 0..8).prop_map(|s| format!("/{}", s.join("/")))
}

fn query() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("alt=json".to_owned()),
            Just("pageSize=2".to_owned()),
            Just("pageSize=-5".to_owned()),
            Just("pageToken=YWZ0ZXI6ZDE".to_owned()),
            Just("updateMask=state".to_owned()),
            Just("prettyPrint=false".to_owned()),
            Just("wipeDataFlags=WIPE_ESIMS".to_owned()),
            "[a-zA-Z%=&+]{0,10}",
        ],
        0..4,
    )
    .prop_map(|q| q.join("&"))
}

fn method() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("GET"), Just("POST"), Just("PATCH"), Just("DELETE"), Just("PUT")]
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_request_gets_json(method in method(), path in path(), query in query(), body in body()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (mock, token) = mock();
            enroll(&mock, &token, "d1", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
            let uri = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
            if http::Uri::try_from(uri.as_str()).is_err() {
                return;
            }
            let (status, value) = call_raw(&mock, method, &uri, body, None).await;
            if status != 200 {
                assert_error_envelope(status, &value);
            }
            assert_journal_valid(&mock);
        });
    }
}
