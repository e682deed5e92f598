//! A client of any 6.0 Web API implementation (the SUT), timing every call and keeping
//! the exchange for evidence.

use nhi_protocol::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

/// One call and its answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// `POST /api/...`.
    pub request: String,
    /// Request body.
    pub body: Value,
    /// HTTP status (0 when no answer).
    pub http: u16,
    /// Reply body (or the transport error).
    pub reply: Value,
    /// Status code read from the reply.
    pub status: Option<String>,
    /// Latency in milliseconds.
    pub ms: f64,
    /// The reply's Access-Control-Allow-Origin header, when the request carried an Origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_origin: Option<String>,
    /// The APDUs the emulated cards answered during the call (the card side of the
    /// wirelog); filled in for failed checks when the harness can see the cards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apdus: Vec<nhi_emulator::control::ApduRecord>,
}

impl Exchange {
    /// A request that was never sent (`http: 0`), with the reason as the reply.
    fn unsent(request: String, body: Option<Value>, why: String) -> Exchange {
        Exchange {
            request,
            // `null`: the request had no body.
            body: body.unwrap_or(Value::Null),
            http: 0,
            reply: Value::String(why),
            status: None,
            ms: 0.0,
            allow_origin: None,
            apdus: Vec::new(),
        }
    }

    /// The reply's status code.
    pub fn code(&self) -> Option<StatusCode> {
        self.status.as_deref().and_then(StatusCode::from_code)
    }
}

/// A client of one SUT base URL.
#[derive(Debug, Clone)]
pub struct SutClient {
    base: String,
    http: reqwest::Client,
}

impl SutClient {
    /// A client; a SUT's self-signed localhost certificate is accepted (the real product
    /// ships one too).
    pub fn new(base: &str) -> Result<SutClient, String> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(30))
            .use_rustls_tls()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(SutClient {
            base: base.trim_end_matches('/').to_string(),
            http,
        })
    }

    /// Base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Calls `method path` with `body` (None: no body).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Exchange {
        self.call_from(method, path, body, None).await
    }

    /// Calls with an `Origin` header, as a browser page on that origin would.
    pub async fn call_from(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        origin: Option<&str>,
    ) -> Exchange {
        let request = format!("{method} {path}");
        let m = match reqwest::Method::from_bytes(method.as_bytes()) {
            Ok(m) => m,
            Err(e) => return Exchange::unsent(request, body, format!("bad method: {e}")),
        };
        let mut rb = self.http.request(m, format!("{}{path}", self.base));
        if let Some(o) = origin {
            rb = rb.header("Origin", o);
        }
        if let Some(b) = &body {
            rb = rb.json(b);
        }
        exchange(rb, request, body).await
    }

    /// True when the SUT answers `GET Status`.
    pub async fn reachable(&self) -> bool {
        self.call("GET", nhi_protocol::api::path::STATUS, None)
            .await
            .http
            != 0
    }
}

/// A client of the emulated DC (the phone app's and the HIS's side of it).
#[derive(Debug, Clone)]
pub struct DcApi {
    base: String,
    http: reqwest::Client,
}

impl DcApi {
    /// A client trusting the DC's test CA.
    pub fn new(base: &str, ca_pem: &str) -> Result<DcApi, String> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut b = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .use_rustls_tls();
        for c in
            reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes()).map_err(|e| e.to_string())?
        {
            b = b.add_root_certificate(c);
        }
        Ok(DcApi {
            base: base.trim_end_matches('/').to_string(),
            http: b.build().map_err(|e| e.to_string())?,
        })
    }

    /// POSTs `body` to `path`: the whole exchange, with the real HTTP status and time.
    async fn post(&self, path: &str, body: Value) -> Exchange {
        let rb = self.http.post(format!("{}{path}", self.base)).json(&body);
        exchange(rb, format!("POST {path}"), Some(body)).await
    }

    /// POSTs a typed request body (`nhi_protocol::dc::msg`) to one of the DC's paths
    /// (`nhi_protocol::dc::path`); a body that cannot be JSON is never sent.
    pub async fn send<T: serde::Serialize>(&self, path: &str, body: &T) -> Exchange {
        match serde_json::to_value(body) {
            Ok(v) => self.post(path, v).await,
            Err(e) => {
                let why = format!("request body is not JSON: {e}");
                Exchange::unsent(format!("POST {path}"), None, why)
            }
        }
    }
}

/// Sends `rb` and records the exchange. A reply that is not JSON is kept as a string and
/// a transport failure as `http: 0` with the error as the reply, so evidence always shows
/// what really came back.
async fn exchange(rb: reqwest::RequestBuilder, request: String, body: Option<Value>) -> Exchange {
    let t = Instant::now();
    let (http, reply, allow_origin) = match rb.send().await {
        Ok(resp) => {
            let code = resp.status().as_u16();
            let allow = resp
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let reply = match resp.text().await {
                Ok(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
                Err(e) => Value::String(format!("reply body unreadable: {e}")),
            };
            (code, reply, allow)
        }
        Err(e) => (0, Value::String(format!("no answer: {e}")), None),
    };
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let status = reply
        .get("statusCode")
        .and_then(Value::as_str)
        .map(str::to_string);
    Exchange {
        request,
        // `null`: the request had no body.
        body: body.unwrap_or(Value::Null),
        http,
        reply,
        status,
        ms,
        allow_origin,
        apdus: Vec::new(),
    }
}
