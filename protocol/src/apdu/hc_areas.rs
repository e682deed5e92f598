//! The HC's data areas beyond basic data, and the visit write-back after a visit (seed 001:
//! "write back to the card after the visit, physical and virtual").
//!
//! Public NHI material describes four areas on the chip: basic data (readable by anyone),
//! insurance data (健保資料: insurer, identity status, validity, major-illness flags, visits
//! left, the last visit sequence number, newborn flags, visit records, cumulative totals), a
//! medical area (醫療專區: prescriptions, important orders, drug allergies) and a public-health
//! area (衛生行政專區: vaccinations, organ-donation and hospice consent). Everything but basic
//! data needs the SAM. The real layouts are not public: every byte here is ours
//! (protocol/docs/APDU.md, "HC data areas").

use super::cmd::{CLA_ISO, CLA_PROPRIETARY};
pub use super::hc_items::{
    append_item, decode_items, encode_items, AreaItem, ItemKind, ITEM_AREA_MAX, SW_AREA_FULL,
};
use super::{build, ins};
use thiserror::Error;

/// GET DATA P1 of the insurance header (ours).
pub const TAG_INSURANCE: u8 = 0x31;
/// GET DATA P1 of the medical area, and APPEND RECORD P1 of a medical item (ours).
pub const TAG_MEDICAL: u8 = 0x32;
/// GET DATA P1 of the public-health area (ours).
pub const TAG_PUBLIC_HEALTH: u8 = 0x33;
/// READ RECORD (ISO 7816-4): one visit record, `P1` = 1 for the newest.
pub const INS_READ_RECORD: u8 = 0xB2;
/// READ RECORD P2: record number in P1 (ISO 7816-4 `04`).
pub const READ_RECORD_BY_NUMBER: u8 = 0x04;
/// APPEND RECORD (ISO 7816-4): a visit (`P1` = [`TAG_INSURANCE`]) or a medical item.
pub const INS_APPEND_RECORD: u8 = 0xE2;
/// SAM (CLA 80): compute the proof that opens a card's protected areas (ours).
pub const INS_SAM_AREA_PROOF: u8 = 0x86;
/// Label of the area proof: `HMAC(Kcard, "areas" ‖ cardChallenge)`.
pub const AREA_PROOF_LABEL: &[u8] = b"areas";
/// Length of the card challenge the proof covers.
pub const AREA_CHALLENGE_LEN: usize = 8;
/// Visit records the card keeps; a write past them drops the oldest.
pub const VISIT_SLOTS: usize = 6;
/// Visits a freshly issued card allows before it must be updated (ours).
pub const VISITS_PER_CARD: u8 = 6;
/// Status word of a visit write on a card with no visits left (ours; ISO "not enough
/// memory space").
pub const SW_NO_VISITS_LEFT: u16 = 0x6A84;
/// Length of an encoded [`VisitEntry`].
pub const VISIT_ENTRY_LEN: usize = 13 + 10 + 7 + 7 + 4 + 4;
/// Length of an encoded [`VisitRecord`].
pub const VISIT_RECORD_LEN: usize = 4 + VISIT_ENTRY_LEN;
/// Length of an encoded [`InsuranceHeader`].
pub const INSURANCE_LEN: usize = 2 + 1 + 7 + 21 + 1 + 4 + 1 + 7 + 4 + 4 + 1;

/// Why area bytes or a field do not fit the layout.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AreaError {
    /// A field has the wrong length or characters.
    #[error("{field}: {why}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        why: &'static str,
    },
    /// The record has the wrong length.
    #[error("{what}: {got} bytes, expected {expected}")]
    Length {
        /// The record.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
}

fn field(field: &'static str, why: &'static str) -> AreaError {
    AreaError::Field { field, why }
}

/// Fixed-width ASCII digits.
fn digits(name: &'static str, s: &str, len: usize) -> Result<Vec<u8>, AreaError> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field(name, "wrong length or not digits"));
    }
    Ok(s.as_bytes().to_vec())
}

/// Printable ASCII, space-padded to `len` (at most `len`).
fn padded(name: &'static str, s: &str, len: usize) -> Result<Vec<u8>, AreaError> {
    if s.len() > len || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(field(name, "too long or not printable ASCII"));
    }
    let mut v = s.as_bytes().to_vec();
    v.resize(len, b' ');
    Ok(v)
}

/// Reads fixed-width fields off a record.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }
    fn text(&mut self, name: &'static str, n: usize) -> Result<String, AreaError> {
        let b = self.take(n);
        if !b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            return Err(field(name, "not ASCII"));
        }
        Ok(String::from_utf8_lossy(b).trim_end().to_string())
    }
    fn u32(&mut self) -> u32 {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4));
        u32::from_be_bytes(a)
    }
    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
}

fn check_len(what: &'static str, b: &[u8], expected: usize) -> Result<(), AreaError> {
    if b.len() != expected {
        return Err(AreaError::Length {
            what,
            expected,
            got: b.len(),
        });
    }
    Ok(())
}

/// What the client writes for one visit (the card adds the sequence number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitEntry {
    /// Visit date and time, ROC `yyyMMddHHmmss` (13 digits, as the NHI's 就醫日期時間).
    pub at: String,
    /// Institution id (10 characters).
    pub institution: String,
    /// Main diagnosis code (ICD-10, ≤ 7 characters).
    pub diagnosis: String,
    /// Secondary diagnosis code (≤ 7 characters, may be empty).
    pub diagnosis2: String,
    /// Medical fee (points).
    pub fee: u32,
    /// Co-payment (NT$).
    pub copay: u32,
}

impl VisitEntry {
    /// The 45-byte entry: at 13 · institution 10 · diagnosis 7 · diagnosis2 7 · fee u32 BE ·
    /// copay u32 BE.
    pub fn encode(&self) -> Result<Vec<u8>, AreaError> {
        if self.diagnosis.is_empty() {
            return Err(field("diagnosis", "empty"));
        }
        let mut v = digits("at", &self.at, 13)?;
        if self.institution.len() != 10 {
            return Err(field("institution", "must be 10 characters"));
        }
        v.extend(padded("institution", &self.institution, 10)?);
        v.extend(padded("diagnosis", &self.diagnosis, 7)?);
        v.extend(padded("diagnosis2", &self.diagnosis2, 7)?);
        v.extend(self.fee.to_be_bytes());
        v.extend(self.copay.to_be_bytes());
        Ok(v)
    }
    /// Decodes [`Self::encode`]'s bytes, checking every field.
    pub fn decode(b: &[u8]) -> Result<VisitEntry, AreaError> {
        check_len("visit entry", b, VISIT_ENTRY_LEN)?;
        let mut r = Reader(b);
        let e = VisitEntry {
            at: r.text("at", 13)?,
            institution: r.text("institution", 10)?,
            diagnosis: r.text("diagnosis", 7)?,
            diagnosis2: r.text("diagnosis2", 7)?,
            fee: r.u32(),
            copay: r.u32(),
        };
        // Re-encoding checks the shapes (digits, lengths) the text reads let through.
        e.encode()?;
        Ok(e)
    }
}

/// A visit record as the card keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRecord {
    /// Visit sequence number (就醫序號), 4 digits, `0001`–`9999`.
    pub seq: String,
    /// The visit.
    pub entry: VisitEntry,
}

impl VisitRecord {
    /// `seq 4 ‖ entry 45`.
    pub fn encode(&self) -> Result<Vec<u8>, AreaError> {
        let mut v = digits("seq", &self.seq, 4)?;
        v.extend(self.entry.encode()?);
        Ok(v)
    }
    /// Decodes [`Self::encode`]'s bytes.
    pub fn decode(b: &[u8]) -> Result<VisitRecord, AreaError> {
        check_len("visit record", b, VISIT_RECORD_LEN)?;
        let (seq, entry) = b.split_at(4);
        let seq = String::from_utf8_lossy(seq).into_owned();
        digits("seq", &seq, 4)?;
        Ok(VisitRecord {
            seq,
            entry: VisitEntry::decode(entry)?,
        })
    }
}

/// The sequence number after `last` (`0000` = none yet): 0001…9999, then 0001 again.
pub fn next_seq(last: &str) -> Result<String, AreaError> {
    digits("seq", last, 4)?;
    let n: u32 = last.parse().map_err(|_| field("seq", "not a number"))?;
    Ok(format!("{:04}", if n >= 9999 { 1 } else { n + 1 }))
}

/// The insurance area's fixed header (the visit records are read one by one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsuranceHeader {
    /// Insurer code (保險人代碼), 2 digits.
    pub insurer: String,
    /// Identity status (身分註記), one ASCII digit.
    pub identity_status: String,
    /// Card valid until, ROC `yyyMMdd`.
    pub valid_until: String,
    /// Major-illness codes (重大傷病), up to 3 of ≤ 7 characters.
    pub major_illness: Vec<String>,
    /// Visits left before the card must be updated (可用次數).
    pub visits_left: u8,
    /// Last visit sequence number, `0000` before the first visit.
    pub last_seq: String,
    /// Newborn flag (新生兒註記): 0 none, 1 a newborn's visits are recorded on this card.
    pub newborn: u8,
    /// The newborn's birthday, ROC `yyyMMdd`, `0000000` when none.
    pub newborn_birthday: String,
    /// Cumulative medical fee (points) of the visits written.
    pub total_fee: u32,
    /// Cumulative co-payment.
    pub total_copay: u32,
    /// Visit records held (0–[`VISIT_SLOTS`]).
    pub records: u8,
}

impl InsuranceHeader {
    /// insurer 2 · identity 1 · valid until 7 · major illness 3×7 · visits left u8 · last seq 4 ·
    /// newborn u8 · newborn birthday 7 · total fee u32 · total copay u32 · records u8.
    pub fn encode(&self) -> Result<Vec<u8>, AreaError> {
        let mut v = digits("insurer", &self.insurer, 2)?;
        v.extend(digits("identityStatus", &self.identity_status, 1)?);
        v.extend(digits("validUntil", &self.valid_until, 7)?);
        if self.major_illness.len() > 3 {
            return Err(field("majorIllness", "more than 3"));
        }
        for i in 0..3 {
            let code = self.major_illness.get(i).map_or("", String::as_str);
            v.extend(padded("majorIllness", code, 7)?);
        }
        v.push(self.visits_left);
        v.extend(digits("lastSeq", &self.last_seq, 4)?);
        v.push(self.newborn);
        v.extend(digits("newbornBirthday", &self.newborn_birthday, 7)?);
        v.extend(self.total_fee.to_be_bytes());
        v.extend(self.total_copay.to_be_bytes());
        v.push(self.records);
        Ok(v)
    }
    /// Decodes [`Self::encode`]'s bytes.
    pub fn decode(b: &[u8]) -> Result<InsuranceHeader, AreaError> {
        check_len("insurance header", b, INSURANCE_LEN)?;
        let mut r = Reader(b);
        let h = InsuranceHeader {
            insurer: r.text("insurer", 2)?,
            identity_status: r.text("identityStatus", 1)?,
            valid_until: r.text("validUntil", 7)?,
            major_illness: (0..3)
                .map(|_| r.text("majorIllness", 7))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect(),
            visits_left: r.u8(),
            last_seq: r.text("lastSeq", 4)?,
            newborn: r.u8(),
            newborn_birthday: r.text("newbornBirthday", 7)?,
            total_fee: r.u32(),
            total_copay: r.u32(),
            records: r.u8(),
        };
        h.encode()?;
        Ok(h)
    }
}

/// READ RECORD of visit record `n` (1 = newest).
pub fn read_visit(n: u8) -> Vec<u8> {
    vec![CLA_ISO, INS_READ_RECORD, n, READ_RECORD_BY_NUMBER, 0]
}

/// APPEND RECORD of a visit; the card answers the new sequence number (4 ASCII).
pub fn append_visit(entry: &[u8]) -> Vec<u8> {
    build(CLA_ISO, INS_APPEND_RECORD, TAG_INSURANCE, 0, entry, Some(0))
}

/// EXTERNAL AUTHENTICATE of the HC with the SAM's area proof (opens the protected areas
/// until reset).
pub fn open_areas(proof: &[u8]) -> Vec<u8> {
    build(CLA_ISO, ins::EXTERNAL_AUTHENTICATE, 0, 0, proof, None)
}

/// The SAM's area proof for a card: `80 86 00 00 10 chipId ‖ cardChallenge`.
pub fn sam_area_proof(chip: &[u8], challenge: &[u8]) -> Vec<u8> {
    build(
        CLA_PROPRIETARY,
        INS_SAM_AREA_PROOF,
        0,
        0,
        &[chip, challenge].concat(),
        Some(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> VisitEntry {
        VisitEntry {
            at: "1151130093000".into(),
            institution: "3501200000".into(),
            diagnosis: "J00".into(),
            diagnosis2: String::new(),
            fee: 350,
            copay: 50,
        }
    }

    #[test]
    fn a_visit_record_survives_the_round_trip() {
        let r = VisitRecord {
            seq: "0007".into(),
            entry: entry(),
        };
        let b = r.encode().unwrap();
        assert_eq!(b.len(), VISIT_RECORD_LEN);
        assert_eq!(VisitRecord::decode(&b).unwrap(), r);
    }

    #[test]
    fn bad_fields_are_refused() {
        let mut e = entry();
        e.at = "11511300930".into();
        assert!(e.encode().is_err());
        let mut e = entry();
        e.diagnosis = "TOO-LONG-CODE".into();
        assert!(e.encode().is_err());
        assert!(VisitEntry::decode(&[0u8; 10]).is_err());
    }

    #[test]
    fn the_sequence_wraps_after_9999() {
        assert_eq!(next_seq("0000").unwrap(), "0001");
        assert_eq!(next_seq("0041").unwrap(), "0042");
        assert_eq!(next_seq("9999").unwrap(), "0001");
        assert!(next_seq("12a4").is_err());
    }

    #[test]
    fn the_header_round_trips() {
        let h = InsuranceHeader {
            insurer: "01".into(),
            identity_status: "1".into(),
            valid_until: "1201231".into(),
            major_illness: vec!["C50".into()],
            visits_left: 5,
            last_seq: "0001".into(),
            newborn: 0,
            newborn_birthday: "0000000".into(),
            total_fee: 350,
            total_copay: 50,
            records: 1,
        };
        let b = h.encode().unwrap();
        assert_eq!(b.len(), INSURANCE_LEN);
        assert_eq!(InsuranceHeader::decode(&b).unwrap(), h);
    }
}
