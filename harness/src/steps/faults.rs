//! Faults of the Android Management API beyond a plain error answer: a
//! command carried out whose answer is lost, an outage that lasts until a
//! command expires, an API that never accepts a command, failing reads of
//! an operation. Each is scoped to the scenario's devices and must fire
//! (see [`LockstepWorld::arm_fault`]); the simpler "answers the next
//! command with 429" and "loses the next notification" live in
//! [`super::amapi`].

use super::{eventually, StepDoc};
use crate::world::{LockstepWorld, StepResult};
use amapi_mock::faults::{Effect, Fault};
use cucumber::{given, when};

const ISSUE_COMMAND: &str = "enterprises.devices.issueCommand";
const GET_OPERATION: &str = "enterprises.devices.operations.get";
const OUTAGE: &str = "the outage from the next command until it expires";

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "Given",
        pattern: "AMAPI carries out the next command but loses its answer",
        example: "Given AMAPI carries out the next command but loses its answer",
    },
    StepDoc {
        keyword: "Given",
        pattern: "AMAPI is out of service from the next command until that command expires",
        example: "Given AMAPI is out of service from the next command until that command expires",
    },
    StepDoc {
        keyword: "When",
        pattern: "AMAPI has refused <n> requests about \"<alias>\" during the outage",
        example: "When AMAPI has refused 10 requests about \"phone\" during the outage",
    },
    StepDoc {
        keyword: "When",
        pattern: "AMAPI has turned away <n> more commands for \"<alias>\"",
        example: "When AMAPI has turned away 7 more commands for \"phone\"",
    },
    StepDoc {
        keyword: "Given",
        pattern: "AMAPI answers every command with <4xx|5xx>",
        example: "Given AMAPI answers every command with 503",
    },
    StepDoc {
        keyword: "Given",
        pattern: "AMAPI answers the next <n> reads of an operation with <4xx|5xx>",
        example: "Given AMAPI answers the next 8 reads of an operation with 503",
    },
];

pub fn anchor() {}

#[given("AMAPI carries out the next command but loses its answer")]
async fn answer_lost(w: &mut LockstepWorld) -> StepResult {
    w.arm_fault("the lost answer to the next command", |device| {
        Fault::new(Effect::AnswerLost { status: None }).on(ISSUE_COMMAND).method("POST").device(device).times(1)
    })
}

#[given("AMAPI is out of service from the next command until that command expires")]
async fn outage(w: &mut LockstepWorld) -> StepResult {
    w.arm_fault(OUTAGE, |device| {
        Fault::new(Effect::OutageUntilCommandExpires).on(ISSUE_COMMAND).method("POST").device(device).times(1)
    })
}

/// The id of the fault armed for `alias`'s device whose description
/// matches `is_it`, or a failure saying `missing`.
fn armed_for(
    w: &LockstepWorld,
    alias: &str,
    is_it: impl Fn(&str) -> bool,
    missing: &str,
) -> Result<String, crate::world::Failure> {
    let of_device = format!(" of {}", w.handset(alias)?.amapi_name);
    w.faults
        .iter()
        .find(|(_, what)| is_it(what) && what.ends_with(&of_device))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| w.fail(missing))
}

/// Wait until the fault `id` has fired at least `times` times in all.
async fn fired_at_least(w: &LockstepWorld, id: String, times: u32, what: &str) -> StepResult {
    let mock = w.stack()?.mock().clone();
    eventually(w, what, || {
        let fired = mock.fault_fired(&id).unwrap_or(0);
        async move { Ok((fired >= times).then_some(())) }
    })
    .await
}

/// Wait until the outage has turned `n` requests about the device away, so
/// that what the scenario checks next was checked while it lasted, not
/// before the MDM had even tried.
#[when(regex = r#"^AMAPI has refused (\d+) requests? about "(\w+)" during the outage$"#)]
async fn refused_during_outage(w: &mut LockstepWorld, n: u32, alias: String) -> StepResult {
    let id = armed_for(w, &alias, |what| what.starts_with(OUTAGE), &format!("no outage was armed for \"{alias}\""))?;
    let what = format!("AMAPI to refuse {n} requests about \"{alias}\" during the outage");
    // The outage's start counts as one firing; each refusal as one more.
    fired_at_least(w, id, n + 1, &what).await
}

#[given(regex = r"^AMAPI answers every command with (\d{3})$")]
async fn every_command(w: &mut LockstepWorld, status: u16) -> StepResult {
    let what = format!("the {status} {EVERY_COMMAND}");
    w.arm_fault(&what, |device| Fault::error(status).on(ISSUE_COMMAND).method("POST").device(device))
}

/// What an "answers every command" fault is called in the scenario's list.
const EVERY_COMMAND: &str = "answer to every command";

/// Wait until "AMAPI answers every command" has answered `n` more commands
/// for the device than when the step began: more than one round of the
/// MDM's attempts, so what is checked next was decided by a round that began
/// after the step before (after the clock moved, say), not by one before it.
#[when(regex = r#"^AMAPI has turned away (\d+) more commands? for "(\w+)"$"#)]
async fn turned_away(w: &mut LockstepWorld, n: u32, alias: String) -> StepResult {
    let missing = format!("AMAPI was not told to answer every command for \"{alias}\"");
    let id = armed_for(w, &alias, |what| what.contains(EVERY_COMMAND), &missing)?;
    let start = w.stack()?.mock().fault_fired(&id).unwrap_or(0);
    let what = format!("AMAPI to turn away {n} more commands for \"{alias}\"");
    fired_at_least(w, id, start + n, &what).await
}

#[given(regex = r"^AMAPI answers the next (\d+) reads? of an operation with (\d{3})$")]
async fn operation_reads(w: &mut LockstepWorld, count: u32, status: u16) -> StepResult {
    let what = format!("the {status} answer to the next {count} read(s) of an operation");
    w.arm_fault(&what, |device| Fault::error(status).on(GET_OPERATION).method("GET").device(device).times(count))
}
