//! The state the mock keeps: enterprises and, inside each, its policies,
//! enrollment tokens, devices (with their simulated Android device and their
//! operations) and the tombstones of deleted devices. Also the things that
//! cut across enterprises: device profiles, the seeded id generator, the
//! command deadlines and the outbox of notifications waiting to be
//! published once the state lock is released.
//!
//! Everything here is plain data mutated under one lock by the domain
//! modules; nothing here does I/O.

use crate::clock::Timestamp;
use crate::operations::Operation;
use crate::policies::Policy;
use android_sim::{Device, DeviceProfile, SimTime};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// "Now", in both the API's terms and android-sim's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Now {
    pub at: Timestamp,
    pub sim: SimTime,
}

/// The notification types the mock publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationType {
    Enrollment,
    StatusReport,
    Command,
}

impl NotificationType {
    pub fn amapi_name(self) -> &'static str {
        match self {
            NotificationType::Enrollment => "ENROLLMENT",
            NotificationType::StatusReport => "STATUS_REPORT",
            NotificationType::Command => "COMMAND",
        }
    }
}

/// Something an enterprise may want to hear about, recorded under the lock.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub enterprise: String,
    pub kind: NotificationType,
    pub data: Value,
}

/// A notification to publish once the lock is released.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub topic: String,
    pub kind: NotificationType,
    pub data: Value,
}

/// A SplitMix64 generator: small, seedable, and the same on every platform,
/// so a seed replays a run (device ids, token values, fault draws).
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `len` characters from `alphabet`.
    pub(crate) fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| {
                let i = usize::try_from(self.next_u64() % alphabet.len() as u64).unwrap_or(0);
                char::from(alphabet[i])
            })
            .collect()
    }
}

/// AMAPI `DeviceState` values a device can be in here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceState {
    Active,
    Disabled,
}

impl DeviceState {
    pub(crate) fn amapi_name(self) -> &'static str {
        match self {
            DeviceState::Active => "ACTIVE",
            DeviceState::Disabled => "DISABLED",
        }
    }
}

/// An enrollment token (AMAPI `EnrollmentToken`).
#[derive(Clone, Debug)]
pub(crate) struct EnrollmentToken {
    pub id: String,
    pub value: String,
    pub policy_id: String,
    pub duration: Duration,
    pub expiration: Timestamp,
    pub allow_personal_usage: Option<String>,
    pub one_time_only: bool,
    pub additional_data: Option<String>,
    /// Writable fields the mock stores and echoes without interpreting.
    pub other: Map<String, Value>,
    /// Created by the fleet loader rather than the API.
    pub internal: bool,
}

/// One enrolled device: the AMAPI resource's server-side state and the
/// simulated Android device it stands for.
#[derive(Debug)]
pub(crate) struct DeviceRecord {
    pub id: String,
    pub sim: Device,
    pub policy_id: String,
    /// The policy (id, version) the device last synced, if any.
    pub applied_policy: Option<(String, i64)>,
    /// The password requirements the device last synced, as PasswordRequirements JSON.
    pub applied_password_policies: Vec<Value>,
    pub state: DeviceState,
    pub applied_state: DeviceState,
    pub disabled_reason: Option<Value>,
    pub enrollment_time: Timestamp,
    pub last_status_report_time: Timestamp,
    pub last_policy_sync_time: Timestamp,
    pub token_name: Option<String>,
    pub token_data: Option<String>,
    pub user_id: String,
    pub serial: String,
    /// Names this physical device had before (previousDeviceNames).
    pub previous_names: Vec<String>,
    pub operations: BTreeMap<i64, Operation>,
    /// Pending operations in the order they were issued.
    pub queue: VecDeque<i64>,
    /// Made on the first command.
    pub home: Option<Arc<DeviceHome>>,
}

impl DeviceRecord {
    /// The device's [`DeviceHome`] in `enterprise`.
    pub(crate) fn home(&mut self, enterprise: &str) -> Arc<DeviceHome> {
        let DeviceRecord { home, id, user_id, .. } = self;
        Arc::clone(home.get_or_insert_with(|| {
            Arc::new(DeviceHome {
                enterprise: enterprise.to_owned(),
                device: id.clone(),
                user_name: format!("enterprises/{enterprise}/users/{user_id}"),
            })
        }))
    }
}

/// One enterprise and everything in it.
#[derive(Debug)]
pub(crate) struct Enterprise {
    pub id: String,
    /// The writable Enterprise fields as last set (display name, pubsubTopic,
    /// enabledNotificationTypes, ...).
    pub fields: Map<String, Value>,
    /// When set, AMAPI requests for this enterprise need `Authorization: Bearer <token>`.
    pub bearer_token: Option<String>,
    pub policies: BTreeMap<String, Policy>,
    pub tokens: BTreeMap<String, EnrollmentToken>,
    pub devices: BTreeMap<String, DeviceRecord>,
    /// Ids of deleted devices: never found again, never reused.
    pub tombstones: HashSet<String>,
    /// Names a physical device (by serial number) had before it was deleted.
    pub retired_names: HashMap<String, Vec<String>>,
    /// `enterpriseType`, when the enterprise came from a signup.
    pub kind: Option<&'static str>,
    /// Web apps by id.
    pub web_apps: BTreeMap<String, crate::webapps::WebApp>,
    /// Migration tokens (rendered MigrationToken) by id.
    pub migration_tokens: BTreeMap<String, Map<String, Value>>,
}

impl Enterprise {
    pub(crate) fn new(id: String, fields: Map<String, Value>, bearer_token: Option<String>) -> Self {
        Enterprise {
            id,
            fields,
            bearer_token,
            policies: BTreeMap::new(),
            tokens: BTreeMap::new(),
            devices: BTreeMap::new(),
            tombstones: HashSet::new(),
            retired_names: HashMap::new(),
            kind: None,
            web_apps: BTreeMap::new(),
            migration_tokens: BTreeMap::new(),
        }
    }

    pub(crate) fn name(&self) -> String {
        format!("enterprises/{}", self.id)
    }

    pub(crate) fn policy_name(&self, policy_id: &str) -> String {
        format!("enterprises/{}/policies/{policy_id}", self.id)
    }

    pub(crate) fn device_name(&self, device_id: &str) -> String {
        device_name(&self.id, device_id)
    }

    /// A notification for this enterprise's topic, if it has one and has
    /// enabled `kind`.
    pub(crate) fn notification(&self, kind: NotificationType, data: Value) -> Option<Outgoing> {
        let topic = self.fields.get("pubsubTopic")?.as_str()?.to_owned();
        let enabled = self
            .fields
            .get("enabledNotificationTypes")?
            .as_array()?
            .iter()
            .any(|t| t.as_str() == Some(kind.amapi_name()));
        enabled.then_some(Outgoing { topic, kind, data })
    }
}

/// `enterprises/{e}/devices/{d}`.
pub(crate) fn device_name(enterprise: &str, device: &str) -> String {
    format!("enterprises/{enterprise}/devices/{device}")
}

/// Where a pending operation lives, for the deadline index.
#[derive(Clone, Debug)]
pub(crate) struct OperationRef {
    pub home: Arc<DeviceHome>,
    pub operation: i64,
}

/// What all operations of one device share: the device's enterprise and
/// id, and the `userName` their metadata carries. Made on the device's
/// first command and shared by its operations and their index entries,
/// so that a command costs no copies of them.
#[derive(Debug)]
pub(crate) struct DeviceHome {
    pub enterprise: String,
    pub device: String,
    pub user_name: String,
}

/// All state of one mock.
#[derive(Debug)]
pub(crate) struct World {
    pub enterprises: BTreeMap<String, Enterprise>,
    pub profiles: BTreeMap<String, Arc<DeviceProfile>>,
    pub rng: SplitMix64,
    /// The id given to the last operation (ids are epoch milliseconds).
    pub last_operation_id: i64,
    /// Pending operations by (deadline, id). Entries of operations that have
    /// finished meanwhile are skipped when they come up.
    pub deadlines: BTreeMap<(i64, i64), OperationRef>,
    /// Every operation by (deadline + retention, id): when it is forgotten.
    pub retirements: BTreeMap<(i64, i64), OperationRef>,
    pub outbox: Outbox,
    /// Signup URLs by id.
    pub signups: BTreeMap<String, crate::signup::Signup>,
    /// Complete every signup as soon as it is created (a fleet switch).
    pub auto_complete_signups: bool,
    /// The managed Google Play catalogue: Application resources by package.
    pub catalogue: Arc<BTreeMap<String, Value>>,
}

/// Events waiting to be published, and which (enterprise, type) pairs
/// anyone publishes at all, so that nothing is rendered for nobody.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    events: Vec<Event>,
    wanted: Vec<(String, NotificationType)>,
    /// Deadline-index keys of operations that ended, to forget.
    ended: Vec<(i64, i64)>,
    /// Signup callback URLs (with their enterpriseToken) to follow.
    callbacks: Vec<String>,
}

impl Outbox {
    /// Record an event for `enterprise`; `data` is rendered only if the
    /// enterprise publishes `kind`.
    pub(crate) fn push(&mut self, enterprise: &str, kind: NotificationType, data: impl FnOnce() -> Value) {
        if self.wanted.iter().any(|(e, k)| *k == kind && e == enterprise) {
            self.events.push(Event { enterprise: enterprise.to_owned(), kind, data: data() });
        }
    }

    /// A completed signup's browser would go to `url` now.
    pub(crate) fn callback(&mut self, url: String) {
        self.callbacks.push(url);
    }

    /// An operation with this deadline-index key has ended.
    pub(crate) fn ended(&mut self, key: (i64, i64)) {
        self.ended.push(key);
    }
}

impl World {
    pub(crate) fn new(seed: u64) -> Self {
        World {
            enterprises: BTreeMap::new(),
            profiles: BTreeMap::new(),
            rng: SplitMix64::new(seed),
            last_operation_id: 0,
            deadlines: BTreeMap::new(),
            retirements: BTreeMap::new(),
            outbox: Outbox::default(),
            signups: BTreeMap::new(),
            auto_complete_signups: false,
            catalogue: Arc::default(),
        }
    }

    /// Note which notifications enterprises publish now; call before
    /// changing state.
    pub(crate) fn prepare_outbox(&mut self) {
        let kinds = [NotificationType::Enrollment, NotificationType::StatusReport, NotificationType::Command];
        self.outbox.wanted.clear();
        for e in self.enterprises.values() {
            for kind in kinds {
                if e.notification(kind, Value::Null).is_some() {
                    self.outbox.wanted.push((e.id.clone(), kind));
                }
            }
        }
    }

    /// The signup callbacks to follow.
    pub(crate) fn drain_callbacks(&mut self) -> Vec<String> {
        std::mem::take(&mut self.outbox.callbacks)
    }

    /// The recorded events that their enterprise publishes, in order.
    pub(crate) fn drain_notifications(&mut self) -> Vec<Outgoing> {
        for key in std::mem::take(&mut self.outbox.ended) {
            self.deadlines.remove(&key);
        }
        if self.outbox.events.is_empty() {
            return Vec::new();
        }
        let events = std::mem::take(&mut self.outbox.events);
        events
            .into_iter()
            .filter_map(|ev| self.enterprises.get(&ev.enterprise).and_then(|e| e.notification(ev.kind, ev.data)))
            .collect()
    }

    /// A new id: 16 lower-case hex digits, like AMAPI's device ids.
    pub(crate) fn new_hex_id(&mut self) -> String {
        format!("{:016x}", self.rng.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_replays_from_its_seed() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(SplitMix64::new(8).next_u64(), xs[0]);
        let f = a.next_f64();
        assert!((0.0..1.0).contains(&f));
        assert_eq!(a.string(b"AB", 6).len(), 6);
    }
}
