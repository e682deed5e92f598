//! Identity formats of the NHI card world with validating parsers.
//!
//! Each type can only be built through its parser, so a value in hand is well-formed.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why an identity string was refused; names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentError {
    /// Wrong number of characters.
    #[error("{field}: expected {expected} characters, got {got}")]
    Length {
        /// Field name.
        field: &'static str,
        /// Expected length (or range) as text.
        expected: &'static str,
        /// Length received.
        got: usize,
    },
    /// A character outside the field's alphabet.
    #[error("{field}: {reason}")]
    Format {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);
        impl $name {
            /// The identity as text.
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
        }
        impl From<$name> for String { fn from(v: $name) -> String { v.0 } }
        impl TryFrom<String> for $name {
            type Error = IdentError;
            fn try_from(s: String) -> Result<Self, IdentError> { $name::parse(&s) }
        }
        impl std::str::FromStr for $name {
            type Err = IdentError;
            fn from_str(s: &str) -> Result<Self, IdentError> { $name::parse(s) }
        }
    };
}

string_id!(
    /// SAM id: 12 digits; first digit `0` = production card, `9` = test card.
    SamId
);
impl SamId {
    /// Parses a SAM id.
    pub fn parse(s: &str) -> Result<SamId, IdentError> {
        if s.len() != 12 {
            return Err(IdentError::Length {
                field: "samId",
                expected: "12",
                got: s.len(),
            });
        }
        if !all_digits(s) {
            return Err(IdentError::Format {
                field: "samId",
                reason: "digits only",
            });
        }
        if !s.starts_with('0') && !s.starts_with('9') {
            return Err(IdentError::Format {
                field: "samId",
                reason: "first digit must be 0 (production) or 9 (test)",
            });
        }
        Ok(SamId(s.to_string()))
    }
    /// True for a test SAM (first digit 9).
    pub fn is_test(&self) -> bool {
        self.0.starts_with('9')
    }
}

string_id!(
    /// Hospital (healthcare institution) id: 10 characters, letters, digits and `_` (test cards).
    HospitalId
);
impl HospitalId {
    /// Parses a hospital id.
    pub fn parse(s: &str) -> Result<HospitalId, IdentError> {
        if s.len() != 10 {
            return Err(IdentError::Length {
                field: "hospitalId",
                expected: "10",
                got: s.len(),
            });
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(IdentError::Format {
                field: "hospitalId",
                reason: "letters, digits or _ only",
            });
        }
        Ok(HospitalId(s.to_string()))
    }
}

string_id!(
    /// HC card number: 12 digits. Test cards start with `9`.
    HcCardNo
);
impl HcCardNo {
    /// Parses an HC card number.
    pub fn parse(s: &str) -> Result<HcCardNo, IdentError> {
        if s.len() != 12 {
            return Err(IdentError::Length {
                field: "hcId",
                expected: "12",
                got: s.len(),
            });
        }
        if !all_digits(s) {
            return Err(IdentError::Format {
                field: "hcId",
                reason: "digits only",
            });
        }
        Ok(HcCardNo(s.to_string()))
    }
    /// True for a test card (first digit 9), by the same convention as SAM ids.
    pub fn is_test(&self) -> bool {
        self.0.starts_with('9')
    }
}

string_id!(
    /// HPC card id: 12–20 digits.
    HpcId
);
impl HpcId {
    /// Parses an HPC card id.
    pub fn parse(s: &str) -> Result<HpcId, IdentError> {
        if !(12..=20).contains(&s.len()) {
            return Err(IdentError::Length {
                field: "hpcId",
                expected: "12-20",
                got: s.len(),
            });
        }
        if !all_digits(s) {
            return Err(IdentError::Format {
                field: "hpcId",
                reason: "digits only",
            });
        }
        Ok(HpcId(s.to_string()))
    }
}

string_id!(
    /// National ID number: 10 characters, an upper-case letter then 9 letters/digits.
    IdNo
);

/// Numeric value of the first letter of a Taiwanese ID number.
fn letter_value(c: u8) -> Option<u32> {
    const ORDER: &[u8; 26] = b"ABCDEFGHJKLMNPQRSTUVXYWZIO";
    ORDER.iter().position(|&x| x == c).map(|p| p as u32 + 10)
}

impl IdNo {
    /// Parses an ID number (format only; see [`IdNo::has_valid_check_digit`]).
    pub fn parse(s: &str) -> Result<IdNo, IdentError> {
        if s.len() != 10 {
            return Err(IdentError::Length {
                field: "idNo",
                expected: "10",
                got: s.len(),
            });
        }
        let b = s.as_bytes();
        if !b[0].is_ascii_uppercase() {
            return Err(IdentError::Format {
                field: "idNo",
                reason: "must start with an upper-case letter",
            });
        }
        if !b[1..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        {
            return Err(IdentError::Format {
                field: "idNo",
                reason: "upper-case letters and digits only",
            });
        }
        Ok(IdNo(s.to_string()))
    }

    /// Parses a national ID number and insists on the sex digit and the check digit.
    pub fn parse_strict(s: &str) -> Result<IdNo, IdentError> {
        let id = IdNo::parse(s)?;
        if !id.has_valid_check_digit() {
            return Err(IdentError::Format {
                field: "idNo",
                reason: "check digit does not match",
            });
        }
        Ok(id)
    }

    /// The check digit a letter plus 8 digits need (the 10th character).
    pub fn check_digit(prefix9: &str) -> Option<u8> {
        let b = prefix9.as_bytes();
        if b.len() != 9 || !b[1..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = letter_value(b[0])?;
        let mut sum = v / 10 + (v % 10) * 9;
        for (i, d) in b[1..].iter().enumerate() {
            sum += u32::from(d - b'0') * (8 - i as u32);
        }
        Some(((10 - sum % 10) % 10) as u8)
    }

    /// True when the string is a national ID (letter, 1/2, 8 digits) with a correct check digit.
    pub fn has_valid_check_digit(&self) -> bool {
        let b = self.0.as_bytes();
        if !matches!(b[1], b'1' | b'2') || !b[1..].iter().all(u8::is_ascii_digit) {
            return false;
        }
        IdNo::check_digit(&self.0[..9]) == Some(b[9] - b'0')
    }
}

/// A date in the ROC calendar, 7 characters `yyyMMdd` (year = AD − 1911).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RocDate {
    /// ROC year (1..=999).
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31 (checked against the month).
    pub day: u8,
}

impl RocDate {
    /// Parses `yyyMMdd`.
    pub fn parse(s: &str) -> Result<RocDate, IdentError> {
        if s.len() != 7 {
            return Err(IdentError::Length {
                field: "rocDate",
                expected: "7",
                got: s.len(),
            });
        }
        if !all_digits(s) {
            return Err(IdentError::Format {
                field: "rocDate",
                reason: "digits only",
            });
        }
        // Seven ASCII digits (checked above): the number is read digit by digit, so no
        // parse can fail and no value is made up.
        let b = s.as_bytes();
        let n = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
        };
        RocDate::new(n(0..3), n(3..5) as u8, n(5..7) as u8)
    }
    /// Builds a date, checking ranges (leap years by the Gregorian rule on AD year).
    pub fn new(year: u16, month: u8, day: u8) -> Result<RocDate, IdentError> {
        let bad = |reason| {
            Err(IdentError::Format {
                field: "rocDate",
                reason,
            })
        };
        if year == 0 {
            return bad("year 000 does not exist");
        }
        if !(1..=12).contains(&month) {
            return bad("month must be 01-12");
        }
        let ad = u32::from(year) + 1911;
        let leap = (ad % 4 == 0 && ad % 100 != 0) || ad % 400 == 0;
        let max = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day == 0 || day > max {
            return bad("day out of range for the month");
        }
        Ok(RocDate { year, month, day })
    }
    /// The Gregorian (AD) year.
    pub fn ad_year(&self) -> u16 {
        self.year + 1911
    }
}
impl std::fmt::Display for RocDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:03}{:02}{:02}", self.year, self.month, self.day)
    }
}
impl From<RocDate> for String {
    fn from(d: RocDate) -> String {
        d.to_string()
    }
}
impl TryFrom<String> for RocDate {
    type Error = IdentError;
    fn try_from(s: String) -> Result<Self, IdentError> {
        RocDate::parse(&s)
    }
}

/// Sex as the card stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// `M`.
    #[serde(rename = "M")]
    Male,
    /// `F`.
    #[serde(rename = "F")]
    Female,
}
impl Sex {
    /// Parses `M` or `F`.
    pub fn parse(s: &str) -> Result<Sex, IdentError> {
        match s {
            "M" => Ok(Sex::Male),
            "F" => Ok(Sex::Female),
            _ => Err(IdentError::Format {
                field: "sex",
                reason: "must be M or F",
            }),
        }
    }
    /// The one-letter code.
    pub fn code(self) -> char {
        match self {
            Sex::Male => 'M',
            Sex::Female => 'F',
        }
    }
}

/// Identity status (身分註記): 1 福民, 2 榮民, 3 一般, 4 中低收入, 8 災民.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum IdentityStatus {
    /// 1 福民.
    Welfare,
    /// 2 榮民 (veteran).
    Veteran,
    /// 3 一般 (general).
    General,
    /// 4 中低收入 (low income).
    LowIncome,
    /// 8 災民 (disaster victim).
    DisasterVictim,
}
impl IdentityStatus {
    /// Parses the one-digit code.
    pub fn parse(s: &str) -> Result<IdentityStatus, IdentError> {
        Ok(match s {
            "1" => IdentityStatus::Welfare,
            "2" => IdentityStatus::Veteran,
            "3" => IdentityStatus::General,
            "4" => IdentityStatus::LowIncome,
            "8" => IdentityStatus::DisasterVictim,
            _ => {
                return Err(IdentError::Format {
                    field: "identityStatus",
                    reason: "must be 1, 2, 3, 4 or 8",
                })
            }
        })
    }
    /// The one-digit code.
    pub fn code(self) -> char {
        match self {
            IdentityStatus::Welfare => '1',
            IdentityStatus::Veteran => '2',
            IdentityStatus::General => '3',
            IdentityStatus::LowIncome => '4',
            IdentityStatus::DisasterVictim => '8',
        }
    }
}
impl From<IdentityStatus> for String {
    fn from(v: IdentityStatus) -> String {
        v.code().to_string()
    }
}
impl TryFrom<String> for IdentityStatus {
    type Error = IdentError;
    fn try_from(s: String) -> Result<Self, IdentError> {
        IdentityStatus::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sam_ids() {
        assert!(SamId::parse("901000000047").unwrap().is_test());
        assert!(!SamId::parse("001000000103").unwrap().is_test());
        assert!(matches!(
            SamId::parse("50100000004"),
            Err(IdentError::Length { .. })
        ));
        assert!(matches!(
            SamId::parse("501000000047"),
            Err(IdentError::Format { .. })
        ));
        assert!(matches!(
            SamId::parse("90100000004x"),
            Err(IdentError::Format { .. })
        ));
    }

    #[test]
    fn hospital_hc_hpc() {
        assert!(HospitalId::parse("7777777777").is_ok());
        assert!(HospitalId::parse("35012_0000").is_ok());
        assert!(HospitalId::parse("777777777").is_err());
        assert!(HospitalId::parse("77777-7777").is_err());
        assert!(HcCardNo::parse("900000000711").unwrap().is_test());
        assert!(HcCardNo::parse("90000000071").is_err());
        assert!(HpcId::parse("100000291508").is_ok());
        assert!(HpcId::parse("12345678901234567890").is_ok());
        assert!(HpcId::parse("12345678901").is_err());
        assert!(HpcId::parse("123456789012345678901").is_err());
    }

    #[test]
    fn id_numbers_and_check_digits() {
        // A123456789 is the textbook valid example.
        assert!(IdNo::parse_strict("A123456789").is_ok());
        assert!(IdNo::parse_strict("A123456788").is_err());
        assert_eq!(IdNo::check_digit("A12345678"), Some(9));
        // The seed's sample is format-valid but not a national ID.
        let sample = IdNo::parse("R88855084A").unwrap();
        assert!(!sample.has_valid_check_digit());
        assert!(IdNo::parse("a123456789").is_err());
        assert!(IdNo::parse("A12345678").is_err());
    }

    #[test]
    fn roc_dates() {
        let d = RocDate::parse("0741201").unwrap();
        assert_eq!((d.year, d.month, d.day, d.ad_year()), (74, 12, 1, 1985));
        assert_eq!(d.to_string(), "0741201");
        assert!(RocDate::parse("1130229").is_ok()); // 2024 leap
        assert!(RocDate::parse("1120229").is_err());
        assert!(RocDate::parse("1121301").is_err());
        assert!(RocDate::parse("112010").is_err());
        assert!(RocDate::parse("0000101").is_err());
    }

    #[test]
    fn sex_and_status() {
        assert_eq!(Sex::parse("F").unwrap(), Sex::Female);
        assert!(Sex::parse("X").is_err());
        for c in ["1", "2", "3", "4", "8"] {
            assert_eq!(IdentityStatus::parse(c).unwrap().code().to_string(), c);
        }
        assert!(IdentityStatus::parse("5").is_err());
    }
}

/// The ROC date-time `yyyMMddHHmmss` of a Unix instant (Taiwan time, UTC+8).
pub fn roc_datetime(unix: i64) -> String {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp(unix.saturating_add(8 * 3600), 0).unwrap_or_default();
    format!(
        "{:03}{:02}{:02}{:02}{:02}{:02}",
        t.year() - 1911,
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod roc_datetime_tests {
    #[test]
    fn taiwan_time() {
        // 2019-12-31T16:00:00Z is 2020-01-01 00:00 in Taipei = ROC 109.
        assert_eq!(super::roc_datetime(1_577_808_000), "1090101000000");
    }
}
