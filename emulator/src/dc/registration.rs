//! The virtual card's app registration (seed 000; seed 001: the double-ID photo and the
//! counter's identity check). The DC makes both checks itself from its record of the
//! person: the world (fixture `refuse_registration`, or the control plane) says whose
//! photo or second ID does not match. protocol/docs/DC.md, "Virtual card".

use super::rows;
use super::store::PhoneState;
use super::virtual_card::phone_state;
use super::{Dc, DcError, DcResult};
use nhi_protocol::dc::msg::{PhoneStateReply, RegisterRequest, RegistrationRefusal};
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection, OptionalExtension};

impl Dc {
    /// The world's refusal of a person's registration (fixture `refuse_registration`, or
    /// the control plane), kept on the card; None clears it.
    pub(super) fn set_registration_refusal(
        c: &Connection,
        card_no: &str,
        refusal: Option<RegistrationRefusal>,
    ) -> DcResult<()> {
        c.execute(
            "UPDATE cards SET refuse_registration = ?2 WHERE card_no = ?1",
            params![card_no, refusal.map(RegistrationRefusal::as_str)],
        )?;
        Ok(())
    }

    /// Control plane: from now on the DC's double-ID photo or counter check of this card's
    /// holder fails (`Some`) or passes (`None`).
    pub fn admin_refuse_registration(
        &self,
        card_no: &str,
        refusal: Option<RegistrationRefusal>,
    ) -> DcResult<()> {
        let c = self.db()?;
        if rows::card(&c, card_no)?.is_none() {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("unknown card {card_no}"),
            ));
        }
        Self::set_registration_refusal(&c, card_no, refusal)
    }

    /// The DC's own double-ID photo and counter identity checks of a card's holder.
    fn registration_checks(c: &Connection, card_no: &str) -> DcResult<()> {
        let stored: Option<String> = c.query_row(
            "SELECT refuse_registration FROM cards WHERE card_no = ?1",
            [card_no],
            |row| row.get(0),
        )?;
        match stored.as_deref().map(RegistrationRefusal::parse) {
            None => Ok(()),
            Some(Some(r)) => Err(DcError::new(r.code(), r.message())),
            Some(None) => Err(DcError::internal(format!(
                "card {card_no}: stored registration refusal {stored:?}"
            ))),
        }
    }

    /// App registration: the double-ID photo check and the counter identity check, as
    /// the DC decides them from its record (and as the caller reports them, if it does).
    pub fn register(&self, r: &RegisterRequest) -> DcResult<PhoneStateReply> {
        let reported = [
            (r.photo_check, RegistrationRefusal::PhotoMismatch),
            (r.counter_check, RegistrationRefusal::SecondIdMismatch),
        ];
        if let Some((_, refusal)) = reported.into_iter().find(|(passed, _)| !passed) {
            return Err(DcError::new(refusal.code(), refusal.message()));
        }
        let c = self.db()?;
        let hash = self.internal.lookup_hash(&r.id_no);
        let known: Option<String> = c
            .query_row(
                "SELECT card_no FROM cards WHERE card_no = ?1 AND id_hash = ?2
                 AND replaced_by IS NULL",
                params![r.card_no, hash],
                |row| row.get(0),
            )
            .optional()?;
        if known.is_none() {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "card number and ID number do not match an insured person",
            ));
        }
        Self::registration_checks(&c, &r.card_no)?;
        if let Some(other) = rows::phone(&c, &r.phone_id)? {
            if other.card_no != r.card_no {
                return Err(DcError::new(
                    StatusCode::DcUndefined,
                    "one phone one card: this phone holds another card",
                ));
            }
        }
        // A lost phone registers again; any other state stays as it is.
        c.execute(
            "INSERT INTO phones(phone_id, card_no, state, registered_at) VALUES (?1,?2,?4,?3)
             ON CONFLICT(phone_id) DO UPDATE SET state = CASE WHEN state = ?5 THEN ?4 ELSE state END",
            params![r.phone_id, r.card_no, self.now(), PhoneState::Registered, PhoneState::Lost],
        )?;
        Ok(phone_state(&r.phone_id, PhoneState::Registered))
    }
}
