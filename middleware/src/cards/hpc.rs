//! The health professional card (HPC): basic data, PIN, PUK, certificate, signature.

use super::Link;
use crate::error::Fail;
use crate::pinpad::{pad_end, PadChange, PadVerify};
use nhi_protocol::apdu::{cmd, cmd::pin_ref, ins, HpcBasic, Response, Sw};
use nhi_protocol::StatusCode;

/// Fewest and most digits of an HPC PIN (the Web API checks the same range).
const PIN_DIGITS: (u8, u8) = (6, 8);

/// Reads the 70-byte basic record (`fail`: the code when it does not decode).
pub fn basic(link: &mut dyn Link, fail: StatusCode) -> Result<HpcBasic, Fail> {
    let r = link.send(&cmd::get_hpc_basic())?;
    HpcBasic::decode(&r.data)
        .map_err(|e| Fail::new(fail, format!("HPC basic data unreadable: {e}")))
}

/// Verifies the PIN; a wrong one is a [`Fail::wrong_pin`].
pub fn verify_pin(link: &mut dyn Link, pin: &str) -> Result<(), Fail> {
    let r = link.send(&cmd::verify(pin_ref::HPC, pin.as_bytes()))?;
    verify_answer(r.sw)
}

/// The VERIFY the reader's PIN pad completes with the PIN typed on it (seed 004: a test
/// HPC in its dedicated reader takes the PIN on that reader).
pub fn pad_verify() -> PadVerify {
    PadVerify {
        header: [cmd::CLA_ISO, ins::VERIFY, 0, pin_ref::HPC],
        min_digits: PIN_DIGITS.0,
        max_digits: PIN_DIGITS.1,
    }
}

/// The pad's answer to [`pad_verify`]: the card's status word as for a PIN sent by the
/// client, or the pad's own end. Seed 004 has no status code for a PIN pad; cancel
/// (`64 01`) and time-out (`64 00`) are 1410 "HPC PIN verification failed", the closest:
/// the PIN was not verified and the HPC stays in mode 2, but unlike a wrong PIN no try was
/// used, so the reply has no `tries` and the message says which end it was.
pub fn pad_answer(r: &[u8]) -> Result<(), Fail> {
    match pad_end(r) {
        Some(end) => Err(end.fail(StatusCode::HpcPinFailed)),
        None => verify_answer(Response::from_bytes(r).sw),
    }
}

/// The CHANGE REFERENCE DATA the pad completes with the new PIN typed twice on it (the HPC
/// takes the new PIN only, after a verification: P1 = 1).
pub fn pad_change() -> PadChange {
    PadChange {
        header: [cmd::CLA_ISO, ins::CHANGE_REFERENCE_DATA, 1, pin_ref::HPC],
        min_digits: PIN_DIGITS.0,
        max_digits: PIN_DIGITS.1,
        current_digits: None,
    }
}

/// The pad's answer to [`pad_change`]: the card's, as for a new PIN sent by the client, or
/// the pad's own end (1410, as for [`pad_answer`]; the PIN is unchanged).
pub fn pad_change_answer(r: &[u8]) -> Result<(), Fail> {
    match pad_end(r) {
        Some(end) => Err(end.fail(StatusCode::HpcPinFailed)),
        None => change_answer(Response::from_bytes(r).sw),
    }
}

/// The card's answer to VERIFY: a wrong PIN is a [`Fail::wrong_pin`].
fn verify_answer(sw: Sw) -> Result<(), Fail> {
    match sw {
        Sw::OK => Ok(()),
        Sw::BLOCKED => Err(Fail::new(
            StatusCode::HpcPinFailed,
            "PIN blocked after 3 wrong tries; reset it with the PUK",
        )),
        sw => Err(match sw.retries_left() {
            Some(n) => Fail::wrong_pin(StatusCode::HpcPinFailed, "PIN", n),
            None => Fail::new(StatusCode::HpcPinFailed, format!("card answered {sw}")),
        }),
    }
}

/// Sets a new PIN (after a verification).
pub fn set_pin(link: &mut dyn Link, pin: &str) -> Result<(), Fail> {
    let r = link.send(&cmd::change_pin(pin_ref::HPC, pin.as_bytes()))?;
    change_answer(r.sw)
}

/// The card's answer to CHANGE REFERENCE DATA.
fn change_answer(sw: Sw) -> Result<(), Fail> {
    if sw != Sw::OK {
        return Err(Fail::new(
            StatusCode::HpcPinFailed,
            format!("card refused the new PIN ({sw})"),
        ));
    }
    Ok(())
}

/// Unblocks with the PUK and sets a new PIN.
pub fn reset_pin(link: &mut dyn Link, puk: &str, pin: &str) -> Result<(), Fail> {
    let r = link.send(&cmd::reset_retry(
        pin_ref::HPC,
        format!("{puk}{pin}").as_bytes(),
    ))?;
    reset_answer(r.sw)
}

/// Digits of the HPC's PUK (the Web API checks the same).
pub const PUK_DIGITS: u8 = 8;

/// The RESET RETRY COUNTER the pad completes with the PUK, then the new PIN typed twice
/// (`PUK ‖ new PIN` as the data field, as [`reset_pin`] sends it).
pub fn pad_unlock() -> PadChange {
    PadChange {
        header: [cmd::CLA_ISO, ins::RESET_RETRY_COUNTER, 0, pin_ref::HPC],
        min_digits: PIN_DIGITS.0,
        max_digits: PIN_DIGITS.1,
        current_digits: Some(PUK_DIGITS),
    }
}

/// The pad's answer to [`pad_unlock`]: the card's, as for a PUK sent by the client, or the
/// pad's own end (1410, nothing reached the card: no PUK try was used).
pub fn pad_unlock_answer(r: &[u8]) -> Result<(), Fail> {
    match pad_end(r) {
        Some(end) => Err(end.fail(StatusCode::HpcPinFailed)),
        None => reset_answer(Response::from_bytes(r).sw),
    }
}

/// The card's answer to RESET RETRY COUNTER: a wrong PUK is a [`Fail::wrong_pin`].
fn reset_answer(sw: Sw) -> Result<(), Fail> {
    match sw {
        Sw::OK => Ok(()),
        Sw::BLOCKED => Err(Fail::new(StatusCode::HpcPinFailed, "PUK blocked")),
        sw => Err(match sw.retries_left() {
            Some(n) => Fail::wrong_pin(StatusCode::HpcPinFailed, "PUK", n),
            None => Fail::new(StatusCode::HpcPinFailed, format!("card answered {sw}")),
        }),
    }
}

/// Largest READ BINARY offset (P1 bit 8 would mean a short EF id, ISO 7816-4).
const MAX_OFFSET: u16 = 0x7FFF;

/// ISO 7816-4 "wrong parameters P1-P2": the offset is past the end of the file, so there is
/// nothing more to read (what a card answers after a certificate of exactly n × 256 bytes).
const SW_OFFSET_PAST_END: Sw = Sw(0x6B00);

/// ISO 7816-4 warning "end of file reached before reading Le bytes": the last block, with
/// its data.
const SW_END_OF_FILE: Sw = Sw(0x6282);

/// Reads the certificate file, 256 bytes at a time, until the card says the file ended: a
/// short block, a block with 62 82, or an offset past the end (6B 00). Any other answer is
/// a failure, never a certificate cut short; a card without the file (6A 82) reads nothing,
/// and no certificate is 1423 as seed 004 has no closer code.
pub fn certificate(link: &mut dyn Link) -> Result<Vec<u8>, Fail> {
    let mut cert = Vec::new();
    loop {
        let offset = u16::try_from(cert.len())
            .ok()
            .filter(|o| *o <= MAX_OFFSET)
            .ok_or_else(|| Fail::new(StatusCode::HpcMode3, "certificate too long"))?;
        let r = link.send(&cmd::read_binary(offset))?;
        match r.sw {
            Sw::OK => {
                let last = r.data.len() < 256;
                cert.extend_from_slice(&r.data);
                if last {
                    break;
                }
            }
            // The file ended: a last block (62 82) or none (6B 00, which carries no data).
            SW_END_OF_FILE | SW_OFFSET_PAST_END => {
                cert.extend_from_slice(&r.data);
                break;
            }
            sw => {
                return Err(Fail::new(
                    StatusCode::HcaCertNoIssuer,
                    format!("reading the HPC certificate at byte {offset} answered {sw}"),
                ))
            }
        }
    }
    if cert.is_empty() {
        return Err(Fail::new(
            StatusCode::HcaCertNoIssuer,
            "no certificate on the card",
        ));
    }
    Ok(cert)
}

/// Signs with the card's key (PIN verified): a 256-byte RSA signature.
pub fn sign(link: &mut dyn Link, data: &[u8]) -> Result<Vec<u8>, Fail> {
    let r = link.send(&cmd::pso_sign(cmd::CLA_ISO, data))?;
    match r.sw {
        Sw::OK if r.data.len() == 256 => Ok(r.data),
        Sw::SECURITY_NOT_SATISFIED => Err(Fail::code(StatusCode::HpcMode3)),
        sw => Err(Fail::new(
            StatusCode::HcaSignatureInvalid,
            format!("HPC signature failed ({sw})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cards::tests::Scripted;

    /// A block of `n` bytes `b` with status word `sw`.
    fn block(n: usize, b: u8, sw: [u8; 2]) -> Vec<u8> {
        let mut v = vec![b; n];
        v.extend_from_slice(&sw);
        v
    }

    #[test]
    fn the_certificate_ends_where_the_card_says_the_file_ends() {
        let ends: [(&[u8], usize); 4] = [
            (&[0x90, 0], 256),          // OK, no data
            (&[0x6B, 0], 256),          // offset past the end
            (&[3, 4, 0x62, 0x82], 258), // end of file before Le, with its data
            (&[3, 4, 5, 0x90, 0], 259), // a short block
        ];
        for (end, len) in ends {
            let mut card = Scripted::new(&[&block(256, 7, [0x90, 0]), end]);
            let cert = certificate(&mut card).unwrap();
            assert_eq!(cert.len(), len, "{end:02X?}");
            assert_eq!(card.sent[1], cmd::read_binary(256));
        }
    }

    #[test]
    fn an_error_after_the_first_block_fails_the_read_not_cuts_it_short() {
        for bad in [[0x62, 0x81], [0x6A, 0x82], [0x6F, 0]] {
            let mut card = Scripted::new(&[&block(256, 7, [0x90, 0]), &block(100, 1, bad)]);
            let e = certificate(&mut card).unwrap_err();
            assert_eq!(e.code, StatusCode::HcaCertNoIssuer);
            assert!(e.message.contains("at byte 256"), "{}", e.message);
        }
        // No file at all: 1423 as before.
        let mut none = Scripted::new(&[&[0x6A, 0x82]]);
        assert_eq!(
            certificate(&mut none).unwrap_err().code,
            StatusCode::HcaCertNoIssuer
        );
        let mut empty = Scripted::new(&[&[0x6B, 0]]);
        assert_eq!(
            certificate(&mut empty).unwrap_err().code,
            StatusCode::HcaCertNoIssuer
        );
    }
}
