//! Deciding a reset before it is recorded: does the vendor offer it on this
//! device, where does the new passcode come from, does a passcode the admin
//! typed meet the assigned work-profile policy and Android's minimum (one
//! requirement at a time, IRU-3), and which flags go with the command.
//!
//! The rules are the MDM's own ([`crate::passcode_rules`]), written apart
//! from the simulated device's so that a mistake in either shows.

use crate::api::error::ApiError;
use crate::config::Defect;
use crate::mdm::Mdm;
use crate::passcode;
use crate::passcode_rules::{self, Rule, RuleCheck};
use crate::store::DeviceRow;
use crate::vendor::{NewPasscode, ResetScope};
use android_sim::{Passcode, PasswordPolicy, PasswordQuality, PolicyScope};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The password policy of an enrollment, as the driver protocol takes it:
/// android-sim's `PasswordPolicy` (AMAPI's PasswordRequirements in snake
/// case, every field optional).
pub type PasswordPolicyInput = PasswordPolicy;

/// AMAPI `PasswordRequirements` JSON for `p` (zero counts omitted, as proto3 JSON does).
pub(crate) fn policy_to_amapi(p: &PasswordPolicy) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("passwordQuality".into(), Value::String(serde_name(&p.quality)));
    m.insert("passwordScope".into(), Value::String(serde_name(&p.scope)));
    for (k, v) in [
        ("passwordMinimumLength", p.minimum_length),
        ("passwordMinimumLetters", p.minimum_letters),
        ("passwordMinimumLowerCase", p.minimum_lower_case),
        ("passwordMinimumUpperCase", p.minimum_upper_case),
        ("passwordMinimumNonLetter", p.minimum_non_letter),
        ("passwordMinimumNumeric", p.minimum_numeric),
        ("passwordMinimumSymbols", p.minimum_symbols),
    ] {
        if v > 0 {
            m.insert(k.into(), json!(v));
        }
    }
    Value::Object(m)
}

/// The serde name of a unit enum value (AMAPI's SCREAMING_SNAKE name).
fn serde_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// What the admin asked for.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ResetRequest {
    pub send_to_user: bool,
    pub new_passcode: Option<String>,
    pub lock_now: bool,
}

impl std::fmt::Debug for ResetPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetPlan")
            .field("send_to_user", &self.send_to_user)
            .field("lock_now", &self.lock_now)
            .finish_non_exhaustive()
    }
}

/// A reset that may go ahead.
pub(crate) struct ResetPlan {
    pub passcode: Option<Passcode>,
    pub send_to_user: bool,
    pub lock_now: bool,
}

/// One requirement as the preview and POLICY_NOT_MET list it.
pub(crate) fn requirement_json(c: &RuleCheck) -> Value {
    let mut v = serde_json::to_value(c.rule).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("description".into(), Value::String(c.rule.to_string()));
        m.insert("met".into(), Value::Bool(c.met));
    }
    v
}

impl Mdm {
    /// The vendor's refusal for this device, as an error.
    pub(crate) fn refusal(&self, device: &DeviceRow) -> Option<ApiError> {
        let wp = matches!(device.ownership.as_str(), "work-profile-personal" | "work-profile-company-owned");
        if let Some(r) = self.vendor.refusal_for(&device.ownership, device.api_level) {
            return Some(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "UNSUPPORTED_DEVICE", r.message.clone()));
        }
        if self.vendor.reset.scope == ResetScope::WorkProfile && !wp {
            return Some(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "UNSUPPORTED_DEVICE",
                "This reset needs a device with a work profile.",
            ));
        }
        if device.state != "ACTIVE" {
            return Some(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "UNSUPPORTED_DEVICE",
                format!("The device is not active (AMAPI state {}).", device.state),
            ));
        }
        None
    }

    /// The work-profile passcode policy assigned to a device, if any: a
    /// policy scoped to the profile, or unscoped on a work-profile device.
    pub(crate) fn work_profile_policy(&self, device: &DeviceRow) -> Result<Option<PasswordPolicy>, ApiError> {
        let Some(name) = &device.policy_name else { return Ok(None) };
        let Some(text) = self.store.policy_password(name)? else { return Ok(None) };
        let policy: PasswordPolicy = serde_json::from_str(&text).map_err(ApiError::internal)?;
        let wp = device.ownership.starts_with("work-profile");
        let applies = match policy.scope {
            PolicyScope::ScopeProfile => wp,
            PolicyScope::ScopeUnspecified => wp,
            PolicyScope::ScopeDevice => false,
        };
        Ok(applies.then_some(policy))
    }

    /// The requirements a new passcode is checked against, each with
    /// whether `candidate` meets it; `None` when this vendor does not check.
    pub(crate) fn requirement_checks(
        &self,
        device: &DeviceRow,
        candidate: Option<&str>,
    ) -> Result<Option<(Vec<RuleCheck>, bool)>, ApiError> {
        if !self.vendor.reset.validate_new_passcode || self.has(Defect::IgnoresWorkProfilePolicy) {
            return Ok(None);
        }
        let policy = self.work_profile_policy(device)?;
        let typed = candidate.unwrap_or("");
        let mut checks: Vec<RuleCheck> = policy.as_ref().map(|pol| self.policy_checks(pol, typed)).unwrap_or_default();
        if policy.is_some() || candidate.is_some() {
            for r in passcode_rules::android_floor(device.api_level, typed) {
                if !checks.iter().any(|c| c.rule == r) {
                    checks.push(r.check(typed));
                }
            }
        }
        Ok(Some((checks, policy.is_some())))
    }

    /// The rules of `policy`, each checked against `typed`, as this MDM
    /// reads them: passcode_rules' reading, unless a defect switch breaks it.
    fn policy_checks(&self, policy: &PasswordPolicy, typed: &str) -> Vec<RuleCheck> {
        let mut policy = policy.clone();
        let misread = match policy.quality {
            PasswordQuality::NumericComplex => self.has(Defect::NumericComplexAsNumeric),
            PasswordQuality::Alphabetic => self.has(Defect::AlphabeticAsNumeric),
            _ => false,
        };
        if misread {
            policy.quality = PasswordQuality::Numeric;
        }
        let mut rules = passcode_rules::policy_rules(&policy, typed);
        if self.has(Defect::IgnoresComplexMinima) {
            rules.retain(|r| {
                !matches!(
                    r,
                    Rule::MinimumLetters(_)
                        | Rule::MinimumLowerCase(_)
                        | Rule::MinimumUpperCase(_)
                        | Rule::MinimumNonLetter(_)
                        | Rule::MinimumNumeric(_)
                        | Rule::MinimumSymbols(_)
                )
            });
        }
        rules
            .into_iter()
            .map(|rule| {
                let mut check = rule.check(typed);
                match rule {
                    Rule::ContainsLetterAndDigit if self.has(Defect::LetterEnoughForAlphanumeric) => {
                        check.met = Rule::ContainsLetter.is_met_by(typed);
                    }
                    Rule::NoSequences if self.has(Defect::DigitsOnlySequences) => {
                        check.met |= !typed.bytes().all(|b| b.is_ascii_digit());
                    }
                    _ => {}
                }
                check
            })
            .collect()
    }

    /// Check a reset request against the vendor profile and the device.
    pub(crate) fn plan_reset(&self, device: &DeviceRow, req: &ResetRequest) -> Result<ResetPlan, ApiError> {
        if let Some(refusal) = self.refusal(device) {
            return Err(refusal);
        }
        let passcode = match self.vendor.passcode.new_passcode {
            NewPasscode::Generated => {
                if req.new_passcode.is_some() {
                    return Err(ApiError::invalid(
                        "This product generates the new passcode itself; `new_passcode` cannot be given.",
                    ));
                }
                let mut length = self.vendor.passcode.length;
                if self.has(Defect::SixDigitPasscode) && self.vendor.vendor.name == "miradore" {
                    length = 6;
                }
                Some(passcode::generate(self.vendor.passcode.alphabet, length))
            }
            NewPasscode::Optional => {
                let typed = req.new_passcode.as_deref().filter(|p| !p.is_empty());
                if let Some((checks, policy_assigned)) = self.requirement_checks(device, typed)? {
                    if policy_assigned && typed.is_none() {
                        let mut e = ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "POLICY_NOT_MET",
                            "A work-profile passcode policy is assigned to this device, so a new passcode is required.",
                        );
                        e.requirements = Some(checks.iter().map(requirement_json).collect());
                        return Err(e);
                    }
                    if checks.iter().any(|c| !c.met) {
                        let mut e = ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "POLICY_NOT_MET",
                            "The new passcode does not meet every requirement; see which ones are not met.",
                        );
                        e.requirements = Some(checks.iter().map(requirement_json).collect());
                        return Err(e);
                    }
                }
                typed.map(Passcode::new)
            }
        };
        let wants_lock = self.vendor.reset.lock_after_reset || (self.vendor.reset.lock_now_option && req.lock_now);
        Ok(ResetPlan {
            passcode,
            send_to_user: req.send_to_user && self.vendor.reset.send_to_user_option,
            lock_now: wants_lock && !self.has(Defect::NoLockAfterReset),
        })
    }
}
