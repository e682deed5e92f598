//! `b64(body) "." b64(mac)`: how the DC hands out a JSON body with its own MAC (the cloud-SAM
//! file, the mobile HCA credential). The MAC itself is the DC's business (its key).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// A body and the MAC over it, as written in a file or credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBlob {
    /// The JSON body bytes.
    pub body: Vec<u8>,
    /// The MAC bytes.
    pub mac: Vec<u8>,
}

impl SignedBlob {
    /// `b64(body).b64(mac)`.
    pub fn encode(&self) -> String {
        format!("{}.{}", B64.encode(&self.body), B64.encode(&self.mac))
    }

    /// Splits at the first `.` and decodes both halves; None if either is not base64.
    pub fn parse(s: &str) -> Option<SignedBlob> {
        let (body, mac) = s.split_once('.')?;
        Some(SignedBlob {
            body: B64.decode(body).ok()?,
            mac: B64.decode(mac).ok()?,
        })
    }

    /// The MAC input: `label ‖ body`.
    pub fn mac_input(label: &[u8], body: &[u8]) -> Vec<u8> {
        [label, body].concat()
    }
}

/// MAC label of a cloud-SAM file.
pub const CLOUD_SAM_LABEL: &[u8] = b"cloud-sam-file";
/// MAC label of a mobile HCA credential.
pub const MOBILE_HCA_LABEL: &[u8] = b"mobile-hca";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let b = SignedBlob {
            body: b"{}".to_vec(),
            mac: vec![1, 2, 3],
        };
        assert_eq!(b.encode(), "e30=.AQID");
        assert_eq!(SignedBlob::parse("e30=.AQID"), Some(b));
        assert_eq!(SignedBlob::parse(" e30=.AQID"), None, "no trimming here");
        assert_eq!(SignedBlob::parse("e30="), None);
        assert_eq!(SignedBlob::parse("€.AQID"), None);
    }
}
