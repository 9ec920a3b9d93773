//! The driver protocol's bodies as types (docs/driver-protocol.md): what the
//! harness sends and what it reads back. Steps use these, never JSON keys.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET /about`: who the product is and what it claims.
#[derive(Debug, Clone, Deserialize)]
pub struct About {
    pub vendor: String,
    pub product: String,
    #[serde(default)]
    pub capabilities: Vec<String>,
    pub passcode: PasscodeShape,
    pub virtual_clock: bool,
    #[serde(default)]
    pub requirements: Vec<String>,
    #[serde(default)]
    pub defects: Vec<String>,
    #[serde(default)]
    pub reauthentication_window_seconds: Option<u64>,
    /// How long a session lasts from its sign-in (with `session-expiry`).
    #[serde(default)]
    pub session_lifetime_seconds: Option<u64>,
}

/// How the product's passcodes look (`/about.passcode`).
#[derive(Debug, Clone, Deserialize)]
pub struct PasscodeShape {
    pub alphabet: String,
    pub length: u32,
    pub source: String,
}

/// `POST /accounts`.
#[derive(Debug, Clone, Serialize)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'a str>,
}

/// An account as the MDM answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub email: String,
    pub name: String,
    pub role: String,
}

/// `POST /sessions`.
#[derive(Debug, Clone, Serialize)]
pub struct SignIn<'a> {
    pub email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'a str>,
}

/// A session `POST /sessions` opened.
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub token: String,
    pub signed_in_at: String,
    pub email: String,
    pub role: String,
}

/// `POST /enrollments`.
#[derive(Debug, Clone, Serialize)]
pub struct NewEnrollment<'a> {
    pub ownership: &'a str,
    pub user_email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_policy: Option<&'a PasswordPolicy>,
}

/// AMAPI's PasswordRequirements in snake case, as enrollment takes them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub quality: String,
    pub minimum_length: u32,
    pub scope: String,
    /// Per-class minima; absent unless a step asks for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_letters: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_lower_case: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_upper_case: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_non_letter: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_numeric: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_symbols: Option<u32>,
}

/// What `POST /enrollments` made.
#[derive(Debug, Clone, Deserialize)]
pub struct Enrollment {
    pub enrollment_token: String,
    pub enrollment_token_name: String,
    pub policy_name: String,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// One device of `GET /devices`.
#[derive(Debug, Clone, Deserialize)]
pub struct Device {
    pub id: String,
    pub amapi_name: String,
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub api_level: Option<u32>,
    #[serde(default)]
    pub android_version: Option<String>,
    #[serde(default)]
    pub ownership: Option<String>,
    #[serde(default)]
    pub management_mode: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

/// One page of `GET /devices`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<Device>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// One page of `GET /actions`.
#[derive(Debug, Clone, Deserialize)]
pub struct ActionList {
    pub actions: Vec<Action>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// Which page of a list to ask for.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest<'a> {
    pub page_size: Option<u32>,
    pub page_token: Option<&'a str>,
}

/// The latest reset passcode as a site administrator sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct Security {
    pub latest_reset_passcode: Option<String>,
    #[serde(default)]
    pub action_id: Option<String>,
    #[serde(default)]
    pub reset_at: Option<String>,
}

/// `POST /devices/{id}/reset-passcode`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResetRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_to_user: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_passcode: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_now: Option<bool>,
}

/// `POST /devices/{id}/reset-passcode:preview`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PreviewRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_passcode: Option<&'a str>,
}

/// What the reset wizard shows before anything is done.
#[derive(Debug, Clone, Deserialize)]
pub struct Preview {
    pub device: Device,
    pub user: Option<PreviewUser>,
    #[serde(default)]
    pub requirements: Vec<RequirementCheck>,
    pub can_reset: bool,
    pub send_to_user_option: bool,
    pub lock_now_option: bool,
    #[serde(default)]
    pub refusal: Option<ErrorBody>,
}

/// The device's user in the wizard.
#[derive(Debug, Clone, Deserialize)]
pub struct PreviewUser {
    pub email: String,
    pub name: Option<String>,
}

/// One passcode requirement and whether the new passcode meets it.
#[derive(Debug, Clone, Deserialize)]
pub struct RequirementCheck {
    pub requirement: String,
    #[serde(default)]
    pub value: Option<Value>,
    pub description: String,
    pub met: bool,
}

/// An action an MDM accepted (202).
#[derive(Debug, Clone, Deserialize)]
pub struct Accepted {
    pub action_id: String,
    pub status: String,
}

/// `POST /actions:batch`.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRequest<'a> {
    pub kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ids: Option<Vec<&'a str>>,
}

/// One device's result in a batch.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchResult {
    pub device_id: String,
    #[serde(default)]
    pub action_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

/// An entry of the action log.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    pub id: String,
    pub kind: String,
    pub device_id: String,
    pub requested_by: String,
    pub channel: String,
    pub status: String,
    /// A sentence for people: shown in failures, never compared.
    #[serde(default)]
    pub reason: Option<String>,
    /// What steps compare: AMAPI's `CommandErrorCode` or a protocol code.
    #[serde(default)]
    pub reason_code: Option<String>,
    #[serde(default)]
    pub send_to_user: Option<bool>,
    #[serde(default)]
    pub lock_now: Option<bool>,
    #[serde(default)]
    pub batch_id: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub sent_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
}

impl Action {
    /// Whether the action can change no more.
    pub fn is_terminal(&self) -> bool {
        TERMINAL.contains(&self.status.as_str())
    }
}

/// The statuses after which an action changes no more.
pub const TERMINAL: [&str; 4] = ["completed", "failed", "expired", "cancelled"];

/// Filters of `GET /actions`.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter<'a> {
    pub device_id: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// A device in the self-service portal.
#[derive(Debug, Clone, Deserialize)]
pub struct PortalDevice {
    pub id: String,
    pub can_reset_passcode: bool,
    #[serde(default)]
    pub reset_unavailable_reason: Option<String>,
    #[serde(default)]
    pub reset_unavailable_code: Option<String>,
    #[serde(default)]
    pub temporary_passcode: Option<String>,
    #[serde(default)]
    pub last_reset: Option<LastReset>,
}

/// The latest portal reset of a device.
#[derive(Debug, Clone, Deserialize)]
pub struct LastReset {
    pub action_id: String,
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub reason_code: Option<String>,
    pub created_at: String,
}

/// `POST /portal/devices/{id}/reset-passcode`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PortalResetRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<bool>,
}

/// A notification in the portal.
#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    pub id: String,
    pub device_id: String,
    #[serde(default)]
    pub action_id: Option<String>,
    pub kind: String,
    pub message: String,
    pub created_at: String,
}

/// The protocol's error envelope `{"error": {...}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// A refusal's code and sentence.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub requirements: Option<Vec<RequirementCheck>>,
}

/// `GET /devices/{id}`: the device page.
#[derive(Debug, Clone, Deserialize)]
pub struct DevicePage {
    #[serde(flatten)]
    pub device: Device,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub policy_name: Option<String>,
    #[serde(default)]
    pub device_secure: Option<bool>,
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Present only for roles allowed to see the passcode.
    #[serde(default)]
    pub security: Option<Security>,
}
