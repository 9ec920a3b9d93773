//! amapi-mock: a stateful emulator of Google's Android Management API v1
//! (androidmanagement.googleapis.com), with simulated Android devices
//! (android-sim) behind it, so that an MDM can be pointed at it instead of
//! Google.
//!
//! It serves enterprises, policies, enrollment tokens, devices, commands
//! and their operations, publishes Pub/Sub notifications (pushed, or pulled
//! from its Pub/Sub emulator, [`pubsub`]), and answers in
//! Google's wire format and errors. Beside the API it offers a control
//! surface (`/_lockstep/v1/...`, and the same as methods of [`Mock`]):
//! enroll simulated devices, take them offline, advance a virtual clock,
//! inject faults, read the request journal.
//!
//! Two ways to run it:
//! - in process: [`Mock::new`] then [`Mock::router`] (an axum `Router`,
//!   e.g. for `tower::ServiceExt::oneshot`);
//! - on a socket: [`serve`] binds (127.0.0.1, ephemeral port by default),
//!   enrolls a fleet file and returns a [`RunningMock`] with the base URL.
//!
//! Every choice the mock makes where AMAPI's documentation is silent is
//! marked "Our choice:" in the code and listed in the crate's README.

mod app;
pub mod apps;
pub mod clock;
mod commands;
mod control;
mod devices;
mod enrollment;
mod enterprises;
pub mod errors;
pub mod faults;
pub mod fleet;
pub mod journal;
pub mod listen;
mod migration;
mod operations;
mod partial;
mod policies;
pub mod pubsub;
mod routes;
pub mod schema;
mod serve;
mod signup;
pub mod tolerance;
mod webapps;
pub mod wire;
mod world;

pub use app::CONTROL_PREFIX;
pub use clock::{Clock, Timestamp};
pub use enrollment::Registration;
pub use errors::{ApiError, Code, Error};
pub use faults::{Effect, Fault, FaultPlan, FaultReport};
pub use fleet::{Fleet, FleetError};
pub use journal::{JournalEntry, JournalFilter};
pub use pubsub::{OidcToken, PublishedMessage, PushRetry, PushSubscription, RunningPubSub, SubscriptionConfig};
pub use serve::{serve, serve_mock, serve_mock_with, ClockChoice, RunningMock, ServeConfig};
pub use world::NotificationType;

use android_sim::{Device, DeviceProfile, SimTime};
use faults::Faults;
use journal::Journal;
use pubsub::PubSub;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use world::{Now, World};

/// How to build a mock.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Seeds ids, token values and the default fault plan's draws.
    pub seed: u64,
    pub clock: Clock,
    /// Device profiles devices can enroll as.
    pub profiles: Vec<DeviceProfile>,
    /// How many requests the journal keeps (oldest dropped first).
    pub journal_capacity: usize,
    /// How many bytes the journal keeps at most, bodies included
    /// (default [`journal::DEFAULT_BYTE_BUDGET`], 32 MiB).
    pub journal_bytes: usize,
    /// How many published messages the message log keeps.
    pub message_log_capacity: usize,
    pub push_retry: PushRetry,
    /// Strict mode: journal and warn about every request sloppiness Google
    /// merely tolerates ([`tolerance`]).
    pub strict: bool,
}

impl Default for MockConfig {
    /// A virtual clock at [`clock::DEFAULT_VIRTUAL_START`], seed 0, no profiles.
    fn default() -> Self {
        MockConfig {
            seed: 0,
            clock: Clock::virtual_at(clock::DEFAULT_VIRTUAL_START),
            profiles: Vec::new(),
            journal_capacity: 10_000,
            journal_bytes: journal::DEFAULT_BYTE_BUDGET,
            message_log_capacity: 10_000,
            push_retry: PushRetry::default(),
            strict: false,
        }
    }
}

/// One mock: its state and every control over it. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Mock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    world: Mutex<World>,
    clock: Clock,
    faults: Mutex<Faults>,
    journal: Mutex<Journal>,
    pubsub: PubSub,
    strict: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic under the lock cannot leave the state half-written in a way
    // later requests would trip on more than on the panic itself.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A new enterprise set up by the harness (not through the API).
#[derive(Clone, Debug, Default)]
pub struct EnterpriseSetup {
    pub id: String,
    pub display_name: Option<String>,
    /// Requests for this enterprise then need `Authorization: Bearer <token>`.
    pub bearer_token: Option<String>,
    pub pubsub_topic: Option<String>,
    /// ENROLLMENT, STATUS_REPORT, COMMAND... (the Enterprise field).
    pub notification_types: Vec<String>,
}

/// What a simulated device looks like from the outside, for the harness.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub name: String,
    pub profile: String,
    pub ownership: String,
    pub online: bool,
    pub boot_state: String,
    pub device_locked: bool,
    pub work_profile_locked: Option<bool>,
    pub device_has_passcode: bool,
    pub work_profile_has_passcode: Option<bool>,
    pub pending_commands: usize,
}

fn split_device_name(name: &str) -> Result<(&str, &str), ApiError> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["enterprises", e, "devices", d] if !e.is_empty() && !d.is_empty() => Ok((e, d)),
        _ => Err(ApiError::invalid_argument(
            "name",
            format!("\"{name}\" is not a device name (enterprises/E/devices/D)."),
        )),
    }
}

impl Mock {
    pub fn new(config: MockConfig) -> Self {
        let mut world = World::new(config.seed);
        for p in config.profiles {
            world.profiles.insert(p.name.clone(), Arc::new(p));
        }
        Mock {
            inner: Arc::new(Inner {
                world: Mutex::new(world),
                clock: config.clock,
                faults: Mutex::new(Faults::default()),
                journal: Mutex::new(Journal::with_budget(config.journal_capacity, config.journal_bytes)),
                pubsub: PubSub::new(config.push_retry, config.message_log_capacity),
                strict: std::sync::atomic::AtomicBool::new(config.strict),
            }),
        }
    }

    /// The axum router serving AMAPI (`/v1/...`) and the control surface.
    pub fn router(&self) -> axum::Router {
        app::router(self.clone())
    }

    /// Turn strict mode on or off.
    pub fn set_strict(&self, on: bool) {
        self.inner.strict.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_strict(&self) -> bool {
        self.inner.strict.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub(crate) fn now_pair(&self) -> Now {
        let at = self.inner.clock.now();
        Now { at, sim: self.inner.clock.sim_time(at) }
    }

    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.inner.world)
    }

    pub(crate) fn decide_fault(&self, target: &faults::Target<'_>) -> faults::Decision {
        let mut f = lock(&self.inner.faults);
        if f.is_empty() {
            return faults::Decision::default();
        }
        f.decide(target, self.now())
    }

    /// Whether any fault is armed (so requests need matching at all).
    pub(crate) fn has_faults(&self) -> bool {
        !lock(&self.inner.faults).is_empty()
    }

    pub(crate) fn start_outage(&self, id: &str, until: Timestamp) {
        lock(&self.inner.faults).start_outage(id, until);
    }

    pub(crate) fn record(&self, record: journal::Record) {
        lock(&self.inner.journal).push(record);
    }

    /// Publish notifications (outside the state lock), after the fault plan
    /// had its say on each.
    pub(crate) fn publish(&self, outgoing: Vec<world::Outgoing>) {
        if outgoing.is_empty() {
            return;
        }
        let at = self.now();
        for n in outgoing {
            let delivery = {
                let mut f = lock(&self.inner.faults);
                if f.is_empty() {
                    faults::Delivery::default()
                } else {
                    f.delivery(&faults::Note { kind: n.kind, name: n.data.get("name").and_then(Value::as_str) })
                }
            };
            self.inner.pubsub.publish(n, at, delivery);
        }
    }

    /// Run `f` on the state, then expire due commands and publish what
    /// happened.
    fn mutate<R>(&self, f: impl FnOnce(&mut World, Now) -> R) -> R {
        let now = self.now_pair();
        let mut world = self.world();
        world.prepare_outbox();
        commands::expire_due(&mut world, now);
        let out = f(&mut world, now);
        let outgoing = world.drain_notifications();
        drop(world);
        self.publish(outgoing);
        out
    }

    // ----- profiles and enterprises ---------------------------------------

    /// Make a device profile available to enrollments.
    pub fn add_profile(&self, profile: DeviceProfile) {
        self.world().profiles.insert(profile.name.clone(), Arc::new(profile));
    }

    /// Load every profile of a directory (fixtures/devices).
    pub fn load_profiles(&self, dir: &std::path::Path) -> Result<usize, android_sim::ProfileError> {
        let profiles = DeviceProfile::load_dir(dir)?;
        let n = profiles.len();
        for p in profiles {
            self.add_profile(p);
        }
        Ok(n)
    }

    pub fn profile_names(&self) -> Vec<String> {
        self.world().profiles.keys().cloned().collect()
    }

    /// Create an enterprise with a chosen id (the API's create picks one).
    pub fn create_enterprise(&self, setup: EnterpriseSetup) -> Result<String, ApiError> {
        if setup.id.is_empty() || !setup.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ApiError::invalid_argument("id", "An enterprise id is letters, digits, '-' or '_'."));
        }
        let mut fields = Map::new();
        if let Some(n) = setup.display_name {
            fields.insert("enterpriseDisplayName".into(), Value::String(n));
        }
        if let Some(t) = setup.pubsub_topic {
            fields.insert("pubsubTopic".into(), Value::String(t));
        }
        if !setup.notification_types.is_empty() {
            fields.insert(
                "enabledNotificationTypes".into(),
                setup.notification_types.into_iter().map(Value::String).collect(),
            );
        }
        let check = Value::Object(fields.clone());
        if let Err(v) = schema::validate("Enterprise", &check, schema::Mode::Request) {
            return Err(ApiError::invalid_argument(&v.field, v.description));
        }
        let mut world = self.world();
        if world.enterprises.contains_key(&setup.id) {
            return Err(ApiError::new(Code::AlreadyExists, format!("enterprises/{} already exists.", setup.id)));
        }
        // A bearer token opens one enterprise only (it stands in for an
        // OAuth identity; a second claim would make authorization ambiguous).
        if let Some(token) = &setup.bearer_token {
            if let Some(owner) = world.enterprises.values().find(|e| e.bearer_token.as_ref() == Some(token)) {
                return Err(ApiError::new(
                    Code::AlreadyExists,
                    format!("This bearer token already belongs to {}; give each enterprise its own.", owner.name()),
                ));
            }
        }
        let name = format!("enterprises/{}", setup.id);
        world.enterprises.insert(setup.id.clone(), world::Enterprise::new(setup.id, fields, setup.bearer_token));
        Ok(name)
    }

    /// Create or replace a policy (as policies.patch without a mask).
    pub fn put_policy(&self, enterprise: &str, policy: &str, body: Value) -> Result<Value, ApiError> {
        let bytes = bytes::Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let body = wire::parse_body(&bytes, "Policy", "policy")?;
        self.mutate(|w, now| {
            let e = w
                .enterprises
                .get_mut(enterprise)
                .ok_or_else(|| ApiError::not_found(format!("enterprises/{enterprise}")))?;
            let out = policies::patch(e, policy, body, None)?;
            devices::policy_changed(w, enterprise, policy, now);
            Ok(out)
        })
    }

    /// Create an enrollment token (as enrollmentTokens.create); returns the
    /// EnrollmentToken resource (its `value` is what devices present).
    pub fn create_enrollment_token(&self, enterprise: &str, body: Value) -> Result<Value, ApiError> {
        let bytes = bytes::Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let body = wire::parse_body(&bytes, "EnrollmentToken", "enrollment_token")?;
        self.mutate(|w, now| enrollment::create(w, enterprise, body, now))
    }

    // ----- devices ----------------------------------------------------------

    /// Enroll a simulated device; returns its name
    /// (`enterprises/E/devices/D`). An ENROLLMENT notification follows.
    pub fn register_device(&self, registration: &Registration) -> Result<String, ApiError> {
        let cap = lock(&self.inner.faults).device_cap();
        self.mutate(|w, now| {
            if let Some(cap) = cap {
                let enrolled: usize = w.enterprises.values().map(|e| e.devices.len()).sum();
                if enrolled >= cap as usize {
                    // Our choice: the device-count quota refuses the
                    // enrollment with RESOURCE_EXHAUSTED, in Google's quota wording.
                    return Err(ApiError::new(
                        Code::ResourceExhausted,
                        format!("Quota exceeded for quota metric 'Enrolled devices' and limit '{cap} devices per project' of service 'androidmanagement.googleapis.com'."),
                    )
                    .with_reason("RATE_LIMIT_EXCEEDED"));
                }
            }
            enrollment::register(w, registration, now)
        })
    }

    /// Take a device offline or bring it back; coming back, it syncs,
    /// reports its status and runs its queued commands.
    pub fn set_online(&self, device: &str, online: bool) -> Result<(), ApiError> {
        let (e, d) = split_device_name(device)?;
        self.mutate(|w, now| {
            let record = w
                .enterprises
                .get_mut(e)
                .and_then(|x| x.devices.get_mut(d))
                .ok_or_else(|| ApiError::not_found(device))?;
            let was = record.sim.is_online();
            record.sim.set_online(online);
            let report = if online && !was { devices::Report::Always } else { devices::Report::Never };
            devices::device_event(w, e, d, now, report);
            Ok(())
        })
    }

    /// Act on the simulated device itself (what a person with the phone in
    /// hand does: enter a passcode, restart it...). Afterwards the device
    /// syncs and runs the commands it can now run. `f` runs under the
    /// mock's state lock: it must not call the mock.
    pub fn with_device<R>(&self, device: &str, f: impl FnOnce(&mut Device, SimTime) -> R) -> Result<R, ApiError> {
        let (e, d) = split_device_name(device)?;
        self.mutate(|w, now| {
            let record = w
                .enterprises
                .get_mut(e)
                .and_then(|x| x.devices.get_mut(d))
                .ok_or_else(|| ApiError::not_found(device))?;
            let was = record.sim.is_online();
            let changes_before = record.sim.credential_changes();
            let out = f(&mut record.sim, now.sim);
            // Our choice: the agent sends a status report when the person
            // changes a screen lock, as it does when it comes back online;
            // AMAPI documents no event for it, and an MDM waiting for the user
            // to replace a temporary passcode needs one (INT-6).
            let changed_lock = record.sim.credential_changes() != changes_before;
            let report = if (record.sim.is_online() && !was) || changed_lock {
                devices::Report::Always
            } else {
                devices::Report::IfChanged
            };
            devices::device_event(w, e, d, now, report);
            Ok(out)
        })
    }

    /// The simulated side of a device.
    pub fn device_view(&self, device: &str) -> Result<DeviceView, ApiError> {
        use android_sim::CredentialHolder as H;
        let (e, d) = split_device_name(device)?;
        let world = self.world();
        let r = world.enterprises.get(e).and_then(|x| x.devices.get(d)).ok_or_else(|| ApiError::not_found(device))?;
        let wp = r.sim.has_work_profile();
        Ok(DeviceView {
            name: device.to_owned(),
            profile: r.sim.profile().name.clone(),
            ownership: r.sim.ownership().to_string(),
            online: r.sim.is_online(),
            boot_state: format!("{:?}", r.sim.boot_state()),
            device_locked: r.sim.is_locked(H::DeviceUser),
            work_profile_locked: wp.then(|| r.sim.is_locked(H::WorkProfile)),
            device_has_passcode: r.sim.has_credential(H::DeviceUser),
            work_profile_has_passcode: wp.then(|| r.sim.has_credential(H::WorkProfile)),
            pending_commands: r.queue.len(),
        })
    }

    /// Every operation the mock holds for a device, oldest first, as
    /// `operations.get` renders it: one for each command AMAPI accepted,
    /// including one whose answer a fault lost. Read past the fault plan
    /// and the journal, so counting never disturbs what it counts.
    pub fn operations_of(&self, device: &str) -> Result<Vec<Value>, ApiError> {
        let (e, d) = split_device_name(device)?;
        let world = self.world();
        let r = world.enterprises.get(e).and_then(|x| x.devices.get(d)).ok_or_else(|| ApiError::not_found(device))?;
        Ok(r.operations.values().map(|op| op.render(device)).collect())
    }

    /// Names of the devices of an enterprise, in list order.
    pub fn device_names(&self, enterprise: &str) -> Vec<String> {
        let world = self.world();
        world
            .enterprises
            .get(enterprise)
            .map(|e| e.devices.keys().map(|d| e.device_name(d)).collect())
            .unwrap_or_default()
    }

    // ----- clock ------------------------------------------------------------

    /// Move a virtual clock forward; commands whose `duration` has passed
    /// expire (and their COMMAND notifications go out).
    pub fn advance_clock(&self, by: Duration) -> Result<Timestamp, clock::ClockError> {
        let at = self.inner.clock.advance(by)?;
        self.mutate(|_, _| ());
        Ok(at)
    }

    /// Expire due commands now (a real clock does it on every request and
    /// from [`serve`]'s background task).
    pub fn sweep(&self) {
        self.mutate(|_, _| ());
    }

    // ----- faults, journal, notifications ----------------------------------

    pub fn set_fault_plan(&self, plan: FaultPlan) -> Result<(), faults::PlanError> {
        plan.check()?;
        *lock(&self.inner.faults) = Faults::new(plan);
        Ok(())
    }

    pub fn fault_plan(&self) -> FaultPlan {
        lock(&self.inner.faults).plan().clone()
    }

    /// Add one (typically scoped) fault to the plan in force, keeping the
    /// counters of the others; returns its id for [`Mock::fault_fired`].
    pub fn add_fault(&self, fault: Fault) -> Result<String, faults::PlanError> {
        lock(&self.inner.faults).add(fault)
    }

    /// Whether each fault of the plan in force fired, and how often.
    pub fn fault_report(&self) -> Vec<FaultReport> {
        lock(&self.inner.faults).reports(self.now())
    }

    /// How often the fault `id` fired; `None` when no such fault is armed.
    pub fn fault_fired(&self, id: &str) -> Option<u32> {
        self.fault_report().into_iter().find(|r| r.id == id).map(|r| r.fired)
    }

    pub fn clear_faults(&self) {
        *lock(&self.inner.faults) = Faults::default();
    }

    pub fn journal(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        lock(&self.inner.journal).read(filter)
    }

    pub fn reset_journal(&self) {
        lock(&self.inner.journal).reset();
    }

    /// Push the notifications of `subscription.topic` to an HTTP endpoint
    /// (creating the topic if need be; replacing a subscription of that
    /// name). Must be called inside a tokio runtime.
    pub fn subscribe(&self, subscription: PushSubscription) -> Result<(), ApiError> {
        self.inner.pubsub.subscribe(subscription)
    }

    /// Delete a subscription (push or pull); false when there is none.
    pub fn unsubscribe(&self, name: &str) -> bool {
        self.inner.pubsub.unsubscribe(name)
    }

    /// The push subscriptions.
    pub fn subscriptions(&self) -> Vec<PushSubscription> {
        self.inner.pubsub.push_subscriptions()
    }

    /// Create a Pub/Sub topic (as CreateTopic), e.g. an enterprise's
    /// `pubsubTopic` before subscribing to it.
    pub fn create_topic(&self, name: &str) -> Result<(), ApiError> {
        self.inner.pubsub.create_topic(name)
    }

    /// Create a push or pull subscription (as CreateSubscription: its
    /// topic must exist). A push one must be created inside a tokio runtime.
    pub fn create_subscription(&self, config: SubscriptionConfig) -> Result<SubscriptionConfig, ApiError> {
        self.inner.pubsub.create_subscription(config)
    }

    /// Every subscription, push and pull.
    pub fn pubsub_subscriptions(&self) -> Vec<SubscriptionConfig> {
        self.inner.pubsub.subscription_configs(None)
    }

    /// The public keys that sign authenticated pushes
    /// (`GET /_lockstep/v1/pubsub/jwks` on the control surface).
    pub fn push_jwks(&self) -> pubsub::Jwks {
        self.inner.pubsub.jwks()
    }

    /// The Pub/Sub emulator's axum router: gRPC (over HTTP/2) and REST
    /// (`/v1/projects/...`); [`pubsub::serve`] serves it on a socket.
    pub fn pubsub_router(&self) -> axum::Router {
        pubsub::router(self)
    }

    pub(crate) fn pubsub(&self) -> &PubSub {
        &self.inner.pubsub
    }

    /// Every message published (and what became of its pushes).
    pub fn published_messages(&self) -> Vec<PublishedMessage> {
        self.inner.pubsub.messages()
    }

    pub fn clear_published_messages(&self) {
        self.inner.pubsub.clear_messages();
    }

    // ----- signup and apps ------------------------------------------------------

    /// The admin completes the signup `signupUrls/{id}` (what the signup
    /// page does): returns `{signupUrlName, enterpriseToken, callbackUrl}`;
    /// the mock also follows the callback URL (an http:// GET, as the
    /// admin's browser would). `kind` is the enterpriseType to create
    /// (default MANAGED_GOOGLE_PLAY_ACCOUNTS_ENTERPRISE).
    pub fn complete_signup(&self, id: &str, kind: Option<&str>) -> Result<Value, ApiError> {
        let id = id.strip_prefix("signupUrls/").unwrap_or(id);
        let (out, callbacks) = {
            let mut w = self.world();
            let out = signup::complete(&mut w, id, kind)?;
            (out, w.drain_callbacks())
        };
        self.follow_callbacks(callbacks);
        Ok(out)
    }

    /// Complete every signup as soon as signupUrls.create makes it.
    pub fn set_auto_complete_signups(&self, on: bool) {
        self.world().auto_complete_signups = on;
    }

    /// Use this managed Google Play catalogue for applications.get.
    pub fn set_catalogue(&self, apps: std::collections::BTreeMap<String, Value>) {
        self.world().catalogue = Arc::new(apps);
    }

    /// Load a catalogue file (fixtures/apps/catalogue.json).
    pub fn load_catalogue(&self, path: &std::path::Path) -> Result<usize, apps::CatalogueError> {
        let apps = apps::load_catalogue(path)?;
        let n = apps.len();
        self.set_catalogue(apps);
        Ok(n)
    }

    /// GET each callback URL in the background, as the admin's browser
    /// would after signing up. Our choice: only http:// URLs are followed,
    /// once, and the outcome is not kept; outside a tokio runtime nothing
    /// is followed (the control answer still carries the token).
    pub(crate) fn follow_callbacks(&self, urls: Vec<String>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        for url in urls.into_iter().filter(|u| u.starts_with("http://")) {
            let Ok(uri) = url.parse::<http::Uri>() else { continue };
            runtime.spawn(async move {
                let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<http_body_util::Empty<bytes::Bytes>>();
                let _ = tokio::time::timeout(Duration::from_secs(10), client.get(uri)).await;
            });
        }
    }

    // ----- fleets -------------------------------------------------------------

    /// Create the fleet's enterprise and policies and enroll its devices.
    /// Returns the enrolled devices' names.
    pub fn enroll_fleet(&self, fleet: &Fleet) -> Result<Vec<String>, Error> {
        fleet::enroll(self, fleet)
    }
}
