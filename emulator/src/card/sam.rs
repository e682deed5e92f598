//! The physical SAM (security access module) of an institution.
//!
//! Mutual authentication with the DC (ours; protocol/docs/APDU.md):
//! 1. the DC sends an 8-byte `dcRandom`; `80 88 00 00 08 dcRandom` → `samRandom(8) ‖
//!    HMAC(Ksam, "SAM" ‖ dcRandom ‖ samRandom)` where `Ksam = HMAC(dcMaster, "sam" ‖ samId)`;
//! 2. the DC answers `HMAC(Ksam, "DC" ‖ samRandom ‖ dcRandom)`; `80 82 00 00 20 proof`
//!    → `90 00` and the SAM is authenticated, or `63 Cx`; three failures lock it (`69 83`).

use super::{card_key, ok, status, Card, CardKind, CardRng};
use crate::crypto::{aes128_cbc_decrypt, ct_eq, hmac256, RsaSigner};
use nhi_protocol::apdu::{hc_areas, ins, sw, tag, Command, AID_SAM, ATR_SAM};
use nhi_protocol::dc::{dc_proof_input, sam_key_input, sam_mac_input};
use rand::RngCore;
use rand_chacha::ChaCha20Rng;
use std::sync::Arc;

/// Failed DC authentications that lock a SAM.
pub const SAM_AUTH_LIMIT: u8 = 3;

/// The SAM's secrets, given by whoever builds the world.
#[derive(Debug, Clone)]
pub struct SamKeys {
    /// Key shared with the DC for mutual authentication.
    pub dc_auth: [u8; 32],
    /// Master for diversified card keys (test or production, matching the SAM id).
    pub card_master: [u8; 32],
    /// AES-128 key of token payloads.
    pub token_payload: [u8; 16],
}

impl SamKeys {
    /// Derives the SAM's DC key from the DC master.
    pub fn dc_auth_key(dc_master: &[u8; 32], sam_id: &str) -> [u8; 32] {
        hmac256(dc_master, &[&sam_key_input(sam_id)])
    }
}

/// A physical SAM.
#[derive(Debug, Clone)]
pub struct Sam {
    sam_id: String,
    hospital_id: String,
    keys: SamKeys,
    signer: Arc<RsaSigner>,
    selected: bool,
    authenticated: bool,
    failures: u8,
    pending: Option<([u8; 8], [u8; 8])>,
    card_challenge: Option<[u8; 8]>,
    rng: ChaCha20Rng,
}

impl Sam {
    /// A SAM for `sam_id` (12 digits) of `hospital_id` (10 chars).
    pub fn new(sam_id: &str, hospital_id: &str, keys: SamKeys, signer: Arc<RsaSigner>) -> Sam {
        Sam {
            rng: CardRng::Deterministic.stream(b"sam rng", sam_id.as_bytes()),
            sam_id: sam_id.to_string(),
            hospital_id: hospital_id.to_string(),
            keys,
            signer,
            selected: false,
            authenticated: false,
            failures: 0,
            pending: None,
            card_challenge: None,
        }
    }
    /// The SAM id.
    pub fn sam_id(&self) -> &str {
        &self.sam_id
    }
    /// True once three DC authentications failed.
    pub fn is_locked(&self) -> bool {
        self.failures >= SAM_AUTH_LIMIT
    }
    /// True while authenticated with the DC (until reset).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    fn exec(&mut self, c: &Command<'_>) -> Vec<u8> {
        if c.cla != 0x00 && c.cla != 0x80 {
            return status(sw::CLA_NOT_SUPPORTED);
        }
        if c.ins == ins::SELECT && c.cla == 0x00 {
            if c.p1 != 0x04 || c.p2 != 0x00 {
                return status(sw::WRONG_P1P2);
            }
            if c.data == AID_SAM {
                self.selected = true;
                return status(sw::OK);
            }
            return status(sw::NOT_FOUND);
        }
        if !self.selected {
            return status(sw::CONDITIONS_NOT_SATISFIED);
        }
        match (c.cla, c.ins) {
            (0x00, ins::GET_DATA) => match (c.p1, c.p2) {
                (tag::SAM_INFO, 0) => {
                    let mut v = self.sam_id.as_bytes().to_vec();
                    v.extend_from_slice(self.hospital_id.as_bytes());
                    ok(&v)
                }
                _ => status(sw::WRONG_P1P2),
            },
            (0x00, ins::GET_CHALLENGE) => {
                if (c.p1, c.p2, c.le) != (0, 0, Some(8)) || !c.data.is_empty() {
                    return status(sw::WRONG_LENGTH);
                }
                let mut r = [0u8; 8];
                self.rng.fill_bytes(&mut r);
                self.card_challenge = Some(r);
                ok(&r)
            }
            (0x80, ins::INTERNAL_AUTHENTICATE) => {
                if (c.p1, c.p2) != (0, 0) {
                    return status(sw::WRONG_P1P2);
                }
                if c.data.len() != 8 {
                    return status(sw::WRONG_LENGTH);
                }
                if self.is_locked() {
                    return status(sw::BLOCKED);
                }
                let mut dc = [0u8; 8];
                dc.copy_from_slice(c.data);
                let mut mine = [0u8; 8];
                self.rng.fill_bytes(&mut mine);
                self.pending = Some((dc, mine));
                self.authenticated = false;
                let mac = hmac256(&self.keys.dc_auth, &[&sam_mac_input(&dc, &mine)]);
                let mut out = mine.to_vec();
                out.extend_from_slice(&mac);
                ok(&out)
            }
            (0x80, ins::EXTERNAL_AUTHENTICATE) => match c.p1 {
                0 => self.dc_proof(c),
                1 => self.card_response(c),
                _ => status(sw::WRONG_P1P2),
            },
            (0x80, ins::PSO) => {
                if (c.p1, c.p2) != (0x9E, 0x9A) {
                    return status(sw::WRONG_P1P2);
                }
                if c.data.is_empty() || c.data.len() > 1024 {
                    return status(sw::WRONG_LENGTH);
                }
                if !self.authenticated {
                    return status(sw::SECURITY_NOT_SATISFIED);
                }
                match self.signer.sign(c.data) {
                    Ok(sig) => ok(&sig),
                    Err(_) => status(sw::NO_INFORMATION),
                }
            }
            (0x80, hc_areas::INS_SAM_AREA_PROOF) => self.area_proof(c),
            (0x80, ins::SAM_DECRYPT_TOKEN) => {
                if (c.p1, c.p2) != (0, 0) {
                    return status(sw::WRONG_P1P2);
                }
                if c.data.len() != 16 + 64 {
                    return status(sw::WRONG_LENGTH);
                }
                if !self.authenticated {
                    return status(sw::SECURITY_NOT_SATISFIED);
                }
                let mut iv = [0u8; 16];
                iv.copy_from_slice(&c.data[..16]);
                match aes128_cbc_decrypt(&self.keys.token_payload, &iv, &c.data[16..]) {
                    Some(p) => ok(&p),
                    None => status(sw::WRONG_DATA),
                }
            }
            _ => status(sw::INS_NOT_SUPPORTED),
        }
    }

    fn dc_proof(&mut self, c: &Command<'_>) -> Vec<u8> {
        if c.p2 != 0 {
            return status(sw::WRONG_P1P2);
        }
        if c.data.len() != 32 {
            return status(sw::WRONG_LENGTH);
        }
        if self.is_locked() {
            return status(sw::BLOCKED);
        }
        let Some((dc, mine)) = self.pending.take() else {
            return status(sw::CONDITIONS_NOT_SATISFIED);
        };
        let want = hmac256(&self.keys.dc_auth, &[&dc_proof_input(&mine, &dc)]);
        if ct_eq(&want, c.data) {
            self.failures = 0;
            self.authenticated = true;
            status(sw::OK)
        } else {
            self.failures += 1;
            if self.is_locked() {
                status(sw::BLOCKED)
            } else {
                status(sw::retries_left(SAM_AUTH_LIMIT - self.failures))
            }
        }
    }

    /// The proof that opens an HC's protected areas: data = chip id 8 ‖ card challenge 8 →
    /// `HMAC(Kcard, "areas" ‖ challenge)`; only a SAM the DC authenticated computes it.
    fn area_proof(&mut self, c: &Command<'_>) -> Vec<u8> {
        if (c.p1, c.p2) != (0, 0) {
            return status(sw::WRONG_P1P2);
        }
        if c.data.len() != 8 + hc_areas::AREA_CHALLENGE_LEN {
            return status(sw::WRONG_LENGTH);
        }
        if !self.authenticated {
            return status(sw::SECURITY_NOT_SATISFIED);
        }
        let (chip_bytes, challenge) = c.data.split_at(8);
        let mut chip = [0u8; 8];
        chip.copy_from_slice(chip_bytes);
        let key = card_key(&self.keys.card_master, &chip);
        ok(&hmac256(&key, &[hc_areas::AREA_PROOF_LABEL, challenge]))
    }

    /// Checks a card's answer to this SAM's last challenge: data = chip id 8 ‖ HMAC 32.
    fn card_response(&mut self, c: &Command<'_>) -> Vec<u8> {
        if c.p2 != 0 {
            return status(sw::WRONG_P1P2);
        }
        if c.data.len() != 40 {
            return status(sw::WRONG_LENGTH);
        }
        if !self.authenticated {
            return status(sw::SECURITY_NOT_SATISFIED);
        }
        let Some(chal) = self.card_challenge.take() else {
            return status(sw::CONDITIONS_NOT_SATISFIED);
        };
        let mut chip = [0u8; 8];
        chip.copy_from_slice(&c.data[..8]);
        let key = card_key(&self.keys.card_master, &chip);
        if ct_eq(&hmac256(&key, &[b"auth", &chal]), &c.data[8..]) {
            status(sw::OK)
        } else {
            status(0x6300)
        }
    }
}

impl Card for Sam {
    fn atr(&self) -> &'static [u8] {
        ATR_SAM
    }
    fn reset(&mut self) {
        self.selected = false;
        self.authenticated = false;
        self.pending = None;
        self.card_challenge = None;
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        match Command::parse(apdu) {
            Ok(c) => self.exec(&c),
            Err(_) => status(sw::WRONG_LENGTH),
        }
    }
    fn kind(&self) -> CardKind {
        CardKind::Sam
    }
    fn label(&self) -> String {
        self.sam_id.clone()
    }
    fn reseed(&mut self, source: CardRng) {
        self.rng = source.stream(b"sam rng", self.sam_id.as_bytes());
    }
}
