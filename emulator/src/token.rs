//! Virtual-card token issue, SAM-side decryption and verification (layout: `nhi_protocol::token`).

use crate::crypto::{aes128_cbc_decrypt, aes128_cbc_encrypt, hmac256, EcSigner, RsaSigner};
use crate::keys::{self, Secrets};
use aws_lc_rs::signature::{ParsedPublicKey, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256};
use nhi_protocol::token::{self, Payload, TokenAlg, PAYLOAD_LEN, TOKEN_LIFETIME_SECS};
use nhi_protocol::StatusCode;

/// Key id of the ES256 DC token key.
pub const KEY_ID_ES256: u8 = 1;
/// Key id of the RS256 DC token key.
pub const KEY_ID_RS256: u8 = 2;

/// Issues tokens: encrypts the payload and signs with the DC token key.
#[derive(Debug)]
pub struct TokenIssuer {
    payload_key: [u8; 16],
    es: EcSigner,
    rs: RsaSigner,
}

impl TokenIssuer {
    /// The issuer with the embedded test keys.
    pub fn test() -> Result<TokenIssuer, String> {
        Ok(TokenIssuer {
            payload_key: Secrets::test().token_payload_key,
            es: EcSigner::from_pkcs8(keys::DC_TOKEN_P256)?,
            rs: RsaSigner::from_pkcs8(keys::DC_TOKEN_RSA)?,
        })
    }

    /// A verifier for the tokens this issuer signs.
    pub fn verifier(&self) -> Result<TokenVerifier, String> {
        TokenVerifier::new(
            self.payload_key,
            &self.es.public_key(),
            &self.rs.public_key_der(),
        )
    }

    /// Issues a token. The IV is derived from the serial and issue instant (unique per token).
    pub fn issue(&self, p: &Payload, alg: TokenAlg) -> Result<String, String> {
        let plain = p.encode().map_err(|e| e.to_string())?;
        let mac = hmac256(
            &self.payload_key,
            &[b"iv", &p.serial.to_be_bytes(), &p.issued_at.to_be_bytes()],
        );
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&mac[..16]);
        let ct = aes128_cbc_encrypt(&self.payload_key, &iv, &plain)
            .ok_or("payload not block-aligned")?;
        let head = token::join(&iv, &ct);
        let (sig, kid) = match alg {
            TokenAlg::Es256 => (self.es.sign(head.as_bytes()), KEY_ID_ES256),
            TokenAlg::Rs256 => (self.rs.sign(head.as_bytes()), KEY_ID_RS256),
        };
        let sig = sig.map_err(|e| e.to_string())?;
        Ok(format!(
            "{head}.{}",
            token::signature_segment(alg, kid, &sig)
        ))
    }
}

/// Verifies tokens: public keys parsed once (aws-lc-rs `ParsedPublicKey`).
pub struct TokenVerifier {
    payload_key: [u8; 16],
    es: ParsedPublicKey,
    rs: ParsedPublicKey,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenVerifier")
    }
}

impl TokenVerifier {
    /// From the payload key, the ES256 public point and the RS256 PKCS#1 public key.
    pub fn new(
        payload_key: [u8; 16],
        es_public: &[u8],
        rs_public: &[u8],
    ) -> Result<TokenVerifier, String> {
        Ok(TokenVerifier {
            payload_key,
            es: ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, es_public)
                .map_err(|e| e.to_string())?,
            rs: ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, rs_public)
                .map_err(|e| e.to_string())?,
        })
    }

    /// Checks format and signature, decrypts, then checks card expiry (1524) and token age
    /// (1521: older than 60 s, or from the future). Does not count uses.
    pub fn verify(&self, tok: &str, now: i64) -> Result<Payload, StatusCode> {
        let parts = token::split(tok)?;
        let key = match (parts.alg, parts.key_id) {
            (TokenAlg::Es256, KEY_ID_ES256) => &self.es,
            (TokenAlg::Rs256, KEY_ID_RS256) => &self.rs,
            _ => return Err(StatusCode::TokenSignature),
        };
        key.verify_sig(parts.signed_text.as_bytes(), &parts.signature)
            .map_err(|_| StatusCode::TokenSignature)?;
        let plain = decrypt_payload(&self.payload_key, &parts.iv, &parts.ciphertext)?;
        let p = Payload::decode(&plain)?;
        check_times(&p, now)?;
        Ok(p)
    }

    /// Full verification with a use counter: `uses` earlier successful verifications of this
    /// token, at most `limit` allowed (1525 beyond).
    pub fn verify_counted(
        &self,
        tok: &str,
        now: i64,
        uses: u32,
        limit: u32,
    ) -> Result<Payload, StatusCode> {
        let p = self.verify(tok, now)?;
        if uses >= limit {
            return Err(StatusCode::TokenCountExceeded);
        }
        Ok(p)
    }
}

/// Card expiry (1524) then token age (1521).
pub fn check_times(p: &Payload, now: i64) -> Result<(), StatusCode> {
    if now > i64::from(p.valid_until) {
        return Err(StatusCode::TokenExpired);
    }
    let age = now - i64::from(p.issued_at);
    if !(-5..=TOKEN_LIFETIME_SECS).contains(&age) {
        return Err(StatusCode::TokenTimedOut);
    }
    Ok(())
}

/// Decrypts a payload (the SAM's job; also used by the DC).
pub fn decrypt_payload(
    key: &[u8; 16],
    iv: &[u8; 16],
    ct: &[u8; PAYLOAD_LEN],
) -> Result<[u8; PAYLOAD_LEN], StatusCode> {
    let v = aes128_cbc_decrypt(key, iv, ct).ok_or(StatusCode::TokenShape)?;
    let mut out = [0u8; PAYLOAD_LEN];
    out.copy_from_slice(&v);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nhi_protocol::ident::*;

    fn payload(issued: u32) -> Payload {
        Payload {
            card_no: HcCardNo::parse("900000000711").unwrap(),
            id_no: IdNo::parse("A123456789").unwrap(),
            name: "王小明".into(),
            birthday: RocDate::parse("0800101").unwrap(),
            sex: Sex::Male,
            identity_status: IdentityStatus::General,
            issued_at: issued,
            serial: 1,
            valid_until: issued + 86_400,
        }
    }

    #[test]
    fn issue_and_verify_both_algorithms() {
        let iss = TokenIssuer::test().unwrap();
        let v = iss.verifier().unwrap();
        for alg in [TokenAlg::Es256, TokenAlg::Rs256] {
            let t = iss.issue(&payload(1000), alg).unwrap();
            assert_eq!(t.split('.').count(), 3);
            assert_eq!(v.verify(&t, 1000).unwrap(), payload(1000));
            assert_eq!(v.verify(&t, 1060).unwrap().serial, 1);
            assert_eq!(v.verify(&t, 1061), Err(StatusCode::TokenTimedOut));
            assert_eq!(v.verify(&t, 1000 + 86_401), Err(StatusCode::TokenExpired));
            assert_eq!(
                v.verify_counted(&t, 1000, 3, 3),
                Err(StatusCode::TokenCountExceeded)
            );
            assert!(v.verify_counted(&t, 1000, 2, 3).is_ok());
        }
    }

    #[test]
    fn seed_sample_shape_is_format_checked() {
        // The seed's sample token: first two segments are 16 and 64 bytes like ours.
        let seg1 = "OdemQijLo+sPE2OTIpHcCA==";
        let seg2 = "YAQqQLM5UmjyH+sL31MAgs/dJCPaZZ8FISeqNZhZKczMn880mLvsvUkS67+EBEwxtRPLmq8Ju3gza5aFF/okcQ==";
        let v = TokenIssuer::test().unwrap().verifier().unwrap();
        // Its third segment is cut in the seed; a made-up one fails the signature check.
        let t = format!(
            "{seg1}.{seg2}.{}",
            token::signature_segment(TokenAlg::Es256, KEY_ID_ES256, &[1u8; 64])
        );
        assert_eq!(v.verify(&t, 0), Err(StatusCode::TokenSignature));
    }

    #[test]
    fn tampering_is_caught() {
        let iss = TokenIssuer::test().unwrap();
        let v = iss.verifier().unwrap();
        let t = iss.issue(&payload(1000), TokenAlg::Es256).unwrap();
        let mut b = t.clone().into_bytes();
        b[30] = if b[30] == b'A' { b'B' } else { b'A' };
        let t2 = String::from_utf8(b).unwrap();
        assert_eq!(v.verify(&t2, 1000), Err(StatusCode::TokenSignature));
        assert_eq!(v.verify("not a token", 1000), Err(StatusCode::TokenFormat));
        let parts: Vec<&str> = t.split('.').collect();
        let rs_kid = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            token::signature_segment(TokenAlg::Es256, 9, &[0u8; 64])
        );
        assert_eq!(v.verify(&rs_kid, 1000), Err(StatusCode::TokenSignature));
    }
}
