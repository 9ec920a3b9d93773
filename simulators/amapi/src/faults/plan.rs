//! What a fault plan says, as the harness writes it (JSON on the control
//! surface, or these types from Rust), and the checks a plan must pass.
//!
//! Two forms live side by side: the original unscoped `rules` and
//! `notifications` lists, and `faults`, each of which may be scoped to a
//! device or an operation and reports whether it fired. The engine runs
//! both as one list ([`super::engine`]).

use serde::{Deserialize, Serialize};

/// What to inject.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultPlan {
    /// Seeds every draw of the plan.
    #[serde(default)]
    pub seed: u64,
    /// Unscoped request faults (named `rules[i]` in reports).
    #[serde(default)]
    pub rules: Vec<FaultRule>,
    /// Unscoped notification faults (named `notifications[i]`).
    #[serde(default)]
    pub notifications: Vec<NotificationFault>,
    /// AMAPI's documented project quota, off unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    /// Named, optionally scoped faults that report whether they fired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// A canned set of faults; `googleQuotas` is Google's documented quotas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<FaultProfile>,
}

/// Canned fault sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultProfile {
    /// AMAPI's documented defaults (amapi.md §7): 1,000 queries per 100 s
    /// per project and 500 enrolled devices per project. An explicit
    /// `quota` in the same plan wins.
    GoogleQuotas,
}

impl FaultProfile {
    pub fn quota(self) -> Quota {
        match self {
            FaultProfile::GoogleQuotas => {
                Quota { queries_per_window: 1000, window_seconds: 100, enrolled_devices: Some(500) }
            }
        }
    }
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
    /// At most this many devices enrolled in the mock (one project) at once;
    /// a further enrollment is refused with RESOURCE_EXHAUSTED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled_devices: Option<u32>,
}

fn hundred() -> u64 {
    100
}

/// Faults for the requests of one route (unscoped).
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

/// Drop or duplicate notifications (unscoped).
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

/// One named fault, optionally scoped, that reports whether it fired.
///
/// ```json
/// {"id": "lost-lock", "route": "enterprises.devices.issueCommand",
///  "device": "enterprises/E/devices/D", "count": 1,
///  "effect": {"kind": "answerLost"}}
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// Its name in reports and the journal; default `faults[i]`. Unique.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// For request effects: the AMAPI method id (prefix optional) or `*`.
    /// Default `*`; an outage's trigger defaults to issueCommand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// For request effects: an HTTP method; absent matches any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests (or notifications) about this device,
    /// `enterprises/E/devices/D` (its operations included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Only requests (or notifications) about this operation,
    /// `enterprises/E/devices/D/operations/O`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// For notification effects: ENROLLMENT, STATUS_REPORT or COMMAND;
    /// absent matches all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_type: Option<String>,
    /// Strike the first `count` matches (see [`Chance`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    pub effect: Effect,
}

/// What a [`Fault`] does when it strikes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Effect {
    /// Answer with this status (Google's envelope) before anything is
    /// touched: a 5xx, a 429, or a 400 refusal.
    Error {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Carry the request out (the command reaches the device), then lose
    /// the answer: the client gets `status` (default 503) instead.
    #[serde(rename_all = "camelCase")]
    AnswerLost {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
    /// The triggering issueCommand is answered normally; from then on every
    /// AMAPI request in the fault's scope (its device, or every request
    /// when unscoped) is 503 UNAVAILABLE until that command's `duration`
    /// has passed on the mock's clock.
    OutageUntilCommandExpires,
    /// `length` 429 RESOURCE_EXHAUSTED answers in a row, then one request
    /// passes; `rounds` times over.
    RateLimitStreak { length: u32, rounds: u32 },
    /// Added real-time latency.
    Latency { latency: Latency },
    /// Publish the notification but never deliver it.
    DropNotification,
    /// Deliver the notification twice (same messageId).
    DuplicateNotification,
    /// Deliver the notification `ms` milliseconds (real time) late, so
    /// later ones may overtake it.
    #[serde(rename_all = "camelCase")]
    DelayNotification { ms: u64 },
    /// Hold the notification back until the next one on its topic has been
    /// delivered: subscribers see an older publishTime after a newer one.
    ReorderNotification,
}

impl Effect {
    pub fn is_notification(&self) -> bool {
        matches!(
            self,
            Effect::DropNotification
                | Effect::DuplicateNotification
                | Effect::DelayNotification { .. }
                | Effect::ReorderNotification
        )
    }
}

impl Fault {
    /// A fault with this effect, unscoped, striking every match.
    pub fn new(effect: Effect) -> Self {
        Fault {
            id: None,
            route: None,
            method: None,
            device: None,
            operation: None,
            notification_type: None,
            count: None,
            probability: None,
            effect,
        }
    }

    /// Answer `status` (Google's error envelope).
    pub fn error(status: u16) -> Self {
        Fault::new(Effect::Error { status, message: None })
    }

    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Only on this AMAPI method (e.g. `enterprises.devices.issueCommand`).
    pub fn on(mut self, route: impl Into<String>) -> Self {
        self.route = Some(route.into());
        self
    }

    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Only about this device (`enterprises/E/devices/D`).
    pub fn device(mut self, device: impl Into<String>) -> Self {
        self.device = Some(device.into());
        self
    }

    /// Only about this operation (`enterprises/E/devices/D/operations/O`).
    pub fn operation(mut self, operation: impl Into<String>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    /// Only notifications of this type.
    pub fn notification(mut self, kind: impl Into<String>) -> Self {
        self.notification_type = Some(kind.into());
        self
    }

    /// Only the first `n` matches.
    pub fn times(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }

    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }

    pub fn chance(&self) -> Chance {
        Chance { probability: self.probability, count: self.count }
    }
}

/// A plan that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("fault plan: {field}: {problem}")]
pub struct PlanError {
    pub field: String,
    pub problem: String,
}

fn err(field: String, problem: &str) -> Result<(), PlanError> {
    Err(PlanError { field, problem: problem.to_owned() })
}

const NOTIFICATION_TYPES: [&str; 3] = ["ENROLLMENT", "STATUS_REPORT", "COMMAND"];

impl FaultPlan {
    pub fn check(&self) -> Result<(), PlanError> {
        if let Some(q) = &self.quota {
            if q.queries_per_window == 0 || q.window_seconds == 0 {
                return err("quota".into(), "queriesPerWindow and windowSeconds must be positive");
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            if let Some(e) = &r.error {
                check_status(e.status, &format!("rules[{i}].error.status"))?;
                check_chance(&e.chance(), &format!("rules[{i}].error"))?;
            }
            if let Some(l) = &r.latency {
                check_latency(l, &format!("rules[{i}].latency"))?;
            }
        }
        for (i, n) in self.notifications.iter().enumerate() {
            check_type(n.notification_type.as_deref(), &format!("notifications[{i}].notificationType"))?;
            check_chance(&n.chance(), &format!("notifications[{i}]"))?;
        }
        let mut ids = Vec::new();
        for (i, f) in self.faults.iter().enumerate() {
            f.check(&format!("faults[{i}]"))?;
            let id = f.id.clone().unwrap_or_else(|| format!("faults[{i}]"));
            if ids.contains(&id) {
                return err(format!("faults[{i}].id"), "ids must be unique");
            }
            ids.push(id);
        }
        Ok(())
    }
}

impl Fault {
    pub(crate) fn check(&self, at: &str) -> Result<(), PlanError> {
        check_chance(&self.chance(), at)?;
        if let Some(d) = &self.device {
            let parts: Vec<&str> = d.split('/').collect();
            if !matches!(parts.as_slice(), ["enterprises", e, "devices", x] if !e.is_empty() && !x.is_empty()) {
                return err(format!("{at}.device"), "must be a device name, enterprises/E/devices/D");
            }
        }
        if let Some(o) = &self.operation {
            let parts: Vec<&str> = o.split('/').collect();
            if !matches!(parts.as_slice(), ["enterprises", e, "devices", x, "operations", y]
                if !e.is_empty() && !x.is_empty() && !y.is_empty())
            {
                return err(
                    format!("{at}.operation"),
                    "must be an operation name, enterprises/E/devices/D/operations/O",
                );
            }
        }
        if self.effect.is_notification() {
            if self.route.is_some() || self.method.is_some() {
                return err(format!("{at}.route"), "a notification effect takes notificationType, not route or method");
            }
            check_type(self.notification_type.as_deref(), &format!("{at}.notificationType"))?;
        } else if self.notification_type.is_some() {
            return err(format!("{at}.notificationType"), "only notification effects take a notificationType");
        }
        match &self.effect {
            Effect::Error { status, .. } => check_status(*status, &format!("{at}.effect.status")),
            Effect::AnswerLost { status: Some(s) } => check_status(*s, &format!("{at}.effect.status")),
            Effect::RateLimitStreak { length, rounds } => {
                if *length == 0 || *rounds == 0 {
                    return err(format!("{at}.effect"), "length and rounds must be positive");
                }
                if self.count.is_some() || self.probability.is_some() {
                    return err(format!("{at}.count"), "a streak counts its own rounds: no count or probability");
                }
                Ok(())
            }
            Effect::Latency { latency } => check_latency(latency, &format!("{at}.effect.latency")),
            _ => Ok(()),
        }
    }
}

fn check_status(status: u16, at: &str) -> Result<(), PlanError> {
    if !(400..=599).contains(&status) {
        return err(at.to_owned(), "must be an HTTP error status (400..=599)");
    }
    Ok(())
}

fn check_type(t: Option<&str>, at: &str) -> Result<(), PlanError> {
    if t.is_some_and(|t| !NOTIFICATION_TYPES.contains(&t)) {
        return err(at.to_owned(), "must be ENROLLMENT, STATUS_REPORT or COMMAND");
    }
    Ok(())
}

fn check_latency(l: &Latency, at: &str) -> Result<(), PlanError> {
    match l {
        Latency::Uniform { min_ms, max_ms } if min_ms > max_ms => err(at.to_owned(), "minMs must not exceed maxMs"),
        Latency::Exponential { mean_ms, .. } if !(mean_ms.is_finite() && *mean_ms >= 0.0) => {
            err(format!("{at}.meanMs"), "must be a non-negative number")
        }
        _ => Ok(()),
    }
}

fn check_chance(c: &Chance, at: &str) -> Result<(), PlanError> {
    if c.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return err(format!("{at}.probability"), "must be between 0 and 1");
    }
    Ok(())
}
