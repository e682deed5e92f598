//! Test PKI: the test NHI root CA (rcgen) and the HPC certificates it issues.

use crate::keys;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SerialNumber};

/// The test root CA, built from the embedded test key.
pub struct TestCa {
    key: KeyPair,
    cert: rcgen::Certificate,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestCa")
    }
}

fn at(unix: i64) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::from_unix_timestamp(unix).map_err(|e| e.to_string())
}

impl TestCa {
    /// Loads the CA key and self-signs the CA certificate (valid 2000–2099).
    pub fn load() -> Result<TestCa, String> {
        let key = KeyPair::try_from(keys::ROOT_CA_P256).map_err(|e| e.to_string())?;
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        p.distinguished_name.push(
            DnType::CommonName,
            "nhi-emu TEST Root CA (not for production)",
        );
        p.distinguished_name
            .push(DnType::OrganizationName, "nhi-emu test material");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = rcgen::date_time_ymd(2099, 12, 31);
        let cert = p.self_signed(&key).map_err(|e| e.to_string())?;
        Ok(TestCa { key, cert })
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> Vec<u8> {
        self.cert.der().to_vec()
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    /// Issues an HPC certificate for an RSA key (PKCS#8 DER) with a validity window.
    pub fn issue_hpc(
        &self,
        hpc_id: &str,
        holder: &str,
        key_pkcs8: &[u8],
        not_before: i64,
        not_after: i64,
        serial: u64,
    ) -> Result<Vec<u8>, String> {
        let leaf = KeyPair::try_from(key_pkcs8).map_err(|e| e.to_string())?;
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        p.distinguished_name
            .push(DnType::CommonName, format!("{holder} {hpc_id} (TEST)"));
        p.distinguished_name
            .push(DnType::OrganizationName, "nhi-emu test HPC");
        p.serial_number = Some(SerialNumber::from(serial));
        p.not_before = at(not_before)?;
        p.not_after = at(not_after)?;
        p.signed_by(&leaf, &self.cert, &self.key)
            .map(|c| c.der().to_vec())
            .map_err(|e| e.to_string())
    }

    /// Issues a TLS server certificate for loopback names (DC and middleware HTTPS).
    pub fn issue_tls(&self, names: &[&str]) -> Result<(String, String), String> {
        let leaf = KeyPair::generate().map_err(|e| e.to_string())?;
        let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .map_err(|e| e.to_string())?;
        p.distinguished_name
            .push(DnType::CommonName, "nhi-emu TEST server");
        p.not_before = rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = rcgen::date_time_ymd(2099, 12, 31);
        let cert = p
            .signed_by(&leaf, &self.cert, &self.key)
            .map_err(|e| e.to_string())?;
        Ok((cert.pem(), leaf.serialize_pem()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_issues_hpc_certificates() {
        let ca = TestCa::load().unwrap();
        assert!(ca.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let der = ca
            .issue_hpc(
                "100000291508",
                "測試人員",
                keys::RSA_POOL[1],
                1_500_000_000,
                1_900_000_000,
                7,
            )
            .unwrap();
        assert!(der.len() > 500 && der[0] == 0x30);
        assert!(ca.issue_hpc("1", "x", b"not a key", 0, 1, 1).is_err());
    }
}
