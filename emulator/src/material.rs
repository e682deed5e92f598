//! Test key material, embedded from `fixtures/keys/` (all of it marked TEST ONLY there).

use serde::Deserialize;

/// Pool of RSA-2048 card keys (PKCS#8 DER).
pub const RSA_POOL: [&[u8]; 8] = [
    include_bytes!("../../fixtures/keys/test-rsa-0.pk8"),
    include_bytes!("../../fixtures/keys/test-rsa-1.pk8"),
    include_bytes!("../../fixtures/keys/test-rsa-2.pk8"),
    include_bytes!("../../fixtures/keys/test-rsa-3.pk8"),
    include_bytes!("../../fixtures/keys/test-rsa-4.pk8"),
    include_bytes!("../../fixtures/keys/test-rsa-5.pk8"),
    include_bytes!("../../fixtures/keys/test-rsa-6.pk8"),
    include_bytes!("../../fixtures/keys/test-rsa-7.pk8"),
];
/// Test root CA key (P-256, PKCS#8 DER).
pub const ROOT_CA_P256: &[u8] = include_bytes!("../../fixtures/keys/test-root-ca-p256.pk8");
/// DC token key, ES256 (key id 1).
pub const DC_TOKEN_P256: &[u8] = include_bytes!("../../fixtures/keys/test-dc-token-p256.pk8");
/// DC token key, RS256 (key id 2).
pub const DC_TOKEN_RSA: &[u8] = include_bytes!("../../fixtures/keys/test-dc-token-rsa.pk8");
const SECRETS_TOML: &str = include_str!("../../fixtures/keys/test-secrets.toml");

/// Symmetric test secrets.
#[derive(Debug, Clone)]
pub struct Secrets {
    /// Master from which each SAM's DC-authentication key is derived.
    pub dc_sam_master: [u8; 32],
    /// Master from which each test card's key is derived.
    pub card_master_test: [u8; 32],
    /// Master from which each production card's key is derived.
    pub card_master_production: [u8; 32],
    /// AES-128 key that encrypts token payloads (held by the DC and every SAM).
    pub token_payload_key: [u8; 16],
    /// DC field-encryption key for internal consumers.
    pub field_key_internal: [u8; 32],
    /// DC field-encryption key for external consumers.
    pub field_key_external: [u8; 32],
}

#[derive(Deserialize)]
struct RawSecrets {
    dc_sam_master: String,
    card_master_test: String,
    card_master_production: String,
    token_payload_key: String,
    field_key_internal: String,
    field_key_external: String,
}

fn hex_array<const N: usize>(name: &str, s: &str) -> Result<[u8; N], String> {
    let v = hex::decode(s).map_err(|e| format!("{name}: {e}"))?;
    v.try_into()
        .map_err(|_| format!("{name}: expected {N} bytes"))
}

impl Secrets {
    /// Parses a secrets file in the format of `fixtures/keys/test-secrets.toml`.
    pub fn parse(text: &str) -> Result<Secrets, String> {
        let r: RawSecrets = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Secrets {
            dc_sam_master: hex_array("dc_sam_master", &r.dc_sam_master)?,
            card_master_test: hex_array("card_master_test", &r.card_master_test)?,
            card_master_production: hex_array("card_master_production", &r.card_master_production)?,
            token_payload_key: hex_array("token_payload_key", &r.token_payload_key)?,
            field_key_internal: hex_array("field_key_internal", &r.field_key_internal)?,
            field_key_external: hex_array("field_key_external", &r.field_key_external)?,
        })
    }

    /// The embedded test secrets.
    pub fn test() -> Secrets {
        // The embedded file is checked by a unit test; fall back to zero keys never happens.
        Secrets::parse(SECRETS_TOML).unwrap_or_else(|e| {
            tracing::error!("embedded test secrets unreadable: {e}");
            Secrets {
                dc_sam_master: [0; 32],
                card_master_test: [0; 32],
                card_master_production: [0; 32],
                token_payload_key: [0; 16],
                field_key_internal: [0; 32],
                field_key_external: [0; 32],
            }
        })
    }
}

/// Picks a pool key for an identity string (stable across runs).
pub fn rsa_for(id: &str) -> &'static [u8] {
    let h = id
        .bytes()
        .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    RSA_POOL[(h % RSA_POOL.len() as u32) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_secrets_parse() {
        assert!(Secrets::parse(SECRETS_TOML).is_ok());
        assert!(Secrets::parse("dc_sam_master = \"zz\"").is_err());
        assert_ne!(
            Secrets::test().card_master_test,
            Secrets::test().card_master_production
        );
    }
}
