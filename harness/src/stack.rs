//! The stack one scenario runs against. Embedded: a fresh AMAPI mock (with
//! the device profiles), a mail sink and a reference MDM of the scenario's
//! vendor profile, all on ephemeral loopback ports and one virtual clock.
//! The harness reaches the MDM only through the driver protocol, and the
//! MDM reaches devices only through AMAPI, as in the field.

use crate::cast::{Handset, Role, OBSERVER};
use crate::clock::ScenarioClock;
use crate::config::{RunConfig, Target};
use crate::container::mdm::Network;
use crate::container::{Engine, MdmContainer, StartSpec};
use crate::device::simulated::SimulatedDevice;
use crate::device::DeviceFacts;
use crate::driver::{About, Mdm, NewAccount, NewEnrollment, PasswordPolicy, Refusal, SignIn};
use crate::redact::Secrets;
use amapi_mock::{EnterpriseSetup, Mock, PushSubscription, Registration, RunningMock};
use android_sim::{CredentialHolder, Entry, Ownership, Passcode};
use mail_sink::{Mail, MailSink};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The enterprise every embedded stack uses.
pub const ENTERPRISE_ID: &str = "LC0lockstep";
/// The Pub/Sub topic the MDM is told to use, and the harness subscribes it to.
pub const TOPIC: &str = "projects/lockstep/topics/amapi-events";

/// A stack that could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("the AMAPI mock: {0}")]
    Mock(String),
    #[error("the reference MDM: {0}")]
    Mdm(String),
    #[error("the mail sink: {0}")]
    Mail(String),
    #[error("the MDM refused: {0}")]
    Refused(Refusal),
    #[error("{url}/lockstep/v1/about names the vendor profile `{claimed}`, which Lockstep does not know; the known profiles are (case-sensitive): {known}")]
    UnknownVendor { url: String, claimed: String, known: String },
    #[error("{0}")]
    Driver(#[from] crate::driver::DriverError),
    #[error("{0}")]
    Container(#[from] crate::container::ContainerError),
    #[error("{0}")]
    Other(String),
}

/// What every scenario of a run against an external MDM shares: one AMAPI
/// mock (on a real clock, at the address the MDM was configured with) and
/// one mail sink. Scenarios keep apart through their own people and devices.
#[derive(Debug)]
pub struct SharedTarget {
    pub url: String,
    pub mock: RunningMock,
    pub mail: Arc<MailSink>,
    /// The vendor profile the MDM claims (driver protocol `/about`).
    pub vendor: String,
    /// Everything the MDM said about itself.
    pub about: About,
    /// The MDM's container, when the harness started it (`--target docker:IMAGE`).
    pub container: Option<Arc<MdmContainer>>,
    /// Where the mock pushes the MDM's Pub/Sub messages.
    pub push_endpoint: String,
    /// Whether the mock's and the mail sink's addresses were picked by the
    /// system (no `--amapi-listen`, no `--smtp-listen`).
    pub picked: (bool, bool),
    /// `--accounts`: the file and how many accounts it lists (the observer too).
    pub accounts: Option<(std::path::PathBuf, usize)>,
    /// This run's own: mixed into the mock's ids and the scenarios' e-mail
    /// nonces, so that a long-running MDM never meets a name from an
    /// earlier run again, whatever `--seed` says (Google never reuses a
    /// device, token or operation name either). Passcodes and the other
    /// draws of the seed stay as the seed makes them.
    pub salt: u32,
}

/// A value of this run's own, from the clock.
fn run_salt() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    (nanos as u32) ^ ((nanos >> 32) as u32) ^ std::process::id()
}

impl SharedTarget {
    /// Serve the mock and the mail sink for an external MDM, and ask it who it is.
    pub async fn start(config: &RunConfig, url: &str) -> Result<SharedTarget, StackError> {
        let addr = config.amapi_listen.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
        let salt = run_salt();
        let mock =
            serve_mock_from(&config.fixtures, config.seed ^ u64::from(salt), addr, amapi_mock::ClockChoice::Real)
                .await?;
        let push_endpoint = config.push_endpoint.clone().unwrap_or_else(|| default_push_endpoint(url));
        subscribe(&mock, &push_endpoint)?;
        let mail = match config.smtp_listen {
            Some(addr) => MailSink::bind(addr).await,
            None => MailSink::start().await,
        };
        let mail = Arc::new(mail.map_err(|e| StackError::Mail(e.to_string()))?);
        let about = Mdm::new(url).about().await?.map_err(StackError::Refused)?;
        let vendor = known_vendor(url, &about)?;
        Ok(SharedTarget {
            url: url.to_owned(),
            mock,
            mail,
            vendor,
            about,
            container: None,
            push_endpoint,
            picked: (config.amapi_listen.is_none(), config.smtp_listen.is_none()),
            accounts: config.accounts.as_ref().map(|p| (p.file().to_owned(), p.size())),
            salt,
        })
    }

    /// Start the MDM from `image` and serve the mock and the mail sink where
    /// its container reaches them (the gateway of its network), then ask it
    /// who it is. Whatever fails, nothing is left running.
    pub async fn start_container(config: &RunConfig, image: &str, engine: &Engine) -> Result<SharedTarget, StackError> {
        for leftover in engine.reap().await {
            tracing::info!("removed {leftover}, left behind by a Lockstep run that no longer runs");
        }
        let network = Network::create(engine).await?;
        let gateway = network.gateway;
        let servers = async {
            let mut mock =
                serve_mock(config, std::net::SocketAddr::new(gateway, 0), amapi_mock::ClockChoice::Real).await?;
            let mail = MailSink::bind(std::net::SocketAddr::new(gateway, 0))
                .await
                .map_err(|e| StackError::Mail(e.to_string()))?;
            crate::container::mdm::offer_pull(&mut mock, gateway, TOPIC).await.map_err(StackError::Mock)?;
            Ok::<_, StackError>((mock, mail))
        };
        let (mock, mail) = match servers.await {
            Ok(s) => s,
            Err(e) => {
                network.remove(engine).await;
                return Err(e);
            }
        };
        use crate::container::mdm::contract;
        let mut env = vec![
            (contract::LISTEN.to_owned(), format!("0.0.0.0:{}", crate::container::mdm::DRIVER_PORT)),
            (contract::AMAPI_URL.to_owned(), mock.base_url.trim_end_matches('/').to_owned()),
            (contract::ENTERPRISE.to_owned(), format!("enterprises/{ENTERPRISE_ID}")),
            (contract::PUBSUB_TOPIC.to_owned(), TOPIC.to_owned()),
            (contract::PUSH_PATH.to_owned(), reference_mdm::PUSH_PATH.to_owned()),
            (contract::SMTP.to_owned(), mail.addr().to_string()),
            (contract::STATE_DIR.to_owned(), crate::container::mdm::STATE_DIR.to_owned()),
        ];
        env.extend(crate::container::mdm::pull_env(&mock));
        if !config.mdm_defects.is_empty() {
            // Only the reference MDM's image reads it: the negative controls.
            let defects: Vec<String> = config.mdm_defects.iter().map(|d| d.to_string()).collect();
            env.push((contract::MDM_DEFECTS.to_owned(), defects.join(",")));
        }
        env.extend(config.container_env.iter().cloned());
        let spec = StartSpec { image: image.to_owned(), env, start_timeout: config.start_timeout };
        let container = match MdmContainer::start(engine, network, &spec).await {
            Ok(c) => c,
            Err(e) => {
                let _ = mock.shutdown().await;
                return Err(e.into());
            }
        };
        let url = container.url.clone();
        let asked = async {
            subscribe_mdm(&mock, &url)?;
            let about = Mdm::new(url.as_str()).about().await?.map_err(StackError::Refused)?;
            let vendor = known_vendor(&url, &about)?;
            Ok::<_, StackError>((about, vendor))
        };
        match asked.await {
            Ok((about, vendor)) => Ok(SharedTarget {
                push_endpoint: default_push_endpoint(&url),
                url,
                mock,
                mail: Arc::new(mail),
                vendor,
                about,
                container: Some(Arc::new(container)),
                picked: (true, true),
                accounts: config.accounts.as_ref().map(|p| (p.file().to_owned(), p.size())),
                // The container is new, with a new volume, every run.
                salt: 0,
            }),
            Err(e) => {
                container.remove().await;
                let _ = mock.shutdown().await;
                Err(e)
            }
        }
    }

    /// What the person running the suite must configure in their MDM (or,
    /// for a container, what it was started with).
    pub fn instructions(&self) -> String {
        if let Some(c) = &self.container {
            return format!(
                "Started the MDM from image {image} as container {name} (network {network}, volume {volume}); it answered /about after {ready:.2} s.\n  driver protocol  {url}\n  AMAPI base URL   {amapi}\n  SMTP server      {smtp}\n  Pub/Sub pull     {pull}\n  vendor profile   {vendor}\n",
                image = c.image,
                name = c.name,
                network = c.network.name,
                volume = c.volume,
                ready = c.ready_after.as_secs_f64(),
                url = self.url,
                amapi = self.mock.base_url,
                smtp = self.mail.addr(),
                pull = self.mock.pubsub.as_ref().map_or_else(
                    || "not offered".to_owned(),
                    |p| format!("PUBSUB_EMULATOR_HOST={} {}", p.emulator_host, crate::container::mdm::PULL_SUBSCRIPTION)
                ),
                vendor = self.vendor,
            );
        }
        crate::banner::external(&crate::banner::External {
            url: &self.url,
            vendor: &self.vendor,
            amapi: &self.mock.base_url,
            amapi_picked: self.picked.0,
            enterprise: &format!("enterprises/{ENTERPRISE_ID}"),
            topic: TOPIC,
            push_endpoint: &self.push_endpoint,
            smtp: self.mail.addr(),
            smtp_picked: self.picked.1,
            accounts: self.accounts.as_ref().map(|(f, n)| (f.as_path(), *n)),
        })
    }
}

/// The vendor profile `/about` names, if Lockstep knows it (exactly as
/// spelt: a profile is a name, not a product title).
pub fn known_vendor(url: &str, about: &About) -> Result<String, StackError> {
    if crate::tags::VENDORS.contains(&about.vendor.as_str()) {
        Ok(about.vendor.clone())
    } else {
        Err(StackError::UnknownVendor {
            url: url.to_owned(),
            claimed: about.vendor.clone(),
            known: crate::tags::VENDORS.join(", "),
        })
    }
}

/// The fixtures every mock starts from, read and checked once per fixtures
/// directory and run rather than once per scenario: the device profiles
/// and the app catalogue. Never changed once read; each mock gets its own
/// copy, so no scenario can change what another sees.
#[derive(Debug)]
struct MockFixtures {
    profiles: Vec<android_sim::DeviceProfile>,
    catalogue: Option<BTreeMap<String, Value>>,
}

fn mock_fixtures(fixtures: &std::path::Path) -> Result<Arc<MockFixtures>, StackError> {
    static READ: std::sync::OnceLock<std::sync::Mutex<BTreeMap<std::path::PathBuf, Arc<MockFixtures>>>> =
        std::sync::OnceLock::new();
    let read = READ.get_or_init(Default::default);
    if let Some(f) = read.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(fixtures) {
        return Ok(Arc::clone(f));
    }
    let profiles =
        android_sim::DeviceProfile::load_dir(&fixtures.join("devices")).map_err(|e| StackError::Mock(e.to_string()))?;
    // Where amapi_mock::serve looks for it: apps/ beside devices/.
    let file = fixtures.join("apps").join("catalogue.json");
    let catalogue = file
        .is_file()
        .then(|| amapi_mock::apps::load_catalogue(&file))
        .transpose()
        .map_err(|e| StackError::Mock(e.to_string()))?;
    let parsed = Arc::new(MockFixtures { profiles, catalogue });
    read.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(fixtures.to_owned(), Arc::clone(&parsed));
    Ok(parsed)
}

/// Serve an AMAPI mock with the device profiles and the enterprise every
/// stack uses, its Pub/Sub topic set as the MDM would set it (an MDM that
/// started before the mock could not). What `amapi_mock::serve` does with
/// a profiles directory, from fixtures read once ([`mock_fixtures`]).
async fn serve_mock(
    config: &RunConfig,
    addr: std::net::SocketAddr,
    clock: amapi_mock::ClockChoice,
) -> Result<RunningMock, StackError> {
    serve_mock_from(&config.fixtures, config.seed, addr, clock).await
}

/// An AMAPI mock on a real clock at `addr`, pushing to `push_endpoint`: what
/// an external MDM configured for `lockstep run --target` talks to, for
/// `lockstep target check` to enroll a few devices with.
pub async fn serve_external_mock(
    fixtures: &std::path::Path,
    seed: u64,
    addr: std::net::SocketAddr,
    push_endpoint: &str,
) -> Result<RunningMock, StackError> {
    let mock = serve_mock_from(fixtures, seed, addr, amapi_mock::ClockChoice::Real).await?;
    subscribe(&mock, push_endpoint)?;
    Ok(mock)
}

/// Where an MDM at `url` takes pushes when `--push-endpoint` does not say.
pub fn push_endpoint_of(url: &str) -> String {
    default_push_endpoint(url)
}

async fn serve_mock_from(
    fixtures: &std::path::Path,
    seed: u64,
    addr: std::net::SocketAddr,
    clock: amapi_mock::ClockChoice,
) -> Result<RunningMock, StackError> {
    let fixtures = mock_fixtures(fixtures)?;
    let clock = match clock {
        amapi_mock::ClockChoice::Virtual(start) => amapi_mock::Clock::virtual_at(start),
        amapi_mock::ClockChoice::Real => amapi_mock::Clock::real(),
    };
    let mock =
        Mock::new(amapi_mock::MockConfig { seed, clock, profiles: fixtures.profiles.clone(), ..Default::default() });
    if let Some(catalogue) = &fixtures.catalogue {
        mock.set_catalogue(catalogue.clone());
    }
    let mock = amapi_mock::serve_mock_with(mock, addr, amapi_mock::listen::Limits::default())
        .await
        .map_err(|e| StackError::Mock(e.to_string()))?;
    mock.mock()
        .create_enterprise(EnterpriseSetup {
            id: ENTERPRISE_ID.into(),
            display_name: Some("Lockstep".into()),
            pubsub_topic: Some(TOPIC.into()),
            notification_types: ["ENROLLMENT", "STATUS_REPORT", "COMMAND"].map(String::from).to_vec(),
            ..Default::default()
        })
        .map_err(|e| StackError::Mock(e.to_string()))?;
    Ok(mock)
}

/// Push the topic's notifications to the MDM at `mdm_url`.
fn subscribe_mdm(mock: &RunningMock, mdm_url: &str) -> Result<(), StackError> {
    subscribe(mock, &default_push_endpoint(mdm_url))
}

/// Where the reference MDM at `mdm_url` takes pushes.
fn default_push_endpoint(mdm_url: &str) -> String {
    format!("{}{}", mdm_url.trim_end_matches('/'), reference_mdm::PUSH_PATH)
}

/// Push the topic's notifications to `push_endpoint`.
fn subscribe(mock: &RunningMock, push_endpoint: &str) -> Result<(), StackError> {
    mock.mock()
        .subscribe(PushSubscription {
            name: "projects/lockstep/subscriptions/mdm".into(),
            topic: TOPIC.into(),
            push_endpoint: push_endpoint.to_owned(),
            ..Default::default()
        })
        .map_err(|e| StackError::Mock(e.to_string()))
}

/// One scenario's stack.
#[derive(Debug)]
pub struct Stack {
    mock: Mock,
    mock_url: String,
    /// The mock this scenario started (embedded runs), stopped with it.
    own_mock: Option<RunningMock>,
    mdm_server: Option<reference_mdm::RunningMdm>,
    mdm: Mdm,
    mail: Arc<MailSink>,
    observer: String,
    /// Makes this scenario's e-mail addresses its own on a shared MDM.
    nonce: String,
    swaps: BTreeMap<String, String>,
    secrets: Secrets,
    /// The MDM's container, when the harness started it.
    container: Option<Arc<MdmContainer>>,
    /// The id of the last Pub/Sub message published before this scenario
    /// began: what came before it is not this scenario's to wait for.
    push_baseline: u64,
    /// `--accounts`: the existing accounts this scenario's people are.
    lease: Option<crate::accounts::Lease>,
}

impl Stack {
    /// Start the stack of one scenario: a fresh embedded one, or a view of
    /// the shared external target.
    pub async fn start(
        config: &RunConfig,
        shared: Option<&SharedTarget>,
        vendor: &str,
        nonce: String,
        secrets: Secrets,
        cast: &crate::accounts::Cast,
    ) -> Result<Stack, StackError> {
        let mut stack = match (&config.target, shared) {
            (Target::External(_) | Target::Docker(_), Some(shared)) => Stack {
                mock: shared.mock.mock().clone(),
                mock_url: shared.mock.base_url.clone(),
                own_mock: None,
                mdm_server: None,
                mdm: Mdm::new(shared.url.clone()),
                mail: shared.mail.clone(),
                observer: String::new(),
                nonce,
                swaps: config.profile_swaps.iter().cloned().collect(),
                secrets,
                container: shared.container.clone(),
                push_baseline: 0,
                lease: None,
            },
            (Target::External(_) | Target::Docker(_), None) => {
                return Err(StackError::Other(format!(
                    "the shared set-up for {} was not started",
                    config.target.spelling()
                )))
            }
            (Target::Embedded, _) => Self::embedded(config, vendor, nonce, secrets).await?,
        };
        stack.push_baseline = stack
            .mock()
            .published_messages()
            .iter()
            .filter_map(|m| m.message_id.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        if let (Some(pool), Some(_)) = (&config.accounts, shared) {
            stack.lease =
                Some(crate::accounts::lease(pool, cast, &stack.secrets, &stack.mail).await.map_err(StackError::Other)?);
        }
        let observer_email = stack.email(OBSERVER);
        stack.create_account(&observer_email, OBSERVER, Role::SiteAdmin).await?;
        stack.observer = stack.sign_in(&observer_email).await?;
        Ok(stack)
    }

    /// The e-mail address of `name` in this scenario.
    pub fn email(&self, name: &str) -> String {
        if let Some(account) = self.lease.as_ref().and_then(|l| crate::accounts::email_of(l, name)) {
            return account;
        }
        format!("{}.{}@example.test", name.to_lowercase(), self.nonce)
    }

    async fn embedded(config: &RunConfig, vendor: &str, nonce: String, secrets: Secrets) -> Result<Stack, StackError> {
        let virtual_clock = amapi_mock::ClockChoice::Virtual(amapi_mock::clock::DEFAULT_VIRTUAL_START);
        let mock = serve_mock(config, std::net::SocketAddr::from(([127, 0, 0, 1], 0)), virtual_clock).await?;
        let mail = MailSink::start().await.map_err(|e| StackError::Mail(e.to_string()))?;

        let mut mdm_config = reference_mdm::ServeConfig::new(mock.base_url.trim_end_matches('/'));
        mdm_config.enterprise = Some(format!("enterprises/{ENTERPRISE_ID}"));
        mdm_config.vendor =
            reference_mdm::VendorSource::File(config.fixtures.join("vendors").join(format!("{vendor}.toml")));
        mdm_config.smtp = Some(mail.addr().to_string());
        mdm_config.clock = Arc::new(ScenarioClock(mock.mock().clock().clone()));
        mdm_config.pubsub_topic = Some(TOPIC.into());
        // Action ids name this scenario's MDM in a log shared by many.
        mdm_config.id_prefix = format!("{nonce}_");
        // The MDM polls what it sent on this interval when no notification
        // comes (a lost push, a device offline). The mock answers on
        // loopback in well under a millisecond, so a short interval costs
        // little, and the scenarios that depend on the poll do not wait
        // 200 ms (the interval before) or 2 s (the MDM's default) for it.
        mdm_config.poll_interval = Duration::from_millis(20);
        // The mock answers on loopback: the default backoff (200 ms to 5 s,
        // sized for Google) would make a scenario with a streak of 429s or
        // 5xx answers wait seconds for nothing. Same attempts, shorter waits.
        mdm_config.retry = reference_mdm::RetryPolicy {
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            ..Default::default()
        };
        mdm_config.defects = config.mdm_defects.clone();
        let mdm_server = reference_mdm::serve(mdm_config).await.map_err(|e| StackError::Mdm(e.to_string()))?;
        let base = mdm_server.base_url.trim_end_matches('/').to_owned();
        subscribe_mdm(&mock, &base)?;
        Ok(Stack {
            mock: mock.mock().clone(),
            mock_url: mock.base_url.clone(),
            own_mock: Some(mock),
            mdm_server: Some(mdm_server),
            mdm: Mdm::new(base),
            mail: Arc::new(mail),
            observer: String::new(),
            nonce,
            swaps: config.profile_swaps.iter().cloned().collect(),
            secrets,
            container: None,
            push_baseline: 0,
            lease: None,
        })
    }

    pub async fn stop(mut self) {
        if let Some(mdm) = self.mdm_server.take() {
            mdm.shutdown().await;
        }
        if let Some(mock) = self.own_mock.take() {
            let _ = mock.shutdown().await;
        }
    }

    pub fn mdm(&self) -> &Mdm {
        &self.mdm
    }

    /// What the embedded MDM's background work is doing, as it changes;
    /// `None` for an external MDM, which says nothing of the sort.
    pub fn activity(&self) -> Option<tokio::sync::watch::Receiver<reference_mdm::Activity>> {
        self.mdm_server.as_ref().map(reference_mdm::RunningMdm::activity)
    }

    /// A count of the embedded MDM's work done, bumped as each piece ends
    /// (a dispatch, a push, a round that had something to do): what a wait
    /// looks again after. `None` for an external MDM.
    pub fn work_done(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.mdm_server.as_ref().map(reference_mdm::RunningMdm::work_done)
    }

    /// Have the embedded MDM start a background round (sweep, mail outbox)
    /// now instead of at its next poll; nothing for an external MDM.
    pub fn wake_mdm(&self) {
        if let Some(mdm) = &self.mdm_server {
            mdm.wake();
        }
    }

    /// Pub/Sub messages on their way to the MDM: published for this
    /// scenario and not yet acknowledged as often as they are to be
    /// delivered (twice when a fault duplicates one). A dropped one goes
    /// nowhere; one a fault holds back until the next message waits for
    /// that message, not for time, so it is not on its way either.
    pub fn pushes_in_flight(&self) -> usize {
        self.mock()
            .published_messages()
            .iter()
            .filter(|m| m.message_id.parse::<u64>().unwrap_or(u64::MAX) > self.push_baseline)
            .filter(|m| !(m.dropped || (m.reordered && m.attempts.is_empty())))
            .filter(|m| m.attempts.iter().filter(|a| a.acked).count() < if m.duplicated { 2 } else { 1 })
            .count()
    }

    /// How many push attempts the mock has made, acknowledged or not.
    pub fn push_attempts(&self) -> usize {
        self.mock().published_messages().iter().map(|m| m.attempts.len()).sum()
    }

    pub fn mock(&self) -> &Mock {
        &self.mock
    }

    /// The MDM's container, when the harness started it (`--target docker:IMAGE`).
    pub fn container(&self) -> Option<&MdmContainer> {
        self.container.as_deref()
    }

    pub fn observer_session(&self) -> &str {
        &self.observer
    }

    pub async fn create_account(&self, email: &str, name: &str, role: Role) -> Result<(), StackError> {
        if let Some(lease) = &self.lease {
            // Pre-provisioned (`--accounts`): the account exists; its role is
            // checked when it signs in.
            return match lease.by_email(email) {
                Some(_) => Ok(()),
                None => Err(StackError::Other(format!(
                    "{name} ({}) has no account leased from {}: the scenario's cast is read from its `Given {name} is a ...` steps before it starts",
                    role.wire(),
                    lease.file().display()
                ))),
            };
        }
        let account = NewAccount { email, name, role: role.wire(), password: None };
        self.mdm.create_account(&account).await?.map_err(StackError::Refused)?;
        Ok(())
    }

    pub async fn sign_in(&self, email: &str) -> Result<String, StackError> {
        if let Some(lease) = &self.lease {
            return crate::accounts::sign_in(&self.mdm, lease, email).await.map_err(StackError::Other);
        }
        let session = self.mdm.sign_in(&SignIn { email, password: None }).await?.map_err(StackError::Refused)?;
        Ok(session.token)
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), StackError> {
        self.mdm.sign_out(token).await?.map_err(StackError::Refused)
    }

    /// Move the scenario's one clock; the mock expires what is due.
    pub async fn advance(&self, by: Duration) -> Result<(), StackError> {
        self.mock().advance_clock(by).map_err(|e| StackError::Mock(e.to_string()))?;
        Ok(())
    }

    /// Mail the sink received for `email`.
    pub fn mail_to(&self, email: &str) -> Vec<Mail> {
        self.mail.messages_to(email)
    }

    /// How many commands AMAPI accepted for `device`, of one type if given:
    /// the operations the mock holds for it. Not the journal's 2xx answers:
    /// a command carried out whose answer was lost was answered 503, and
    /// still reached the device.
    pub fn commands_sent(&self, device: &str, kind: Option<&str>) -> usize {
        self.mock()
            .operations_of(device)
            .unwrap_or_default()
            .iter()
            .filter(|op| kind.is_none_or(|k| op.pointer("/metadata/type").and_then(Value::as_str) == Some(k)))
            .count()
    }

    /// Enroll a simulated device the way a person would: the MDM makes an
    /// enrollment token for the owner, the device enrolls with it, and the
    /// MDM learns of the device from AMAPI's ENROLLMENT notification.
    #[allow(clippy::too_many_arguments)]
    pub async fn enroll(
        &self,
        profile: &str,
        ownership: Ownership,
        owner: &str,
        owner_email: &str,
        passcode: Option<&Passcode>,
        policy: Option<&PasswordPolicy>,
        unlock_after: bool,
    ) -> Result<Handset, StackError> {
        let request = NewEnrollment { ownership: ownership.as_str(), user_email: owner_email, password_policy: policy };
        let token = self.mdm.enroll(&self.observer, &request).await?.map_err(StackError::Refused)?.enrollment_token;
        let profile = self.swaps.get(profile).map_or(profile, String::as_str);
        let mut registration = Registration::new(token, profile, ownership);
        registration.passcode = passcode.cloned();
        let name = self.mock().register_device(&registration).map_err(|e| StackError::Mock(e.to_string()))?;
        let facts = self
            .mock()
            .with_device(&name, |d, _| DeviceFacts {
                profile: d.profile().name.clone(),
                api_level: d.api_level(),
                ownership,
            })
            .map_err(|e| StackError::Mock(e.to_string()))?;
        let dut = SimulatedDevice::new(self.mock().clone(), name.clone(), facts);
        if let (Some(p), true) = (passcode, unlock_after) {
            // The person has used the phone since: a company device has
            // restarted at least once since its passcode was set (so the lock
            // screen read the passcode's length at start-up), and the lock came
            // up and they unlocked it, which activates a pending reset token.
            let company = ownership != Ownership::WorkProfilePersonal;
            let entry = self
                .mock()
                .with_device(&name, |d, now| {
                    if company {
                        d.reboot();
                    } else {
                        d.press_power();
                    }
                    d.enter_passcode(CredentialHolder::DeviceUser, p, now)
                })
                .map_err(|e| StackError::Mock(e.to_string()))?;
            if entry != Entry::Unlocked {
                return Err(StackError::Other(format!(
                    "the device's own passcode did not unlock it after enrollment: {entry:?}"
                )));
            }
        }
        let mdm_id = self.wait_for_device(&name, owner_email).await?;
        Ok(Handset {
            dut: Box::new(dut),
            mdm_id,
            amapi_name: name,
            owner: owner.to_owned(),
            ownership,
            device_passcode: passcode.cloned(),
            old_passcode: None,
            new_passcode: None,
            last_action: BTreeMap::new(),
        })
    }

    /// The MDM's id of the device named `amapi_name`, once it lists it
    /// among the devices of `owner_email` (never the whole inventory).
    async fn wait_for_device(&self, amapi_name: &str, owner_email: &str) -> Result<String, StackError> {
        let deadline = tokio::time::Instant::now() + crate::patience::current();
        // The MDM learns of the device from a push: its work count says when one came.
        let mut wake = self.work_done();
        loop {
            if let Some(w) = wake.as_mut() {
                w.borrow_and_update();
            }
            let listed = self.mdm.devices(&self.observer, owner_email).await?.map_err(StackError::Refused)?;
            // The filter is what keeps the harness from reading a whole inventory.
            if let Some(stranger) =
                listed.iter().find(|d| !d.user_email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(owner_email)))
            {
                return Err(StackError::Other(format!(
                    "GET /devices?user_email={owner_email} listed {} of {}: the MDM does not filter by user_email",
                    stranger.id,
                    stranger.user_email.as_deref().unwrap_or("no user")
                )));
            }
            if let Some(d) = listed.iter().find(|d| d.amapi_name == amapi_name) {
                return Ok(d.id.clone());
            }
            if tokio::time::Instant::now() >= deadline {
                let seen: Vec<&str> = listed.iter().map(|d| d.amapi_name.as_str()).collect();
                return Err(StackError::Other(format!(
                    "waited {}: the MDM never listed {amapi_name} among the devices of {owner_email} after its enrollment; it listed [{}]",
                    crate::patience::describe(crate::patience::current()),
                    seen.join(", ")
                )));
            }
            crate::patience::nap(&mut wake, Duration::from_millis(5)).await;
        }
    }

    /// Issue a command to `device` as a plain AMAPI client and wait for its
    /// operation to finish. Returns the finished Operation.
    pub async fn issue_command(&self, device: &str, command: Value) -> Result<Value, String> {
        let http = reqwest::Client::new();
        let base = self.mock_url.trim_end_matches('/');
        let op: Value = http
            .post(format!("{base}/v1/{device}:issueCommand"))
            .json(&command)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let name =
            op.get("name").and_then(Value::as_str).ok_or_else(|| format!("issueCommand answered {op}"))?.to_owned();
        let deadline = tokio::time::Instant::now() + crate::patience::current();
        loop {
            let op: Value = http
                .get(format!("{base}/v1/{name}"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            if op.get("done").and_then(Value::as_bool) == Some(true) {
                return Ok(op);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(self.secrets.redact(&format!("the operation {name} did not finish")));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
