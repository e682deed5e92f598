//! The NHI IC card (HC).
//!
//! Besides the commands of protocol/docs/APDU.md, the HC answers what public client code
//! sends it (protocol/docs/CLIENTS.md): the second application `…31 00`, GET DATA `00 00`
//! (card id, 12 ASCII) and `24 00` (card data), the HC–DC mutual authentication
//! `00 82 11 12`, and GET RESPONSE after a T=0 `61 xx` ([`Hc::over_t0`]). A
//! [`Hc::new_generation`] card needs no SELECT, as public clients report of new cards.

use super::hc_areas::{self, HcAreas};
use super::{
    card_key, chip_id, is_pin, ok, select_aid, status, Card, CardKind, CardRng, PinState, PIN_TRIES,
};
use crate::crypto::hmac256;
use nhi_protocol::apdu::{ins, split_response, sw, tag, Command, AID_HC, ATR_HC};
use nhi_protocol::basic::BasicData;
use rand::RngCore;
use rand_chacha::ChaCha20Rng;

/// Longest marker record (UPDATE BINARY data).
pub const MARKER_MAX: usize = 32;

/// The HC's second application, selected by twnhi-smartcard-agent (`select_sam_applet`);
/// ours: it answers the same commands as [`AID_HC`].
pub const AID_HC_AUTH: &[u8] = &[
    0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x31, 0x00,
];
/// GET DATA P1 of the card id as public clients read it (`00 CA 00 00`): 12 ASCII digits.
pub const TAG_CARD_ID_ASCII: u8 = 0x00;
/// GET DATA P1 of the card data record (`00 CA 24 00`), one ASCII status byte (ours).
pub const TAG_CARD_DATA: u8 = 0x24;
/// Card data record: `1` = card valid (ours; clients read its first character).
pub const CARD_DATA: &[u8] = b"1";
/// INS of GET RESPONSE (ISO 7816-4), fetching data a T=0 `61 xx` announced.
pub const GET_RESPONSE: u8 = 0xC0;
/// P1 P2 of the HC–DC mutual authentication (`00 82 11 12 20 challenge(32) 10`).
pub const MUTUAL_AUTH_P1P2: (u8, u8) = (0x11, 0x12);
/// Length of the DC's mutual-authentication challenge.
pub const MUTUAL_AUTH_IN: usize = 32;
/// Length of the mutual-authentication answer.
pub const MUTUAL_AUTH_OUT: usize = 16;

/// How replies with data travel: T=1 (as the real HC's ATR says) puts the data in the
/// reply; T=0 answers `61 xx` to a command with command data and hands the data out by
/// GET RESPONSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Data in the reply (the HC's ATR offers T=1 only).
    T1,
    /// Case-4 replies announced by `61 xx`, fetched with GET RESPONSE (ours).
    T0,
}

/// Which generation of card: the first needs a SELECT before anything else; the new one
/// (issued from ROC 114/12, reported by a public client on a real card) answers every
/// SELECT with `6D 00` and has its application selected from reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// SELECT by AID first (the emulator's default; its ATR is this generation's).
    First,
    /// No SELECT: `6D 00`; GET DATA answers right after reset (same ATR here, ours).
    New,
}

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
    /// The last GET CHALLENGE answer, used once by the mutual authentication.
    challenge: Option<Vec<u8>>,
    /// Data a T=0 `61 xx` announced, waiting for GET RESPONSE.
    pending: Vec<u8>,
    transport: Transport,
    generation: Generation,
    /// The protected data areas; a card built without them answers `6A 82` to their
    /// commands.
    areas: Option<HcAreas>,
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
            rng: CardRng::Deterministic.stream(b"hc rng", &chip),
            basic,
            encoded,
            chip,
            pin: PinState::new(pin),
            marker: Vec::new(),
            selected: false,
            challenge: None,
            pending: Vec::new(),
            transport: Transport::T1,
            generation: Generation::First,
            areas: None,
        })
    }
    /// The same card holding the protected data areas (insurance, medical, public health).
    pub fn with_areas(mut self, areas: HcAreas) -> Hc {
        self.areas = Some(areas);
        self
    }
    /// The protected data areas, if the card has them.
    pub fn areas(&self) -> Option<&HcAreas> {
        self.areas.as_ref()
    }
    /// The same card as a new-generation HC: no SELECT, application selected from reset.
    pub fn new_generation(mut self) -> Hc {
        self.generation = Generation::New;
        self.selected = true;
        self
    }
    /// The same card speaking T=0: `61 xx` + GET RESPONSE for case-4 replies.
    pub fn over_t0(mut self) -> Hc {
        self.transport = Transport::T0;
        self
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
        if self.generation == Generation::New && c.ins == ins::SELECT {
            return status(sw::INS_NOT_SUPPORTED);
        }
        // Real clients send the AID with Lc=0x10, some with Lc=0x0F (the last byte cut).
        if let Some(r) = select_aid(c, AID_HC) {
            let r = match select_aid(c, AID_HC_AUTH) {
                Some(second) if second == [0x90, 0x00] => second,
                _ => r,
            };
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
                | ins::EXTERNAL_AUTHENTICATE
                | ins::UPDATE_BINARY => status(sw::CONDITIONS_NOT_SATISFIED),
                _ => status(sw::INS_NOT_SUPPORTED),
            };
        }
        if let Some(areas) = self.areas.as_mut() {
            if let Some(r) = areas.exec(c, &self.key, &mut self.challenge) {
                return r;
            }
        } else if hc_areas::is_area_command(c) {
            return status(sw::NOT_FOUND);
        }
        match c.ins {
            ins::GET_DATA => match (c.p1, c.p2) {
                (tag::BASIC, 0) => ok(&self.encoded),
                (tag::CARD_ID, 0) => ok(&self.chip),
                (tag::MARKER, 0) => ok(&self.marker),
                (tag::PIN_STATUS, 0) => ok(&[self.pin_status_byte(), self.pin.tries_left]),
                (TAG_CARD_ID_ASCII, 0) => ok(self.basic.card_no.as_str().as_bytes()),
                (TAG_CARD_DATA, 0) => ok(CARD_DATA),
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
                        let reply = ok(&r);
                        self.challenge = Some(r);
                        reply
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
            ins::EXTERNAL_AUTHENTICATE => self.mutual_auth(c),
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

impl Hc {
    /// HC–DC mutual authentication (ours): the DC's 32-byte challenge over the card's
    /// last GET CHALLENGE answer → `HMAC(Kcard, "muauth" ‖ cardRandom ‖ challenge)[..16]`.
    /// The card random is used once; without one the command answers `69 85`.
    fn mutual_auth(&mut self, c: &Command<'_>) -> Vec<u8> {
        if (c.p1, c.p2) != MUTUAL_AUTH_P1P2 {
            return status(sw::WRONG_P1P2);
        }
        if c.data.len() != MUTUAL_AUTH_IN {
            return status(sw::WRONG_LENGTH);
        }
        let Some(card_random) = self.challenge.take() else {
            return status(sw::CONDITIONS_NOT_SATISFIED);
        };
        let mac = hmac256(&self.key, &[b"muauth", &card_random, c.data]);
        ok(&mac[..MUTUAL_AUTH_OUT])
    }

    /// GET RESPONSE `00 C0 00 00 Le`: the next Le bytes of what `61 xx` announced, then
    /// `61 xx` again while more remain; nothing announced → `69 85` (ours).
    fn get_response(&mut self, c: &Command<'_>) -> Vec<u8> {
        if (c.p1, c.p2) != (0, 0) || !c.data.is_empty() {
            return status(sw::WRONG_P1P2);
        }
        let Some(le) = c.le else {
            return status(sw::WRONG_LENGTH);
        };
        if self.pending.is_empty() {
            return status(sw::CONDITIONS_NOT_SATISFIED);
        }
        let rest = self.pending.split_off(le.min(self.pending.len()));
        let mut r = std::mem::replace(&mut self.pending, rest);
        r.extend_from_slice(&self.announce_pending());
        r
    }

    /// `61 xx` for the pending bytes (xx = 00 for 256 or more), `90 00` when none remain.
    fn announce_pending(&self) -> [u8; 2] {
        match u8::try_from(self.pending.len()) {
            Ok(0) => [0x90, 0x00],
            Ok(n) => [0x61, n],
            // ISO 7816-4: `61 00` announces 256 bytes or more.
            Err(_) => [0x61, 0x00],
        }
    }
}

impl Card for Hc {
    fn atr(&self) -> &'static [u8] {
        ATR_HC
    }
    fn reset(&mut self) {
        self.selected = self.generation == Generation::New;
        self.pin.verified = false;
        self.challenge = None;
        self.pending.clear();
        if let Some(a) = self.areas.as_mut() {
            a.close();
        }
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        let c = match Command::parse(apdu) {
            Ok(c) => c,
            Err(_) => return status(sw::WRONG_LENGTH),
        };
        if c.cla == 0x00 && c.ins == GET_RESPONSE {
            return self.get_response(&c);
        }
        self.pending.clear();
        let reply = self.exec(&c);
        // T=0 cannot carry data in a case-4 reply: announce it, hand it out on GET RESPONSE.
        match (self.transport, split_response(&reply)) {
            (Transport::T0, Some((data, sw::OK))) if !c.data.is_empty() && !data.is_empty() => {
                self.pending = data.to_vec();
                self.announce_pending().to_vec()
            }
            _ => reply,
        }
    }
    fn reseed(&mut self, source: CardRng) {
        self.rng = source.stream(b"hc rng", &self.chip);
    }
    fn kind(&self) -> CardKind {
        CardKind::Hc
    }
    fn label(&self) -> String {
        self.basic.card_no.to_string()
    }
}
