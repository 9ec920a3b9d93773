//! The fault plan: rules per route (AMAPI method id) and HTTP method that
//! add latency or answer with an error status instead of the API, and
//! rules that drop or duplicate notifications. Draws come from generators
//! seeded by the plan's seed, one per rule, so a run replays.
//!
//! An injected error is decided before the request touches any state: a
//! request answered 429 or 5xx by a fault has changed nothing, so a client
//! that retries never issues a command twice.

use crate::clock::Timestamp;
use crate::errors::{ApiError, Code};
use crate::world::{NotificationType, SplitMix64};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What to inject, as the harness writes it (JSON on the control API).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultPlan {
    /// Seeds every draw of the plan.
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub rules: Vec<FaultRule>,
    #[serde(default)]
    pub notifications: Vec<NotificationFault>,
    /// AMAPI's documented project quota, off unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

/// "1,000 queries per 100 seconds per project": once a window's queries
/// are spent, every request is 429 RESOURCE_EXHAUSTED until the window,
/// which starts at its first query, is over. Windows run on the mock's
/// clock, so advancing a virtual clock refills the quota.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quota {
    pub queries_per_window: u32,
    /// Default 100 (AMAPI's).
    #[serde(default = "hundred")]
    pub window_seconds: u64,
}

fn hundred() -> u64 {
    100
}

/// Faults for the requests of one route.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// The AMAPI method id as in the discovery document
    /// (`androidmanagement.enterprises.devices.issueCommand`, the prefix may
    /// be left out), or `*` for every route.
    #[serde(default = "any_route")]
    pub route: String,
    /// An HTTP method (`POST`); absent matches any.
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub latency: Option<Latency>,
    #[serde(default)]
    pub error: Option<ErrorFault>,
}

fn any_route() -> String {
    "*".to_owned()
}

/// Added delay (real time, also with a virtual clock).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "camelCase", deny_unknown_fields)]
pub enum Latency {
    Fixed {
        ms: u64,
    },
    #[serde(rename_all = "camelCase")]
    Uniform {
        min_ms: u64,
        max_ms: u64,
    },
    /// Exponentially distributed, capped at `max_ms` when given.
    #[serde(rename_all = "camelCase")]
    Exponential {
        mean_ms: f64,
        #[serde(default)]
        max_ms: Option<u64>,
    },
}

/// Answer with `status` instead of the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorFault {
    /// 429, 500, 503 or any other 4xx/5xx.
    pub status: u16,
    #[serde(default)]
    pub probability: Option<f64>,
    #[serde(default)]
    pub count: Option<u32>,
    /// Replaces the default message, e.g. "Requested entity was not found."
    /// for AMAPI's habit of a 500 that means NOT_FOUND.
    #[serde(default)]
    pub message: Option<String>,
}

/// How often a fault strikes: the first `count` matches, or each match
/// with `probability`, or both (the count first). Neither: always.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Chance {
    pub probability: Option<f64>,
    pub count: Option<u32>,
}

/// Drop or duplicate notifications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationFault {
    /// ENROLLMENT, STATUS_REPORT or COMMAND; absent matches all.
    #[serde(default)]
    pub notification_type: Option<String>,
    pub action: NotificationAction,
    #[serde(default)]
    pub probability: Option<f64>,
    #[serde(default)]
    pub count: Option<u32>,
}

impl ErrorFault {
    pub fn chance(&self) -> Chance {
        Chance { probability: self.probability, count: self.count }
    }
}

impl NotificationFault {
    pub fn chance(&self) -> Chance {
        Chance { probability: self.probability, count: self.count }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NotificationAction {
    Drop,
    Duplicate,
}

/// A plan that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("fault plan: {field}: {problem}")]
pub struct PlanError {
    pub field: String,
    pub problem: String,
}

impl FaultPlan {
    pub fn check(&self) -> Result<(), PlanError> {
        let err = |field: String, problem: &str| Err(PlanError { field, problem: problem.to_owned() });
        if self.quota.as_ref().is_some_and(|q| q.queries_per_window == 0 || q.window_seconds == 0) {
            return err("quota".into(), "queriesPerWindow and windowSeconds must be positive");
        }
        for (i, r) in self.rules.iter().enumerate() {
            if let Some(e) = &r.error {
                if !(400..=599).contains(&e.status) {
                    return err(format!("rules[{i}].error.status"), "must be an HTTP error status (400..=599)");
                }
                check_chance(&e.chance(), &format!("rules[{i}].error"))?;
            }
            if let Some(Latency::Uniform { min_ms, max_ms }) = &r.latency {
                if min_ms > max_ms {
                    return err(format!("rules[{i}].latency"), "minMs must not exceed maxMs");
                }
            }
            if let Some(Latency::Exponential { mean_ms, .. }) = &r.latency {
                if !(mean_ms.is_finite() && *mean_ms >= 0.0) {
                    return err(format!("rules[{i}].latency.meanMs"), "must be a non-negative number");
                }
            }
        }
        for (i, n) in self.notifications.iter().enumerate() {
            if let Some(t) = &n.notification_type {
                if !["ENROLLMENT", "STATUS_REPORT", "COMMAND"].contains(&t.as_str()) {
                    return err(
                        format!("notifications[{i}].notificationType"),
                        "must be ENROLLMENT, STATUS_REPORT or COMMAND",
                    );
                }
            }
            check_chance(&n.chance(), &format!("notifications[{i}]"))?;
        }
        Ok(())
    }
}

fn check_chance(c: &Chance, at: &str) -> Result<(), PlanError> {
    if c.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return Err(PlanError { field: format!("{at}.probability"), problem: "must be between 0 and 1".into() });
    }
    Ok(())
}

/// What the plan does to one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub latency: Option<Duration>,
    pub error: Option<ApiError>,
    /// For the journal: which rule struck.
    pub label: Option<String>,
}

/// A plan with its generators and counters.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    plan: FaultPlan,
    rngs: Vec<SplitMix64>,
    remaining: Vec<Option<u32>>,
    notification_rngs: Vec<SplitMix64>,
    notification_remaining: Vec<Option<u32>>,
    /// The current quota window's start and the queries spent in it.
    window: Option<(Timestamp, u32)>,
}

fn stream(seed: u64, index: usize, salt: u64) -> SplitMix64 {
    SplitMix64::new(seed ^ (index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407) ^ salt)
}

/// Draw whether a fault strikes, consuming the count or the generator.
fn strikes(chance: &Chance, remaining: &mut Option<u32>, rng: &mut SplitMix64) -> bool {
    if let Some(left) = remaining {
        if *left > 0 {
            *left -= 1;
            return true;
        }
        if chance.probability.is_none() {
            return false;
        }
    }
    match chance.probability {
        Some(p) => rng.next_f64() < p,
        None => true,
    }
}

impl Faults {
    pub fn new(plan: FaultPlan) -> Self {
        let rngs = (0..plan.rules.len()).map(|i| stream(plan.seed, i, 0)).collect();
        let remaining = plan.rules.iter().map(|r| r.error.as_ref().and_then(|e| e.count)).collect();
        let notification_rngs = (0..plan.notifications.len()).map(|i| stream(plan.seed, i, 0x5EED)).collect();
        let notification_remaining = plan.notifications.iter().map(|n| n.count).collect();
        Faults { plan, rngs, remaining, notification_rngs, notification_remaining, window: None }
    }

    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    pub fn is_empty(&self) -> bool {
        self.plan.rules.is_empty() && self.plan.notifications.is_empty() && self.plan.quota.is_none()
    }

    /// Spend one query of the quota; false when none is left.
    fn spend_quota(&mut self, now: Timestamp) -> bool {
        let Some(q) = &self.plan.quota else { return true };
        let window = Duration::from_secs(q.window_seconds);
        let (start, used) = match self.window {
            Some((start, used)) if now < start.plus(window) => (start, used),
            _ => (now, 0),
        };
        let ok = used < q.queries_per_window;
        self.window = Some((start, used.saturating_add(1)));
        ok
    }

    /// Decide for a request to `route` with `method` arriving at `now`.
    pub fn decide(&mut self, route: &str, method: &str, now: Timestamp) -> Decision {
        let mut decision = Decision::default();
        if !self.spend_quota(now) {
            decision.error =
                Some(ApiError::new(Code::ResourceExhausted, default_message(429)).with_reason("RATE_LIMIT_EXCEEDED"));
            decision.label = Some("quota".to_owned());
        }
        for (i, rule) in self.plan.rules.iter().enumerate() {
            // The discovery id, with or without its `androidmanagement.` prefix.
            let route_matches = rule.route == "*"
                || rule.route == route
                || route.strip_prefix("androidmanagement.") == Some(rule.route.as_str());
            let method_matches = rule.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method));
            if !(route_matches && method_matches) {
                continue;
            }
            let rng = &mut self.rngs[i];
            if let Some(latency) = &rule.latency {
                let ms = match *latency {
                    Latency::Fixed { ms } => ms as f64,
                    Latency::Uniform { min_ms, max_ms } => min_ms as f64 + rng.next_f64() * (max_ms - min_ms) as f64,
                    Latency::Exponential { mean_ms, max_ms } => {
                        let x = -mean_ms * (1.0 - rng.next_f64()).ln();
                        max_ms.map_or(x, |m| x.min(m as f64))
                    }
                };
                let add = Duration::from_micros((ms * 1000.0) as u64);
                decision.latency = Some(decision.latency.unwrap_or_default() + add);
            }
            if let (Some(e), None) = (&rule.error, &decision.error) {
                if strikes(&e.chance(), &mut self.remaining[i], rng) {
                    let code = Code::from_http_status(e.status);
                    let message = e.message.clone().unwrap_or_else(|| default_message(e.status).to_owned());
                    let mut error = ApiError::new(code, message);
                    error.status = e.status;
                    if e.status == 429 {
                        error = error.with_reason("RATE_LIMIT_EXCEEDED");
                    }
                    decision.error = Some(error);
                    decision.label = Some(format!("rules[{i}]: {}", e.status));
                }
            }
        }
        decision
    }

    /// How many copies of a notification to publish: 0 (dropped), 1, or 2
    /// (duplicated).
    pub fn copies(&mut self, kind: NotificationType) -> u8 {
        let mut copies = 1;
        for (i, n) in self.plan.notifications.iter().enumerate() {
            if n.notification_type.as_deref().is_some_and(|t| t != kind.amapi_name()) {
                continue;
            }
            if strikes(&n.chance(), &mut self.notification_remaining[i], &mut self.notification_rngs[i]) {
                match n.action {
                    NotificationAction::Drop => return 0,
                    NotificationAction::Duplicate => copies = 2,
                }
            }
        }
        copies
    }
}

fn default_message(status: u16) -> &'static str {
    match status {
        429 => "Quota exceeded for quota metric 'Queries' and limit 'Queries per 100 seconds' of service 'androidmanagement.googleapis.com'.",
        503 => "The service is currently unavailable.",
        500 => "Internal error encountered.",
        _ => "Injected fault.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = crate::clock::DEFAULT_VIRTUAL_START;

    #[test]
    fn the_quota_refills_with_the_next_window() {
        let mut f = Faults::new(plan(r#"{"quota":{"queriesPerWindow":2}}"#));
        let status = |f: &mut Faults, t: Timestamp| f.decide("x", "GET", t).error.map(|e| e.status);
        assert_eq!(status(&mut f, T0), None);
        assert_eq!(status(&mut f, T0.plus(Duration::from_secs(1))), None);
        assert_eq!(status(&mut f, T0.plus(Duration::from_secs(99))), Some(429));
        assert_eq!(status(&mut f, T0.plus(Duration::from_secs(100))), None, "a new window");
    }

    fn plan(json: &str) -> FaultPlan {
        let p: FaultPlan = serde_json::from_str(json).unwrap();
        p.check().unwrap();
        p
    }

    #[test]
    fn counts_strike_first_then_stop() {
        let mut f = Faults::new(plan(
            r#"{"rules":[{"route":"enterprises.devices.issueCommand","error":{"status":503,"count":2}}]}"#,
        ));
        let statuses: Vec<_> =
            (0..4).map(|_| f.decide("enterprises.devices.issueCommand", "POST", T0).error.map(|e| e.status)).collect();
        assert_eq!(statuses, [Some(503), Some(503), None, None]);
        assert!(f.decide("enterprises.devices.get", "GET", T0).error.is_none());
    }

    #[test]
    fn a_seed_replays_probabilities_and_latencies() {
        let text = r#"{"seed":42,"rules":[{"latency":{"distribution":"uniform","minMs":1,"maxMs":50},
                        "error":{"status":429,"probability":0.3}}]}"#;
        let run = || {
            let mut f = Faults::new(plan(text));
            (0..50)
                .map(|_| {
                    let d = f.decide("x", "GET", T0);
                    (d.latency, d.error.is_some())
                })
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|(_, e)| *e).count();
        assert!(hits > 0 && hits < 50, "{hits}");
    }

    #[test]
    fn notification_faults_drop_or_duplicate() {
        let mut f = Faults::new(plan(
            r#"{"notifications":[{"notificationType":"COMMAND","action":"drop","count":1},{"action":"duplicate","count":1}]}"#,
        ));
        assert_eq!(f.copies(NotificationType::Command), 0);
        assert_eq!(f.copies(NotificationType::Command), 2);
        assert_eq!(f.copies(NotificationType::Command), 1);
    }

    #[test]
    fn bad_plans_name_the_field() {
        let p: FaultPlan = serde_json::from_str(r#"{"rules":[{"error":{"status":200}}]}"#).unwrap();
        assert_eq!(p.check().unwrap_err().field, "rules[0].error.status");
        assert!(serde_json::from_str::<FaultPlan>(r#"{"rulez":[]}"#).is_err());
    }
}
