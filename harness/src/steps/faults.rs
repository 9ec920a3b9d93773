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

/// Wait until the outage has turned `n` requests about the device away, so
/// that what the scenario checks next was checked while it lasted, not
/// before the MDM had even tried.
#[when(regex = r#"^AMAPI has refused (\d+) requests? about "(\w+)" during the outage$"#)]
async fn refused_during_outage(w: &mut LockstepWorld, n: u32, alias: String) -> StepResult {
    let device = w.handset(&alias)?.amapi_name.clone();
    let id = w
        .faults
        .iter()
        .find(|(_, what)| what.starts_with(OUTAGE) && what.ends_with(&format!(" of {device}")))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| w.fail(format!("no outage was armed for \"{alias}\"")))?;
    let mock = w.stack()?.mock().clone();
    let what = format!("AMAPI to refuse {n} requests about \"{alias}\" during the outage");
    eventually(w, &what, || {
        // The outage's start counts as one firing; each refusal as one more.
        let fired = mock.fault_fired(&id).unwrap_or(0);
        async move { Ok((fired > n).then_some(())) }
    })
    .await
}

#[given(regex = r"^AMAPI answers every command with (\d{3})$")]
async fn every_command(w: &mut LockstepWorld, status: u16) -> StepResult {
    let what = format!("the {status} answer to every command");
    w.arm_fault(&what, |device| Fault::error(status).on(ISSUE_COMMAND).method("POST").device(device))
}

#[given(regex = r"^AMAPI answers the next (\d+) reads? of an operation with (\d{3})$")]
async fn operation_reads(w: &mut LockstepWorld, count: u32, status: u16) -> StepResult {
    let what = format!("the {status} answer to the next {count} read(s) of an operation");
    w.arm_fault(&what, |device| Fault::error(status).on(GET_OPERATION).method("GET").device(device).times(count))
}
