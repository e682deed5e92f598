//! The visit's legacy buffers, both ways: what HIS code passes to the write functions
//! (`hisWriteTreatmentCode`'s diagnoses, `hisWriteMultiPrescriptSign`'s 61-byte
//! prescriptions) and what the read functions hand back (`hisGetSeqNumber256`'s 296 bytes,
//! register-basic-2, the last sequence number, prescriptions, signatures). Offsets and their
//! sources: protocol/docs/CSHIS.md ("Buffer layouts", "Write-back").

use crate::layout::LayoutError;
use nhi_protocol::api::hc_areas::{InsuranceReply, VisitReply};

/// Length of `hisGetSeqNumber256`'s reply.
pub const SEQ256_LEN: usize = 296;
/// Width of its security-signature field.
pub const SEQ_SIGNATURE_LEN: usize = 256;
/// Length of the older `hisGetSeqNumber`'s reply: the same fields with a 128-character
/// signature and no same-day mark (13 + 4 + 10 + 128 + 12).
pub const SEQ_OLD_LEN: usize = 167;
/// One outpatient prescription as HIS code writes it (and reads it back).
pub const PRESCRIPTION_LEN: usize = 61;
/// Prescriptions one `hisWriteMultiPrescriptSign` call may carry (the SDK sample's
/// 3660-byte buffer: 60 × 61).
pub const MAX_PRESCRIPTIONS: usize = 60;
/// One prescription signature in `hisWrite…PrescriptSign`'s reply.
pub const PRESCRIPTION_SIGNATURE_LEN: usize = 40;
/// Length of `hisGetRegisterBasic2`'s reply: card valid until 7, visits left 2.
pub const REGISTER_BASIC2_LEN: usize = 9;
/// Length of `hisGetLastSeqNum`'s reply: visit date-time 13, sequence number 4.
pub const LAST_SEQ_LEN: usize = 17;

/// Why what HIS code passed cannot be written (6018 at the boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

fn bad(why: impl Into<String>) -> InputError {
    InputError(why.into())
}

/// 就醫類別 that count a visit (use a sequence number and one of the card's visits): the
/// digits `01`–`05` (cited: the manual's list; the letter codes `AA`–`CA` do not count).
pub fn counts_a_visit(treat_item: &str) -> bool {
    matches!(treat_item, "01" | "02" | "03" | "04" | "05")
}

/// Checks `hisGetSeqNumber256`'s three inputs: 就醫類別 two letters or digits, 新生兒就醫註記
/// at most one character, 補卡註記 `1` (normal) or `2` (card issued after the visit); `0`
/// is taken as `1` (inferred: the SDK's ICD-10-CM samples `Ex4-*`/`Ex5-*` pass `0`, and
/// HIS code copied from them must run unchanged).
pub fn check_seq_inputs(treat_item: &str, baby: &str, after_check: &str) -> Result<(), InputError> {
    if treat_item.len() != 2 || !treat_item.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad("cTreatItem must be 2 letters or digits"));
    }
    if baby.len() > 1 || !baby.is_ascii() {
        return Err(bad("cBabyTreat must be at most 1 character"));
    }
    if !matches!(after_check, "0" | "1" | "2") {
        return Err(bad("cTreatAfterCheck must be 0, 1 or 2"));
    }
    Ok(())
}

/// A ROC `YYYMMDDhhmmss` visit date-time (13 digits).
pub fn check_visit_time(t: &str) -> Result<(), InputError> {
    if t.len() != 13 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("pDateTime must be 13 digits (ROC YYYMMDDhhmmss)"));
    }
    Ok(())
}

/// The 296 bytes: visit date-time 13 · sequence number 4 · hospital id 10 · security
/// signature 256 · SAM id 12 · same-day visit `Y`/`N` 1. The signature is the SAM's as
/// upper-case hex, left-aligned and padded with spaces: a 1024-bit RSA signature (128
/// bytes) fills the field exactly, as the manual's 256 characters suggest; of a longer one
/// (the emulated SAMs sign with 2048-bit keys) the first 128 bytes are shown — the field
/// cannot hold more, and HIS code reads it as text.
pub fn seq256(
    visit_time: &str,
    seq: &str,
    hospital_id: &str,
    signature: &[u8],
    sam_id: &str,
    same_day: bool,
) -> Result<Vec<u8>, LayoutError> {
    let mut v = Vec::with_capacity(SEQ256_LEN);
    for (name, value, width) in [
        ("visit date-time", visit_time, 13),
        ("sequence number", seq, 4),
        ("hospital id", hospital_id, 10),
    ] {
        push_exact(&mut v, name, value, width)?;
    }
    if signature.is_empty() {
        return Err(LayoutError::Width("security signature", SEQ_SIGNATURE_LEN));
    }
    let shown = &signature[..signature.len().min(SEQ_SIGNATURE_LEN / 2)];
    let hex = hex::encode_upper(shown);
    v.extend_from_slice(hex.as_bytes());
    v.resize(v.len() + SEQ_SIGNATURE_LEN - hex.len(), b' ');
    push_exact(&mut v, "SAM id", sam_id, 12)?;
    v.push(if same_day { b'Y' } else { b'N' });
    Ok(v)
}

/// The older `hisGetSeqNumber`'s 167 bytes: [`seq256`]'s fields with the signature cut to
/// 128 characters (its first 64 bytes in hex) and no same-day mark. Inferred: public HIS code
/// passes 167 bytes, which is exactly these fields with a half-width signature.
pub fn seq_old(
    visit_time: &str,
    seq: &str,
    hospital_id: &str,
    signature: &[u8],
    sam_id: &str,
) -> Result<Vec<u8>, LayoutError> {
    let full = seq256(visit_time, seq, hospital_id, signature, sam_id, false)?;
    let (head, rest) = full.split_at(27);
    let sig = rest
        .get(..128)
        .ok_or(LayoutError::Width("security signature", 128))?;
    let sam = rest
        .get(SEQ_SIGNATURE_LEN..SEQ_SIGNATURE_LEN + 12)
        .ok_or(LayoutError::Width("SAM id", 12))?;
    Ok([head, sig, sam].concat())
}

fn push_exact(
    v: &mut Vec<u8>,
    name: &'static str,
    s: &str,
    width: usize,
) -> Result<(), LayoutError> {
    if s.len() != width || !s.is_ascii() {
        return Err(LayoutError::Width(name, width));
    }
    v.extend_from_slice(s.as_bytes());
    Ok(())
}

/// A prescription signature: the first 20 bytes of an HC signature as 40 hex characters
/// (inferred: the manual gives only the width).
pub fn prescription_signature(sig: &[u8]) -> Result<Vec<u8>, LayoutError> {
    let head = sig
        .get(..PRESCRIPTION_SIGNATURE_LEN / 2)
        .ok_or(LayoutError::Width(
            "HC signature",
            PRESCRIPTION_SIGNATURE_LEN / 2,
        ))?;
    Ok(hex::encode_upper(head).into_bytes())
}

/// True when the card already has a visit at this institution on the date of `visit_time`.
pub fn same_day(visits: &[VisitReply], visit_time: &str, hospital_id: &str) -> bool {
    let day = visit_time.get(..7);
    visits
        .iter()
        .any(|v| v.hospital_id == hospital_id && v.visit_time.get(..7) == day)
}

/// The diagnoses of `hisWriteTreatmentCode`'s ICD-10-CM layout: 補卡註記 1 · (gap 1) · main
/// diagnosis 7 (bytes 3–9) · (gap 2) · first secondary diagnosis 7 (bytes 12–18) · four more
/// secondary groups. Fields are left-aligned, space-padded; only the main and the first
/// secondary diagnosis have a place in the 6.0 visit write (the others are checked, then
/// not written — see CSHIS.md).
pub fn treatment_diagnoses(data: &[u8]) -> Result<(String, Option<String>), InputError> {
    let field = |from: usize, to: usize| -> Result<String, InputError> {
        // The data may end (at its NUL) before a secondary group: that group is absent.
        let b = data.get(from..to.min(data.len())).unwrap_or(&[]);
        if !b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            return Err(bad("pDataWrite: a diagnosis is not ASCII"));
        }
        Ok(String::from_utf8_lossy(b).trim().to_string())
    };
    match data.first() {
        // `0` as in the SDK's ICD-10-CM samples: a normal visit (see check_seq_inputs).
        Some(b'0' | b'1' | b'2') => {}
        _ => return Err(bad("pDataWrite: 補卡註記 (byte 1) must be 0, 1 or 2")),
    }
    let main = field(2, 9)?;
    if main.is_empty() {
        return Err(bad("pDataWrite: the main diagnosis (bytes 3-9) is empty"));
    }
    let second = field(11, 18)?;
    for (from, to) in [(20, 27), (29, 36), (38, 45), (47, 54)] {
        field(from, to)?;
    }
    Ok((main, (!second.is_empty()).then_some(second)))
}

/// Splits `hisWriteMultiPrescriptSign`'s data into `count` prescriptions of 61 bytes, each
/// starting with the visit's date-time; returns each as text (Big5 decoded).
pub fn prescriptions(
    data: &[u8],
    count: usize,
    visit_time: &str,
) -> Result<Vec<String>, InputError> {
    if count == 0 || count > MAX_PRESCRIPTIONS {
        return Err(bad(format!("iWriteCount must be 1 to {MAX_PRESCRIPTIONS}")));
    }
    if data.len() != count * PRESCRIPTION_LEN {
        return Err(bad(format!(
            "pDataWrite holds {} bytes, {count} prescriptions need {}",
            data.len(),
            count * PRESCRIPTION_LEN
        )));
    }
    data.chunks(PRESCRIPTION_LEN)
        .enumerate()
        .map(|(i, rec)| {
            let (text, _, had_errors) = encoding_rs::BIG5.decode(rec);
            if had_errors || text.contains('\0') {
                return Err(bad(format!("prescription {}: not Big5 text", i + 1)));
            }
            if text.get(..13) != Some(visit_time) {
                return Err(bad(format!(
                    "prescription {}: its date-time (bytes 1-13) is not pDateTime",
                    i + 1
                )));
            }
            Ok(text.into_owned())
        })
        .collect()
}

/// `hisGetRegisterBasic2`: card valid until 7 (blank for a virtual card) · visits left 2.
pub fn register_basic2(ins: &InsuranceReply) -> Result<Vec<u8>, LayoutError> {
    let mut v = valid_until(ins)?;
    v.extend(visits_left(ins)?);
    Ok(v)
}

/// The card's validity, 7 bytes (blank when the reply has none: a virtual card).
pub fn valid_until(ins: &InsuranceReply) -> Result<Vec<u8>, LayoutError> {
    if ins.valid_until.is_empty() {
        return Ok(vec![b' '; 7]);
    }
    let mut v = Vec::new();
    push_exact(&mut v, "card validity", &ins.valid_until, 7)?;
    Ok(v)
}

/// Visits left, 2 digits.
pub fn visits_left(ins: &InsuranceReply) -> Result<Vec<u8>, LayoutError> {
    if ins.visits_left > 99 {
        return Err(LayoutError::TooLong("visits left", 2));
    }
    Ok(format!("{:02}", ins.visits_left).into_bytes())
}

/// `hisGetLastSeqNum`: the newest visit's date-time 13 and sequence number 4 (inferred
/// layout); `None` before the card's first visit.
pub fn last_seq(ins: &InsuranceReply) -> Result<Option<Vec<u8>>, LayoutError> {
    let Some(v) = ins.visits.first() else {
        return Ok(None);
    };
    let mut b = Vec::with_capacity(LAST_SEQ_LEN);
    push_exact(&mut b, "visit date-time", &v.visit_time, 13)?;
    push_exact(&mut b, "sequence number", &v.seq_no, 4)?;
    Ok(Some(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq256_is_296_bytes_at_the_sdk_offsets() {
        let b = seq256(
            "1141130093000",
            "0007",
            "7777777777",
            &[0xAB; 128],
            "123456789012",
            true,
        )
        .unwrap();
        assert_eq!(b.len(), SEQ256_LEN);
        assert_eq!(&b[0..13], b"1141130093000");
        assert_eq!(&b[13..17], b"0007");
        assert_eq!(&b[17..27], b"7777777777");
        assert_eq!(&b[27..283], "AB".repeat(128).as_bytes());
        assert_eq!(&b[283..295], b"123456789012");
        assert_eq!(b[295], b'Y');
        let short = seq256(
            "1141130093000",
            "0007",
            "7777777777",
            &[1; 64],
            "123456789012",
            false,
        )
        .unwrap();
        assert_eq!(&short[27 + 128..283], &[b' '; 128][..]);
        assert_eq!(short[295], b'N');
        let long = [[0xCD; 128], [0xEF; 128]].concat();
        let b = seq256(
            "1141130093000",
            "0007",
            "7777777777",
            &long,
            "123456789012",
            false,
        );
        assert_eq!(&b.unwrap()[27..283], "CD".repeat(128).as_bytes());
        let none = seq256(
            "1141130093000",
            "0007",
            "7777777777",
            &[],
            "123456789012",
            false,
        );
        assert!(none.is_err());
        assert!(seq256(
            "114113009300",
            "0007",
            "7777777777",
            &[1; 8],
            "123456789012",
            false
        )
        .is_err());
    }

    #[test]
    fn old_seq_is_167_bytes() {
        let b = seq_old(
            "1141130093000",
            "0007",
            "7777777777",
            &[0xAB; 256],
            "123456789012",
        )
        .unwrap();
        assert_eq!(b.len(), SEQ_OLD_LEN);
        assert_eq!(&b[..27], b"114113009300000077777777777");
        assert_eq!(&b[27..155], "AB".repeat(64).as_bytes());
        assert_eq!(&b[155..], b"123456789012");
    }

    #[test]
    fn seq_inputs_are_checked() {
        assert!(check_seq_inputs("01", " ", "1").is_ok());
        assert!(check_seq_inputs("AC", "", "2").is_ok());
        assert!(check_seq_inputs("1", " ", "1").is_err());
        assert!(check_seq_inputs("0!", " ", "1").is_err());
        assert!(check_seq_inputs("01", "AB", "1").is_err());
        assert!(check_seq_inputs("01", " ", "3").is_err());
        // The SDK's ICD-10-CM samples pass 0 for a normal visit.
        assert!(check_seq_inputs("01", " ", "0").is_ok());
        assert!(treatment_diagnoses(b"0 J00      ").is_ok());
        assert!(treatment_diagnoses(b"3 J00      ").is_err());
        assert!(counts_a_visit("03") && !counts_a_visit("AC"));
    }

    #[test]
    fn treatment_code_diagnoses_at_their_offsets() {
        let data = b"1 J00      I10    ";
        assert_eq!(
            treatment_diagnoses(data).unwrap(),
            ("J00".into(), Some("I10".into()))
        );
        assert_eq!(treatment_diagnoses(b"1 J00").unwrap(), ("J00".into(), None));
        assert!(treatment_diagnoses(b"3 J00").is_err());
        assert!(treatment_diagnoses(b"1        ").is_err());
        assert!(treatment_diagnoses("1 J\u{e9}0".as_bytes()).is_err());
        assert!(treatment_diagnoses(b"").is_err());
    }

    fn rx(t: &str, code: &str) -> Vec<u8> {
        let mut r = format!("{t}1{code:<12}{:<6}{:<18}03{:<7}01", "", "TID", "9").into_bytes();
        assert_eq!(r.len(), PRESCRIPTION_LEN);
        r.truncate(PRESCRIPTION_LEN);
        r
    }

    #[test]
    fn prescriptions_are_61_bytes_of_the_visit() {
        let t = "1141130093000";
        let data = [rx(t, "A012345100"), rx(t, "B098765432")].concat();
        let p = prescriptions(&data, 2, t).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            crate::records::item_record("prescription", &p[1], PRESCRIPTION_LEN).unwrap(),
            rx(t, "B098765432")
        );
        assert!(prescriptions(&data, 3, t).is_err());
        assert!(prescriptions(&data, 0, t).is_err());
        assert!(prescriptions(&data, 2, "1141130093001").is_err());
        let mut bad = data.clone();
        bad[20] = 0xFF;
        assert!(prescriptions(&bad, 2, t).is_err());
    }

    #[test]
    fn prescription_signature_is_40_hex() {
        assert_eq!(
            prescription_signature(&[0x0F; 32]).unwrap(),
            "0F".repeat(20).as_bytes()
        );
        assert!(prescription_signature(&[1; 19]).is_err());
    }
}
