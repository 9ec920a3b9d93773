//! Setting a scenario up: people and their roles, password policies, and
//! devices enrolled in an ownership mode.

use super::StepDoc;
use crate::passcodes::Shape;
use crate::world::{Failure, LockstepWorld, Person, Role, StepResult};
use android_sim::Ownership;
use cucumber::given;

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "Given",
        pattern: "<Name> is a site administrator | an administrator | a helpdesk user | an end user",
        example: "Given Alice is a site administrator",
    },
    StepDoc {
        keyword: "Given",
        pattern: "a \"<profile>\" device \"<alias>\" enrolled <ownership> for <Name> [with a <n>-digit passcode[, not unlocked since]]",
        example: "Given a \"google-pixel-8\" device \"phone\" enrolled fully-managed for Erin with a 6-digit passcode",
    },
    StepDoc {
        keyword: "Given",
        pattern: "the work profile | device passcode policy requires <something|numeric|numeric-complex|alphabetic|alphanumeric|complex|complexity-low|complexity-medium|complexity-high> passcodes [of at least <n> characters]",
        example: "Given the work profile passcode policy requires alphanumeric passcodes of at least 8 characters",
    },
    StepDoc {
        keyword: "Given",
        pattern: "the passcode policy also requires at least <n> upper-case letters | lower-case letters | letters | digits | symbols | non-letters",
        example: "Given the passcode policy also requires at least 1 symbol",
    },
];

pub fn anchor() {}

#[given(regex = r"^(\w+) is (?:a|an) (site administrator|administrator|helpdesk user|end user)$")]
async fn person(w: &mut LockstepWorld, name: String, role: String) -> StepResult {
    let role = Role::parse(&role).ok_or_else(|| w.fail(format!("unknown role `{role}`")))?;
    let email = w.stack()?.email(&name);
    w.stack()?.create_account(&email, &name, role).await.map_err(|e| w.fail(e.to_string()))?;
    w.people.insert(name, Person { email, role, session: None });
    Ok(())
}

#[given(
    regex = r"^the (work profile|device) passcode policy requires (something|numeric|numeric-complex|alphabetic|alphanumeric|complex|complexity-low|complexity-medium|complexity-high) passcodes(?: of at least (\d+) characters)?$"
)]
async fn policy(w: &mut LockstepWorld, scope: String, quality: String, minimum: String) -> StepResult {
    // The driver protocol's policy: android-sim's PasswordPolicy fields,
    // with AMAPI's quality and scope names.
    let quality = quality.replace('-', "_").to_uppercase();
    let scope = if scope == "device" { "SCOPE_DEVICE" } else { "SCOPE_PROFILE" };
    let minimum: u32 = minimum.parse().unwrap_or(0);
    w.policy = Some(crate::driver::PasswordPolicy {
        quality,
        minimum_length: minimum,
        scope: scope.into(),
        minimum_letters: None,
        minimum_lower_case: None,
        minimum_upper_case: None,
        minimum_non_letter: None,
        minimum_numeric: None,
        minimum_symbols: None,
    });
    Ok(())
}

#[given(
    regex = r"^the passcode policy also requires at least (\d+) (upper-case letters?|lower-case letters?|letters?|digits?|symbols?|non-letters?)$"
)]
async fn policy_minimum(w: &mut LockstepWorld, n: u32, class: String) -> StepResult {
    let policy = w.policy.as_mut().ok_or_else(|| Failure("name the passcode policy first".into()))?;
    let field = match class.trim_end_matches('s') {
        "upper-case letter" => &mut policy.minimum_upper_case,
        "lower-case letter" => &mut policy.minimum_lower_case,
        "letter" => &mut policy.minimum_letters,
        "digit" => &mut policy.minimum_numeric,
        "symbol" => &mut policy.minimum_symbols,
        _ => &mut policy.minimum_non_letter,
    };
    *field = Some(n);
    Ok(())
}

#[given(
    regex = r#"^(?:a|an) "([^"]+)" device "(\w+)" enrolled (fully-managed|dedicated|work-profile-personal|work-profile-company-owned|legacy-device-admin) for (\w+)(?: with a (\d+)-digit passcode(, not unlocked since)?)?$"#
)]
async fn enrolled(
    w: &mut LockstepWorld,
    profile: String,
    alias: String,
    ownership: String,
    owner: String,
    digits: String,
    not_unlocked: String,
) -> StepResult {
    let ownership: Ownership = ownership.parse().map_err(|e: String| w.fail(e))?;
    if w.handsets.contains_key(&alias) {
        return Err(w.fail(format!("a device \"{alias}\" is already enrolled in this scenario")));
    }
    let owner_email = w.person(&owner)?.email.clone();
    let passcode = if digits.is_empty() {
        None
    } else {
        let n: usize = digits.parse().map_err(|_| w.fail(format!("`{digits}` is not a number of digits")))?;
        Some(w.make_passcode(Shape { length: n, alphabet: crate::passcodes::Alphabet::Digits }))
    };
    let unlock_after = not_unlocked.is_empty();
    let handset = w
        .stack()?
        .enroll(&profile, ownership, &owner, &owner_email, passcode.as_ref(), w.policy.as_ref(), unlock_after)
        .await
        .map_err(|e| w.fail(format!("enrolling \"{alias}\": {e}")))?;
    w.handsets.insert(alias, handset);
    Ok(())
}
