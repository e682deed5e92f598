//! The 70-byte HPC basic-data record (GET DATA `00 CA 13 00`): card id 20 ‖ ID number 10 ‖
//! Chinese name 20 (Big5, NUL padded) ‖ English name 20. Text fields are ASCII, space padded.

use crate::basic::{decode_name, encode_name, BasicError};
use thiserror::Error;

/// Length of the record.
pub const HPC_BASIC_LEN: usize = 70;

/// Why an HPC basic record could not be coded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HpcBasicError {
    /// The record is not 70 bytes.
    #[error("HPC basic data must be 70 bytes, got {0}")]
    Length(usize),
    /// A text field is not ASCII, or too long for its place.
    #[error("HPC basic data: field {0} is not ASCII of its length")]
    Field(&'static str),
    /// The name cannot be coded.
    #[error(transparent)]
    Name(#[from] BasicError),
}

/// The HPC basic record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpcBasic {
    /// Card id (12–20 digits).
    pub card_id: String,
    /// Holder's ID number.
    pub id_no: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
}

fn put(out: &mut [u8], field: &'static str, value: &str) -> Result<(), HpcBasicError> {
    if !value.is_ascii() || value.len() > out.len() {
        return Err(HpcBasicError::Field(field));
    }
    out.fill(b' ');
    out[..value.len()].copy_from_slice(value.as_bytes());
    Ok(())
}

fn get(b: &[u8], field: &'static str) -> Result<String, HpcBasicError> {
    if !b.is_ascii() {
        return Err(HpcBasicError::Field(field));
    }
    Ok(String::from_utf8_lossy(b).trim().to_string())
}

impl HpcBasic {
    /// The card's bytes.
    pub fn encode(&self) -> Result<[u8; HPC_BASIC_LEN], HpcBasicError> {
        let mut out = [b' '; HPC_BASIC_LEN];
        let (card_id, rest) = out.split_at_mut(20);
        let (id_no, rest) = rest.split_at_mut(10);
        let (name, name_en) = rest.split_at_mut(20);
        put(card_id, "card id", &self.card_id)?;
        put(id_no, "ID number", &self.id_no)?;
        name.copy_from_slice(&encode_name(&self.name)?);
        put(name_en, "English name", &self.name_en)?;
        Ok(out)
    }

    /// Parses the card's bytes.
    pub fn decode(b: &[u8]) -> Result<HpcBasic, HpcBasicError> {
        if b.len() != HPC_BASIC_LEN {
            return Err(HpcBasicError::Length(b.len()));
        }
        let (card_id, rest) = b.split_at(20);
        let (id_no, rest) = rest.split_at(10);
        let (name, name_en) = rest.split_at(20);
        Ok(HpcBasic {
            card_id: get(card_id, "card id")?,
            id_no: get(id_no, "ID number")?,
            name: decode_name(name)?,
            name_en: get(name_en, "English name")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_records() {
        let h = HpcBasic {
            card_id: "100000291508".into(),
            id_no: "A123456789".into(),
            name: "王大明".into(),
            name_en: "WANG DA-MING".into(),
        };
        let b = h.encode().unwrap();
        assert_eq!(&b[..12], b"100000291508");
        assert_eq!(HpcBasic::decode(&b).unwrap(), h);
        assert_eq!(HpcBasic::decode(&b[..69]), Err(HpcBasicError::Length(69)));
        let long = HpcBasic {
            card_id: "1".repeat(21),
            ..h
        };
        assert_eq!(long.encode(), Err(HpcBasicError::Field("card id")));
    }
}
