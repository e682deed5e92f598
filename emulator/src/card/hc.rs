//! The NHI IC card (HC).

use super::{
    card_key, chip_id, is_pin, ok, select_aid, status, Card, CardKind, PinState, PIN_TRIES,
};
use crate::crypto::hmac256;
use nhi_protocol::apdu::{ins, sw, tag, Command, AID_HC, ATR_HC};
use nhi_protocol::basic::BasicData;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Longest marker record (UPDATE BINARY data).
pub const MARKER_MAX: usize = 32;

/// An HC: basic data, optional PIN, marker record, a diversified key for authentication.
#[derive(Debug, Clone)]
pub struct Hc {
    basic: BasicData,
    encoded: [u8; 57],
    chip: [u8; 8],
    key: [u8; 32],
    pin: PinState,
    marker: Vec<u8>,
    selected: bool,
    rng: ChaCha20Rng,
}

impl Hc {
    /// A card for `basic`, keyed from the test or production `master`, with an optional PIN.
    pub fn new(
        basic: BasicData,
        master: &[u8; 32],
        pin: Option<String>,
    ) -> Result<Hc, nhi_protocol::basic::BasicError> {
        let encoded = basic.encode()?;
        let chip = chip_id(basic.card_no.as_str());
        Ok(Hc {
            key: card_key(master, &chip),
            rng: ChaCha20Rng::from_seed(hmac256(b"hc rng", &[&chip])),
            basic,
            encoded,
            chip,
            pin: PinState::new(pin),
            marker: Vec::new(),
            selected: false,
        })
    }
    /// The basic data this card holds.
    pub fn basic(&self) -> &BasicData {
        &self.basic
    }
    /// The chip id.
    pub fn chip(&self) -> [u8; 8] {
        self.chip
    }
    /// The marker record last written.
    pub fn marker(&self) -> &[u8] {
        &self.marker
    }
    /// PIN tries left (3 when no PIN is set).
    pub fn pin_tries_left(&self) -> u8 {
        self.pin.tries_left
    }

    fn pin_status_byte(&self) -> u8 {
        match (&self.pin.pin, self.pin.tries_left, self.pin.verified) {
            (None, _, _) => 0,
            (Some(_), 0, _) => 3,
            (Some(_), _, true) => 2,
            (Some(_), _, false) => 1,
        }
    }

    fn pin_satisfied(&self) -> bool {
        self.pin.pin.is_none() || self.pin.verified
    }

    fn exec(&mut self, c: &Command<'_>) -> Vec<u8> {
        if c.cla != 0x00 {
            return status(sw::CLA_NOT_SUPPORTED);
        }
        // Real clients send the AID with Lc=0x10, some with Lc=0x0F (the last byte cut).
        if let Some(r) = select_aid(c, AID_HC) {
            if r == [0x90, 0x00] {
                self.selected = true;
            }
            return r;
        }
        if !self.selected {
            return match c.ins {
                ins::GET_DATA
                | ins::GET_CHALLENGE
                | ins::VERIFY
                | ins::CHANGE_REFERENCE_DATA
                | ins::DISABLE_VERIFICATION
                | ins::INTERNAL_AUTHENTICATE
                | ins::UPDATE_BINARY => status(sw::CONDITIONS_NOT_SATISFIED),
                _ => status(sw::INS_NOT_SUPPORTED),
            };
        }
        match c.ins {
            ins::GET_DATA => match (c.p1, c.p2) {
                (tag::BASIC, 0) => ok(&self.encoded),
                (tag::CARD_ID, 0) => ok(&self.chip),
                (tag::MARKER, 0) => ok(&self.marker),
                (tag::PIN_STATUS, 0) => ok(&[self.pin_status_byte(), self.pin.tries_left]),
                _ => status(sw::WRONG_P1P2),
            },
            ins::GET_CHALLENGE => {
                if c.p1 != 0 || c.p2 != 0 {
                    return status(sw::WRONG_P1P2);
                }
                match c.le {
                    Some(n @ 1..=32) if c.data.is_empty() => {
                        let mut r = vec![0u8; n];
                        self.rng.fill_bytes(&mut r);
                        ok(&r)
                    }
                    _ => status(sw::WRONG_LENGTH),
                }
            }
            ins::VERIFY => {
                if (c.p1, c.p2) != (0x00, 0x01) {
                    return status(sw::WRONG_P1P2);
                }
                self.pin.verify(c.data)
            }
            ins::CHANGE_REFERENCE_DATA => {
                if (c.p1, c.p2) != (0x00, 0x01) {
                    return status(sw::WRONG_P1P2);
                }
                if !is_pin(c.data, 6..=8) {
                    return status(sw::WRONG_DATA);
                }
                if self.pin.tries_left == 0 {
                    return status(sw::BLOCKED);
                }
                if !self.pin_satisfied() {
                    return status(sw::SECURITY_NOT_SATISFIED);
                }
                self.pin = PinState {
                    pin: Some(String::from_utf8_lossy(c.data).into_owned()),
                    tries_left: PIN_TRIES,
                    verified: true,
                };
                status(sw::OK)
            }
            ins::DISABLE_VERIFICATION => {
                if (c.p1, c.p2) != (0x00, 0x01) || !c.data.is_empty() {
                    return status(sw::WRONG_P1P2);
                }
                if self.pin.pin.is_none() {
                    return status(sw::REF_DATA_NOT_FOUND);
                }
                if self.pin.tries_left == 0 {
                    return status(sw::BLOCKED);
                }
                if !self.pin.verified {
                    return status(sw::SECURITY_NOT_SATISFIED);
                }
                self.pin = PinState::new(None);
                status(sw::OK)
            }
            ins::INTERNAL_AUTHENTICATE => {
                if c.p1 != 0 {
                    return status(sw::WRONG_P1P2);
                }
                if c.data.is_empty() || c.data.len() > 64 {
                    return status(sw::WRONG_LENGTH);
                }
                // P2 = 0: authentication to the SAM. P2 = 1: signature, needs the PIN if one is set.
                match c.p2 {
                    0 => ok(&hmac256(&self.key, &[b"auth", c.data])),
                    1 if !self.pin_satisfied() => status(sw::SECURITY_NOT_SATISFIED),
                    1 => ok(&hmac256(&self.key, &[b"sign", c.data])),
                    _ => status(sw::WRONG_P1P2),
                }
            }
            ins::UPDATE_BINARY => {
                if c.p1 != 0 || c.p2 != 0 {
                    return status(sw::WRONG_P1P2);
                }
                if c.data.is_empty() || c.data.len() > MARKER_MAX {
                    return status(sw::WRONG_LENGTH);
                }
                self.marker = c.data.to_vec();
                status(sw::OK)
            }
            _ => status(sw::INS_NOT_SUPPORTED),
        }
    }
}

impl Card for Hc {
    fn atr(&self) -> &'static [u8] {
        ATR_HC
    }
    fn reset(&mut self) {
        self.selected = false;
        self.pin.verified = false;
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        match Command::parse(apdu) {
            Ok(c) => self.exec(&c),
            Err(nhi_protocol::apdu::ApduError::TooShort(_)) => status(sw::WRONG_LENGTH),
            Err(_) => status(sw::WRONG_LENGTH),
        }
    }
    fn kind(&self) -> CardKind {
        CardKind::Hc
    }
    fn label(&self) -> String {
        self.basic.card_no.to_string()
    }
}
