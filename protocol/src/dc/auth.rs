//! The byte strings the SAM, the DC and the HIS sign or MAC. Both sides build them here,
//! so a reordering is one edit; the key and the MAC/signature function stay with the caller.

/// What the SAM Signature API signs and the DC checks:
/// `clientRandom ‖ serviceType ‖ hospitalId ‖ samId [‖ hpcId]`.
pub fn signature_input(
    client_random: &[u8],
    service_type: &str,
    hospital_id: &str,
    sam_id: &str,
    hpc_id: Option<&str>,
) -> Vec<u8> {
    let mut v = client_random.to_vec();
    v.extend_from_slice(service_type.as_bytes());
    v.extend_from_slice(hospital_id.as_bytes());
    v.extend_from_slice(sam_id.as_bytes());
    if let Some(h) = hpc_id {
        v.extend_from_slice(h.as_bytes());
    }
    v
}

/// The SAM's MAC input in SAM ↔ DC authentication: `"SAM" ‖ dcRandom ‖ samRandom`.
pub fn sam_mac_input(dc_random: &[u8], sam_random: &[u8]) -> Vec<u8> {
    [b"SAM".as_slice(), dc_random, sam_random].concat()
}

/// The DC's proof input in SAM ↔ DC authentication: `"DC" ‖ samRandom ‖ dcRandom`.
pub fn dc_proof_input(sam_random: &[u8], dc_random: &[u8]) -> Vec<u8> {
    [b"DC".as_slice(), sam_random, dc_random].concat()
}

/// The derivation input of a SAM's DC key: `Ksam = HMAC(dcMaster, "sam" ‖ samId)`.
pub fn sam_key_input(sam_id: &str) -> Vec<u8> {
    [b"sam".as_slice(), sam_id.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_exact() {
        assert_eq!(
            signature_input(&[1, 2], "01", "7777777777", "901000000047", None),
            [&[1u8, 2][..], b"01", b"7777777777", b"901000000047"].concat()
        );
        assert!(signature_input(&[], "01", "h", "s", Some("hpc")).ends_with(b"shpc"));
        assert_eq!(sam_mac_input(&[1], &[2]), b"SAM\x01\x02");
        assert_eq!(dc_proof_input(&[2], &[1]), b"DC\x02\x01");
        assert_eq!(sam_key_input("9"), b"sam9");
    }
}
