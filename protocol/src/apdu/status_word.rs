//! The status word of an R-APDU as a type: named constants, `is_ok`, `retries_left`.

use super::sw;

/// An ISO 7816-4 status word (SW1 SW2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sw(pub u16);

impl Sw {
    /// Normal processing.
    pub const OK: Sw = Sw(sw::OK);
    /// Security status not satisfied (e.g. PIN not verified).
    pub const SECURITY_NOT_SATISFIED: Sw = Sw(sw::SECURITY_NOT_SATISFIED);
    /// Authentication method blocked.
    pub const BLOCKED: Sw = Sw(sw::BLOCKED);
    /// File or application not found.
    pub const NOT_FOUND: Sw = Sw(sw::NOT_FOUND);
    /// What a client reports for an R-APDU shorter than its status word (no precise
    /// error: ISO 7816-4 "no information given").
    pub const NO_INFORMATION: Sw = Sw(sw::NO_INFORMATION);

    /// 9000.
    pub fn is_ok(self) -> bool {
        self == Sw::OK
    }

    /// `x` for a wrong-PIN answer 63Cx, None otherwise.
    pub fn retries_left(self) -> Option<u8> {
        (self.0 & 0xFFF0 == 0x63C0).then_some((self.0 & 0x000F) as u8)
    }
}

impl std::fmt::Display for Sw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// An R-APDU split into its data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// Status word ([`Sw::NO_INFORMATION`] when the R-APDU had fewer than 2 bytes).
    pub sw: Sw,
}

impl Response {
    /// Splits raw R-APDU bytes.
    pub fn from_bytes(r: &[u8]) -> Response {
        match super::split_response(r) {
            Some((d, s)) => Response {
                data: d.to_vec(),
                sw: Sw(s),
            },
            None => Response {
                data: Vec::new(),
                sw: Sw::NO_INFORMATION,
            },
        }
    }
    /// True on 9000.
    pub fn is_ok(&self) -> bool {
        self.sw.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_and_display() {
        assert_eq!(Sw(sw::retries_left(2)).retries_left(), Some(2));
        assert_eq!(Sw::OK.retries_left(), None);
        assert_eq!(Sw::BLOCKED.to_string(), "6983");
        assert_eq!(Response::from_bytes(&[1]).sw, Sw::NO_INFORMATION);
        assert!(Response::from_bytes(&[7, 0x90, 0]).is_ok());
    }
}
