//! The APDU command set of the emulated cards (ISO 7816-4 shape), their ATRs, a C-APDU
//! parser for the cards, and the client side: command builders ([`cmd`]), the status word
//! ([`Sw`]), the HPC basic record ([`HpcBasic`]) and card classification by ATR
//! ([`CardKind`]). Every command is documented in `protocol/docs/APDU.md`.

pub mod cmd;
pub mod hc_areas;
pub mod hc_items;
mod hpc_basic;
mod status_word;

pub use hpc_basic::{HpcBasic, HpcBasicError, HPC_BASIC_LEN};
pub use status_word::{Response, Sw};

use thiserror::Error;

/// ATR of the NHI IC card (HC), as real cards answer.
pub const ATR_HC: &[u8] = &[
    0x3B, 0xEE, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x80, 0x31, 0x80, 0x66, 0x40, 0x90, 0x93, 0x06,
    0x0F, 0x17, 0x83, 0x0F, 0x90, 0x00, 0xF3,
];
/// ATR of the health professional card (HPC), as real cards answer.
pub const ATR_HPC: &[u8] = &[
    0x3B, 0xF9, 0x18, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x50, 0x56, 0x5F, 0x4A, 0x32, 0x44, 0x30,
    0x38, 0x31, 0xB6,
];
/// ATR of the emulated doctor card (醫師卡: seed 004 lists it as an HPC kind, "no longer
/// used in the future"). Ours: the HPC's ATR with the historical bytes "NHIDOCTOR" and a
/// valid TCK; the real card's ATR is not public.
pub const ATR_DOCTOR: &[u8] = &[
    0x3B, 0xF9, 0x18, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x4E, 0x48, 0x49, 0x44, 0x4F, 0x43, 0x54,
    0x4F, 0x52, 0xA4,
];

/// ATR of the emulated physical SAM (ours; historical bytes spell "NHISAM", valid TCK).
pub const ATR_SAM: &[u8] = &[
    0x3B, 0xC6, 0x00, 0x81, 0x31, 0xFE, 0x7D, 0x4E, 0x48, 0x49, 0x53, 0x41, 0x4D, 0xE5,
];

/// What kind of card a reader holds, told by its ATR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardKind {
    /// NHI IC card.
    Hc,
    /// Health professional card.
    Hpc,
    /// SAM.
    Sam,
    /// Anything else.
    Other,
}

impl CardKind {
    /// Classifies an ATR.
    pub fn from_atr(atr: &[u8]) -> CardKind {
        if atr == ATR_HC {
            CardKind::Hc
        } else if atr == ATR_HPC || atr == ATR_DOCTOR {
            CardKind::Hpc
        } else if atr == ATR_SAM {
            CardKind::Sam
        } else {
            CardKind::Other
        }
    }
}

/// AID of the HC application (from real cards).
pub const AID_HC: &[u8] = &[
    0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00,
];
/// AID of the HPC application (ours).
pub const AID_HPC: &[u8] = &[
    0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00,
];
/// AID of the SAM application (ours).
pub const AID_SAM: &[u8] = &[
    0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53, 0x00,
];

/// Instruction bytes used by the emulated cards.
pub mod ins {
    /// SELECT by AID.
    pub const SELECT: u8 = 0xA4;
    /// GET DATA (basic data, card id, HPC basic data, SAM id).
    pub const GET_DATA: u8 = 0xCA;
    /// GET CHALLENGE.
    pub const GET_CHALLENGE: u8 = 0x84;
    /// VERIFY (PIN).
    pub const VERIFY: u8 = 0x20;
    /// CHANGE REFERENCE DATA (set PIN).
    pub const CHANGE_REFERENCE_DATA: u8 = 0x24;
    /// RESET RETRY COUNTER (PUK unblock with new PIN).
    pub const RESET_RETRY_COUNTER: u8 = 0x2C;
    /// DISABLE VERIFICATION REQUIREMENT (clear the HC PIN).
    pub const DISABLE_VERIFICATION: u8 = 0x26;
    /// INTERNAL AUTHENTICATE (HC signs a challenge; SAM answers the DC's challenge).
    pub const INTERNAL_AUTHENTICATE: u8 = 0x88;
    /// EXTERNAL AUTHENTICATE (SAM checks the DC's proof).
    pub const EXTERNAL_AUTHENTICATE: u8 = 0x82;
    /// PERFORM SECURITY OPERATION: compute digital signature (HPC, SAM).
    pub const PSO: u8 = 0x2A;
    /// READ BINARY (HPC certificate).
    pub const READ_BINARY: u8 = 0xB0;
    /// UPDATE BINARY (HC marker update).
    pub const UPDATE_BINARY: u8 = 0xD6;
    /// Proprietary (CLA 0x80): SAM token-payload decryption.
    pub const SAM_DECRYPT_TOKEN: u8 = 0xD0;
}

/// GET DATA P1 values.
pub mod tag {
    /// HC basic data (57 bytes); P1P2 = 11 00.
    pub const BASIC: u8 = 0x11;
    /// Card serial / chip id (8 bytes); P1P2 = 12 00.
    pub const CARD_ID: u8 = 0x12;
    /// HPC basic data (70 bytes); P1P2 = 13 00.
    pub const HPC_BASIC: u8 = 0x13;
    /// SAM id (12 ASCII) + hospital id (10 ASCII); P1P2 = 14 00.
    pub const SAM_INFO: u8 = 0x14;
    /// HC marker bytes; P1P2 = 15 00.
    pub const MARKER: u8 = 0x15;
    /// PIN status (1 byte: 0 none, 1 set, 2 set+verified, 3 blocked); P1P2 = 16 00.
    pub const PIN_STATUS: u8 = 0x16;
}

/// ISO 7816-4 status words used by the emulated cards.
pub mod sw {
    /// Normal processing.
    pub const OK: u16 = 0x9000;
    /// Wrong length.
    pub const WRONG_LENGTH: u16 = 0x6700;
    /// Security status not satisfied.
    pub const SECURITY_NOT_SATISFIED: u16 = 0x6982;
    /// Authentication method blocked.
    pub const BLOCKED: u16 = 0x6983;
    /// Conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: u16 = 0x6985;
    /// Wrong data.
    pub const WRONG_DATA: u16 = 0x6A80;
    /// File or application not found.
    pub const NOT_FOUND: u16 = 0x6A82;
    /// Incorrect P1/P2.
    pub const WRONG_P1P2: u16 = 0x6A86;
    /// Referenced data not found (e.g. no PIN set).
    pub const REF_DATA_NOT_FOUND: u16 = 0x6A88;
    /// Instruction not supported.
    pub const INS_NOT_SUPPORTED: u16 = 0x6D00;
    /// Class not supported.
    pub const CLA_NOT_SUPPORTED: u16 = 0x6E00;
    /// No precise diagnosis (the card could not complete the command, e.g. signing failed).
    pub const NO_INFORMATION: u16 = 0x6F00;
    /// Memory failure (e.g. a PIN state that cannot be written).
    pub const MEMORY_FAILURE: u16 = 0x6581;
    /// Wrong PIN, `x` tries left: 0x63C0 | x.
    pub const fn retries_left(x: u8) -> u16 {
        0x63C0 | (x as u16 & 0x0F)
    }
}

/// Why a byte string is not a well-formed C-APDU.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApduError {
    /// Fewer than the 4 header bytes.
    #[error("C-APDU shorter than its 4-byte header ({0} bytes)")]
    TooShort(usize),
    /// Lc/Le encoding does not match the body length.
    #[error("C-APDU body length does not match Lc/Le")]
    BadLength,
}

/// A parsed command APDU (short or extended length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (empty when Lc is absent).
    pub data: &'a [u8],
    /// Expected response length Ne (None when Le is absent; 256/65536 for a zero Le).
    pub le: Option<usize>,
}

impl<'a> Command<'a> {
    /// Parses ISO 7816-4 cases 1–4, short and extended.
    pub fn parse(bytes: &'a [u8]) -> Result<Command<'a>, ApduError> {
        if bytes.len() < 4 {
            return Err(ApduError::TooShort(bytes.len()));
        }
        let (cla, ins, p1, p2) = (bytes[0], bytes[1], bytes[2], bytes[3]);
        let body = &bytes[4..];
        let mk = |data, le| Command {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
        };
        match body.len() {
            0 => Ok(mk(&[], None)),
            1 => Ok(mk(
                &[],
                Some(if body[0] == 0 { 256 } else { body[0] as usize }),
            )),
            _ if body[0] != 0 => {
                let lc = body[0] as usize;
                if body.len() == 1 + lc {
                    Ok(mk(&body[1..], None))
                } else if body.len() == 2 + lc {
                    let le = body[1 + lc];
                    Ok(mk(
                        &body[1..1 + lc],
                        Some(if le == 0 { 256 } else { le as usize }),
                    ))
                } else {
                    Err(ApduError::BadLength)
                }
            }
            3 => {
                // Extended case 2: 00 Le1 Le2.
                let le = u16::from_be_bytes([body[1], body[2]]) as usize;
                Ok(mk(&[], Some(if le == 0 { 65536 } else { le })))
            }
            n if n > 3 => {
                let lc = u16::from_be_bytes([body[1], body[2]]) as usize;
                if lc == 0 {
                    return Err(ApduError::BadLength);
                }
                if n == 3 + lc {
                    Ok(mk(&body[3..], None))
                } else if n == 5 + lc {
                    let le = u16::from_be_bytes([body[3 + lc], body[4 + lc]]) as usize;
                    Ok(mk(&body[3..3 + lc], Some(if le == 0 { 65536 } else { le })))
                } else {
                    Err(ApduError::BadLength)
                }
            }
            _ => Err(ApduError::BadLength),
        }
    }
}

/// Builds a short C-APDU (helper for clients and tests).
pub fn build(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8], le: Option<u8>) -> Vec<u8> {
    let mut v = vec![cla, ins, p1, p2];
    if !data.is_empty() {
        v.push(data.len() as u8);
        v.extend_from_slice(data);
    }
    if let Some(le) = le {
        v.push(le);
    }
    v
}

/// Builds an extended-length C-APDU (for data longer than 255 bytes).
pub fn build_extended(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8], le: Option<u16>) -> Vec<u8> {
    let mut v = vec![cla, ins, p1, p2, 0];
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    if let Some(le) = le {
        v.extend_from_slice(&le.to_be_bytes());
    }
    v
}

/// Splits an R-APDU into data and status word; None when shorter than 2 bytes.
pub fn split_response(r: &[u8]) -> Option<(&[u8], u16)> {
    if r.len() < 2 {
        return None;
    }
    let (d, s) = r.split_at(r.len() - 2);
    Some((d, u16::from_be_bytes([s[0], s[1]])))
}

/// SELECT HC as most clients send it (Lc=0x10, with Le).
pub fn select_hc() -> Vec<u8> {
    build(0x00, ins::SELECT, 0x04, 0x00, AID_HC, Some(0))
}
/// GET DATA basic, as clients send it: `00 CA 11 00 02 00 00`.
pub const GET_BASIC: &[u8] = &[0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_cases() {
        let c = Command::parse(&[0, 0x84, 0, 0, 8]).unwrap();
        assert_eq!((c.data.len(), c.le), (0, Some(8)));
        let c = Command::parse(&[0, 0xA4, 4, 0, 2, 1, 2]).unwrap();
        assert_eq!((c.data, c.le), (&[1u8, 2][..], None));
        let c = Command::parse(&[0, 0xA4, 4, 0, 2, 1, 2, 0]).unwrap();
        assert_eq!((c.data, c.le), (&[1u8, 2][..], Some(256)));
        let c = Command::parse(&[0, 0xCA, 0x11, 0]).unwrap();
        assert_eq!((c.data.len(), c.le), (0, None));
        let c = Command::parse(GET_BASIC).unwrap();
        assert_eq!((c.data, c.le), (&[0u8, 0][..], None));
        let ext = build_extended(0x80, 0xD0, 0, 0, &[7u8; 300], Some(0));
        let c = Command::parse(&ext).unwrap();
        assert_eq!((c.data.len(), c.le), (300, Some(65536)));
        assert_eq!(Command::parse(&[0, 1, 2]), Err(ApduError::TooShort(3)));
        assert_eq!(
            Command::parse(&[0, 1, 2, 3, 5, 1]),
            Err(ApduError::BadLength)
        );
    }
}
