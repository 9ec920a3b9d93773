//! What the harness saw around a failed scenario, gathered from the
//! scenario's own stack through its public views before it is torn down:
//! the AMAPI journal's last requests (commands, operations, notifications
//! as the mock answered them), the MDM's action log, each device's final
//! state as the mock holds it, and the subjects of the mail each person
//! received (never bodies: they carry passcodes), and, when the MDM runs in
//! a container, that container's last log lines. The journal keeps no
//! passcode (the mock masks `newPassword` before it keeps a body); every
//! line is redacted again by the recorder.

use crate::report::DeviceRecord;
use crate::world::LockstepWorld;
use amapi_mock::journal::JournalFilter;

/// How many of the newest journal entries a failure shows.
const JOURNAL_EXCERPT: usize = 12;
/// How many of the MDM container's last log lines a failure shows (the
/// whole log is in the report directory, `mdm-container.log`).
const CONTAINER_EXCERPT: usize = 20;

/// Evidence lines for the scenario in `world`; empty when it had no stack
/// (device-side checks: their failure message says what the device did).
pub async fn collect(world: &LockstepWorld) -> Vec<String> {
    let Some(stack) = world.stack.as_ref() else { return Vec::new() };
    let mut lines = Vec::new();
    let filter = JournalFilter { limit: Some(JOURNAL_EXCERPT), ..Default::default() };
    for e in stack.mock().journal(&filter) {
        let command = e
            .request_body
            .as_ref()
            .and_then(|b| b.get("type"))
            .and_then(|t| t.as_str())
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        let fault = e.fault.as_ref().map(|f| format!(" (fault: {f})")).unwrap_or_default();
        lines.push(format!("AMAPI #{} {} {}{command} -> {}{fault} at {}", e.seq, e.method, e.path, e.status, e.time));
    }
    // This scenario's devices only: on a shared MDM the whole log is others' too.
    for h in world.handsets.values() {
        let filter = crate::driver::ActionFilter { device_id: Some(&h.mdm_id), status: None };
        match stack.mdm().actions(stack.observer_session(), &filter).await {
            Ok(Ok(actions)) => {
                for a in actions {
                    lines.push(format!(
                        "MDM action {} {} on {}: {}{}",
                        a.id,
                        a.kind,
                        a.device_id,
                        a.status,
                        a.reason.map(|r| format!(" ({r})")).unwrap_or_default()
                    ));
                }
            }
            Ok(Err(refusal)) => lines.push(format!("MDM action log of {}: refused: {refusal}", h.mdm_id)),
            Err(e) => lines.push(format!("MDM action log of {}: {e}", h.mdm_id)),
        }
    }
    for (alias, h) in &world.handsets {
        if let Ok(v) = stack.mock().device_view(&h.amapi_name) {
            lines.push(format!(
                "device \"{alias}\" ({}, {}): {}, boot {}, device {}, passcode {}{}, {} command(s) pending",
                v.profile,
                v.ownership,
                if v.online { "online" } else { "offline" },
                v.boot_state,
                if v.device_locked { "locked" } else { "unlocked" },
                if v.device_has_passcode { "set" } else { "none" },
                match v.work_profile_locked {
                    Some(true) => ", work profile locked",
                    Some(false) => ", work profile unlocked",
                    None => "",
                },
                v.pending_commands
            ));
        }
    }
    for (name, p) in &world.people {
        for m in stack.mail_to(&p.email) {
            lines.push(format!("mail to {name}: \"{}\"", m.subject));
        }
    }
    if let Some(c) = stack.container() {
        for line in c.logs(Some(CONTAINER_EXCERPT)).await {
            lines.push(format!("MDM container {}: {line}", c.name));
        }
    }
    lines
}

/// Register every passcode the scenario's MDM set that the scenario may not
/// have read (a reset whose passcode no step looked at): the device page's
/// latest reset passcode of each device, read as the observer. Run after
/// every scenario, before its stack stops, so the run's secrets (and the
/// leak test) know every passcode that existed.
pub async fn harvest_passcodes(world: &LockstepWorld) {
    let Some(stack) = world.stack.as_ref() else { return };
    for h in world.handsets.values() {
        let Ok(Ok(security)) = stack.mdm().security(stack.observer_session(), &h.mdm_id).await else { continue };
        if let Some(p) = security.latest_reset_passcode {
            world.secrets.register(&p);
        }
    }
}

/// The devices of the scenario, as each reports its own facts.
pub fn devices(world: &LockstepWorld) -> Vec<DeviceRecord> {
    world
        .handsets
        .iter()
        .map(|(alias, h)| {
            let f = h.dut.facts();
            DeviceRecord {
                alias: alias.clone(),
                profile: f.profile.clone(),
                api_level: f.api_level,
                ownership: f.ownership.to_string(),
            }
        })
        .collect()
}
