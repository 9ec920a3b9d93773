//! The run configuration. [`crate::cli::RunArgs`] is what the user typed;
//! [`RunConfig`] is what the run uses, resolved in one function
//! ([`resolve`]) before any scenario starts: defaults, the fixtures (device
//! profiles, vendor profiles, fleets, the requirement catalogue, each loaded
//! and checked), every name a flag mentions looked up against them, the tag
//! expression parsed, the report directory made, the seed chosen. Every
//! mistake is a [`ConfigError`] naming the flag or file and the values it
//! could have been; the command turns it into exit 2.

pub mod file;

use crate::cli::RunArgs;
use crate::suite::Instance;
use cucumber::gherkin::tagexpr::TagOperation;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Which MDM the scenarios drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A fresh reference MDM, AMAPI mock and mail sink per scenario, in this
    /// process, on one virtual clock.
    Embedded,
    /// An MDM that speaks the Lockstep driver protocol at this base URL.
    External(String),
    /// An MDM the harness starts from this local container image
    /// (`REPOSITORY[:TAG]`, never pulled) and removes at the end
    /// (harness/src/container, docs/containers.md).
    Docker(String),
}

impl Target {
    /// How the target is written on the command line.
    pub fn spelling(&self) -> String {
        match self {
            Target::Embedded => "embedded".into(),
            Target::External(url) => url.clone(),
            Target::Docker(image) => format!("docker:{image}"),
        }
    }
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

/// A parsed `--tags` expression with the text it came from.
#[derive(Debug, Clone)]
pub struct TagFilter {
    pub text: String,
    pub expr: TagOperation,
}

/// The names the fixtures define, for checking flags against them.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Device profiles (fixtures/devices/*.toml), sorted.
    pub profiles: Vec<String>,
    /// Vendor profiles (fixtures/vendors/*.toml), sorted.
    pub vendors: Vec<String>,
}

/// Everything a run needs, resolved.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Feature files or directories, each with the lines asked for (`PATH:LINE`).
    pub paths: Vec<PathSpec>,
    pub tags: Option<TagFilter>,
    /// `--name`: only scenarios whose name matches.
    pub name: Option<regex::Regex>,
    pub vendor: Option<String>,
    pub target: Target,
    pub amapi_listen: Option<SocketAddr>,
    pub smtp_listen: Option<SocketAddr>,
    /// `--push-endpoint`: where the mock pushes the MDM's Pub/Sub messages
    /// (`None`: the target URL + the reference MDM's push path).
    pub push_endpoint: Option<String>,
    /// `--accounts`: the product's existing accounts, leased to scenarios
    /// instead of creating people with `POST /accounts`.
    pub accounts: Option<std::sync::Arc<crate::accounts::AccountPool>>,
    /// `--start-timeout`: how long an MDM container gets to answer `/about`.
    pub start_timeout: std::time::Duration,
    /// `[target.env]` of the run file: extra variables for the MDM's container.
    pub container_env: Vec<(String, String)>,
    /// `--config`: the run file this configuration was read from.
    pub run_file: Option<PathBuf>,
    pub seed: u64,
    pub concurrency: usize,
    /// `--patience`: how long a wait lasts (default [`crate::patience::PATIENCE`]).
    pub patience: std::time::Duration,
    pub report_dir: PathBuf,
    pub fail_fast: bool,
    pub fixtures: PathBuf,
    /// Defect switches for the embedded MDM (negative controls).
    pub mdm_defects: Vec<reference_mdm::Defect>,
    /// `(twin, substitute)`: run every scenario that asks for `twin` on `substitute`.
    pub profile_swaps: Vec<(String, String)>,
    pub show_progress: bool,
    /// `--device`: which device the @device scenarios run on.
    pub device: DeviceChoice,
    /// `--retries`: how often a failed scenario is tried again.
    pub retries: usize,
    pub shard: Option<Shard>,
    /// `--allow-empty`: a selection of nothing is a pass, not exit 4.
    pub allow_empty: bool,
    /// What the fixtures define.
    pub known: Known,
    /// The requirement catalogue.
    pub catalogue: Vec<crate::requirements::Requirement>,
}

/// A configuration the run cannot start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--target: `{0}` is none of `embedded`, an http(s) URL of an MDM speaking the driver protocol, `docker:IMAGE[:TAG]`")]
    Target(String),
    #[error("--target {target}: {problem}")]
    DockerTarget { target: String, problem: String },
    #[error("--swap-profile: `{0}` should be TWIN=SUBSTITUTE, two device profile names")]
    Swap(String),
    #[error("{flag}: no device profile `{name}`; known profiles: {}", known.join(", "))]
    UnknownProfile { flag: &'static str, name: String, known: Vec<String> },
    #[error("--vendor: no vendor profile `{name}`; known vendors: {}", known.join(", "))]
    UnknownVendor { name: String, known: Vec<String> },
    #[error("{0}: no such feature file or directory")]
    Path(PathBuf),
    #[error("{0}")]
    PathSpec(String),
    #[error("--concurrency must be at least 1")]
    Concurrency,
    #[error("--device: {0}")]
    Device(String),
    #[error("--tags: `{0}` is not a tag expression ({1})")]
    Tags(String, String),
    #[error("--name: `{0}` is not a regular expression ({1})")]
    Name(String, String),
    #[error("--fixtures: {0} is not a fixtures directory (it needs devices/ and vendors/)")]
    Fixtures(PathBuf),
    #[error("{0}")]
    Profile(#[from] android_sim::ProfileError),
    #[error("{0}")]
    Vendor(#[from] reference_mdm::vendor::ProfileError),
    #[error("{0}")]
    Fleet(#[from] amapi_mock::fleet::FleetError),
    #[error("requirement catalogue: {0}")]
    Catalogue(#[from] crate::requirements::CatalogueError),
    #[error("--report-dir: cannot use {path}: {source}")]
    ReportDir { path: PathBuf, source: std::io::Error },
    #[error("--push-endpoint: `{0}` is not an http(s) URL, e.g. http://mdm.internal:8080/pubsub/amapi")]
    PushEndpoint(String),
    #[error("--push-endpoint is for an MDM driven with --target URL; the embedded MDM and an MDM container get their push endpoint from the harness")]
    PushEndpointNotExternal,
    #[error("--accounts {0}")]
    Accounts(#[from] crate::accounts::AccountsError),
    #[error("--accounts is for an MDM that cannot create users on demand, driven with --target URL or docker:IMAGE; the embedded MDM creates each scenario's people itself")]
    AccountsEmbedded,
    #[error("{file}: {problem}")]
    Rerun { file: PathBuf, problem: String },
    #[error("--config {0}")]
    RunFile(#[from] file::RunFileError),
}

/// The default number of scenarios in flight. Scenarios spend most of their
/// time waiting on loopback HTTP, so many more than the core count pay off;
/// 16 keeps the number of listening sockets and SQLite databases modest.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// How long an MDM container gets to answer `/about` by default. Our
/// choice: the reference MDM answers in about a second; a product that
/// migrates a database at start may need a good part of a minute.
pub const DEFAULT_START_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// `docker:IMAGE[:TAG]` -> `IMAGE:TAG` (a missing tag is `latest`, as the
/// engine reads it). The reference is checked for its shape here; whether
/// the engine holds it is found when the run starts (exit 2 too).
fn docker_image(target: &str) -> Result<String, ConfigError> {
    let image = target.trim_start_matches("docker:");
    let bad = |problem: &str| ConfigError::DockerTarget { target: target.to_owned(), problem: problem.to_owned() };
    if image.is_empty() {
        return Err(bad("no image after `docker:`; e.g. docker:lockstep-reference-mdm:0.1.0"));
    }
    if image.chars().any(|c| c.is_whitespace() || c.is_ascii_uppercase()) {
        return Err(bad("an image reference is lower case, without spaces"));
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    Ok(if last.contains(':') || image.contains('@') { image.to_owned() } else { format!("{image}:latest") })
}

/// Resolve what the user typed into a [`RunConfig`].
pub fn resolve(args: &RunArgs, fixtures: PathBuf) -> Result<RunConfig, ConfigError> {
    let (known, catalogue) = load_fixtures(&fixtures)?;
    // The run file first; a flag on the command line wins over it.
    let run_file = args.config.as_deref().map(file::RunFile::load).transpose()?;
    let target_text = args.target.as_deref().or(run_file.as_ref().and_then(|f| f.target.as_deref()));
    let target = match target_text {
        None | Some("embedded") => Target::Embedded,
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Target::External(url.trim_end_matches('/').to_owned())
        }
        Some(docker) if docker.starts_with("docker:") => Target::Docker(docker_image(docker)?),
        Some(other) => return Err(ConfigError::Target(other.to_owned())),
    };
    if matches!(target, Target::Docker(_)) && (args.amapi_listen.is_some() || args.smtp_listen.is_some()) {
        return Err(ConfigError::DockerTarget {
            target: target.spelling(),
            problem: "--amapi-listen and --smtp-listen are for an MDM started by hand; with docker: the harness listens on the container network's gateway".into(),
        });
    }
    // Read and checked up front, like every other input: a typo is exit 2
    // naming the file, the line and the field.
    let accounts = match &args.accounts {
        Some(_) if target == Target::Embedded => return Err(ConfigError::AccountsEmbedded),
        Some(file) => Some(crate::accounts::AccountPool::new(crate::accounts::Accounts::load(file)?)),
        None => None,
    };
    let push_endpoint = match &args.push_endpoint {
        Some(_) if !matches!(target, Target::External(_)) => return Err(ConfigError::PushEndpointNotExternal),
        Some(url)
            if (url.starts_with("http://") || url.starts_with("https://"))
                && url
                    .split_once("://")
                    .is_some_and(|(_, rest)| !rest.is_empty() && !rest.contains(char::is_whitespace)) =>
        {
            Some(url.clone())
        }
        Some(other) => return Err(ConfigError::PushEndpoint(other.clone())),
        None => None,
    };
    let paths = resolve_paths(&args.paths)?;
    let profile = |flag: &'static str, name: &str| {
        if known.profiles.iter().any(|p| p == name) {
            Ok(name.to_owned())
        } else {
            Err(ConfigError::UnknownProfile { flag, name: name.to_owned(), known: known.profiles.clone() })
        }
    };
    let profile_swaps = args
        .swap_profile
        .iter()
        .map(|s| match s.split_once('=') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() => {
                Ok((profile("--swap-profile (twin)", a)?, profile("--swap-profile (substitute)", b)?))
            }
            _ => Err(ConfigError::Swap(s.clone())),
        })
        .collect::<Result<_, _>>()?;
    let vendor = match &args.vendor {
        Some(v) if !known.vendors.contains(v) => {
            return Err(ConfigError::UnknownVendor { name: v.clone(), known: known.vendors.clone() })
        }
        v => v.clone(),
    };
    let device = resolve_device(args.device.as_deref(), args.adb_server.as_deref())?;
    if let DeviceChoice::Profile(name) = &device {
        profile("--device profile:", name)?;
    }
    let tags = match &args.tags {
        Some(t) => Some(TagFilter {
            text: t.clone(),
            expr: t.parse::<TagOperation>().map_err(|e| ConfigError::Tags(t.clone(), e.to_string()))?,
        }),
        None => None,
    };
    let name = match &args.name {
        Some(re) => Some(regex::Regex::new(re).map_err(|e| ConfigError::Name(re.clone(), e.to_string()))?),
        None => None,
    };
    // A real device runs one scenario at a time.
    let concurrency =
        if matches!(device, DeviceChoice::Adb(_)) { 1 } else { args.concurrency.unwrap_or(DEFAULT_CONCURRENCY) };
    if concurrency == 0 {
        return Err(ConfigError::Concurrency);
    }
    let report_dir = args.report_dir.clone().unwrap_or_else(|| PathBuf::from("reports"));
    std::fs::create_dir_all(&report_dir)
        .map_err(|source| ConfigError::ReportDir { path: report_dir.clone(), source })?;
    Ok(RunConfig {
        paths,
        tags,
        name,
        vendor,
        target,
        amapi_listen: args.amapi_listen,
        smtp_listen: args.smtp_listen,
        push_endpoint,
        accounts,
        start_timeout: args
            .start_timeout
            .or(run_file.as_ref().and_then(|f| f.start_timeout))
            .unwrap_or(DEFAULT_START_TIMEOUT),
        container_env: run_file.as_ref().map(|f| f.env.clone()).unwrap_or_default(),
        run_file: args.config.clone(),
        // A run without --seed takes one from the clock; it is printed so
        // the run can be replayed with --seed.
        seed: args.seed.unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
        }),
        concurrency,
        patience: args.patience.unwrap_or(crate::patience::PATIENCE),
        report_dir,
        fail_fast: args.fail_fast,
        fixtures,
        mdm_defects: args.mdm_defect.clone(),
        profile_swaps,
        show_progress: !args.no_progress,
        device,
        retries: args.retries,
        shard: args.shard,
        allow_empty: args.allow_empty,
        known,
        catalogue,
    })
}

/// Load and check every fixture a run can touch, so a broken file is found
/// before the first scenario (and named with its line and field), not by
/// the scenario that happens to use it.
fn load_fixtures(dir: &Path) -> Result<(Known, Vec<crate::requirements::Requirement>), ConfigError> {
    if !dir.join("devices").is_dir() || !dir.join("vendors").is_dir() {
        return Err(ConfigError::Fixtures(dir.to_owned()));
    }
    let mut profiles: Vec<String> =
        android_sim::DeviceProfile::load_dir(&dir.join("devices"))?.into_iter().map(|p| p.name).collect();
    profiles.sort();
    let mut vendors = Vec::new();
    for file in toml_files(&dir.join("vendors")) {
        reference_mdm::vendor::VendorProfile::load(&file)?;
        if let Some(stem) = file.file_stem().and_then(|s| s.to_str()) {
            vendors.push(stem.to_owned());
        }
    }
    vendors.sort();
    for file in toml_files(&dir.join("fleets")) {
        amapi_mock::fleet::Fleet::load(&file)?;
    }
    let catalogue = crate::requirements::load(&dir.join("requirements.toml"))?;
    Ok((Known { profiles, vendors }, catalogue))
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// The positional arguments: `PATH`, `PATH:LINE[:LINE...]`, or `@FILE` (a
/// rerun file: one `PATH:LINE` per line). Default: `features/`.
fn resolve_paths(args: &[String]) -> Result<Vec<PathSpec>, ConfigError> {
    if args.is_empty() {
        return Ok(vec![PathSpec { path: PathBuf::from("features"), lines: Vec::new() }]);
    }
    let mut specs: Vec<PathSpec> = Vec::new();
    for arg in args {
        if let Some(file) = arg.strip_prefix('@') {
            let file = PathBuf::from(file);
            let text = std::fs::read_to_string(&file).map_err(|e| ConfigError::Rerun {
                file: file.clone(),
                problem: format!("cannot read the rerun file: {e}"),
            })?;
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let spec = PathSpec::parse(line).map_err(|problem| ConfigError::Rerun {
                    file: file.clone(),
                    problem: format!("line {}: {problem}", i + 1),
                })?;
                merge_spec(&mut specs, spec);
            }
        } else {
            merge_spec(&mut specs, PathSpec::parse(arg).map_err(ConfigError::PathSpec)?);
        }
    }
    if let Some(missing) = specs.iter().find(|s| !s.path.exists()) {
        return Err(ConfigError::Path(missing.path.clone()));
    }
    Ok(specs)
}

fn merge_spec(specs: &mut Vec<PathSpec>, spec: PathSpec) {
    match specs.iter_mut().find(|s| s.path == spec.path) {
        // The whole file already, or now the whole file.
        Some(s) if s.lines.is_empty() || spec.lines.is_empty() => s.lines.clear(),
        Some(s) => {
            for l in spec.lines {
                if !s.lines.contains(&l) {
                    s.lines.push(l);
                }
            }
        }
        None => specs.push(spec),
    }
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

/// A positional argument: a feature file or directory, and for a file the
/// lines asked for (`features/x.feature:23:31`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSpec {
    pub path: PathBuf,
    /// Empty: everything under `path`.
    pub lines: Vec<usize>,
}

impl PathSpec {
    /// `PATH`, or `PATH:LINE[:LINE...]`.
    pub fn parse(text: &str) -> Result<PathSpec, String> {
        let mut parts: Vec<&str> = text.split(':').collect();
        let mut lines = Vec::new();
        while parts.len() > 1 {
            let last = parts[parts.len() - 1];
            if last.is_empty() || !last.bytes().all(|b| b.is_ascii_digit()) {
                break;
            }
            let n: usize = last.parse().map_err(|_| format!("`{text}`: `{last}` is not a line number"))?;
            if n == 0 {
                return Err(format!("`{text}`: lines count from 1"));
            }
            lines.insert(0, n);
            parts.pop();
        }
        let path = parts.join(":");
        if path.is_empty() {
            return Err(format!("`{text}`: no path before the line number"));
        }
        Ok(PathSpec { path: PathBuf::from(path), lines })
    }
}

/// `--shard I/N`: the I-th of N disjoint parts of the selection (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not I/N with 1 <= I <= N, e.g. 2/3");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether `instance` falls in this shard. The split hashes the
    /// instance's identity (file, name, Examples cells), not its position,
    /// so adding or changing other files never moves a scenario between
    /// shards. FNV-1a: small, fixed, the same on every machine.
    pub fn contains(&self, instance: &Instance) -> bool {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in instance.identity().bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash % u64::from(self.count) == u64::from(self.index - 1)
    }
}
