//! The records the store keeps, as Rust values.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use serde::Serialize;

/// Who someone is to the MDM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    SiteAdmin,
    Admin,
    Helpdesk,
    EndUser,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::SiteAdmin, Role::Admin, Role::Helpdesk, Role::EndUser];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SiteAdmin => "site-admin",
            Role::Admin => "admin",
            Role::Helpdesk => "helpdesk",
            Role::EndUser => "end-user",
        }
    }

    /// Unknown text reads as the least privileged role.
    pub fn parse(s: &str) -> Role {
        Role::ALL.into_iter().find(|r| r.as_str() == s).unwrap_or(Role::EndUser)
    }

    pub fn from_name(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Site administrators and administrators act on devices; helpdesk reads.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::SiteAdmin | Role::Admin)
    }

    pub fn can_read_console(self) -> bool {
        self != Role::EndUser
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl Account {
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Account { email: r.get(0)?, name: r.get(1)?, role: Role::parse(&r.get::<_, String>(2)?) })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub signed_in_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    pub token_name: String,
    pub token_value: String,
    pub policy_name: String,
    pub ownership: String,
    pub user_email: String,
    pub created_at: DateTime<Utc>,
}

impl Enrollment {
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let created: String = r.get(5)?;
        Ok(Enrollment {
            token_name: r.get(0)?,
            token_value: r.get(1)?,
            policy_name: r.get(2)?,
            ownership: r.get(3)?,
            user_email: r.get(4)?,
            created_at: super::parse_ts(&created).unwrap_or_default(),
        })
    }
}

/// One device of the inventory, as AMAPI last described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: String,
    pub amapi_name: String,
    pub user_email: Option<String>,
    pub ownership: String,
    pub management_mode: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub api_level: u8,
    pub android_version: Option<String>,
    pub state: String,
    pub policy_name: Option<String>,
    pub enrolled_at: Option<String>,
    pub last_status_report_at: Option<String>,
    /// `deviceSettings.isDeviceSecure`, when reported.
    pub secure: Option<bool>,
    pub updated_at: String,
}

impl DeviceRow {
    pub(crate) const COLUMNS: &'static str = "id, amapi_name, user_email, ownership, management_mode, manufacturer, \
        model, api_level, android_version, state, policy_name, enrolled_at, last_status_report_at, secure, updated_at";

    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(DeviceRow {
            id: r.get(0)?,
            amapi_name: r.get(1)?,
            user_email: r.get(2)?,
            ownership: r.get(3)?,
            management_mode: r.get(4)?,
            manufacturer: r.get(5)?,
            model: r.get(6)?,
            api_level: r.get(7)?,
            android_version: r.get(8)?,
            state: r.get(9)?,
            policy_name: r.get(10)?,
            enrolled_at: r.get(11)?,
            last_status_report_at: r.get(12)?,
            secure: r.get(13)?,
            updated_at: r.get(14)?,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    ResetPasscode,
    Lock,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::ResetPasscode => "reset-passcode",
            ActionKind::Lock => "lock",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        match s {
            "reset-passcode" => Some(ActionKind::ResetPasscode),
            "lock" => Some(ActionKind::Lock),
            _ => None,
        }
    }

    /// The AMAPI `CommandType`.
    pub fn command_type(self) -> &'static str {
        match self {
            ActionKind::ResetPasscode => "RESET_PASSWORD",
            ActionKind::Lock => "LOCK",
        }
    }
}

/// Where an action is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    /// Recorded; the command has not been accepted by AMAPI yet.
    Pending,
    /// AMAPI accepted the command; waiting for the device.
    Sent,
    Completed,
    Failed,
    /// The device did not run the command within its duration.
    Expired,
    Cancelled,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 6] = [
        ActionStatus::Pending,
        ActionStatus::Sent,
        ActionStatus::Completed,
        ActionStatus::Failed,
        ActionStatus::Expired,
        ActionStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Pending => "pending",
            ActionStatus::Sent => "sent",
            ActionStatus::Completed => "completed",
            ActionStatus::Failed => "failed",
            ActionStatus::Expired => "expired",
            ActionStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        !matches!(self, ActionStatus::Pending | ActionStatus::Sent)
    }
}

/// Who started an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Console,
    Portal,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Console => "console",
            Channel::Portal => "portal",
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewAction<'a> {
    pub kind: ActionKind,
    pub device_id: &'a str,
    pub requested_by: &'a str,
    pub channel: Channel,
    pub send_to_user: bool,
    pub lock_now: bool,
    pub batch_id: Option<&'a str>,
}

/// One entry of the action log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub id: String,
    pub kind: ActionKind,
    pub device_id: String,
    pub requested_by: String,
    pub channel: String,
    pub status: ActionStatus,
    pub reason: Option<String>,
    /// AMAPI's `CommandErrorCode` or a protocol code, beside `reason`.
    pub reason_code: Option<String>,
    pub send_to_user: bool,
    pub lock_now: bool,
    pub has_new_passcode: bool,
    pub batch_id: Option<String>,
    pub operation_name: Option<String>,
    pub attempts: u32,
    pub first_attempt_at: Option<String>,
    pub sent_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

impl Action {
    pub(crate) const COLUMNS: &'static str = "id, kind, device_id, requested_by, channel, status, reason, \
        send_to_user, lock_now, has_new_passcode, batch_id, operation_name, attempts, first_attempt_at, sent_at, \
        created_at, updated_at, finished_at, reason_code";

    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Action {
            id: r.get(0)?,
            kind: ActionKind::parse(&r.get::<_, String>(1)?).unwrap_or(ActionKind::Lock),
            device_id: r.get(2)?,
            requested_by: r.get(3)?,
            channel: r.get(4)?,
            status: ActionStatus::parse(&r.get::<_, String>(5)?).unwrap_or(ActionStatus::Failed),
            reason: r.get(6)?,
            send_to_user: r.get(7)?,
            lock_now: r.get(8)?,
            has_new_passcode: r.get(9)?,
            batch_id: r.get(10)?,
            operation_name: r.get(11)?,
            attempts: r.get(12)?,
            first_attempt_at: r.get(13)?,
            sent_at: r.get(14)?,
            created_at: r.get(15)?,
            updated_at: r.get(16)?,
            finished_at: r.get(17)?,
            reason_code: r.get(18)?,
        })
    }
}

/// A terminal status and what follows from it.
#[derive(Clone, Debug)]
pub struct Finish {
    pub status: ActionStatus,
    pub reason: Option<String>,
    pub reason_code: Option<String>,
    /// (recipient, audience) pairs: mail to queue.
    pub mail: Vec<(String, String)>,
    pub notifications: Vec<NewNotification>,
    pub awaiting_user_change: bool,
}

#[derive(Clone, Debug)]
pub struct NewNotification {
    pub email: String,
    pub device_id: String,
    pub kind: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    pub id: String,
    pub device_id: String,
    pub action_id: Option<String>,
    pub kind: String,
    pub message: String,
    pub created_at: String,
}

#[derive(Clone, Debug)]
pub struct OutboxEntry {
    pub seq: i64,
    pub action_id: String,
    pub recipient: String,
    pub audience: String,
    pub attempts: u32,
}
