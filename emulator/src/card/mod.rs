//! Card models: pure state machines from C-APDU bytes to R-APDU bytes.
//!
//! No sockets and no clocks; every byte string gets a well-formed R-APDU (≥ 2 bytes).

pub mod faulty;
pub mod hc;
pub mod hc_areas;
pub mod hpc;
pub mod pulled;
pub mod sam;
pub mod tampered;

pub use hc::Hc;
pub use hpc::Hpc;
pub use sam::Sam;

use crate::crypto::hmac256;
use nhi_protocol::apdu::sw;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// Anything that sits in a reader slot and answers APDUs.
pub trait Card: Send {
    /// Answer-to-reset.
    fn atr(&self) -> &'static [u8];
    /// Power cycle: volatile state (selection, verified PINs, sessions) is lost.
    fn reset(&mut self);
    /// Handles one C-APDU and returns the R-APDU (data ‖ SW1 SW2).
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8>;
    /// Which kind of card this is.
    fn kind(&self) -> CardKind;
    /// A stable label for logs and the control API (card number, HPC id or SAM id).
    fn label(&self) -> String;
    /// Re-seeds the card's random source (GET CHALLENGE, SAM randoms). Cards are built
    /// [`CardRng::Deterministic`]; a live world calls this with [`CardRng::Live`]. The
    /// default does nothing because a card without a random source has nothing to seed.
    fn reseed(&mut self, _source: CardRng) {}
    /// True once the person has pulled the card out in the middle of a command: the slot
    /// drops it and the command gets no answer (see [`crate::card::pulled`]). Real cards
    /// stay in.
    fn pulled(&self) -> bool {
        false
    }
}

/// Where a card's random numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRng {
    /// Seeded from the card's identity: two cards of the same person give the same
    /// challenges on every run. Only for frozen-clock conformance runs.
    Deterministic,
    /// Seeded from the operating system: fresh challenges per call and per run
    /// (`nhi-emu up`, live mode).
    Live,
}

impl CardRng {
    /// A ChaCha20 stream: from `HMAC(label, identity)` when deterministic, else from the OS.
    pub fn stream(self, label: &[u8], identity: &[u8]) -> ChaCha20Rng {
        match self {
            CardRng::Deterministic => ChaCha20Rng::from_seed(hmac256(label, &[identity])),
            CardRng::Live => ChaCha20Rng::from_entropy(),
        }
    }
}

/// The kinds of card the emulator models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardKind {
    /// NHI IC card.
    Hc,
    /// Health professional card.
    Hpc,
    /// Physical SAM.
    Sam,
}

/// Status word only.
pub(crate) fn status(sw: u16) -> Vec<u8> {
    sw.to_be_bytes().to_vec()
}

/// Data followed by 90 00.
pub(crate) fn ok(data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len() + 2);
    v.extend_from_slice(data);
    v.extend_from_slice(&sw::OK.to_be_bytes());
    v
}

/// The 8-byte chip serial of a card, derived from its identity so two cards never share one.
pub fn chip_id(identity: &str) -> [u8; 8] {
    let h = hmac256(b"nhi-emu chip id", &[identity.as_bytes()]);
    let mut id = [0u8; 8];
    id.copy_from_slice(&h[..8]);
    id
}

/// A card's authentication key: diversified from the test or production master by chip id.
pub fn card_key(master: &[u8; 32], chip: &[u8; 8]) -> [u8; 32] {
    hmac256(master, &[b"card", chip])
}

/// PIN retry state shared by the HC and HPC models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PinState {
    pub pin: Option<String>,
    pub tries_left: u8,
    pub verified: bool,
}

/// Retry limit of PINs and PUKs (seed 004: three wrong PINs lock the card).
pub const PIN_TRIES: u8 = 3;

impl PinState {
    pub fn new(pin: Option<String>) -> PinState {
        PinState {
            pin,
            tries_left: PIN_TRIES,
            verified: false,
        }
    }

    /// VERIFY semantics: empty data asks the status; wrong PIN counts down, 0 blocks.
    pub fn verify(&mut self, data: &[u8]) -> Vec<u8> {
        let Some(pin) = &self.pin else {
            return status(sw::REF_DATA_NOT_FOUND);
        };
        if self.tries_left == 0 {
            return status(sw::BLOCKED);
        }
        if data.is_empty() {
            return status(if self.verified {
                sw::OK
            } else {
                sw::retries_left(self.tries_left)
            });
        }
        if crate::crypto::ct_eq(pin.as_bytes(), data) {
            self.tries_left = PIN_TRIES;
            self.verified = true;
            status(sw::OK)
        } else {
            self.verified = false;
            self.tries_left -= 1;
            if self.tries_left == 0 {
                status(sw::BLOCKED)
            } else {
                status(sw::retries_left(self.tries_left))
            }
        }
    }
}

/// SELECT by AID for the HC and HPC: the full 16-byte AID or, as some clients send it, the
/// first 15 bytes. `Some(reply)` when `c` is a SELECT; whether it selected is `reply == 9000`.
pub(crate) fn select_aid(c: &nhi_protocol::apdu::Command<'_>, aid: &[u8]) -> Option<Vec<u8>> {
    if c.ins != nhi_protocol::apdu::ins::SELECT {
        return None;
    }
    Some(if c.p1 != 0x04 || c.p2 != 0x00 {
        status(sw::WRONG_P1P2)
    } else if c.data == aid || c.data == &aid[..aid.len() - 1] {
        status(sw::OK)
    } else {
        status(sw::NOT_FOUND)
    })
}

/// True when `data` is an ASCII-digit PIN of a length in `range`.
pub(crate) fn is_pin(data: &[u8], range: std::ops::RangeInclusive<usize>) -> bool {
    range.contains(&data.len()) && data.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::CardRng;
    use rand::RngCore;

    #[test]
    fn deterministic_streams_repeat_live_ones_do_not() {
        let draw = |src: CardRng| src.stream(b"hc rng", b"same person").next_u64();
        assert_eq!(draw(CardRng::Deterministic), draw(CardRng::Deterministic));
        assert_ne!(draw(CardRng::Live), draw(CardRng::Live));
    }
}
