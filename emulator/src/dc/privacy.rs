//! Data protection (seed 002) as DC rules: the masked view every screen gets, plaintext
//! only through an approved, unexpired request by a different supervisor (audited), and
//! the external consumers' ciphertext. The cipher and the masks are in [`super::protect`].

use super::protect::{mask_id, mask_name};
use super::rows::{self, CardRow};
use super::{b64, Dc, DcError, DcResult};
use nhi_protocol::dc::msg::{
    ApproveReply, AuditEntry, AuditReply, DecryptRequest, ExternalIdReply, PersonReply,
    RequestIdReply,
};
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection, OptionalExtension};

/// The role that may approve a decryption request.
const SUPERVISOR: &str = "supervisor";

impl Dc {
    /// A card holder's plaintext ID number and name (internal key).
    fn person_plain(&self, c: &Connection, card_no: &str) -> DcResult<(String, String)> {
        let CardRow {
            id_enc, name_enc, ..
        } = rows::card(c, card_no)?
            .ok_or_else(|| DcError::new(StatusCode::ParamFormat3, "unknown card"))?;
        let bad = |e: String| DcError::new(StatusCode::DcUndefined, e);
        let id = self.internal.open("id_no", &id_enc).map_err(bad)?;
        let name = self.internal.open("name", &name_enc).map_err(bad)?;
        Ok((id, name))
    }

    /// Masked view of a card holder (the default for every screen).
    pub fn person_masked(&self, card_no: &str) -> DcResult<PersonReply> {
        let (id, name) = self.person_plain(&*self.db()?, card_no)?;
        Ok(PersonReply {
            card_id: card_no.to_string(),
            id_no: mask_id(&id),
            name: mask_name(&name),
        })
    }

    /// Files a decryption request.
    pub fn decrypt_request(&self, r: &DecryptRequest) -> DcResult<RequestIdReply> {
        if r.reason.trim().is_empty() {
            return Err(DcError::new(
                StatusCode::ParamFormat1,
                "a reason is required",
            ));
        }
        let c = self.db()?;
        c.execute(
            "INSERT INTO decrypt_requests(requester, card_no, reason) VALUES (?1,?2,?3)",
            params![r.requester, r.card_id, r.reason],
        )?;
        Ok(RequestIdReply {
            request_id: c.last_insert_rowid(),
        })
    }

    /// Approves a request: a different person with the `supervisor` role.
    pub fn decrypt_approve(&self, id: i64, approver: &str, role: &str) -> DcResult<ApproveReply> {
        let c = self.db()?;
        let req = rows::decrypt_request(&c, id)?
            .ok_or_else(|| DcError::new(StatusCode::ParamFormat3, "no such request"))?;
        if role != SUPERVISOR {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "approval needs the supervisor role",
            ));
        }
        if approver == req.requester {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "requester cannot approve their own request",
            ));
        }
        let now = self.now();
        let expires_at = now + self.cfg.decrypt_ttl;
        c.execute(
            "UPDATE decrypt_requests SET approver = ?2, approved_at = ?3, expires_at = ?4 WHERE id = ?1",
            params![id, approver, now, expires_at],
        )?;
        Ok(ApproveReply {
            request_id: id,
            expires_at,
        })
    }

    /// Plaintext view through an approved, unexpired request; audited.
    pub fn decrypt_view(&self, id: i64, requester: &str) -> DcResult<PersonReply> {
        let c = self.db()?;
        let Some(req) = rows::decrypt_request(&c, id)? else {
            return Err(DcError::new(StatusCode::ParamFormat3, "no such request"));
        };
        if req.requester != requester {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "only the requester may view",
            ));
        }
        match req.expires_at {
            None => {
                return Err(DcError::new(
                    StatusCode::ParamFormat3,
                    "request not approved",
                ))
            }
            Some(e) if self.now() > e => {
                return Err(DcError::new(StatusCode::ParamFormat3, "approval expired"))
            }
            Some(_) => {}
        }
        // The request names a card the requester chose; one that is gone is the DC's fault.
        let (id_no, name) = self
            .person_plain(&c, &req.card_no)
            .map_err(|e| match e.code {
                StatusCode::ParamFormat3 => DcError::internal(format!("request {id}: card gone")),
                _ => e,
            })?;
        c.execute(
            "INSERT INTO audit(at, actor, card_no, action) VALUES (?1,?2,?3,'plaintext view')",
            params![self.now(), requester, req.card_no],
        )?;
        Ok(PersonReply {
            card_id: req.card_no,
            id_no,
            name,
        })
    }

    /// The audit trail.
    pub fn audit(&self) -> DcResult<AuditReply> {
        let c = self.db()?;
        let mut st = c.prepare("SELECT at, actor, card_no, action FROM audit ORDER BY id")?;
        let entries = st
            .query_map([], |r| {
                Ok(AuditEntry {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    card_id: r.get(2)?,
                    action: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AuditReply { entries })
    }

    /// The external consumers' ciphertext of an ID number (a different key than internal).
    pub fn external_id(&self, card_no: &str) -> DcResult<ExternalIdReply> {
        let e: Vec<u8> = self
            .db()?
            .query_row(
                "SELECT id_ext FROM cards WHERE card_no = ?1",
                [card_no],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| DcError::new(StatusCode::ParamFormat3, "unknown card"))?;
        Ok(ExternalIdReply {
            card_id: card_no.to_string(),
            id_no_external: b64(&e),
        })
    }
}
