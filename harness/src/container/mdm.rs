//! The MDM under test as a container: started from a local image (never
//! pulled) on a network of its own with a volume for its state, given the
//! environment contract below, waited for until `GET /lockstep/v1/about`
//! answers, and removed (container, network, volume) at the end.
//!
//! Networking, our choice (docs/containers.md): a bridge network per run.
//! The harness serves the AMAPI mock and the mail sink on that network's
//! gateway address, which the container reaches and nothing outside the
//! host does; the container's driver-protocol port is published on
//! 127.0.0.1 at a port the harness picks, which the harness (and the
//! mock's Pub/Sub push) reaches. The host port is fixed in the container's
//! configuration, so it is the same after a restart.

use super::engine::Engine;
use bollard::models::{ContainerCreateBody, EndpointSettings, HostConfig, NetworkConnectRequest, NetworkCreateRequest};
use bollard::models::{NetworkDisconnectRequest, PortBinding, VolumeCreateOptions};
use bollard::query_parameters::{
    CreateContainerOptions, InspectNetworkOptions, KillContainerOptions, LogsOptions, RemoveContainerOptions,
    RemoveVolumeOptions, StartContainerOptions,
};
use futures::StreamExt as _;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The port inside the container where the MDM must speak the driver protocol.
pub const DRIVER_PORT: u16 = 8080;
/// Where the state volume is mounted inside the container.
pub const STATE_DIR: &str = "/var/lib/lockstep";
/// How many of the container's last log lines an error shows.
pub const LOG_TAIL: usize = 30;

/// The environment contract: every variable the harness sets in the MDM's
/// container (docs/containers.md). One home for the names.
pub mod contract {
    /// `0.0.0.0:8080`: where to serve the driver protocol (and the Pub/Sub push path).
    pub const LISTEN: &str = "LOCKSTEP_LISTEN";
    /// AMAPI's base URL (requests go to `{url}/v1/...`).
    pub const AMAPI_URL: &str = "LOCKSTEP_AMAPI_URL";
    /// `enterprises/ID`: the enterprise to manage.
    pub const ENTERPRISE: &str = "LOCKSTEP_ENTERPRISE";
    /// The Pub/Sub topic the enterprise's notifications are published to.
    pub const PUBSUB_TOPIC: &str = "LOCKSTEP_PUBSUB_TOPIC";
    /// The path on the driver-protocol port the harness pushes them to.
    pub const PUSH_PATH: &str = "LOCKSTEP_PUSH_PATH";
    /// `HOST:PORT` of the SMTP server for the passcode mail.
    pub const SMTP: &str = "LOCKSTEP_SMTP";
    /// A directory that survives a restart of the container: keep state there.
    pub const STATE_DIR: &str = "LOCKSTEP_STATE_DIR";
    /// `HOST:PORT` of the Pub/Sub emulator (gRPC and REST), the variable
    /// Google's Pub/Sub clients read, for an MDM that pulls.
    pub const PUBSUB_EMULATOR_HOST: &str = "PUBSUB_EMULATOR_HOST";
    /// The pull subscription to the topic, made for the container.
    pub const PUBSUB_SUBSCRIPTION: &str = "LOCKSTEP_PUBSUB_SUBSCRIPTION";
    /// The reference MDM's defect switches (`--mdm-defect`).
    pub const MDM_DEFECTS: &str = "LOCKSTEP_MDM_DEFECTS";

    /// Every variable the harness sets: a `[target.env]` entry may not
    /// name one (harness/src/config/file.rs).
    pub const ALL: [&str; 10] = [
        LISTEN,
        AMAPI_URL,
        ENTERPRISE,
        PUBSUB_TOPIC,
        PUSH_PATH,
        SMTP,
        STATE_DIR,
        PUBSUB_EMULATOR_HOST,
        PUBSUB_SUBSCRIPTION,
        MDM_DEFECTS,
    ];
}

/// The pull subscription made for the container (`LOCKSTEP_PUBSUB_SUBSCRIPTION`).
pub const PULL_SUBSCRIPTION: &str = "projects/lockstep/subscriptions/mdm-pull";

/// Serve the mock's Pub/Sub emulator on the network's gateway, beside the
/// mock, and give `topic` a pull subscription ([`PULL_SUBSCRIPTION`]) for
/// an MDM that pulls instead of taking the push. The subscription keeps
/// every notification of the run until it is pulled and acknowledged, as
/// Pub/Sub does for a subscriber that is not there; an MDM that only takes
/// the push never pulls it and loses nothing by it.
pub async fn offer_pull(mock: &mut amapi_mock::RunningMock, gateway: IpAddr, topic: &str) -> Result<(), String> {
    let pubsub = amapi_mock::pubsub::serve(mock.mock(), SocketAddr::new(gateway, 0), Default::default())
        .await
        .map_err(|e| format!("the Pub/Sub emulator on {gateway}: {e}"))?;
    mock.pubsub = Some(pubsub);
    // The push subscription the harness adds later finds the topic there.
    mock.mock().create_topic(topic).map_err(|e| e.to_string())?;
    mock.mock()
        .create_subscription(amapi_mock::SubscriptionConfig::pull(PULL_SUBSCRIPTION, topic))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The contract's Pub/Sub pull variables, once [`offer_pull`] has run.
pub fn pull_env(mock: &amapi_mock::RunningMock) -> Vec<(String, String)> {
    match &mock.pubsub {
        Some(p) => vec![
            (contract::PUBSUB_EMULATOR_HOST.to_owned(), p.emulator_host.clone()),
            (contract::PUBSUB_SUBSCRIPTION.to_owned(), PULL_SUBSCRIPTION.to_owned()),
        ],
        None => Vec::new(),
    }
}

/// The container's network, made before the harness's servers start so
/// they can listen on its gateway.
#[derive(Debug)]
pub struct Network {
    pub name: String,
    /// The host's address on the network, reachable from the container.
    pub gateway: IpAddr,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct StartSpec {
    /// `REPOSITORY[:TAG]`.
    pub image: String,
    /// The contract's variables and any extras, in order.
    pub env: Vec<(String, String)>,
    /// How long the container gets to answer `/about`.
    pub start_timeout: Duration,
}

/// The MDM could not be started, or stopped answering.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("no image `{image}` in the engine at {host}, and Lockstep never pulls one; build it (`lockstep image build` makes lockstep-reference-mdm:{version}) or `docker load` it first{present}")]
    NoImage { image: String, host: String, version: &'static str, present: String },
    #[error("the container of `{image}` exited at start ({status}); its last log lines:\n{logs}")]
    Exited { image: String, status: String, logs: String },
    #[error("the container of `{image}` did not answer GET {url}/lockstep/v1/about within {} s (last: {last}); its last log lines:\n{logs}", .waited.as_secs_f64())]
    NoAnswer { image: String, url: String, waited: Duration, last: String, logs: String },
    #[error("the container engine at {host}: {action}: {message}")]
    Engine { host: String, action: String, message: String },
}

/// A running MDM container.
#[derive(Debug)]
pub struct MdmContainer {
    engine: Engine,
    pub image: String,
    /// The container's name (`lockstep-mdm-<owner pid>-<n>`).
    pub name: String,
    pub network: Network,
    pub volume: String,
    /// Where the harness reaches the driver protocol: `http://127.0.0.1:PORT`.
    pub url: String,
    start_timeout: Duration,
    /// How long the first start took, image to `/about` answering.
    pub ready_after: Duration,
}

impl Network {
    /// A fresh bridge network for one run.
    pub async fn create(engine: &Engine) -> Result<Network, ContainerError> {
        let name = unique_name("lockstep-net");
        let docker = engine.docker();
        let request = NetworkCreateRequest {
            name: name.clone(),
            driver: Some("bridge".into()),
            labels: Some(Engine::labels()),
            ..Default::default()
        };
        docker.create_network(request).await.map_err(|e| fail(engine, "create a network", e))?;
        let inspected = docker
            .inspect_network(&name, None::<InspectNetworkOptions>)
            .await
            .map_err(|e| fail(engine, "inspect the network", e))?;
        let gateway = inspected
            .ipam
            .and_then(|i| i.config)
            .and_then(|c| c.into_iter().find_map(|c| c.gateway))
            .and_then(|g| g.parse::<IpAddr>().ok());
        match gateway {
            Some(gateway) => Ok(Network { name, gateway }),
            None => {
                let _ = docker.remove_network(&name).await;
                Err(ContainerError::Engine {
                    host: engine.host().to_owned(),
                    action: format!("find the gateway of network {name}"),
                    message: "the engine gave it no IPv4 gateway".into(),
                })
            }
        }
    }

    /// Remove the network.
    pub async fn remove(&self, engine: &Engine) {
        let _ = engine.docker().remove_network(&self.name).await;
    }
}

impl MdmContainer {
    /// Start `spec.image` on `network` (which it then owns) with a fresh
    /// state volume and wait until it answers `/about`. On any failure
    /// everything is removed again, the network too.
    pub async fn start(engine: &Engine, network: Network, spec: &StartSpec) -> Result<MdmContainer, ContainerError> {
        let started = Instant::now();
        let docker = engine.docker();
        if docker.inspect_image(&spec.image).await.is_err() {
            network.remove(engine).await;
            return Err(ContainerError::NoImage {
                image: spec.image.clone(),
                host: engine.host().to_owned(),
                version: env!("CARGO_PKG_VERSION"),
                present: present_images(engine).await,
            });
        }
        let volume = unique_name("lockstep-state");
        let volume_made = docker
            .create_volume(VolumeCreateOptions {
                name: Some(volume.clone()),
                labels: Some(Engine::labels()),
                ..Default::default()
            })
            .await
            .map_err(|e| fail(engine, "create the state volume", e));
        let host_port = free_loopback_port().map_err(|e| ContainerError::Engine {
            host: engine.host().to_owned(),
            action: "pick a loopback port to publish the driver protocol on".into(),
            message: e.to_string(),
        });
        let host_port = match (host_port, volume_made) {
            (Ok(p), Ok(_)) => p,
            (Err(e), _) | (_, Err(e)) => {
                let _ = docker.remove_volume(&volume, Some(RemoveVolumeOptions { force: true })).await;
                network.remove(engine).await;
                return Err(e);
            }
        };
        let name = unique_name("lockstep-mdm");
        let network_name = network.name.clone();
        let port = format!("{DRIVER_PORT}/tcp");
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(Engine::labels()),
            exposed_ports: Some(HashMap::from([(port.clone(), HashMap::new())])),
            host_config: Some(HostConfig {
                network_mode: Some(network_name.clone()),
                binds: Some(vec![format!("{volume}:{STATE_DIR}")]),
                port_bindings: Some(HashMap::from([(
                    port,
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(host_port.to_string()),
                    }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CreateContainerOptions { name: Some(name.clone()), ..Default::default() };
        let container = MdmContainer {
            engine: engine.clone(),
            image: spec.image.clone(),
            name: name.clone(),
            network,
            volume: volume.clone(),
            url: format!("http://127.0.0.1:{host_port}"),
            start_timeout: spec.start_timeout,
            ready_after: Duration::ZERO,
        };
        if let Err(e) = docker.create_container(Some(options), body).await {
            container.remove().await;
            return Err(fail(engine, &format!("create a container of {}", spec.image), e));
        }
        if let Err(e) = docker.start_container(&name, None::<StartContainerOptions>).await {
            let logs = container.last_logs(LOG_TAIL).await;
            container.remove().await;
            return Err(ContainerError::Exited { image: spec.image.clone(), status: e.to_string(), logs });
        }
        match container.wait_ready().await {
            Ok(()) => Ok(MdmContainer { ready_after: started.elapsed(), ..container }),
            Err(e) => {
                container.remove().await;
                Err(e)
            }
        }
    }

    /// Wait, for at most the start timeout, until `/about` answers 200;
    /// fail at once when the container stops.
    pub async fn wait_ready(&self) -> Result<(), ContainerError> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap_or_default();
        let about = format!("{}/lockstep/v1/about", self.url);
        let started = Instant::now();
        loop {
            if let Some(status) = self.exited().await {
                return Err(ContainerError::Exited {
                    image: self.image.clone(),
                    status,
                    logs: self.last_logs(LOG_TAIL).await,
                });
            }
            let last = match http.get(&about).send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => format!("HTTP {}", r.status()),
                Err(e) => e.to_string(),
            };
            if started.elapsed() >= self.start_timeout {
                return Err(ContainerError::NoAnswer {
                    image: self.image.clone(),
                    url: self.url.clone(),
                    waited: started.elapsed(),
                    last,
                    logs: self.last_logs(LOG_TAIL).await,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `Some(how)` when the container is not running (exit code, OOM, error).
    async fn exited(&self) -> Option<String> {
        let inspected = self
            .engine
            .docker()
            .inspect_container(&self.name, None::<bollard::query_parameters::InspectContainerOptions>)
            .await
            .ok()?;
        let state = inspected.state?;
        if state.running == Some(true) {
            return None;
        }
        let mut how = format!("exit code {}", state.exit_code.unwrap_or(-1));
        if state.oom_killed == Some(true) {
            how.push_str(", killed for lack of memory");
        }
        if let Some(e) = state.error.filter(|e| !e.is_empty()) {
            how.push_str(&format!(", {e}"));
        }
        Some(how)
    }

    /// The container's last `n` log lines, stdout and stderr interleaved.
    pub async fn last_logs(&self, n: usize) -> String {
        self.logs(Some(n)).await.join("\n")
    }

    /// The container's log lines (all of them, or the last `tail`).
    pub async fn logs(&self, tail: Option<usize>) -> Vec<String> {
        let options = LogsOptions {
            stdout: true,
            stderr: true,
            tail: tail.map_or_else(|| "all".to_owned(), |n| n.to_string()),
            ..Default::default()
        };
        let mut stream = self.engine.docker().logs(&self.name, Some(options));
        let mut text = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            text.push_str(&chunk.to_string());
        }
        text.lines().map(str::to_owned).collect()
    }

    /// Cut the container off its network: what it sends or is sent from
    /// now on never arrives, as when a host's link goes down.
    pub async fn cut_off(&self) -> Result<(), ContainerError> {
        let request = NetworkDisconnectRequest { container: Some(self.name.clone()), force: Some(true) };
        self.engine
            .docker()
            .disconnect_network(&self.network.name, request)
            .await
            .map_err(|e| fail(&self.engine, "disconnect the MDM's container", e))
    }

    /// SIGKILL the container and wait until it has stopped.
    pub async fn kill(&self) -> Result<(), ContainerError> {
        let options = KillContainerOptions { signal: "SIGKILL".into() };
        self.engine
            .docker()
            .kill_container(&self.name, Some(options))
            .await
            .map_err(|e| fail(&self.engine, "kill the MDM's container", e))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.exited().await.is_none() {
            if Instant::now() >= deadline {
                return Err(ContainerError::Engine {
                    host: self.engine.host().to_owned(),
                    action: "kill the MDM's container".into(),
                    message: "still running 30 s after SIGKILL".into(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Start the stopped container again, on its network and its volume,
    /// and wait until it answers `/about`.
    pub async fn restart(&self) -> Result<(), ContainerError> {
        let docker = self.engine.docker();
        let connected = docker
            .inspect_container(&self.name, None::<bollard::query_parameters::InspectContainerOptions>)
            .await
            .ok()
            .and_then(|c| c.network_settings?.networks);
        if !connected.is_some_and(|n| n.contains_key(&self.network.name)) {
            let request = NetworkConnectRequest {
                container: Some(self.name.clone()),
                endpoint_config: Some(EndpointSettings::default()),
            };
            docker
                .connect_network(&self.network.name, request)
                .await
                .map_err(|e| fail(&self.engine, "reconnect the MDM's container", e))?;
        }
        docker
            .start_container(&self.name, None::<StartContainerOptions>)
            .await
            .map_err(|e| fail(&self.engine, "start the MDM's container again", e))?;
        self.wait_ready().await
    }

    /// Remove the container, its volume and its network.
    pub async fn remove(&self) {
        let docker = self.engine.docker();
        let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        let _ = docker.remove_container(&self.name, Some(options)).await;
        let _ = docker.remove_volume(&self.volume, Some(RemoveVolumeOptions { force: true })).await;
        self.network.remove(&self.engine).await;
    }
}

/// Images of ours the engine holds, for the message that one is missing.
async fn present_images(engine: &Engine) -> String {
    let images = engine.docker().list_images(None::<bollard::query_parameters::ListImagesOptions>).await;
    let mut names: Vec<String> = images
        .unwrap_or_default()
        .into_iter()
        .flat_map(|i| i.repo_tags)
        .filter(|t| t.starts_with("lockstep"))
        .collect();
    names.sort();
    if names.is_empty() {
        "; the engine holds no Lockstep image".into()
    } else {
        format!("; Lockstep images it holds: {}", names.join(", "))
    }
}

fn fail(engine: &Engine, action: &str, e: bollard::errors::Error) -> ContainerError {
    ContainerError::Engine { host: engine.host().to_owned(), action: action.to_owned(), message: e.to_string() }
}

/// `PREFIX-<pid>-<n>-<time>`: unique on the engine, also among processes
/// of other hosts sharing it.
fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}-{}-{}-{nanos:08x}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A loopback port nothing listens on now (the engine binds it next).
fn free_loopback_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?.local_addr()?.port())
}
