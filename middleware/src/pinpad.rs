//! PC/SC v2 part 10 from the client side, pure: finding a reader's VERIFY/MODIFY PIN DIRECT
//! control codes in its feature list, the PIN_VERIFY_STRUCTURE and PIN_MODIFY_STRUCTURE that
//! ask the pad for the HPC PIN or a new one, and what the pad's status words mean. The control codes and feature tags are nhi-ifd's (one
//! source with the driver); the PC/SC shell is `transport.rs`.

use crate::error::Fail;
use nhi_ifd::pinpad::feature;
use nhi_protocol::StatusCode;

/// `SCARD_CTL_CODE(code)` of WinSCard (`FILE_DEVICE_SMART_CARD << 16 | code << 2`);
/// pcsc-lite's is nhi-ifd's `scard_ctl_code`.
pub const fn windows_ctl_code(code: u32) -> u32 {
    (0x31 << 16) | (code << 2)
}

/// `CM_IOCTL_GET_FEATURE_REQUEST` as this platform's PC/SC numbers it. The feature codes
/// themselves come from the reader's reply, so only this one is platform-specific.
#[cfg(not(windows))]
pub const CM_IOCTL_GET_FEATURE_REQUEST: u32 = nhi_ifd::pinpad::CM_IOCTL_GET_FEATURE_REQUEST;
/// `CM_IOCTL_GET_FEATURE_REQUEST` as this platform's PC/SC numbers it. The feature codes
/// themselves come from the reader's reply, so only this one is platform-specific.
#[cfg(windows)]
pub const CM_IOCTL_GET_FEATURE_REQUEST: u32 = windows_ctl_code(GET_FEATURE_REQUEST_FUNCTION);

/// The function number of `CM_IOCTL_GET_FEATURE_REQUEST` (part 10), on every stack.
pub const GET_FEATURE_REQUEST_FUNCTION: u32 = 3400;

/// Part 10 status words a pad answers with instead of the card's.
pub mod sw {
    /// Time-out: no PIN entered in time.
    pub const TIMED_OUT: [u8; 2] = [0x64, 0x00];
    /// Cancelled on the pad.
    pub const CANCELLED: [u8; 2] = [0x64, 0x01];
    /// The new PIN and its confirmation differ (PIN change).
    pub const MISMATCH: [u8; 2] = [0x64, 0x02];
    /// The PIN typed is shorter or longer than the structure allows.
    pub const BAD_LENGTH: [u8; 2] = [0x64, 0x03];
}

/// The pad's time-out we ask for (bTimerOut, seconds; 0 would leave it to the reader).
pub const PAD_TIMEOUT_SECS: u8 = 30;

/// bmFormatString: PIN position in bytes (bit 7), at offset 0 of the data field (bits 6–3),
/// left-justified (bit 2 clear), ASCII digits (bits 1–0 = 10): the HPC's PIN format.
const FORMAT_ASCII_BYTES_AT_0: u8 = 0x82;
/// bmPINBlockString 0: no PIN block, the data field is the PIN itself with Lc set to its
/// length (the HPC takes a variable-length PIN).
const NO_PIN_BLOCK: u8 = 0x00;
/// bmPINLengthFormat 0: the PIN length is not written into the APDU.
const NO_LENGTH_FIELD: u8 = 0x00;
/// bEntryValidationCondition 0x02: entry ends with the OK key.
const VALIDATE_ON_OK_KEY: u8 = 0x02;
/// bNumberMessage 1: the reader shows its default prompt.
const ONE_MESSAGE: u8 = 0x01;
/// bConfirmPIN 0x01: the new PIN twice (entry, confirmation), no current PIN: the HPC
/// takes only the new PIN, after a verification.
const NEW_PIN_CONFIRMED: u8 = 0x01;
/// bConfirmPIN 0x03: the current code first (the PUK of an unlock), then the new PIN
/// twice.
const CURRENT_THEN_NEW_PIN_CONFIRMED: u8 = 0x03;
/// bNumberMessage 2: prompts for the new PIN and its confirmation.
const TWO_MESSAGES: u8 = 0x02;
/// bNumberMessage 3: prompts for the current code, the new PIN and its confirmation.
const THREE_MESSAGES: u8 = 0x03;
/// wLangId: English (United States); the emulated pad has no display.
const LANG_EN_US: u16 = 0x0409;

/// The control code of `tag` in a CM_IOCTL_GET_FEATURE_REQUEST reply (TLVs `tag, 4,
/// code (big-endian)`), None when the reader does not offer it.
pub fn control_code(features: &[u8], tag: u8) -> Result<Option<u32>, String> {
    let mut rest = features;
    while let [t, len, tail @ ..] = rest {
        let len = usize::from(*len);
        let (value, next) = tail
            .split_at_checked(len)
            .ok_or_else(|| format!("feature list: TLV {t:#04x} claims {len} bytes"))?;
        if *t == tag {
            let code: [u8; 4] = value.try_into().map_err(|_| {
                format!("feature list: control code of {t:#04x} has {len} bytes, not 4")
            })?;
            return Ok(Some(u32::from_be_bytes(code)));
        }
        rest = next;
    }
    if rest.is_empty() {
        Ok(None)
    } else {
        Err("feature list ends inside a TLV".into())
    }
}

/// The control code of FEATURE_VERIFY_PIN_DIRECT in a feature list.
pub fn verify_pin_direct(features: &[u8]) -> Result<Option<u32>, String> {
    control_code(features, feature::VERIFY_PIN_DIRECT)
}

/// The control code of FEATURE_MODIFY_PIN_DIRECT in a feature list.
pub fn modify_pin_direct(features: &[u8]) -> Result<Option<u32>, String> {
    control_code(features, feature::MODIFY_PIN_DIRECT)
}

/// The header fields every part 10 PIN structure starts with (bTimerOut … bmPINLengthFormat).
fn head() -> [u8; 5] {
    [
        PAD_TIMEOUT_SECS,
        // bTimerOut2: the reader's own inter-key time-out.
        0,
        FORMAT_ASCII_BYTES_AT_0,
        NO_PIN_BLOCK,
        NO_LENGTH_FIELD,
    ]
}

/// wPINMaxExtraDigit: minimum in the high byte, maximum in the low byte (little-endian).
fn digit_range(min: u8, max: u8) -> [u8; 2] {
    u16::from_be_bytes([min, max]).to_le_bytes()
}

/// `ulDataLength ‖ abData` for an APDU template of `header ‖ Lc = 0`.
fn template(header: [u8; 4]) -> Vec<u8> {
    let apdu = [header.as_slice(), &[0x00]].concat();
    // The template is 5 bytes, never more than u32.
    let mut out = (apdu.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&apdu);
    out
}

/// A PIN verification on the pad: the VERIFY header the PIN goes behind and its length range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PadVerify {
    /// CLA INS P1 P2 of the VERIFY command.
    pub header: [u8; 4],
    /// Fewest digits the pad accepts.
    pub min_digits: u8,
    /// Most digits the pad accepts.
    pub max_digits: u8,
}

impl PadVerify {
    /// PIN_VERIFY_STRUCTURE (pcsc-lite reader.h: packed, little-endian) for an ASCII PIN
    /// placed as the whole data field of `header ‖ Lc`.
    pub fn structure(&self) -> Vec<u8> {
        let mut s = head().to_vec();
        s.extend_from_slice(&digit_range(self.min_digits, self.max_digits));
        s.extend_from_slice(&[VALIDATE_ON_OK_KEY, ONE_MESSAGE]);
        s.extend_from_slice(&LANG_EN_US.to_le_bytes());
        // bMsgIndex, bTeoPrologue[3] (T=1 only; unused).
        s.extend_from_slice(&[0, 0, 0, 0]);
        s.extend_from_slice(&template(self.header));
        s
    }
}

/// A PIN change on the pad: the new PIN typed twice goes, once, behind the CHANGE REFERENCE
/// DATA header as the whole data field — or, for an unlock, behind the code typed first
/// (RESET RETRY COUNTER: `PUK ‖ new PIN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PadChange {
    /// CLA INS P1 P2 of the command that sets the new PIN.
    pub header: [u8; 4],
    /// Fewest digits the pad accepts (for every code typed).
    pub min_digits: u8,
    /// Most digits the pad accepts (for every code typed).
    pub max_digits: u8,
    /// Some(n): a current code of n digits (the PUK) is typed first and goes at offset 0,
    /// the new PIN at offset n; None: only the new PIN, at offset 0.
    pub current_digits: Option<u8>,
}

impl PadChange {
    /// PIN_MODIFY_STRUCTURE (pcsc-lite reader.h: packed, little-endian): the current code
    /// (if any), then the new PIN and its confirmation, inserted into the data field.
    pub fn structure(&self) -> Vec<u8> {
        let mut s = head().to_vec();
        let (new_at, confirm, messages) = match self.current_digits {
            Some(n) => (n, CURRENT_THEN_NEW_PIN_CONFIRMED, THREE_MESSAGES),
            None => (0, NEW_PIN_CONFIRMED, TWO_MESSAGES),
        };
        // bInsertionOffsetOld (the current code, when typed, leads), bInsertionOffsetNew.
        s.extend_from_slice(&[0, new_at]);
        s.extend_from_slice(&digit_range(self.min_digits, self.max_digits));
        s.extend_from_slice(&[confirm, VALIDATE_ON_OK_KEY, messages]);
        s.extend_from_slice(&LANG_EN_US.to_le_bytes());
        // bMsgIndex1–3, bTeoPrologue[3] (T=1 only; unused).
        s.extend_from_slice(&[0, 1, 2, 0, 0, 0]);
        s.extend_from_slice(&template(self.header));
        s
    }
}

/// What the pad's answer means when it is not the card's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadEnd {
    /// The person cancelled on the pad (64 01).
    Cancelled,
    /// No PIN was entered in time (64 00).
    TimedOut,
    /// The new PIN and its confirmation differed (64 02).
    Mismatch,
    /// The PIN typed was too short or too long (64 03).
    BadLength,
}

impl PadEnd {
    /// The failure the middleware answers with (`code`: the card's PIN-failed status):
    /// nothing reached the card, no try was used, so it carries no tries count and the
    /// message says which end it was.
    pub fn fail(self, code: StatusCode) -> Fail {
        let why = match self {
            PadEnd::Cancelled => "PIN entry cancelled on the reader's PIN pad",
            PadEnd::TimedOut => "no PIN entered on the reader's PIN pad in time",
            PadEnd::Mismatch => "the new PIN and its confirmation typed on the PIN pad differ",
            PadEnd::BadLength => {
                "a code typed on the PIN pad has too few or too many digits (6–8 digits)"
            }
        };
        Fail::new(code, why)
    }
}

/// The pad's own outcome for an R-APDU, None when the card answered (the PIN was sent).
pub fn pad_end(response: &[u8]) -> Option<PadEnd> {
    match response {
        r if r == sw::CANCELLED => Some(PadEnd::Cancelled),
        r if r == sw::TIMED_OUT => Some(PadEnd::TimedOut),
        r if r == sw::MISMATCH => Some(PadEnd::Mismatch),
        r if r == sw::BAD_LENGTH => Some(PadEnd::BadLength),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hpc() -> PadVerify {
        PadVerify {
            header: [0x00, 0x20, 0x00, 0x10],
            min_digits: 6,
            max_digits: 8,
        }
    }

    #[test]
    fn verify_structure_has_the_reader_h_layout() {
        let s = hpc().structure();
        assert_eq!(
            s,
            [
                30, 0, 0x82, 0x00, 0x00, 8, 6, 0x02, 1, 0x09, 0x04, 0, 0, 0, 0, 5, 0, 0, 0, 0x00,
                0x20, 0x00, 0x10, 0x00
            ]
        );
    }

    #[test]
    fn modify_structure_has_the_reader_h_layout() {
        let change = PadChange {
            header: [0x00, 0x24, 0x01, 0x10],
            min_digits: 6,
            max_digits: 8,
            current_digits: None,
        };
        assert_eq!(
            change.structure(),
            [
                30, 0, 0x82, 0x00, 0x00, 0, 0, 8, 6, 0x01, 0x02, 2, 0x09, 0x04, 0, 1, 2, 0, 0, 0,
                5, 0, 0, 0, 0x00, 0x24, 0x01, 0x10, 0x00
            ]
        );
        let pad = nhi_ifd::pinpad::feature_list(true);
        assert_eq!(
            modify_pin_direct(&pad),
            Ok(Some(nhi_ifd::pinpad::ioctl_of(feature::MODIFY_PIN_DIRECT)))
        );
        assert_eq!(
            modify_pin_direct(&nhi_ifd::pinpad::feature_list(false)),
            Ok(None)
        );
    }

    #[test]
    fn unlock_structure_asks_for_the_puk_then_the_new_pin_twice() {
        let unlock = PadChange {
            header: [0x00, 0x2C, 0x00, 0x10],
            min_digits: 6,
            max_digits: 8,
            current_digits: Some(8),
        };
        assert_eq!(
            unlock.structure(),
            [
                30, 0, 0x82, 0x00, 0x00, 0, 8, 8, 6, 0x03, 0x02, 3, 0x09, 0x04, 0, 1, 2, 0, 0, 0,
                5, 0, 0, 0, 0x00, 0x2C, 0x00, 0x10, 0x00
            ]
        );
    }

    #[test]
    fn feature_lists_give_the_verify_code_or_a_clear_error() {
        let pad = nhi_ifd::pinpad::feature_list(true);
        assert_eq!(
            verify_pin_direct(&pad),
            Ok(Some(nhi_ifd::pinpad::ioctl_of(feature::VERIFY_PIN_DIRECT)))
        );
        assert_eq!(
            verify_pin_direct(&nhi_ifd::pinpad::feature_list(false)),
            Ok(None)
        );
        // Other features only.
        assert_eq!(verify_pin_direct(&[0x0A, 4, 0x42, 0, 0, 1]), Ok(None));
        assert!(
            verify_pin_direct(&[0x06, 4, 0x42]).is_err(),
            "truncated value"
        );
        assert!(
            verify_pin_direct(&[0x06, 2, 0x42, 0]).is_err(),
            "not 4 bytes"
        );
        assert!(verify_pin_direct(&[0x0A]).is_err(), "dangling tag");
    }

    #[test]
    fn feature_request_codes_of_both_pc_sc_stacks() {
        assert_eq!(windows_ctl_code(GET_FEATURE_REQUEST_FUNCTION), 0x0031_3520);
        assert_eq!(
            nhi_ifd::pinpad::scard_ctl_code(GET_FEATURE_REQUEST_FUNCTION),
            CM_IOCTL_GET_FEATURE_REQUEST
        );
    }

    #[test]
    fn pad_ends_fail_with_the_cards_code_and_no_tries() {
        for (end, says) in [
            (PadEnd::Cancelled, "cancelled"),
            (PadEnd::TimedOut, "in time"),
            (PadEnd::Mismatch, "differ"),
            (PadEnd::BadLength, "digits"),
        ] {
            for code in [StatusCode::HcPinFailed, StatusCode::HpcPinFailed] {
                let f = end.fail(code);
                assert_eq!((f.code, f.tries_left), (code, None), "{end:?}");
                assert!(f.message.contains(says), "{end:?}: {}", f.message);
            }
        }
    }

    #[test]
    fn pad_status_words_are_told_from_the_cards() {
        assert_eq!(pad_end(&[0x64, 0x01]), Some(PadEnd::Cancelled));
        assert_eq!(pad_end(&[0x64, 0x00]), Some(PadEnd::TimedOut));
        assert_eq!(pad_end(&[0x64, 0x02]), Some(PadEnd::Mismatch));
        assert_eq!(pad_end(&[0x64, 0x03]), Some(PadEnd::BadLength));
        assert_eq!(pad_end(&[0x90, 0x00]), None);
        assert_eq!(pad_end(&[0x63, 0xC2]), None);
        assert_eq!(
            pad_end(&[0x01, 0x64, 0x01]),
            None,
            "data + 6401 is the card's"
        );
    }
}
