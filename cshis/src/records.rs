//! The legacy buffers of the HC's data-area reads beyond the visit's own (critical illness,
//! treatment records, vaccinations, organ donation, the medical area's record kinds) and
//! of the public-health writes, built from the 6.0 replies. Pure: no I/O. Offsets and
//! their sources: protocol/docs/CSHIS.md ("Buffer layouts"). Fields the 6.0 replies do not
//! carry are blank, never invented.

use crate::layout::{big5, LayoutError};
use nhi_protocol::api::hc_areas::{InsuranceReply, VisitReply};

/// Records of the critical-illness and treatment blocks (the card's six slots).
pub const SLOTS: usize = 6;
/// One critical illness: code · valid from 7 · valid until 7.
const ILLNESS_DATES: usize = 14;
/// Visit date-time width (ROC `YYYMMDDhhmmss`).
const TIME: usize = 13;
/// Header of `hisGetTreatmentNoNeedHPC` before its six visit records (its fields are not
/// in any public source: blank).
pub const NO_NEED_HPC_HEAD: usize = 84;
/// One visit record of `hisGetTreatmentNoNeedHPC`.
pub const NO_NEED_HPC_RECORD: usize = 69;
/// `hisGetTreatmentNoNeedHPC`: 84 + 6 × 69.
pub const NO_NEED_HPC_LEN: usize = NO_NEED_HPC_HEAD + SLOTS * NO_NEED_HPC_RECORD;
/// One long-term prescription: date 7 · drug code 10 · usage 18 · days 2 · total 7.
pub const LONG_TERM_LEN: usize = 44;
/// One important order: date 7 · hospital 10 · order code 6 · body site 6 · total 7.
pub const IMPORTANT_LEN: usize = 36;
/// One drug allergy: the drug's name, Big5.
pub const ALLERGY_LEN: usize = 40;
/// One vaccination: kind 6 · date 7 · hospital 10 · lot number 12.
pub const VACCINATION_LEN: usize = 35;
/// Vaccination records the card holds (the read's buffer: 40 × 35).
pub const VACCINATION_SLOTS: usize = 40;

/// How diagnosis codes are shown: the card's packed 5-character form (HIS code unpacks an
/// ICD-10-CM code with `hisGetICD10DeC`) or the ICD-10-CM form, 9 characters (a blank, the
/// code left-aligned in 7, a blank). HIS code picks one by the buffer it passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeForm {
    /// 5 characters per code.
    Packed,
    /// 9 characters per code.
    Icd10Cm,
}

impl CodeForm {
    fn width(self) -> usize {
        match self {
            CodeForm::Packed => 5,
            CodeForm::Icd10Cm => 9,
        }
    }
    /// `hisGetCriticalIllness`'s length in this form: 114 or 138.
    pub fn illness_len(self) -> usize {
        SLOTS * (self.width() + ILLNESS_DATES)
    }
    /// `hisGetTreatmentNeedHPC`'s length: 372 or 540.
    pub fn need_hpc_len(self) -> usize {
        self.illness_len() + SLOTS * (TIME + SLOTS * self.width())
    }
    /// The form a buffer of `capacity` bytes asks for: ICD-10-CM when it holds it.
    pub fn for_capacity(capacity: usize, icd10_len: usize) -> CodeForm {
        if capacity >= icd10_len {
            CodeForm::Icd10Cm
        } else {
            CodeForm::Packed
        }
    }
    /// One code in this form. The packing of a longer ICD-10-CM code is not public (5.1
    /// `hisGetICD10EnC`): a code over 5 characters has only the ICD-10-CM form.
    fn code(self, code: &str) -> Result<Vec<u8>, LayoutError> {
        let c = code.trim();
        if !c.is_ascii() || c.len() > 7 {
            return Err(LayoutError::TooLong("diagnosis code", 7));
        }
        let s = match self {
            CodeForm::Packed if c.len() > 5 => {
                return Err(LayoutError::TooLong("packed diagnosis code", 5))
            }
            CodeForm::Packed => format!("{c:<5}"),
            CodeForm::Icd10Cm => format!(" {c:<7} "),
        };
        Ok(s.into_bytes())
    }
}

fn blank(v: &mut Vec<u8>, n: usize) {
    v.resize(v.len() + n, b' ');
}

/// Left-aligned, space-padded ASCII of at most `width` characters.
fn ascii(v: &mut Vec<u8>, name: &'static str, s: &str, width: usize) -> Result<(), LayoutError> {
    if !s.is_ascii() || s.len() > width {
        return Err(LayoutError::Width(name, width));
    }
    v.extend_from_slice(s.as_bytes());
    blank(v, width - s.len());
    Ok(())
}

/// A number right-aligned with zeros in `width` digits (the SDK sample's `00000100`).
fn digits(v: &mut Vec<u8>, name: &'static str, n: u32, width: usize) -> Result<(), LayoutError> {
    let s = format!("{n:0width$}");
    if s.len() > width {
        return Err(LayoutError::TooLong(name, width));
    }
    v.extend_from_slice(s.as_bytes());
    Ok(())
}

/// `hisGetCriticalIllness` / `hisGetCriticalIllnessID`: six slots of code · valid from 7 ·
/// valid until 7. The 6.0 reply carries the codes only: the dates are blank.
pub fn critical_illness(codes: &[String], form: CodeForm) -> Result<Vec<u8>, LayoutError> {
    if codes.len() > SLOTS {
        return Err(LayoutError::TooLong("major illnesses", SLOTS));
    }
    let mut v = Vec::with_capacity(form.illness_len());
    for i in 0..SLOTS {
        match codes.get(i) {
            Some(c) => v.extend(form.code(c)?),
            None => blank(&mut v, form.width()),
        }
        blank(&mut v, ILLNESS_DATES);
    }
    Ok(v)
}

/// `hisGetTreatmentNeedHPC`: the critical illnesses, then six visits (newest first) of
/// date-time 13 · main diagnosis · five secondary diagnoses; the 6.0 visit has the main
/// and one secondary diagnosis, the other four are blank.
pub fn treatment_need_hpc(ins: &InsuranceReply, form: CodeForm) -> Result<Vec<u8>, LayoutError> {
    let mut v = critical_illness(&ins.major_illness, form)?;
    for i in 0..SLOTS {
        let Some(visit) = ins.visits.get(i) else {
            blank(&mut v, TIME + SLOTS * form.width());
            continue;
        };
        ascii(&mut v, "visit date-time", &visit.visit_time, TIME)?;
        for code in [&visit.diagnosis, &visit.diagnosis2] {
            if code.is_empty() {
                blank(&mut v, form.width());
            } else {
                v.extend(form.code(code)?);
            }
        }
        blank(&mut v, (SLOTS - 2) * form.width());
    }
    Ok(v)
}

/// One visit of `hisGetTreatmentNoNeedHPC`: 就醫類別 2 · newborn mark 1 · date-time 13 ·
/// 補卡註記 1 · sequence no 4 · hospital 10 · outpatient fee 8 · outpatient co-payment 8 ·
/// inpatient fee 8 · inpatient co-payments 7 + 7. The 6.0 visit has no 就醫類別, newborn or
/// 補卡 mark and no inpatient amounts: blank.
fn no_need_hpc_record(v: &mut Vec<u8>, visit: &VisitReply) -> Result<(), LayoutError> {
    blank(v, 3);
    ascii(v, "visit date-time", &visit.visit_time, TIME)?;
    blank(v, 1);
    ascii(v, "sequence number", &visit.seq_no, 4)?;
    ascii(v, "hospital id", &visit.hospital_id, 10)?;
    digits(v, "fee", visit.fee, 8)?;
    digits(v, "co-payment", visit.copay, 8)?;
    blank(v, 8 + 7 + 7);
    Ok(())
}

/// `hisGetTreatmentNoNeedHPC`: 498 bytes — a header of 84 (blank: not public) and six
/// visit records of 69, newest first.
pub fn treatment_no_need_hpc(ins: &InsuranceReply) -> Result<Vec<u8>, LayoutError> {
    let mut v = Vec::with_capacity(NO_NEED_HPC_LEN);
    blank(&mut v, NO_NEED_HPC_HEAD);
    for i in 0..SLOTS {
        match ins.visits.get(i) {
            Some(visit) => no_need_hpc_record(&mut v, visit)?,
            None => blank(&mut v, NO_NEED_HPC_RECORD),
        }
    }
    Ok(v)
}

/// An item of the medical or public-health area read back as a fixed-width record: its
/// Big5 bytes, padded with spaces (the legacy writes store the record as the item's text).
pub fn item_record(name: &'static str, text: &str, width: usize) -> Result<Vec<u8>, LayoutError> {
    let mut b = big5(name, text)?;
    if b.len() > width {
        return Err(LayoutError::TooLong(name, width));
    }
    b.resize(width, b' ');
    Ok(b)
}

/// A vaccination as `hisWriteInoculateData` stores it: kind 6 · date 7 (ROC, the reader's
/// date) · hospital 10 · lot number 12.
pub fn vaccination(
    kind: &str,
    date: &str,
    hospital_id: &str,
    lot: &str,
) -> Result<String, LayoutError> {
    let mut v = Vec::with_capacity(VACCINATION_LEN);
    ascii(&mut v, "vaccination kind", kind, 6)?;
    ascii(&mut v, "vaccination date", date, 7)?;
    ascii(&mut v, "hospital id", hospital_id, 10)?;
    ascii(&mut v, "lot number", lot, 12)?;
    String::from_utf8(v).map_err(|_| LayoutError::Width("vaccination", VACCINATION_LEN))
}

/// `hisWriteTreatmentData`'s amounts after the diagnoses (SDK `Ex5-*`): outpatient fee 8 ·
/// outpatient co-payment 8 · inpatient fee 8 · inpatient co-payments 7 + 7, zero-padded
/// digits, at bytes 56–93.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreatmentAmounts {
    /// Outpatient fee (points).
    pub fee: u32,
    /// Outpatient co-payment.
    pub copay: u32,
    /// True when an inpatient amount is not zero (the 6.0 visit write has no place for it).
    pub inpatient: bool,
}

/// Offset of the amounts in `hisWriteTreatmentData`'s data: 補卡註記 1 and 6 diagnoses × 9.
const AMOUNTS_AT: usize = 1 + SLOTS * 9;
/// The amounts' widths.
const AMOUNT_WIDTHS: [usize; 5] = [8, 8, 8, 7, 7];

/// Reads the five amounts; the error names the field (6018 at the boundary).
pub fn treatment_amounts(data: &[u8]) -> Result<TreatmentAmounts, String> {
    let mut at = AMOUNTS_AT;
    let mut v = [0u32; 5];
    for (i, w) in AMOUNT_WIDTHS.into_iter().enumerate() {
        let field = data.get(at..at + w).ok_or_else(|| {
            format!(
                "pDataWrite: amount {} (bytes {}-{}) missing",
                i + 1,
                at + 1,
                at + w
            )
        })?;
        if !field.iter().all(u8::is_ascii_digit) {
            return Err(format!(
                "pDataWrite: amount {} (bytes {}-{}) must be digits",
                i + 1,
                at + 1,
                at + w
            ));
        }
        v[i] = field.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
        at += w;
    }
    Ok(TreatmentAmounts {
        fee: v[0],
        copay: v[1],
        inpatient: v[2..].iter().any(|&n| n != 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(t: &str, seq: &str, d: &str, d2: &str) -> VisitReply {
        VisitReply {
            seq_no: seq.into(),
            visit_time: t.into(),
            hospital_id: "3501200000".into(),
            diagnosis: d.into(),
            diagnosis2: d2.into(),
            fee: 100,
            copay: 50,
        }
    }

    fn ins(codes: &[&str], visits: Vec<VisitReply>) -> InsuranceReply {
        InsuranceReply {
            insurer: "01".into(),
            identity_status: "1".into(),
            valid_until: "1151231".into(),
            major_illness: codes.iter().map(|c| c.to_string()).collect(),
            visits_left: 5,
            last_seq_no: "0002".into(),
            newborn: 0,
            newborn_birthday: "0000000".into(),
            total_fee: 100,
            total_copay: 50,
            visits,
        }
    }

    #[test]
    fn critical_illness_in_both_forms_as_the_sdk_samples() {
        // SDK Ret2-1 (114) and Ret2-2 (138): " 36042   " is the ICD-10-CM field.
        let codes = vec!["36042".to_string()];
        let packed = critical_illness(&codes, CodeForm::Packed).unwrap();
        assert_eq!(packed.len(), 114);
        assert_eq!(&packed[..19], b"36042              ");
        assert!(packed[19..].iter().all(|&b| b == b' '));
        let wide = critical_illness(&codes, CodeForm::Icd10Cm).unwrap();
        assert_eq!(wide.len(), 138);
        assert_eq!(&wide[..9], b" 36042   ");
        let long = vec!["H401324".to_string()];
        assert!(critical_illness(&long, CodeForm::Packed).is_err());
        assert_eq!(
            &critical_illness(&long, CodeForm::Icd10Cm).unwrap()[..9],
            b" H401324 "
        );
        assert_eq!(CodeForm::for_capacity(138, 138), CodeForm::Icd10Cm);
        assert_eq!(CodeForm::for_capacity(114, 138), CodeForm::Packed);
    }

    #[test]
    fn treatment_need_hpc_is_372_or_540() {
        let i = ins(
            &[],
            vec![
                visit("1141130093000", "0002", "J00", "I10"),
                visit("1141129080000", "0001", "4619", ""),
            ],
        );
        let p = treatment_need_hpc(&i, CodeForm::Packed).unwrap();
        assert_eq!(p.len(), 372);
        assert_eq!(&p[114..127], b"1141130093000");
        assert_eq!(&p[127..137], b"J00  I10  ");
        assert_eq!(&p[157..170], b"1141129080000");
        assert_eq!(&p[170..180], b"4619      ");
        let w = treatment_need_hpc(&i, CodeForm::Icd10Cm).unwrap();
        assert_eq!(w.len(), 540);
        assert_eq!(&w[138..151], b"1141130093000");
        assert_eq!(
            &w[151..169],
            format!(" {:<7}  {:<7} ", "J00", "I10").as_bytes()
        );
        assert!(w[138 + 2 * 67..].iter().all(|&b| b == b' '));
    }

    #[test]
    fn treatment_no_need_hpc_records_at_their_offsets() {
        let i = ins(&[], vec![visit("1141130093000", "0002", "J00", "")]);
        let b = treatment_no_need_hpc(&i).unwrap();
        assert_eq!(b.len(), 498);
        let r = &b[84..84 + 69];
        assert_eq!(&r[..3], b"   ");
        assert_eq!(&r[3..16], b"1141130093000");
        assert_eq!(&r[17..21], b"0002");
        assert_eq!(&r[21..31], b"3501200000");
        assert_eq!(&r[31..47], b"0000010000000050");
        assert!(b[84 + 69..].iter().all(|&c| c == b' '));
    }

    #[test]
    fn treatment_amounts_as_the_sdk_sample() {
        let diag = "0[O320xx0][O320xx1][O320xx2][O320xx3][O320xx4][O320xx5]";
        let data = format!("{diag}00000100000002000000030000004000000500");
        let a = treatment_amounts(data.as_bytes()).unwrap();
        assert_eq!((a.fee, a.copay, a.inpatient), (100, 200, true));
        let out = format!("{diag}{:08}{:08}{:08}{:07}{:07}", 150, 50, 0, 0, 0);
        let a = treatment_amounts(out.as_bytes()).unwrap();
        assert_eq!((a.fee, a.copay, a.inpatient), (150, 50, false));
        assert!(treatment_amounts(diag.as_bytes()).is_err());
        let bad = format!("{diag}0000010 000000200000003000000400000050");
        assert!(treatment_amounts(bad.as_bytes()).is_err());
    }

    #[test]
    fn vaccination_record_is_35() {
        let v = vaccination("MMR", "1141130", "3501200000", "LOT42").unwrap();
        assert_eq!(v.len(), 35);
        assert_eq!(&v[..6], "MMR   ");
        assert!(vaccination("TOOLONG", "1141130", "3501200000", "L").is_err());
        assert_eq!(item_record("v", &v, 35).unwrap(), v.as_bytes());
        assert!(item_record("v", &v, 34).is_err());
    }
}
