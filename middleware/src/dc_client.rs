//! The middleware's client of the NHI data center (HTTPS, JSON). Maps transport and HTTP
//! failures to the 6.0 codes: no connection / time-out → 1700, HTTP error → 1702, unknown
//! command → 1701, the DC's own codes passed through, anything unreadable → 1799.
//! Paths, bodies and replies are the wire types of `nhi_protocol::dc`.

use crate::error::Fail;
use crate::mutants::{Mutant, Mutants};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::dc::msg::Status;
use nhi_protocol::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// A DC client.
#[derive(Debug, Clone)]
pub struct DcClient {
    base: String,
    http: reqwest::Client,
    mutants: Mutants,
}

impl DcClient {
    /// A client for `base` (e.g. `https://127.0.0.1:4443`), trusting `ca_pem` in addition to
    /// nothing else (the DC's CA), with a per-request `timeout`.
    pub fn new(
        base: &str,
        ca_pem: Option<&str>,
        timeout: Duration,
        mutants: Mutants,
    ) -> Result<DcClient, String> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut b = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .use_rustls_tls();
        if let Some(pem) = ca_pem {
            for c in reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| format!("DC CA: {e}"))?
            {
                b = b.add_root_certificate(c);
            }
        }
        Ok(DcClient {
            base: base.trim_end_matches('/').to_string(),
            http: b.build().map_err(|e| e.to_string())?,
            mutants,
        })
    }

    /// POSTs `body` to `path` (a `nhi_protocol::dc::path`); on `0000` the reply as `R`
    /// (a missing or mistyped field is 1799 naming it), a [`Fail`] otherwise.
    pub async fn call<Q: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &Q,
    ) -> Result<R, Fail> {
        let v = self.call_value(path, body).await?;
        R::deserialize(&v).map_err(|e| Fail::dc_reply(format!("{path}: {e}")))
    }

    /// The transport and status half of [`DcClient::call`]: the reply object on `0000`.
    async fn call_value<Q: Serialize + ?Sized>(&self, path: &str, body: &Q) -> Result<Value, Fail> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await;
        let resp = match r {
            Ok(r) => r,
            Err(e) => {
                let code = if self.mutants.on(Mutant::DcDownAs1702) {
                    StatusCode::DcHttp
                } else {
                    StatusCode::DcConnection
                };
                return Err(Fail::new(code, format!("DC unreachable: {}", short(&e))));
            }
        };
        let http = resp.status();
        // A body that does not arrive in time is a connection failure, not a bad reply.
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let code = if self.mutants.on(Mutant::DcDownAs1702) {
                    StatusCode::DcHttp
                } else {
                    StatusCode::DcConnection
                };
                return Err(Fail::new(code, format!("DC reply cut off: {}", short(&e))));
            }
        };
        let v: Option<Value> = serde_json::from_slice(&body).ok();
        if http.is_server_error() {
            let code = if self.mutants.on(Mutant::Http5xxAs1700) {
                StatusCode::DcConnection
            } else {
                StatusCode::DcHttp
            };
            // The DC's own words, when it gave any (e.g. "database or disk is full").
            let why = v
                .as_ref()
                .and_then(|v| v.get("message"))
                .and_then(Value::as_str)
                .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
                .unwrap_or_default();
            return Err(Fail::new(
                code,
                format!("DC replied HTTP {}{why}", http.as_u16()),
            ));
        }
        let Some(v) = v else {
            return Err(Fail::new(
                if http.is_success() {
                    StatusCode::DcUndefined
                } else {
                    StatusCode::DcHttp
                },
                format!("DC replied HTTP {} without JSON", http.as_u16()),
            ));
        };
        let status = Status::deserialize(&v).ok();
        match status {
            Some(Status {
                status_code: StatusCode::Success,
                ..
            }) => Ok(v),
            Some(Status {
                status_code: StatusCode::DcSession,
                ..
            }) if self.mutants.on(Mutant::SessionExpiredAs1799) => {
                Err(Fail::new(StatusCode::DcUndefined, "session"))
            }
            // The DC's message is optional: the code's own text stands in for it.
            Some(Status {
                status_code: c,
                message,
            }) => Err(Fail::new(
                c,
                if message.is_empty() {
                    c.en().to_string()
                } else {
                    message
                },
            )),
            None if !http.is_success() => Err(Fail::new(
                StatusCode::DcHttp,
                format!("DC replied HTTP {}", http.as_u16()),
            )),
            None => Err(Fail::new(
                StatusCode::DcUndefined,
                "DC reply without a status code",
            )),
        }
    }
}

/// Decodes a base64 field of a DC reply (1799 when it is not base64).
pub fn unb64(field: &str, s: &str) -> Result<Vec<u8>, Fail> {
    B64.decode(s)
        .map_err(|_| Fail::dc_reply(format!("{field} is not base64")))
}

fn short(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "connection error".into()
    }
}
