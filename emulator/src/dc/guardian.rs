//! Guardians (seed 001: "Can I authorize a guardian to use it?"): a child or a person
//! without a phone is served through a guardian's phone. The delegation is granted at a
//! counter whose SAM read the dependant's physical card, is kept until revoked, and lets
//! the guardian's active phone fetch the dependant's tokens; verification then names the
//! guardian. Revoking kills the dependant's tokens on that phone. protocol/docs/DC.md,
//! "Guardians".

use super::rows;
use super::store::PhoneState;
use super::{Dc, DcError, DcResult};
use nhi_protocol::api::reply::Empty;
use nhi_protocol::dc::msg::{Delegation, DelegationList, GuardianGrantRequest, TokenIssueReply};
use nhi_protocol::token::{Payload, TokenAlg};
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection, OptionalExtension};

/// The refusal of a phone acting for a card not delegated to it.
fn not_delegated(phone: &str, card: &str) -> DcError {
    DcError::new(
        StatusCode::ParamFormat3,
        format!("{card} is not delegated to phone {phone}"),
    )
}

impl Dc {
    /// The guardian's active phone: its card number (1531 when the phone is unusable).
    fn guardian_card(&self, c: &Connection, phone_id: &str) -> DcResult<String> {
        let phone = rows::phone(c, phone_id)?
            .ok_or_else(|| DcError::new(StatusCode::DcUndefined, "phone not registered"))?;
        if phone.state != PhoneState::Active {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                format!(
                    "the guardian's virtual card is not usable: phone {}",
                    phone.state
                ),
            ));
        }
        Ok(phone.card_no)
    }

    /// True while a delegation of `card` to `phone` is in force.
    fn delegated(&self, c: &Connection, phone: &str, card: &str) -> DcResult<bool> {
        Ok(c.query_row(
            "SELECT 1 FROM delegations WHERE guardian_phone = ?1 AND dependant_card = ?2
             AND revoked_at IS NULL",
            params![phone, card],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
    }

    /// `Guardian/Grant`: the counter read the dependant's physical card.
    pub fn guardian_grant(&self, r: &GuardianGrantRequest) -> DcResult<Delegation> {
        let c = self.db()?;
        self.check_sam_signature(&c, &r.auth)?;
        let guardian_card = self.guardian_card(&c, &r.guardian_phone_id)?;
        if guardian_card == r.dependant_card_no {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "a guardian cannot be their own dependant",
            ));
        }
        let hash = self.internal.lookup_hash(&r.dependant_id_no);
        let known = c
            .query_row(
                "SELECT 1 FROM cards WHERE card_no = ?1 AND id_hash = ?2",
                params![r.dependant_card_no, hash],
                |_| Ok(()),
            )
            .optional()?;
        if known.is_none() {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "the dependant's card and ID number do not match an insured person",
            ));
        }
        let now = self.now();
        if !self.delegated(&c, &r.guardian_phone_id, &r.dependant_card_no)? {
            c.execute(
                "INSERT INTO delegations(guardian_phone, guardian_card, dependant_card, granted_at, hospital_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.guardian_phone_id, guardian_card, r.dependant_card_no, now, r.auth.hospital_id],
            )?;
        }
        Ok(Delegation {
            dependant_card_no: r.dependant_card_no.clone(),
            guardian_card_no: guardian_card,
            granted_at: now,
            revoked_at: None,
        })
    }

    /// Control plane (scripted events, never the public API): the counter grant without a
    /// SAM signature, for a card the fixtures know.
    pub fn admin_guardian_grant(&self, phone: &str, card: &str) -> DcResult<()> {
        let c = self.db()?;
        let guardian_card = self.guardian_card(&c, phone)?;
        if rows::card(&c, card)?.is_none() || guardian_card == card {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("{card} cannot be delegated to phone {phone}"),
            ));
        }
        if !self.delegated(&c, phone, card)? {
            c.execute(
                "INSERT INTO delegations(guardian_phone, guardian_card, dependant_card, granted_at, hospital_id)
                 VALUES (?1, ?2, ?3, ?4, 'control')",
                params![phone, guardian_card, card, self.now()],
            )?;
        }
        Ok(())
    }

    /// `Guardian/Revoke`: ends the delegation and revokes the dependant's
    /// tokens on the guardian's phone.
    pub fn guardian_revoke(&self, phone: &str, card: &str) -> DcResult<Empty> {
        let c = self.db()?;
        if !self.delegated(&c, phone, card)? {
            return Err(not_delegated(phone, card));
        }
        c.execute(
            "UPDATE delegations SET revoked_at = ?3 WHERE guardian_phone = ?1
             AND dependant_card = ?2 AND revoked_at IS NULL",
            params![phone, card, self.now()],
        )?;
        c.execute(
            "UPDATE tokens SET revoked = 1 WHERE phone_id = ?1 AND card_no = ?2",
            params![phone, card],
        )?;
        Ok(Empty {})
    }

    /// `Guardian/List`: the delegations in force on a phone, newest first.
    pub fn guardian_list(&self, phone: &str) -> DcResult<DelegationList> {
        let c = self.db()?;
        let mut st = c.prepare(
            "SELECT dependant_card, guardian_card, granted_at FROM delegations
             WHERE guardian_phone = ?1 AND revoked_at IS NULL ORDER BY id DESC",
        )?;
        let dependants = st
            .query_map([phone], |r| {
                Ok(Delegation {
                    dependant_card_no: r.get(0)?,
                    guardian_card_no: r.get(1)?,
                    granted_at: r.get(2)?,
                    revoked_at: None,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DelegationList { dependants })
    }

    /// `Guardian/Token`: the dependant's token for the guardian's phone.
    pub fn guardian_token(
        &self,
        phone: &str,
        card: &str,
        alg: TokenAlg,
    ) -> DcResult<TokenIssueReply> {
        let c = self.db()?;
        self.guardian_card(&c, phone)?;
        if !self.delegated(&c, phone, card)? {
            return Err(not_delegated(phone, card));
        }
        self.issue_token(&c, phone, card, alg)
    }

    /// The guardian's card number when the token was issued to a phone holding another
    /// card (a dependant's token on a guardian's phone).
    pub(super) fn guardian_of(&self, c: &Connection, p: &Payload) -> DcResult<Option<String>> {
        let Some(t) = rows::token(c, p.serial)? else {
            return Ok(None);
        };
        let phone = rows::phone(c, &t.phone_id)?
            .ok_or_else(|| DcError::internal(format!("token of unknown phone {}", t.phone_id)))?;
        Ok((phone.card_no != p.card_no.as_str()).then_some(phone.card_no))
    }
}
