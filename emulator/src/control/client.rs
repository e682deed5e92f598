//! The one HTTP client of the control API: `nhi-emu ctl` and the harness's
//! `--emulator URL` send [`Command`]s through it.

use super::{Command, DcInfo, Method};
use serde_json::Value;

/// A control API at a base URL (`http://127.0.0.1:7070`).
#[derive(Debug, Clone)]
pub struct ControlClient {
    base: String,
    http: reqwest::Client,
}

/// Why a command did not come back with a success reply.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlError {
    /// No connection (nothing listens there, or it timed out).
    Unreachable {
        /// The control API's base URL.
        base: String,
        /// What the HTTP client said.
        cause: String,
    },
    /// The command could not be encoded, or the reply is not JSON.
    Malformed(String),
    /// The control API refused the command: its HTTP status and JSON reply
    /// (`{ error, reason }`).
    Refused {
        /// The path the command went to.
        path: String,
        /// HTTP status.
        status: u16,
        /// The reply.
        reply: Value,
    },
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::Unreachable { base, cause } => write!(
                f,
                "control API at {base} unreachable (is `nhi-emu up` running?): {cause}"
            ),
            ControlError::Malformed(e) => f.write_str(e),
            ControlError::Refused {
                path,
                status,
                reply,
            } => write!(f, "control API {path}: {status} {}", refusal_text(reply)),
        }
    }
}

impl std::error::Error for ControlError {}

/// `error: reason` of a refusal reply; the whole reply when it lacks them.
pub fn refusal_text(reply: &Value) -> String {
    match (reply["error"].as_str(), reply["reason"].as_str()) {
        (Some(error), Some(reason)) => format!("{error}: {reason}"),
        _ => format!("unexpected reply {reply}"),
    }
}

impl ControlClient {
    /// A client of the control API at `base`; each request gives up after `timeout`.
    pub fn new(base: &str, timeout: std::time::Duration) -> Result<ControlClient, ControlError> {
        // reqwest is built without a default TLS provider; the control API is plain HTTP,
        // but the client still needs one installed.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| ControlError::Malformed(format!("HTTP client: {e}")))?;
        Ok(ControlClient {
            base: base.trim_end_matches('/').to_string(),
            http,
        })
    }

    /// The control API's base URL (no trailing slash).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a command; the HTTP status and the JSON reply, whatever the status.
    pub async fn exchange(&self, cmd: &Command) -> Result<(u16, Value), ControlError> {
        let (method, path, body) = cmd.request().map_err(ControlError::Malformed)?;
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            Method::Get => self.http.get(url),
            Method::Post => self.http.post(url),
            Method::Delete => self.http.delete(url),
        };
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| ControlError::Unreachable {
            base: self.base.clone(),
            cause: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        let reply: Value = resp.json().await.map_err(|e| {
            ControlError::Malformed(format!("control API {path}: reply is not JSON: {e}"))
        })?;
        Ok((status, reply))
    }

    /// Sends a command; its reply, or [`ControlError::Refused`].
    pub async fn send(&self, cmd: &Command) -> Result<Value, ControlError> {
        let (status, reply) = self.exchange(cmd).await?;
        if (200..300).contains(&status) {
            Ok(reply)
        } else {
            let path = cmd
                .request()
                .map(|r| r.1)
                .map_err(ControlError::Malformed)?;
            Err(ControlError::Refused {
                path,
                status,
                reply,
            })
        }
    }

    /// Where the emulator's DC is.
    pub async fn dc_info(&self) -> Result<DcInfo, ControlError> {
        let v = self.send(&Command::DcInfo).await?;
        serde_json::from_value(v.clone())
            .map_err(|e| ControlError::Malformed(format!("control API /dc: {e} in {v}")))
    }
}
