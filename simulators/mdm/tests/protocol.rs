#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

//! Snapshots of the driver protocol's JSON, as a shim writer would see it,
//! with ids, times, tokens and passcodes redacted.

mod common;

use android_sim::Ownership;
use common::{Enroll, Stack};
use insta::assert_json_snapshot;
use serde_json::{json, Value};

const ADMIN: &str = "site.admin@example.test";
const USER: &str = "dana@example.test";

macro_rules! snap {
    ($name:expr, $value:expr) => {
        assert_json_snapshot!($name, $value, {
            ".**.id" => "[id]",
            ".**.device_id" => "[id]",
            ".**.action_id" => "[id]",
            ".**.amapi_name" => "[amapi-name]",
            ".**.label" => "[label]",
            ".**.policy_name" => "[policy]",
            ".**.created_at" => "[time]",
            ".**.updated_at" => "[time]",
            ".**.sent_at" => "[time]",
            ".**.finished_at" => "[time]",
            ".**.reset_at" => "[time]",
            ".**.enrolled_at" => "[time]",
            ".**.last_status_report_at" => "[time]",
            ".**.latest_reset_passcode" => "[passcode]",
            ".**.temporary_passcode" => "[passcode]",
            ".**.enterprise" => "[enterprise]",
            ".**.message" => insta::dynamic_redaction(|v, _| hide_device_ids(&v)),
        })
    };
}

/// Device ids (16 hex digits) inside sentences, such as a device's label.
fn hide_device_ids(v: &insta::internals::Content) -> String {
    let text = v.as_str().unwrap_or_default();
    text.split('(')
        .enumerate()
        .map(|(i, part)| {
            let hex =
                part.len() > 16 && part.as_bytes()[16] == b')' && part[..16].bytes().all(|b| b.is_ascii_hexdigit());
            match (i, hex) {
                (0, _) => part.to_owned(),
                (_, true) => format!("([id]{}", &part[16..]),
                _ => format!("({part}"),
            }
        })
        .collect()
}

#[tokio::test]
async fn about_each_vendor() {
    for vendor in ["miradore", "intune", "iru"] {
        let stack = Stack::start(vendor, &[]).await;
        let (_, about) = stack.call(reqwest::Method::GET, None, "/about", None).await;
        snap!(format!("about_{vendor}"), about);
    }
}

#[tokio::test]
async fn miradore_console_documents() {
    let stack = Stack::start("miradore", &[]).await;
    let admin = stack.sign_in_as(ADMIN, "site-admin").await;
    stack.sign_in_as(USER, "end-user").await;
    let helpdesk = stack.sign_in_as("help@example.test", "helpdesk").await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;

    let (_, devices) = stack.get(&admin, "/devices").await;
    snap!("devices", devices);
    let (_, preview) = stack.post(&admin, &format!("/devices/{id}/reset-passcode:preview"), json!({})).await;
    snap!("miradore_preview", preview);
    let (_, accepted) =
        stack.post(&admin, &format!("/devices/{id}/reset-passcode"), json!({"send_to_user": true})).await;
    snap!("reset_accepted", accepted);
    let action = stack.finished(&admin, accepted["action_id"].as_str().unwrap()).await;
    snap!("action_completed", action);
    let (_, page) = stack.get(&admin, &format!("/devices/{id}")).await;
    snap!("device_page_site_admin", page);
    let (_, page) = stack.get(&helpdesk, &format!("/devices/{id}")).await;
    snap!("device_page_helpdesk", page);
    let (_, forbidden) = stack.get(&helpdesk, &format!("/devices/{id}/security")).await;
    snap!("security_forbidden", forbidden);
    let (_, unauthenticated) = stack.call(reqwest::Method::GET, None, "/devices", None).await;
    snap!("unauthenticated", unauthenticated);
}

#[tokio::test]
async fn intune_portal_documents() {
    let stack = Stack::start("intune", &[]).await;
    let admin = stack.sign_in_as(ADMIN, "site-admin").await;
    let user = stack.sign_in_as(USER, "end-user").await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;
    let mut wp = Enroll::new(Ownership::WorkProfilePersonal, "google-pixel-7", USER);
    wp.work_passcode = Some("2468");
    let wp = stack.enroll(&admin, wp).await;
    let (_, devices) = stack.get(&user, "/portal/devices").await;
    let mut devices = devices.as_array().unwrap().clone();
    devices.sort_by_key(|d| d["model"].as_str().unwrap_or("").to_owned());
    snap!("portal_devices", Value::Array(devices));
    let (_, refused) =
        stack.post(&user, &format!("/portal/devices/{wp}/reset-passcode"), json!({"confirm": true})).await;
    snap!("portal_unsupported_device", refused);
    let (_, warning) = stack.post(&user, &format!("/portal/devices/{id}/reset-passcode"), json!({})).await;
    snap!("portal_confirmation_required", warning);
    stack.post(&admin, "/clock:advance", json!({"seconds": 301})).await;
    let (_, reauth) =
        stack.post(&user, &format!("/portal/devices/{id}/reset-passcode"), json!({"confirm": true})).await;
    snap!("portal_reauthentication_required", reauth);
    let user = stack.sign_in(USER).await;
    let (_, accepted) =
        stack.post(&user, &format!("/portal/devices/{id}/reset-passcode"), json!({"confirm": true})).await;
    stack.finished(&admin, accepted["action_id"].as_str().unwrap()).await;
    let (_, details) = stack.get(&user, &format!("/portal/devices/{id}")).await;
    snap!("portal_device_details", details);
    let (_, notifications) = stack.get(&user, "/portal/notifications").await;
    snap!("portal_notifications", notifications);
}

#[tokio::test]
async fn iru_requirement_documents() {
    let stack = Stack::start("iru", &[]).await;
    let admin = stack.sign_in_as(ADMIN, "site-admin").await;
    let mut e = Enroll::new(Ownership::WorkProfileCompanyOwned, "google-pixel-8", USER);
    e.work_passcode = Some("work1234");
    e.policy = Some(
        json!({"quality": "COMPLEX", "minimum_length": 8, "minimum_upper_case": 1, "minimum_symbols": 1, "scope": "SCOPE_PROFILE"}),
    );
    let id = stack.enroll(&admin, e).await;
    let (_, preview) =
        stack.post(&admin, &format!("/devices/{id}/reset-passcode:preview"), json!({"new_passcode": "abcdefg1"})).await;
    snap!("iru_preview", preview);
    let (_, refused) =
        stack.post(&admin, &format!("/devices/{id}/reset-passcode"), json!({"new_passcode": "abcdefg1"})).await;
    snap!("iru_policy_not_met", refused);
}

/// Pagination: pages of at most `page_size`, `next_page_token` until the
/// last page, every device once; a token we did not give and a size out of
/// range are INVALID_ARGUMENT. The same for the action log.
#[tokio::test]
async fn lists_come_in_pages() {
    let stack = Stack::start("miradore", &[]).await;
    let admin = stack.sign_in_as(ADMIN, "site-admin").await;
    let mut ids = Vec::new();
    for profile in ["google-pixel-8", "google-pixel-7", "google-pixel-5"] {
        ids.push(stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, profile, USER)).await);
    }
    let mut seen = Vec::new();
    let mut path = format!("/devices?user_email={USER}&page_size=2");
    let mut pages = 0;
    loop {
        let (s, page) = stack.get(&admin, &path).await;
        assert_eq!(s, 200, "{page}");
        let devices = page["devices"].as_array().unwrap();
        assert!(devices.len() <= 2, "{page}");
        seen.extend(devices.iter().map(|d| d["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page["next_page_token"].as_str() {
            Some(token) => path = format!("/devices?user_email={USER}&page_size=2&page_token={token}"),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    seen.sort();
    ids.sort();
    assert_eq!(seen, ids);
    for bad in ["page_size=0", "page_size=1001", "page_size=two", "page_token=somewhere"] {
        let (s, e) = stack.get(&admin, &format!("/devices?{bad}")).await;
        assert_eq!((s.as_u16(), e["error"]["code"].as_str()), (400, Some("INVALID_ARGUMENT")), "{bad}");
        let (s, e) = stack.get(&admin, &format!("/actions?{bad}")).await;
        assert_eq!((s.as_u16(), e["error"]["code"].as_str()), (400, Some("INVALID_ARGUMENT")), "{bad}");
    }
    for id in &ids {
        let (s, _) = stack.post(&admin, &format!("/devices/{id}/lock"), json!({})).await;
        assert_eq!(s, 202);
    }
    let (_, first) = stack.get(&admin, "/actions?page_size=2").await;
    assert_eq!(first["actions"].as_array().unwrap().len(), 2);
    let token = first["next_page_token"].as_str().unwrap();
    let (_, last) = stack.get(&admin, &format!("/actions?page_size=2&page_token={token}")).await;
    assert_eq!(last["actions"].as_array().unwrap().len(), 1);
    assert!(last.get("next_page_token").is_none(), "{last}");
}
