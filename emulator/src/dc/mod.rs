//! The mock NHI data center (DC): SAM authentication, cloud SAM, virtual-card lifecycle,
//! mobile HCA, certificate status, uploads, data protection, faults. API in `protocol/docs/DC.md`.
//!
//! [`Dc`] holds the state and rules (time from the shared [`Clock`]); [`api`] maps them to
//! HTTP; [`crate::http`] serves them over HTTPS.

pub mod api;
pub mod protect;
pub mod store;

use crate::card::sam::SamKeys;
use crate::clock::Clock;
use crate::crypto::{ct_eq, hmac256, RsaPool, RsaSigner};
use crate::fixtures::{rfc3339, Fixtures};
use crate::material::{self, Secrets};
use crate::token::{decrypt_payload, TokenIssuer, TokenVerifier};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::token::{Payload, TokenAlg};
use nhi_protocol::StatusCode;
use protect::FieldCipher;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard};

/// An institution as the DC stores it.
#[derive(Debug, Clone)]
pub struct HospitalRow {
    /// Hospital id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Short name.
    pub short_name: String,
    /// Contract start (unix s).
    pub from: i64,
    /// Contract end (unix s).
    pub to: i64,
    /// Suspended (停權).
    pub suspended: bool,
    /// SAM revoked.
    pub revoked: bool,
}

/// A DC refusal: a 6.0 status code and a reason for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcError {
    /// Status code.
    pub code: StatusCode,
    /// Why.
    pub reason: String,
}

impl DcError {
    /// Builds an error.
    pub fn new(code: StatusCode, reason: impl Into<String>) -> DcError {
        DcError {
            code,
            reason: reason.into(),
        }
    }
}

impl From<rusqlite::Error> for DcError {
    fn from(e: rusqlite::Error) -> DcError {
        DcError::new(StatusCode::DcUndefined, format!("database: {e}"))
    }
}

/// What an HIS sends to prove a SAM at its counter: the output of the SAM Signature API.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamAuth {
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// Base64 8-byte random.
    pub client_random: String,
    /// Service type signed.
    pub service_type: String,
    /// Base64 signature.
    pub signature: String,
}

/// A DC result: the JSON fields of a success reply.
pub type DcResult = Result<Value, DcError>;

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

/// A fault armed on the DC (for the harness): applies to paths starting with `path`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// Path prefix (`/api/v1/` for all).
    pub path: String,
    /// `latency`, `http5xx`, `refuse`, `dropSession`, `unknownCommand` (404 + 1701), `undefined` (1799), `slowBody` (reply body trickles, `ms` per 16 bytes).
    pub kind: String,
    /// Added latency in milliseconds (latency faults).
    #[serde(default)]
    pub ms: u64,
}

impl Fault {
    /// The fault kinds the DC knows.
    pub const KINDS: [&'static str; 7] = [
        "latency",
        "http5xx",
        "refuse",
        "dropSession",
        "slowBody",
        "unknownCommand",
        "undefined",
    ];

    /// Refuses an unknown kind, naming the known ones.
    pub fn check(&self) -> Result<(), String> {
        if Fault::KINDS.contains(&self.kind.as_str()) {
            Ok(())
        } else {
            Err(format!(
                "fault kind {:?}: one of {}",
                self.kind,
                Fault::KINDS.join(", ")
            ))
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
    faults: Mutex<Vec<Fault>>,
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

pub use nhi_protocol::ident::roc_datetime;

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

    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Now, virtual time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    fn random<const N: usize>(&self) -> [u8; N] {
        let mut r = [0u8; N];
        self.rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill_bytes(&mut r);
        r
    }

    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", hex::encode(self.random::<12>()))
    }

    /// Back to the state of a new DC: every table emptied, the fixtures seeded again,
    /// faults disarmed (a harness driving a long-running emulator calls this between
    /// scenarios).
    pub fn reset(&self, f: &Fixtures) -> Result<(), DcError> {
        {
            let mut db = self.db();
            let tx = db.transaction()?;
            for t in [
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
            ] {
                tx.execute(&format!("DELETE FROM {t}"), [])?;
            }
            tx.commit()?;
        }
        self.clear_faults(None);
        self.seed(f)
    }

    /// Inserts fixture institutions and card holders (idempotent).
    pub fn seed(&self, f: &Fixtures) -> Result<(), DcError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        for h in &f.hospitals {
            let from =
                rfc3339(&h.contract_from).map_err(|e| DcError::new(StatusCode::DcUndefined, e))?;
            let to =
                rfc3339(&h.contract_to).map_err(|e| DcError::new(StatusCode::DcUndefined, e))?;
            tx.execute(
                "INSERT OR IGNORE INTO hospitals(id, name, short_name, sam_id, contract_from, contract_to) VALUES (?1,?2,?3,?4,?5,?6)",
                params![h.id, h.name, h.short_name, h.sam_id, from, to],
            )?;
        }
        for p in &f.people {
            Self::put_card(
                &tx,
                &self.internal,
                &self.external,
                &p.card_no,
                &p.id_no,
                &p.name,
                &p.birthday,
                &p.sex,
                &p.identity_status,
                i64::from(u32::MAX),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn put_card(
        c: &Connection,
        int: &FieldCipher,
        ext: &FieldCipher,
        card_no: &str,
        id_no: &str,
        name: &str,
        birthday: &str,
        sex: &str,
        status: &str,
        valid_until: i64,
    ) -> Result<(), DcError> {
        let enc = |f: &FieldCipher, field: &str, v: &str| {
            f.seal(field, v)
                .map_err(|e| DcError::new(StatusCode::DcUndefined, e))
        };
        c.execute(
            "INSERT OR IGNORE INTO cards(card_no, id_enc, id_hash, id_ext, name_enc, birthday, sex, identity_status, valid_until)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
            params![card_no, enc(int, "id_no", id_no)?, int.lookup_hash(id_no), enc(ext, "id_no", id_no)?, enc(int, "name", name)?, birthday, sex, status, valid_until],
        )?;
        Ok(())
    }

    // ---------- faults ----------

    /// Arms a fault (replacing one on the same path and kind).
    pub fn arm_fault(&self, f: Fault) {
        if f.kind == "refuse" {
            self.refuse.send_replace(true);
        }
        let mut v = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        v.retain(|x| !(x.path == f.path && x.kind == f.kind));
        v.push(f);
    }
    /// Disarms faults on `path` (all when None).
    pub fn clear_faults(&self, path: Option<&str>) {
        let mut v = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        match path {
            Some(p) => v.retain(|x| x.path != p),
            None => v.clear(),
        }
        let refuse = v.iter().any(|f| f.kind == "refuse");
        self.refuse.send_replace(refuse);
    }
    /// The faults that apply to a request path.
    pub fn faults_for(&self, path: &str) -> Vec<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|f| path.starts_with(&f.path))
            .cloned()
            .collect()
    }
    /// All armed faults.
    pub fn faults(&self) -> Vec<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    // ---------- institutions and SAM ----------

    fn hospital_by_sam(
        &self,
        c: &Connection,
        sam_id: &str,
    ) -> Result<Option<HospitalRow>, DcError> {
        Ok(c.query_row(
            "SELECT id, name, short_name, contract_from, contract_to, suspended, revoked FROM hospitals WHERE sam_id = ?1",
            [sam_id],
            |r| {
                Ok(HospitalRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    short_name: r.get(2)?,
                    from: r.get(3)?,
                    to: r.get(4)?,
                    suspended: r.get::<_, i64>(5)? != 0,
                    revoked: r.get::<_, i64>(6)? != 0,
                })
            },
        ).optional()?)
    }

    fn check_standing(&self, h: &HospitalRow) -> Result<(), DcError> {
        let (from, to) = (h.from, h.to);
        if h.revoked {
            return Err(DcError::new(StatusCode::SamRevoked, "SAM revoked"));
        }
        if h.suspended {
            return Err(DcError::new(
                StatusCode::InstitutionSuspended,
                "institution suspended",
            ));
        }
        let now = self.now();
        if now < from || now > to {
            return Err(DcError::new(
                StatusCode::ContractExpired,
                "outside the contract period",
            ));
        }
        Ok(())
    }

    /// Step 1 of SAM authentication: a fresh challenge. `cloud` selects 1611 for unknown ids.
    pub fn sam_challenge(&self, sam_id: &str, hospital_id: &str, cloud: bool) -> DcResult {
        let c = self.db();
        let Some(h) = self.hospital_by_sam(&c, sam_id)? else {
            return Err(if cloud {
                DcError::new(
                    StatusCode::CloudSamNotFound,
                    format!("no cloud SAM {sam_id}"),
                )
            } else {
                DcError::new(StatusCode::SamMode2, format!("unknown SAM {sam_id}"))
            });
        };
        if h.id != hospital_id {
            return Err(DcError::new(
                StatusCode::SamMode2,
                "SAM does not belong to that institution",
            ));
        }
        self.check_standing(&h)?;
        let id = self.new_id("ch");
        let r: [u8; 8] = self.random();
        c.execute(
            "INSERT INTO challenges(id, sam_id, dc_random, created_at) VALUES (?1,?2,?3,?4)",
            params![id, sam_id, r.to_vec(), self.now()],
        )?;
        Ok(json!({ "challengeId": id, "dcRandom": b64(&r) }))
    }

    /// Step 2: checks the SAM's MAC; answers the DC's proof and opens a SAM session.
    pub fn sam_verify(&self, challenge_id: &str, sam_random: &str, sam_mac: &str) -> DcResult {
        let sam_random = unb64("samRandom", sam_random)?;
        let sam_mac = unb64("samMac", sam_mac)?;
        let c = self.db();
        let Some((sam_id, dc_random)): Option<(String, Vec<u8>)> = c
            .query_row(
                "SELECT sam_id, dc_random FROM challenges WHERE id = ?1",
                [challenge_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
        else {
            return Err(DcError::new(
                StatusCode::DcSession,
                "unknown or used challenge",
            ));
        };
        c.execute("DELETE FROM challenges WHERE id = ?1", [challenge_id])?;
        let k = SamKeys::dc_auth_key(&self.secrets.dc_sam_master, &sam_id);
        if !ct_eq(&hmac256(&k, &[b"SAM", &dc_random, &sam_random]), &sam_mac) {
            return Err(DcError::new(
                StatusCode::SamMode2,
                "SAM authentication failed",
            ));
        }
        let proof = hmac256(&k, &[b"DC", &sam_random, &dc_random]);
        let Some(HospitalRow {
            id: hid,
            name,
            short_name: short,
            ..
        }) = self.hospital_by_sam(&c, &sam_id)?
        else {
            return Err(DcError::new(StatusCode::SamMode2, "SAM vanished"));
        };
        let sid = self.new_id("sam");
        let now = self.now();
        c.execute(
            "INSERT INTO sessions(id, kind, sam_id, hospital_id, created_at, expires_at, state) VALUES (?1,'sam',?2,?3,?4,?5,'active')",
            params![sid, sam_id, hid, now, now + self.cfg.sam_session_ttl],
        )?;
        Ok(
            json!({ "proof": b64(&proof), "samSession": sid, "samId": sam_id, "hospitalId": hid,
                   "hospitalName": name, "hospitalShortName": short, "serverDateTime": roc_datetime(now) }),
        )
    }

    /// Resolves a SAM session and re-checks the institution's standing: (samId, hospitalId).
    pub fn session(&self, c: &Connection, sid: &str) -> Result<(String, String), DcError> {
        let row: Option<(String, String, i64, String)> = c
            .query_row("SELECT sam_id, hospital_id, expires_at, state FROM sessions WHERE id = ?1 AND kind = 'sam'", [sid], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((sam, hid, exp, state)) = row else {
            return Err(DcError::new(StatusCode::DcSession, "no such SAM session"));
        };
        if state != "active" || self.now() > exp {
            return Err(DcError::new(StatusCode::DcSession, "SAM session expired"));
        }
        if let Some(h) = self.hospital_by_sam(c, &sam)? {
            self.check_standing(&h)?;
        }
        Ok((sam, hid))
    }

    /// Issues a cloud SAM file: (file name `hospitalId+samId.SAM`, content).
    pub fn issue_cloud_sam(&self, hospital_id: &str) -> Result<(String, String), DcError> {
        let c = self.db();
        let (sam_id, name, short): (String, String, String) = c
            .query_row(
                "SELECT sam_id, name, short_name FROM hospitals WHERE id = ?1",
                [hospital_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| {
                DcError::new(
                    StatusCode::CloudSamNotFound,
                    format!("no institution {hospital_id}"),
                )
            })?;
        let secret = SamKeys::dc_auth_key(&self.secrets.dc_sam_master, &sam_id);
        let body =
            json!({ "version": 1, "samId": sam_id, "hospitalId": hospital_id, "hospitalName": name,
                           "hospitalShortName": short, "secret": b64(&secret) })
            .to_string();
        let mac = hmac256(
            &self.secrets.dc_sam_master,
            &[b"cloud-sam-file", body.as_bytes()],
        );
        Ok((
            format!("{hospital_id}{sam_id}.SAM"),
            format!("{}.{}", b64(body.as_bytes()), b64(&mac)),
        ))
    }

    fn sam_signer(&self, sam_id: &str) -> &RsaSigner {
        self.signers.for_identity(sam_id).0
    }

    /// Cloud SAM signature over `data` (base64).
    pub fn cloud_sign(&self, sid: &str, data: &str) -> DcResult {
        let data = unb64("data", data)?;
        let (sam, _) = self.session(&self.db(), sid)?;
        Ok(json!({ "signature": b64(&self.sam_signer(&sam).sign(&data)) }))
    }

    // ---------- virtual card ----------

    /// App registration with the double-ID photo check and the counter identity check.
    #[allow(clippy::too_many_arguments)]
    pub fn register(
        &self,
        phone_id: &str,
        card_no: &str,
        id_no: &str,
        photo_check: bool,
        counter_check: bool,
    ) -> DcResult {
        if !photo_check {
            return Err(DcError::new(
                StatusCode::DcUndefined,
                "double-ID photo check failed",
            ));
        }
        if !counter_check {
            return Err(DcError::new(
                StatusCode::DcUndefined,
                "counter identity check failed",
            ));
        }
        let c = self.db();
        let hash = self.internal.lookup_hash(id_no);
        let known: Option<String> = c
            .query_row(
                "SELECT card_no FROM cards WHERE card_no = ?1 AND id_hash = ?2",
                params![card_no, hash],
                |r| r.get(0),
            )
            .optional()?;
        if known.is_none() {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "card number and ID number do not match an insured person",
            ));
        }
        let existing: Option<String> = c
            .query_row(
                "SELECT card_no FROM phones WHERE phone_id = ?1",
                [phone_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = existing {
            if other != card_no {
                return Err(DcError::new(
                    StatusCode::DcUndefined,
                    "one phone one card: this phone holds another card",
                ));
            }
        }
        c.execute(
            "INSERT INTO phones(phone_id, card_no, state, registered_at) VALUES (?1,?2,'registered',?3)
             ON CONFLICT(phone_id) DO UPDATE SET state = CASE WHEN state = 'lost' THEN 'registered' ELSE state END",
            params![phone_id, card_no, self.now()],
        )?;
        Ok(json!({ "phoneId": phone_id, "state": "registered" }))
    }

    /// Checks an HIS request signed by a SAM (the SAM Signature API's output): the
    /// signature covers clientRandom ‖ serviceType ‖ hospitalId ‖ samId. Returns the hospital.
    pub fn check_sam_signature(&self, c: &Connection, auth: &SamAuth) -> Result<String, DcError> {
        let Some(h) = self.hospital_by_sam(c, &auth.sam_id)? else {
            return Err(DcError::new(
                StatusCode::SamMode2,
                format!("unknown SAM {}", auth.sam_id),
            ));
        };
        if h.id != auth.hospital_id {
            return Err(DcError::new(
                StatusCode::SamMode2,
                "SAM does not belong to that institution",
            ));
        }
        self.check_standing(&h)?;
        let hid = h.id;
        let cr = unb64("clientRandom", &auth.client_random)?;
        let sig = unb64("signature", &auth.signature)?;
        let data = [
            &cr[..],
            auth.service_type.as_bytes(),
            hid.as_bytes(),
            auth.sam_id.as_bytes(),
        ]
        .concat();
        if !crate::crypto::rsa_verify(&self.sam_signer(&auth.sam_id).public_key_der(), &data, &sig)
        {
            return Err(DcError::new(
                StatusCode::HcaSignatureInvalid,
                "SAM signature does not verify",
            ));
        }
        Ok(hid)
    }

    /// A registered phone's card number and state.
    fn phone(c: &Connection, phone_id: &str) -> Result<(String, String), DcError> {
        c.query_row(
            "SELECT card_no, state FROM phones WHERE phone_id = ?1",
            [phone_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| DcError::new(StatusCode::DcUndefined, "phone not registered"))
    }

    /// Activation: the physical card was read at the counter of an institution whose SAM
    /// signed the request.
    pub fn activate(&self, auth: &SamAuth, phone_id: &str, hc_id: &str) -> DcResult {
        let c = self.db();
        self.check_sam_signature(&c, auth)?;
        let (card_no, state) = Self::phone(&c, phone_id)?;
        if card_no != hc_id {
            return Err(DcError::new(
                StatusCode::DcUndefined,
                "the card read is not the registered card",
            ));
        }
        if state == "lost" {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                "phone reported lost",
            ));
        }
        let now = self.now();
        // One card, one phone: any other phone holding this card is retired.
        c.execute("UPDATE phones SET state = 'replaced' WHERE card_no = ?1 AND phone_id <> ?2 AND state = 'active'", params![card_no, phone_id])?;
        c.execute(
            "UPDATE tokens SET revoked = 1 WHERE card_no = ?1 AND phone_id <> ?2",
            params![card_no, phone_id],
        )?;
        c.execute(
            "UPDATE phones SET state = 'active', activated_at = ?2 WHERE phone_id = ?1",
            params![phone_id, now],
        )?;
        c.execute(
            "UPDATE cards SET valid_until = ?2 WHERE card_no = ?1",
            params![card_no, now + self.cfg.virtual_card_validity],
        )?;
        Ok(json!({ "phoneId": phone_id, "state": "active" }))
    }

    /// Control plane (harness fixtures, never the public API): registers `phone_id` for
    /// `card_no` and activates it as if the card had been read at a counter.
    pub fn admin_activate(&self, phone_id: &str, card_no: &str) -> DcResult {
        let c = self.db();
        let now = self.now();
        c.execute(
            "INSERT INTO phones(phone_id, card_no, state, registered_at, activated_at) VALUES (?1,?2,'active',?3,?3)
             ON CONFLICT(phone_id) DO UPDATE SET card_no = ?2, state = 'active', activated_at = ?3",
            params![phone_id, card_no, now],
        )?;
        c.execute(
            "UPDATE cards SET valid_until = ?2 WHERE card_no = ?1",
            params![card_no, now + self.cfg.virtual_card_validity],
        )?;
        Ok(json!({ "phoneId": phone_id, "state": "active" }))
    }

    /// The phone app asks for its current QR token (a new one each call: rotation).
    pub fn token(&self, phone_id: &str, alg: TokenAlg) -> DcResult {
        let c = self.db();
        let (card_no, state) = Self::phone(&c, phone_id)?;
        if state == "lost" || state == "replaced" {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                format!("phone {state}"),
            ));
        }
        let p = self.payload_for(&c, &card_no)?;
        let serial = store::next_counter(&c, "token")?;
        let now = self.now();
        let payload = Payload {
            issued_at: now as u32,
            serial: serial as u32,
            ..p
        };
        let tok = self
            .issuer
            .issue(&payload, alg)
            .map_err(|e| DcError::new(StatusCode::DcUndefined, e))?;
        c.execute(
            "INSERT INTO tokens(serial, phone_id, card_no, issued_at) VALUES (?1,?2,?3,?4)",
            params![serial, phone_id, card_no, now],
        )?;
        Ok(
            json!({ "token": tok, "serial": serial, "validSeconds": nhi_protocol::token::TOKEN_LIFETIME_SECS }),
        )
    }

    fn payload_for(&self, c: &Connection, card_no: &str) -> Result<Payload, DcError> {
        let (id_enc, name_enc, birthday, sex, status, valid): (Vec<u8>, Vec<u8>, String, String, String, i64) = c
            .query_row("SELECT id_enc, name_enc, birthday, sex, identity_status, valid_until FROM cards WHERE card_no = ?1", [card_no], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .optional()?
            .ok_or_else(|| DcError::new(StatusCode::TransferredOrInvalid, "unknown card"))?;
        let bad = |e: String| DcError::new(StatusCode::DcUndefined, e);
        let id = self.internal.open("id_no", &id_enc).map_err(bad)?;
        let name = self.internal.open("name", &name_enc).map_err(bad)?;
        let f = |e: nhi_protocol::ident::IdentError| {
            DcError::new(StatusCode::DcUndefined, e.to_string())
        };
        Ok(Payload {
            card_no: nhi_protocol::ident::HcCardNo::parse(card_no).map_err(f)?,
            id_no: nhi_protocol::ident::IdNo::parse(&id).map_err(f)?,
            name,
            birthday: nhi_protocol::ident::RocDate::parse(&birthday).map_err(f)?,
            sex: nhi_protocol::ident::Sex::parse(&sex).map_err(f)?,
            identity_status: nhi_protocol::ident::IdentityStatus::parse(&status).map_err(f)?,
            issued_at: 0,
            serial: 0,
            valid_until: valid.clamp(0, i64::from(u32::MAX)) as u32,
        })
    }

    fn payload_json(p: &Payload) -> Value {
        json!({ "cardId": p.card_no.as_str(), "idNo": p.id_no.as_str(), "name": p.name, "birthday": p.birthday.to_string(),
                "sex": p.sex.code().to_string(), "identityStatus": p.identity_status.code().to_string(), "serial": p.serial })
    }

    /// Checks a token against the lifecycle: known serial, not revoked, phone active,
    /// card not transferred. Returns the payload.
    fn check_token(&self, c: &Connection, token: &str) -> Result<(Payload, i64), DcError> {
        let p = self
            .verifier
            .verify(token, self.now())
            .map_err(|code| DcError::new(code, code.en()))?;
        let row: Option<(String, i64, i64)> = c
            .query_row(
                "SELECT phone_id, uses, revoked FROM tokens WHERE serial = ?1",
                [i64::from(p.serial)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((phone, uses, revoked)) = row else {
            return Err(DcError::new(
                StatusCode::TokenSignature,
                "token not issued by this DC",
            ));
        };
        if revoked != 0 {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                "token revoked",
            ));
        }
        let state: String = c.query_row(
            "SELECT state FROM phones WHERE phone_id = ?1",
            [&phone],
            |r| r.get(0),
        )?;
        if state != "active" {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                format!("virtual card not usable: phone {state}"),
            ));
        }
        Ok((p, uses))
    }

    /// Verifies a token for a SAM session, counting the use.
    pub fn verify_token(&self, sid: &str, token: &str) -> DcResult {
        let c = self.db();
        let (sam, _) = self.session(&c, sid)?;
        let (p, uses) = self.check_token(&c, token)?;
        if sam.starts_with('9') != p.card_no.is_test() {
            return Err(DcError::new(
                StatusCode::TestProductionMixed,
                "test and production cards cannot be mixed",
            ));
        }
        if uses >= i64::from(self.cfg.token_use_limit) {
            return Err(DcError::new(
                StatusCode::TokenCountExceeded,
                "verification count exceeded",
            ));
        }
        c.execute(
            "UPDATE tokens SET uses = uses + 1 WHERE serial = ?1",
            [i64::from(p.serial)],
        )?;
        let mut v = Self::payload_json(&p);
        v["uses"] = json!(uses + 1);
        Ok(v)
    }

    /// Checks a token without counting (ReadBasic does not consume the token).
    pub fn inspect_token(&self, sid: &str, token: &str) -> DcResult {
        let c = self.db();
        self.session(&c, sid)?;
        let (p, uses) = self.check_token(&c, token)?;
        let mut v = Self::payload_json(&p);
        v["uses"] = json!(uses);
        Ok(v)
    }

    /// Cloud SAM token decryption: the payload fields.
    pub fn cloud_decrypt(&self, sid: &str, token: &str) -> DcResult {
        self.session(&self.db(), sid)?;
        let parts = nhi_protocol::token::split(token).map_err(|c| DcError::new(c, c.en()))?;
        let plain = decrypt_payload(
            &self.secrets.token_payload_key,
            &parts.iv,
            &parts.ciphertext,
        )
        .map_err(|c| DcError::new(c, c.en()))?;
        let p = Payload::decode(&plain).map_err(|c| DcError::new(c, c.en()))?;
        Ok(Self::payload_json(&p))
    }

    /// Transfer export: a one-time code for another device of the same institution.
    pub fn transfer_export(&self, sid: &str, card_no: &str) -> DcResult {
        let c = self.db();
        let (_, hid) = self.session(&c, sid)?;
        let n = store::next_counter(&c, "transfer")?;
        let code = format!("T{:08}{}", n, hex::encode_upper(self.random::<3>()));
        c.execute(
            "INSERT INTO transfers(code, card_no, hospital_id, created_at) VALUES (?1,?2,?3,?4)",
            params![code, card_no, hid, self.now()],
        )?;
        // The exporting device's tokens are no longer valid there.
        c.execute(
            "UPDATE tokens SET revoked = 1 WHERE card_no = ?1",
            [card_no],
        )?;
        Ok(json!({ "transferCode": code }))
    }

    /// Transfer import: same institution only, once.
    pub fn transfer_import(&self, sid: &str, code: &str, device: &str) -> DcResult {
        let c = self.db();
        let (_, hid) = self.session(&c, sid)?;
        let row: Option<(String, String, Option<String>)> = c
            .query_row(
                "SELECT card_no, hospital_id, used_by FROM transfers WHERE code = ?1",
                [code],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((card_no, from_hid, used)) = row else {
            return Err(DcError::new(
                StatusCode::TransferNotFound,
                "no such transfer code",
            ));
        };
        if let Some(u) = used {
            return Err(DcError::new(
                StatusCode::TransferUsedElsewhere,
                format!("transfer already used by {u}"),
            ));
        }
        if from_hid != hid {
            return Err(DcError::new(
                StatusCode::TransferOtherHospital,
                "transfer only within the same institution",
            ));
        }
        c.execute(
            "UPDATE transfers SET used_by = ?2 WHERE code = ?1",
            params![code, device],
        )?;
        let p = self.payload_for(&c, &card_no)?;
        Ok(Self::payload_json(&p))
    }

    /// Lost phone: every token of the phone is revoked and the phone retired.
    pub fn lost_phone(&self, phone_id: &str) -> DcResult {
        let c = self.db();
        let n = c.execute(
            "UPDATE phones SET state = 'lost' WHERE phone_id = ?1",
            [phone_id],
        )?;
        if n == 0 {
            return Err(DcError::new(
                StatusCode::DcUndefined,
                "phone not registered",
            ));
        }
        let revoked = c.execute(
            "UPDATE tokens SET revoked = 1 WHERE phone_id = ?1",
            [phone_id],
        )?;
        Ok(json!({ "phoneId": phone_id, "revokedTokens": revoked }))
    }

    // ---------- mobile HCA ----------

    /// Issues a mobile HCA credential (what the HCA phone app holds).
    pub fn hca_issue(&self, hpc_id: &str, id_no: &str, name: &str, hospital_id: &str) -> DcResult {
        let body =
            json!({ "hpcId": hpc_id, "idNo": id_no, "name": name, "hospitalId": hospital_id })
                .to_string();
        let mac = hmac256(
            &self.secrets.dc_sam_master,
            &[b"mobile-hca", body.as_bytes()],
        );
        Ok(json!({ "credential": format!("{}.{}", b64(body.as_bytes()), b64(&mac)) }))
    }

    /// Mobile HCA login: signature (1430), institution = SAM's (1431); an older session of
    /// the same HPC on another device is logged out (its next use gets 1707).
    pub fn hca_login(&self, sid: &str, credential: &str, device: &str) -> DcResult {
        let c = self.db();
        let (sam, hid) = self.session(&c, sid)?;
        let bad = || {
            DcError::new(
                StatusCode::MobileHcaSignatureInvalid,
                "mobile HCA credential signature invalid",
            )
        };
        let (body, mac) = credential.split_once('.').ok_or_else(bad)?;
        let body = B64.decode(body).map_err(|_| bad())?;
        let mac = B64.decode(mac).map_err(|_| bad())?;
        if !ct_eq(
            &hmac256(&self.secrets.dc_sam_master, &[b"mobile-hca", &body]),
            &mac,
        ) {
            return Err(bad());
        }
        let v: Value = serde_json::from_slice(&body).map_err(|_| bad())?;
        let field = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        if field("hospitalId") != hid {
            return Err(DcError::new(
                StatusCode::MobileHcaHospitalMismatch,
                "institution of the credential differs from the SAM's",
            ));
        }
        let hpc = field("hpcId");
        c.execute("UPDATE sessions SET state = 'elsewhere' WHERE kind = 'hca' AND subject = ?1 AND state = 'active' AND device <> ?2", params![hpc, device])?;
        let id = self.new_id("hca");
        let now = self.now();
        c.execute(
            "INSERT INTO sessions(id, kind, sam_id, hospital_id, subject, device, created_at, expires_at, state) VALUES (?1,'hca',?2,?3,?4,?5,?6,?7,'active')",
            params![id, sam, hid, hpc, device, now, now + self.cfg.hca_session_ttl],
        )?;
        Ok(json!({ "hcaSession": id, "hpcId": hpc, "idNo": field("idNo"), "name": field("name") }))
    }

    fn hca_session(&self, c: &Connection, id: &str) -> Result<String, DcError> {
        let row: Option<(String, i64, String)> = c
            .query_row(
                "SELECT subject, expires_at, state FROM sessions WHERE id = ?1 AND kind = 'hca'",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match row {
            None => Err(DcError::new(StatusCode::DcSession, "no such HCA session")),
            Some((_, _, s)) if s == "elsewhere" => Err(DcError::new(
                StatusCode::HcaLoggedOutElsewhere,
                "logged in on another host",
            )),
            Some((_, _, s)) if s == "logout" => Err(DcError::new(
                StatusCode::HcaLoggedOutElsewhere,
                "logged out",
            )),
            Some((_, exp, _)) if self.now() > exp => {
                Err(DcError::new(StatusCode::DcSession, "HCA session expired"))
            }
            Some((hpc, _, _)) => Ok(hpc),
        }
    }

    /// Mobile HCA signature.
    pub fn hca_sign(&self, id: &str, data: &str) -> DcResult {
        let data = unb64("data", data)?;
        let hpc = self.hca_session(&self.db(), id)?;
        Ok(json!({ "signature": b64(&self.sam_signer(&hpc).sign(&data)), "hpcId": hpc }))
    }

    /// Mobile HCA logout.
    pub fn hca_logout(&self, id: &str) -> DcResult {
        let c = self.db();
        self.hca_session(&c, id)?;
        c.execute("UPDATE sessions SET state = 'logout' WHERE id = ?1", [id])?;
        Ok(json!({}))
    }

    // ---------- certificates ----------

    /// Certificate status of an HPC certificate: issuer (1423), validity (1422), revocation (1424).
    pub fn cert_status(&self, sid: &str, cert_b64: &str) -> DcResult {
        let der = unb64("certificate", cert_b64)?;
        let c = self.db();
        self.session(&c, sid)?;
        let (_, cert) = x509_parser::parse_x509_certificate(&der)
            .map_err(|_| DcError::new(StatusCode::ParamFormat3, "not an X.509 certificate"))?;
        let (_, ca) = x509_parser::parse_x509_certificate(&self.ca_der)
            .map_err(|_| DcError::new(StatusCode::DcUndefined, "CA unreadable"))?;
        let sig_ok = cert.issuer() == ca.subject()
            && aws_lc_rs::signature::UnparsedPublicKey::new(
                &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
                &self.ca_public,
            )
            .verify(
                cert.tbs_certificate.as_ref(),
                cert.signature_value.data.as_ref(),
            )
            .is_ok();
        if !sig_ok {
            return Err(DcError::new(
                StatusCode::HcaCertNoIssuer,
                "issuer is not the trusted root",
            ));
        }
        let now = self.now();
        let v = cert.validity();
        if now < v.not_before.timestamp() || now > v.not_after.timestamp() {
            return Err(DcError::new(
                StatusCode::HcaCertNotValid,
                "certificate outside its validity period",
            ));
        }
        let serial = cert.raw_serial_as_string();
        let revoked: Option<i64> = c
            .query_row(
                "SELECT at FROM revoked_certs WHERE serial = ?1",
                [&serial],
                |r| r.get(0),
            )
            .optional()?;
        if revoked.is_some() {
            return Err(DcError::new(
                StatusCode::HcaCertRevoked,
                "certificate revoked",
            ));
        }
        Ok(json!({ "serial": serial }))
    }

    // ---------- marker, uploads ----------

    /// The marker bytes the DC wants written on a physical card.
    pub fn marker(&self, sid: &str, hc_id: &str) -> DcResult {
        self.session(&self.db(), sid)?;
        let card_no = nhi_protocol::ident::HcCardNo::parse(hc_id)
            .map_err(|e| DcError::new(StatusCode::ParamFormat2, e.to_string()))?;
        let digits = card_no.as_str();
        let date: String = roc_datetime(self.now()).chars().take(7).collect();
        let m = format!("M{date}{}", &digits[digits.len() - 4..]);
        Ok(json!({ "marker": b64(m.as_bytes()) }))
    }

    /// Upload of a visit record with the special code.
    pub fn upload(
        &self,
        auth: &SamAuth,
        special_code: &str,
        hc_id: &str,
        hpc_id: Option<&str>,
        body: &Value,
    ) -> DcResult {
        if special_code.len() != 4 || !special_code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DcError::new(
                StatusCode::ParamFormat2,
                "specialCode must be 4 letters or digits",
            ));
        }
        let c = self.db();
        let hid = self.check_sam_signature(&c, auth)?;
        c.execute(
            "INSERT INTO uploads(hospital_id, special_code, hc_id, hpc_id, body, at) VALUES (?1,?2,?3,?4,?5,?6)",
            params![hid, special_code, hc_id, hpc_id, body.to_string(), self.now()],
        )?;
        Ok(json!({ "uploadId": c.last_insert_rowid() }))
    }

    /// Uploads of the signing SAM's institution.
    pub fn uploads(&self, auth: &SamAuth) -> DcResult {
        let c = self.db();
        let hid = self.check_sam_signature(&c, auth)?;
        let mut st = c.prepare("SELECT id, special_code, hc_id, hpc_id, at FROM uploads WHERE hospital_id = ?1 ORDER BY id")?;
        let rows = st
            .query_map([hid], |r| {
                Ok(json!({ "uploadId": r.get::<_, i64>(0)?, "specialCode": r.get::<_, String>(1)?, "hcId": r.get::<_, String>(2)?,
                           "hpcId": r.get::<_, Option<String>>(3)?, "at": r.get::<_, i64>(4)? }))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({ "uploads": rows }))
    }

    // ---------- data protection ----------

    /// Masked view of a card holder (the default for every screen).
    pub fn person_masked(&self, card_no: &str) -> DcResult {
        let c = self.db();
        let (id_enc, name_enc): (Vec<u8>, Vec<u8>) = c
            .query_row(
                "SELECT id_enc, name_enc FROM cards WHERE card_no = ?1",
                [card_no],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| DcError::new(StatusCode::ParamFormat3, "unknown card"))?;
        let bad = |e: String| DcError::new(StatusCode::DcUndefined, e);
        let id = self.internal.open("id_no", &id_enc).map_err(bad)?;
        let name = self.internal.open("name", &name_enc).map_err(bad)?;
        Ok(
            json!({ "cardId": card_no, "idNo": protect::mask_id(&id), "name": protect::mask_name(&name) }),
        )
    }

    /// Files a decryption request.
    pub fn decrypt_request(&self, requester: &str, card_no: &str, reason: &str) -> DcResult {
        if reason.trim().is_empty() {
            return Err(DcError::new(
                StatusCode::ParamFormat1,
                "a reason is required",
            ));
        }
        let c = self.db();
        c.execute(
            "INSERT INTO decrypt_requests(requester, card_no, reason) VALUES (?1,?2,?3)",
            params![requester, card_no, reason],
        )?;
        Ok(json!({ "requestId": c.last_insert_rowid() }))
    }

    /// Approves a request: a different person with the `supervisor` role.
    pub fn decrypt_approve(&self, id: i64, approver: &str, role: &str) -> DcResult {
        let c = self.db();
        let requester: String = c
            .query_row(
                "SELECT requester FROM decrypt_requests WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| DcError::new(StatusCode::ParamFormat3, "no such request"))?;
        if role != "supervisor" {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "approval needs the supervisor role",
            ));
        }
        if approver == requester {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "requester cannot approve their own request",
            ));
        }
        let now = self.now();
        c.execute("UPDATE decrypt_requests SET approver = ?2, approved_at = ?3, expires_at = ?4 WHERE id = ?1", params![id, approver, now, now + self.cfg.decrypt_ttl])?;
        Ok(json!({ "requestId": id, "expiresAt": now + self.cfg.decrypt_ttl }))
    }

    /// Plaintext view through an approved, unexpired request; audited.
    pub fn decrypt_view(&self, id: i64, requester: &str) -> DcResult {
        let c = self.db();
        let row: Option<(String, String, Option<i64>)> = c
            .query_row(
                "SELECT requester, card_no, expires_at FROM decrypt_requests WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((req, card_no, exp)) = row else {
            return Err(DcError::new(StatusCode::ParamFormat3, "no such request"));
        };
        if req != requester {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "only the requester may view",
            ));
        }
        match exp {
            None => {
                return Err(DcError::new(
                    StatusCode::ParamFormat3,
                    "request not approved",
                ))
            }
            Some(e) if self.now() > e => {
                return Err(DcError::new(StatusCode::ParamFormat3, "approval expired"))
            }
            _ => {}
        }
        let (id_enc, name_enc): (Vec<u8>, Vec<u8>) = c.query_row(
            "SELECT id_enc, name_enc FROM cards WHERE card_no = ?1",
            [&card_no],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let bad = |e: String| DcError::new(StatusCode::DcUndefined, e);
        let idp = self.internal.open("id_no", &id_enc).map_err(bad)?;
        let name = self.internal.open("name", &name_enc).map_err(bad)?;
        c.execute(
            "INSERT INTO audit(at, actor, card_no, action) VALUES (?1,?2,?3,'plaintext view')",
            params![self.now(), requester, card_no],
        )?;
        Ok(json!({ "cardId": card_no, "idNo": idp, "name": name }))
    }

    /// The audit trail.
    pub fn audit(&self) -> DcResult {
        let c = self.db();
        let mut st = c.prepare("SELECT at, actor, card_no, action FROM audit ORDER BY id")?;
        let rows = st
            .query_map([], |r| Ok(json!({ "at": r.get::<_, i64>(0)?, "actor": r.get::<_, String>(1)?, "cardId": r.get::<_, String>(2)?, "action": r.get::<_, String>(3)? })))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({ "entries": rows }))
    }

    /// The external consumers' ciphertext of an ID number (a different key than internal).
    pub fn external_id(&self, card_no: &str) -> DcResult {
        let c = self.db();
        let e: Vec<u8> = c
            .query_row(
                "SELECT id_ext FROM cards WHERE card_no = ?1",
                [card_no],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| DcError::new(StatusCode::ParamFormat3, "unknown card"))?;
        Ok(json!({ "cardId": card_no, "idNoExternal": b64(&e) }))
    }

    // ---------- control ----------

    /// Changes an institution's standing (control plane).
    pub fn set_hospital(
        &self,
        id: &str,
        suspended: Option<bool>,
        revoked: Option<bool>,
        contract_to: Option<i64>,
    ) -> DcResult {
        let c = self.db();
        let n = c.execute(
            "UPDATE hospitals SET suspended = COALESCE(?2, suspended), revoked = COALESCE(?3, revoked), contract_to = COALESCE(?4, contract_to) WHERE id = ?1",
            params![id, suspended.map(i64::from), revoked.map(i64::from), contract_to],
        )?;
        if n == 0 {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("no institution {id}"),
            ));
        }
        Ok(json!({ "hospitalId": id }))
    }

    /// Revokes a certificate by serial (hex as x509 prints it).
    pub fn revoke_cert(&self, serial: &str) -> DcResult {
        self.db().execute(
            "INSERT OR REPLACE INTO revoked_certs(serial, at) VALUES (?1, ?2)",
            params![serial, self.now()],
        )?;
        Ok(json!({ "serial": serial }))
    }

    /// Time service.
    pub fn time(&self) -> DcResult {
        let now = self.now();
        Ok(json!({ "serverDateTime": roc_datetime(now), "unix": now }))
    }

    /// Finds an HPC holder's certificate serial as hex (for revocation by the harness).
    pub fn cert_serial(cert_der: &[u8]) -> Option<String> {
        x509_parser::parse_x509_certificate(cert_der)
            .ok()
            .map(|(_, c)| c.raw_serial_as_string())
    }
}

/// How to start a DC server.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Listen address (127.0.0.1 unless told otherwise).
    pub listen: std::net::SocketAddr,
    /// SQLite file.
    pub db: std::path::PathBuf,
    /// HTTPS (test-CA certificate) or plain HTTP.
    pub tls: bool,
    /// Seed of the DC's random numbers (challenges, session ids).
    pub seed: u64,
}

/// A running DC: the server and the rules behind it.
#[derive(Debug)]
pub struct Running {
    /// The HTTP(S) server.
    pub server: crate::http::Server,
    /// The DC.
    pub dc: Arc<Dc>,
    /// The test CA certificate (PEM) clients must trust for HTTPS.
    pub ca_pem: String,
}

/// Opens the database, seeds it and serves the DC API.
pub async fn launch(
    l: &Launch,
    fixtures: &Fixtures,
    clock: crate::clock::VirtualClock,
    cfg: DcConfig,
) -> Result<Running, String> {
    let conn = store::open(&l.db).map_err(|e| format!("{}: {e}", l.db.display()))?;
    let dc = Arc::new(Dc::new(
        conn,
        Arc::new(clock.clone()),
        fixtures,
        cfg,
        l.seed,
    )?);
    let ca = crate::pki::TestCa::load()?;
    let tls = if l.tls {
        let (cert, key) = ca.issue_tls(&["localhost", "127.0.0.1"])?;
        Some(crate::http::tls_acceptor(&cert, &key)?)
    } else {
        None
    };
    let app = api::router(api::ApiState {
        dc: dc.clone(),
        clock: Some(clock),
    });
    let server = crate::http::serve(l.listen, app, tls, dc.refuse.subscribe())
        .await
        .map_err(|e| format!("listen {}: {e}", l.listen))?;
    Ok(Running {
        server,
        dc,
        ca_pem: ca.cert_pem(),
    })
}
