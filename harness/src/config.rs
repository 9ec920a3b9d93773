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
    let concurrency = args.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
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
    })
}
