//! The fixed-width buffers HIS code parses, built from 6.0 replies. Offsets and widths:
//! protocol/docs/CSHIS.md ("Buffer layouts"), each cited there. Fields the 6.0 Web API does
//! not carry are blank (spaces), never invented.

use crate::visit_layout;
use nhi_protocol::api::hc_areas::InsuranceReply;
use nhi_protocol::api::reply::{HcBasicReply, HpcBasicReply};

/// Length of `hisGetBasicData`'s buffer.
pub const BASIC_LEN: usize = 72;
/// Length of `hisGetRegisterBasic`'s buffer.
pub const REGISTER_BASIC_LEN: usize = 78;
/// Width of a name field (Big5).
pub const NAME_LEN: usize = 20;

/// Why a reply does not fit a legacy layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// A field has characters outside Big5.
    NotBig5(&'static str),
    /// A field is longer than its width.
    TooLong(&'static str, usize),
    /// A fixed-width field has the wrong length or non-ASCII characters.
    Width(&'static str, usize),
}

impl std::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LayoutError::NotBig5(field) => write!(f, "{field} has characters outside Big5"),
            LayoutError::TooLong(field, w) => write!(f, "{field} is longer than {w} bytes"),
            LayoutError::Width(field, w) => write!(f, "{field} is not {w} ASCII characters"),
        }
    }
}

/// A buffer being filled field by field.
struct Record(Vec<u8>);

impl Record {
    fn new() -> Record {
        Record(Vec::with_capacity(REGISTER_BASIC_LEN))
    }
    /// An ASCII field of exactly `width` characters.
    fn exact(&mut self, name: &'static str, v: &str, width: usize) -> Result<(), LayoutError> {
        if v.len() != width || !v.is_ascii() {
            return Err(LayoutError::Width(name, width));
        }
        self.0.extend_from_slice(v.as_bytes());
        Ok(())
    }
    /// A Big5 field, left-aligned and padded with spaces.
    fn big5(&mut self, name: &'static str, v: &str, width: usize) -> Result<(), LayoutError> {
        let bytes = big5(name, v)?;
        if bytes.len() > width {
            return Err(LayoutError::TooLong(name, width));
        }
        self.0.extend_from_slice(&bytes);
        self.blank(width - bytes.len());
        Ok(())
    }
    /// A field the 6.0 API does not carry.
    fn blank(&mut self, width: usize) {
        self.0.resize(self.0.len() + width, b' ');
    }
}

/// Big5 bytes of a text, or which field could not be coded.
pub fn big5(name: &'static str, v: &str) -> Result<Vec<u8>, LayoutError> {
    let (bytes, _, had_errors) = encoding_rs::BIG5.encode(v);
    if had_errors {
        return Err(LayoutError::NotBig5(name));
    }
    Ok(bytes.into_owned())
}

/// The first 58 bytes shared by basic data and register basic: card no 12 | name 20 |
/// ID 10 | birthday 7 | sex 1 | issue date 7 | cancel mark 1.
fn common(hc: &HcBasicReply) -> Result<Record, LayoutError> {
    let mut r = Record::new();
    r.exact("card number", &hc.card_id, 12)?;
    r.big5("name", &hc.name, NAME_LEN)?;
    r.exact("ID number", &hc.id_no, 10)?;
    r.exact("birthday", &hc.birthday, 7)?;
    r.exact("sex", &hc.sex, 1)?;
    match &hc.date_issue {
        Some(d) => r.exact("issue date", d, 7)?,
        // A virtual card has no issue date.
        None => r.blank(7),
    }
    // Cancel mark: not in the 6.0 reply (a cancelled card never gets this far).
    r.blank(1);
    Ok(r)
}

/// `hisGetBasicData`: the 58 common bytes and the emergency telephone (14, blank: the 6.0
/// API does not carry it).
pub fn basic_data(hc: &HcBasicReply) -> Result<Vec<u8>, LayoutError> {
    let mut r = common(hc)?;
    r.blank(14);
    Ok(r.0)
}

/// `hisGetRegisterBasic`: the 58 common bytes, then the HC's health-insurance area
/// (`GET Hc/Insurance`): insurer code 2, insured mark 1 (身分註記), card validity 7, visits
/// left 2, newborn birthday 7 (blank when none), newborn twin mark 1 (blank: not carried).
/// Without the area (a cloud SAM cannot open a physical HC's areas) the 20 bytes are blank.
pub fn register_basic(
    hc: &HcBasicReply,
    ins: Option<&InsuranceReply>,
) -> Result<Vec<u8>, LayoutError> {
    let mut r = common(hc)?;
    let Some(ins) = ins else {
        r.blank(REGISTER_BASIC_LEN - 58);
        return Ok(r.0);
    };
    r.exact("insurer code", &ins.insurer, 2)?;
    r.exact("insured mark", &ins.identity_status, 1)?;
    r.0.extend(visit_layout::valid_until(ins)?);
    r.0.extend(visit_layout::visits_left(ins)?);
    match ins.newborn_birthday.as_str() {
        "" | "0000000" => r.blank(7),
        d => r.exact("newborn birthday", d, 7)?,
    }
    r.blank(1);
    Ok(r.0)
}

/// Which HPC field a `hpcGetHPC*` function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HpcField {
    /// `hpcGetHPCSN`: card id.
    SerialNo,
    /// `hpcGetHPCSSN`: holder's ID number.
    IdNo,
    /// `hpcGetHPCCNAME`: Chinese name, Big5.
    ChineseName,
    /// `hpcGetHPCENAME`: English name.
    EnglishName,
}

/// One HPC field's bytes (its text, Big5 for the Chinese name, no padding).
pub fn hpc_field(hpc: &HpcBasicReply, f: HpcField) -> Result<Vec<u8>, LayoutError> {
    let ascii = |name: &'static str, v: &str| {
        if v.is_ascii() {
            Ok(v.as_bytes().to_vec())
        } else {
            Err(LayoutError::Width(name, v.len()))
        }
    };
    match f {
        HpcField::SerialNo => ascii("HPC card id", &hpc.card_id),
        HpcField::IdNo => ascii("HPC ID number", &hpc.id_no),
        HpcField::ChineseName => big5("HPC Chinese name", &hpc.c_name),
        HpcField::EnglishName => ascii("HPC English name", &hpc.e_name),
    }
}

/// An ASCII field of a fixed width (hospital id 10, card numbers 12, date-time 13).
pub fn fixed(name: &'static str, v: &str, width: usize) -> Result<Vec<u8>, LayoutError> {
    let mut r = Record::new();
    r.exact(name, v, width)?;
    Ok(r.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hc() -> HcBasicReply {
        HcBasicReply {
            card_id: "900000000711".into(),
            id_no: "R88855084A".into(),
            name: "吳佳蓉".into(),
            birthday: "0741201".into(),
            sex: "F".into(),
            date_issue: Some("1080101".into()),
            identity_status: None,
        }
    }

    #[test]
    fn basic_data_is_72_bytes_at_the_cited_offsets() {
        let b = basic_data(&hc()).unwrap();
        assert_eq!(b.len(), 72);
        assert_eq!(&b[0..12], b"900000000711");
        assert_eq!(&b[12..18], &[0xA7, 0x64, 0xA8, 0xCE, 0xBB, 0x54]);
        assert_eq!(&b[18..32], &[b' '; 14]);
        assert_eq!(&b[32..42], b"R88855084A");
        assert_eq!(&b[42..49], b"0741201");
        assert_eq!(&b[49..50], b"F");
        assert_eq!(&b[50..57], b"1080101");
        assert_eq!(&b[57..72], &[b' '; 15]);
    }

    fn ins() -> InsuranceReply {
        InsuranceReply {
            insurer: "01".into(),
            identity_status: "3".into(),
            valid_until: "1191231".into(),
            major_illness: vec![],
            visits_left: 5,
            last_seq_no: "0001".into(),
            newborn: 0,
            newborn_birthday: "0000000".into(),
            total_fee: 0,
            total_copay: 0,
            visits: vec![],
        }
    }

    #[test]
    fn register_basic_is_78_bytes_and_starts_like_basic_data() {
        let r = register_basic(&hc(), Some(&ins())).unwrap();
        assert_eq!(r.len(), 78);
        assert_eq!(&r[..58], &basic_data(&hc()).unwrap()[..58]);
        assert_eq!(&r[58..70], b"013119123105");
        assert_eq!(&r[70..78], b"        ");
        let mut born = ins();
        born.newborn_birthday = "1141101".into();
        born.valid_until = String::new();
        let r = register_basic(&hc(), Some(&born)).unwrap();
        assert_eq!(&r[61..68], b"       ");
        assert_eq!(&r[70..77], b"1141101");
        let no_area = register_basic(&hc(), None).unwrap();
        assert_eq!(&no_area[58..], &[b' '; 20][..]);
    }

    #[test]
    fn virtual_card_has_a_blank_issue_date() {
        let mut v = hc();
        v.date_issue = None;
        assert_eq!(&basic_data(&v).unwrap()[50..57], b"       ");
    }

    #[test]
    fn names_outside_big5_or_too_long_and_bad_widths_are_errors() {
        let mut v = hc();
        v.name = "😀".into();
        assert_eq!(basic_data(&v), Err(LayoutError::NotBig5("name")));
        v.name = "一二三四五六七八九十一".into();
        assert_eq!(basic_data(&v), Err(LayoutError::TooLong("name", 20)));
        let mut w = hc();
        w.card_id = "1234".into();
        assert_eq!(basic_data(&w), Err(LayoutError::Width("card number", 12)));
        w.card_id = "９00000000711".into();
        assert!(basic_data(&w).is_err());
    }

    #[test]
    fn hpc_chinese_name_is_big5() {
        let h = HpcBasicReply {
            card_id: "0000000001".into(),
            id_no: "A123456789".into(),
            c_name: "吳佳蓉".into(),
            e_name: "WU".into(),
        };
        assert_eq!(hpc_field(&h, HpcField::ChineseName).unwrap().len(), 6);
        assert_eq!(hpc_field(&h, HpcField::IdNo).unwrap(), b"A123456789");
    }
}
