//! A blocking client of the 6.0 Web API: one call, its status code and its typed reply.
//! Paths come from `nhi_protocol::api::path`; replies are `nhi_protocol`'s reply types.

use crate::config::Config;
use nhi_protocol::api::Method;
use nhi_protocol::StatusCode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// Why a call produced no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The service could not be reached (connection refused, TLS failure, time-out).
    Unreachable(String),
    /// It answered something that is not a 6.0 reply, or a success without a field.
    BadReply(String),
}

/// A client of one 6.0 Web API base URL.
#[derive(Debug)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client for the settings; fails on an unreadable CA file, or a non-loopback HTTPS
    /// service without one.
    pub fn new(cfg: &Config) -> Result<Client, String> {
        let tls = tls_config(cfg)?;
        let agent = ureq::AgentBuilder::new()
            .tls_config(Arc::new(tls))
            .timeout(cfg.timeout)
            .build();
        Ok(Client {
            base: cfg.url.clone(),
            agent,
        })
    }

    /// Calls `method path` (with a JSON body for POST/PUT) and returns the status code
    /// and the whole reply.
    pub fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), CallError> {
        let req = self
            .agent
            .request(method.as_str(), &format!("{}{path}", self.base));
        let sent = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        let resp = match sent {
            Ok(r) => r,
            // 4xx/5xx still carry a 6.0 reply body.
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(CallError::Unreachable(e.to_string())),
        };
        let v: Value = resp
            .into_json()
            .map_err(|e| CallError::BadReply(format!("{method} {path}: {e}")))?;
        let code = v
            .get("statusCode")
            .and_then(Value::as_str)
            .and_then(StatusCode::from_code)
            .ok_or_else(|| CallError::BadReply(format!("{method} {path}: no statusCode")))?;
        Ok((code, v))
    }
}

/// A successful reply's fields as a reply type.
pub fn typed<T: DeserializeOwned>(v: Value) -> Result<T, CallError> {
    serde_json::from_value(v).map_err(|e| CallError::BadReply(e.to_string()))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_config(cfg: &Config) -> Result<rustls::ClientConfig, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    if let Some(ca) = &cfg.ca {
        let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| format!("{}: {e}", ca.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", ca.display()))?;
        }
        if roots.is_empty() {
            return Err(format!("{}: no certificate in the file", ca.display()));
        }
        return Ok(builder.with_root_certificates(roots).with_no_client_auth());
    }
    if cfg.url.starts_with("https://") && !is_loopback(&cfg.url) {
        return Err(format!(
            "{} is not this machine: give the CA of its certificate (ca = … in csHis.ini)",
            cfg.url
        ));
    }
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(LoopbackSelfSigned(provider())))
        .with_no_client_auth())
}

/// True for `localhost`, `127.x.x.x` and `[::1]`.
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    // The authority ends at the first `/` or `?` (none: the whole rest).
    let host = rest.find(['/', '?']).map_or(rest, |end| &rest[..end]);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Accepts the certificate a service on this machine presents (the 6.0 software, like the
/// reference middleware, serves a self-signed localhost certificate), while still checking
/// that the peer holds its key (the handshake signatures).
#[derive(Debug)]
struct LoopbackSelfSigned(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for LoopbackSelfSigned {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("https://localhost:5066"));
        assert!(is_loopback("https://127.0.0.1:5066/x"));
        assert!(is_loopback("https://[::1]:5066"));
        assert!(!is_loopback("https://10.0.0.2:5066"));
        assert!(!is_loopback("https://localhost.example.com"));
    }

    #[test]
    fn remote_https_without_a_ca_is_refused() {
        let cfg = Config {
            url: "https://192.0.2.1:5066".into(),
            ..Config::default()
        };
        assert!(Client::new(&cfg).unwrap_err().contains("CA"));
    }
}
