//! Mobile HCA (credential, login with one session per HPC, signing, logout) and the
//! status of HPC certificates (issuer, validity, revocation).

use super::rows::{self, NewSession, SessionRow};
use super::store::{SessionKind, SessionState};
use super::{b64, unb64, Dc, DcError, DcResult};
use crate::crypto::{ct_eq, hmac256};
use nhi_protocol::dc::msg::{
    CertSerial, Empty, HcaCredential, HcaIssueReply, HcaLoginReply, HcaSignReply,
};
use nhi_protocol::dc::signed::MOBILE_HCA_LABEL;
use nhi_protocol::dc::SignedBlob;
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection, OptionalExtension};

impl Dc {
    /// The MAC of a credential body.
    fn hca_mac(&self, body: &[u8]) -> [u8; 32] {
        hmac256(
            &self.secrets.dc_sam_master,
            &[&SignedBlob::mac_input(MOBILE_HCA_LABEL, body)],
        )
    }

    /// Issues a mobile HCA credential (what the HCA phone app holds).
    pub fn hca_issue(&self, cred: &HcaCredential) -> DcResult<HcaIssueReply> {
        let body = serde_json::to_vec(cred)?;
        let mac = self.hca_mac(&body).to_vec();
        Ok(HcaIssueReply {
            credential: SignedBlob { body, mac }.encode(),
        })
    }

    /// Mobile HCA login: signature (1430), institution = SAM's (1431); an older session of
    /// the same HPC on another device is logged out (its next use gets 1707).
    pub fn hca_login(&self, sid: &str, credential: &str, device: &str) -> DcResult<HcaLoginReply> {
        let c = self.db()?;
        let (sam, hid) = self.session(&c, sid)?;
        let bad = || {
            DcError::new(
                StatusCode::MobileHcaSignatureInvalid,
                "mobile HCA credential signature invalid",
            )
        };
        let blob = SignedBlob::parse(credential).ok_or_else(bad)?;
        if !ct_eq(&self.hca_mac(&blob.body), &blob.mac) {
            return Err(bad());
        }
        // Only this DC makes a valid MAC, and it always writes every field.
        let cred: HcaCredential = serde_json::from_slice(&blob.body).map_err(|_| bad())?;
        if cred.hospital_id != hid {
            return Err(DcError::new(
                StatusCode::MobileHcaHospitalMismatch,
                "institution of the credential differs from the SAM's",
            ));
        }
        c.execute(
            "UPDATE sessions SET state = ?3 WHERE kind = ?4 AND subject = ?1 AND state = ?5 AND device <> ?2",
            params![cred.hpc_id, device, SessionState::Elsewhere, SessionKind::Hca, SessionState::Active],
        )?;
        let id = self.new_id("hca")?;
        let now = self.now();
        rows::insert_session(
            &c,
            &NewSession {
                id: &id,
                kind: SessionKind::Hca,
                sam_id: &sam,
                hospital_id: &hid,
                subject: Some(&cred.hpc_id),
                device: Some(device),
                created_at: now,
                expires_at: now + self.cfg.hca_session_ttl,
            },
        )?;
        Ok(HcaLoginReply {
            hca_session: id,
            hpc_id: cred.hpc_id,
            id_no: cred.id_no,
            name: cred.name,
        })
    }

    /// A usable HCA session's HPC id: 1707 when logged in elsewhere or out, 1703 when expired.
    fn hca_session(&self, c: &Connection, id: &str) -> Result<String, DcError> {
        let Some(SessionRow {
            subject,
            expires_at,
            state,
            ..
        }) = rows::session(c, SessionKind::Hca, id)?
        else {
            return Err(DcError::new(StatusCode::DcSession, "no such HCA session"));
        };
        match state {
            SessionState::Elsewhere => Err(DcError::new(
                StatusCode::HcaLoggedOutElsewhere,
                "logged in on another host",
            )),
            SessionState::Logout => Err(DcError::new(
                StatusCode::HcaLoggedOutElsewhere,
                "logged out",
            )),
            SessionState::Active if self.now() > expires_at => {
                Err(DcError::new(StatusCode::DcSession, "HCA session expired"))
            }
            SessionState::Active => {
                subject.ok_or_else(|| DcError::internal(format!("HCA session {id} without an HPC")))
            }
        }
    }

    /// Mobile HCA signature.
    pub fn hca_sign(&self, id: &str, data: &str) -> DcResult<HcaSignReply> {
        let data = unb64("data", data)?;
        let hpc = self.hca_session(&*self.db()?, id)?;
        Ok(HcaSignReply {
            signature: b64(&self
                .sam_signer(&hpc)
                .sign(&data)
                .map_err(|e| DcError::internal(e.to_string()))?),
            hpc_id: hpc,
        })
    }

    /// Mobile HCA logout.
    pub fn hca_logout(&self, id: &str) -> DcResult<Empty> {
        let c = self.db()?;
        self.hca_session(&c, id)?;
        c.execute(
            "UPDATE sessions SET state = ?2 WHERE id = ?1",
            params![id, SessionState::Logout],
        )?;
        Ok(Empty {})
    }

    /// Certificate status of an HPC certificate: issuer (1423), validity (1422), revocation (1424).
    pub fn cert_status(&self, sid: &str, cert_b64: &str) -> DcResult<CertSerial> {
        let der = unb64("certificate", cert_b64)?;
        let c = self.db()?;
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
        Ok(CertSerial { serial })
    }

    /// An HPC certificate's serial as hex (for revocation by the harness).
    pub fn cert_serial(cert_der: &[u8]) -> Option<String> {
        x509_parser::parse_x509_certificate(cert_der)
            .ok()
            .map(|(_, c)| c.raw_serial_as_string())
    }
}
