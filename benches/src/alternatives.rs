//! Bare signature verification with each candidate library, for the bench table: why the
//! project uses aws-lc-rs. Every function verifies one fixed (message, signature) pair.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as lc, KeyPair};

/// A P-256 and an RSA-2048 key with a signed message, in the encodings each library reads.
pub struct Material {
    /// The signed message.
    pub msg: Vec<u8>,
    /// Uncompressed P-256 point.
    pub ec_public: Vec<u8>,
    /// Fixed-width (r ‖ s) ECDSA signature.
    pub ec_sig: Vec<u8>,
    /// PKCS#1 RSAPublicKey DER.
    pub rsa_public: Vec<u8>,
    /// PKCS#1 v1.5 SHA-256 signature.
    pub rsa_sig: Vec<u8>,
}

impl Material {
    /// Fresh keys and signatures.
    pub fn new() -> Result<Material, String> {
        let rng = SystemRandom::new();
        let msg = b"nhi-emu bench: 64-byte token payload stand-in ..................".to_vec();
        let ec = lc::EcdsaKeyPair::generate(&lc::ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|e| e.to_string())?;
        let ec_sig = ec.sign(&rng, &msg).map_err(|e| e.to_string())?;
        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|e| e.to_string())?;
        let mut rsa_sig = vec![0u8; rsa.public_modulus_len()];
        rsa.sign(&lc::RSA_PKCS1_SHA256, &rng, &msg, &mut rsa_sig)
            .map_err(|e| e.to_string())?;
        Ok(Material {
            msg,
            ec_public: ec.public_key().as_ref().to_vec(),
            ec_sig: ec_sig.as_ref().to_vec(),
            rsa_public: rsa.public_key().as_ref().to_vec(),
            rsa_sig,
        })
    }
}

/// A verifier that can be called repeatedly (keys parsed once, as the project does).
pub type Verify = Box<dyn Fn() -> bool + Send + Sync>;

/// ES256 verifiers: (library, verifier).
pub fn es256(m: &Material) -> Result<Vec<(&'static str, Verify)>, String> {
    use p256::ecdsa::signature::Verifier;
    let lc_key = lc::ParsedPublicKey::new(&lc::ECDSA_P256_SHA256_FIXED, &m.ec_public)
        .map_err(|e| e.to_string())?;
    let (msg, sig) = (m.msg.clone(), m.ec_sig.clone());
    let a: Verify = Box::new(move || lc_key.verify_sig(&msg, &sig).is_ok());
    let ring_key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        m.ec_public.clone(),
    );
    let (msg, sig) = (m.msg.clone(), m.ec_sig.clone());
    let b: Verify = Box::new(move || ring_key.verify(&msg, &sig).is_ok());
    let rc_key =
        p256::ecdsa::VerifyingKey::from_sec1_bytes(&m.ec_public).map_err(|e| e.to_string())?;
    let rc_sig = p256::ecdsa::Signature::from_slice(&m.ec_sig).map_err(|e| e.to_string())?;
    let msg = m.msg.clone();
    let c: Verify = Box::new(move || rc_key.verify(&msg, &rc_sig).is_ok());
    Ok(vec![("aws-lc-rs", a), ("ring", b), ("RustCrypto p256", c)])
}

/// RS256 verifiers: (library, verifier).
pub fn rs256(m: &Material) -> Result<Vec<(&'static str, Verify)>, String> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::signature::Verifier;
    let lc_key = lc::ParsedPublicKey::new(&lc::RSA_PKCS1_2048_8192_SHA256, &m.rsa_public)
        .map_err(|e| e.to_string())?;
    let (msg, sig) = (m.msg.clone(), m.rsa_sig.clone());
    let a: Verify = Box::new(move || lc_key.verify_sig(&msg, &sig).is_ok());
    let ring_key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        m.rsa_public.clone(),
    );
    let (msg, sig) = (m.msg.clone(), m.rsa_sig.clone());
    let b: Verify = Box::new(move || ring_key.verify(&msg, &sig).is_ok());
    let pk = rsa::RsaPublicKey::from_pkcs1_der(&m.rsa_public).map_err(|e| e.to_string())?;
    let vk = rsa::pkcs1v15::VerifyingKey::<rsa::sha2::Sha256>::new(pk);
    let rc_sig =
        rsa::pkcs1v15::Signature::try_from(m.rsa_sig.as_slice()).map_err(|e| e.to_string())?;
    let msg = m.msg.clone();
    let c: Verify = Box::new(move || vk.verify(&msg, &rc_sig).is_ok());
    Ok(vec![("aws-lc-rs", a), ("ring", b), ("RustCrypto rsa", c)])
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_library_accepts_the_signature_and_rejects_a_forgery() {
        let mut m = super::Material::new().unwrap();
        for (name, v) in super::es256(&m)
            .unwrap()
            .into_iter()
            .chain(super::rs256(&m).unwrap())
        {
            assert!(v(), "{name}");
        }
        m.msg[0] ^= 1;
        for (name, v) in super::es256(&m)
            .unwrap()
            .into_iter()
            .chain(super::rs256(&m).unwrap())
        {
            assert!(!v(), "{name} accepted a changed message");
        }
    }
}
