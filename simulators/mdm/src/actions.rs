//! The action pipeline: an action is recorded (committed) first, then its
//! command goes to AMAPI, then its outcome comes back by Pub/Sub or by
//! polling, and only then is the passcode mailed.
//!
//! Never twice for one action. Before each attempt to issue a command
//! the store records the attempt. When an attempt may have reached AMAPI
//! without our learning the answer (a 5xx, a broken connection, a crash
//! between the request and the commit of its answer), the next attempt
//! first looks through the device's operations (`operations.list`) for the
//! one we issued: an operation of this device, of the action's command
//! type, created no earlier than the action's first attempt (less a
//! tolerance for clock skew), that no other action has claimed. Commands
//! to one device go out one at a time in the order they were recorded, so
//! that match is unambiguous. Only when none is found is the command issued
//! again. The operation's name is stored the moment it is known.

use crate::amapi::AmapiError;
use crate::config::Defect;
use crate::mdm::Mdm;
use crate::outcome::{self, Reason, ReasonCode};
use crate::store::{parse_ts, Action, ActionKind, ActionStatus, Finish, NewNotification, StoreError};
use serde_json::{json, Value};
use std::sync::{Arc, PoisonError};

/// How far before our first attempt an operation's createTime may lie and
/// still be ours (clock skew between the MDM and AMAPI). Our choice.
const SKEW_TOLERANCE_SECONDS: i64 = 120;

impl Mdm {
    /// Send the pending commands of one device, oldest first. Returns when
    /// none is pending, or when AMAPI keeps failing (the sweeper comes back).
    pub(crate) async fn dispatch_device(self: &Arc<Self>, device_id: &str) {
        let lock = self.device_lock(device_id);
        let _one_at_a_time = lock.lock().await;
        loop {
            let next = match self.store.actions(Some(device_id), Some("pending")) {
                Ok(list) => list.into_iter().next(),
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the action log");
                    return;
                }
            };
            let Some(action) = next else { return };
            match self.dispatch_one(&action).await {
                Ok(true) => continue,
                Ok(false) => return,
                Err(e) => {
                    tracing::error!(action = %action.id, error = %e, "cannot record the action's progress");
                    return;
                }
            }
        }
    }

    /// Try to get one action's command accepted by AMAPI. `Ok(true)` when
    /// the action left `pending` (sent or finished).
    async fn dispatch_one(self: &Arc<Self>, action: &Action) -> Result<bool, StoreError> {
        let Some(device) = self.store.device(&action.device_id)? else {
            let reason = Reason::ours(ReasonCode::DeviceGone, "The device is no longer in the inventory.");
            self.finish(action, ActionStatus::Failed, Some(reason))?;
            return Ok(true);
        };
        let passcode = self.store.passcode_of(&action.id)?;
        let command = self.command_for(action, passcode.as_deref());
        let retry = self.amapi.retry_policy();
        // After a restart we cannot know whether the last attempt reached AMAPI.
        let mut ambiguous = action.attempts > 0 && !self.has(Defect::ReissuesAfterRestart);
        let mut saw_quota = false;
        // Whether every failure of this round was a 429 (for the defect only).
        let mut only_quota = true;
        for attempt in 0..retry.max_attempts {
            if attempt > 0 {
                tokio::time::sleep(self.amapi.backoff(attempt - 1)).await;
            }
            if ambiguous {
                match self.find_issued(action, &device.amapi_name).await {
                    Ok(Some(op)) => {
                        tracing::info!(action = %action.id, "found the command AMAPI already has; not issuing again");
                        self.adopt(action, &op)?;
                        return Ok(true);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::debug!(action = %action.id, error = %e, "cannot list operations yet");
                        continue;
                    }
                }
            }
            self.store.record_attempt(&action.id, self.now())?;
            match self.amapi.issue_command(&device.amapi_name, &command).await {
                Ok(op) => {
                    self.adopt(action, &op)?;
                    if saw_quota && self.has(Defect::DuplicateCommandAfter429) {
                        // The defect: a second retry layer fires the command again.
                        let _ = self.amapi.issue_command(&device.amapi_name, &command).await;
                    }
                    return Ok(true);
                }
                Err(e) if self.gives_up_on(&e) => {
                    let reason =
                        scrub(&format!("Android Management API refused the command: {e}"), passcode.as_deref());
                    self.finish(action, ActionStatus::Failed, Some(Reason::ours(ReasonCode::CommandRefused, reason)))?;
                    return Ok(true);
                }
                Err(e) => {
                    tracing::info!(action = %action.id, status = ?e.status(), "issueCommand failed; will retry");
                    // The defect: take an unknown outcome for "not done".
                    ambiguous = e.is_ambiguous() && !self.has(Defect::ReissuesAfterLostAnswer);
                    saw_quota |= e.is_quota();
                    only_quota &= e.is_quota();
                }
            }
        }
        if only_quota && self.has(Defect::GivesUpAfterOne429Round) {
            let reason = "Android Management API kept answering \"too many requests\"; the command was not sent.";
            self.finish(action, ActionStatus::Failed, Some(Reason::ours(ReasonCode::NeverAccepted, reason)))?;
            return Ok(true);
        }
        if self.has(Defect::NoExpiryHandling) {
            return Ok(false);
        }
        // Out of attempts for now. Give up for good only once the command's
        // own duration has passed since the action was recorded.
        let age = parse_ts(&action.created_at).map(|t| self.now() - t).unwrap_or_default();
        if age.num_seconds() > i64::try_from(self.command_duration.as_secs()).unwrap_or(i64::MAX) {
            if let Ok(Some(op)) = self.find_issued(action, &device.amapi_name).await {
                self.adopt(action, &op)?;
            } else {
                let reason = "Android Management API did not accept the command before it would have expired; \
                              nothing was sent to the device.";
                self.finish(action, ActionStatus::Failed, Some(Reason::ours(ReasonCode::NeverAccepted, reason)))?;
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// Whether a failed issueCommand ends the action: AMAPI refused it for
    /// good (a 4xx other than 429). A 429, a 5xx or no answer is passing
    /// trouble, retried.
    fn gives_up_on(&self, e: &AmapiError) -> bool {
        let status = e.status().unwrap_or(0);
        if self.has(Defect::Retries400) && status == 400 {
            return false;
        }
        if self.has(Defect::NoRetryAfter5xx) && status >= 500 {
            return true;
        }
        !e.is_retryable()
    }

    /// The AMAPI Command for an action.
    fn command_for(&self, action: &Action, passcode: Option<&str>) -> Value {
        let duration = format!("{}s", self.command_duration.as_secs());
        match action.kind {
            ActionKind::Lock => json!({"type": "LOCK", "duration": duration}),
            ActionKind::ResetPasscode => {
                let mut c = json!({"type": "RESET_PASSWORD", "duration": duration});
                if let Some(p) = passcode.filter(|p| !p.is_empty()) {
                    c["newPassword"] = Value::String(p.to_owned());
                }
                if action.lock_now {
                    c["resetPasswordFlags"] = json!(["LOCK_NOW"]);
                }
                c
            }
        }
    }

    /// The operation AMAPI made for this action's command, if it has one.
    async fn find_issued(&self, action: &Action, device: &str) -> Result<Option<Value>, AmapiError> {
        // Re-read: the attempt was recorded after `action` was loaded.
        let stored = self.store.action(&action.id).ok().flatten();
        let first_attempt = stored.as_ref().and_then(|a| a.first_attempt_at.as_deref()).and_then(parse_ts);
        let Some(first) = first_attempt else {
            // Never attempted: nothing can be out there.
            return Ok(None);
        };
        let since = first - chrono::Duration::seconds(SKEW_TOLERANCE_SECONDS);
        let ops = self.amapi.list_operations(device).await?;
        let mut candidates: Vec<(chrono::DateTime<chrono::Utc>, Value)> = ops
            .into_iter()
            .filter(|op| op.pointer("/metadata/type").and_then(Value::as_str) == Some(action.kind.command_type()))
            .filter_map(|op| {
                let created = op.pointer("/metadata/createTime").and_then(Value::as_str).and_then(parse_ts)?;
                (created >= since).then_some((created, op))
            })
            .filter(|(_, op)| {
                let name = op.get("name").and_then(Value::as_str).unwrap_or("");
                !name.is_empty() && !self.store.operation_claimed(name).unwrap_or(true)
            })
            .collect();
        candidates.sort_by_key(|(t, _)| *t);
        Ok(candidates.into_iter().next().map(|(_, op)| op))
    }

    /// Keep the operation's name, then read its outcome if it is done,
    /// from the answer or from a notification that came before it.
    fn adopt(&self, action: &Action, op: &Value) -> Result<(), StoreError> {
        let Some(name) = op.get("name").and_then(Value::as_str) else { return Ok(()) };
        let early = {
            // Under the same lock as the push handler's look-up: a
            // notification is either kept for us here or finds the action.
            let mut early = self.early_operations.lock().unwrap_or_else(PoisonError::into_inner);
            self.store.mark_sent(&action.id, name, self.now())?;
            early.take(name)
        };
        self.apply_operation(op)?;
        if let Some(finished) = early {
            tracing::debug!(action = %action.id, "applying the COMMAND notification that came before the answer");
            self.apply_operation(&finished)?;
        }
        Ok(())
    }

    /// An operation we heard about (push, poll, issue answer): if it is
    /// done and belongs to an unfinished action, finish that action.
    pub(crate) fn apply_operation(&self, op: &Value) -> Result<(), StoreError> {
        let Some(name) = op.get("name").and_then(Value::as_str) else { return Ok(()) };
        let action = {
            let mut early = self.early_operations.lock().unwrap_or_else(PoisonError::into_inner);
            match self.store.action_by_operation(name)? {
                Some(action) => action,
                None => {
                    if op.get("done").and_then(Value::as_bool) == Some(true) {
                        early.keep(name, op);
                    }
                    return Ok(());
                }
            }
        };
        if action.status.is_terminal() {
            return Ok(());
        }
        if let Some(mut ended) = outcome::read(op, action.kind) {
            if let (Some(r), true) = (ended.reason.as_mut(), self.has(Defect::GenericReasonCode)) {
                if ended.status == ActionStatus::Failed {
                    r.code = "UNKNOWN".into();
                }
            }
            self.finish(&action, ended.status, ended.reason)?;
        }
        Ok(())
    }

    /// Move an action to a terminal status, queueing its mail and notifications.
    pub(crate) fn finish(
        &self,
        action: &Action,
        status: ActionStatus,
        reason: Option<Reason>,
    ) -> Result<(), StoreError> {
        let device = self.store.device(&action.device_id)?;
        let user_email = device.as_ref().and_then(|d| d.user_email.clone());
        let label = device.as_ref().map(device_label).unwrap_or_else(|| action.device_id.clone());
        let mut finish = Finish {
            status,
            reason: reason.as_ref().map(|r| r.sentence.clone()),
            reason_code: reason.as_ref().map(|r| r.code.clone()),
            mail: vec![],
            notifications: vec![],
            awaiting_user_change: false,
        };
        let is_reset = action.kind == ActionKind::ResetPasscode;
        let portal = action.channel == "portal";
        if status == ActionStatus::Completed && is_reset && action.has_new_passcode {
            if self.vendor.reset.mail_to_admin && !portal {
                finish.mail.push((action.requested_by.clone(), "admin".into()));
            }
            if action.send_to_user && !self.has(Defect::NoMailToUser) {
                if let Some(u) = &user_email {
                    finish.mail.push((u.clone(), "user".into()));
                }
            }
            if self.vendor.portal.enabled {
                finish.awaiting_user_change = true;
                if let Some(u) = &user_email {
                    finish.notifications.push(NewNotification {
                        email: u.clone(),
                        device_id: action.device_id.clone(),
                        kind: "temporary-passcode".into(),
                        message: format!(
                            "The passcode of {label} was replaced by a temporary passcode. Find it in the device's \
                             details, unlock the device with it, then set a new passcode in Settings."
                        ),
                    });
                }
            }
        }
        if portal && status != ActionStatus::Completed && !self.has(Defect::NoPortalFailureNotice) {
            if let Some(u) = &user_email {
                finish.notifications.push(NewNotification {
                    email: u.clone(),
                    device_id: action.device_id.clone(),
                    kind: "reset-failed".into(),
                    message: format!(
                        "The passcode reset of {label} did not succeed ({}): {}",
                        status.as_str(),
                        reason.as_ref().map_or("no reason given", |r| r.sentence.as_str())
                    ),
                });
            }
        }
        let changed = self.store.finish_action(&action.id, &finish, self.now())?;
        if changed {
            tracing::info!(action = %action.id, status = status.as_str(), "action finished");
            if !finish.mail.is_empty() {
                self.mail_wake.notify_one();
            }
        }
        Ok(())
    }

    /// A STATUS_REPORT came for a device: if a reset left it with a
    /// temporary passcode, take the report as the sign that the user has
    /// set their own passcode since (see the crate README: our choice).
    pub(crate) fn status_reported(
        &self,
        device_id: &str,
        reported_at: Option<&str>,
        secure: Option<bool>,
    ) -> Result<(), StoreError> {
        if secure == Some(false) || self.has(Defect::NoPortalSuccessNotice) {
            return Ok(());
        }
        let reported = reported_at.and_then(parse_ts);
        for action in self.store.awaiting_user_change(device_id)? {
            let finished = action.finished_at.as_deref().and_then(parse_ts);
            if let (Some(r), Some(f)) = (reported, finished) {
                if r <= f {
                    continue;
                }
            }
            let Some(user) = self.store.device(device_id)?.and_then(|d| d.user_email) else { continue };
            let n = NewNotification {
                email: user,
                device_id: device_id.to_owned(),
                kind: "passcode-changed".into(),
                message: "Your new passcode is set: the passcode reset was successful.".into(),
            };
            self.store.user_changed_passcode(&action.id, &n, self.now())?;
        }
        Ok(())
    }

    /// One round of the fallback: dispatch what is pending, poll what is
    /// sent. Whether there was anything unfinished to look at.
    pub(crate) async fn sweep(self: &Arc<Self>) -> bool {
        let unfinished = match self.store.unfinished_actions() {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the action log");
                return false;
            }
        };
        let mut pending_devices: Vec<String> = Vec::new();
        for a in &unfinished {
            match (a.status, &a.operation_name) {
                (ActionStatus::Sent, Some(op)) => match self.amapi.get_operation(op).await {
                    Ok(op) => {
                        if let Err(e) = self.apply_operation(&op) {
                            tracing::error!(error = %e, "cannot record an outcome");
                        }
                    }
                    Err(e) if e.is_not_found() => {
                        let reason = "Android Management API no longer knows the command, so its outcome is unknown.";
                        let _ =
                            self.finish(a, ActionStatus::Failed, Some(Reason::ours(ReasonCode::OperationLost, reason)));
                    }
                    Err(e) if self.has(Defect::FailsActionWhenPollFails) => {
                        let reason = format!("The command's outcome could not be read: {e}");
                        let _ = self.finish(
                            a,
                            ActionStatus::Failed,
                            Some(Reason::ours(ReasonCode::OperationFailed, reason)),
                        );
                    }
                    Err(e) => tracing::debug!(action = %a.id, error = %e, "poll failed; will try again"),
                },
                _ if a.status == ActionStatus::Pending && !pending_devices.contains(&a.device_id) => {
                    pending_devices.push(a.device_id.clone());
                }
                _ => {}
            }
        }
        for d in pending_devices {
            // A device whose commands are being sent right now needs no second sender.
            if self.device_lock(&d).try_lock().is_err() {
                continue;
            }
            let mdm = Arc::clone(self);
            let busy = self.activity.busy();
            tokio::spawn(tracing::Instrument::in_current_span(async move {
                let _busy = busy;
                mdm.dispatch_device(&d).await
            }));
        }
        !unfinished.is_empty()
    }

    /// Send the mail waiting in the outbox. Whether there was any.
    pub(crate) async fn flush_mail(&self) -> bool {
        let _one_flush = self.mail_flush.lock().await;
        let waiting = self.store.unsent_mail().is_ok_and(|m| !m.is_empty());
        self.mailer
            .flush(&self.store, |entry| {
                let action = self.store.action(&entry.action_id).ok()??;
                let passcode = self.store.passcode_of(&entry.action_id).ok()??;
                let device = self.store.device(&action.device_id).ok()??;
                Some(crate::mail::Composed {
                    device_label: device_label(&device),
                    device_user: device.user_email.clone().unwrap_or_else(|| "unknown".into()),
                    passcode,
                    requested_by: action.requested_by,
                    product: self.vendor.vendor.product.clone(),
                })
            })
            .await;
        waiting
    }
}

/// "Google Pixel 8 (3dc9d72fbd517bbc)".
pub(crate) fn device_label(d: &crate::store::DeviceRow) -> String {
    let make = [d.manufacturer.as_deref(), d.model.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if make.is_empty() {
        format!("device {}", d.id)
    } else {
        format!("{make} ({})", d.id)
    }
}

/// Remove a passcode from a message that might echo the command.
pub(crate) fn scrub(message: &str, passcode: Option<&str>) -> String {
    match passcode.filter(|p| !p.is_empty()) {
        Some(p) => message.replace(p, "<redacted>"),
        None => message.to_owned(),
    }
}

/// Finished operations not (yet) known as any action's command.
///
/// AMAPI delivers a command to an online device at once, and its COMMAND
/// notification can reach the MDM before the answer to the issueCommand
/// that created it does (Pub/Sub promises no order against an HTTP answer).
/// Such a notification names an operation the MDM has not recorded yet;
/// dropping it would leave the action waiting for the next poll. It is kept
/// here until the answer comes and the action adopts the operation. Bounded:
/// operations of other AMAPI clients land here too and are forgotten,
/// oldest first, once [`EarlyOperations::CAPACITY`] are kept (the poll still
/// finds any action whose notification was forgotten).
#[derive(Debug, Default)]
pub(crate) struct EarlyOperations {
    kept: std::collections::VecDeque<(String, Value)>,
}

impl EarlyOperations {
    const CAPACITY: usize = 64;

    fn keep(&mut self, name: &str, op: &Value) {
        self.kept.retain(|(n, _)| n != name);
        if self.kept.len() == Self::CAPACITY {
            self.kept.pop_front();
        }
        self.kept.push_back((name.to_owned(), op.clone()));
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        let at = self.kept.iter().position(|(n, _)| n == name)?;
        self.kept.remove(at).map(|(_, op)| op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_operations_are_taken_once_and_the_oldest_forgotten_first() {
        let mut early = EarlyOperations::default();
        for n in 0..=EarlyOperations::CAPACITY {
            early.keep(&format!("op{n}"), &json!({ "name": format!("op{n}"), "done": true }));
        }
        assert_eq!(early.take("op0"), None, "the oldest was forgotten");
        let last = format!("op{}", EarlyOperations::CAPACITY);
        assert_eq!(early.take(&last).and_then(|o| o["name"].as_str().map(String::from)), Some(last.clone()));
        assert_eq!(early.take(&last), None, "taken once");
        early.keep("op1", &json!({ "name": "op1", "done": true, "v": 2 }));
        assert_eq!(
            early.take("op1").map(|o| o["v"].clone()),
            Some(json!(2)),
            "a later notification replaces an earlier"
        );
        assert_eq!(early.take("op1"), None);
    }
}
