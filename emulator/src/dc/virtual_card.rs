//! The virtual card (seed 000): activation at a counter, QR tokens and their
//! verification, cloud-SAM decryption, transfer between devices, lost phones. The app
//! registration is [`super::registration`].

use super::rows::{self, PhoneRow, TokenRow};
use super::store::{self, PhoneState};
use super::{Dc, DcError, DcResult, SamAuth};
use crate::token::decrypt_payload;
use nhi_protocol::dc::msg::{
    LostPhoneReply, PayloadFields, PhoneStateReply, TokenIssueReply, TransferExportReply,
    VerifiedToken,
};
use nhi_protocol::ident::{HcCardNo, IdNo, IdentError, IdentityStatus, RocDate, SamId, Sex};
use nhi_protocol::token::{Payload, TokenAlg, TOKEN_LIFETIME_SECS};
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection};

/// The reply of a phone now in `state`.
pub(super) fn phone_state(phone_id: &str, state: PhoneState) -> PhoneStateReply {
    PhoneStateReply {
        phone_id: phone_id.to_string(),
        state: state.as_str().to_string(),
    }
}

impl Dc {
    /// A registered phone.
    fn phone(c: &Connection, phone_id: &str) -> Result<PhoneRow, DcError> {
        rows::phone(c, phone_id)?
            .ok_or_else(|| DcError::new(StatusCode::DcUndefined, "phone not registered"))
    }

    /// Makes `phone_id` the one active phone of `card_no`, valid from now.
    fn make_active(&self, c: &Connection, phone_id: &str, card_no: &str) -> Result<(), DcError> {
        let now = self.now();
        c.execute(
            "UPDATE phones SET state = ?2, activated_at = ?3 WHERE phone_id = ?1",
            params![phone_id, PhoneState::Active, now],
        )?;
        c.execute(
            "UPDATE cards SET valid_until = ?2 WHERE card_no = ?1",
            params![card_no, now + self.cfg.virtual_card_validity],
        )?;
        Ok(())
    }

    /// Activation: the physical card was read at the counter of an institution whose SAM
    /// signed the request.
    pub fn activate(
        &self,
        auth: &SamAuth,
        phone_id: &str,
        hc_id: &str,
    ) -> DcResult<PhoneStateReply> {
        let c = self.db()?;
        self.check_sam_signature(&c, auth)?;
        let phone = Self::phone(&c, phone_id)?;
        if phone.card_no != hc_id {
            return Err(DcError::new(
                StatusCode::DcUndefined,
                "the card read is not the registered card",
            ));
        }
        if phone.state == PhoneState::Lost {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                "phone reported lost",
            ));
        }
        // One card, one phone: any other phone holding this card is retired.
        c.execute(
            "UPDATE phones SET state = ?3 WHERE card_no = ?1 AND phone_id <> ?2 AND state = ?4",
            params![
                phone.card_no,
                phone_id,
                PhoneState::Replaced,
                PhoneState::Active
            ],
        )?;
        c.execute(
            "UPDATE tokens SET revoked = 1 WHERE card_no = ?1 AND phone_id <> ?2",
            params![phone.card_no, phone_id],
        )?;
        self.make_active(&c, phone_id, &phone.card_no)?;
        Ok(phone_state(phone_id, PhoneState::Active))
    }

    /// Control plane (harness fixtures, never the public API): registers `phone_id` for
    /// `card_no` and activates it as if the card had been read at a counter.
    pub fn admin_activate(&self, phone_id: &str, card_no: &str) -> DcResult<PhoneStateReply> {
        let c = self.db()?;
        c.execute(
            "INSERT INTO phones(phone_id, card_no, state, registered_at) VALUES (?1,?2,?3,?4)
             ON CONFLICT(phone_id) DO UPDATE SET card_no = ?2",
            params![phone_id, card_no, PhoneState::Active, self.now()],
        )?;
        self.make_active(&c, phone_id, card_no)?;
        Ok(phone_state(phone_id, PhoneState::Active))
    }

    /// The phone app asks for its current QR token (a new one each call: rotation).
    pub fn token(&self, phone_id: &str, alg: TokenAlg) -> DcResult<TokenIssueReply> {
        let c = self.db()?;
        let phone = Self::phone(&c, phone_id)?;
        if matches!(phone.state, PhoneState::Lost | PhoneState::Replaced) {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                format!("phone {}", phone.state),
            ));
        }
        self.issue_token(&c, phone_id, &phone.card_no, alg)
    }

    /// Issues a token of `card_no` to `phone_id` (its own card, or a dependant's on a
    /// guardian's phone) and records it.
    pub(super) fn issue_token(
        &self,
        c: &Connection,
        phone_id: &str,
        card_no: &str,
        alg: TokenAlg,
    ) -> DcResult<TokenIssueReply> {
        let p = self.payload_for(c, card_no)?;
        let serial = store::next_counter(c, "token")?;
        let now = self.now();
        let fits = |v: i64, what: &str| {
            u32::try_from(v).map_err(|_| DcError::internal(format!("{what} {v} outside u32")))
        };
        let payload = Payload {
            issued_at: fits(now, "issue time")?,
            serial: fits(serial, "token serial")?,
            ..p
        };
        let token = self
            .issuer
            .issue(&payload, alg)
            .map_err(|e| DcError::new(StatusCode::DcUndefined, e))?;
        c.execute(
            "INSERT INTO tokens(serial, phone_id, card_no, issued_at) VALUES (?1,?2,?3,?4)",
            params![serial, phone_id, card_no, now],
        )?;
        Ok(TokenIssueReply {
            token,
            serial,
            valid_seconds: TOKEN_LIFETIME_SECS,
        })
    }

    /// The token payload of a stored card (issue time and serial zero).
    pub(super) fn payload_for(&self, c: &Connection, card_no: &str) -> Result<Payload, DcError> {
        let row = rows::card(c, card_no)?
            .ok_or_else(|| DcError::new(StatusCode::TransferredOrInvalid, "unknown card"))?;
        let bad = |e: String| DcError::new(StatusCode::DcUndefined, e);
        let id = self.internal.open("id_no", &row.id_enc).map_err(bad)?;
        let name = self.internal.open("name", &row.name_enc).map_err(bad)?;
        let f = |e: IdentError| DcError::new(StatusCode::DcUndefined, e.to_string());
        Ok(Payload {
            card_no: HcCardNo::parse(card_no).map_err(f)?,
            id_no: IdNo::parse(&id).map_err(f)?,
            name,
            birthday: RocDate::parse(&row.birthday).map_err(f)?,
            sex: Sex::parse(&row.sex).map_err(f)?,
            identity_status: IdentityStatus::parse(&row.identity_status).map_err(f)?,
            issued_at: 0,
            serial: 0,
            // Validity past 2106 saturates: the payload field is a u32 of unix seconds.
            valid_until: row.valid_until.clamp(0, i64::from(u32::MAX)) as u32,
        })
    }

    /// The PIN status the DC reports with a verified token: whether the holder has a PIN
    /// (the DC's record) and whether the phone's app authorised with it.
    fn pin_status(c: &Connection, card_no: &str, phone_id: &str) -> Result<(bool, bool), DcError> {
        let set: i64 = c.query_row(
            "SELECT pin_set FROM cards WHERE card_no = ?1",
            [card_no],
            |r| r.get(0),
        )?;
        let authorized: i64 = c.query_row(
            "SELECT pin_authorized FROM phones WHERE phone_id = ?1",
            [phone_id],
            |r| r.get(0),
        )?;
        Ok((set != 0, authorized != 0))
    }

    /// The phone's app authorised (or no longer does) with the holder's PIN: in 健保快易通
    /// that is the holder's own act on the phone; here the control plane plays it.
    pub fn admin_pin_authorize(&self, phone_id: &str, authorized: bool) -> DcResult<()> {
        let n = self.db()?.execute(
            "UPDATE phones SET pin_authorized = ?2 WHERE phone_id = ?1",
            params![phone_id, authorized],
        )?;
        if n == 0 {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                format!("unknown phone {phone_id}"),
            ));
        }
        Ok(())
    }

    /// Checks a token against the lifecycle: known serial, not revoked, phone active,
    /// card not transferred. Returns the payload, the uses so far and the phone.
    fn check_token(&self, c: &Connection, token: &str) -> Result<(Payload, i64, String), DcError> {
        let p = self
            .verifier
            .verify(token, self.now())
            .map_err(|code| DcError::new(code, code.en()))?;
        let Some(TokenRow {
            phone_id,
            uses,
            revoked,
        }) = rows::token(c, p.serial)?
        else {
            return Err(DcError::new(
                StatusCode::TokenSignature,
                "token not issued by this DC",
            ));
        };
        if revoked {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                "token revoked",
            ));
        }
        let state = rows::phone(c, &phone_id)?
            .ok_or_else(|| DcError::internal(format!("token of unknown phone {phone_id}")))?
            .state;
        if state != PhoneState::Active {
            return Err(DcError::new(
                StatusCode::TransferredOrInvalid,
                format!("virtual card not usable: phone {state}"),
            ));
        }
        Ok((p, uses, phone_id))
    }

    /// Verifies a token for a SAM session, counting the use.
    pub fn verify_token(&self, sid: &str, token: &str) -> DcResult<VerifiedToken> {
        let c = self.db()?;
        let (sam, _) = self.session(&c, sid)?;
        let (p, uses, phone) = self.check_token(&c, token)?;
        // The session's SAM id was checked when the SAM authenticated; a stored one that no
        // longer parses is the DC's fault.
        let sam = SamId::parse(&sam)
            .map_err(|e| DcError::internal(format!("stored SAM id {sam:?}: {e}")))?;
        if sam.is_test() != p.card_no.is_test() {
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
        let (pin_set, pin_authorized) = Self::pin_status(&c, &p.card_no.to_string(), &phone)?;
        Ok(VerifiedToken {
            guardian_card_id: self.guardian_of(&c, &p)?,
            payload: PayloadFields::from(&p),
            uses: uses + 1,
            pin_set,
            pin_authorized,
        })
    }

    /// Checks a token without counting (ReadBasic does not consume the token).
    pub fn inspect_token(&self, sid: &str, token: &str) -> DcResult<VerifiedToken> {
        let c = self.db()?;
        self.session(&c, sid)?;
        let (p, uses, phone) = self.check_token(&c, token)?;
        let (pin_set, pin_authorized) = Self::pin_status(&c, &p.card_no.to_string(), &phone)?;
        Ok(VerifiedToken {
            guardian_card_id: self.guardian_of(&c, &p)?,
            payload: PayloadFields::from(&p),
            uses,
            pin_set,
            pin_authorized,
        })
    }

    /// Cloud SAM token decryption: the payload fields.
    pub fn cloud_decrypt(&self, sid: &str, token: &str) -> DcResult<PayloadFields> {
        self.session(&*self.db()?, sid)?;
        let parts = nhi_protocol::token::split(token).map_err(|c| DcError::new(c, c.en()))?;
        let plain = decrypt_payload(
            &self.secrets.token_payload_key,
            &parts.iv,
            &parts.ciphertext,
        )
        .map_err(|c| DcError::new(c, c.en()))?;
        let p = Payload::decode(&plain).map_err(|c| DcError::new(c, c.en()))?;
        Ok(PayloadFields::from(&p))
    }

    /// Transfer export: a one-time code for another device of the same institution.
    pub fn transfer_export(&self, sid: &str, card_no: &str) -> DcResult<TransferExportReply> {
        let c = self.db()?;
        let (_, hid) = self.session(&c, sid)?;
        let n = store::next_counter(&c, "transfer")?;
        let code = format!("T{:08}{}", n, hex::encode_upper(self.random::<3>()?));
        c.execute(
            "INSERT INTO transfers(code, card_no, hospital_id, created_at) VALUES (?1,?2,?3,?4)",
            params![code, card_no, hid, self.now()],
        )?;
        // The exporting device's tokens are no longer valid there.
        c.execute(
            "UPDATE tokens SET revoked = 1 WHERE card_no = ?1",
            [card_no],
        )?;
        Ok(TransferExportReply {
            transfer_code: code,
        })
    }

    /// Transfer import: same institution only, once.
    pub fn transfer_import(&self, sid: &str, code: &str, device: &str) -> DcResult<PayloadFields> {
        let c = self.db()?;
        let (_, hid) = self.session(&c, sid)?;
        let Some(t) = rows::transfer(&c, code)? else {
            return Err(DcError::new(
                StatusCode::TransferNotFound,
                "no such transfer code",
            ));
        };
        if let Some(u) = t.used_by {
            return Err(DcError::new(
                StatusCode::TransferUsedElsewhere,
                format!("transfer already used by {u}"),
            ));
        }
        if t.hospital_id != hid {
            return Err(DcError::new(
                StatusCode::TransferOtherHospital,
                "transfer only within the same institution",
            ));
        }
        c.execute(
            "UPDATE transfers SET used_by = ?2 WHERE code = ?1",
            params![code, device],
        )?;
        let p = self.payload_for(&c, &t.card_no)?;
        Ok(PayloadFields::from(&p))
    }

    /// Lost phone: every token of the phone is revoked and the phone retired.
    pub fn phone_lost(&self, phone_id: &str) -> DcResult<LostPhoneReply> {
        let c = self.db()?;
        let n = c.execute(
            "UPDATE phones SET state = ?2 WHERE phone_id = ?1",
            params![phone_id, PhoneState::Lost],
        )?;
        if n == 0 {
            return Err(DcError::new(
                StatusCode::DcUndefined,
                "phone not registered",
            ));
        }
        let revoked_tokens = c.execute(
            "UPDATE tokens SET revoked = 1 WHERE phone_id = ?1",
            [phone_id],
        )?;
        Ok(LostPhoneReply {
            phone_id: phone_id.to_string(),
            revoked_tokens,
        })
    }
}
