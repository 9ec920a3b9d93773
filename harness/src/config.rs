//! The run configuration. [`crate::cli::RunArgs`] is what the user typed;
//! [`RunConfig`] is what the run uses, resolved in one place ([`resolve`]):
//! defaults, the fixtures directory, the seed.

use crate::cli::RunArgs;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Which MDM the scenarios drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A fresh reference MDM, AMAPI mock and mail sink per scenario, in this
    /// process, on one virtual clock.
    Embedded,
    /// An MDM that speaks the Lockstep driver protocol at this base URL.
    External(String),
}

/// Which device the device-side checks (@device scenarios) run on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The suite as usual: each @device scenario makes the simulated device
    /// its Given step names.
    #[default]
    Embedded,
    /// Only @device scenarios, each on a simulated device of this profile
    /// (whatever profile the step names).
    Profile(String),
    /// Only @device scenarios, one at a time, on this device over adb:
    /// through an adb server (`adb:SERIAL`) or straight to its adbd over
    /// TCP (`tcp:HOST:PORT`).
    Adb(crate::device::adb::Endpoint),
}

/// Everything a run needs, resolved.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub paths: Vec<PathBuf>,
    pub tags: Option<String>,
    pub vendor: Option<String>,
    pub target: Target,
    pub amapi_listen: Option<SocketAddr>,
    pub smtp_listen: Option<SocketAddr>,
    pub seed: u64,
    pub concurrency: usize,
    pub report_dir: PathBuf,
    pub fail_fast: bool,
    pub fixtures: PathBuf,
    /// Defect switches for the embedded MDM (negative controls).
    pub mdm_defects: Vec<String>,
    /// `(twin, substitute)`: run every scenario that asks for `twin` on `substitute`.
    pub profile_swaps: Vec<(String, String)>,
    pub show_progress: bool,
    /// `--device`: which device the @device scenarios run on.
    pub device: DeviceChoice,
}

/// A configuration the run cannot start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--target: `{0}` is neither `embedded` nor an http(s) URL of an MDM speaking the driver protocol")]
    Target(String),
    #[error("--swap-profile: `{0}` should be TWIN=SUBSTITUTE, two device profile names")]
    Swap(String),
    #[error("{0}: no such feature file or directory")]
    Path(PathBuf),
    #[error("--concurrency must be at least 1")]
    Concurrency,
    #[error("--device: {0}")]
    Device(String),
}

/// The default number of scenarios in flight. Scenarios spend most of their
/// time waiting on loopback HTTP, so many more than the core count pay off;
/// 16 keeps the number of listening sockets and SQLite databases modest.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Resolve what the user typed into a [`RunConfig`].
pub fn resolve(args: &RunArgs, fixtures: PathBuf) -> Result<RunConfig, ConfigError> {
    let target = match args.target.as_deref() {
        None | Some("embedded") => Target::Embedded,
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Target::External(url.trim_end_matches('/').to_owned())
        }
        Some(other) => return Err(ConfigError::Target(other.to_owned())),
    };
    let paths = if args.paths.is_empty() { vec![PathBuf::from("features")] } else { args.paths.clone() };
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        return Err(ConfigError::Path(missing.clone()));
    }
    let profile_swaps = args
        .swap_profile
        .iter()
        .map(|s| match s.split_once('=') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
            _ => Err(ConfigError::Swap(s.clone())),
        })
        .collect::<Result<_, _>>()?;
    let device = resolve_device(args.device.as_deref(), args.adb_server.as_deref())?;
    // A real device runs one scenario at a time.
    let concurrency =
        if matches!(device, DeviceChoice::Adb(_)) { 1 } else { args.concurrency.unwrap_or(DEFAULT_CONCURRENCY) };
    if concurrency == 0 {
        return Err(ConfigError::Concurrency);
    }
    Ok(RunConfig {
        paths,
        tags: args.tags.clone(),
        vendor: args.vendor.clone(),
        target,
        amapi_listen: args.amapi_listen,
        smtp_listen: args.smtp_listen,
        // A run without --seed takes one from the clock; it is printed so
        // the run can be replayed with --seed.
        seed: args.seed.unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
        }),
        concurrency,
        report_dir: args.report_dir.clone().unwrap_or_else(|| PathBuf::from("reports")),
        fail_fast: args.fail_fast,
        fixtures,
        mdm_defects: args.mdm_defect.clone(),
        profile_swaps,
        show_progress: !args.no_progress,
        device,
    })
}

/// `--device adb:SERIAL|tcp:HOST:PORT|profile:NAME` (and `--adb-server`).
pub fn resolve_device(device: Option<&str>, adb_server: Option<&str>) -> Result<DeviceChoice, ConfigError> {
    match device {
        None => Ok(DeviceChoice::Embedded),
        Some(d) => match d.split_once(':') {
            Some(("adb", serial)) if !serial.is_empty() => {
                let server = crate::device::adb::parse_server(adb_server).map_err(ConfigError::Device)?;
                Ok(DeviceChoice::Adb(crate::device::adb::Endpoint::Server { server, serial: serial.to_owned() }))
            }
            Some(("tcp", addr)) => {
                let addr = std::net::ToSocketAddrs::to_socket_addrs(addr)
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or_else(|| ConfigError::Device(format!("tcp:{addr} is not HOST:PORT")))?;
                Ok(DeviceChoice::Adb(crate::device::adb::Endpoint::Direct(addr)))
            }
            Some(("profile", name)) if !name.is_empty() => Ok(DeviceChoice::Profile(name.to_owned())),
            _ => Err(ConfigError::Device(format!("`{d}` is none of adb:SERIAL, tcp:HOST:PORT, profile:NAME"))),
        },
    }
}
