//! The MDM's container (@docker scenarios, `--target docker:IMAGE`): AMAPI
//! made slow enough that a command is inside it when the MDM dies, and the
//! MDM's container cut off, killed with SIGKILL and started again on its
//! volume. Without a container these steps fail saying so; the selection
//! skips @docker scenarios on other targets before they get here.

use super::StepDoc;
use crate::world::{eventually, Failure, LockstepWorld, StepResult};
use amapi_mock::faults::{Effect, Fault, Latency};
use amapi_mock::JournalFilter;
use cucumber::{given, when};

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "Given",
        pattern: "AMAPI takes <n> second(s) to answer each command",
        example: "Given AMAPI takes 2 seconds to answer each command",
    },
    StepDoc {
        keyword: "When",
        pattern: "the MDM's container is cut off while AMAPI carries out a command, then killed with SIGKILL and started again on its volume",
        example: "When the MDM's container is cut off while AMAPI carries out a command, then killed with SIGKILL and started again on its volume",
    },
];

pub fn anchor() {}

#[given(regex = r"^AMAPI takes (\d+) seconds? to answer each command$")]
async fn slow_commands(w: &mut LockstepWorld, seconds: u64) -> StepResult {
    let what = format!("the {seconds} s delay of every command");
    w.arm_fault(&what, |device| {
        Fault::new(Effect::Latency { latency: Latency::Fixed { ms: seconds * 1000 } })
            .on("enterprises.devices.issueCommand")
            .method("POST")
            .device(device)
    })
}

/// The crash the MDM must survive: a command is inside AMAPI (its delay
/// has begun), the MDM's container loses its network so the answer can
/// never reach it, AMAPI carries the command out, and only then is the
/// container killed and started again on the same volume. The MDM knows it
/// tried, cannot know whether AMAPI took the command, and must find out
/// before it sends anything.
#[when(
    regex = r"^the MDM's container is cut off while AMAPI carries out a command, then killed with SIGKILL and started again on its volume$"
)]
async fn crash_mid_command(w: &mut LockstepWorld) -> StepResult {
    let stack = w.stack()?;
    let Some(container) = stack.container() else {
        return Err(w.fail("this step needs the MDM in a container: run with --target docker:IMAGE"));
    };
    if w.faults.is_empty() {
        return Err(w.fail("no command is slowed down; add `Given AMAPI takes 2 seconds to answer each command` first"));
    }
    let mock = stack.mock().clone();
    let faults: Vec<String> = w.faults.iter().map(|(id, _)| id.clone()).collect();
    eventually(w, "a command of this scenario to reach AMAPI", || {
        let fired = faults.iter().any(|id| mock.fault_fired(id).unwrap_or(0) > 0);
        async move { Ok::<_, Failure>(fired.then_some(())) }
    })
    .await?;
    container.cut_off().await.map_err(|e| w.fail(e.to_string()))?;
    let devices: Vec<String> = w.handsets.values().map(|h| h.amapi_name.clone()).collect();
    let carried_out = || {
        devices
            .iter()
            .map(|d| {
                let filter = JournalFilter {
                    method: Some("POST".into()),
                    path_prefix: Some(format!("/v1/{d}:issueCommand")),
                    ..Default::default()
                };
                mock.journal(&filter).iter().filter(|e| (200..300).contains(&e.status)).count()
            })
            .sum::<usize>()
    };
    eventually(w, "AMAPI to carry out a command whose answer the cut-off MDM cannot receive", || {
        let n = carried_out();
        async move { Ok::<_, Failure>((n > 0).then_some(())) }
    })
    .await?;
    container.kill().await.map_err(|e| w.fail(e.to_string()))?;
    container.restart().await.map_err(|e| w.fail(e.to_string()))?;
    Ok(())
}
