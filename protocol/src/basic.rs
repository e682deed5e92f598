//! The 57-byte HC basic-data record (GET DATA `00 CA 11 00`), and Big5 name coding.

use crate::ident::{HcCardNo, IdNo, IdentError, RocDate, Sex};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Length of the basic-data record.
pub const BASIC_LEN: usize = 57;
/// Bytes of the name field (Big5, NUL or space padded).
pub const NAME_LEN: usize = 20;

/// Why a name or a record could not be coded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BasicError {
    /// The name has a character Big5 cannot represent.
    #[error("name {0:?} has characters outside Big5")]
    NotBig5(String),
    /// The name needs more than 20 bytes in Big5.
    #[error("name {0:?} needs more than 20 bytes in Big5")]
    NameTooLong(String),
    /// The record is not 57 bytes.
    #[error("basic data must be 57 bytes, got {0}")]
    Length(usize),
    /// The name bytes are not valid Big5.
    #[error("name bytes are not valid Big5")]
    BadBig5,
    /// A field inside the record is malformed.
    #[error(transparent)]
    Field(#[from] IdentError),
}

/// Encodes a name to Big5, padded with NUL to 20 bytes.
pub fn encode_name(name: &str) -> Result<[u8; NAME_LEN], BasicError> {
    let (bytes, _, had_errors) = encoding_rs::BIG5.encode(name);
    if had_errors {
        return Err(BasicError::NotBig5(name.to_string()));
    }
    if bytes.len() > NAME_LEN {
        return Err(BasicError::NameTooLong(name.to_string()));
    }
    let mut out = [0u8; NAME_LEN];
    out[..bytes.len()].copy_from_slice(&bytes);
    Ok(out)
}

/// Decodes a Big5 name field, dropping NUL and space padding.
pub fn decode_name(field: &[u8]) -> Result<String, BasicError> {
    let end = field
        .iter()
        .rposition(|&b| b != 0 && b != b' ')
        .map_or(0, |p| p + 1);
    let (text, had_errors) = encoding_rs::BIG5.decode_without_bom_handling(&field[..end]);
    if had_errors {
        return Err(BasicError::BadBig5);
    }
    Ok(text.into_owned())
}

/// True when the name fits the card's name field.
pub fn is_big5_name(name: &str) -> bool {
    encode_name(name).is_ok()
}

/// The HC basic data as the card holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicData {
    /// Card number, 12 digits.
    pub card_no: HcCardNo,
    /// Name (Big5-representable, ≤ 20 bytes).
    pub name: String,
    /// ID number.
    pub id_no: IdNo,
    /// Birthday (ROC).
    pub birthday: RocDate,
    /// Sex.
    pub sex: Sex,
    /// Card issue date (ROC); virtual cards have none.
    pub issue_date: Option<RocDate>,
}

impl BasicData {
    /// Encodes the 57-byte record: card no 12 | name 20 | ID 10 | birthday 7 | sex 1 | issue 7.
    pub fn encode(&self) -> Result<[u8; BASIC_LEN], BasicError> {
        let mut out = [0u8; BASIC_LEN];
        out[0..12].copy_from_slice(self.card_no.as_str().as_bytes());
        out[12..32].copy_from_slice(&encode_name(&self.name)?);
        out[32..42].copy_from_slice(self.id_no.as_str().as_bytes());
        out[42..49].copy_from_slice(self.birthday.to_string().as_bytes());
        out[49] = self.sex.code() as u8;
        match self.issue_date {
            Some(d) => out[50..57].copy_from_slice(d.to_string().as_bytes()),
            None => out[50..57].fill(b' '),
        }
        Ok(out)
    }

    /// Decodes and validates a 57-byte record.
    pub fn decode(b: &[u8]) -> Result<BasicData, BasicError> {
        if b.len() != BASIC_LEN {
            return Err(BasicError::Length(b.len()));
        }
        let s = |r: std::ops::Range<usize>| String::from_utf8_lossy(&b[r]).into_owned();
        let issue = s(50..57);
        Ok(BasicData {
            card_no: HcCardNo::parse(&s(0..12))?,
            name: decode_name(&b[12..32])?,
            id_no: IdNo::parse(&s(32..42))?,
            birthday: RocDate::parse(&s(42..49))?,
            sex: Sex::parse(&s(49..50))?,
            issue_date: if issue.trim().is_empty() {
                None
            } else {
                Some(RocDate::parse(&issue)?)
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BasicData {
        BasicData {
            card_no: HcCardNo::parse("900000000711").unwrap(),
            name: "吳佳蓉".into(),
            id_no: IdNo::parse("R88855084A").unwrap(),
            birthday: RocDate::parse("0741201").unwrap(),
            sex: Sex::Female,
            issue_date: Some(RocDate::parse("1080101").unwrap()),
        }
    }

    #[test]
    fn round_trip_57_bytes() {
        let b = sample().encode().unwrap();
        assert_eq!(b.len(), 57);
        assert_eq!(&b[0..12], b"900000000711");
        assert_eq!(&b[49..50], b"F");
        assert_eq!(BasicData::decode(&b).unwrap(), sample());
    }

    #[test]
    fn big5_names() {
        let f = encode_name("吳佳蓉").unwrap();
        assert_eq!(&f[..6], &[0xA7, 0x64, 0xA8, 0xCE, 0xBB, 0x54]);
        assert_eq!(decode_name(&f).unwrap(), "吳佳蓉");
        let mut spaced = [b' '; 20];
        spaced[..6].copy_from_slice(&f[..6]);
        assert_eq!(decode_name(&spaced).unwrap(), "吳佳蓉");
        assert!(matches!(encode_name("😀"), Err(BasicError::NotBig5(_))));
        assert!(matches!(
            encode_name("一二三四五六七八九十壹"),
            Err(BasicError::NameTooLong(_))
        ));
        assert!(is_big5_name("林璿翀"));
    }

    #[test]
    fn virtual_has_no_issue_date() {
        let mut v = sample();
        v.issue_date = None;
        let b = v.encode().unwrap();
        assert_eq!(&b[50..57], b"       ");
        assert_eq!(BasicData::decode(&b).unwrap().issue_date, None);
        assert!(matches!(
            BasicData::decode(&b[..56]),
            Err(BasicError::Length(56))
        ));
    }
}
