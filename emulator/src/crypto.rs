//! Thin helpers over aws-lc-rs (HMAC, RSA and ECDSA) and RustCrypto AES-CBC.
//!
//! AES-128-CBC without padding comes from the `aes` + `cbc` crates: aws-lc-rs only offers
//! CBC with PKCS#7 padding, and the token payload is exactly four blocks (the layout of
//! `nhi_protocol::token`).

use aws_lc_rs::{hmac, rand::SystemRandom, signature};
use signature::KeyPair;
use std::sync::Arc;

use crate::keys;

/// HMAC-SHA256 of the concatenation of `parts`.
pub fn hmac256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&k);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// Constant-time equality.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An RSA-2048 signing key (PKCS#1 v1.5, SHA-256).
#[derive(Debug)]
pub struct RsaSigner {
    key: signature::RsaKeyPair,
}

impl RsaSigner {
    /// From PKCS#8 DER.
    pub fn from_pkcs8(der: &[u8]) -> Result<RsaSigner, String> {
        signature::RsaKeyPair::from_pkcs8(der)
            .map(|key| RsaSigner { key })
            .map_err(|e| e.to_string())
    }
    /// Signs `msg`; 256 bytes. Fails only when the crypto library does (callers answer with
    /// an error status, never with an empty signature).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                msg,
                &mut sig,
            )
            .map_err(|_| SignError("RSA"))?;
        Ok(sig)
    }
    /// The public key, PKCS#1 DER (as aws-lc-rs' RSA verifiers take it).
    pub fn public_key_der(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }
}

/// A signature the crypto library refused to make (in practice: its random source failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} signing failed")]
pub struct SignError(&'static str);

/// The RSA card-key pool, parsed once. Identities pick a key by index
/// ([`keys::rsa_index_for`]), never by comparing addresses.
pub struct RsaPool {
    keys: [(Arc<RsaSigner>, &'static [u8]); keys::RSA_POOL_SIZE],
}

impl RsaPool {
    /// Parses every pool key.
    pub fn load() -> Result<RsaPool, String> {
        let mut parsed = Vec::with_capacity(keys::RSA_POOL_SIZE);
        for der in keys::RSA_POOL {
            parsed.push((Arc::new(RsaSigner::from_pkcs8(der)?), der));
        }
        let keys = parsed
            .try_into()
            .map_err(|_| "RSA pool: wrong number of keys".to_string())?;
        Ok(RsaPool { keys })
    }

    /// The signer and PKCS#8 DER of an identity's key.
    pub fn for_identity(&self, id: &str) -> (&Arc<RsaSigner>, &'static [u8]) {
        let (signer, der) = &self.keys[keys::rsa_index_for(id)];
        (signer, der)
    }
}

/// An ECDSA P-256 signing key (fixed r‖s signatures).
#[derive(Debug)]
pub struct EcSigner {
    key: signature::EcdsaKeyPair,
}

impl EcSigner {
    /// From PKCS#8 DER.
    pub fn from_pkcs8(der: &[u8]) -> Result<EcSigner, String> {
        signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map(|key| EcSigner { key })
            .map_err(|e| e.to_string())
    }
    /// Signs `msg`; 64 bytes r‖s.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key
            .sign(&SystemRandom::new(), msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| SignError("ECDSA P-256"))
    }
    /// The public key, uncompressed SEC1 point.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }
}

/// Verifies an RSA PKCS#1 SHA-256 signature with a PKCS#1 DER public key.
pub fn rsa_verify(public_pkcs1: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public_pkcs1)
        .verify(msg, sig)
        .is_ok()
}

/// AES-128-CBC without padding; `data` must be a multiple of 16 bytes.
pub fn aes128_cbc_encrypt(key: &[u8; 16], iv: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    use aes::cipher::{block_padding::NoPadding, BlockEncryptMut, KeyIvInit};
    if !data.len().is_multiple_of(16) {
        return None;
    }
    let mut buf = data.to_vec();
    let n = buf.len();
    cbc::Encryptor::<aes::Aes128>::new(key.into(), iv.into())
        .encrypt_padded_mut::<NoPadding>(&mut buf, n)
        .ok()?;
    Some(buf)
}

/// AES-128-CBC decryption without padding.
pub fn aes128_cbc_decrypt(key: &[u8; 16], iv: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
    if !data.len().is_multiple_of(16) {
        return None;
    }
    let mut buf = data.to_vec();
    cbc::Decryptor::<aes::Aes128>::new(key.into(), iv.into())
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_identity_gets_the_pool_key_its_index_names() {
        let pool = RsaPool::load().unwrap();
        for id in ["901000000047", "001000000103", "100000291508", "x", ""] {
            let i = keys::rsa_index_for(id);
            let (signer, der) = pool.for_identity(id);
            assert_eq!(der, keys::RSA_POOL[i]);
            let want = RsaSigner::from_pkcs8(keys::RSA_POOL[i]).unwrap();
            assert_eq!(signer.public_key_der(), want.public_key_der(), "{id}");
        }
        // The pool is not degenerate: identities spread over several keys.
        let used: std::collections::BTreeSet<usize> = (0..64)
            .map(|n| keys::rsa_index_for(&format!("90100000{n:04}")))
            .collect();
        assert!(used.len() > 4, "{used:?}");
    }

    use super::*;
    use crate::keys;

    #[test]
    fn rsa_sign_verify_and_aes_round_trip() {
        let s = RsaSigner::from_pkcs8(keys::RSA_POOL[0]).unwrap();
        let sig = s.sign(b"hello").unwrap();
        assert_eq!(sig.len(), 256);
        assert!(rsa_verify(&s.public_key_der(), b"hello", &sig));
        assert!(!rsa_verify(&s.public_key_der(), b"hellO", &sig));
        let k = [7u8; 16];
        let iv = [9u8; 16];
        let ct = aes128_cbc_encrypt(&k, &iv, &[1u8; 64]).unwrap();
        assert_eq!(ct.len(), 64);
        assert_eq!(aes128_cbc_decrypt(&k, &iv, &ct).unwrap(), vec![1u8; 64]);
        assert!(aes128_cbc_encrypt(&k, &iv, &[1u8; 63]).is_none());
        assert!(ct_eq(&[1, 2], &[1, 2]) && !ct_eq(&[1, 2], &[1, 3]) && !ct_eq(&[1], &[1, 2]));
    }

    #[test]
    fn ec_signer_signs() {
        let e = EcSigner::from_pkcs8(keys::DC_TOKEN_P256).unwrap();
        assert_eq!(e.sign(b"x").unwrap().len(), 64);
        assert_eq!(e.public_key().len(), 65);
    }
}
