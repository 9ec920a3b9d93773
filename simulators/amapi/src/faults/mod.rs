//! The fault plan: request faults per route (AMAPI method id), HTTP method,
//! device or operation that add latency, answer with an error instead of
//! the API, lose the answer of a request that was carried out, start an
//! outage lasting until a command expires, or give streaks of 429s; and
//! notification faults that drop, duplicate, delay or reorder deliveries.
//! Google's documented quotas are an opt-in profile. Draws come from
//! generators seeded by the plan's seed, one per fault, so a run replays;
//! every fault reports how often it fired.
//!
//! An injected error is decided before the request touches any state: a
//! request answered 429 or 5xx by an `error` fault has changed nothing, so a
//! client that retries never issues a command twice. `answerLost` is the
//! one exception, on purpose.

mod engine;
mod plan;

pub use engine::FaultReport;
pub(crate) use engine::{After, Decision, Delivery, Faults, Note, Target};
pub use plan::{
    Chance, Effect, ErrorFault, Fault, FaultPlan, FaultProfile, FaultRule, Latency, NotificationAction,
    NotificationFault, PlanError, Quota,
};
