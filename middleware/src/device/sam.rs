//! The SAM: device selection (`Initial`), SAM ↔ DC verification, signing, token
//! decryption, logout, and the SAM's check of an HPC or HC.

use super::{random8, Device, SamInfo, SamUse};
use crate::cards::{self, sam};
use crate::dc_client::unb64;
use crate::error::{reply, request, transport_fail, Fail, OpResult};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::apdu::CardKind;
use nhi_protocol::api::reply::{
    Empty, InitialReply, ReaderTimeReply, SamBasicReply, SamIdReply, SignatureReply,
};
use nhi_protocol::api::request::ServiceTypeRequest;
use nhi_protocol::dc::msg::{
    self as dc, CloudSignRequest, PayloadFields, SamChallengeReply, SamChallengeRequest,
    SamVerifyReply, SamVerifyRequest, TimeReply, TokenRequest,
};
use nhi_protocol::dc::{path, sam_mac_input, signature_input};
use nhi_protocol::ident::SamId;
use nhi_protocol::StatusCode;
use serde_json::Value;

impl Device {
    /// `Initial`: picks the SAM (the named device, else the last one, else the first cloud
    /// SAM, else the first SAM in a reader) and reads its identity.
    pub(super) async fn initial(&mut self, body: &Value) -> OpResult {
        // Lenient on purpose, as before typed bodies: a deviceName that is not a string
        // means "no device named", i.e. the default order.
        let device = body.get("deviceName").and_then(Value::as_str);
        self.refresh();
        let cloud =
            |s: &Self, id: &str| s.store.cloud_sams.iter().find(|c| c.sam_id == id).cloned();
        let sam_readers = self.readers_with(CardKind::Sam);
        let pick = match device {
            Some(d) => {
                if let Some(c) = cloud(self, d) {
                    SamUse::Cloud(c)
                } else if sam_readers.iter().any(|r| r == d) {
                    SamUse::Physical {
                        reader: d.to_string(),
                    }
                } else {
                    return Err(Fail::new(
                        StatusCode::NoDevice,
                        format!("no device named {d:?}"),
                    ));
                }
            }
            None => {
                let last = self.store.settings.last_device.clone();
                let from_last = last.as_deref().and_then(|l| {
                    cloud(self, l).map(SamUse::Cloud).or_else(|| {
                        sam_readers
                            .iter()
                            .find(|r| *r == l)
                            .map(|r| SamUse::Physical { reader: r.clone() })
                    })
                });
                let first = from_last
                    .or_else(|| self.store.cloud_sams.first().cloned().map(SamUse::Cloud))
                    .or_else(|| {
                        sam_readers
                            .first()
                            .map(|r| SamUse::Physical { reader: r.clone() })
                    });
                match first {
                    Some(p) => p,
                    // A COM port that does not open (1201) or a reader that fails (1202)
                    // says more than "no device".
                    None => {
                        return Err(match self.reader_error.clone() {
                            Some(e) if super::readers::reader_failure(&e) => transport_fail(e),
                            _ => Fail::new(
                                StatusCode::NoDevice,
                                "no cloud SAM imported and no SAM in any reader",
                            ),
                        })
                    }
                }
            }
        };
        match &pick {
            SamUse::Physical { reader } => {
                let reader = reader.clone();
                let id = sam::identify(&mut self.at(&reader))?;
                self.sam_info = SamInfo {
                    sam_id: id.sam_id,
                    hospital_id: id.hospital_id,
                    ..SamInfo::default()
                };
                self.store.settings.last_device = Some(reader);
            }
            SamUse::Cloud(c) => {
                self.sam_info = SamInfo {
                    sam_id: c.sam_id.clone(),
                    hospital_id: c.hospital_id.clone(),
                    name: c.hospital_name.clone(),
                    short_name: c.hospital_short_name.clone(),
                };
                self.store.settings.last_device = Some(c.sam_id.clone());
            }
        }
        self.sam = Some(pick);
        if let Err(e) = self.store.save() {
            // Remembering the last device is a convenience; Initial itself succeeded.
            tracing::warn!(error = %e, "settings not saved after Initial");
        }
        reply(&InitialReply {
            device_name: self.device_name(),
        })
    }

    /// The connected device's name: the SAM's reader, or the cloud SAM's id.
    pub(super) fn device_name(&self) -> String {
        match &self.sam {
            Some(SamUse::Physical { reader }) => reader.clone(),
            Some(SamUse::Cloud(c)) => c.sam_id.clone(),
            None => String::new(),
        }
    }

    /// `ReaderTime`: a reader with its own clock (a COM reader holding the physical SAM)
    /// answers itself; otherwise (PC/SC, cloud SAM) the DC's time is used.
    pub(super) async fn reader_time(&mut self) -> OpResult {
        if let Some(r) = self.sam_reader() {
            let t = super::readers::blocking(|| self.transport.reader_time(&r));
            if let Some(t) = t {
                let t = t.map_err(transport_fail)?;
                return reply(&ReaderTimeReply {
                    server_date_time: nhi_protocol::ident::roc_datetime(t),
                    source: Some("reader".into()),
                });
            }
        }
        let t: TimeReply = self.dc.call(path::TIME, &dc::Empty {}).await?;
        reply(&ReaderTimeReply {
            server_date_time: t.server_date_time,
            source: None,
        })
    }

    /// Test SAM (first digit 9): test and production cards must not mix (1003). An id
    /// that is no SAM id leaves the SAM unusable for the card (1302, SAM not in mode 2).
    pub(super) fn is_test_sam(&self) -> Result<bool, Fail> {
        SamId::parse(&self.sam_info.sam_id)
            .map(|id| id.is_test())
            .map_err(|e| Fail::new(StatusCode::SamMode2, format!("SAM id: {e}")))
    }

    /// The SAM checks the card in `reader` (mode 1 → 2 of an HPC or HC). A cloud SAM has
    /// no chip to check the card against; the DC vouches for it.
    pub(super) fn sam_checks_card(&mut self, reader: &str, fail: StatusCode) -> Result<(), Fail> {
        if self.sam_reader().is_none() {
            return Ok(());
        }
        let challenge = sam::challenge(&mut self.sam_card()?, fail)?;
        let proof = cards::auth_proof(&mut self.at(reader), &challenge)?;
        sam::check_card(&mut self.sam_card()?, &proof, fail)
    }

    /// `Sam/Verification`.
    pub(super) async fn sam_verify(&mut self) -> OpResult {
        self.sam_verify_inner().await?;
        reply(&SamIdReply {
            sam_id: self.sam_info.sam_id.clone(),
            hospital_id: self.sam_info.hospital_id.clone(),
        })
    }

    /// SAM ↔ DC mutual authentication (physical SAM card or cloud SAM secret).
    pub(super) async fn sam_verify_inner(&mut self) -> Result<(), Fail> {
        let cloud = matches!(self.sam, Some(SamUse::Cloud(_)));
        let challenge = SamChallengeRequest {
            sam_id: self.sam_info.sam_id.clone(),
            hospital_id: self.sam_info.hospital_id.clone(),
            cloud,
        };
        let ch: SamChallengeReply = self.dc.call(path::SAM_CHALLENGE, &challenge).await?;
        let dc_random = unb64("dcRandom", &ch.dc_random)?;
        let (sam_random, mac) = match self.sam.clone() {
            Some(SamUse::Physical { .. }) => sam::answer_dc(&mut self.sam_card()?, &dc_random)?,
            Some(SamUse::Cloud(c)) => {
                let secret = B64
                    .decode(c.secret.expose())
                    .map_err(|_| Fail::code(StatusCode::CloudSamFileFormat))?;
                let sam_random = random8();
                let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
                let mac = aws_lc_rs::hmac::sign(&k, &sam_mac_input(&dc_random, &sam_random));
                (sam_random.to_vec(), mac.as_ref().to_vec())
            }
            None => return Err(Fail::code(StatusCode::SamMode1)),
        };
        let verify = SamVerifyRequest {
            challenge_id: ch.challenge_id,
            sam_random: B64.encode(&sam_random),
            sam_mac: B64.encode(&mac),
        };
        let verified: SamVerifyReply = self.dc.call(path::SAM_VERIFY, &verify).await?;
        if self.sam_reader().is_some() {
            let proof = unb64("proof", &verified.proof)?;
            sam::check_dc(&mut self.sam_card()?, &proof)?;
        }
        self.sam_info.name = verified.hospital_name;
        self.sam_info.short_name = verified.hospital_short_name;
        self.sam_session = Some(verified.sam_session);
        self.sync_reader_clock().await
    }

    /// Seed 004: 「驗證 SAM 時,會由中心端向讀卡機校時」 — the DC's time is written to the
    /// physical SAM's reader when it has a clock of its own (the COM reader; a PC/SC
    /// reader has none, and its ReaderTime is the DC's time anyway).
    async fn sync_reader_clock(&mut self) -> Result<(), Fail> {
        let Some(r) = self.sam_reader() else {
            return Ok(());
        };
        if super::readers::blocking(|| self.transport.reader_time(&r)).is_none() {
            return Ok(());
        }
        let t: TimeReply = self.dc.call(path::TIME, &dc::Empty {}).await?;
        match super::readers::blocking(|| self.transport.set_reader_time(&r, t.unix)) {
            Some(Err(e)) => Err(transport_fail(e)),
            Some(Ok(())) | None => Ok(()),
        }
    }

    /// `Sam/Logout`: drops the DC sessions and the virtual HC.
    pub(super) fn sam_logout(&mut self) -> OpResult {
        self.sam_session = None;
        self.hca_session = None;
        self.virtual_hc = None;
        if let Some(r) = self.sam_reader() {
            // Power-cycling is not in the trait: re-selecting drops nothing, so the next
            // signature needs a fresh DC authentication through mode 2 anyway. A SAM that
            // does not answer is logged out all the same.
            let _ = sam::reselect(&mut self.at(&r));
        }
        reply(&Empty {})
    }

    /// `Sam/BasicData`: a physical SAM does not carry the institution's names.
    pub(super) fn sam_basic(&self) -> OpResult {
        let physical = matches!(self.sam, Some(SamUse::Physical { .. }));
        reply(&SamBasicReply {
            sam_id: self.sam_info.sam_id.clone(),
            hospital_id: self.sam_info.hospital_id.clone(),
            hospital_name: (!physical).then(|| self.sam_info.name.clone()),
            hospital_short_name: (!physical).then(|| self.sam_info.short_name.clone()),
        })
    }

    /// `Sam/Signature` over `clientRandom ‖ serviceType ‖ hospitalId ‖ samId`.
    pub(super) async fn sam_signature(&mut self, body: &Value) -> OpResult {
        let t = request::<ServiceTypeRequest>(body)?.service_type;
        super::check_service_type(&t)?;
        let cr = random8();
        let data = signature_input(
            &cr,
            &t,
            &self.sam_info.hospital_id,
            &self.sam_info.sam_id,
            None,
        );
        let sig = self.sam_sign(&data).await?;
        reply(&SignatureReply {
            signature: B64.encode(&sig),
            client_random: Some(B64.encode(cr)),
            sam_id: self.sam_info.sam_id.clone(),
            hospital_id: self.sam_info.hospital_id.clone(),
            service_type: t,
            hpc_id: None,
            hpc_id_no: None,
            hc_id: None,
            hc_id_no: None,
        })
    }

    /// Signs with the SAM (card PSO, or the DC for a cloud SAM).
    pub(super) async fn sam_sign(&mut self, data: &[u8]) -> Result<Vec<u8>, Fail> {
        if self.sam_reader().is_some() {
            sam::sign(&mut self.sam_card()?, data)
        } else {
            let sign = CloudSignRequest {
                sam_session: self.sam_session()?,
                data: B64.encode(data),
            };
            let s: dc::SignatureReply = self.dc.call(path::CLOUD_SAM_SIGN, &sign).await?;
            unb64("signature", &s.signature)
        }
    }

    /// Token payload fields: SAM decryption (physical) or the DC (cloud).
    pub(super) async fn decrypt_token(&mut self, token: &str) -> Result<PayloadFields, Fail> {
        let parts = nhi_protocol::token::split(token).map_err(Fail::code)?;
        if self.sam_reader().is_some() {
            let data = [&parts.iv[..], &parts.ciphertext[..]].concat();
            let plain = sam::decrypt(&mut self.sam_card()?, &data)?;
            let p = nhi_protocol::token::Payload::decode(&plain).map_err(Fail::code)?;
            Ok(PayloadFields::from(&p))
        } else {
            let req = TokenRequest {
                sam_session: self.sam_session()?,
                token: token.to_string(),
            };
            self.dc.call(path::CLOUD_SAM_DECRYPT, &req).await
        }
    }
}
