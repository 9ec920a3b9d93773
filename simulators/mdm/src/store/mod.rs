//! The MDM's state in SQLite: accounts and sessions, enrollments and their
//! policies, the device inventory, the action log, the reset passcodes, the
//! mail outbox, portal notifications and the Pub/Sub messages already seen.
//!
//! Every write commits before the caller acts on it (the action log is
//! written before AMAPI is called), and the database runs in WAL mode with
//! `synchronous = FULL`, so killing the process at any moment loses no
//! entry that was ever acknowledged.

mod migrations;
mod rows;

pub use rows::*;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// How many prepared statements a connection keeps: more than the store
/// has, so none is parsed twice.
const STATEMENT_CACHE: usize = 96;

/// `execute` and `query_row` through the connection's statement cache:
/// SQLite parses each of the store's statements once per connection, not
/// once per call (parsing was an eighth of a scenario's CPU time).
trait Cached {
    fn exec_cached(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize>;
    fn row_cached<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec_cached(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row_cached<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// A storage failure. It never carries a passcode: SQLite's messages name
/// tables and constraints, not values.
#[derive(Debug, thiserror::Error)]
#[error("database: {0}")]
pub struct StoreError(#[from] rusqlite::Error);

pub type Result<T> = std::result::Result<T, StoreError>;

/// Times are stored as RFC 3339 UTC with milliseconds, which sort as text.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    /// Put in front of every action id (ServeConfig::id_prefix).
    id_prefix: String,
}

impl Store {
    /// Open (or create) a database file, in WAL mode, and migrate it.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Self::init(conn)
    }

    /// A private in-memory database (tests, throwaway runs).
    pub fn in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?)
    }

    /// Action ids made from now on start `act_{prefix}`.
    pub fn with_id_prefix(mut self, prefix: &str) -> Store {
        self.id_prefix = prefix.to_owned();
        self
    }

    fn init(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Every statement the store runs, parsed once per connection.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in migrations::MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        Ok(Store { conn: Mutex::new(conn), id_prefix: String::new() })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Run `f` in one transaction.
    pub fn tx<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    // ----- meta ---------------------------------------------------------

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lock().row_cached("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Add one to the counter `key` (absent: 0) and return the new value, in
    /// one transaction: requests running at once never get the same number.
    pub fn next_in_sequence(&self, key: &str) -> Result<u64> {
        self.tx(|tx| {
            tx.exec_cached(
                "INSERT INTO meta(key, value) VALUES (?1, '1')
                 ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
                [key],
            )?;
            let value: String = tx.row_cached("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))?;
            Ok(value.parse().unwrap_or_default())
        })
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.lock().exec_cached(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    // ----- accounts and sessions ---------------------------------------

    pub fn upsert_account(&self, a: &Account, password: Option<&str>) -> Result<()> {
        self.lock().exec_cached(
            "INSERT INTO accounts(email, name, role, password) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(email) DO UPDATE SET name = excluded.name, role = excluded.role, password = excluded.password",
            params![a.email, a.name, a.role.as_str(), password],
        )?;
        Ok(())
    }

    /// The account and its password (if it has one).
    pub fn account(&self, email: &str) -> Result<Option<(Account, Option<String>)>> {
        Ok(self
            .lock()
            .row_cached("SELECT email, name, role, password FROM accounts WHERE email = ?1", [email], |r| {
                Ok((Account::from_row(r)?, r.get(3)?))
            })
            .optional()?)
    }

    pub fn insert_session(&self, token: &str, email: &str, at: DateTime<Utc>) -> Result<()> {
        self.lock().exec_cached(
            "INSERT INTO sessions(token, email, signed_in_at) VALUES (?1, ?2, ?3)",
            params![token, email, ts(at)],
        )?;
        Ok(())
    }

    /// A live (not signed out) session and its account.
    pub fn session(&self, token: &str) -> Result<Option<(Session, Account)>> {
        Ok(self
            .lock()
            .row_cached(
                "SELECT s.token, s.signed_in_at, a.email, a.name, a.role, a.password
                 FROM sessions s JOIN accounts a ON a.email = s.email
                 WHERE s.token = ?1 AND s.signed_out_at IS NULL",
                [token],
                |r| {
                    let signed_in: String = r.get(1)?;
                    Ok((
                        Session { token: r.get(0)?, signed_in_at: parse_ts(&signed_in).unwrap_or_default() },
                        Account { email: r.get(2)?, name: r.get(3)?, role: Role::parse(&r.get::<_, String>(4)?) },
                    ))
                },
            )
            .optional()?)
    }

    pub fn sign_out(&self, token: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = self.lock().exec_cached(
            "UPDATE sessions SET signed_out_at = ?2 WHERE token = ?1 AND signed_out_at IS NULL",
            params![token, ts(at)],
        )?;
        Ok(n == 1)
    }

    // ----- policies and enrollments ------------------------------------

    pub fn insert_enrollment(&self, e: &Enrollment, policy_json: Option<&str>) -> Result<()> {
        self.tx(|tx| {
            tx.exec_cached(
                "INSERT INTO policies(name, password_policy) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET password_policy = excluded.password_policy",
                params![e.policy_name, policy_json],
            )?;
            tx.exec_cached(
                "INSERT INTO enrollments(token_name, token_value, policy_name, ownership, user_email, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![e.token_name, e.token_value, e.policy_name, e.ownership, e.user_email, ts(e.created_at)],
            )?;
            Ok(())
        })
    }

    pub fn enrollment_by_token_name(&self, token_name: &str) -> Result<Option<Enrollment>> {
        Ok(self
            .lock()
            .row_cached(
                "SELECT token_name, token_value, policy_name, ownership, user_email, created_at
                 FROM enrollments WHERE token_name = ?1",
                [token_name],
                Enrollment::from_row,
            )
            .optional()?)
    }

    /// The password policy (JSON of our `PasswordPolicyInput`) of a policy, if any.
    pub fn policy_password(&self, policy_name: &str) -> Result<Option<String>> {
        Ok(self
            .lock()
            .row_cached("SELECT password_policy FROM policies WHERE name = ?1", [policy_name], |r| r.get(0))
            .optional()?
            .flatten())
    }

    // ----- devices ------------------------------------------------------

    pub fn upsert_device(&self, d: &DeviceRow) -> Result<()> {
        self.upsert_devices(std::slice::from_ref(d))
    }

    /// Store many devices in one transaction (bulk seeding an inventory,
    /// e.g. for the scale test). One statement for one and for many: a
    /// device already known keeps its row (and so its place in the
    /// inventory's order) and its user, unless the new row names one.
    pub fn upsert_devices(&self, devices: &[DeviceRow]) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO devices(id, amapi_name, user_email, ownership, management_mode, manufacturer, model,
                                     api_level, android_version, state, policy_name, enrolled_at,
                                     last_status_report_at, secure, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT(id) DO UPDATE SET
                    user_email = COALESCE(excluded.user_email, devices.user_email),
                    ownership = excluded.ownership, management_mode = excluded.management_mode,
                    manufacturer = excluded.manufacturer, model = excluded.model, api_level = excluded.api_level,
                    android_version = excluded.android_version, state = excluded.state,
                    policy_name = excluded.policy_name, enrolled_at = excluded.enrolled_at,
                    last_status_report_at = excluded.last_status_report_at, secure = excluded.secure,
                    updated_at = excluded.updated_at",
            )?;
            for d in devices {
                stmt.execute(params![
                    d.id,
                    d.amapi_name,
                    d.user_email,
                    d.ownership,
                    d.management_mode,
                    d.manufacturer,
                    d.model,
                    d.api_level,
                    d.android_version,
                    d.state,
                    d.policy_name,
                    d.enrolled_at,
                    d.last_status_report_at,
                    d.secure,
                    d.updated_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn device(&self, id: &str) -> Result<Option<DeviceRow>> {
        Ok(self
            .lock()
            .row_cached(&format!("SELECT {} FROM devices WHERE id = ?1", DeviceRow::COLUMNS), [id], DeviceRow::from_row)
            .optional()?)
    }

    /// One page of the devices (of `user_email`, if given) in the order the
    /// inventory learnt them, after the row `after`: at most `limit` rows,
    /// each with its key (the rowid) for the next page.
    pub fn devices_page(
        &self,
        user_email: Option<&str>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, DeviceRow)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {}, rowid FROM devices WHERE (?1 IS NULL OR user_email = ?1) AND rowid > ?2
             ORDER BY rowid LIMIT ?3",
            DeviceRow::COLUMNS
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![user_email, after.unwrap_or(0), limit], |r| Ok((r.get(15)?, DeviceRow::from_row(r)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// One page of the action log, filtered as `actions` filters it, after
    /// the entry `after`: at most `limit` entries, each with its key (seq).
    pub fn actions_page(
        &self,
        device_id: Option<&str>,
        status: Option<&str>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, Action)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {}, seq FROM actions WHERE (?1 IS NULL OR device_id = ?1) AND (?2 IS NULL OR status = ?2)
             AND seq > ?3 ORDER BY seq LIMIT ?4",
            Action::COLUMNS
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![device_id, status, after.unwrap_or(0), limit], |r| {
                Ok((r.get(19)?, Action::from_row(r)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn devices(&self, user_email: Option<&str>) -> Result<Vec<DeviceRow>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM devices WHERE (?1 IS NULL OR user_email = ?1) ORDER BY enrolled_at, id",
            DeviceRow::COLUMNS
        ))?;
        let rows = stmt.query_map([user_email], DeviceRow::from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    // ----- actions ------------------------------------------------------

    /// Record a new action (and the passcode of a reset, if any) in one
    /// transaction; returns the action as stored.
    pub fn insert_action(&self, new: &NewAction<'_>, passcode: Option<&str>, at: DateTime<Utc>) -> Result<Action> {
        self.tx(|tx| {
            let seq: i64 = tx.row_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM actions", [], |r| r.get(0))?;
            let id = format!("act_{}{seq}", self.id_prefix);
            tx.exec_cached(
                "INSERT INTO actions(seq, id, kind, device_id, requested_by, channel, status, send_to_user, lock_now,
                                     has_new_passcode, batch_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?10, ?11, ?11)",
                params![
                    seq,
                    id,
                    new.kind.as_str(),
                    new.device_id,
                    new.requested_by,
                    new.channel.as_str(),
                    new.send_to_user,
                    new.lock_now,
                    passcode.is_some_and(|p| !p.is_empty()),
                    new.batch_id,
                    ts(at)
                ],
            )?;
            if let Some(p) = passcode.filter(|p| !p.is_empty()) {
                tx.exec_cached(
                    "INSERT INTO passcodes(action_id, device_id, passcode) VALUES (?1, ?2, ?3)",
                    params![id, new.device_id, p],
                )?;
            }
            tx.row_cached(&format!("SELECT {} FROM actions WHERE id = ?1", Action::COLUMNS), [&id], Action::from_row)
        })
    }

    pub fn action(&self, id: &str) -> Result<Option<Action>> {
        Ok(self
            .lock()
            .row_cached(&format!("SELECT {} FROM actions WHERE id = ?1", Action::COLUMNS), [id], Action::from_row)
            .optional()?)
    }

    pub fn action_by_operation(&self, operation_name: &str) -> Result<Option<Action>> {
        Ok(self
            .lock()
            .row_cached(
                &format!("SELECT {} FROM actions WHERE operation_name = ?1", Action::COLUMNS),
                [operation_name],
                Action::from_row,
            )
            .optional()?)
    }

    pub fn actions(&self, device_id: Option<&str>, status: Option<&str>) -> Result<Vec<Action>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM actions WHERE (?1 IS NULL OR device_id = ?1) AND (?2 IS NULL OR status = ?2) ORDER BY seq",
            Action::COLUMNS
        ))?;
        let rows = stmt.query_map([device_id, status], Action::from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Whether some action already owns `operation_name`.
    pub fn operation_claimed(&self, operation_name: &str) -> Result<bool> {
        Ok(self
            .lock()
            .row_cached("SELECT 1 FROM actions WHERE operation_name = ?1", [operation_name], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Note an attempt to issue the command, before the request goes out.
    pub fn record_attempt(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        self.lock().exec_cached(
            "UPDATE actions SET attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?2),
                                updated_at = ?2 WHERE id = ?1",
            params![id, ts(at)],
        )?;
        Ok(())
    }

    /// The command is known to AMAPI under `operation_name`: status `sent`.
    pub fn mark_sent(&self, id: &str, operation_name: &str, at: DateTime<Utc>) -> Result<()> {
        self.lock().exec_cached(
            "UPDATE actions SET operation_name = ?2, status = CASE WHEN status = 'pending' THEN 'sent' ELSE status END,
                                sent_at = COALESCE(sent_at, ?3), updated_at = ?3 WHERE id = ?1",
            params![id, operation_name, ts(at)],
        )?;
        Ok(())
    }

    /// Move an unfinished action to a terminal status, with the side
    /// effects (mail, notifications) queued in the same transaction.
    /// Returns false when the action was already finished (a redelivered
    /// notification, a poll racing a push): nothing is done twice.
    pub fn finish_action(&self, id: &str, outcome: &Finish, at: DateTime<Utc>) -> Result<bool> {
        self.tx(|tx| {
            let n = tx.exec_cached(
                "UPDATE actions SET status = ?2, reason = ?3, updated_at = ?4, finished_at = ?4,
                                    awaiting_user_change = ?5, reason_code = ?6
                 WHERE id = ?1 AND status IN ('pending', 'sent')",
                params![
                    id,
                    outcome.status.as_str(),
                    outcome.reason,
                    ts(at),
                    outcome.awaiting_user_change,
                    outcome.reason_code
                ],
            )?;
            if n == 0 {
                return Ok(false);
            }
            for (recipient, audience) in &outcome.mail {
                tx.exec_cached(
                    "INSERT OR IGNORE INTO outbox(action_id, recipient, audience) VALUES (?1, ?2, ?3)",
                    params![id, recipient, audience],
                )?;
            }
            for n in &outcome.notifications {
                insert_notification(tx, n, Some(id), at)?;
            }
            Ok(true)
        })
    }

    /// Unfinished actions, oldest first.
    pub fn unfinished_actions(&self) -> Result<Vec<Action>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM actions WHERE status IN ('pending', 'sent') ORDER BY seq",
            Action::COLUMNS
        ))?;
        let rows = stmt.query_map([], Action::from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The passcode set by a reset action (only for the device page, the
    /// portal and the mail).
    pub fn passcode_of(&self, action_id: &str) -> Result<Option<String>> {
        Ok(self
            .lock()
            .row_cached("SELECT passcode FROM passcodes WHERE action_id = ?1", [action_id], |r| r.get(0))
            .optional()?)
    }

    /// The passcode of the latest completed reset of a device (of the
    /// latest reset whatever its status, unless `completed_only`), with its action.
    pub fn latest_reset_passcode(&self, device_id: &str, completed_only: bool) -> Result<Option<(String, String)>> {
        Ok(self
            .lock()
            .row_cached(
                "SELECT a.id, p.passcode FROM actions a JOIN passcodes p ON p.action_id = a.id
                 WHERE a.device_id = ?1 AND a.kind = 'reset-passcode' AND (a.status = 'completed' OR ?2 = 0)
                 ORDER BY a.seq DESC LIMIT 1",
                params![device_id, completed_only],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Completed portal resets still waiting for the user to set their own passcode.
    pub fn awaiting_user_change(&self, device_id: &str) -> Result<Vec<Action>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM actions WHERE device_id = ?1 AND awaiting_user_change = 1 ORDER BY seq",
            Action::COLUMNS
        ))?;
        let rows = stmt.query_map([device_id], Action::from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The user has set their own passcode after `action_id`: clear the
    /// flag and post the notification, once.
    pub fn user_changed_passcode(&self, action_id: &str, n: &NewNotification, at: DateTime<Utc>) -> Result<bool> {
        self.tx(|tx| {
            let changed = tx.exec_cached(
                "UPDATE actions SET awaiting_user_change = 0 WHERE id = ?1 AND awaiting_user_change = 1",
                [action_id],
            )?;
            if changed == 1 {
                insert_notification(tx, n, Some(action_id), at)?;
            }
            Ok(changed == 1)
        })
    }

    // ----- outbox and notifications -------------------------------------

    pub fn unsent_mail(&self) -> Result<Vec<OutboxEntry>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, action_id, recipient, audience, attempts FROM outbox WHERE sent_at IS NULL ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(OutboxEntry {
                    seq: r.get(0)?,
                    action_id: r.get(1)?,
                    recipient: r.get(2)?,
                    audience: r.get(3)?,
                    attempts: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn mail_done(&self, seq: i64, sent: bool, at: DateTime<Utc>) -> Result<()> {
        let sql = if sent {
            "UPDATE outbox SET sent_at = ?2, attempts = attempts + 1 WHERE seq = ?1"
        } else {
            "UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?1 AND ?2 IS NOT NULL"
        };
        self.lock().exec_cached(sql, params![seq, ts(at)])?;
        Ok(())
    }

    pub fn notifications(&self, email: &str) -> Result<Vec<Notification>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, device_id, action_id, kind, message, created_at FROM notifications
             WHERE email = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([email], |r| {
                Ok(Notification {
                    id: format!("ntf_{}", r.get::<_, i64>(0)?),
                    device_id: r.get(1)?,
                    action_id: r.get(2)?,
                    kind: r.get(3)?,
                    message: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Whether a Pub/Sub message id was handled before.
    pub fn push_seen(&self, message_id: &str) -> Result<bool> {
        Ok(self
            .lock()
            .row_cached("SELECT 1 FROM push_messages WHERE message_id = ?1", [message_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Remember a Pub/Sub message id; false if it was seen before.
    pub fn first_delivery(&self, message_id: &str, kind: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = self.lock().exec_cached(
            "INSERT OR IGNORE INTO push_messages(message_id, notification_type, received_at) VALUES (?1, ?2, ?3)",
            params![message_id, kind, ts(at)],
        )?;
        Ok(n == 1)
    }
}

fn insert_notification(
    tx: &rusqlite::Transaction<'_>,
    n: &NewNotification,
    action_id: Option<&str>,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.exec_cached(
        "INSERT OR IGNORE INTO notifications(email, device_id, action_id, kind, message, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![n.email, n.device_id, action_id, n.kind, n.message, ts(at)],
    )?;
    Ok(())
}
