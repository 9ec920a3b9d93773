#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

//! Each vendor profile's main path and refusals, end to end: the driver
//! protocol -> reference-mdm -> amapi-mock -> android-sim devices, with
//! notifications pushed back and mail caught by the sink.

mod common;

use android_sim::{CredentialHolder, Entry, Ownership, Passcode};
use common::{Enroll, Stack, WAIT};
use reference_mdm::Defect;
use reqwest::StatusCode;
use serde_json::json;

const ADMIN: &str = "site.admin@example.test";
const USER: &str = "dana@example.test";

async fn admin_and_user(stack: &Stack) -> String {
    let admin = stack.sign_in_as(ADMIN, "site-admin").await;
    stack.sign_in_as(USER, "end-user").await;
    admin
}

fn unlocks(stack: &Stack, id: &str, holder: CredentialHolder, passcode: &str) -> bool {
    stack
        .mock()
        .with_device(&stack.device_name(id), |d, now| {
            if !d.is_locked(holder) {
                d.press_power();
            }
            d.enter_passcode(holder, &Passcode::new(passcode), now)
        })
        .unwrap()
        == Entry::Unlocked
}

fn passcode_in(body: &str) -> String {
    body.lines().find_map(|l| l.strip_prefix("New passcode: ")).unwrap().trim().to_owned()
}

// ----- miradore -----------------------------------------------------------

#[tokio::test]
async fn miradore_reset_mails_eight_digits_locks_and_shows_site_admins_only() {
    let stack = Stack::start("miradore", &[]).await;
    let admin = admin_and_user(&stack).await;
    let helpdesk = stack.sign_in_as("help@example.test", "helpdesk").await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;

    // MIR-2: the wizard shows the device and its user.
    let (s, preview) = stack.post(&admin, &format!("/devices/{id}/reset-passcode:preview"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["user"]["email"], USER);
    assert_eq!(preview["device"]["model"], "Pixel 8");
    assert_eq!(preview["can_reset"], true);

    // Helpdesk reads but cannot act.
    let (s, e) = stack.post(&helpdesk, &format!("/devices/{id}/reset-passcode"), json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("FORBIDDEN")));

    let (s, v) = stack.post(&admin, &format!("/devices/{id}/reset-passcode"), json!({"send_to_user": true})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let action = stack.finished(&admin, v["action_id"].as_str().unwrap()).await;
    assert_eq!(action["status"], "completed", "{action}");

    // MIR-3/4: 8 digits, to the admin and to the user.
    let to_admin = stack.mail.wait_for(|m| m.is_for(ADMIN), WAIT).await.unwrap();
    let to_user = stack.mail.wait_for(|m| m.is_for(USER), WAIT).await.unwrap();
    let p = passcode_in(&to_admin.body);
    assert_eq!(p.len(), 8);
    assert!(p.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(passcode_in(&to_user.body), p);

    // MIR-7: locked, and the generated passcode is what opens it.
    let commands = stack.commands_issued();
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0]["resetPasswordFlags"], json!(["LOCK_NOW"]));
    assert!(stack.mock().device_view(&stack.device_name(&id)).unwrap().device_locked);
    assert!(!unlocks(&stack, &id, CredentialHolder::DeviceUser, "1357"));
    assert!(unlocks(&stack, &id, CredentialHolder::DeviceUser, &p));

    // MIR-5: the device page shows it to site admins only.
    let (_, page) = stack.get(&admin, &format!("/devices/{id}")).await;
    assert_eq!(page["security"]["latest_reset_passcode"], p.as_str());
    let (s, page) = stack.get(&helpdesk, &format!("/devices/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.get("security").is_none(), "{page}");
    let (s, e) = stack.get(&helpdesk, &format!("/devices/{id}/security")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("FORBIDDEN")));

    // MIR-6: the action log, global and per device.
    let (_, log) = stack.get(&helpdesk, &format!("/actions?device_id={id}&status=completed")).await;
    assert_eq!(log["actions"].as_array().unwrap().len(), 1);

    // Remote lock.
    let (s, v) = stack.post(&admin, &format!("/devices/{id}/lock"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(stack.finished(&admin, v["action_id"].as_str().unwrap()).await["status"], "completed");
    assert!(stack.mock().device_view(&stack.device_name(&id)).unwrap().device_locked);
}

#[tokio::test]
async fn miradore_refuses_a_legacy_device_admin_on_android_7_and_later() {
    let stack = Stack::start("miradore", &[]).await;
    let admin = admin_and_user(&stack).await;
    let mut e = Enroll::new(Ownership::LegacyDeviceAdmin, "samsung-galaxy-s7", USER);
    e.ownership = Ownership::LegacyDeviceAdmin;
    let id = stack.enroll(&admin, e).await;
    let (s, v) = stack.post(&admin, &format!("/devices/{id}/reset-passcode"), json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "UNSUPPORTED_DEVICE");
    assert!(v["error"]["message"].as_str().unwrap().contains("Android 7.0"));
    assert!(stack.commands_issued().is_empty());
}

#[tokio::test]
async fn miradore_defects_each_change_one_thing() {
    let stack = Stack::start(
        "miradore",
        &[Defect::SixDigitPasscode, Defect::NoLockAfterReset, Defect::PasscodeVisibleToHelpdesk, Defect::NoMailToUser],
    )
    .await;
    let admin = admin_and_user(&stack).await;
    let helpdesk = stack.sign_in_as("help@example.test", "helpdesk").await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-7", USER)).await;
    let (_, v) = stack.post(&admin, &format!("/devices/{id}/reset-passcode"), json!({"send_to_user": true})).await;
    assert_eq!(stack.finished(&admin, v["action_id"].as_str().unwrap()).await["status"], "completed");
    let to_admin = stack.mail.wait_for(|m| m.is_for(ADMIN), WAIT).await.unwrap();
    assert_eq!(passcode_in(&to_admin.body).len(), 6, "six-digit-passcode");
    assert!(stack.commands_issued()[0].get("resetPasswordFlags").is_none(), "no-lock-after-reset");
    let (s, _) = stack.get(&helpdesk, &format!("/devices/{id}/security")).await;
    assert_eq!(s, StatusCode::OK, "passcode-visible-to-helpdesk");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(stack.mail.messages_to(USER).is_empty(), "no-mail-to-user");
}

// ----- intune -------------------------------------------------------------

#[tokio::test]
async fn intune_portal_reset_with_reauthentication_confirmation_and_temporary_passcode() {
    let stack = Stack::start("intune", &[]).await;
    let admin = admin_and_user(&stack).await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;
    let user = stack.sign_in(USER).await;

    let (_, list) = stack.get(&user, "/portal/devices").await;
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["can_reset_passcode"], true);

    // INT-3: a sign-in older than 5 minutes is not enough.
    let (s, _) = stack.post(&admin, "/clock:advance", json!({"seconds": 301})).await;
    assert_eq!(s, StatusCode::OK);
    let path = format!("/portal/devices/{id}/reset-passcode");
    let (s, e) = stack.post(&user, &path, json!({"confirm": true})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("REAUTHENTICATION_REQUIRED")));
    let (_, _) = stack.call(reqwest::Method::DELETE, Some(&user), "/sessions/current", None).await;
    let user = stack.sign_in(USER).await;

    // INT-4: the warning first, then the confirmed reset.
    let (s, e) = stack.post(&user, &path, json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("CONFIRMATION_REQUIRED")));
    assert!(e["error"]["message"].as_str().unwrap().contains("removes the current passcode"));
    let (s, v) = stack.post(&user, &path, json!({"confirm": true})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(stack.finished(&admin, v["action_id"].as_str().unwrap()).await["status"], "completed");

    // INT-5: a temporary passcode of letters and digits in the details.
    let (_, details) = stack.get(&user, &format!("/portal/devices/{id}")).await;
    let temp = details["temporary_passcode"].as_str().unwrap().to_owned();
    assert!(temp.bytes().any(|b| b.is_ascii_digit()) && temp.bytes().any(|b| b.is_ascii_alphabetic()));
    assert!(unlocks(&stack, &id, CredentialHolder::DeviceUser, &temp));

    // INT-6: the user sets a passcode; the device reports; the portal says so.
    let name = stack.device_name(&id);
    stack
        .mock()
        .with_device(&name, |d, now| {
            d.set_passcode_in_settings(
                CredentialHolder::DeviceUser,
                Some(&Passcode::new(&temp)),
                Some(&Passcode::new("8642")),
                now,
            )
        })
        .unwrap()
        .unwrap();
    stack.mock().advance_clock(std::time::Duration::from_secs(60)).unwrap();
    stack.mock().set_online(&name, false).unwrap();
    stack.mock().set_online(&name, true).unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, n) = stack.get(&user, "/portal/notifications").await;
        let kinds: Vec<&str> = n.as_array().unwrap().iter().filter_map(|x| x["kind"].as_str()).collect();
        if kinds.contains(&"passcode-changed") {
            assert!(kinds.contains(&"temporary-passcode"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no success notification: {n}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (_, details) = stack.get(&user, &format!("/portal/devices/{id}")).await;
    assert!(details["temporary_passcode"].is_null());
}

#[tokio::test]
async fn intune_refuses_personal_work_profile_and_dedicated_on_android_8_and_later() {
    let stack = Stack::start("intune", &[]).await;
    let admin = admin_and_user(&stack).await;
    let mut wp = Enroll::new(Ownership::WorkProfilePersonal, "google-pixel-8", USER);
    wp.work_passcode = Some("2468");
    let wp = stack.enroll(&admin, wp).await;
    let dedicated = stack.enroll(&admin, Enroll::new(Ownership::Dedicated, "google-pixel", USER)).await;
    let user = stack.sign_in(USER).await;
    for id in [&wp, &dedicated] {
        let (s, e) = stack.post(&user, &format!("/portal/devices/{id}/reset-passcode"), json!({"confirm": true})).await;
        assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("UNSUPPORTED_DEVICE")));
        assert!(e["error"]["message"].as_str().unwrap().contains("factory reset"), "{e}");
    }
    let (_, list) = stack.get(&user, "/portal/devices").await;
    assert!(list.as_array().unwrap().iter().all(|d| d["can_reset_passcode"] == false));
    assert!(stack.commands_issued().is_empty());
}

#[tokio::test]
async fn intune_console_runs_a_task_on_every_device_of_a_user() {
    let stack = Stack::start("intune", &[]).await;
    let admin = admin_and_user(&stack).await;
    let a = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;
    let b = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "samsung-galaxy-s22", USER)).await;
    let (s, results) = stack.post(&admin, "/actions:batch", json!({"kind": "lock", "user_email": USER})).await;
    assert_eq!(s, StatusCode::OK, "{results}");
    let results = results.as_array().unwrap().clone();
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(stack.finished(&admin, r["action_id"].as_str().unwrap()).await["status"], "completed");
    }
    for id in [&a, &b] {
        assert!(stack.mock().device_view(&stack.device_name(id)).unwrap().device_locked);
    }
    let (s, results) =
        stack.post(&admin, "/actions:batch", json!({"kind": "reset-passcode", "device_ids": [a, b]})).await;
    assert_eq!(s, StatusCode::OK);
    for r in results.as_array().unwrap() {
        assert_eq!(stack.finished(&admin, r["action_id"].as_str().unwrap()).await["status"], "completed");
    }
    assert_eq!(stack.commands_issued().len(), 4);
}

#[tokio::test]
async fn intune_defect_no_reauth_check_lets_an_old_session_reset() {
    let stack = Stack::start("intune", &[Defect::NoReauthCheck]).await;
    let admin = admin_and_user(&stack).await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;
    let user = stack.sign_in(USER).await;
    stack.post(&admin, "/clock:advance", json!({"seconds": 3600})).await;
    let (s, _) = stack.post(&user, &format!("/portal/devices/{id}/reset-passcode"), json!({"confirm": true})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
}

// ----- iru ----------------------------------------------------------------

fn wp_policy() -> serde_json::Value {
    json!({"quality": "ALPHANUMERIC", "minimum_length": 8, "scope": "SCOPE_PROFILE"})
}

#[tokio::test]
async fn iru_validates_against_the_work_profile_policy_and_locks_when_asked() {
    let stack = Stack::start("iru", &[]).await;
    let admin = admin_and_user(&stack).await;
    let mut e = Enroll::new(Ownership::WorkProfilePersonal, "google-pixel-8", USER);
    e.work_passcode = Some("work1234");
    e.policy = Some(wp_policy());
    let id = stack.enroll(&admin, e).await;
    // PLAT-2: the reset token set at enrollment activates at the next unlock.
    let entry = stack
        .mock()
        .with_device(&stack.device_name(&id), |d, now| {
            d.press_power();
            let device = d.enter_passcode(CredentialHolder::DeviceUser, &Passcode::new("1357"), now);
            (device, d.enter_passcode(CredentialHolder::WorkProfile, &Passcode::new("work1234"), now))
        })
        .unwrap();
    assert_eq!(entry, (Entry::Unlocked, Entry::Unlocked));

    // IRU-3: each requirement with met true/false.
    let (_, p) =
        stack.post(&admin, &format!("/devices/{id}/reset-passcode:preview"), json!({"new_passcode": "abc"})).await;
    assert_eq!(p["can_reset"], false, "{p}");
    let reqs = p["requirements"].as_array().unwrap();
    assert!(reqs.iter().any(|r| r["requirement"] == "minimum-length" && r["value"] == 8 && r["met"] == false), "{p}");
    assert!(reqs.iter().any(|r| r["requirement"] == "contains-letter-and-digit" && r["met"] == false), "{p}");
    let (_, p) =
        stack.post(&admin, &format!("/devices/{id}/reset-passcode:preview"), json!({"new_passcode": "k3x9q2w7"})).await;
    assert_eq!(p["can_reset"], true, "{p}");
    assert!(p["requirements"].as_array().unwrap().iter().all(|r| r["met"] == true));

    let path = format!("/devices/{id}/reset-passcode");
    let (s, e) = stack.post(&admin, &path, json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("POLICY_NOT_MET")));
    let (s, e) = stack.post(&admin, &path, json!({"new_passcode": "abc"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("POLICY_NOT_MET")));
    assert!(e["error"]["requirements"].as_array().unwrap().iter().any(|r| r["met"] == false));

    // IRU-4: lock the work profile immediately.
    let (s, v) = stack.post(&admin, &path, json!({"new_passcode": "k3x9q2w7", "lock_now": true})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let a = stack.finished(&admin, v["action_id"].as_str().unwrap()).await;
    assert_eq!(a["status"], "completed", "{a}");
    assert_eq!(stack.commands_issued()[0]["resetPasswordFlags"], json!(["LOCK_NOW"]));
    let view = stack.mock().device_view(&stack.device_name(&id)).unwrap();
    assert_eq!(view.work_profile_locked, Some(true));
    assert!(unlocks(&stack, &id, CredentialHolder::WorkProfile, "k3x9q2w7"));
}

#[tokio::test]
async fn iru_without_a_policy_the_passcode_is_optional_but_meets_androids_minimum() {
    let stack = Stack::start("iru", &[]).await;
    let admin = admin_and_user(&stack).await;
    let mut e = Enroll::new(Ownership::WorkProfileCompanyOwned, "google-pixel-8", USER);
    e.work_passcode = Some("work1234");
    let id = stack.enroll(&admin, e).await;
    let path = format!("/devices/{id}/reset-passcode");
    // Android 14: a numeric passcode needs 6 digits.
    let (s, e) = stack.post(&admin, &path, json!({"new_passcode": "13579"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("POLICY_NOT_MET")), "{e}");
    let (s, v) = stack.post(&admin, &path, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let a = stack.finished(&admin, v["action_id"].as_str().unwrap()).await;
    assert_eq!(a["status"], "completed", "{a}");
    assert!(stack.commands_issued()[0].get("newPassword").is_none());
}

#[tokio::test]
async fn iru_refuses_devices_without_a_work_profile() {
    let stack = Stack::start("iru", &[]).await;
    let admin = admin_and_user(&stack).await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;
    let (s, e) = stack.post(&admin, &format!("/devices/{id}/reset-passcode"), json!({})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("UNSUPPORTED_DEVICE")));
}

#[tokio::test]
async fn iru_defect_ignores_the_policy_and_the_device_refuses_instead() {
    let stack = Stack::start("iru", &[Defect::IgnoresWorkProfilePolicy]).await;
    let admin = admin_and_user(&stack).await;
    let mut e = Enroll::new(Ownership::WorkProfilePersonal, "google-pixel-8", USER);
    e.work_passcode = Some("work1234");
    e.policy = Some(wp_policy());
    let id = stack.enroll(&admin, e).await;
    let (s, v) = stack.post(&admin, &format!("/devices/{id}/reset-passcode"), json!({"new_passcode": "abc"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let a = stack.finished(&admin, v["action_id"].as_str().unwrap()).await;
    assert_eq!(a["status"], "failed", "{a}");
    assert!(a["reason"].as_str().unwrap().contains("refused the new passcode"), "{a}");
}

// ----- AMAPI behaviour every profile relies on ---------------------------

#[tokio::test]
async fn a_command_to_an_offline_device_expires_on_the_shared_clock() {
    let stack = Stack::start("miradore", &[]).await;
    let admin = admin_and_user(&stack).await;
    let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;
    stack.mock().set_online(&stack.device_name(&id), false).unwrap();
    let (_, v) = stack.post(&admin, &format!("/devices/{id}/lock"), json!({})).await;
    let action_id = v["action_id"].as_str().unwrap();
    // Wait until AMAPI has it, then let ten minutes pass.
    let deadline = tokio::time::Instant::now() + WAIT;
    while stack.get(&admin, &format!("/actions/{action_id}")).await.1["status"] != "sent" {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stack.post(&admin, "/clock:advance", json!({"seconds": 601})).await;
    let a = stack.finished(&admin, action_id).await;
    assert_eq!(a["status"], "expired", "{a}");
    assert!(a["reason"].as_str().unwrap().contains("offline"));
}

#[tokio::test]
async fn after_a_429_one_command_and_with_the_defect_two() {
    for (defects, expected) in [(vec![], 1), (vec![Defect::DuplicateCommandAfter429], 2)] {
        let stack = Stack::start("miradore", &defects).await;
        let admin = admin_and_user(&stack).await;
        let id = stack.enroll(&admin, Enroll::new(Ownership::FullyManaged, "google-pixel-8", USER)).await;
        let plan = serde_json::from_value(json!({"rules": [{"route": "enterprises.devices.issueCommand",
            "error": {"status": 429, "count": 1}}]}))
        .unwrap();
        stack.mock().set_fault_plan(plan).unwrap();
        let (_, v) = stack.post(&admin, &format!("/devices/{id}/lock"), json!({})).await;
        assert_eq!(stack.finished(&admin, v["action_id"].as_str().unwrap()).await["status"], "completed");
        let deadline = tokio::time::Instant::now() + WAIT;
        while stack.commands_issued().len() < expected {
            assert!(tokio::time::Instant::now() < deadline);
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(stack.commands_issued().len(), expected, "{defects:?}");
    }
}
