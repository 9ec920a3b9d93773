//! The reference MDM against its own OpenAPI file, property-based: every
//! driver-protocol operation, every vendor profile, as every role (and as
//! nobody), with well-formed, malformed, null-filled and unknown-field
//! bodies, on devices and actions that exist and ones that do not. Every
//! answer must have a status the operation documents and a body its schema
//! allows (`lockstep::driver::schema::check`, the same check every scenario's
//! calls go through); the device page must leave `security` out for every
//! role but site administrators.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use android_sim::{Ownership, Passcode};
use lockstep::cast::Role;
use lockstep::driver::schema::check;
use lockstep::stack::Stack;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use std::path::PathBuf;

const ROLES: [Role; 4] = [Role::SiteAdmin, Role::Admin, Role::Helpdesk, Role::EndUser];

/// Every operation: its name in the OpenAPI file, its method, and whether
/// its path takes a device id, an action id or nothing.
#[derive(Debug, Clone, Copy)]
enum Id {
    None,
    Device,
    Action,
}

const OPERATIONS: [(&str, Id); 21] = [
    ("GET /about", Id::None),
    ("POST /accounts", Id::None),
    ("POST /clock:advance", Id::None),
    ("POST /sessions", Id::None),
    ("GET /sessions/current", Id::None),
    ("DELETE /sessions/current", Id::None),
    ("POST /enrollments", Id::None),
    ("GET /devices", Id::None),
    ("GET /devices/{id}", Id::Device),
    ("GET /devices/{id}/security", Id::Device),
    ("POST /devices/{id}/reset-passcode:preview", Id::Device),
    ("POST /devices/{id}/reset-passcode", Id::Device),
    ("POST /devices/{id}/lock", Id::Device),
    ("POST /actions:batch", Id::None),
    ("GET /actions", Id::None),
    ("GET /actions/{id}", Id::Action),
    ("POST /actions/{id}/cancel", Id::Action),
    ("GET /portal/devices", Id::None),
    ("GET /portal/devices/{id}", Id::Device),
    ("POST /portal/devices/{id}/reset-passcode", Id::Device),
    ("GET /portal/notifications", Id::None),
];

/// A well-formed body for `operation`, if it takes one.
fn valid_body(operation: &str, email: &str, owner: &str) -> Option<Value> {
    Some(match operation {
        "POST /accounts" => json!({"email": format!("new.{email}"), "name": "New", "role": "helpdesk"}),
        "POST /clock:advance" => json!({"seconds": 1}),
        "POST /sessions" => json!({"email": email}),
        "POST /enrollments" => json!({"ownership": "fully-managed", "user_email": owner}),
        "POST /devices/{id}/reset-passcode:preview" => json!({"new_passcode": "q7w8e9r0"}),
        "POST /devices/{id}/reset-passcode" => json!({"send_to_user": false}),
        "POST /actions:batch" => json!({"kind": "lock", "user_email": owner}),
        "POST /portal/devices/{id}/reset-passcode" => json!({"confirm": true}),
        _ => return None,
    })
}

/// How a case shapes its body.
#[derive(Debug, Clone)]
enum Shape {
    Empty,
    EmptyObject,
    Array,
    Valid,
    UnknownField,
    Nulls,
    /// Each field of the valid body replaced by this value.
    Retyped(Value),
}

fn shape() -> impl Strategy<Value = Shape> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z@.]{0,12}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
    ];
    prop_oneof![
        Just(Shape::Empty),
        Just(Shape::EmptyObject),
        Just(Shape::Array),
        Just(Shape::Valid),
        Just(Shape::UnknownField),
        Just(Shape::Nulls),
        scalar.prop_map(Shape::Retyped),
    ]
}

fn body(shape: &Shape, valid: Option<Value>) -> Option<Value> {
    let valid = valid.unwrap_or_else(|| json!({}));
    let mapped = |f: &dyn Fn() -> Value| {
        let mut v = valid.clone();
        if let Some(m) = v.as_object_mut() {
            for x in m.values_mut() {
                *x = f();
            }
        }
        v
    };
    match shape {
        Shape::Empty => None,
        Shape::EmptyObject => Some(json!({})),
        Shape::Array => Some(json!([valid])),
        Shape::Valid => Some(valid),
        Shape::UnknownField => {
            let mut v = valid;
            v["not_in_the_protocol"] = json!(1);
            Some(v)
        }
        Shape::Nulls => Some(mapped(&|| Value::Null)),
        Shape::Retyped(x) => Some(mapped(&|| x.clone())),
    }
}

struct World {
    stack: Stack,
    base: String,
    emails: Vec<String>,
    owner: String,
    device: String,
    action: String,
}

async fn world(vendor: &str) -> World {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = lockstep::config::resolve(&Default::default(), root.join("fixtures")).unwrap();
    let stack = Stack::start(&config, None, vendor, format!("fuzz{vendor}"), Default::default(), &Default::default())
        .await
        .unwrap();
    let mut emails = Vec::new();
    for role in ROLES {
        let email = stack.email(role.wire());
        stack.create_account(&email, role.wire(), role).await.unwrap();
        emails.push(email);
    }
    let owner = emails[3].clone();
    let passcode = Passcode::new("135792");
    let handset = stack
        .enroll("google-pixel-8", Ownership::FullyManaged, "Erin", &owner, Some(&passcode), None, true)
        .await
        .unwrap();
    let admin = stack.sign_in(&emails[0]).await.unwrap();
    let accepted = stack.mdm().lock(&admin, &handset.mdm_id).await.unwrap().unwrap();
    let base = format!("{}/lockstep/v1", stack.mdm().base_url());
    World { stack, base, emails, owner, device: handset.mdm_id, action: accepted.action_id }
}

/// One call: `Err` names what the protocol was broken by.
async fn one_case(
    w: &World,
    http: &reqwest::Client,
    op: usize,
    who: usize,
    real_id: bool,
    shape: &Shape,
) -> Result<(), String> {
    let (operation, id) = OPERATIONS[op];
    let (method, template) = operation.split_once(' ').unwrap();
    let path = match (id, real_id) {
        (Id::None, _) => template.to_owned(),
        (Id::Device, true) => template.replace("{id}", &w.device),
        (Id::Action, true) => template.replace("{id}", &w.action),
        (_, false) => template.replace("{id}", "no-such-id"),
    };
    // `who` 0..4 is a role; 4 is nobody; 5 an ended or forged token.
    let token = match who {
        0..=3 => Some(w.stack.sign_in(&w.emails[who]).await.map_err(|e| e.to_string())?),
        5 => Some("forged-token".to_owned()),
        _ => None,
    };
    let email = w.emails[who.min(3)].clone();
    let mut req = http.request(method.parse().unwrap(), format!("{}{path}", w.base));
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body(shape, valid_body(operation, &email, &w.owner)) {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.map_err(|e| format!("{operation}: {e}"))?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    let answer: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|_| format!("{operation} answered {status} with a body that is not JSON"))?
    };
    check(operation, status, &answer).map_err(|p| format!("{operation} answered {status}: {p}"))?;
    if operation == "GET /devices/{id}" && status == 200 && who != 0 && answer.get("security").is_some() {
        return Err(format!(
            "{operation}: `security` present for role {}; the protocol says absent",
            ROLES[who].wire()
        ));
    }
    Ok(())
}

#[test]
fn every_answer_of_the_reference_mdm_is_one_its_openapi_file_documents() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let http = reqwest::Client::new();
    for vendor in lockstep::tags::VENDORS {
        let w = runtime.block_on(world(vendor));
        let mut runner = TestRunner::new(Config { cases: 160, failure_persistence: None, ..Config::default() });
        let strategy = (0..OPERATIONS.len(), 0..6usize, any::<bool>(), shape());
        let result = runner.run(&strategy, |(op, who, real_id, shape)| {
            runtime
                .block_on(one_case(&w, &http, op, who, real_id, &shape))
                .map_err(|e| TestCaseError::fail(format!("{vendor}: {e}")))
        });
        runtime.block_on(w.stack.stop());
        result.unwrap();
    }
}

#[test]
fn every_operation_is_covered_by_the_fuzzer() {
    let doc: Value = serde_yaml::from_str(lockstep::driver::schema::OPENAPI_YAML).unwrap();
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let fuzzed: Vec<String> = OPERATIONS.iter().map(|(o, _)| o.to_string()).collect();
    documented.sort();
    let mut sorted = fuzzed.clone();
    sorted.sort();
    assert_eq!(documented, sorted);
}

#[test]
fn a_wrong_method_and_a_json_array_body_get_the_protocols_errors() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let w = world("miradore").await;
        let http = reqwest::Client::new();
        let resp = http.delete(format!("{}/devices", w.base)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 405);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "METHOD_NOT_ALLOWED", "{body}");
        let resp = http.post(format!("{}/sessions", w.base)).body(r#"[{"email": "x@example.test"}]"#).send().await;
        let resp = resp.unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "INVALID_ARGUMENT", "{body}");
        w.stack.stop().await;
    });
}
