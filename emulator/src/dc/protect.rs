//! Data protection after seed 002: per-field encryption at rest, masking, lookup hashes.
//! The masking rules are the seed's; the cipher is not: seed 002 says 「加密採安全 DES 演算法」,
//! we use AES-256-GCM (a deliberate deviation).

use crate::crypto::hmac256;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Masks an ID number: characters 5–7 become `*` (`A123***789`); the check digit stays.
pub fn mask_id(id: &str) -> String {
    id.chars()
        .enumerate()
        .map(|(i, c)| if (4..7).contains(&i) { '*' } else { c })
        .collect()
}

/// Masks a name. Chinese: the middle characters become `○` (`黃○`, `黃○明`, `黃○○明`);
/// a one-character name becomes `○`. English (ASCII): bytes 3–8 become `*`.
pub fn mask_name(name: &str) -> String {
    if name.is_ascii() {
        return name
            .bytes()
            .enumerate()
            .map(|(i, b)| if (2..8).contains(&i) { '*' } else { b as char })
            .collect();
    }
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "○".to_string(),
        2 => format!("{}○", chars[0]),
        n => format!("{}{}{}", chars[0], "○".repeat(n - 2), chars[n - 1]),
    }
}

/// Encrypts and decrypts one kind of field with AES-256-GCM; the key lives outside the
/// database (the DC's key file), one key per consumer (internal / external).
pub struct FieldCipher {
    key: LessSafeKey,
    lookup: [u8; 32],
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(..)")
    }
}

impl FieldCipher {
    /// From a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Result<FieldCipher, String> {
        let k = UnboundKey::new(&AES_256_GCM, key).map_err(|e| e.to_string())?;
        Ok(FieldCipher {
            key: LessSafeKey::new(k),
            lookup: hmac256(key, &[b"lookup"]),
        })
    }
    /// `nonce ‖ ciphertext ‖ tag`, the field name bound as associated data.
    pub fn seal(&self, field: &str, plain: &str) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|e| e.to_string())?;
        let mut buf = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(field.as_bytes()),
                &mut buf,
            )
            .map_err(|e| e.to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }
    /// Opens a sealed field.
    pub fn open(&self, field: &str, sealed: &[u8]) -> Result<String, String> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err("sealed field too short".into());
        }
        let (n, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(n).map_err(|e| e.to_string())?;
        let mut buf = ct.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(field.as_bytes()), &mut buf)
            .map_err(|_| "field does not decrypt with this key".to_string())?;
        String::from_utf8(plain.to_vec()).map_err(|e| e.to_string())
    }
    /// A keyed hash for equality lookups (no plaintext in the index).
    pub fn lookup_hash(&self, plain: &str) -> String {
        hex::encode(&hmac256(&self.lookup, &[plain.as_bytes()])[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_masking_is_exact() {
        assert_eq!(mask_id("A123456789"), "A123***789");
        assert_eq!(mask_id("C220123180"), "C220***180");
        assert_eq!(mask_id("A12"), "A12");
    }

    #[test]
    fn chinese_name_masking_is_exact() {
        assert_eq!(mask_name("黃"), "○");
        assert_eq!(mask_name("黃明"), "黃○");
        assert_eq!(mask_name("黃小明"), "黃○明");
        assert_eq!(mask_name("黃大小明"), "黃○○明");
        assert_eq!(mask_name("林璿翀"), "林○翀");
        assert_eq!(mask_name("歐陽淼"), "歐○淼");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn english_name_masking_is_exact() {
        assert_eq!(mask_name("TEST DOCTOR"), "TE******TOR");
        assert_eq!(mask_name("LEE"), "LE*");
        assert_eq!(mask_name("AB"), "AB");
    }

    #[test]
    fn fields_round_trip_and_need_the_right_key() {
        let a = FieldCipher::new(&[1; 32]).unwrap();
        let b = FieldCipher::new(&[2; 32]).unwrap();
        let s = a.seal("id_no", "A123456789").unwrap();
        assert!(!s.windows(10).any(|w| w == b"A123456789"));
        assert_eq!(a.open("id_no", &s).unwrap(), "A123456789");
        assert!(b.open("id_no", &s).is_err());
        assert!(a.open("name", &s).is_err(), "field name is bound");
        assert_eq!(a.lookup_hash("A123456789"), a.lookup_hash("A123456789"));
        assert_ne!(a.lookup_hash("A123456789"), b.lookup_hash("A123456789"));
    }
}
