//! SAM ↔ DC: institution standing, mutual authentication (challenge, verify), SAM
//! sessions, HIS requests signed by a SAM, and the cloud SAM (file issue, signing).

use super::rows::{self, HospitalRow, NewSession, SessionRow};
use super::store::{SessionKind, SessionState};
use super::{b64, unb64, Dc, DcError, DcResult};
use crate::card::sam::SamKeys;
use crate::crypto::{ct_eq, hmac256, RsaSigner};
use nhi_protocol::dc::msg::{
    SamAuth, SamChallengeReply, SamChallengeRequest, SamVerifyReply, SamVerifyRequest,
    SignatureReply,
};
use nhi_protocol::dc::{dc_proof_input, sam_mac_input, signature_input, CloudSamFile};
use nhi_protocol::ident::roc_datetime;
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection};

impl Dc {
    /// Revoked 1304, suspended 1303, outside the contract 1302.
    fn check_standing(&self, h: &HospitalRow) -> Result<(), DcError> {
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
        if now < h.from || now > h.to {
            return Err(DcError::new(
                StatusCode::ContractExpired,
                "outside the contract period",
            ));
        }
        Ok(())
    }

    /// Step 1 of SAM authentication: a fresh challenge. `cloud` selects 1611 for unknown ids.
    pub fn sam_challenge(&self, r: &SamChallengeRequest) -> DcResult<SamChallengeReply> {
        let c = self.db()?;
        let Some(h) = rows::hospital_by_sam(&c, &r.sam_id)? else {
            return Err(if r.cloud {
                DcError::new(
                    StatusCode::CloudSamNotFound,
                    format!("no cloud SAM {}", r.sam_id),
                )
            } else {
                DcError::new(StatusCode::SamMode2, format!("unknown SAM {}", r.sam_id))
            });
        };
        if h.id != r.hospital_id {
            return Err(DcError::new(
                StatusCode::SamMode2,
                "SAM does not belong to that institution",
            ));
        }
        self.check_standing(&h)?;
        let id = self.new_id("ch")?;
        let dc_random: [u8; 8] = self.random()?;
        c.execute(
            "INSERT INTO challenges(id, sam_id, dc_random, created_at) VALUES (?1,?2,?3,?4)",
            params![id, r.sam_id, dc_random.to_vec(), self.now()],
        )?;
        Ok(SamChallengeReply {
            challenge_id: id,
            dc_random: b64(&dc_random),
        })
    }

    /// Step 2: checks the SAM's MAC; answers the DC's proof and opens a SAM session.
    pub fn sam_verify(&self, r: &SamVerifyRequest) -> DcResult<SamVerifyReply> {
        let sam_random = unb64("samRandom", &r.sam_random)?;
        let sam_mac = unb64("samMac", &r.sam_mac)?;
        let c = self.db()?;
        let Some((sam_id, dc_random)) = rows::take_challenge(&c, &r.challenge_id)? else {
            return Err(DcError::new(
                StatusCode::DcSession,
                "unknown or used challenge",
            ));
        };
        let k = SamKeys::dc_auth_key(&self.secrets.dc_sam_master, &sam_id);
        if !ct_eq(
            &hmac256(&k, &[&sam_mac_input(&dc_random, &sam_random)]),
            &sam_mac,
        ) {
            return Err(DcError::new(
                StatusCode::SamMode2,
                "SAM authentication failed",
            ));
        }
        let proof = hmac256(&k, &[&dc_proof_input(&sam_random, &dc_random)]);
        let Some(h) = rows::hospital_by_sam(&c, &sam_id)? else {
            return Err(DcError::new(StatusCode::SamMode2, "SAM vanished"));
        };
        let sid = self.new_id("sam")?;
        let now = self.now();
        rows::insert_session(
            &c,
            &NewSession {
                id: &sid,
                kind: SessionKind::Sam,
                sam_id: &sam_id,
                hospital_id: &h.id,
                subject: None,
                device: None,
                created_at: now,
                expires_at: now + self.cfg.sam_session_ttl,
            },
        )?;
        Ok(SamVerifyReply {
            proof: b64(&proof),
            sam_session: sid,
            sam_id,
            hospital_id: h.id,
            hospital_name: h.name,
            hospital_short_name: h.short_name,
            server_date_time: roc_datetime(now),
        })
    }

    /// Resolves a SAM session and re-checks the institution's standing: (samId, hospitalId).
    pub fn session(&self, c: &Connection, sid: &str) -> Result<(String, String), DcError> {
        let Some(SessionRow {
            sam_id,
            hospital_id,
            expires_at,
            state,
            ..
        }) = rows::session(c, SessionKind::Sam, sid)?
        else {
            return Err(DcError::new(StatusCode::DcSession, "no such SAM session"));
        };
        if state != SessionState::Active || self.now() > expires_at {
            return Err(DcError::new(StatusCode::DcSession, "SAM session expired"));
        }
        if let Some(h) = rows::hospital_by_sam(c, &sam_id)? {
            self.check_standing(&h)?;
        }
        Ok((sam_id, hospital_id))
    }

    /// Checks an HIS request signed by a SAM (the SAM Signature API's output): the
    /// signature covers clientRandom ‖ serviceType ‖ hospitalId ‖ samId. Returns the hospital.
    pub fn check_sam_signature(&self, c: &Connection, auth: &SamAuth) -> Result<String, DcError> {
        let Some(h) = rows::hospital_by_sam(c, &auth.sam_id)? else {
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
        let cr = unb64("clientRandom", &auth.client_random)?;
        let sig = unb64("signature", &auth.signature)?;
        let data = signature_input(&cr, &auth.service_type, &h.id, &auth.sam_id, None);
        let key = self.sam_signer(&auth.sam_id).public_key_der();
        if !crate::crypto::rsa_verify(&key, &data, &sig) {
            return Err(DcError::new(
                StatusCode::HcaSignatureInvalid,
                "SAM signature does not verify",
            ));
        }
        Ok(h.id)
    }

    /// Issues a cloud SAM file: (file name `hospitalId+samId.SAM`, content).
    pub fn issue_cloud_sam(&self, hospital_id: &str) -> Result<(String, String), DcError> {
        let h = rows::hospital_by_id(&*self.db()?, hospital_id)?.ok_or_else(|| {
            DcError::new(
                StatusCode::CloudSamNotFound,
                format!("no institution {hospital_id}"),
            )
        })?;
        let secret = SamKeys::dc_auth_key(&self.secrets.dc_sam_master, &h.sam_id);
        let file = CloudSamFile {
            hospital_id: h.id,
            hospital_name: h.name,
            hospital_short_name: h.short_name,
            sam_id: h.sam_id,
            secret: b64(&secret),
            version: CloudSamFile::VERSION,
        };
        let body = file.body()?;
        let mac = hmac256(
            &self.secrets.dc_sam_master,
            &[&CloudSamFile::mac_input(&body)],
        );
        Ok((file.file_name(), CloudSamFile::encode(&body, &mac)))
    }

    /// The RSA key of a SAM (or HPC) identity.
    pub(super) fn sam_signer(&self, identity: &str) -> &RsaSigner {
        self.signers.for_identity(identity).0
    }

    /// Cloud SAM signature over `data` (base64).
    pub fn cloud_sign(&self, sid: &str, data: &str) -> DcResult<SignatureReply> {
        let data = unb64("data", data)?;
        let (sam, _) = self.session(&*self.db()?, sid)?;
        Ok(SignatureReply {
            signature: b64(&self
                .sam_signer(&sam)
                .sign(&data)
                .map_err(|e| DcError::internal(e.to_string()))?),
        })
    }
}
