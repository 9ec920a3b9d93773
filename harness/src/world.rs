//! The world of one scenario: its own stack (AMAPI mock, MDM, mail sink,
//! devices, clock), the people in it, the devices they hold, and what the
//! scenario has learnt so far (passcodes, the MDM's last answers). No two
//! scenarios share any of it.

pub use crate::cast::{Handset, Person, Role, OBSERVER};
use crate::config::RunConfig;
use crate::driver::{Accepted, BatchResult, Preview, Refusal};
use crate::passcodes::Rng;
use crate::redact::Secrets;
use crate::stack::{SharedTarget, Stack};
use crate::tags::VENDORS;
use android_sim::Passcode;
use cucumber::gherkin;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One scenario's world.
#[derive(Default, cucumber::World)]
pub struct LockstepWorld {
    pub config: Option<Arc<RunConfig>>,
    /// The scenario's tracing span: the stack's servers (mock, MDM, mail
    /// sink) run inside it, so each of their log lines names the scenario.
    pub span: Option<tracing::Span>,
    pub secrets: Secrets,
    pub rng: Option<Rng>,
    pub vendor: String,
    pub stack: Option<Stack>,
    pub people: BTreeMap<String, Person>,
    pub handsets: BTreeMap<String, Handset>,
    /// A work-profile passcode policy for the next enrollments.
    pub policy: Option<crate::driver::PasswordPolicy>,
    /// The MDM's last answer to an action request or the reset wizard.
    pub last: Option<LastAnswer>,
    /// The last direct AMAPI command's final operation.
    pub amapi_result: Option<serde_json::Value>,
    /// The AMAPI faults this scenario armed: the mock's id and what it is.
    pub faults: Vec<(String, String)>,
    /// Sessions a person signed out of, by name: a check may try them again.
    pub ended_sessions: BTreeMap<String, String>,
}

impl fmt::Debug for LockstepWorld {
    // The derived form would print passcodes; this one prints none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockstepWorld")
            .field("vendor", &self.vendor)
            .field("people", &self.people.keys().collect::<Vec<_>>())
            .field("devices", &self.handsets.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What the MDM last answered to an action request or the reset wizard.
#[derive(Debug, Clone)]
pub enum LastAnswer {
    Started(Accepted),
    Batch(Vec<BatchResult>),
    Preview(Box<Preview>),
    Refused(Refusal),
}

impl LastAnswer {
    /// The answer, or its refusal.
    pub fn from_answer<T>(answer: Result<T, Refusal>, ok: impl FnOnce(T) -> LastAnswer) -> LastAnswer {
        match answer {
            Ok(t) => ok(t),
            Err(r) => LastAnswer::Refused(r),
        }
    }

    /// One line for a failure message.
    pub fn summary(&self) -> String {
        match self {
            LastAnswer::Started(a) => format!("accepted: action {} ({})", a.action_id, a.status),
            LastAnswer::Batch(r) => format!("a batch of {} result(s)", r.len()),
            LastAnswer::Preview(p) => format!(
                "the wizard for device {} (can_reset {}, {} requirement(s))",
                p.device.id,
                p.can_reset,
                p.requirements.len()
            ),
            LastAnswer::Refused(r) => format!("refused: {r}"),
        }
    }
}

/// A step that did not hold. Its message is redacted when it is made.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

pub type StepResult = Result<(), Failure>;

/// Poll `check` until it returns `Some`, or fail with `what` after
/// the run's patience (`--patience`); the failure is redacted like every other.
/// Against the embedded MDM, `check` runs again as soon as the MDM has done
/// some of its background work (a dispatch, a push, a sweep round that had
/// something to do), which is when what a step waits for comes true; the
/// backoff stays as the fallback.
pub async fn eventually<T, F, Fut>(world: &LockstepWorld, what: &str, check: F) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, Failure>>,
{
    let wake = world.stack.as_ref().and_then(Stack::work_done);
    crate::patience::poll_woken(check, wake)
        .await?
        .ok_or_else(|| world.fail(format!("waited {}: {what}", crate::patience::describe(crate::patience::current()))))
}

impl LockstepWorld {
    /// Set the scenario up: its vendor from its tags, its seed, its stack.
    pub async fn start(
        &mut self,
        config: Arc<RunConfig>,
        shared: Option<Arc<SharedTarget>>,
        secrets: Secrets,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) {
        // A scenario's own vendor tag wins over its rule's and feature's:
        // the tags come feature first, so look from the end.
        let tags: Vec<String> = crate::suite::scenario_tags(&feature.tags, rule, scenario);
        let tags: Vec<&String> = tags.iter().rev().collect();
        self.vendor = match &shared {
            // An external MDM is what it is; the runner skipped other vendors' scenarios.
            Some(shared) => shared.vendor.clone(),
            None => tags
                .iter()
                .find(|t| VENDORS.contains(&t.as_str()))
                .map(|t| t.to_string())
                .or_else(|| config.vendor.clone())
                .unwrap_or_else(|| "miradore".into()),
        };
        let name = format!("{}::{}::{}", feature.name, scenario.name, scenario.position.line);
        let mut rng = Rng::for_scenario(config.seed, &name);
        // On a shared MDM the run's salt keeps this run's people apart from
        // an earlier run's of the same seed.
        let salt = shared.as_ref().map_or(0, |s| s.salt);
        let nonce = format!("{:08x}", (rng.next_u64() as u32) ^ salt);
        self.rng = Some(rng);
        self.secrets = secrets;
        // Device-side checks need no MDM: no stack (steps::firmware).
        if tags.iter().any(|t| t.as_str() == crate::tags::DEVICE_TAG) {
            self.config = Some(config);
            return;
        }
        let cast = crate::accounts::Cast::of(feature, rule, scenario);
        match Stack::start(&config, shared.as_deref(), &self.vendor, nonce, self.secrets.clone(), &cast).await {
            Ok(stack) => self.stack = Some(stack),
            // A before-hook failure fails the scenario with this message.
            Err(e) => panic!("could not start the scenario's stack: {e}"),
        }
        self.config = Some(config);
    }

    /// Tear the scenario's stack down.
    pub async fn stop(&mut self) {
        // Leave a real device as the scenario found it.
        for h in self.handsets.values() {
            if let Err(e) = h.dut.release(h.device_passcode.as_ref()).await {
                tracing::warn!("{}", self.secrets.redact(&format!("could not restore the device: {e}")));
            }
        }
        if let Some(stack) = self.stack.take() {
            stack.stop().await;
        }
    }

    /// A failure message, with every known passcode masked.
    pub fn fail(&self, message: impl AsRef<str>) -> Failure {
        Failure(self.secrets.redact(message.as_ref()))
    }

    pub fn stack(&self) -> Result<&Stack, Failure> {
        self.stack.as_ref().ok_or_else(|| self.fail("the scenario's stack is not running"))
    }

    pub fn person(&self, name: &str) -> Result<&Person, Failure> {
        self.people.get(name).ok_or_else(|| {
            self.fail(format!(
                "nobody called {name} in this scenario; add a step such as `Given {name} is a site administrator`"
            ))
        })
    }

    pub fn handset(&self, alias: &str) -> Result<&Handset, Failure> {
        self.handsets
            .get(alias)
            .ok_or_else(|| self.fail(format!("no device \"{alias}\" in this scenario; enroll it first")))
    }

    pub fn handset_mut(&mut self, alias: &str) -> Result<&mut Handset, Failure> {
        if !self.handsets.contains_key(alias) {
            return Err(self.fail(format!("no device \"{alias}\" in this scenario; enroll it first")));
        }
        Ok(self.handsets.get_mut(alias).expect("checked above"))
    }

    /// Draw a passcode of the given shape and remember it as a secret.
    pub fn make_passcode(&mut self, shape: crate::passcodes::Shape) -> Passcode {
        self.draw_secret(|rng| shape.generate(rng))
    }

    /// A passcode from the scenario's seeded generator, registered with the
    /// redactor before anything can show it.
    fn draw_secret(&mut self, generate: impl FnOnce(&mut Rng) -> String) -> Passcode {
        let p = generate(self.rng.get_or_insert_with(|| Rng::new(1)));
        self.secrets.register(&p);
        Passcode::new(p)
    }

    /// A passcode of a described shape ("8 digits", "6 digits rising
    /// unevenly", "4 repeated digits", "6 characters with a symbol and an
    /// upper-case letter") from the seeded generator.
    pub fn draw_passcode(&mut self, text: &str) -> Result<Passcode, Failure> {
        use crate::passcodes::{ClassShape, Shape};
        if let Some(shape) = Shape::parse(text) {
            return Ok(self.make_passcode(shape));
        }
        let shape = ClassShape::parse(text).ok_or_else(|| {
            self.fail(format!("`{text}` is not a passcode shape such as `8 digits` or `4 repeated digits`"))
        })?;
        Ok(self.draw_secret(|rng| shape.generate(rng)))
    }

    /// Remember a passcode learnt from the MDM (mail, device page, portal).
    pub fn learn(&self, passcode: &str) -> Passcode {
        self.secrets.register(passcode);
        Passcode::new(passcode)
    }
}

impl LockstepWorld {
    /// `name`'s MDM session, signing in if there is none.
    pub async fn session(&mut self, name: &str) -> Result<String, Failure> {
        if let Some(token) = self.person(name)?.session.clone() {
            return Ok(token);
        }
        let email = self.person(name)?.email.clone();
        let token =
            self.stack()?.sign_in(&email).await.map_err(|e| self.fail(format!("{name} cannot sign in: {e}")))?;
        if let Some(p) = self.people.get_mut(name) {
            p.session = Some(token.clone());
        }
        Ok(token)
    }

    /// End `name`'s session, if any.
    pub async fn sign_out(&mut self, name: &str) -> Result<(), Failure> {
        if let Some(token) = self.person(name)?.session.clone() {
            self.stack()?.sign_out(&token).await.map_err(|e| self.fail(e.to_string()))?;
            self.ended_sessions.insert(name.to_owned(), token);
        }
        if let Some(p) = self.people.get_mut(name) {
            p.session = None;
        }
        Ok(())
    }

    /// A site administrator's session the harness uses to look things up.
    pub async fn observer(&self) -> Result<String, Failure> {
        Ok(self.stack()?.observer_session().to_owned())
    }

    /// Remember the action an MDM answer started, if it started one.
    pub fn record_action(
        &mut self,
        alias: &str,
        kind: &'static str,
        reply: &Result<Accepted, Refusal>,
        new: Option<Passcode>,
    ) -> Result<(), Failure> {
        let action = reply.as_ref().ok().map(|a| a.action_id.clone());
        let h = self.handset_mut(alias)?;
        if let Some(action) = action {
            h.last_action.insert(kind, action);
            if kind == "reset" {
                h.old_passcode = h.device_passcode.clone();
                h.new_passcode = new;
            }
        }
        Ok(())
    }

    /// The latest reset passcode on the device page of `alias`, as `name`
    /// sees it: `Ok(Some)` shown, `Ok(None)` not shown, `Err` refused.
    pub async fn latest_passcode_as(
        &mut self,
        name: &str,
        alias: &str,
    ) -> Result<Result<Option<String>, Refusal>, Failure> {
        let token = self.session(name).await?;
        let id = self.handset(alias)?.mdm_id.clone();
        let reply = self.stack()?.mdm().security(&token, &id).await.map_err(|e| self.fail(e.to_string()))?;
        Ok(reply.map(|s| s.latest_reset_passcode))
    }

    /// The passcode the last reset of `alias` set: known already (chosen by
    /// an administrator or the portal), or read from the device page as the
    /// observer once the reset has set it.
    pub async fn learn_new_passcode(&mut self, alias: &str) -> Result<Passcode, Failure> {
        if let Some(p) = self.handset(alias)?.new_passcode.clone() {
            return Ok(p);
        }
        let token = self.observer().await?;
        let id = self.handset(alias)?.mdm_id.clone();
        let mdm = self.stack()?.mdm().clone();
        let shown = eventually(self, &format!("the device page of \"{alias}\" to show the new passcode"), || {
            let (mdm, token, id) = (mdm.clone(), token.clone(), id.clone());
            async move {
                match mdm.security(&token, &id).await.map_err(|e| Failure(e.to_string()))? {
                    Ok(security) => Ok(security.latest_reset_passcode),
                    Err(r) => Err(Failure(format!("the MDM refused the observer the device page: {r}"))),
                }
            }
        })
        .await?;
        let p = self.learn(&shown);
        self.handset_mut(alias)?.new_passcode = Some(p.clone());
        Ok(p)
    }
}

impl LockstepWorld {
    /// Arm one AMAPI fault per device of this scenario, scoped to that
    /// device, so that scenarios sharing a mock never see each other's
    /// faults. `what` says in a failure what was never served.
    pub fn arm_fault(&mut self, what: &str, fault: impl Fn(&str) -> amapi_mock::faults::Fault) -> StepResult {
        if self.handsets.is_empty() {
            return Err(self.fail("a fault is scoped to the scenario's devices; enroll a device before arming it"));
        }
        let devices: Vec<String> = self.handsets.values().map(|h| h.amapi_name.clone()).collect();
        for device in devices {
            let id = format!("{device}/fault-{}", self.faults.len() + 1);
            let armed = self.stack()?.mock().add_fault(fault(&device).id(id)).map_err(|e| self.fail(e.to_string()))?;
            self.faults.push((armed, format!("{what} of {device}")));
        }
        Ok(())
    }

    /// The faults this scenario armed that never fired: each one is a
    /// scenario that passed without testing what it says it tests.
    pub fn unfired_faults(&self) -> Vec<String> {
        let Some(stack) = self.stack.as_ref() else { return Vec::new() };
        self.faults
            .iter()
            .filter(|(id, _)| stack.mock().fault_fired(id).unwrap_or(0) == 0)
            .map(|(_, what)| format!("{what} was never served"))
            .collect()
    }
}

/// How long nothing may change (the mock's journal for this scenario's
/// devices, the mail to its people) before an external MDM counts as quiet:
/// it tells nothing of its own work, so only time can.
pub const SETTLE_WINDOW: std::time::Duration = std::time::Duration::from_millis(400);

impl LockstepWorld {
    /// What a negative or counting check needs to be true before it looks:
    /// every action of the scenario settled, then nothing left that could
    /// still write to AMAPI or send mail. Never a snapshot.
    ///
    /// The embedded MDM says when its background work has run dry
    /// ([`reference_mdm::Activity`]); then the system is quiet when no
    /// Pub/Sub push is on its way to it and a whole background round (sweep
    /// and mail outbox) that began after a look changes nothing: the mock's
    /// journal of writes for the scenario's devices, the mail to its people,
    /// the pushes made. An external MDM says nothing, so the journal and the
    /// mail must stay unchanged for a [`SETTLE_WINDOW`].
    pub async fn quiesce(&self) -> Result<(), Failure> {
        let aliases: Vec<String> = self.handsets.keys().cloned().collect();
        for alias in &aliases {
            self.settle(alias).await?;
        }
        let stack = self.stack()?;
        let devices: Vec<String> = self.handsets.values().map(|h| h.amapi_name.clone()).collect();
        let emails: Vec<String> = self.people.values().map(|p| p.email.clone()).collect();
        let fingerprint = || {
            let journal = devices
                .iter()
                .map(|d| {
                    let filter =
                        amapi_mock::JournalFilter { path_prefix: Some(format!("/v1/{d}")), ..Default::default() };
                    // Reads change nothing: an MDM polling a sent command's
                    // operation (the device is offline) is quiet all the same.
                    stack.mock().journal(&filter).iter().filter(|e| e.method != "GET").map(|e| e.seq).max().unwrap_or(0)
                })
                .collect::<Vec<_>>();
            let mail: usize = emails.iter().map(|e| stack.mail_to(e).len()).sum();
            (journal, mail)
        };
        match stack.activity() {
            Some(activity) => self.quiesce_embedded(stack, activity, &fingerprint).await,
            None => self.quiesce_window(&fingerprint).await,
        }
    }

    async fn quiesce_embedded<F: PartialEq>(
        &self,
        stack: &Stack,
        mut activity: tokio::sync::watch::Receiver<reference_mdm::Activity>,
        fingerprint: &impl Fn() -> F,
    ) -> Result<(), Failure> {
        let patience = crate::patience::current();
        let deadline = tokio::time::Instant::now() + patience;
        let waited = || {
            self.fail(format!("waited {}: the MDM to finish its background work and the Pub/Sub pushes to it to be acknowledged ({} still on their way)", crate::patience::describe(patience), stack.pushes_in_flight()))
        };
        loop {
            // A push is on its way for the moment between its publication and
            // the mock's note of the MDM's answer: a millisecond on loopback.
            let mut pause = std::time::Duration::from_micros(500);
            while stack.pushes_in_flight() > 0 {
                if tokio::time::Instant::now() >= deadline {
                    return Err(waited());
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(20));
            }
            let before = (fingerprint(), stack.push_attempts());
            let begun = activity.borrow_and_update().rounds_begun;
            stack.wake_mdm();
            let round = activity.wait_for(|a| a.rounds_done > begun && a.busy == 0);
            match tokio::time::timeout_at(deadline, round).await {
                Ok(Ok(_)) => {}
                // The MDM stopped under us: nothing more can come from it.
                Ok(Err(_)) => return Ok(()),
                Err(_) => return Err(waited()),
            }
            if stack.pushes_in_flight() == 0 && (fingerprint(), stack.push_attempts()) == before {
                return Ok(());
            }
        }
    }

    async fn quiesce_window<F: PartialEq>(&self, fingerprint: &impl Fn() -> F) -> Result<(), Failure> {
        let last = std::cell::RefCell::new(fingerprint());
        eventually(self, "the AMAPI journal and the mail sink to stay unchanged for a settle window", || {
            let last = &last;
            async move {
                tokio::time::sleep(SETTLE_WINDOW).await;
                let now = fingerprint();
                let quiet = now == *last.borrow();
                *last.borrow_mut() = now;
                Ok(quiet.then_some(()))
            }
        })
        .await
    }
}

impl LockstepWorld {
    /// Wait until every action this scenario started on `alias` has done
    /// what it can: settled (completed, failed, expired, cancelled), or sent
    /// and waiting in the device's queue (offline, or not booted).
    pub async fn settle(&self, alias: &str) -> Result<(), Failure> {
        let h = self.handset(alias)?;
        if h.last_action.is_empty() {
            return Ok(());
        }
        let actions: Vec<String> = h.last_action.values().cloned().collect();
        let (device, token) = (h.amapi_name.clone(), self.observer().await?);
        let stack = self.stack()?;
        let mdm = stack.mdm().clone();
        let mock = stack.mock().clone();
        eventually(self, &format!("the actions on \"{alias}\" to settle"), || {
            let (mdm, token, actions, mock, device) =
                (mdm.clone(), token.clone(), actions.clone(), mock.clone(), device.clone());
            async move {
                let queued = mock.device_view(&device).map(|v| v.pending_commands > 0).unwrap_or(false);
                for id in &actions {
                    let action = mdm
                        .action(&token, id)
                        .await
                        .map_err(|e| Failure(e.to_string()))?
                        .map_err(|r| Failure(format!("the MDM refused the observer the action log: {r}")))?;
                    match action.status.as_str() {
                        _ if action.is_terminal() => {}
                        "sent" if queued => {}
                        _ => return Ok(None),
                    }
                }
                Ok(Some(()))
            }
        })
        .await
    }
}
