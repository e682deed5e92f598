//! The mock NHI data center (DC): SAM authentication, cloud SAM, virtual-card lifecycle,
//! mobile HCA, certificate status, uploads, data protection, faults. API in
//! `protocol/docs/DC.md`, wire types in [`nhi_protocol::dc`].
//!
//! One [`Dc`] holds the state (time from the shared [`Clock`]); its rules are `impl Dc`
//! blocks by topic: [`sam`], [`virtual_card`], [`hca`], [`records`], [`privacy`],
//! [`admin`], [`faults`]. [`store`] and [`rows`] are the database; [`api`] maps the rules
//! to HTTP; [`launch`] serves them over HTTPS.

pub mod admin;
pub mod api;
mod api_staff;
pub mod audit;
pub mod card_life;
pub mod custody;
pub mod decrypt_files;
pub mod error;
pub mod faults;
pub mod guardian;
pub mod hca;
pub mod launch;
pub mod offline;
pub mod passbook;
pub mod passbook_data;
pub mod privacy;
pub mod protect;
pub mod records;
pub mod registration;
pub mod rekey;
pub mod rows;
pub mod sam;
pub mod secure_des;
pub mod staff;
pub mod store;
pub mod virtual_card;
pub mod visits;

pub use error::{DcError, DcResult, ErrorKind};
pub use faults::ArmedFault;
pub use launch::{launch, Launch, Running};
pub use nhi_protocol::dc::msg::SamAuth;
pub use nhi_protocol::ident::roc_datetime;
pub use rows::HospitalRow;

use crate::clock::Clock;
use crate::crypto::RsaPool;
use crate::fixtures::{rfc3339, Fixtures};
use crate::material::{self, Secrets};
use crate::token::{TokenIssuer, TokenVerifier};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::StatusCode;
use protect::FieldCipher;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rusqlite::{params, Connection};
use std::sync::{Arc, Mutex, MutexGuard};

/// Tunables of the DC's rules.
#[derive(Debug, Clone)]
pub struct DcConfig {
    /// Successful verifications allowed per token (then 1525).
    pub token_use_limit: u32,
    /// SAM session lifetime, seconds of virtual time.
    pub sam_session_ttl: i64,
    /// Mobile HCA session lifetime.
    pub hca_session_ttl: i64,
    /// How long an approved decryption stays usable.
    pub decrypt_ttl: i64,
    /// Validity of a virtual card after activation.
    pub virtual_card_validity: i64,
    /// Symmetric secrets (None: the embedded test secrets).
    pub secrets: Option<Secrets>,
}

impl Default for DcConfig {
    fn default() -> DcConfig {
        DcConfig {
            token_use_limit: 3,
            sam_session_ttl: 8 * 3600,
            hca_session_ttl: 8 * 3600,
            decrypt_ttl: 900,
            virtual_card_validity: 2 * 365 * 86_400,
            secrets: None,
        }
    }
}

/// The DC.
pub struct Dc {
    db: Mutex<Connection>,
    clock: Arc<dyn Clock>,
    issuer: TokenIssuer,
    verifier: TokenVerifier,
    secrets: Secrets,
    internal: FieldCipher,
    external: FieldCipher,
    ca_public: Vec<u8>,
    ca_der: Vec<u8>,
    signers: RsaPool,
    /// Rules.
    pub cfg: DcConfig,
    faults: Mutex<Vec<ArmedFault>>,
    /// While true the server closes every connection (the `refuse` fault).
    pub refuse: tokio::sync::watch::Sender<bool>,
    rng: Mutex<ChaCha20Rng>,
}

impl std::fmt::Debug for Dc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dc")
    }
}

fn b64(v: &[u8]) -> String {
    B64.encode(v)
}

fn unb64(field: &str, s: &str) -> Result<Vec<u8>, DcError> {
    B64.decode(s)
        .map_err(|_| DcError::new(StatusCode::ParamFormat1, format!("{field}: not base64")))
}

/// A lock whose holder panicked: the state behind it may be half-written, so the DC
/// answers 1799 (HTTP 500) instead of carrying on with it.
fn poisoned<T>(_: std::sync::PoisonError<T>) -> DcError {
    DcError::internal("DC state lock poisoned by an earlier failure")
}

/// A card holder to store (the fixtures' people).
struct NewCard<'a> {
    card_no: &'a str,
    id_no: &'a str,
    name: &'a str,
    birthday: &'a str,
    sex: &'a str,
    identity_status: &'a str,
    valid_until: i64,
    /// The holder set a PIN on the card (the NHI's record of it).
    pin_set: bool,
}

impl Dc {
    /// A DC on an opened database, with the embedded test keys, seeded from `fixtures`.
    pub fn new(
        conn: Connection,
        clock: Arc<dyn Clock>,
        fixtures: &Fixtures,
        cfg: DcConfig,
        seed: u64,
    ) -> Result<Dc, String> {
        let secrets = cfg.secrets.clone().unwrap_or_else(Secrets::test);
        let issuer = TokenIssuer::test()?;
        let verifier = issuer.verifier()?;
        let ca = crate::pki::TestCa::load()?;
        let ca_der = ca.cert_der();
        let ca_public = crate::crypto::EcSigner::from_pkcs8(material::ROOT_CA_P256)?.public_key();
        let signers = RsaPool::load()?;
        let dc = Dc {
            db: Mutex::new(conn),
            clock,
            issuer,
            verifier,
            internal: FieldCipher::new(&secrets.field_key_internal)?,
            external: FieldCipher::new(&secrets.field_key_external)?,
            secrets,
            ca_public,
            ca_der,
            signers,
            cfg,
            faults: Mutex::new(Vec::new()),
            refuse: tokio::sync::watch::Sender::new(false),
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(seed)),
        };
        dc.seed(fixtures).map_err(|e| e.reason)?;
        Ok(dc)
    }

    fn db(&self) -> Result<MutexGuard<'_, Connection>, DcError> {
        self.db.lock().map_err(poisoned)
    }

    /// Now, virtual time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    fn random<const N: usize>(&self) -> Result<[u8; N], DcError> {
        let mut r = [0u8; N];
        self.rng.lock().map_err(poisoned)?.fill_bytes(&mut r);
        Ok(r)
    }

    fn new_id(&self, prefix: &str) -> Result<String, DcError> {
        Ok(format!("{prefix}-{}", hex::encode(self.random::<12>()?)))
    }

    /// Back to the state of a new DC: every table emptied, the fixtures seeded again,
    /// faults disarmed (a harness driving a long-running emulator calls this between
    /// scenarios).
    pub fn reset(&self, f: &Fixtures) -> Result<(), DcError> {
        {
            let mut db = self.db()?;
            let tx = db.transaction()?;
            for t in store::TABLES {
                tx.execute(&format!("DELETE FROM {t}"), [])?;
            }
            tx.commit()?;
        }
        self.clear_faults(None);
        self.seed(f)
    }

    /// Inserts fixture institutions and card holders (idempotent).
    pub fn seed(&self, f: &Fixtures) -> Result<(), DcError> {
        let mut db = self.db()?;
        let tx = db.transaction()?;
        for h in &f.hospitals {
            let from = rfc3339(&h.contract_from).map_err(DcError::internal)?;
            let to = rfc3339(&h.contract_to).map_err(DcError::internal)?;
            tx.execute(
                "INSERT OR IGNORE INTO hospitals(id, name, short_name, sam_id, contract_from, contract_to) VALUES (?1,?2,?3,?4,?5,?6)",
                params![h.id, h.name, h.short_name, h.sam_id, from, to],
            )?;
        }
        for p in &f.people {
            self.put_card(
                &tx,
                &NewCard {
                    card_no: &p.card_no,
                    id_no: &p.id_no,
                    name: &p.name,
                    birthday: &p.birthday,
                    sex: &p.sex,
                    identity_status: &p.identity_status,
                    pin_set: p.pin.is_some(),
                    valid_until: i64::from(u32::MAX),
                },
            )?;
            Self::set_registration_refusal(&tx, &p.card_no, p.refuse_registration)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores a card holder: ID number sealed under both keys plus a lookup hash, name
    /// sealed under the internal key.
    fn put_card(&self, c: &Connection, p: &NewCard<'_>) -> Result<(), DcError> {
        let seal =
            |f: &FieldCipher, field: &str, v: &str| f.seal(field, v).map_err(DcError::internal);
        let (int, ext) = (&self.internal, &self.external);
        c.execute(
            "INSERT OR IGNORE INTO cards(card_no, id_enc, id_hash, id_ext, name_enc, birthday, sex, identity_status, valid_until, pin_set)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            params![
                p.card_no,
                seal(int, "id_no", p.id_no)?,
                int.lookup_hash(p.id_no),
                seal(ext, "id_no", p.id_no)?,
                seal(int, "name", p.name)?,
                p.birthday,
                p.sex,
                p.identity_status,
                p.valid_until,
                p.pin_set
            ],
        )?;
        Ok(())
    }
}
