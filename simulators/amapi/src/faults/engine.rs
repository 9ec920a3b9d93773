//! The plan at work: every rule, notification fault and scoped fault armed
//! as one list, each with its own seeded generator, counters and report.

use super::plan::{Chance, Effect, Fault, FaultPlan, Latency, PlanError, Quota};
use crate::clock::Timestamp;
use crate::errors::{ApiError, Code};
use crate::world::{NotificationType, SplitMix64};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a request is about, for matching.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Target<'a> {
    /// The discovery method id.
    pub route: &'a str,
    pub method: &'a str,
    /// `enterprises/E/devices/D`, for requests about a device or its operations.
    pub device: Option<&'a str>,
    /// `enterprises/E/devices/D/operations/O`.
    pub operation: Option<&'a str>,
}

/// What a notification is about, for matching.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Note<'a> {
    pub kind: NotificationType,
    /// The resource's `name` (a Device or an Operation).
    pub name: Option<&'a str>,
}

/// What the plan does to one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub latency: Option<Duration>,
    /// Answer this instead, touching nothing.
    pub error: Option<ApiError>,
    /// For the journal: which faults struck.
    pub label: Option<String>,
    /// Something to do once the request has been carried out.
    pub after: Option<After>,
}

#[derive(Debug)]
pub(crate) enum After {
    /// Replace the answer with this error.
    LoseAnswer(ApiError),
    /// Start the outage of this fault once the command's deadline is known.
    StartOutage(String),
}

/// What the plan does to one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// 0 (dropped), 1, or 2 (duplicated).
    pub copies: u8,
    pub delay: Option<Duration>,
    /// Held back until the next notification on the topic.
    pub hold: bool,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery { copies: 1, delay: None, hold: false }
    }
}

/// Whether a fault fired, as the harness reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultReport {
    /// `rules[i]`, `notifications[i]`, `faults[i]` or the fault's own id.
    pub id: String,
    /// How many requests or notifications it changed (for an outage: its
    /// start and every request it refused).
    pub fired: u32,
    /// It will not fire again (its count or rounds are spent, its outage
    /// is over).
    pub exhausted: bool,
    /// An outage in progress: until when (the mock's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_until: Option<String>,
}

/// How one armed fault is matched.
#[derive(Debug, Default)]
struct Matcher {
    route: Option<String>,
    method: Option<String>,
    device: Option<String>,
    operation: Option<String>,
    notification_type: Option<String>,
}

fn route_matches(rule: &str, route: &str) -> bool {
    rule == "*" || rule == route || route.strip_prefix("androidmanagement.") == Some(rule)
}

impl Matcher {
    fn request(&self, t: &Target<'_>, default_route: &str) -> bool {
        let route = self.route.as_deref().unwrap_or(default_route);
        route_matches(route, t.route)
            && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(t.method))
            && self.device.as_deref().is_none_or(|d| t.device == Some(d))
            && self.operation.as_deref().is_none_or(|o| t.operation == Some(o))
    }

    fn notification(&self, n: &Note<'_>) -> bool {
        let about_device = |d: &str| {
            n.name.is_some_and(|name| name == d || name.strip_prefix(d).is_some_and(|r| r.starts_with("/operations/")))
        };
        self.notification_type.as_deref().is_none_or(|t| t == n.kind.amapi_name())
            && self.device.as_deref().is_none_or(about_device)
            && self.operation.as_deref().is_none_or(|o| n.name == Some(o))
    }
}

#[derive(Debug)]
struct Armed {
    id: String,
    matcher: Matcher,
    chance: Chance,
    remaining: Option<u32>,
    rng: SplitMix64,
    effect: Effect,
    fired: u32,
    /// RateLimitStreak: rounds finished and 429s given in the current one.
    streak: (u32, u32),
    /// OutageUntilCommandExpires: when the outage ends, once started.
    outage_until: Option<Timestamp>,
}

impl Armed {
    fn new(id: String, matcher: Matcher, chance: Chance, effect: Effect, rng: SplitMix64) -> Self {
        Armed {
            id,
            matcher,
            remaining: chance.count,
            chance,
            rng,
            effect,
            fired: 0,
            streak: (0, 0),
            outage_until: None,
        }
    }

    /// Draw whether it strikes, consuming the count or the generator.
    fn strikes(&mut self) -> bool {
        if let Some(left) = &mut self.remaining {
            if *left > 0 {
                *left -= 1;
                return true;
            }
            if self.chance.probability.is_none() {
                return false;
            }
        }
        match self.chance.probability {
            Some(p) => self.rng.next_f64() < p,
            None => true,
        }
    }

    fn exhausted(&self, now: Timestamp) -> bool {
        let spent = self.remaining == Some(0) && self.chance.probability.is_none();
        match self.effect {
            Effect::RateLimitStreak { rounds, .. } => self.streak.0 >= rounds,
            Effect::OutageUntilCommandExpires => match self.outage_until {
                Some(until) => now >= until && spent,
                None => spent,
            },
            _ => spent,
        }
    }

    fn report(&self, now: Timestamp) -> FaultReport {
        FaultReport {
            id: self.id.clone(),
            fired: self.fired,
            exhausted: self.exhausted(now),
            active_until: self.outage_until.filter(|u| now < *u).map(Timestamp::rfc3339),
        }
    }
}

/// A plan with its generators, counters and reports.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    plan: FaultPlan,
    armed: Vec<Armed>,
    quota: Option<Quota>,
    /// The current quota window's start and the queries spent in it.
    window: Option<(Timestamp, u32)>,
}

fn stream(seed: u64, index: usize, salt: u64) -> SplitMix64 {
    SplitMix64::new(seed ^ (index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407) ^ salt)
}

const ISSUE_COMMAND: &str = "androidmanagement.enterprises.devices.issueCommand";

fn arm_fault(seed: u64, index: usize, f: &Fault) -> Armed {
    let matcher = Matcher {
        route: f.route.clone(),
        method: f.method.clone(),
        device: f.device.clone(),
        operation: f.operation.clone(),
        notification_type: f.notification_type.clone(),
    };
    let id = f.id.clone().unwrap_or_else(|| format!("faults[{index}]"));
    Armed::new(id, matcher, f.chance(), f.effect.clone(), stream(seed, index, 0xFA17))
}

impl Faults {
    pub(crate) fn new(plan: FaultPlan) -> Self {
        let mut armed = Vec::new();
        for (i, r) in plan.rules.iter().enumerate() {
            let matcher = || Matcher { route: Some(r.route.clone()), method: r.method.clone(), ..Default::default() };
            if let Some(l) = &r.latency {
                let effect = Effect::Latency { latency: l.clone() };
                armed.push(Armed::new(
                    format!("rules[{i}]"),
                    matcher(),
                    Chance::default(),
                    effect,
                    stream(plan.seed, i, 0),
                ));
            }
            if let Some(e) = &r.error {
                let effect = Effect::Error { status: e.status, message: e.message.clone() };
                armed.push(Armed::new(format!("rules[{i}]"), matcher(), e.chance(), effect, stream(plan.seed, i, 0xE)));
            }
        }
        for (i, n) in plan.notifications.iter().enumerate() {
            let matcher = Matcher { notification_type: n.notification_type.clone(), ..Default::default() };
            let effect = match n.action {
                super::NotificationAction::Drop => Effect::DropNotification,
                super::NotificationAction::Duplicate => Effect::DuplicateNotification,
            };
            armed.push(Armed::new(
                format!("notifications[{i}]"),
                matcher,
                n.chance(),
                effect,
                stream(plan.seed, i, 0x5EED),
            ));
        }
        for (i, f) in plan.faults.iter().enumerate() {
            armed.push(arm_fault(plan.seed, i, f));
        }
        let quota = plan.quota.clone().or_else(|| plan.profile.map(|p| p.quota()));
        Faults { plan, armed, quota, window: None }
    }

    pub(crate) fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.armed.is_empty() && self.quota.is_none()
    }

    /// Add one scoped fault to the plan in force; returns its id.
    pub(crate) fn add(&mut self, fault: Fault) -> Result<String, PlanError> {
        let index = self.plan.faults.len();
        fault.check(&format!("faults[{index}]"))?;
        let armed = arm_fault(self.plan.seed, index, &fault);
        if self.armed.iter().any(|a| a.id == armed.id) {
            return Err(PlanError { field: format!("faults[{index}].id"), problem: "ids must be unique".into() });
        }
        let id = armed.id.clone();
        self.armed.push(armed);
        self.plan.faults.push(fault);
        Ok(id)
    }

    pub(crate) fn reports(&self, now: Timestamp) -> Vec<FaultReport> {
        self.armed.iter().map(|a| a.report(now)).fold(Vec::new(), |mut out, r| {
            // A legacy rule with both latency and an error is one entry.
            match out.iter_mut().find(|x: &&mut FaultReport| x.id == r.id) {
                Some(x) => {
                    x.fired = x.fired.max(r.fired);
                    x.exhausted &= r.exhausted;
                }
                None => out.push(r),
            }
            out
        })
    }

    /// The enrolled-device cap of the quota in force.
    pub(crate) fn device_cap(&self) -> Option<u32> {
        self.quota.as_ref().and_then(|q| q.enrolled_devices)
    }

    /// Spend one query of the quota; false when none is left.
    fn spend_quota(&mut self, now: Timestamp) -> bool {
        let Some(q) = &self.quota else { return true };
        let window = Duration::from_secs(q.window_seconds);
        let (start, used) = match self.window {
            Some((start, used)) if now < start.plus(window) => (start, used),
            _ => (now, 0),
        };
        let ok = used < q.queries_per_window;
        self.window = Some((start, used.saturating_add(1)));
        ok
    }

    /// Decide for a request arriving at `now`.
    pub(crate) fn decide(&mut self, t: &Target<'_>, now: Timestamp) -> Decision {
        let mut d = Decision::default();
        let mut labels = Vec::new();
        if !self.spend_quota(now) {
            d.error = Some(quota_error());
            labels.push("quota".to_owned());
        }
        for a in &mut self.armed {
            if a.effect.is_notification() {
                continue;
            }
            // An outage in progress refuses every request in its scope.
            if let Some(until) = a.outage_until {
                let in_scope = a.matcher.device.as_deref().is_none_or(|x| t.device == Some(x));
                if now < until && in_scope && d.error.is_none() {
                    a.fired += 1;
                    d.error =
                        Some(ApiError::new(Code::Unavailable, default_message(503)).with_reason("SERVICE_UNAVAILABLE"));
                    labels.push(format!("{}: outage", a.id));
                }
                continue;
            }
            let default_route = if matches!(a.effect, Effect::OutageUntilCommandExpires) { ISSUE_COMMAND } else { "*" };
            if !a.matcher.request(t, default_route) {
                continue;
            }
            if let Effect::Latency { latency } = &a.effect {
                let add = draw_latency(latency, &mut a.rng);
                d.latency = Some(d.latency.unwrap_or_default() + add);
                a.fired += 1;
                labels.push(format!("{}: +{}ms", a.id, add.as_millis()));
                continue;
            }
            // One answer-changing fault per request: later ones keep their counts.
            if d.error.is_some() || d.after.is_some() {
                continue;
            }
            match a.effect.clone() {
                Effect::RateLimitStreak { length, rounds } => {
                    let (done, in_row) = a.streak;
                    if done >= rounds {
                        continue;
                    }
                    if in_row < length {
                        a.streak.1 += 1;
                        a.fired += 1;
                        d.error = Some(quota_error());
                        labels.push(format!("{}: 429 ({}/{length} of round {})", a.id, in_row + 1, done + 1));
                    } else {
                        a.streak = (done + 1, 0);
                    }
                }
                Effect::Error { status, message } if a.strikes() => {
                    a.fired += 1;
                    d.error = Some(injected(status, message));
                    labels.push(format!("{}: {status}", a.id));
                }
                Effect::AnswerLost { status } if a.strikes() => {
                    a.fired += 1;
                    let status = status.unwrap_or(503);
                    d.after = Some(After::LoseAnswer(injected(status, None)));
                    labels.push(format!("{}: carried out, answer lost ({status})", a.id));
                }
                Effect::OutageUntilCommandExpires if a.strikes() => {
                    d.after = Some(After::StartOutage(a.id.clone()));
                    labels.push(format!("{}: outage starts", a.id));
                }
                _ => {}
            }
        }
        if !labels.is_empty() {
            d.label = Some(labels.join("; "));
        }
        d
    }

    /// A triggered outage starts: it lasts until `until`.
    pub(crate) fn start_outage(&mut self, id: &str, until: Timestamp) {
        if let Some(a) = self.armed.iter_mut().find(|a| a.id == id) {
            a.outage_until = Some(until);
            a.fired += 1;
        }
    }

    /// How to deliver one notification.
    pub(crate) fn delivery(&mut self, n: &Note<'_>) -> Delivery {
        let mut out = Delivery::default();
        for a in &mut self.armed {
            if !a.effect.is_notification() || !a.matcher.notification(n) || !a.strikes() {
                continue;
            }
            a.fired += 1;
            match a.effect {
                Effect::DropNotification => {
                    out.copies = 0;
                    return out;
                }
                Effect::DuplicateNotification => out.copies = 2,
                Effect::DelayNotification { ms } => {
                    out.delay = Some(out.delay.unwrap_or_default() + Duration::from_millis(ms));
                }
                Effect::ReorderNotification => out.hold = true,
                _ => {}
            }
        }
        out
    }
}

fn draw_latency(latency: &Latency, rng: &mut SplitMix64) -> Duration {
    let ms = match *latency {
        Latency::Fixed { ms } => ms as f64,
        Latency::Uniform { min_ms, max_ms } => min_ms as f64 + rng.next_f64() * (max_ms - min_ms) as f64,
        Latency::Exponential { mean_ms, max_ms } => {
            let x = -mean_ms * (1.0 - rng.next_f64()).ln();
            max_ms.map_or(x, |m| x.min(m as f64))
        }
    };
    Duration::from_micros((ms * 1000.0) as u64)
}

/// The 429 Google answers when a quota is spent.
pub(crate) fn quota_error() -> ApiError {
    ApiError::new(Code::ResourceExhausted, default_message(429)).with_reason("RATE_LIMIT_EXCEEDED")
}

fn injected(status: u16, message: Option<String>) -> ApiError {
    let code = Code::from_http_status(status);
    let message = message.unwrap_or_else(|| default_message(status).to_owned());
    let mut error = ApiError::new(code, message);
    error.status = status;
    if status == 429 {
        error = error.with_reason("RATE_LIMIT_EXCEEDED");
    }
    error
}

/// Google's front-end wording for each status (amapi.md §7).
fn default_message(status: u16) -> &'static str {
    match status {
        429 => "Quota exceeded for quota metric 'Queries' and limit 'Queries per 100 seconds' of service 'androidmanagement.googleapis.com'.",
        503 => "The service is currently unavailable.",
        500 => "Internal error encountered.",
        504 => "The request timed out.",
        400 => "Request contains an invalid argument.",
        _ => "Injected fault.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = crate::clock::DEFAULT_VIRTUAL_START;

    fn plan(json: &str) -> FaultPlan {
        let p: FaultPlan = serde_json::from_str(json).unwrap();
        p.check().unwrap();
        p
    }

    fn target(route: &'static str) -> Target<'static> {
        Target { route, method: "POST", ..Default::default() }
    }

    fn status(f: &mut Faults, t: &Target<'_>, at: Timestamp) -> Option<u16> {
        f.decide(t, at).error.map(|e| e.status)
    }

    #[test]
    fn the_quota_refills_with_the_next_window() {
        let mut f = Faults::new(plan(r#"{"quota":{"queriesPerWindow":2}}"#));
        let t = target("x");
        assert_eq!(status(&mut f, &t, T0), None);
        assert_eq!(status(&mut f, &t, T0.plus(Duration::from_secs(1))), None);
        assert_eq!(status(&mut f, &t, T0.plus(Duration::from_secs(99))), Some(429));
        assert_eq!(status(&mut f, &t, T0.plus(Duration::from_secs(100))), None, "a new window");
    }

    #[test]
    fn the_google_profile_is_googles_quotas() {
        let f = Faults::new(plan(r#"{"profile":"googleQuotas"}"#));
        assert_eq!(f.device_cap(), Some(500));
        assert_eq!(f.quota.as_ref().map(|q| (q.queries_per_window, q.window_seconds)), Some((1000, 100)));
        assert!(Faults::new(plan("{}")).device_cap().is_none());
    }

    #[test]
    fn counts_strike_first_then_stop() {
        let mut f = Faults::new(plan(
            r#"{"rules":[{"route":"enterprises.devices.issueCommand","error":{"status":503,"count":2}}]}"#,
        ));
        let t = target("androidmanagement.enterprises.devices.issueCommand");
        let statuses: Vec<_> = (0..4).map(|_| status(&mut f, &t, T0)).collect();
        assert_eq!(statuses, [Some(503), Some(503), None, None]);
        assert!(f.decide(&target("androidmanagement.enterprises.devices.get"), T0).error.is_none());
        assert_eq!(
            f.reports(T0),
            [FaultReport { id: "rules[0]".into(), fired: 2, exhausted: true, active_until: None }]
        );
    }

    #[test]
    fn a_seed_replays_probabilities_and_latencies() {
        let text = r#"{"seed":42,"rules":[{"latency":{"distribution":"uniform","minMs":1,"maxMs":50},
                        "error":{"status":429,"probability":0.3}}]}"#;
        let run = || {
            let mut f = Faults::new(plan(text));
            (0..50)
                .map(|_| {
                    let d = f.decide(&target("x"), T0);
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
    fn scoped_faults_strike_only_their_device_and_report() {
        let mut f = Faults::new(FaultPlan::default());
        let id =
            f.add(Fault::error(500).on("enterprises.devices.issueCommand").device("enterprises/E/devices/a").times(1));
        assert_eq!(id.as_deref(), Ok("faults[0]"));
        let other = Target { device: Some("enterprises/E/devices/b"), ..target(ISSUE_COMMAND) };
        let mine = Target { device: Some("enterprises/E/devices/a"), ..target(ISSUE_COMMAND) };
        assert_eq!(status(&mut f, &other, T0), None);
        assert_eq!(f.reports(T0)[0].fired, 0, "not fired for another device");
        assert_eq!(status(&mut f, &mine, T0), Some(500));
        assert_eq!(status(&mut f, &mine, T0), None);
        assert_eq!(
            f.reports(T0)[0],
            FaultReport { id: "faults[0]".into(), fired: 1, exhausted: true, active_until: None }
        );
        assert!(f.add(Fault::error(503).id("faults[0]")).is_err(), "ids are unique");
    }

    #[test]
    fn operation_scope() {
        let mut f = Faults::new(FaultPlan::default());
        f.add(Fault::error(503).operation("enterprises/E/devices/a/operations/7")).unwrap();
        let get = |o| Target {
            route: "androidmanagement.enterprises.devices.operations.get",
            method: "GET",
            device: Some("enterprises/E/devices/a"),
            operation: Some(o),
        };
        assert_eq!(status(&mut f, &get("enterprises/E/devices/a/operations/8"), T0), None);
        assert_eq!(status(&mut f, &get("enterprises/E/devices/a/operations/7"), T0), Some(503));
    }

    #[test]
    fn streaks_come_in_rounds() {
        let mut f = Faults::new(FaultPlan::default());
        f.add(Fault::new(Effect::RateLimitStreak { length: 2, rounds: 2 })).unwrap();
        let t = target("x");
        let got: Vec<_> = (0..8).map(|_| status(&mut f, &t, T0)).collect();
        assert_eq!(got, [Some(429), Some(429), None, Some(429), Some(429), None, None, None]);
        assert!(f.reports(T0)[0].exhausted);
        assert_eq!(f.reports(T0)[0].fired, 4);
    }

    #[test]
    fn an_outage_lasts_until_the_command_expires() {
        let mut f = Faults::new(FaultPlan::default());
        f.add(Fault::new(Effect::OutageUntilCommandExpires).device("enterprises/E/devices/a").times(1)).unwrap();
        let dev = Some("enterprises/E/devices/a");
        let d = f.decide(&Target { device: dev, ..target(ISSUE_COMMAND) }, T0);
        assert!(d.error.is_none(), "the trigger passes");
        let Some(After::StartOutage(id)) = d.after else { panic!("no outage") };
        let until = T0.plus(Duration::from_secs(60));
        f.start_outage(&id, until);
        let get =
            Target { route: "androidmanagement.enterprises.devices.get", method: "GET", device: dev, operation: None };
        assert_eq!(status(&mut f, &get, T0.plus(Duration::from_secs(59))), Some(503));
        let elsewhere = Target { device: Some("enterprises/E/devices/b"), ..get };
        assert_eq!(status(&mut f, &elsewhere, T0.plus(Duration::from_secs(59))), None, "scoped to its device");
        assert_eq!(f.reports(T0)[0].active_until, Some(until.rfc3339()));
        assert_eq!(status(&mut f, &get, until), None, "over at the deadline");
        assert!(f.reports(until)[0].exhausted);
    }

    #[test]
    fn answer_lost_lets_the_request_through() {
        let mut f = Faults::new(FaultPlan::default());
        f.add(Fault::new(Effect::AnswerLost { status: None }).on("enterprises.devices.issueCommand").times(1)).unwrap();
        let d = f.decide(&target(ISSUE_COMMAND), T0);
        assert!(d.error.is_none());
        assert!(matches!(d.after, Some(After::LoseAnswer(ref e)) if e.status == 503));
        assert!(f.decide(&target(ISSUE_COMMAND), T0).after.is_none());
    }

    #[test]
    fn notification_faults_drop_duplicate_delay_or_hold() {
        let mut f = Faults::new(plan(
            r#"{"notifications":[{"notificationType":"COMMAND","action":"drop","count":1},{"action":"duplicate","count":1}]}"#,
        ));
        let cmd = Note { kind: NotificationType::Command, name: Some("enterprises/E/devices/a/operations/1") };
        assert_eq!(f.delivery(&cmd).copies, 0);
        assert_eq!(f.delivery(&cmd).copies, 2);
        assert_eq!(f.delivery(&cmd), Delivery::default());
        let mut f = Faults::new(FaultPlan::default());
        f.add(Fault::new(Effect::DelayNotification { ms: 30 }).device("enterprises/E/devices/a")).unwrap();
        f.add(Fault::new(Effect::ReorderNotification).notification("STATUS_REPORT")).unwrap();
        assert_eq!(f.delivery(&cmd).delay, Some(Duration::from_millis(30)));
        let other = Note { kind: NotificationType::Command, name: Some("enterprises/E/devices/ab/operations/1") };
        assert_eq!(f.delivery(&other), Delivery::default(), "another device (a prefix of its name is not enough)");
        let report = Note { kind: NotificationType::StatusReport, name: Some("enterprises/E/devices/b") };
        assert!(f.delivery(&report).hold);
    }

    #[test]
    fn bad_plans_name_the_field() {
        let p: FaultPlan = serde_json::from_str(r#"{"rules":[{"error":{"status":200}}]}"#).unwrap();
        assert_eq!(p.check().unwrap_err().field, "rules[0].error.status");
        assert!(serde_json::from_str::<FaultPlan>(r#"{"rulez":[]}"#).is_err());
        let p: FaultPlan =
            serde_json::from_str(r#"{"faults":[{"route":"x","effect":{"kind":"dropNotification"}}]}"#).unwrap();
        assert_eq!(p.check().unwrap_err().field, "faults[0].route");
        let p: FaultPlan =
            serde_json::from_str(r#"{"faults":[{"device":"d1","effect":{"kind":"error","status":500}}]}"#).unwrap();
        assert_eq!(p.check().unwrap_err().field, "faults[0].device");
        let p: FaultPlan = serde_json::from_str(
            r#"{"faults":[{"count":1,"effect":{"kind":"rateLimitStreak","length":2,"rounds":1}}]}"#,
        )
        .unwrap();
        assert_eq!(p.check().unwrap_err().field, "faults[0].count");
    }
}
