//! The container engine: found where `DOCKER_HOST` says (default the local
//! socket), pinged with a bound, its API version negotiated down to what it
//! speaks. Everything Lockstep creates carries [`LABEL_OWNER`] (this
//! process and host), so a later run can remove what a run killed outright
//! (SIGKILL, power loss) left behind: [`Engine::reap`].

use bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, ListVolumesOptions, RemoveContainerOptions, RemoveVolumeOptions,
};
use bollard::Docker;
use std::collections::HashMap;
use std::time::Duration;

/// The label on every container, network and volume Lockstep creates:
/// `HOST/PID` of the process that made it, where `HOST` also names the
/// process's PID namespace when it is not the host's (`HOST@pid:[N]`): a
/// Lockstep in a container sees other PIDs than one beside it, and must not
/// take their objects for orphans.
pub const LABEL_OWNER: &str = "org.lockstep.owner";

/// How long the engine gets to answer a ping before it counts as absent.
/// Our choice: a local engine answers in milliseconds; a remote one over
/// a slow link still well inside this.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// A connected engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    host: String,
}

/// No engine answered: the reason @docker scenarios are skipped.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no container engine answers a ping at {host}: {reason}")]
pub struct EngineAbsent {
    pub host: String,
    pub reason: String,
}

impl Engine {
    /// Connect to the engine `DOCKER_HOST` names (default: the local socket),
    /// ping it, and speak the newest API version both sides know.
    pub async fn connect() -> Result<Engine, EngineAbsent> {
        let host = std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
        let absent = |reason: String| EngineAbsent { host: host.clone(), reason };
        let docker = Docker::connect_with_defaults().map_err(|e| absent(e.to_string()))?;
        match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
            Err(_) => return Err(absent(format!("no answer within {} s", PING_TIMEOUT.as_secs()))),
            Ok(Err(e)) => return Err(absent(e.to_string())),
            Ok(Ok(_)) => {}
        }
        let docker = docker.negotiate_version().await.map_err(|e| absent(format!("version negotiation: {e}")))?;
        Ok(Engine { docker, host })
    }

    /// The bollard client, for the modules of this folder.
    pub(crate) fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Where the engine is (`DOCKER_HOST`, or the default socket).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The size in bytes of a local image, if the engine holds it.
    pub async fn image_size(&self, image: &str) -> Option<i64> {
        self.docker.inspect_image(image).await.ok()?.size
    }

    /// The value of [`LABEL_OWNER`] for what this process creates.
    pub fn owner() -> String {
        format!("{}/{}", this_host(), std::process::id())
    }

    /// Remove `old`, an image `lockstep image build` made that lost its
    /// tag to a newer build (`<none>:<none>` now), if nothing else names
    /// or uses it. Only images carrying our label are touched. Returns
    /// whether it was removed.
    pub async fn prune_replaced(&self, old: &str) -> bool {
        let Ok(image) = self.docker.inspect_image(old).await else { return false };
        let ours = image.config.and_then(|c| c.labels).is_some_and(|l| l.contains_key(super::image::LABEL_VERSION));
        let untagged = image.repo_tags.unwrap_or_default().is_empty();
        if !ours || !untagged {
            return false;
        }
        // Not forced: an image a container or another image still uses stays.
        let options = bollard::query_parameters::RemoveImageOptions { force: false, noprune: false };
        self.docker.remove_image(old, Some(options), None).await.is_ok()
    }

    /// The labels every object this process creates carries.
    pub(crate) fn labels() -> HashMap<String, String> {
        HashMap::from([(LABEL_OWNER.to_owned(), Engine::owner())])
    }

    /// Remove the containers, networks and volumes that a Lockstep process
    /// on this host made and that outlived it (it was killed before it
    /// could remove them). Returns what was removed, for the log.
    pub async fn reap(&self) -> Vec<String> {
        self.remove_where(is_orphan).await
    }

    /// Remove every container, network and volume this process made (a
    /// start cut short by Ctrl-C).
    pub async fn remove_own(&self) -> Vec<String> {
        let own = Engine::owner();
        self.remove_where(|owner| owner == own).await
    }

    async fn remove_where(&self, pick: impl Fn(&str) -> bool) -> Vec<String> {
        let mut removed = Vec::new();
        let filter = HashMap::from([("label".to_owned(), vec![LABEL_OWNER.to_owned()])]);
        let orphaned = |labels: Option<&HashMap<String, String>>| {
            labels.and_then(|l| l.get(LABEL_OWNER)).is_some_and(|owner| pick(owner))
        };
        let containers = self
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filter.clone()),
                ..Default::default()
            }))
            .await
            .unwrap_or_default();
        for c in containers.iter().filter(|c| orphaned(c.labels.as_ref())) {
            let Some(id) = &c.id else { continue };
            let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
            if self.docker.remove_container(id, Some(options)).await.is_ok() {
                removed.push(format!("container {}", c.names.as_ref().and_then(|n| n.first()).unwrap_or(id)));
            }
        }
        let networks = self
            .docker
            .list_networks(Some(ListNetworksOptions { filters: Some(filter.clone()) }))
            .await
            .unwrap_or_default();
        for n in networks.iter().filter(|n| orphaned(n.labels.as_ref())) {
            let Some(name) = &n.name else { continue };
            if self.docker.remove_network(name).await.is_ok() {
                removed.push(format!("network {name}"));
            }
        }
        let volumes = self
            .docker
            .list_volumes(Some(ListVolumesOptions { filters: Some(filter) }))
            .await
            .ok()
            .and_then(|v| v.volumes)
            .unwrap_or_default();
        for v in volumes.iter().filter(|v| orphaned(Some(&v.labels))) {
            let options = RemoveVolumeOptions { force: true };
            if self.docker.remove_volume(&v.name, Some(options)).await.is_ok() {
                removed.push(format!("volume {}", v.name));
            }
        }
        removed
    }
}

/// This machine's host name (Linux: the kernel's; elsewhere `HOSTNAME`),
/// and the PID namespace when it is not the first one (a container's).
fn this_host() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into());
    match pid_namespace() {
        Some(ns) if ns != INITIAL_PID_NAMESPACE => format!("{host}@{ns}"),
        _ => host,
    }
}

/// The kernel's initial PID namespace (`PROC_PID_INIT_INO`, 0xEFFFFFFC).
const INITIAL_PID_NAMESPACE: &str = "pid:[4026531836]";

/// This process's PID namespace (`pid:[N]`), where the system says.
fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid").ok().map(|p| p.display().to_string())
}

/// Whether the process `owner` (`HOST/PID`) names is gone: it ran on this
/// host and no process of that id is alive. Another host's objects are
/// never touched, and where liveness cannot be told, nothing is removed.
fn is_orphan(owner: &str) -> bool {
    let Some((host, pid)) = owner.rsplit_once('/') else { return false };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    if host != this_host() || pid == std::process::id() {
        return false;
    }
    cfg!(target_os = "linux") && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_dead_process_of_this_host_leaves_orphans() {
        assert!(!is_orphan(&Engine::owner()), "this process is alive");
        assert!(!is_orphan(&format!("some-other-host/{}", u32::MAX)), "another host's objects are not ours");
        assert!(!is_orphan("garbage"));
        assert!(
            !is_orphan(&format!("{}@pid:[1]/{}", this_host(), u32::MAX - 1)),
            "a Lockstep in another PID namespace sees other PIDs: its objects are not ours to judge"
        );
        if cfg!(target_os = "linux") {
            assert!(is_orphan(&format!("{}/{}", this_host(), u32::MAX - 1)), "no such pid");
        }
    }
}
