//! The "secure DES" format seed 002 states for IDs handed to consumers (「加密採安全 DES
//! 演算法」, output hex only, length `ceil(n/8)·8·2`, 「加密後的字元組無特殊符號或空白鍵」):
//! 3DES (EDE, three keys) in CBC with a zero IV and zero padding to whole 8-byte blocks, so
//! the same ID always gives the same hex string (consumers join on it) and a consumer can
//! size its columns from the plaintext length alone.
//!
//! Why both this and AES-256-GCM: the DC's own storage keeps AES-256-GCM with a random
//! nonce (protect.rs; modern, authenticated, what the project chose for data at rest);
//! what leaves the DC for a consumer follows the seed's format, because the consumer's
//! columns and joins depend on it. protocol/docs/DC.md, "Data protection".

use super::{rows, Dc, DcError, DcResult};
use crate::crypto::hmac256;
use cbc::cipher::{block_padding::ZeroPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use nhi_protocol::dc::msg::SecureDesReply;
use nhi_protocol::StatusCode;
use rusqlite::params;

type Enc = cbc::Encryptor<des::TdesEde3>;
type Dec = cbc::Decryptor<des::TdesEde3>;

/// The 3DES key (24 bytes) and the zero IV.
pub struct SecureDes {
    key: [u8; 24],
}

/// The hex length of a `n`-byte plaintext: `ceil(n/8)·8·2`.
pub fn hex_len(n: usize) -> usize {
    n.div_ceil(8) * 8 * 2
}

impl SecureDes {
    /// The key derived from the external consumers' field key (one key per audience, as
    /// seed 002 「區分對外與對內主機採取不同金鑰」).
    pub fn from_external_key(external: &[u8; 32]) -> SecureDes {
        let mut key = [0u8; 24];
        key.copy_from_slice(&hmac256(external, &[b"secure-des 3des key"])[..24]);
        SecureDes { key }
    }

    /// Hex (upper case) of the 3DES-CBC ciphertext; a plaintext holding NUL (the padding
    /// byte) or nothing is refused.
    pub fn encrypt_hex(&self, plain: &str) -> Result<String, String> {
        let b = plain.as_bytes();
        if b.is_empty() || b.contains(&0) {
            return Err("secure DES: the plaintext must be non-empty and hold no NUL".into());
        }
        let mut buf = vec![0u8; hex_len(b.len()) / 2];
        let out = Enc::new((&self.key).into(), (&[0u8; 8]).into())
            .encrypt_padded_b2b_mut::<ZeroPadding>(b, &mut buf)
            .map_err(|e| format!("secure DES: {e}"))?;
        Ok(hex::encode_upper(out))
    }

    /// The plaintext of [`Self::encrypt_hex`]'s output.
    pub fn decrypt_hex(&self, hex_text: &str) -> Result<String, String> {
        let mut buf = hex::decode(hex_text).map_err(|e| format!("secure DES: {e}"))?;
        if buf.is_empty() || buf.len() % 8 != 0 {
            return Err("secure DES: not whole 8-byte blocks".into());
        }
        let plain = Dec::new((&self.key).into(), (&[0u8; 8]).into())
            .decrypt_padded_mut::<ZeroPadding>(&mut buf)
            .map_err(|e| format!("secure DES: {e}"))?;
        String::from_utf8(plain.to_vec()).map_err(|e| format!("secure DES: {e}"))
    }
}

impl Dc {
    /// `Admin/ExternalIdDes`: a card holder's ID number in the seed's secure-DES format for
    /// an external consumer; audited.
    pub fn external_id_des(&self, card_no: &str, requester: &str) -> DcResult<SecureDesReply> {
        let c = self.db()?;
        let row = rows::card(&c, card_no)?
            .ok_or_else(|| DcError::new(StatusCode::ParamFormat3, "unknown card"))?;
        let id = self
            .internal
            .open("id_no", &row.id_enc)
            .map_err(|e| DcError::new(StatusCode::DcUndefined, e))?;
        let des = SecureDes::from_external_key(&self.secrets.field_key_external);
        let id_no_des = des.encrypt_hex(&id).map_err(DcError::internal)?;
        c.execute(
            "INSERT INTO audit(at, actor, card_no, action) VALUES (?1,?2,?3,'secure-des encrypt')",
            params![self.now(), requester, card_no],
        )?;
        Ok(SecureDesReply {
            card_id: card_no.to_string(),
            id_no_des,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_hex_of_the_seeds_length_and_decrypts() {
        let d = SecureDes::from_external_key(&[7; 32]);
        for plain in ["A", "A1234567", "A123456789", "A12345678901234567"] {
            let h = d.encrypt_hex(plain).unwrap();
            assert_eq!(h.len(), hex_len(plain.len()), "{plain}");
            assert!(h.bytes().all(|b| b.is_ascii_hexdigit()), "{h}");
            assert_eq!(d.decrypt_hex(&h).unwrap(), plain);
        }
        assert_eq!(hex_len(10), 32);
        assert_eq!(hex_len(8), 16);
        // Deterministic (consumers join on it), key-dependent.
        let h = d.encrypt_hex("A123456789").unwrap();
        assert_eq!(h, d.encrypt_hex("A123456789").unwrap());
        let other = SecureDes::from_external_key(&[8; 32]);
        assert_ne!(h, other.encrypt_hex("A123456789").unwrap());
    }

    #[test]
    fn bad_input_is_an_error() {
        let d = SecureDes::from_external_key(&[7; 32]);
        assert!(d.encrypt_hex("").is_err());
        assert!(d.encrypt_hex("A\0").is_err());
        assert!(d.decrypt_hex("XYZ").is_err());
        assert!(d.decrypt_hex("ABCD").is_err());
    }
}
