//! Test key material, embedded from `fixtures/keys/` (all of it marked TEST ONLY there).

use serde::Deserialize;

/// How many RSA card keys the pool holds.
pub const RSA_POOL_SIZE: usize = 8;

/// Pool of RSA-2048 card keys (PKCS#8 DER). A `static`, and looked up by index only
/// ([`rsa_index_for`]): a `const` is inlined at each use, so two uses need not share an
/// address (in release builds they did not, and an address comparison gave every SAM key 0).
pub static RSA_POOL: [&[u8]; RSA_POOL_SIZE] = [
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

/// Symmetric secrets (the embedded ones are test material). `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
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

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_test() {
            "Secrets(TEST material, redacted)"
        } else {
            "Secrets(redacted)"
        })
    }
}

impl Secrets {
    /// True when these are the embedded test secrets.
    pub fn is_test(&self) -> bool {
        Secrets::parse(SECRETS_TOML).is_ok_and(|t| &t == self)
    }

    /// Loads a secrets file. It must be readable by its owner only (mode 0600 or
    /// stricter): a file others can read is refused, naming the mode.
    pub fn load(path: &std::path::Path) -> Result<Secrets, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(format!(
                    "{}: readable by group or others (mode {mode:04o}); secrets must be 0600 (chmod 600 {})",
                    path.display(),
                    path.display()
                ));
            }
        }
        #[cfg(not(unix))]
        let _ = meta;
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // Parse errors name the field, never echo the value.
        Secrets::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Key material that is embedded test material whatever the secrets file says: the root
/// CA key (certificates of cards, TLS) and the DC's token-signing keys. A production-mode
/// start refuses them; the emulator has no production keys by design.
pub const EMBEDDED_TEST_KEYS: [&str; 3] = [
    "root CA key (fixtures/keys/test-root-ca-p256.pk8)",
    "DC token key ES256 (fixtures/keys/test-dc-token-p256.pk8)",
    "DC token key RS256 (fixtures/keys/test-dc-token-rsa.pk8)",
];

/// Why a production-mode start must be refused (empty: it may start).
pub fn production_refusals(secrets: &Secrets) -> Vec<String> {
    let mut v = Vec::new();
    if secrets.is_test() {
        v.push("DC secrets are the embedded TEST secrets (fixtures/keys/test-secrets.toml); pass --secrets FILE".to_string());
    }
    v.extend(
        EMBEDDED_TEST_KEYS
            .iter()
            .map(|k| format!("{k} is TEST material")),
    );
    v
}

/// The pool index of an identity's key (stable across runs and builds).
pub fn rsa_index_for(id: &str) -> usize {
    let h = id
        .bytes()
        .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    h as usize % RSA_POOL_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_key() {
        let s = Secrets::test();
        let d = format!("{s:?}");
        assert!(d.contains("redacted"));
        assert!(!d.contains(&hex::encode(s.field_key_internal)));
        assert!(!d
            .to_lowercase()
            .contains(&hex::encode(&s.dc_sam_master[..4])));
    }

    #[cfg(unix)]
    #[test]
    fn a_secrets_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let p = std::env::temp_dir().join(format!("nhi-secrets-{}.toml", std::process::id()));
        std::fs::write(&p, SECRETS_TOML).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Secrets::load(&p).unwrap_err();
        assert!(e.contains("0644") && e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let s = Secrets::load(&p).unwrap();
        assert!(s.is_test());
        assert!(!production_refusals(&s).is_empty());
        std::fs::remove_file(&p).ok();
    }

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
