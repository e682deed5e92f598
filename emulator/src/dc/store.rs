//! SQLite persistence of the DC: WAL, synchronous=FULL, migrations by `user_version`;
//! the row states as enums (stored as their historic text). Typed row access lives in
//! [`super::rows`].

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::Connection;
use std::path::Path;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    "CREATE TABLE hospitals (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, short_name TEXT NOT NULL,
        sam_id TEXT NOT NULL UNIQUE, contract_from INTEGER NOT NULL, contract_to INTEGER NOT NULL,
        suspended INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0,
        cloud_secret BLOB);
     CREATE TABLE cards (
        card_no TEXT PRIMARY KEY, id_enc BLOB NOT NULL, id_hash TEXT NOT NULL,
        id_ext BLOB NOT NULL, name_enc BLOB NOT NULL,
        birthday TEXT NOT NULL, sex TEXT NOT NULL, identity_status TEXT NOT NULL,
        valid_until INTEGER NOT NULL);
     CREATE INDEX cards_id_hash ON cards(id_hash);
     CREATE TABLE phones (
        phone_id TEXT PRIMARY KEY, card_no TEXT NOT NULL, state TEXT NOT NULL,
        registered_at INTEGER NOT NULL, activated_at INTEGER);
     CREATE TABLE tokens (
        serial INTEGER PRIMARY KEY, phone_id TEXT NOT NULL, card_no TEXT NOT NULL,
        issued_at INTEGER NOT NULL, uses INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
     CREATE TABLE transfers (
        code TEXT PRIMARY KEY, card_no TEXT NOT NULL, hospital_id TEXT NOT NULL,
        created_at INTEGER NOT NULL, used_by TEXT);
     CREATE TABLE sessions (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, sam_id TEXT NOT NULL, hospital_id TEXT NOT NULL,
        subject TEXT, device TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        state TEXT NOT NULL);
     CREATE TABLE challenges (
        id TEXT PRIMARY KEY, sam_id TEXT NOT NULL, dc_random BLOB NOT NULL, created_at INTEGER NOT NULL);
     CREATE TABLE revoked_certs (serial TEXT PRIMARY KEY, at INTEGER NOT NULL);
     CREATE TABLE uploads (
        id INTEGER PRIMARY KEY AUTOINCREMENT, hospital_id TEXT NOT NULL, special_code TEXT NOT NULL,
        hc_id TEXT NOT NULL, hpc_id TEXT, body TEXT NOT NULL, at INTEGER NOT NULL);
     CREATE TABLE decrypt_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT, requester TEXT NOT NULL, card_no TEXT NOT NULL,
        reason TEXT NOT NULL, approver TEXT, approved_at INTEGER, expires_at INTEGER);
     CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
        card_no TEXT NOT NULL, action TEXT NOT NULL);
     CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    // 2: the DC's record of virtual cards' data areas (dc/visits.rs) and guardians
    // (dc/guardian.rs); replaced cards (dc/card_life.rs).
    "CREATE TABLE hc_insurance (
        card_no TEXT PRIMARY KEY, visits_left INTEGER NOT NULL, last_seq TEXT NOT NULL,
        total_fee INTEGER NOT NULL, total_copay INTEGER NOT NULL);
     CREATE TABLE hc_visits (
        id INTEGER PRIMARY KEY AUTOINCREMENT, card_no TEXT NOT NULL, seq TEXT NOT NULL,
        at TEXT NOT NULL, hospital_id TEXT NOT NULL, diagnosis TEXT NOT NULL,
        diagnosis2 TEXT NOT NULL, fee INTEGER NOT NULL, copay INTEGER NOT NULL,
        written_at INTEGER NOT NULL);
     CREATE INDEX hc_visits_card ON hc_visits(card_no);
     CREATE TABLE hc_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT, card_no TEXT NOT NULL, area INTEGER NOT NULL,
        kind TEXT NOT NULL, text TEXT NOT NULL, written_at INTEGER NOT NULL);
     CREATE TABLE delegations (
        id INTEGER PRIMARY KEY AUTOINCREMENT, guardian_phone TEXT NOT NULL,
        guardian_card TEXT NOT NULL, dependant_card TEXT NOT NULL, hospital_id TEXT NOT NULL,
        granted_at INTEGER NOT NULL, revoked_at INTEGER);
     ALTER TABLE cards ADD COLUMN replaced_by TEXT;",
    // 3: virtual-HC PIN status (seed 004: 虛擬健保卡由署內端判定是否有設定 PIN 碼; 使用健保
    // 快易通 APP 來進行 PIN 碼授權).
    "ALTER TABLE cards ADD COLUMN pin_set INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE phones ADD COLUMN pin_authorized INTEGER NOT NULL DEFAULT 0;",
    // 4: seed 003 passbook SDK (dc/passbook*.rs; ids without AUTOINCREMENT so that a reset
    // DC numbers applications from 1 again); seed 001 registration checks the DC decides
    // (dc/registration.rs: the world's refusal of a person's registration).
    "CREATE TABLE passbook_apps (
        app_id TEXT PRIMARY KEY, hospital_id TEXT NOT NULL, app_name TEXT NOT NULL,
        platform TEXT NOT NULL, contact_name TEXT NOT NULL, contact_email TEXT NOT NULL,
        developer_name TEXT NOT NULL, developer_email TEXT NOT NULL,
        registered_at INTEGER NOT NULL, integration_passed_at INTEGER);
     CREATE TABLE passbook_keys (
        api_key TEXT PRIMARY KEY, app_id TEXT NOT NULL, phase INTEGER NOT NULL,
        issued_at INTEGER NOT NULL, revoked_at INTEGER, revoke_reason TEXT);
     CREATE TABLE passbook_applications (
        id INTEGER PRIMARY KEY, app_id TEXT NOT NULL, category TEXT NOT NULL,
        security_level TEXT NOT NULL, privacy_contact TEXT NOT NULL, launch_date TEXT NOT NULL,
        plan TEXT NOT NULL, state TEXT NOT NULL, filed_at INTEGER NOT NULL,
        reviewer TEXT, reviewed_at INTEGER);
     CREATE TABLE passbook_tickets (
        ticket TEXT PRIMARY KEY, app_id TEXT NOT NULL, id_hash TEXT, virtual_id TEXT,
        pre_authorized INTEGER NOT NULL, granted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        used_at INTEGER, revoked_at INTEGER);
     CREATE TABLE passbook_calls (
        id INTEGER PRIMARY KEY, app_id TEXT NOT NULL, api_key TEXT NOT NULL,
        step TEXT NOT NULL, at INTEGER NOT NULL);
     ALTER TABLE cards ADD COLUMN refuse_registration TEXT;",
    // 5: which custodian-held master key the sealed fields are under (dc/custody.rs,
    // dc/rekey.rs; seed 002 「金鑰密碼採多人分持方式」). Kept by a reset: the data stays sealed.
    "CREATE TABLE key_custody (
        id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT NOT NULL, since INTEGER NOT NULL);",
    // 6: seed 002's file decryption through staff roles (dc/decrypt_files.rs; input and
    // output sealed like every field) and its audit table (dc/audit.rs).
    "CREATE TABLE decrypt_files (
        request_no TEXT PRIMARY KEY, requester TEXT NOT NULL, unit TEXT NOT NULL,
        supervisor TEXT NOT NULL, reason TEXT NOT NULL, legal_basis TEXT NOT NULL, case_no TEXT,
        file_name TEXT NOT NULL, column_no INTEGER NOT NULL, delivery TEXT NOT NULL,
        wanted_date TEXT NOT NULL, input BLOB NOT NULL, requested_at INTEGER NOT NULL,
        approved_by TEXT, approved_at INTEGER, run_by TEXT, run_at INTEGER, rows INTEGER,
        output BLOB, downloaded_at INTEGER);
     CREATE TABLE crypto_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
        role TEXT NOT NULL, action TEXT NOT NULL, request_no TEXT, requester TEXT,
        file_name TEXT, rows INTEGER);
     CREATE INDEX crypto_audit_at ON crypto_audit(at);",
];

/// Every table, in the order a reset empties them.
pub const TABLES: [&str; 23] = [
    "hospitals",
    "cards",
    "phones",
    "tokens",
    "transfers",
    "sessions",
    "challenges",
    "revoked_certs",
    "uploads",
    "decrypt_requests",
    "audit",
    "counters",
    "hc_insurance",
    "hc_visits",
    "hc_items",
    "delegations",
    "passbook_apps",
    "passbook_keys",
    "passbook_applications",
    "passbook_tickets",
    "passbook_calls",
    "decrypt_files",
    "crypto_audit",
];

/// Opens (creating if needed) the database and runs pending migrations.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(path)?;
    configure(&c)?;
    migrate(&c)?;
    Ok(c)
}

/// WAL journal, fsync on every commit, foreign keys on, a busy timeout.
pub fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

/// Applies the migrations not yet applied.
pub fn migrate(c: &Connection) -> rusqlite::Result<()> {
    let version: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
    // A negative version is not one this DC wrote: refuse the file rather than migrate it.
    let done = usize::try_from(version)
        .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, version))?;
    for (i, m) in MIGRATIONS.iter().enumerate().skip(done) {
        c.execute_batch(&format!(
            "BEGIN; {m}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))?;
    }
    Ok(())
}

/// Next value of a named counter (token serials, transfer codes).
pub fn next_counter(c: &Connection, name: &str) -> rusqlite::Result<i64> {
    c.execute(
        "INSERT INTO counters(name, value) VALUES (?1, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1",
        [name],
    )?;
    c.query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
        r.get(0)
    })
}

/// A text column holding one of a closed set of states: read back as the enum, a stray
/// value is a database error (never a plausible default).
macro_rules! text_state {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<$name> {
                match v.as_str()? {
                    $($s => Ok($name::$v),)+
                    other => Err(FromSqlError::Other(
                        format!("{}: unknown state {other:?}", stringify!($name)).into(),
                    )),
                }
            }
        }
    };
}

text_state! {
    /// A phone's virtual-card state.
    PhoneState {
        /// Registered in the app, not yet activated at a counter.
        Registered = "registered",
        /// Activated: its tokens verify.
        Active = "active",
        /// Reported lost: tokens revoked.
        Lost = "lost",
        /// Another phone was activated for the same card.
        Replaced = "replaced",
    }
}

text_state! {
    /// What a session authenticates.
    SessionKind {
        /// A SAM (physical or cloud) after mutual authentication.
        Sam = "sam",
        /// A mobile HCA login.
        Hca = "hca",
    }
}

text_state! {
    /// A session's state.
    SessionState {
        /// Usable until it expires.
        Active = "active",
        /// The same HPC logged in on another device (1707).
        Elsewhere = "elsewhere",
        /// Logged out (1707).
        Logout = "logout",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_idempotent_and_wal_is_on() {
        let dir = std::env::temp_dir().join(format!("nhi-dc-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("dc.db");
        let c = open(&p).unwrap();
        let mode: String = c
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = c
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "FULL");
        drop(c);
        let c = open(&p).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        assert_eq!(next_counter(&c, "x").unwrap(), 1);
        assert_eq!(next_counter(&c, "x").unwrap(), 2);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn states_round_trip_and_a_stray_one_is_an_error() {
        let c = Connection::open_in_memory().unwrap();
        for st in [
            PhoneState::Registered,
            PhoneState::Active,
            PhoneState::Lost,
            PhoneState::Replaced,
        ] {
            let back: PhoneState = c.query_row("SELECT ?1", [st], |r| r.get(0)).unwrap();
            assert_eq!(back, st);
        }
        let back: SessionState = c
            .query_row("SELECT ?1", [SessionState::Elsewhere], |r| r.get(0))
            .unwrap();
        assert_eq!(back.as_str(), "elsewhere");
        let stray: rusqlite::Result<PhoneState> = c.query_row("SELECT 'stolen'", [], |r| r.get(0));
        assert!(stray.is_err());
    }
}
