//! Command builders for clients of the cards: every C-APDU the middleware sends, named by
//! what it does. The emulated cards parse the same bytes with [`super::Command`].

use super::{build, build_extended, ins, tag, GET_BASIC};

/// CLA of the ISO commands.
pub const CLA_ISO: u8 = 0x00;
/// CLA of the SAM's proprietary commands (and its side of the DC handshake).
pub const CLA_PROPRIETARY: u8 = 0x80;

/// P2 of the PIN commands: which PIN.
pub mod pin_ref {
    /// The HC's PIN.
    pub const HC: u8 = 0x01;
    /// The HPC's PIN.
    pub const HPC: u8 = 0x10;
}

/// SELECT by AID (no Le).
pub fn select(aid: &[u8]) -> Vec<u8> {
    build(CLA_ISO, ins::SELECT, 0x04, 0x00, aid, None)
}

/// GET DATA of a [`tag`] (P2 = 0, Le = 256).
pub fn get_data(t: u8) -> Vec<u8> {
    vec![CLA_ISO, ins::GET_DATA, t, 0, 0]
}

/// GET DATA of the HC basic record, as real clients send it (`00 CA 11 00 02 00 00`).
pub fn get_hc_basic() -> Vec<u8> {
    GET_BASIC.to_vec()
}

/// GET DATA of the HPC basic record.
pub fn get_hpc_basic() -> Vec<u8> {
    get_data(tag::HPC_BASIC)
}

/// GET CHALLENGE of `n` bytes.
pub fn get_challenge(n: u8) -> Vec<u8> {
    vec![CLA_ISO, ins::GET_CHALLENGE, 0, 0, n]
}

/// VERIFY the PIN `which` ([`pin_ref`]).
pub fn verify(which: u8, pin: &[u8]) -> Vec<u8> {
    build(CLA_ISO, ins::VERIFY, 0, which, pin, None)
}

/// CHANGE REFERENCE DATA: set PIN `which`. The HPC takes P1 = 1 (new PIN only, after a
/// verification); the HC takes P1 = 0.
pub fn change_pin(which: u8, pin: &[u8]) -> Vec<u8> {
    let p1 = u8::from(which == pin_ref::HPC);
    build(CLA_ISO, ins::CHANGE_REFERENCE_DATA, p1, which, pin, None)
}

/// RESET RETRY COUNTER of PIN `which` with `puk ‖ new PIN`.
pub fn reset_retry(which: u8, puk_and_pin: &[u8]) -> Vec<u8> {
    build(
        CLA_ISO,
        ins::RESET_RETRY_COUNTER,
        0,
        which,
        puk_and_pin,
        None,
    )
}

/// DISABLE VERIFICATION REQUIREMENT: clear PIN `which`.
pub fn disable_pin(which: u8) -> Vec<u8> {
    vec![CLA_ISO, ins::DISABLE_VERIFICATION, 0, which]
}

/// INTERNAL AUTHENTICATE of a card: P2 = 0 answers the SAM's challenge, P2 = 1 signs
/// `clientRandom ‖ serviceType` (HC signature).
pub fn internal_auth(p2: u8, data: &[u8]) -> Vec<u8> {
    build(CLA_ISO, ins::INTERNAL_AUTHENTICATE, 0, p2, data, Some(0))
}

/// INTERNAL AUTHENTICATE of the SAM: answer the DC's random with `samRandom ‖ MAC`.
pub fn sam_internal_auth(dc_random: &[u8]) -> Vec<u8> {
    build(
        CLA_PROPRIETARY,
        ins::INTERNAL_AUTHENTICATE,
        0,
        0,
        dc_random,
        Some(0),
    )
}

/// P1 of the SAM's EXTERNAL AUTHENTICATE: whose proof it checks.
pub mod external {
    /// The DC's proof.
    pub const DC: u8 = 0;
    /// A card's: chip id ‖ its answer to the SAM's challenge.
    pub const CARD: u8 = 1;
}

/// EXTERNAL AUTHENTICATE on the SAM ([`external`] says whose proof).
pub fn external_auth(p1: u8, proof: &[u8]) -> Vec<u8> {
    build(
        CLA_PROPRIETARY,
        ins::EXTERNAL_AUTHENTICATE,
        p1,
        0,
        proof,
        None,
    )
}

/// PSO: COMPUTE DIGITAL SIGNATURE (extended length): `cla` [`CLA_ISO`] for the HPC,
/// [`CLA_PROPRIETARY`] for the SAM.
pub fn pso_sign(cla: u8, data: &[u8]) -> Vec<u8> {
    build_extended(cla, ins::PSO, 0x9E, 0x9A, data, Some(0))
}

/// READ BINARY at `offset` (up to 256 bytes).
pub fn read_binary(offset: u16) -> Vec<u8> {
    let [hi, lo] = offset.to_be_bytes();
    vec![CLA_ISO, ins::READ_BINARY, hi, lo, 0]
}

/// UPDATE BINARY at offset 0 (the HC marker).
pub fn update_binary(data: &[u8]) -> Vec<u8> {
    build(CLA_ISO, ins::UPDATE_BINARY, 0, 0, data, None)
}

/// SAM token-payload decryption of `iv ‖ ciphertext`.
pub fn sam_decrypt(iv_and_ciphertext: &[u8]) -> Vec<u8> {
    build(
        CLA_PROPRIETARY,
        ins::SAM_DECRYPT_TOKEN,
        0,
        0,
        iv_and_ciphertext,
        Some(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the middleware sent before the builders existed.
    #[test]
    fn builders_give_the_historical_bytes() {
        assert_eq!(get_challenge(8), [0, 0x84, 0, 0, 8]);
        assert_eq!(get_hpc_basic(), [0, 0xCA, 0x13, 0, 0]);
        assert_eq!(read_binary(0x0102), [0, 0xB0, 1, 2, 0]);
        assert_eq!(disable_pin(pin_ref::HC), [0, 0x26, 0, 1]);
        assert_eq!(change_pin(pin_ref::HPC, b"1"), [0, 0x24, 1, 0x10, 1, b'1']);
        assert_eq!(change_pin(pin_ref::HC, b"1"), [0, 0x24, 0, 1, 1, b'1']);
        assert_eq!(
            external_auth(external::CARD, &[9]),
            [0x80, 0x82, 1, 0, 1, 9]
        );
        assert_eq!(sam_decrypt(&[9]), [0x80, 0xD0, 0, 0, 1, 9, 0]);
        assert_eq!(
            select(&[1, 2]),
            [0, 0xA4, 4, 0, 2, 1, 2],
            "SELECT without Le"
        );
    }
}
