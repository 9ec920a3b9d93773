//! The DevicePolicyManager questions CTS and TestDPC ask: reset tokens with
//! values and owners, the active password's sufficiency and complexity per
//! API level, the policy setters, lockNow's flags, and the event log.
#![allow(clippy::unwrap_used)]

mod common;

use android_sim::{
    Admin, Complexity, Constraint, CredentialHolder, Encryption, Entry, EventLog, LockFlags, LockScope, Ownership,
    PasswordPolicy, PasswordQuality, PolicyScope, Refusal, ResetFlags, RunState, TokenState,
};
use common::*;
use proptest::prelude::*;

const H: CredentialHolder = CredentialHolder::DeviceUser;
const W: CredentialHolder = CredentialHolder::WorkProfile;

fn token(b: u8) -> Vec<u8> {
    vec![b; 32]
}

#[test]
fn reset_tokens_have_values_and_owners() {
    for api in 26..=35 {
        let mut d = android_sim::Device::new(generic(api, typical(api)), Ownership::FullyManaged, 7).unwrap();
        // No token yet: inactive, nothing to clear, reset answers "no token".
        assert_eq!(d.is_reset_password_token_active(Admin::Agent, H), Ok(false), "api {api}");
        assert_eq!(d.clear_reset_password_token(Admin::Agent, H), Ok(false));
        assert_eq!(d.set_reset_password_token(Admin::Agent, H, &[1; 31]), Err(Refusal::TokenTooShort));
        // Without a credential a token is active at once.
        assert_eq!(d.set_reset_password_token(Admin::Agent, H, &token(1)), Ok(TokenState::Active));
        assert_eq!(d.is_reset_password_token_active(Admin::Agent, H), Ok(true));
        // A wrong token: refused, nothing changes.
        let before = d.clone();
        let r = d.reset_password_with_token(Admin::Agent, H, Some(&pass("80357913")), &token(2), ResetFlags::default());
        assert_eq!(r, Err(Refusal::WrongToken), "api {api}");
        assert_eq!(r.unwrap_err().answer(), "false");
        assert_eq!(d, before, "api {api}: a wrong token changes nothing");
        // Callers without the role are refused every token call.
        for other in [Admin::OtherAdmin, Admin::OtherAdminTargeting(23)] {
            assert_eq!(d.set_reset_password_token(other, H, &token(3)), Err(Refusal::NotAnOwner));
            assert_eq!(d.is_reset_password_token_active(other, H), Err(Refusal::NotAnOwner));
            assert_eq!(d.clear_reset_password_token(other, H), Err(Refusal::NotAnOwner));
            let r = d.reset_password_with_token(other, H, Some(&pass("80357913")), &token(1), ResetFlags::default());
            assert_eq!(r.unwrap_err().answer(), "SecurityException");
        }
        // The right token resets; clearing it ends that.
        d.reset_password_with_token(Admin::Agent, H, Some(&pass("80357913")), &token(1), ResetFlags::default())
            .unwrap();
        assert_eq!(d.clear_reset_password_token(Admin::Agent, H), Ok(true));
        assert_eq!(d.token_state(H), TokenState::None);
        let r = d.reset_password_with_token(Admin::Agent, H, Some(&pass("24681357")), &token(1), ResetFlags::default());
        assert_eq!(r, Err(Refusal::NoToken));
        // A new token set with a credential waits for the next unlock.
        assert_eq!(d.set_reset_password_token(Admin::Agent, H, &token(4)), Ok(TokenState::Pending));
        assert_eq!(d.is_reset_password_token_active(Admin::Agent, H), Ok(false));
    }
}

#[test]
fn escrow_is_disabled_on_the_personal_user_of_work_profile_devices() {
    for mode in [Ownership::WorkProfilePersonal, Ownership::WorkProfileCompanyOwned] {
        for api in 26..=35 {
            let mut d = android_sim::Device::new(generic(api, typical(api)), mode, 7).unwrap();
            assert_eq!(d.set_reset_password_token(Admin::Agent, H, &token(1)), Err(Refusal::EscrowDisabled));
            assert_eq!(d.set_reset_password_token(Admin::Agent, W, &token(1)), Ok(TokenState::Active));
        }
    }
    let mut old = android_sim::Device::new(generic(25, Encryption::FileBased), Ownership::FullyManaged, 7).unwrap();
    assert_eq!(old.set_reset_password_token(Admin::Agent, H, &token(1)), Err(Refusal::NoTokenApi));
}

/// (api, quality, min length, device passcode, sufficient)
type SufficiencyRow = (u8, PasswordQuality, u8, &'static str, bool);

#[test]
fn sufficiency_per_api_level() {
    use PasswordQuality as Q;
    let table: &[SufficiencyRow] = &[
        (29, Q::Alphanumeric, 4, "12!!34", true),
        (30, Q::Alphanumeric, 4, "12!!34", false),
        (35, Q::Alphanumeric, 4, "ab12", true),
        (26, Q::Numeric, 8, "135790", false),
        (35, Q::Numeric, 8, "13579024", true),
        (28, Q::Something, 10, "1357", true),
        (34, Q::Something, 10, "1357", true),
        (28, Q::NumericComplex, 4, "1234", false),
        (34, Q::NumericComplex, 4, "1234", false),
        (34, Q::NumericComplex, 4, "1358", true),
        (28, Q::Alphabetic, 4, "135790", false),
        (34, Q::ComplexityHigh, 0, "135802", false),
        (34, Q::ComplexityHigh, 0, "k3x9q2", true),
        (34, Q::ComplexityMedium, 0, "1358", true),
    ];
    for (api, quality, min, passcode, want) in table {
        let mut d = in_use(generic(*api, typical(*api)), Ownership::FullyManaged, Some(passcode));
        d.assign_password_policies(vec![PasswordPolicy {
            quality: *quality,
            minimum_length: *min,
            scope: PolicyScope::ScopeDevice,
            ..Default::default()
        }]);
        assert_eq!(d.is_active_password_sufficient(H), Ok(*want), "api {api} {quality:?} {min} {passcode}");
    }
}

#[test]
fn complex_per_class_minima_count_before_and_after_android_11() {
    let policy = |upper| PasswordPolicy {
        quality: PasswordQuality::Complex,
        minimum_length: 6,
        minimum_upper_case: upper,
        minimum_symbols: 1,
        scope: PolicyScope::ScopeDevice,
        ..Default::default()
    };
    for api in [28, 29, 30, 34] {
        // The policy comes after the passcode: Android 5-10 compare the
        // quality recorded with it (ALPHANUMERIC, below COMPLEX); 11+ the metrics.
        let mut d = in_use(generic(api, typical(api)), Ownership::FullyManaged, Some("aB3$x9q7"));
        d.assign_password_policies(vec![policy(1)]);
        assert_eq!(d.is_active_password_sufficient(H), Ok(api >= 30), "api {api}");
        // The policy is in force when the passcode is set: the recorded
        // quality is raised to COMPLEX and the per-class counts decide.
        let mut d = android_sim::Device::new(generic(api, typical(api)), Ownership::FullyManaged, 7).unwrap();
        d.assign_password_policies(vec![policy(1)]);
        d.set_passcode_in_settings(H, None, Some(&pass("aB3$x9q7")), T0).unwrap();
        assert_eq!(d.is_active_password_sufficient(H), Ok(true), "api {api}");
        d.assign_password_policies(vec![policy(2)]);
        assert_eq!(d.is_active_password_sufficient(H), Ok(false), "api {api}");
    }
}

#[test]
fn sufficiency_and_complexity_throw_while_the_user_is_locked() {
    for api in 26..=35 {
        let mut d = in_use(generic(api, Encryption::FileBased), Ownership::FullyManaged, Some("135802"));
        d.reboot();
        assert_eq!(d.run_state(H), Some(RunState::RunningLocked));
        let sufficient = d.is_active_password_sufficient(H);
        if api >= 27 {
            assert_eq!(sufficient, Err(Refusal::UserLocked), "api {api}");
            assert_eq!(sufficient.unwrap_err().answer(), "IllegalStateException");
        } else {
            assert_eq!(sufficient, Ok(true), "api {api}: 8.0 has no check");
        }
        let complexity = d.password_complexity(H);
        match api {
            26..=28 => assert_eq!(complexity, Err(Refusal::NotOnThisApiLevel { first_api: 29 }), "api {api}"),
            _ => assert_eq!(complexity, Err(Refusal::UserLocked), "api {api}"),
        }
        assert_eq!(d.enter_passcode(H, &pass("135802"), T0), Entry::Unlocked);
        if api >= 29 {
            assert_eq!(d.password_complexity(H), Ok(Complexity::Medium), "api {api}");
        }
    }
}

#[test]
fn setters_refuse_constraints_the_quality_ignores_from_android_11() {
    for api in 21..=35 {
        let mut d = android_sim::Device::new(generic(api, typical(api)), Ownership::FullyManaged, 7).unwrap();
        d.set_password_quality(Admin::Agent, H, PasswordQuality::Something).unwrap();
        let length = d.set_password_minimum(Admin::Agent, H, Constraint::Length, 8);
        let upper = d.set_password_minimum(Admin::Agent, H, Constraint::UpperCase, 1);
        if api >= 30 {
            assert_eq!(length, Err(Refusal::ConstraintUnusedByQuality(Constraint::Length)), "api {api}");
            assert_eq!(upper.unwrap_err().answer(), "IllegalStateException", "api {api}");
        } else {
            assert_eq!((length, upper), (Ok(()), Ok(())), "api {api}");
        }
        d.set_password_quality(Admin::Agent, H, PasswordQuality::Numeric).unwrap();
        assert_eq!(d.set_password_minimum(Admin::Agent, H, Constraint::Length, 8), Ok(()), "api {api}");
        d.set_password_quality(Admin::Agent, H, PasswordQuality::Complex).unwrap();
        assert_eq!(d.set_password_minimum(Admin::Agent, H, Constraint::Symbols, 1), Ok(()), "api {api}");
        assert_eq!(d.policy_for(H).unwrap().minimum_symbols, 1);
        // Complexity (Android 12+) replaces the quality.
        let c = d.set_required_password_complexity(Admin::Agent, H, Complexity::High);
        if api >= 31 {
            assert_eq!(c, Ok(()));
            assert_eq!(d.policy_for(H).unwrap().quality, PasswordQuality::ComplexityHigh);
        } else {
            assert_eq!(c, Err(Refusal::NotOnThisApiLevel { first_api: 31 }), "api {api}");
        }
    }
}

#[test]
fn lock_now_evicts_the_profile_key_only_for_its_profile_owner_on_fbe() {
    for api in 26..=35 {
        for mode in [Ownership::WorkProfilePersonal, Ownership::WorkProfileCompanyOwned] {
            if api < 26 {
                continue;
            }
            let mut d = in_use(generic(api, Encryption::FileBased), mode, Some("135802"));
            let evict = LockFlags { evict_credential_key: true };
            assert_eq!(d.run_state(W), Some(RunState::RunningUnlocked));
            let scope = d.lock_now_with(Admin::Agent, evict).unwrap();
            assert_eq!(scope, LockScope::WholeDevice, "api {api} {mode}: unified challenge");
            assert_eq!(d.run_state(W), Some(RunState::RunningLocked), "api {api} {mode}");
            // Either unlock path brings a unified profile back up.
            assert_eq!(d.enter_passcode(H, &pass("135802"), T0), Entry::Unlocked);
            assert_eq!(d.run_state(W), Some(RunState::RunningUnlocked), "api {api} {mode}");
            assert_eq!(d.lock_now_with(Admin::OtherAdmin, evict), Err(Refusal::EvictNeedsProfileOwner));
        }
        let mut fm = in_use(generic(api, Encryption::FileBased), Ownership::FullyManaged, Some("135802"));
        let r = fm.lock_now_with(Admin::Agent, LockFlags { evict_credential_key: true });
        assert_eq!(r.unwrap_err().answer(), "SecurityException", "api {api}");
    }
    let fde = generic(28, Encryption::FullDisk);
    let mut d = in_use(fde, Ownership::WorkProfilePersonal, Some("135802"));
    let r = d.lock_now_with(Admin::Agent, LockFlags { evict_credential_key: true });
    assert_eq!(r, Err(Refusal::EvictNeedsFileBasedEncryption));
    assert_eq!(r.unwrap_err().answer(), "UnsupportedOperationException");
}

#[test]
fn the_event_log_records_resets_and_locks_without_passcodes() {
    for api in [26, 30, 33, 34, 35] {
        let mut d = in_use(generic(api, typical(api)), Ownership::FullyManaged, Some("135802"));
        let token = d.agent_token().unwrap().to_vec();
        d.reset_password_with_token(Admin::Agent, H, Some(&pass("80357913")), &token, ResetFlags::default()).unwrap();
        d.lock_now(Admin::Agent);
        let _ = d.enter_passcode(H, &pass("11112222"), T0);
        let names: Vec<(EventLog, &str, Option<bool>)> =
            d.events().iter().map(|e| (e.log, e.name, e.success)).collect();
        assert!(names.contains(&(EventLog::Stats, "RESET_PASSWORD_WITH_TOKEN", None)), "api {api}: {names:?}");
        assert!(names.contains(&(EventLog::Stats, "LOCK_NOW", None)), "api {api}");
        assert_eq!(names.contains(&(EventLog::Security, "TAG_REMOTE_LOCK", None)), api >= 34, "api {api}");
        assert!(names.contains(&(EventLog::Security, "TAG_KEYGUARD_DISMISS_AUTH_ATTEMPT", Some(false))), "api {api}");
        let printed = format!("{:?}", d.events());
        assert!(!printed.contains("80357913") && !printed.contains("135802"), "{printed}");
    }
}

#[test]
fn credentials_keep_metrics_not_passcodes() {
    let d = in_use(generic(34, Encryption::FileBased), Ownership::FullyManaged, Some("135802"));
    let m = d.credential_metrics(H).unwrap();
    assert_eq!((m.length, m.numeric, m.letters), (6, 6, 0));
    let printed = format!("{d:?}");
    assert!(!printed.contains("135802"), "{printed}");
}

proptest! {
    /// Whatever passcode the device user sets, the device answers from its
    /// metrics what a fresh check of the passcode answers.
    #[test]
    fn sufficiency_matches_the_policy_check_on_android_11_plus(p in "[0-9a-zA-Z!#]{4,12}", api in 30u8..=35) {
        let policy = PasswordPolicy {
            quality: PasswordQuality::Complex,
            minimum_length: 6,
            minimum_upper_case: 1,
            minimum_numeric: 1,
            scope: PolicyScope::ScopeDevice,
            ..Default::default()
        };
        let mut d = in_use(generic(api, typical(api)), Ownership::FullyManaged, Some(&p));
        d.assign_password_policies(vec![policy.clone()]);
        let fresh = policy.check_on(api, &pass(&p)).iter().all(|c| c.met);
        prop_assert_eq!(d.is_active_password_sufficient(H), Ok(fresh));
    }

    /// A wrong token never changes the device.
    #[test]
    fn a_wrong_token_changes_nothing(b in 0u8..=255, api in 26u8..=35) {
        let mut d = in_use(generic(api, typical(api)), Ownership::FullyManaged, Some("135802"));
        let right = d.agent_token().unwrap().to_vec();
        let wrong = vec![b; 32];
        prop_assume!(wrong != right);
        let before = d.clone();
        let r = d.reset_password_with_token(Admin::Agent, H, Some(&pass("80357913")), &wrong, ResetFlags::default());
        prop_assert_eq!(r, Err(Refusal::WrongToken));
        prop_assert_eq!(d, before);
    }
}
