//! Card replacement and re-application (seed 001: card lifecycle "issue, replacement,
//! recovery"; physical and virtual lost at the same time → re-apply together).
//!
//! A replacement card (new number) takes over the person's record: the phones stay bound
//! and active, the DC's visit record and delegations follow, and every token carrying the
//! old number is revoked (the phone fetches new ones). A re-application after losing both
//! cards does the same but also retires every phone of the old card: the person registers
//! and activates again (a new binding). The old card number is dead either way: it cannot
//! be registered or replaced again. protocol/docs/DC.md, "Card replacement and
//! re-application".

use super::store::PhoneState;
use super::{Dc, DcError, DcResult};
use nhi_protocol::dc::msg::{CardReplaceReply, CardReplaceRequest};
use nhi_protocol::ident::HcCardNo;
use nhi_protocol::StatusCode;
use rusqlite::{params, OptionalExtension};

impl Dc {
    /// `Card/Replace`: the binding is kept.
    pub fn card_replace(&self, r: &CardReplaceRequest) -> DcResult<CardReplaceReply> {
        self.move_card(r, false)
    }

    /// `Card/Reapply`: both cards lost; the phones are retired.
    pub fn card_reapply(&self, r: &CardReplaceRequest) -> DcResult<CardReplaceReply> {
        self.move_card(r, true)
    }

    fn move_card(&self, r: &CardReplaceRequest, retire_phones: bool) -> DcResult<CardReplaceReply> {
        let parse = |s: &str| {
            HcCardNo::parse(s).map_err(|e| DcError::new(StatusCode::ParamFormat2, e.to_string()))
        };
        let (old, new) = (parse(&r.card_no)?, parse(&r.new_card_no)?);
        if old.is_test() != new.is_test() {
            return Err(DcError::new(
                StatusCode::TestProductionMixed,
                "a test card is replaced by a test card, a production card by a production one",
            ));
        }
        let mut c = self.db()?;
        self.check_sam_signature(&c, &r.auth)?;
        let hash = self.internal.lookup_hash(&r.id_no);
        let current: Option<Option<String>> = c
            .query_row(
                "SELECT replaced_by FROM cards WHERE card_no = ?1 AND id_hash = ?2",
                params![r.card_no, hash],
                |row| row.get(0),
            )
            .optional()?;
        match current {
            None => {
                return Err(DcError::new(
                    StatusCode::ParamFormat3,
                    "card number and ID number do not match an insured person",
                ))
            }
            Some(Some(by)) => {
                return Err(DcError::new(
                    StatusCode::ParamFormat3,
                    format!("card {} was already replaced by {by}", r.card_no),
                ))
            }
            Some(None) => {}
        }
        let taken = c
            .query_row(
                "SELECT 1 FROM cards WHERE card_no = ?1",
                [&r.new_card_no],
                |_| Ok(()),
            )
            .optional()?;
        if taken.is_some() {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("card number {} is already issued", r.new_card_no),
            ));
        }
        let (o, n) = (r.card_no.as_str(), r.new_card_no.as_str());
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO cards(card_no, id_enc, id_hash, id_ext, name_enc, birthday, sex,
               identity_status, valid_until, pin_set)
             SELECT ?2, id_enc, id_hash, id_ext, name_enc, birthday, sex, identity_status,
               valid_until, pin_set FROM cards WHERE card_no = ?1",
            params![o, n],
        )?;
        tx.execute(
            "UPDATE cards SET replaced_by = ?2 WHERE card_no = ?1",
            params![o, n],
        )?;
        let tokens_revoked = tx.execute(
            "UPDATE tokens SET revoked = 1 WHERE card_no = ?1 AND revoked = 0",
            [o],
        )?;
        if retire_phones {
            tx.execute(
                "UPDATE phones SET state = ?2 WHERE card_no = ?1",
                params![o, PhoneState::Lost],
            )?;
            tx.execute(
                "UPDATE delegations SET revoked_at = ?2 WHERE guardian_card = ?1 AND revoked_at IS NULL",
                params![o, self.now()],
            )?;
        }
        for sql in [
            "UPDATE phones SET card_no = ?2 WHERE card_no = ?1",
            "UPDATE hc_insurance SET card_no = ?2 WHERE card_no = ?1",
            "UPDATE hc_visits SET card_no = ?2 WHERE card_no = ?1",
            "UPDATE hc_items SET card_no = ?2 WHERE card_no = ?1",
            "UPDATE delegations SET dependant_card = ?2 WHERE dependant_card = ?1",
            "UPDATE delegations SET guardian_card = ?2 WHERE guardian_card = ?1",
        ] {
            tx.execute(sql, params![o, n])?;
        }
        let phones_kept: i64 = tx.query_row(
            "SELECT COUNT(*) FROM phones WHERE card_no = ?1 AND state = ?2",
            params![n, PhoneState::Active],
            |row| row.get(0),
        )?;
        tx.commit()?;
        Ok(CardReplaceReply {
            card_no: r.new_card_no.clone(),
            phones_kept,
            tokens_revoked: i64::try_from(tokens_revoked)
                .map_err(|_| DcError::internal("revoked token count"))?,
        })
    }
}
