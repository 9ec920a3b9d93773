//! Schema migrations, applied in order; `PRAGMA user_version` records how
//! many have run. A migration is never edited once shipped: add one.

pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE accounts (
        email TEXT PRIMARY KEY COLLATE NOCASE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        password TEXT
    );
    CREATE TABLE sessions (
        token TEXT PRIMARY KEY,
        email TEXT NOT NULL COLLATE NOCASE REFERENCES accounts(email),
        signed_in_at TEXT NOT NULL,
        signed_out_at TEXT
    );
    CREATE TABLE policies (
        name TEXT PRIMARY KEY,
        password_policy TEXT
    );
    CREATE TABLE enrollments (
        token_name TEXT PRIMARY KEY,
        token_value TEXT NOT NULL UNIQUE,
        policy_name TEXT NOT NULL REFERENCES policies(name),
        ownership TEXT NOT NULL,
        user_email TEXT NOT NULL COLLATE NOCASE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        amapi_name TEXT NOT NULL UNIQUE,
        user_email TEXT COLLATE NOCASE,
        ownership TEXT NOT NULL,
        management_mode TEXT NOT NULL,
        manufacturer TEXT,
        model TEXT,
        api_level INTEGER NOT NULL,
        android_version TEXT,
        state TEXT NOT NULL,
        policy_name TEXT,
        enrolled_at TEXT,
        last_status_report_at TEXT,
        secure INTEGER,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE actions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        device_id TEXT NOT NULL REFERENCES devices(id),
        requested_by TEXT NOT NULL,
        channel TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        send_to_user INTEGER NOT NULL DEFAULT 0,
        lock_now INTEGER NOT NULL DEFAULT 0,
        has_new_passcode INTEGER NOT NULL DEFAULT 0,
        batch_id TEXT,
        operation_name TEXT UNIQUE,
        attempts INTEGER NOT NULL DEFAULT 0,
        first_attempt_at TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT,
        awaiting_user_change INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX actions_by_device ON actions(device_id, seq);
    CREATE INDEX actions_by_status ON actions(status);
    -- The secret of a reset: kept apart from the action log so that no
    -- listing of actions can carry it by accident.
    CREATE TABLE passcodes (
        action_id TEXT PRIMARY KEY REFERENCES actions(id),
        device_id TEXT NOT NULL,
        passcode TEXT NOT NULL
    );
    -- Mail waiting to go: written in the same transaction as the status
    -- that causes it, so a crash between the two loses no mail.
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        action_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        audience TEXT NOT NULL,
        sent_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        UNIQUE(action_id, recipient)
    );
    CREATE TABLE notifications (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL COLLATE NOCASE,
        device_id TEXT NOT NULL,
        action_id TEXT,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE(action_id, kind)
    );
    CREATE TABLE push_messages (
        message_id TEXT PRIMARY KEY,
        notification_type TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    "#,
    // 2: the action log's machine-readable reason (driver protocol `reason_code`).
    r#"
    ALTER TABLE actions ADD COLUMN reason_code TEXT;
    "#,
    // 3: a user's devices found without reading the whole inventory.
    r#"
    CREATE INDEX devices_by_user ON devices(user_email);
    "#,
];
