//! One MDM instance: its store, AMAPI client, vendor profile, clock, mailer
//! and defects; start-up (enterprise, Pub/Sub topic, reconciliation of the
//! actions a previous run left unfinished) and the device inventory as
//! AMAPI describes it.

use crate::amapi::{AmapiClient, AmapiError};
use crate::config::{Clock, Defect, ServeConfig, VendorSource};
use crate::mail::Mailer;
use crate::store::{ts, DeviceRow, Store, StoreError};
use crate::vendor::{ProfileError, VendorProfile};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Why the MDM could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up the enterprise through AMAPI: {0}")]
    Amapi(#[from] AmapiError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
}

/// The shared state of a running MDM.
#[derive(Debug)]
pub struct Mdm {
    pub(crate) store: Store,
    pub(crate) amapi: AmapiClient,
    pub(crate) vendor: VendorProfile,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) defects: Vec<Defect>,
    pub(crate) enterprise: String,
    pub(crate) mailer: Mailer,
    pub(crate) command_duration: Duration,
    pub(crate) poll_interval: Duration,
    pub(crate) session_lifetime: Duration,
    device_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub(crate) mail_wake: tokio::sync::Notify,
    /// One outbox flush at a time, so no mail goes out twice.
    pub(crate) mail_flush: tokio::sync::Mutex<()>,
    /// What the background work is doing (see [`crate::activity`]).
    pub(crate) activity: crate::activity::Tracker,
    /// Checks push tokens, when authenticated push is configured.
    pub(crate) push_auth: Option<crate::push_auth::PushVerifier>,
    /// Finished operations whose COMMAND notification came before the
    /// answer to their issueCommand (see [`crate::actions::EarlyOperations`]).
    pub(crate) early_operations: Mutex<crate::actions::EarlyOperations>,
}

impl Mdm {
    /// Open the store, load the profile and find (or create) the enterprise.
    pub async fn open(config: &ServeConfig) -> Result<Arc<Mdm>, Error> {
        let vendor = match &config.vendor {
            VendorSource::Builtin(name) => VendorProfile::builtin(name)?,
            VendorSource::File(path) => VendorProfile::load(path)?,
        };
        let store = match &config.db {
            Some(path) => Store::open(path)?,
            None => Store::in_memory()?,
        }
        .with_id_prefix(&config.id_prefix);
        let amapi = AmapiClient::new(&config.amapi_url, config.amapi_token.clone(), config.retry);
        let enterprise = resolve_enterprise(&store, &amapi, config).await?;
        let topic = config
            .pubsub_topic
            .clone()
            .unwrap_or_else(|| format!("projects/{}/topics/amapi-events", config.project_id));
        let patch = json!({
            "pubsubTopic": topic,
            "enabledNotificationTypes": ["ENROLLMENT", "STATUS_REPORT", "COMMAND"],
        });
        if let Err(e) = amapi.patch_enterprise(&enterprise, &patch, "pubsubTopic,enabledNotificationTypes").await {
            // Polling still works without notifications.
            tracing::warn!(error = %e, "could not enable Pub/Sub notifications; relying on polling");
        }
        Ok(Arc::new(Mdm {
            store,
            amapi,
            vendor,
            clock: Arc::clone(&config.clock),
            defects: config.defects.clone(),
            enterprise,
            mailer: Mailer::new(config.smtp.as_deref(), &config.mail_from),
            command_duration: config.command_duration,
            poll_interval: config.poll_interval,
            session_lifetime: config.session_lifetime,
            device_locks: Mutex::new(HashMap::new()),
            mail_wake: tokio::sync::Notify::new(),
            mail_flush: tokio::sync::Mutex::new(()),
            activity: crate::activity::Tracker::default(),
            push_auth: config.push_auth.clone().map(crate::push_auth::PushVerifier::new),
            early_operations: Mutex::default(),
        }))
    }

    /// What the background work is doing, as it changes.
    pub fn activity(&self) -> tokio::sync::watch::Receiver<crate::Activity> {
        self.activity.subscribe()
    }

    pub fn has(&self, d: Defect) -> bool {
        self.defects.contains(&d)
    }

    pub fn vendor(&self) -> &VendorProfile {
        &self.vendor
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Commands to one device go out one at a time, in the order they were recorded.
    pub(crate) fn device_lock(&self, device_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.device_locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(device_id.to_owned()).or_default())
    }

    // ----- inventory ----------------------------------------------------

    /// Store what an AMAPI Device says (ENROLLMENT, STATUS_REPORT, get, list).
    pub(crate) fn learn_device(&self, device: &Value) -> Result<Option<DeviceRow>, StoreError> {
        let Some(name) = device.get("name").and_then(Value::as_str) else { return Ok(None) };
        if !name.starts_with(&format!("{}/devices/", self.enterprise)) {
            return Ok(None);
        }
        let id = name.rsplit('/').next().unwrap_or(name).to_owned();
        let s = |p: &str| device.pointer(p).and_then(Value::as_str).map(str::to_owned);
        let enrollment = match s("/enrollmentTokenName") {
            Some(t) => self.store.enrollment_by_token_name(&t)?,
            None => None,
        };
        let mode = s("/managementMode").unwrap_or_else(|| "MANAGEMENT_MODE_UNSPECIFIED".into());
        // The enrollment says what was meant; AMAPI says what the device
        // became. When they disagree on the management mode, AMAPI wins.
        let derived = derived_ownership(&mode, s("/ownership").as_deref());
        let ownership = match &enrollment {
            Some(e) if same_mode(&e.ownership, derived) => e.ownership.clone(),
            _ => derived.to_owned(),
        };
        let policy =
            s("/policyName").map(|p| if p.contains('/') { p } else { format!("{}/policies/{p}", self.enterprise) });
        let row = DeviceRow {
            id,
            amapi_name: name.to_owned(),
            user_email: enrollment.map(|e| e.user_email),
            ownership,
            management_mode: mode,
            manufacturer: s("/hardwareInfo/manufacturer"),
            model: s("/hardwareInfo/model"),
            api_level: device
                .get("apiLevel")
                .and_then(Value::as_u64)
                .and_then(|v| u8::try_from(v).ok())
                .unwrap_or_default(),
            android_version: s("/softwareInfo/androidVersion"),
            state: s("/state").unwrap_or_else(|| "ACTIVE".into()),
            policy_name: policy,
            enrolled_at: s("/enrollmentTime"),
            last_status_report_at: s("/lastStatusReportTime"),
            secure: device.pointer("/deviceSettings/isDeviceSecure").and_then(Value::as_bool),
            updated_at: ts(self.now()),
        };
        self.store.upsert_device(&row)?;
        Ok(Some(row))
    }

    /// A device by id; one the inventory does not know yet is looked up in
    /// AMAPI (the fallback for a lost ENROLLMENT notification).
    pub(crate) async fn find_device(&self, id: &str) -> Result<Option<DeviceRow>, StoreError> {
        if let Some(d) = self.store.device(id)? {
            return Ok(Some(d));
        }
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Ok(None);
        }
        match self.amapi.get_device(&format!("{}/devices/{id}", self.enterprise)).await {
            Ok(d) => self.learn_device(&d),
            Err(_) => Ok(None),
        }
    }

    /// Read every device from AMAPI (start-up, and now and then as a fallback).
    pub(crate) async fn sync_inventory(&self) {
        match self.amapi.list_devices(&self.enterprise).await {
            Ok(devices) => {
                for d in &devices {
                    if let Err(e) = self.learn_device(d) {
                        tracing::warn!(error = %e, "could not store a device");
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "inventory sync failed; will try again"),
        }
    }
}

/// Ownership as the driver protocol names it, from AMAPI's fields, for a
/// device enrolled with a token this MDM did not make. A dedicated device
/// cannot be told from a fully managed one this way (our choice: fully managed).
pub(crate) fn derived_ownership(management_mode: &str, ownership: Option<&str>) -> &'static str {
    match (management_mode, ownership) {
        ("DEVICE_OWNER", _) => "fully-managed",
        ("PROFILE_OWNER", Some("PERSONALLY_OWNED")) => "work-profile-personal",
        ("PROFILE_OWNER", _) => "work-profile-company-owned",
        _ => "legacy-device-admin",
    }
}

/// Whether two driver-protocol ownerships share AMAPI's management mode.
fn same_mode(a: &str, b: &str) -> bool {
    let family = |o: &str| match o {
        "fully-managed" | "dedicated" => 1,
        "work-profile-personal" | "work-profile-company-owned" => 2,
        _ => 3,
    };
    family(a) == family(b) && (family(a) != 2 || a == b)
}

async fn resolve_enterprise(store: &Store, amapi: &AmapiClient, config: &ServeConfig) -> Result<String, Error> {
    if let Some(e) = &config.enterprise {
        let name = if e.starts_with("enterprises/") { e.clone() } else { format!("enterprises/{e}") };
        store.set_meta("enterprise", &name)?;
        return Ok(name);
    }
    if let Some(name) = store.meta("enterprise")? {
        return Ok(name);
    }
    let existing = amapi.list_enterprises(&config.project_id).await?;
    let name = match existing.first().and_then(|e| e.get("name")).and_then(Value::as_str) {
        Some(n) => n.to_owned(),
        None => {
            let created = amapi.create_enterprise(&config.project_id, "Lockstep reference MDM").await?;
            created.get("name").and_then(Value::as_str).unwrap_or_default().to_owned()
        }
    };
    store.set_meta("enterprise", &name)?;
    Ok(name)
}
