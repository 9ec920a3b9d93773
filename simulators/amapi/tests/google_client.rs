//! Google's own Rust client (google-androidmanagement1) drives every one
//! of the 36 methods of the discovery document against a mock served on a loopback socket, success and
//! error paths alike; then every response the mock sent is checked against
//! the discovery document.

#![allow(clippy::unwrap_used)]

mod common;

use amapi_mock::{serve_mock, FaultPlan, MockConfig, Registration};
use android_sim::Ownership;
use common::*;
use google_androidmanagement1::api::{
    ApplicationPolicy, ApplicationPolicyChange, Command, Device, EnrollmentToken, Enterprise,
    GenerateEnterpriseUpgradeUrlRequest, MigrationToken, ModifyPolicyApplicationsRequest, PasswordRequirements, Policy,
    RemovePolicyApplicationsRequest, WebApp, WebAppIcon, WebToken,
};
use google_androidmanagement1::{common as gcommon, AndroidManagement, Error};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;

type Hub = AndroidManagement<HttpConnector>;

fn hub(base_url: &str, token: Option<&str>) -> Hub {
    let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut hub = match token {
        Some(t) => AndroidManagement::new(client, t.to_owned()),
        None => AndroidManagement::new(client, gcommon::NoToken),
    };
    hub.base_url(base_url.to_owned());
    hub
}

/// The HTTP status of a client error (the client hands back Google's JSON).
fn status_of(e: &Error) -> u64 {
    match e {
        Error::BadRequest(v) => v["error"]["code"].as_u64().unwrap_or(0),
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[tokio::test]
async fn googles_client_drives_every_method() {
    let (mock, token) = mock();
    let fm = enroll(&mock, &token, "fm", "test-pixel-8", Ownership::FullyManaged, Some("147036"));
    let server = serve_mock(mock.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let hub = hub(&server.base_url, None);
    let ent = hub.enterprises();
    let parent = format!("enterprises/{ENTERPRISE}");

    // Enterprises.
    let (_, e) = ent.get(&parent).doit().await.unwrap();
    assert_eq!(e.pubsub_topic.as_deref(), Some(TOPIC));
    // The signup flow: a signup URL, the admin completes it, the enterprise is created.
    let (_, signup) =
        hub.signup_urls().create().project_id("p").callback_url("https://mdm.example/cb").doit().await.unwrap();
    let signup_name = signup.name.unwrap();
    assert!(signup.url.unwrap().contains(":complete"));
    let done = mock.complete_signup(&signup_name, None).unwrap();
    let enterprise_token = done["enterpriseToken"].as_str().unwrap().to_owned();
    assert!(done["callbackUrl"].as_str().unwrap().starts_with("https://mdm.example/cb?enterpriseToken="));
    let created = Enterprise { enterprise_display_name: Some("Made by the client".into()), ..Default::default() };
    let wrong = ent.create(created.clone()).project_id("p").signup_url_name(&signup_name).enterprise_token("nope");
    assert_eq!(status_of(&wrong.doit().await.unwrap_err()), 400);
    let (_, created) = ent
        .create(created.clone())
        .project_id("p")
        .signup_url_name(&signup_name)
        .enterprise_token(&enterprise_token)
        .doit()
        .await
        .unwrap();
    assert_eq!(created.enterprise_type.as_deref(), Some("MANAGED_GOOGLE_PLAY_ACCOUNTS_ENTERPRISE"));
    let again =
        ent.create(created.clone()).project_id("p").signup_url_name(&signup_name).enterprise_token(&enterprise_token);
    assert_eq!(status_of(&again.doit().await.unwrap_err()), 409, "a signup URL serves once");
    let created_name = created.name.unwrap();
    let (_, upgrade) = ent
        .generate_enterprise_upgrade_url(GenerateEnterpriseUpgradeUrlRequest::default(), &created_name)
        .doit()
        .await
        .unwrap();
    assert!(upgrade.url.is_some());
    let emm = ent.generate_enterprise_upgrade_url(GenerateEnterpriseUpgradeUrlRequest::default(), &parent);
    assert_eq!(status_of(&emm.doit().await.unwrap_err()), 400, "only a managed Google Play Accounts enterprise");
    let patch = Enterprise { enterprise_display_name: Some("Renamed".into()), ..Default::default() };
    let (_, patched) = ent
        .patch(patch, &created_name)
        .update_mask(gcommon::FieldMask::new(&["enterpriseDisplayName"]))
        .doit()
        .await
        .unwrap();
    assert_eq!(patched.enterprise_display_name.as_deref(), Some("Renamed"));
    let (_, list) = ent.list().project_id("p").page_size(1).doit().await.unwrap();
    assert_eq!(list.enterprises.unwrap().len(), 1);
    assert!(list.next_page_token.is_some());
    ent.delete(&created_name).doit().await.unwrap();
    assert_eq!(status_of(&ent.get(&created_name).doit().await.unwrap_err()), 404);

    // Policies.
    let policy = Policy {
        password_policies: Some(vec![PasswordRequirements {
            password_quality: Some("NUMERIC".into()),
            password_minimum_length: Some(6),
            password_scope: Some("SCOPE_DEVICE".into()),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let (_, p) = ent.policies_patch(policy, &format!("{parent}/policies/strict")).doit().await.unwrap();
    assert_eq!(p.version, Some(1));
    let (_, p) = ent.policies_get(&format!("{parent}/policies/strict")).doit().await.unwrap();
    assert_eq!(p.password_policies.unwrap()[0].password_minimum_length, Some(6));
    let (_, ps) = ent.policies_list(&parent).doit().await.unwrap();
    assert_eq!(ps.policies.unwrap().len(), 2);

    // Enrollment tokens.
    let t = EnrollmentToken {
        policy_name: Some("strict".into()),
        duration: Some(chrono::Duration::seconds(3600)),
        allow_personal_usage: Some("PERSONAL_USAGE_DISALLOWED".into()),
        ..Default::default()
    };
    let (_, t) = ent.enrollment_tokens_create(t, &parent).doit().await.unwrap();
    assert!(t.expiration_timestamp.is_some());
    let t_name = t.name.clone().unwrap();
    let (_, got) = ent.enrollment_tokens_get(&t_name).doit().await.unwrap();
    assert_eq!(got.value, t.value);
    let (_, tl) = ent.enrollment_tokens_list(&parent).page_size(100).doit().await.unwrap();
    assert_eq!(tl.enrollment_tokens.unwrap().len(), 2);
    let mut r = Registration::new(t.value.unwrap(), "test-pixel-8", Ownership::Dedicated);
    r.device_id = Some("kiosk".into());
    let kiosk = mock.register_device(&r).unwrap();
    ent.enrollment_tokens_delete(&t_name).doit().await.unwrap();
    assert_eq!(status_of(&ent.enrollment_tokens_get(&t_name).doit().await.unwrap_err()), 404);

    // Devices.
    let (_, d) = ent.devices_get(&fm).doit().await.unwrap();
    assert_eq!(d.management_mode.as_deref(), Some("DEVICE_OWNER"));
    assert_eq!(d.api_level, Some(34));
    assert_eq!(d.applied_policy_version, Some(1));
    assert!(d.enrollment_time.is_some());
    let (_, k) = ent.devices_get(&kiosk).doit().await.unwrap();
    assert_eq!(k.policy_name.as_deref(), Some(&*format!("{parent}/policies/strict")));
    let (_, dl) = ent.devices_list(&parent).page_size(1).doit().await.unwrap();
    assert_eq!(dl.devices.unwrap().len(), 1);
    let (_, dl2) = ent.devices_list(&parent).page_token(&dl.next_page_token.unwrap()).doit().await.unwrap();
    assert_eq!(dl2.devices.unwrap().len(), 1);
    let change = Device { state: Some("DISABLED".into()), ..Default::default() };
    let (_, d) = ent.devices_patch(change, &fm).update_mask(gcommon::FieldMask::new(&["state"])).doit().await.unwrap();
    assert_eq!(d.applied_state.as_deref(), Some("DISABLED"));
    let change = Device { state: Some("ACTIVE".into()), policy_name: Some("strict".into()), ..Default::default() };
    let (_, d) = ent.devices_patch(change, &fm).doit().await.unwrap();
    assert_eq!(d.applied_policy_name.as_deref(), Some(&*format!("{parent}/policies/strict")));

    // Commands and operations.
    let lock =
        Command { type_: Some("LOCK".into()), duration: Some(chrono::Duration::seconds(600)), ..Default::default() };
    let (_, op) = ent.devices_issue_command(lock, &fm).doit().await.unwrap();
    assert_eq!(op.done, None);
    let op_name = op.name.unwrap();
    let (_, op) = ent.devices_operations_get(&op_name).doit().await.unwrap();
    assert_eq!(op.done, Some(true));
    let reset = Command {
        type_: Some("RESET_PASSWORD".into()),
        new_password: Some("13579246".into()),
        reset_password_flags: Some(vec!["LOCK_NOW".into()]),
        ..Default::default()
    };
    let (_, op) = ent.devices_issue_command(reset, &fm).doit().await.unwrap();
    let meta = op.metadata.unwrap();
    assert!(!meta.contains_key("newPassword"));
    let (_, done) = ent.devices_operations_get(&op.name.unwrap()).doit().await.unwrap();
    assert_eq!(done.done, Some(true));
    assert!(done.error.is_none());
    mock.set_online(&kiosk, false).unwrap();
    let (_, pending) = ent
        .devices_issue_command(Command { type_: Some("REBOOT".into()), ..Default::default() }, &kiosk)
        .doit()
        .await
        .unwrap();
    let pending_name = pending.name.unwrap();
    ent.devices_operations_cancel(&pending_name).doit().await.unwrap();
    let (_, cancelled) = ent.devices_operations_get(&pending_name).doit().await.unwrap();
    assert_eq!(cancelled.error.unwrap().code, Some(1));
    let (_, ol) = ent.devices_operations_list(&format!("{fm}/operations")).page_size(1).doit().await.unwrap();
    assert_eq!(ol.operations.unwrap().len(), 1);
    assert!(ol.next_page_token.is_some());

    // Error paths.
    let bad = Command { type_: Some("SELF_DESTRUCT".into()), ..Default::default() };
    let err = ent.devices_issue_command(bad, &fm).doit().await.unwrap_err();
    assert_eq!(status_of(&err), 400);
    assert_eq!(status_of(&ent.devices_get(&format!("{parent}/devices/nope")).doit().await.unwrap_err()), 404);
    assert_eq!(status_of(&ent.devices_operations_get(&format!("{fm}/operations/1")).doit().await.unwrap_err()), 404);
    assert_eq!(status_of(&ent.policies_delete(&format!("{parent}/policies/strict")).doit().await.unwrap_err()), 400);
    assert_eq!(
        status_of(
            &ent.devices_operations_list(&format!("{fm}/operations"))
                .return_partial_success(true)
                .doit()
                .await
                .unwrap_err()
        ),
        501
    );
    assert_eq!(status_of(&ent.web_apps_get(&format!("{parent}/webApps/x")).doit().await.unwrap_err()), 404);
    mock.set_fault_plan(
        serde_json::from_value::<FaultPlan>(
            json!({"rules": [{"route": "enterprises.devices.get", "error": {"status": 429, "count": 1}}]}),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(status_of(&ent.devices_get(&fm).doit().await.unwrap_err()), 429);
    ent.devices_get(&fm).doit().await.unwrap();

    // Apps, web apps, web tokens, migration tokens, provisioning info.
    let (_, chrome) = ent
        .applications_get(&format!("{parent}/applications/com.android.chrome"))
        .language_code("de")
        .doit()
        .await
        .unwrap();
    assert_eq!(chrome.title.as_deref(), Some("Chrome"));
    assert!(chrome.managed_properties.unwrap().iter().any(|p| p.key.as_deref() == Some("HomepageLocation")));
    assert!(!chrome.permissions.unwrap().is_empty());
    let unknown = ent.applications_get(&format!("{parent}/applications/com.example.none")).doit().await;
    assert_eq!(status_of(&unknown.unwrap_err()), 404);
    let change = |pkg: &str, install: &str| ApplicationPolicyChange {
        application: Some(ApplicationPolicy {
            package_name: Some(pkg.into()),
            install_type: Some(install.into()),
            ..Default::default()
        }),
        update_mask: None,
    };
    let request = ModifyPolicyApplicationsRequest {
        changes: Some(vec![
            change("com.android.chrome", "FORCE_INSTALLED"),
            change("com.google.android.gm", "AVAILABLE"),
        ]),
    };
    let (_, modified) =
        ent.policies_modify_policy_applications(request, &format!("{parent}/policies/strict")).doit().await.unwrap();
    let policy = modified.policy.unwrap();
    assert_eq!(policy.applications.as_ref().unwrap().len(), 2);
    assert_eq!(policy.version, Some(2));
    let request = RemovePolicyApplicationsRequest { package_names: Some(vec!["com.google.android.gm".into()]) };
    let (_, removed) =
        ent.policies_remove_policy_applications(request, &format!("{parent}/policies/strict")).doit().await.unwrap();
    let apps = removed.policy.unwrap().applications.unwrap();
    assert_eq!(apps.iter().map(|a| a.package_name.clone().unwrap()).collect::<Vec<_>>(), ["com.android.chrome"]);

    let web_app = WebApp {
        title: Some("Intranet".into()),
        start_url: Some("https://intranet.example/".into()),
        display_mode: Some("STANDALONE".into()),
        icons: Some(vec![WebAppIcon { image_data: Some("iVBORw0KGgo".into()) }]),
        ..Default::default()
    };
    let (_, w) = ent.web_apps_create(web_app, &parent).doit().await.unwrap();
    let w_name = w.name.unwrap();
    assert_eq!(w.version_code, Some(1));
    let rename = WebApp { title: Some("Intranet 2".into()), ..Default::default() };
    let (_, w) =
        ent.web_apps_patch(rename, &w_name).update_mask(gcommon::FieldMask::new(&["title"])).doit().await.unwrap();
    assert_eq!((w.title.as_deref(), w.version_code), (Some("Intranet 2"), Some(2)));
    let (_, got) = ent.web_apps_get(&w_name).doit().await.unwrap();
    assert_eq!(got.start_url.as_deref(), Some("https://intranet.example/"));
    let (_, wl) = ent.web_apps_list(&parent).doit().await.unwrap();
    assert_eq!(wl.web_apps.unwrap().len(), 1);
    ent.web_apps_delete(&w_name).doit().await.unwrap();
    assert_eq!(status_of(&ent.web_apps_get(&w_name).doit().await.unwrap_err()), 404);

    let web_token = WebToken { parent_frame_url: Some("https://mdm.example/apps".into()), ..Default::default() };
    let (_, wt) = ent.web_tokens_create(web_token, &parent).doit().await.unwrap();
    assert!(wt.value.is_some_and(|v| !v.is_empty()));

    let migration = MigrationToken {
        device_id: Some("play-emm-device-1".into()),
        user_id: Some("play-emm-user-1".into()),
        policy: Some(format!("{parent}/policies/default")),
        management_mode: Some("FULLY_MANAGED".into()),
        ttl: Some(chrono::Duration::seconds(3600)),
        ..Default::default()
    };
    let (_, mt) = ent.migration_tokens_create(migration, &parent).doit().await.unwrap();
    let mt_name = mt.name.unwrap();
    assert!(mt.value.is_some() && mt.expire_time.is_some());
    let (_, got) = ent.migration_tokens_get(&mt_name).doit().await.unwrap();
    assert_eq!(got.device_id.as_deref(), Some("play-emm-device-1"));
    let (_, ml) = ent.migration_tokens_list(&parent).doit().await.unwrap();
    assert_eq!(ml.migration_tokens.unwrap().len(), 1);

    let fm_id = fm.rsplit('/').next().unwrap();
    let (_, info) = hub.provisioning_info().get(&format!("provisioningInfo/{fm_id}")).doit().await.unwrap();
    assert_eq!(info.enterprise.as_deref(), Some(&*parent));
    assert_eq!(info.api_level, Some(34));

    // Deletes.
    ent.devices_delete(&kiosk).add_wipe_data_flags("WIPE_EXTERNAL_STORAGE").doit().await.unwrap();
    assert_eq!(status_of(&ent.devices_get(&kiosk).doit().await.unwrap_err()), 404);
    ent.policies_delete(&format!("{parent}/policies/strict")).doit().await.unwrap_err();
    let (_, _) = ent
        .devices_patch(Device { policy_name: Some("default".into()), ..Default::default() }, &fm)
        .doit()
        .await
        .unwrap();
    ent.policies_delete(&format!("{parent}/policies/strict")).doit().await.unwrap();

    let checked = assert_journal_valid(&mock);
    assert!(checked >= 40, "{checked}");
    let routes: std::collections::BTreeSet<String> =
        mock.journal(&Default::default()).into_iter().filter(|e| e.status == 200).filter_map(|e| e.route).collect();
    assert_eq!(routes.len(), 36, "every method of the discovery document answered the client: {routes:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn googles_client_meets_bearer_tokens() {
    let (mock, token) = mock_with(MockConfig { profiles: profiles(), ..Default::default() }, Some("secret-a"));
    let d = enroll(&mock, &token, "d1", "test-pixel-8", Ownership::WorkProfilePersonal, None);
    let server = serve_mock(mock.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let err = hub(&server.base_url, None).enterprises().devices_get(&d).doit().await.unwrap_err();
    assert_eq!(status_of(&err), 401);
    let err = hub(&server.base_url, Some("secret-b")).enterprises().devices_get(&d).doit().await.unwrap_err();
    assert_eq!(status_of(&err), 401);
    let (_, device) = hub(&server.base_url, Some("secret-a")).enterprises().devices_get(&d).doit().await.unwrap();
    assert_eq!(device.ownership.as_deref(), Some("PERSONALLY_OWNED"));
    assert_journal_valid(&mock);
    server.shutdown().await.unwrap();
}
