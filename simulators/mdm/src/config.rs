//! What one MDM instance is started with: where AMAPI is, which vendor
//! profile it reproduces, where state and mail go, the clock, and the
//! defect switches that make it non-conforming on purpose.

use chrono::{DateTime, Utc};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The MDM's notion of "now". Every time it stores or compares (sign-in
/// time, the 5-minute re-authentication window, action times, expiry)
/// comes from here, so a harness can give the MDM and the AMAPI mock one
/// virtual clock by implementing this trait over the mock's clock.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Move a virtual clock forward. A wall clock cannot move and says so
    /// by returning `false` (the default).
    fn advance(&self, _by: chrono::Duration) -> bool {
        false
    }

    /// Whether [`Clock::advance`] works.
    fn is_virtual(&self) -> bool {
        false
    }
}

/// Wall time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A virtual clock that moves only when told. Cloning shares it.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn at(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn advance(&self, by: chrono::Duration) -> bool {
        let mut t = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *t += by;
        true
    }
    fn is_virtual(&self) -> bool {
        true
    }
}

/// A way to make the MDM non-conforming in exactly one respect, so the
/// harness can show that the scenario guarding that behaviour fails
/// (a negative control). None is on unless asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Defect {
    /// The miradore profile generates 6-digit passcodes instead of 8 (breaks MIR-3).
    SixDigitPasscode,
    /// The portal resets even when the session's sign-in is older than the
    /// re-authentication window (breaks INT-3).
    NoReauthCheck,
    /// RESET_PASSWORD goes without the LOCK_NOW flag where the profile
    /// locks after a reset, or where the admin asked for it (breaks MIR-7, IRU-4).
    NoLockAfterReset,
    /// Models two retry layers that both react to a 429: after a 429 on
    /// issueCommand, once the retry has succeeded the command is issued a
    /// second time, without looking at the device's operations first.
    DuplicateCommandAfter429,
    /// The device page's latest reset passcode is shown to helpdesk users too (breaks MIR-5).
    PasscodeVisibleToHelpdesk,
    /// "Send the new passcode to the device user" is accepted but no mail
    /// goes to the user (breaks MIR-4).
    NoMailToUser,
    /// The iru profile skips validation of a new passcode against the
    /// work-profile passcode policy and Android's minimum (breaks IRU-2, IRU-3).
    IgnoresWorkProfilePolicy,
    // issue 14: the fault paths of the action pipeline, one defect each.
    /// A 5xx answer to issueCommand fails the action at once instead of
    /// being retried (breaks MIR-6 under a flaky API).
    NoRetryAfter5xx,
    /// After an ambiguous failure (a 5xx, a lost answer) the command is
    /// issued again without first looking through the device's operations
    /// for the one already carried out: the device gets it twice.
    ReissuesAfterLostAnswer,
    /// A 400 refusal of issueCommand is retried as if it were passing trouble.
    Retries400,
    /// An action AMAPI never accepts stays pending for ever instead of
    /// failing once its command would have expired.
    NoExpiryHandling,
    /// When one dispatch round ends on 429 after 429, the action fails
    /// ("rate limited") instead of waiting for the next round.
    GivesUpAfterOne429Round,
    /// A poll of a sent command's operation that fails (after the client's
    /// own retries) fails the action, although the command may well have
    /// been carried out.
    FailsActionWhenPollFails,
    /// A portal reset that fails posts no notice to the user (breaks the
    /// portal's failure notice).
    NoPortalFailureNotice,
    /// The portal never confirms that the user's own new passcode is set
    /// (breaks INT-6).
    NoPortalSuccessNotice,
    /// A remote task on a list of devices runs on every device of the users
    /// those devices belong to (breaks ICL-3).
    BatchWidensToUserDevices,
    /// A failed action keeps its sentence but its `reason_code` says
    /// UNKNOWN, losing AMAPI's errorCode (breaks the reason-code checks).
    GenericReasonCode,
    /// The console's device page answers end users too.
    DevicePageForEndUsers,
    /// The device page carries the `security` section for every console
    /// role, although `/security` still refuses them (two paths, one rule broken).
    SecurityOnEveryDevicePage,
    /// Helpdesk users may reset passcodes and lock devices.
    HelpdeskMayAct,
    /// The latest reset passcode is shown as soon as the reset is recorded,
    /// before the device has taken it.
    PasscodeBeforeCompletion,
    /// Cancelling a sent action marks it cancelled without cancelling the
    /// AMAPI operation, so the device still runs the command.
    CancelOnlyLocally,
    /// Signing out answers 204 but the session's token keeps working.
    SignOutKeepsSession,
    /// `GET /actions` ignores its `device_id` and `status` filters.
    ActionFiltersIgnored,
    /// `GET /devices` ignores its `user_email` filter.
    DeviceFilterIgnored,
    /// Sessions never expire.
    SessionsNeverExpire,
    /// An action picked up again with an attempt behind it (after a crash
    /// and restart, or by a later sweep) is sent again at once, without
    /// looking through the device's operations for the command the last
    /// attempt may have delivered (breaks MIR-6 across an MDM crash:
    /// features/docker).
    ReissuesAfterRestart,
    // issue 14: the reset dialog's reading of each kind of passcode policy,
    // one defect each (mutation testing found these rules unpinned).
    /// NUMERIC_COMPLEX is read as NUMERIC: ordered and repeated digits pass.
    NumericComplexAsNumeric,
    /// The sequence rule looks at numeric passcodes only, so "aaaaaa" passes
    /// a complexity policy.
    DigitsOnlySequences,
    /// ALPHANUMERIC asks for a letter only, not a letter and a digit.
    LetterEnoughForAlphanumeric,
    /// ALPHABETIC is read as NUMERIC: a passcode of digits only passes.
    AlphabeticAsNumeric,
    /// The portal's device details show the latest reset of the device
    /// whoever made it, an administrator's from the console too, as if the
    /// user had made it (breaks the portal's own view, INT-1).
    PortalShowsConsoleResets,
    /// COMPLEX's per-class minima (letters, upper case, symbols...) are
    /// neither listed nor checked.
    IgnoresComplexMinima,
}

impl Defect {
    pub const ALL: [Defect; 33] = [
        Defect::SixDigitPasscode,
        Defect::NoReauthCheck,
        Defect::NoLockAfterReset,
        Defect::DuplicateCommandAfter429,
        Defect::PasscodeVisibleToHelpdesk,
        Defect::NoMailToUser,
        Defect::IgnoresWorkProfilePolicy,
        Defect::NoRetryAfter5xx,
        Defect::ReissuesAfterLostAnswer,
        Defect::Retries400,
        Defect::NoExpiryHandling,
        Defect::GivesUpAfterOne429Round,
        Defect::FailsActionWhenPollFails,
        Defect::NoPortalFailureNotice,
        Defect::NoPortalSuccessNotice,
        Defect::BatchWidensToUserDevices,
        Defect::GenericReasonCode,
        Defect::DevicePageForEndUsers,
        Defect::SecurityOnEveryDevicePage,
        Defect::HelpdeskMayAct,
        Defect::PasscodeBeforeCompletion,
        Defect::CancelOnlyLocally,
        Defect::SignOutKeepsSession,
        Defect::ActionFiltersIgnored,
        Defect::DeviceFilterIgnored,
        Defect::SessionsNeverExpire,
        Defect::ReissuesAfterRestart,
        Defect::NumericComplexAsNumeric,
        Defect::DigitsOnlySequences,
        Defect::LetterEnoughForAlphanumeric,
        Defect::AlphabeticAsNumeric,
        Defect::IgnoresComplexMinima,
        Defect::PortalShowsConsoleResets,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Defect::SixDigitPasscode => "six-digit-passcode",
            Defect::NoReauthCheck => "no-reauth-check",
            Defect::NoLockAfterReset => "no-lock-after-reset",
            Defect::DuplicateCommandAfter429 => "duplicate-command-after-429",
            Defect::PasscodeVisibleToHelpdesk => "passcode-visible-to-helpdesk",
            Defect::NoMailToUser => "no-mail-to-user",
            Defect::IgnoresWorkProfilePolicy => "ignores-work-profile-policy",
            Defect::NoRetryAfter5xx => "no-retry-after-5xx",
            Defect::ReissuesAfterLostAnswer => "reissues-after-lost-answer",
            Defect::Retries400 => "retries-400",
            Defect::NoExpiryHandling => "no-expiry-handling",
            Defect::GivesUpAfterOne429Round => "gives-up-after-one-429-round",
            Defect::FailsActionWhenPollFails => "fails-action-when-poll-fails",
            Defect::NoPortalFailureNotice => "no-portal-failure-notice",
            Defect::NoPortalSuccessNotice => "no-portal-success-notice",
            Defect::BatchWidensToUserDevices => "batch-widens-to-user-devices",
            Defect::GenericReasonCode => "generic-reason-code",
            Defect::DevicePageForEndUsers => "device-page-for-end-users",
            Defect::SecurityOnEveryDevicePage => "security-on-every-device-page",
            Defect::HelpdeskMayAct => "helpdesk-may-act",
            Defect::PasscodeBeforeCompletion => "passcode-before-completion",
            Defect::CancelOnlyLocally => "cancel-only-locally",
            Defect::SignOutKeepsSession => "sign-out-keeps-session",
            Defect::ActionFiltersIgnored => "action-filters-ignored",
            Defect::DeviceFilterIgnored => "device-filter-ignored",
            Defect::SessionsNeverExpire => "sessions-never-expire",
            Defect::ReissuesAfterRestart => "reissues-after-restart",
            Defect::NumericComplexAsNumeric => "numeric-complex-as-numeric",
            Defect::DigitsOnlySequences => "digits-only-sequences",
            Defect::LetterEnoughForAlphanumeric => "letter-enough-for-alphanumeric",
            Defect::AlphabeticAsNumeric => "alphabetic-as-numeric",
            Defect::IgnoresComplexMinima => "ignores-complex-minima",
            Defect::PortalShowsConsoleResets => "portal-shows-console-resets",
        }
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Defect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Defect::ALL.into_iter().find(|d| d.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Defect::ALL.iter().map(|d| d.as_str()).collect();
            format!("unknown defect `{s}`; expected one of: {}", names.join(", "))
        })
    }
}

/// Which vendor profile to reproduce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendorSource {
    /// One of the profiles shipped in fixtures/vendors (compiled in): miradore, intune, iru.
    Builtin(String),
    /// A profile file of the same schema.
    File(PathBuf),
}

/// How hard the AMAPI client tries before giving up on one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The first backoff; each later one doubles, up to `max_delay`, with full jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Our choice: 6 attempts from 200 ms up to 5 s spans about 10 s, which
    /// rides out a short 429 burst without holding an action for long; the
    /// action pipeline retries again later anyway.
    fn default() -> Self {
        RetryPolicy { max_attempts: 6, base_delay: Duration::from_millis(200), max_delay: Duration::from_secs(5) }
    }
}

/// Everything `serve` needs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Where the HTTP server listens (port 0 picks a free one).
    pub addr: SocketAddr,
    /// AMAPI's base URL; requests go to `{amapi_url}/v1/...`.
    pub amapi_url: String,
    /// `enterprises/{id}` or a bare id. `None`: the first enterprise AMAPI
    /// lists for `project_id`, or a new one if there is none.
    pub enterprise: Option<String>,
    /// The Cloud project id used to list or create the enterprise.
    pub project_id: String,
    /// Sent as `Authorization: Bearer` to AMAPI when set.
    pub amapi_token: Option<String>,
    pub vendor: VendorSource,
    /// SQLite database file; `None` keeps state in memory.
    pub db: Option<PathBuf>,
    /// SMTP server (`host:port`) for passcode mail; `None` sends no mail.
    pub smtp: Option<String>,
    /// The sender of every mail.
    pub mail_from: String,
    pub clock: Arc<dyn Clock>,
    pub defects: Vec<Defect>,
    /// The Pub/Sub topic set on the enterprise (`projects/P/topics/T`).
    pub pubsub_topic: Option<String>,
    /// Put in front of every action id (`act_{prefix}{n}`). Our choice: the
    /// harness runs many MDMs in one process and gives each its scenario's
    /// nonce, so an id in a log names one scenario's action, not "act_1" of
    /// every scenario. Empty by default.
    pub id_prefix: String,
    /// How often (wall time) sent actions are polled when no notification came.
    pub poll_interval: Duration,
    /// The `duration` given to every command (AMAPI's default is 600 s).
    pub command_duration: Duration,
    pub retry: RetryPolicy,
    /// Verify the ID token of every Pub/Sub push (authenticated push);
    /// `None` takes any caller.
    pub push_auth: Option<crate::PushAuth>,
    /// How long a session lasts from its sign-in, on the MDM's clock.
    pub session_lifetime: Duration,
}

/// Our choice (the seeds say nothing): a session ends 12 hours after its
/// sign-in, a working day with room to spare; the portal's
/// re-authentication window is a separate, shorter rule.
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

impl ServeConfig {
    /// A configuration with the defaults: loopback on a free port, the
    /// `miradore` profile, state in memory, no mail, wall clock, no defects.
    pub fn new(amapi_url: impl Into<String>) -> Self {
        ServeConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            amapi_url: amapi_url.into(),
            enterprise: None,
            project_id: "lockstep".to_owned(),
            amapi_token: None,
            vendor: VendorSource::Builtin("miradore".to_owned()),
            db: None,
            smtp: None,
            mail_from: "Reference MDM <mdm@lockstep.test>".to_owned(),
            clock: Arc::new(SystemClock),
            defects: Vec::new(),
            id_prefix: String::new(),
            pubsub_topic: None,
            poll_interval: Duration::from_secs(2),
            command_duration: Duration::from_secs(600),
            retry: RetryPolicy::default(),
            push_auth: None,
            session_lifetime: DEFAULT_SESSION_LIFETIME,
        }
    }

    pub fn has(&self, d: Defect) -> bool {
        self.defects.contains(&d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defect_names_round_trip() {
        for d in Defect::ALL {
            assert_eq!(d.as_str().parse::<Defect>(), Ok(d));
        }
        assert!("faster".parse::<Defect>().unwrap_err().contains("no-reauth-check"));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at(DateTime::from_timestamp(1_767_603_600, 0).unwrap());
        let t0 = c.now();
        assert!(c.advance(chrono::Duration::seconds(301)));
        assert_eq!((c.now() - t0).num_seconds(), 301);
        assert!(!SystemClock.advance(chrono::Duration::seconds(1)));
    }
}
