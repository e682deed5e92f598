//! The physical NHI IC card (HC): basic data, signature, PIN, marker.

use super::Link;
use crate::error::Fail;
use crate::pinpad::{pad_end, PadChange, PadVerify};
use nhi_protocol::apdu::{cmd, cmd::pin_ref, ins, tag, Response, Sw};
use nhi_protocol::basic::BasicData;
use nhi_protocol::StatusCode;

/// Reads the 57-byte basic record (`fail`: the code when it does not decode).
pub fn basic(link: &mut dyn Link, fail: StatusCode) -> Result<BasicData, Fail> {
    let r = link.send(&cmd::get_hc_basic())?;
    BasicData::decode(&r.data).map_err(|e| Fail::new(fail, e.to_string()))
}

/// Why the HC did not sign.
pub enum SignRefusal {
    /// Its PIN is set and not verified (6982).
    PinNotVerified,
    /// Any other status word.
    Other(Sw),
}

/// The card's signature over `clientRandom ‖ serviceType`.
pub fn sign(link: &mut dyn Link, data: &[u8]) -> Result<Result<Vec<u8>, SignRefusal>, Fail> {
    let r = link.send(&cmd::internal_auth(1, data))?;
    Ok(match r.sw {
        Sw::OK => Ok(r.data),
        Sw::SECURITY_NOT_SATISFIED => Err(SignRefusal::PinNotVerified),
        sw => Err(SignRefusal::Other(sw)),
    })
}

/// The card's PIN state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinState {
    /// A PIN is set.
    pub set: bool,
    /// It was verified in this card session.
    pub verified: bool,
    /// It is blocked.
    pub blocked: bool,
    /// Tries left.
    pub tries_left: u8,
}

/// Reads the PIN state (`[status, tries]`; status 0 none, 1 set, 2 verified, 3 blocked).
pub fn pin_state(link: &mut dyn Link) -> Result<PinState, Fail> {
    let r = link.send(&cmd::get_data(tag::PIN_STATUS))?;
    match r.data[..] {
        [status, tries_left] => Ok(PinState {
            set: status != 0,
            verified: status == 2,
            blocked: status == 3,
            tries_left,
        }),
        _ => Err(Fail::new(StatusCode::HcMode2, "PIN status unreadable")),
    }
}

/// The PIN status byte alone, for `Status` (None when the card does not answer with one).
pub fn pin_status_byte(link: &mut dyn Link) -> Result<Option<u8>, Fail> {
    let r = link.send(&cmd::get_data(tag::PIN_STATUS))?;
    Ok(r.data.first().copied())
}

/// Fewest and most digits of an HC PIN (the Web API checks the same range).
const PIN_DIGITS: (u8, u8) = (6, 8);

/// Verifies the PIN.
pub fn verify_pin(link: &mut dyn Link, pin: &str) -> Result<(), Fail> {
    let r = link.send(&cmd::verify(pin_ref::HC, pin.as_bytes()))?;
    verify_answer(r.sw)
}

/// The VERIFY the reader's PIN pad completes with the HC PIN typed on it.
pub fn pad_verify() -> PadVerify {
    PadVerify {
        header: [cmd::CLA_ISO, ins::VERIFY, 0, pin_ref::HC],
        min_digits: PIN_DIGITS.0,
        max_digits: PIN_DIGITS.1,
    }
}

/// The pad's answer to [`pad_verify`]: the card's, as for a PIN in the body, or the pad's
/// own end: 1514 (HC PIN verification failed, the HC's counterpart of the HPC's 1410),
/// with no tries count since no try was used.
pub fn pad_answer(r: &[u8]) -> Result<(), Fail> {
    match pad_end(r) {
        Some(end) => Err(end.fail(StatusCode::HcPinFailed)),
        None => verify_answer(Response::from_bytes(r).sw),
    }
}

/// The CHANGE REFERENCE DATA (P1 = 0: the new PIN only) the pad completes with the new
/// HC PIN typed twice on it.
pub fn pad_change() -> PadChange {
    PadChange {
        header: [cmd::CLA_ISO, ins::CHANGE_REFERENCE_DATA, 0, pin_ref::HC],
        min_digits: PIN_DIGITS.0,
        max_digits: PIN_DIGITS.1,
        current_digits: None,
    }
}

/// The pad's answer to [`pad_change`]: the card's, as for a PIN in the body, or the pad's
/// own end (1514, the PIN unchanged).
pub fn pad_change_answer(r: &[u8]) -> Result<(), Fail> {
    match pad_end(r) {
        Some(end) => Err(end.fail(StatusCode::HcPinFailed)),
        None => set_answer(Response::from_bytes(r).sw),
    }
}

/// The card's answer to VERIFY: a wrong PIN is a [`Fail::wrong_pin`].
fn verify_answer(sw: Sw) -> Result<(), Fail> {
    match sw {
        Sw::OK => Ok(()),
        Sw::BLOCKED => Err(Fail::new(StatusCode::HcPinFailed, "HC PIN blocked")),
        sw => Err(match sw.retries_left() {
            Some(n) => Fail::wrong_pin(StatusCode::HcPinFailed, "HC PIN", n),
            None => Fail::new(StatusCode::HcPinFailed, format!("card answered {sw}")),
        }),
    }
}

/// Sets the PIN.
pub fn set_pin(link: &mut dyn Link, pin: &str) -> Result<(), Fail> {
    let r = link.send(&cmd::change_pin(pin_ref::HC, pin.as_bytes()))?;
    set_answer(r.sw)
}

/// The card's answer to CHANGE REFERENCE DATA.
fn set_answer(sw: Sw) -> Result<(), Fail> {
    if sw != Sw::OK {
        return Err(Fail::new(
            StatusCode::HcPinFailed,
            format!("card refused the PIN ({sw})"),
        ));
    }
    Ok(())
}

/// Clears the PIN.
pub fn clear_pin(link: &mut dyn Link) -> Result<(), Fail> {
    let r = link.send(&cmd::disable_pin(pin_ref::HC))?;
    if !r.is_ok() {
        return Err(Fail::new(
            StatusCode::HcPinDisableFailed,
            format!("card answered {}", r.sw),
        ));
    }
    Ok(())
}

/// Writes the marker the DC issued.
pub fn write_marker(link: &mut dyn Link, marker: &[u8]) -> Result<(), Fail> {
    let r = link.send(&cmd::update_binary(marker))?;
    if !r.is_ok() {
        return Err(Fail::new(
            StatusCode::ReaderOperation,
            format!("marker write answered {}", r.sw),
        ));
    }
    Ok(())
}
