//! Virtual-card (QR) token layout (the project's own; no seed specifies one).
//!
//! `b64(iv16) . b64(AES-128-CBC(payload64)) . b64(alg/key-id byte ‖ signature)`.
//! The DC signs `seg1 "." seg2` (the ASCII of the first two segments as sent).

use crate::ident::{HcCardNo, IdNo, IdentityStatus, RocDate, Sex};
use crate::StatusCode;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Payload length (plaintext and ciphertext: 4 AES blocks, no padding).
pub const PAYLOAD_LEN: usize = 64;
/// IV length.
pub const IV_LEN: usize = 16;
/// Payload layout version this crate writes.
pub const PAYLOAD_VERSION: u8 = 1;
/// A token is valid this many seconds after its issue instant (seed 000: 60 s).
pub const TOKEN_LIFETIME_SECS: i64 = 60;

/// Signature algorithm named in the high nibble of the third segment's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenAlg {
    /// ECDSA P-256 SHA-256, fixed r‖s (64 bytes). Default.
    Es256,
    /// RSASSA-PKCS1-v1_5 SHA-256, 2048-bit (256 bytes).
    Rs256,
}

impl TokenAlg {
    /// The nibble code.
    pub fn code(self) -> u8 {
        match self {
            TokenAlg::Es256 => 1,
            TokenAlg::Rs256 => 2,
        }
    }
    /// Signature length in bytes.
    pub fn sig_len(self) -> usize {
        match self {
            TokenAlg::Es256 => 64,
            TokenAlg::Rs256 => 256,
        }
    }
    /// From the nibble code.
    pub fn from_code(c: u8) -> Option<TokenAlg> {
        match c {
            1 => Some(TokenAlg::Es256),
            2 => Some(TokenAlg::Rs256),
            _ => None,
        }
    }
}

/// The 64-byte plaintext payload.
///
/// Layout: version 1 | card no 12 | ID no 10 | name 20 (Big5) | birthday 7 | sex 1 |
/// identity status 1 | issued (u32 BE unix s) 4 | serial (u32 BE) 4 | card valid until
/// (u32 BE unix s) 4 = 64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// HC card number the virtual card stands for.
    pub card_no: HcCardNo,
    /// ID number.
    pub id_no: IdNo,
    /// Name.
    pub name: String,
    /// Birthday.
    pub birthday: RocDate,
    /// Sex.
    pub sex: Sex,
    /// Identity status.
    pub identity_status: IdentityStatus,
    /// Issue instant, unix seconds (virtual clock).
    pub issued_at: u32,
    /// Token serial number (unique per DC).
    pub serial: u32,
    /// End of the virtual card's validity, unix seconds.
    pub valid_until: u32,
}

impl Payload {
    /// Encodes the fixed layout. Fails only on a name outside Big5.
    pub fn encode(&self) -> Result<[u8; PAYLOAD_LEN], crate::basic::BasicError> {
        let mut b = [0u8; PAYLOAD_LEN];
        b[0] = PAYLOAD_VERSION;
        b[1..13].copy_from_slice(self.card_no.as_str().as_bytes());
        b[13..23].copy_from_slice(self.id_no.as_str().as_bytes());
        b[23..43].copy_from_slice(&crate::basic::encode_name(&self.name)?);
        b[43..50].copy_from_slice(self.birthday.to_string().as_bytes());
        b[50] = self.sex.code() as u8;
        b[51] = self.identity_status.code() as u8;
        b[52..56].copy_from_slice(&self.issued_at.to_be_bytes());
        b[56..60].copy_from_slice(&self.serial.to_be_bytes());
        b[60..64].copy_from_slice(&self.valid_until.to_be_bytes());
        Ok(b)
    }

    /// Decodes the fixed layout; any malformed field → 1522 (shape mismatch).
    pub fn decode(b: &[u8]) -> Result<Payload, StatusCode> {
        if b.len() != PAYLOAD_LEN || b[0] != PAYLOAD_VERSION {
            return Err(StatusCode::TokenShape);
        }
        let s = |r: std::ops::Range<usize>| {
            std::str::from_utf8(&b[r]).map_err(|_| StatusCode::TokenShape)
        };
        let be = |r: std::ops::Range<usize>| {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[r]);
            u32::from_be_bytes(a)
        };
        let f = |_| StatusCode::TokenShape;
        Ok(Payload {
            card_no: HcCardNo::parse(s(1..13)?).map_err(f)?,
            id_no: IdNo::parse(s(13..23)?).map_err(f)?,
            name: crate::basic::decode_name(&b[23..43]).map_err(|_| StatusCode::TokenShape)?,
            birthday: RocDate::parse(s(43..50)?).map_err(f)?,
            sex: Sex::parse(s(50..51)?).map_err(f)?,
            identity_status: IdentityStatus::parse(s(51..52)?).map_err(f)?,
            issued_at: be(52..56),
            serial: be(56..60),
            valid_until: be(60..64),
        })
    }
}

/// A token split into its parts, before any cryptography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenParts<'a> {
    /// The text that is signed: `seg1 "." seg2`.
    pub signed_text: &'a str,
    /// IV.
    pub iv: [u8; IV_LEN],
    /// Ciphertext of the payload.
    pub ciphertext: [u8; PAYLOAD_LEN],
    /// Algorithm.
    pub alg: TokenAlg,
    /// Key id (low nibble).
    pub key_id: u8,
    /// Signature bytes.
    pub signature: Vec<u8>,
}

/// Splits and base64-decodes a token.
///
/// Not three `.`-separated base64 segments → 1520 (format); wrong segment lengths or an
/// unknown algorithm → 1522 (shape).
pub fn split(token: &str) -> Result<TokenParts<'_>, StatusCode> {
    let token = token.trim();
    let mut it = token.split('.');
    let (Some(a), Some(b), Some(c), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(StatusCode::TokenFormat);
    };
    let signed_text = &token[..a.len() + 1 + b.len()];
    let mut iv = [0u8; IV_LEN];
    let mut ct = [0u8; PAYLOAD_LEN];
    let mut sig = [0u8; 1 + 256 + 3];
    let n_iv = decode_into(a, &mut iv)?;
    let n_ct = decode_into(b, &mut ct)?;
    let n_sig = decode_into(c, &mut sig)?;
    if n_iv != IV_LEN || n_ct != PAYLOAD_LEN || n_sig < 1 {
        return Err(StatusCode::TokenShape);
    }
    let alg = TokenAlg::from_code(sig[0] >> 4).ok_or(StatusCode::TokenShape)?;
    if n_sig != 1 + alg.sig_len() {
        return Err(StatusCode::TokenShape);
    }
    Ok(TokenParts {
        signed_text,
        iv,
        ciphertext: ct,
        alg,
        key_id: sig[0] & 0x0F,
        signature: sig[1..n_sig].to_vec(),
    })
}

/// Decodes base64 into `out`, returning the length; too long → 1522, not base64 → 1520.
fn decode_into(seg: &str, out: &mut [u8]) -> Result<usize, StatusCode> {
    if seg.is_empty() {
        return Err(StatusCode::TokenFormat);
    }
    if seg.len() > out.len().div_ceil(3) * 4 + 4 {
        return Err(StatusCode::TokenShape);
    }
    let mut buf = [0u8; 300];
    let n = STANDARD
        .decode_slice(seg, &mut buf)
        .map_err(|_| StatusCode::TokenFormat)?;
    if n > out.len() {
        return Err(StatusCode::TokenShape);
    }
    out[..n].copy_from_slice(&buf[..n]);
    Ok(n)
}

/// Joins the parts of a token: `b64(iv).b64(ct).b64(alg‖sig)` (the third built by the caller).
pub fn join(iv: &[u8], ciphertext: &[u8]) -> String {
    format!("{}.{}", STANDARD.encode(iv), STANDARD.encode(ciphertext))
}

/// Encodes the third segment.
pub fn signature_segment(alg: TokenAlg, key_id: u8, sig: &[u8]) -> String {
    let mut v = Vec::with_capacity(1 + sig.len());
    v.push((alg.code() << 4) | (key_id & 0x0F));
    v.extend_from_slice(sig);
    STANDARD.encode(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> Payload {
        Payload {
            card_no: HcCardNo::parse("900000000711").unwrap(),
            id_no: IdNo::parse("A123456789").unwrap(),
            name: "吳佳蓉".into(),
            birthday: RocDate::parse("0741201").unwrap(),
            sex: Sex::Female,
            identity_status: IdentityStatus::LowIncome,
            issued_at: 1_700_000_000,
            serial: 42,
            valid_until: 1_800_000_000,
        }
    }

    #[test]
    fn payload_round_trip() {
        let b = payload().encode().unwrap();
        assert_eq!(Payload::decode(&b).unwrap(), payload());
        let mut bad = b;
        bad[0] = 9;
        assert_eq!(Payload::decode(&bad), Err(StatusCode::TokenShape));
    }

    #[test]
    fn split_checks_shape() {
        let head = join(&[1u8; 16], &[2u8; 64]);
        let tok = format!(
            "{head}.{}",
            signature_segment(TokenAlg::Es256, 3, &[7u8; 64])
        );
        let p = split(&tok).unwrap();
        assert_eq!(
            (p.alg, p.key_id, p.signature.len()),
            (TokenAlg::Es256, 3, 64)
        );
        assert_eq!(p.signed_text, head);
        assert_eq!(split("abc").unwrap_err(), StatusCode::TokenFormat);
        assert_eq!(split("a.b.c.d").unwrap_err(), StatusCode::TokenFormat);
        assert_eq!(split("!!!.AAAA.AAAA").unwrap_err(), StatusCode::TokenFormat);
        let short = format!(
            "{}.{}",
            join(&[1u8; 15], &[2u8; 64]),
            signature_segment(TokenAlg::Es256, 0, &[7u8; 64])
        );
        assert_eq!(split(&short).unwrap_err(), StatusCode::TokenShape);
        let wrong_sig = format!(
            "{head}.{}",
            signature_segment(TokenAlg::Rs256, 0, &[7u8; 64])
        );
        assert_eq!(split(&wrong_sig).unwrap_err(), StatusCode::TokenShape);
    }
}
