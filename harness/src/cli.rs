//! The command line as the user typed it. Commands resolve it into what they
//! need; parsing never touches the file system.

use android_sim::Ownership;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Lockstep: conformance harness and device emulator for MDM remote passcode
/// reset and remote lock on Android.
#[derive(Debug, Parser)]
#[command(name = "lockstep", version, about, long_about = None)]
pub struct Cli {
    /// Directory holding devices/, fleets/, vendors/ (default: ./fixtures, or
    /// the checkout this binary was built from).
    #[arg(long, global = true, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the feature suite (default: every feature under features/ against
    /// the embedded stack). Exit 0 when every selected scenario passes, 1 when
    /// one fails, 2 on a usage or configuration error, 4 when nothing was
    /// selected, 130 when interrupted.
    Run(RunArgs),
    /// What `run` with the same arguments would run and skip, and why, in
    /// the order it would run them.
    List(ListArgs),
    /// Print the step vocabulary, one example each.
    Steps,
    /// Print each requirement with the scenarios that check it.
    Coverage(CoverageArgs),
    /// The AMAPI mock on its own.
    Amapi {
        #[command(subcommand)]
        command: AmapiCommand,
    },
    /// The reference MDM on its own.
    Mdm {
        #[command(subcommand)]
        command: MdmCommand,
    },
    /// List the simulated device profiles: API level, Android version,
    /// encryption, ownership modes and firmware quirks. With --adb, the
    /// devices attached to an adb server instead, with their facts.
    Devices(DevicesArgs),
    /// Simulated devices on their own.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Run the device-side firmware checks (@firmware @device) against one
    /// device and write its certificate (JSON and Markdown) to the report dir.
    Certify(CertifyArgs),
    /// Work with report directories: `report merge` joins a sharded run's.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Check an MDM's driver-protocol shim: `target check URL`.
    Target {
        #[command(subcommand)]
        command: TargetCommand,
    },
    /// Lockstep's container images: `image build` makes lockstep:VERSION
    /// and lockstep-reference-mdm:VERSION from this binary.
    Image {
        #[command(subcommand)]
        command: ImageCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// Check the driver-protocol conformance of the MDM at URL before any
    /// scenario runs: each endpoint, the error envelope, role rules and
    /// pagination, every answer against the OpenAPI file. Prints what is
    /// wrong with the fix. Exit 0 when every check holds, 1 when one does
    /// not, 2 on a usage error. Needs no AMAPI: it enrolls no device.
    Check(TargetCheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct TargetCheckArgs {
    /// The MDM's base URL (what comes before /lockstep/v1).
    #[arg(value_name = "URL")]
    pub url: String,
    /// Sign in with these existing accounts (the file of `run --accounts`)
    /// instead of creating people with POST /accounts.
    #[arg(long, value_name = "FILE")]
    pub accounts: Option<PathBuf>,
    /// Also check what needs devices (roles on the device page, lists of
    /// more than one page): serve an AMAPI mock at ADDR, the AMAPI address
    /// the MDM is configured with, and enroll three simulated devices.
    #[arg(long, value_name = "ADDR")]
    pub amapi_listen: Option<std::net::SocketAddr>,
    /// With --amapi-listen: where the mock pushes Pub/Sub messages
    /// (default: the URL + /amapi/pubsub), as for `run --push-endpoint`.
    #[arg(long, value_name = "URL", requires = "amapi_listen")]
    pub push_endpoint: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build lockstep:TAG (the harness and the suite) and
    /// lockstep-reference-mdm:TAG (`mdm serve`) FROM scratch, from this
    /// binary and the shared libraries it loads; nothing is pulled or
    /// fetched. Build from the release binary: `cargo build --release`,
    /// then `target/release/lockstep image build`.
    Build(ImageBuildArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImageBuildArgs {
    /// The tag of both images (default: this binary's version).
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// The lockstep binary to put in the images (default: this one).
    #[arg(long, value_name = "FILE")]
    pub binary: Option<PathBuf>,
    /// The suite for the harness image (default: features/ beside the fixtures).
    #[arg(long, value_name = "DIR")]
    pub features: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Join the report directories of a sharded run (each holding its
    /// run.json) into the reports one unsharded run writes. Exit code as a
    /// run's: 0 all passed, 1 a scenario failed, 2 the shards do not belong
    /// together, 4 nothing ran.
    Merge(ReportMergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReportMergeArgs {
    /// The shards' report directories.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged reports (default: reports/).
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve one simulated device over adb until interrupted; prints the
    /// address and the `adb connect` line.
    Serve(SimServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct SimServeArgs {
    /// The device profile (fixtures/devices/NAME.toml).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// How the device is enrolled.
    #[arg(long, default_value = "fully-managed", value_name = "MODE")]
    pub ownership: Ownership,
    /// The device passcode (digits make a PIN); default: none.
    #[arg(long, value_name = "DIGITS")]
    pub passcode: Option<String>,
    /// Where to speak the adb transport protocol (not 5555-5585, which the adb server scans).
    #[arg(long, default_value = "127.0.0.1:6556", value_name = "ADDR")]
    pub adb: std::net::SocketAddr,
    /// The serial number the device reports (ro.serialno).
    #[arg(long, default_value = "LOCKSTEP0001", value_name = "SERIAL")]
    pub serial: String,
}

/// `certify` is a run of the device-side checks: the same flags, resolved
/// by the same function; `--device` is required, the paths default to
/// features/firmware and only @device scenarios are selected.
#[derive(Debug, clap::Args)]
pub struct CertifyArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Only profiles of this API level.
    #[arg(long, value_name = "N")]
    pub api: Option<u8>,

    /// Only profiles that support this ownership mode (fully-managed,
    /// dedicated, work-profile-personal, work-profile-company-owned,
    /// legacy-device-admin).
    #[arg(long, value_name = "MODE")]
    pub ownership: Option<Ownership>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    /// List the devices attached to an adb server, with their facts.
    #[arg(long)]
    pub adb: bool,

    /// With --adb: the adb server (default 127.0.0.1:5037).
    #[arg(long, value_name = "HOST:PORT")]
    pub adb_server: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Print JSON (one object per scenario) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Feature files or directories (default: features/); `PATH:LINE[:LINE...]`
    /// selects the scenarios or Examples rows at those lines, as failures
    /// print them; `@FILE` reads such entries from a file (reports/rerun.txt).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<String>,

    /// Only scenarios matching this tag expression, e.g. "@firmware and not @PLAT-6".
    #[arg(long, value_name = "EXPR")]
    pub tags: Option<String>,

    /// Only scenarios whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub name: Option<String>,

    /// Run only part I of N of the selection (1-based), split by scenario
    /// identity so that the N parts are disjoint and together the whole.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::selection::Shard>,

    /// Try a failed scenario again up to N times; one that passes on a retry
    /// is reported as flaky. Meant for real devices; off by default.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: usize,

    /// Exit 0 when nothing is selected (default: exit 4).
    #[arg(long)]
    pub allow_empty: bool,

    /// Print what would run and be skipped, and why, without running it.
    #[arg(long)]
    pub dry_run: bool,

    /// Only scenarios for this vendor profile (miradore, intune, iru) and the
    /// vendor-neutral ones.
    #[arg(long, value_name = "NAME")]
    pub vendor: Option<String>,

    /// `embedded` (default), the base URL of an MDM speaking the driver
    /// protocol, or `docker:IMAGE[:TAG]`: an MDM started from that local
    /// image for the run (docs/containers.md).
    #[arg(long, value_name = "embedded|URL|docker:IMAGE")]
    pub target: Option<String>,

    /// A run file (TOML) whose `[target]` section names the MDM: `image`,
    /// `tag`, `start_timeout`, `env` (or `url`); flags on the command line
    /// win over it (docs/containers.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// With --target docker:IMAGE: how long the container gets to answer
    /// GET /lockstep/v1/about after it starts (default: 60s).
    #[arg(long, value_name = "DURATION", value_parser = crate::patience::parse)]
    pub start_timeout: Option<std::time::Duration>,

    /// With an external target: where to serve the AMAPI mock for that MDM.
    #[arg(long, value_name = "ADDR")]
    pub amapi_listen: Option<std::net::SocketAddr>,

    /// With an external target: where to receive the MDM's mail (its SMTP server).
    #[arg(long, value_name = "ADDR")]
    pub smtp_listen: Option<std::net::SocketAddr>,

    /// With an external target: where the AMAPI mock pushes Pub/Sub
    /// messages for the MDM (default: the target URL + /amapi/pubsub, where
    /// the reference MDM listens).
    #[arg(long, value_name = "URL")]
    pub push_endpoint: Option<String>,

    /// With an external target: take each scenario's people from this file
    /// of existing accounts (per role, with passwords) instead of creating
    /// them with POST /accounts, for a product that cannot create users on
    /// demand (docs/driver-protocol.md, "Test set-up").
    #[arg(long, value_name = "FILE")]
    pub accounts: Option<PathBuf>,

    /// Seed for every random choice; printed at the start so a run can be replayed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// How long a step waits for something asynchronous (a notification, a
    /// status, a mail) before it fails, e.g. 30s, 500ms, 2m (default: 10s).
    /// Raise it for a slow MDM; a failure says what it saw last.
    #[arg(long, value_name = "DURATION", value_parser = crate::patience::parse)]
    pub patience: Option<std::time::Duration>,

    /// Scenarios in flight at once (default: 16).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// Where to write JUnit XML, Cucumber JSON and the Markdown summary (default: reports/).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,

    /// Stop at the first failing scenario.
    #[arg(long)]
    pub fail_fast: bool,

    /// Negative control: switch on a defect of the embedded MDM (repeatable).
    #[arg(long, value_name = "NAME", value_parser = parse_defect)]
    pub mdm_defect: Vec<reference_mdm::Defect>,

    /// Negative control: run scenarios that ask for device profile TWIN on
    /// SUBSTITUTE instead (repeatable), e.g. google-pixel-8=acme-a14-stale-keyguard.
    #[arg(long, value_name = "TWIN=SUBSTITUTE")]
    pub swap_profile: Vec<String>,

    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,

    /// Run only the @device scenarios, one at a time, against this device:
    /// `adb:SERIAL` (through the adb server), `tcp:HOST:PORT` (straight to
    /// adbd) or `profile:NAME` (simulated).
    #[arg(long, value_name = "adb:SERIAL|tcp:HOST:PORT|profile:NAME")]
    pub device: Option<String>,

    /// With --device adb:SERIAL: the adb server (default 127.0.0.1:5037).
    #[arg(long, value_name = "HOST:PORT")]
    pub adb_server: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Feature files or directories (default: features/).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AmapiCommand {
    /// Serve the Android Management API mock with a simulated fleet behind it
    /// until interrupted; prints the base URL to point a client at.
    Serve(AmapiServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct AmapiServeArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub addr: std::net::SocketAddr,
    /// A fleet file (fixtures/fleets/*.toml) to enroll at start.
    #[arg(long, value_name = "FILE")]
    pub fleet: Option<PathBuf>,
    /// Seed for ids and fault draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run on a virtual clock moved only through the control API (default: wall time).
    #[arg(long)]
    pub virtual_clock: bool,
    /// Journal and warn about every request sloppiness Google merely tolerates.
    #[arg(long)]
    pub strict: bool,
    /// Where the Pub/Sub emulator (gRPC and REST) listens: what an MDM's
    /// PUBSUB_EMULATOR_HOST names.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub pubsub_addr: std::net::SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum MdmCommand {
    /// Serve the reference MDM (driver protocol, portal, Pub/Sub push endpoint)
    /// against an AMAPI base URL until interrupted.
    Serve(MdmServeArgs),
}

/// Every flag of `mdm serve` may come from the environment instead, under
/// the names of the container contract (docs/containers.md), so that the
/// image lockstep-reference-mdm is configured as any MDM image is.
#[derive(Debug, clap::Args)]
pub struct MdmServeArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR", env = crate::container::mdm::contract::LISTEN)]
    pub addr: std::net::SocketAddr,
    /// AMAPI's base URL, e.g. the one `lockstep amapi serve` printed.
    #[arg(long, value_name = "URL", env = crate::container::mdm::contract::AMAPI_URL)]
    pub amapi: String,
    /// The vendor profile: miradore, intune or iru (fixtures/vendors/NAME.toml).
    #[arg(long, default_value = "miradore", value_name = "NAME", env = "LOCKSTEP_MDM_VENDOR")]
    pub vendor: String,
    /// The enterprise to manage (`enterprises/ID` or `ID`); default: the first AMAPI lists, or a new one.
    #[arg(long, value_name = "NAME", env = crate::container::mdm::contract::ENTERPRISE)]
    pub enterprise: Option<String>,
    /// The Pub/Sub topic to set on the enterprise (default: leave it as AMAPI has it).
    #[arg(long, value_name = "TOPIC", env = crate::container::mdm::contract::PUBSUB_TOPIC)]
    pub pubsub_topic: Option<String>,
    /// SQLite database file (default: in memory, or reference-mdm.sqlite in --state-dir).
    #[arg(long, value_name = "FILE", env = "LOCKSTEP_MDM_DB")]
    pub db: Option<PathBuf>,
    /// A directory whose content survives a restart; the database goes there
    /// unless --db names one.
    #[arg(long, value_name = "DIR", env = crate::container::mdm::contract::STATE_DIR)]
    pub state_dir: Option<PathBuf>,
    /// SMTP server for passcode mail (default: no mail).
    #[arg(long, value_name = "HOST:PORT", env = crate::container::mdm::contract::SMTP)]
    pub smtp: Option<String>,
    /// Switch on a defect (negative control; repeatable, or comma-separated in the environment).
    #[arg(long, value_name = "NAME", env = "LOCKSTEP_MDM_DEFECTS", value_delimiter = ',')]
    pub defect: Vec<String>,
    /// Authenticated push: verify each push's ID token against this JWKS
    /// (the AMAPI mock's is `{amapi}/_lockstep/v1/pubsub/jwks`).
    #[arg(long, value_name = "URL", requires = "push_audience")]
    pub push_jwks_url: Option<String>,
    /// The `aud` a push token must carry (with --push-jwks-url).
    #[arg(long, value_name = "AUDIENCE", requires = "push_jwks_url")]
    pub push_audience: Option<String>,
    /// The service account a push token must be for (with --push-jwks-url).
    #[arg(long, value_name = "EMAIL", requires = "push_jwks_url")]
    pub push_service_account: Option<String>,
    /// A Pub/Sub emulator offering a pull subscription (with
    /// --pubsub-subscription). The reference MDM takes the push; at start it
    /// checks that the emulator answers for the subscription and says so,
    /// which shows what an MDM that pulls would find there.
    #[arg(long, value_name = "HOST:PORT", env = crate::container::mdm::contract::PUBSUB_EMULATOR_HOST)]
    pub pubsub_emulator_host: Option<String>,
    /// The pull subscription at --pubsub-emulator-host (`projects/P/subscriptions/S`).
    #[arg(long, value_name = "NAME", env = crate::container::mdm::contract::PUBSUB_SUBSCRIPTION)]
    pub pubsub_subscription: Option<String>,
}

/// `--mdm-defect NAME`; the error lists every defect there is.
fn parse_defect(name: &str) -> Result<reference_mdm::Defect, String> {
    name.parse()
}

impl Cli {
    /// The `--adb-server` given to whichever command takes one.
    pub fn adb_server(&self) -> Option<&str> {
        match &self.command {
            Command::Run(a) => a.adb_server.as_deref(),
            Command::Devices(a) => a.adb_server.as_deref(),
            Command::Certify(a) => a.run.adb_server.as_deref(),
            Command::List(a) => a.run.adb_server.as_deref(),
            _ => None,
        }
    }
}
