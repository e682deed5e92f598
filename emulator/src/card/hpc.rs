//! The health professional card (HPC).

use super::{
    card_key, chip_id, is_pin, ok, select_aid, status, Card, CardKind, PinState, PIN_TRIES,
};
use crate::crypto::{hmac256, RsaSigner};
use nhi_protocol::apdu::{ins, sw, tag, Command, HpcBasic, AID_HPC, ATR_DOCTOR, ATR_HPC};
use std::sync::Arc;

/// HPC basic-data record length (the layout is nhi-protocol's [`HpcBasic`]).
pub use nhi_protocol::apdu::HPC_BASIC_LEN;
/// PUK length in digits.
pub const PUK_LEN: usize = 8;

/// What an HPC holds.
#[derive(Debug, Clone)]
pub struct HpcProfile {
    /// Card id, 12–20 digits.
    pub card_id: String,
    /// Holder's ID number.
    pub id_no: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// PIN (6–8 digits).
    pub pin: String,
    /// PUK (8 digits).
    pub puk: String,
    /// Test card (keyed from the test master) or production.
    pub test: bool,
}

/// An HPC: PIN with 3 tries, PUK unblock, RSA-2048 signing, certificate in a binary file.
#[derive(Debug, Clone)]
pub struct Hpc {
    profile: HpcProfile,
    basic: [u8; HPC_BASIC_LEN],
    chip: [u8; 8],
    key: [u8; 32],
    signer: Arc<RsaSigner>,
    cert_der: Arc<Vec<u8>>,
    pin: PinState,
    puk_tries_left: u8,
    selected: bool,
    /// A doctor card (醫師卡), the older kind of HPC: same application, its own ATR.
    doctor: bool,
}

impl Hpc {
    /// Builds the card; `cert_der` is its X.509 certificate (see [`crate::pki`]).
    pub fn new(
        profile: HpcProfile,
        master: &[u8; 32],
        signer: Arc<RsaSigner>,
        cert_der: Vec<u8>,
    ) -> Result<Hpc, String> {
        let basic = HpcBasic {
            card_id: profile.card_id.clone(),
            id_no: profile.id_no.clone(),
            name: profile.name.clone(),
            name_en: profile.name_en.clone(),
        }
        .encode()
        .map_err(|e| e.to_string())?;
        let chip = chip_id(&profile.card_id);
        Ok(Hpc {
            pin: PinState::new(Some(profile.pin.clone())),
            key: card_key(master, &chip),
            profile,
            basic,
            chip,
            signer,
            cert_der: Arc::new(cert_der),
            puk_tries_left: 10,
            selected: false,
            doctor: false,
        })
    }
    /// The same holder's doctor card (醫師卡): it answers like an HPC and tells itself apart
    /// by its ATR only (seed 004 lists it as an HPC kind).
    pub fn into_doctor_card(mut self) -> Hpc {
        self.doctor = true;
        self
    }
    /// The profile.
    pub fn profile(&self) -> &HpcProfile {
        &self.profile
    }
    /// PIN tries left.
    pub fn pin_tries_left(&self) -> u8 {
        self.pin.tries_left
    }
    /// The current PIN (for the harness, which plays the card holder).
    pub fn current_pin(&self) -> Option<&str> {
        self.pin.pin.as_deref()
    }

    fn exec(&mut self, c: &Command<'_>) -> Vec<u8> {
        if c.cla != 0x00 {
            return status(sw::CLA_NOT_SUPPORTED);
        }
        // Real clients send the AID with Lc=0x10, some with Lc=0x0F (the last byte cut).
        if let Some(r) = select_aid(c, AID_HPC) {
            if r == [0x90, 0x00] {
                self.selected = true;
            }
            return r;
        }
        if !self.selected {
            return status(sw::CONDITIONS_NOT_SATISFIED);
        }
        match c.ins {
            ins::GET_DATA => match (c.p1, c.p2) {
                (tag::HPC_BASIC, 0) => ok(&self.basic),
                (tag::CARD_ID, 0) => ok(&self.chip),
                (tag::PIN_STATUS, 0) => ok(&[
                    if self.pin.tries_left == 0 {
                        3
                    } else if self.pin.verified {
                        2
                    } else {
                        1
                    },
                    self.pin.tries_left,
                ]),
                // GET DATA basic (HC layout) is not an HPC function.
                _ => status(sw::WRONG_P1P2),
            },
            ins::VERIFY => {
                if (c.p1, c.p2) != (0x00, 0x10) {
                    return status(sw::WRONG_P1P2);
                }
                if !c.data.is_empty() && !is_pin(c.data, 6..=8) {
                    // A malformed PIN still counts as a wrong try, as on real cards.
                    return self.pin.verify(b"\xFF");
                }
                self.pin.verify(c.data)
            }
            ins::CHANGE_REFERENCE_DATA => {
                if (c.p1, c.p2) != (0x01, 0x10) {
                    return status(sw::WRONG_P1P2);
                }
                if !is_pin(c.data, 6..=8) {
                    return status(sw::WRONG_DATA);
                }
                if self.pin.tries_left == 0 {
                    return status(sw::BLOCKED);
                }
                if !self.pin.verified {
                    return status(sw::SECURITY_NOT_SATISFIED);
                }
                self.pin.pin = Some(String::from_utf8_lossy(c.data).into_owned());
                status(sw::OK)
            }
            ins::RESET_RETRY_COUNTER => {
                if (c.p1, c.p2) != (0x00, 0x10) {
                    return status(sw::WRONG_P1P2);
                }
                if c.data.len() < PUK_LEN + 6 || !is_pin(&c.data[PUK_LEN..], 6..=8) {
                    return status(sw::WRONG_DATA);
                }
                if self.puk_tries_left == 0 {
                    return status(sw::BLOCKED);
                }
                if !crate::crypto::ct_eq(&c.data[..PUK_LEN], self.profile.puk.as_bytes()) {
                    self.puk_tries_left -= 1;
                    return status(if self.puk_tries_left == 0 {
                        sw::BLOCKED
                    } else {
                        sw::retries_left(self.puk_tries_left)
                    });
                }
                self.puk_tries_left = 10;
                self.pin = PinState::new(Some(
                    String::from_utf8_lossy(&c.data[PUK_LEN..]).into_owned(),
                ));
                self.pin.tries_left = PIN_TRIES;
                status(sw::OK)
            }
            ins::INTERNAL_AUTHENTICATE => {
                if (c.p1, c.p2) != (0, 0) {
                    return status(sw::WRONG_P1P2);
                }
                if c.data.is_empty() || c.data.len() > 64 {
                    return status(sw::WRONG_LENGTH);
                }
                ok(&hmac256(&self.key, &[b"auth", c.data]))
            }
            ins::PSO => {
                if (c.p1, c.p2) != (0x9E, 0x9A) {
                    return status(sw::WRONG_P1P2);
                }
                if c.data.is_empty() || c.data.len() > 1024 {
                    return status(sw::WRONG_LENGTH);
                }
                if !self.pin.verified {
                    return status(sw::SECURITY_NOT_SATISFIED);
                }
                match self.signer.sign(c.data) {
                    Ok(sig) => ok(&sig),
                    Err(_) => status(sw::NO_INFORMATION),
                }
            }
            ins::READ_BINARY => {
                let off = usize::from(u16::from_be_bytes([c.p1 & 0x7F, c.p2]));
                if c.p1 & 0x80 != 0 {
                    return status(sw::WRONG_P1P2);
                }
                if off >= self.cert_der.len() {
                    return status(0x6B00);
                }
                let n = c.le.unwrap_or(256).min(256).min(self.cert_der.len() - off);
                ok(&self.cert_der[off..off + n])
            }
            _ => status(sw::INS_NOT_SUPPORTED),
        }
    }
}

impl Card for Hpc {
    fn atr(&self) -> &'static [u8] {
        if self.doctor {
            ATR_DOCTOR
        } else {
            ATR_HPC
        }
    }
    fn reset(&mut self) {
        self.selected = false;
        self.pin.verified = false;
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        match Command::parse(apdu) {
            Ok(c) => self.exec(&c),
            Err(_) => status(sw::WRONG_LENGTH),
        }
    }
    fn kind(&self) -> CardKind {
        CardKind::Hpc
    }
    fn label(&self) -> String {
        self.profile.card_id.clone()
    }
}
