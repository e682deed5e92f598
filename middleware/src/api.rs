//! The Web API of the control software 6.0 over axum: routing, body validation, CORS,
//! the API call log. Every reply is JSON with a `statusCode`.

use crate::device::Device;
use crate::fail::{Fail, OpResult};
use crate::mutants::{Mutant, Mutants};
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode as Http};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use nhi_protocol::api::path;
use nhi_protocol::mode::{HpcKind, Operation as Op};
use nhi_protocol::StatusCode as S;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Mutex as AsyncMutex;

/// Largest accepted request body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Entries kept in the API call log.
pub const LOG_CAP: usize = 1000;

/// One API call.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// Wall-clock time (RFC 3339).
    pub time: String,
    /// Method and path.
    pub path: String,
    /// Status code answered.
    pub status_code: String,
    /// Duration in milliseconds.
    pub duration_ms: f64,
}

/// Shared state of the API.
#[derive(Clone)]
pub struct AppState {
    /// The device (one operation at a time, like the real component).
    pub device: Arc<AsyncMutex<Device>>,
    /// The call log.
    pub log: Arc<Mutex<VecDeque<LogEntry>>>,
    /// CORS hosts whitelisted at start-up (changes apply after a restart).
    pub cors_hosts: Arc<Vec<String>>,
    /// Planted faults.
    pub mutants: Mutants,
}

/// The router.
pub fn router(state: AppState) -> Router {
    let app = Router::new()
        .merge(crate::openapi::swagger())
        .fallback(handle)
        .with_state(state);
    answer_panics(app)
}

/// Wraps a router so that a panicking handler answers [`panic_reply`].
fn answer_panics(app: Router) -> Router {
    app.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        panic_reply,
    ))
}

/// A handler that panicked still answers: HTTP 500, JSON with a status code (hyper would
/// otherwise drop the connection). The seed has no code for an internal fault of the control
/// software; 1799 (未定義錯誤, "undefined error") is the nearest.
fn panic_reply(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    tracing::error!(panic = %what, "handler panicked");
    json_reply(
        Http::INTERNAL_SERVER_ERROR,
        S::DcUndefined,
        Some(&format!("internal error: the handler panicked ({what})")),
        Value::Null,
    )
}

fn json_reply(http: Http, code: S, message: Option<&str>, extra: Value) -> Response {
    let mut v = json!({ "statusCode": code.code() });
    if let Some(m) = message {
        v["message"] = json!(m);
    }
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        for (k, val) in e {
            o.entry(k).or_insert(val);
        }
    }
    let mut r = (http, Json(v)).into_response();
    r.headers_mut()
        .insert("x-nhi-status", HeaderValue::from_static(code.code()));
    r
}

fn origin_allowed(origin: &str, hosts: &[String], any: bool) -> bool {
    if any {
        return true;
    }
    let host = origin.split("://").nth(1).unwrap_or(origin);
    let host = host.split('/').next().unwrap_or(host);
    let bare = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or(host).to_string()
    };
    matches!(bare.as_str(), "localhost" | "127.0.0.1" | "[::1]")
        || hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&bare) || h.eq_ignore_ascii_case(origin))
}

fn add_cors(resp: &mut Response, origin: Option<&str>, st: &AppState) {
    let Some(o) = origin else { return };
    if !origin_allowed(o, &st.cors_hosts, st.mutants.on(Mutant::CorsAnyOrigin)) {
        return;
    }
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(o) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
}

async fn handle(State(st): State<AppState>, req: Request<Body>) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let p = req.uri().path().to_string();
    let origin = header_str(req.headers(), header::ORIGIN);
    let mut resp = if method == Method::OPTIONS {
        Http::NO_CONTENT.into_response()
    } else {
        match to_bytes(req.into_body(), MAX_BODY).await {
            Err(_) => json_reply(
                Http::PAYLOAD_TOO_LARGE,
                S::ParamFormat2,
                Some("request body larger than 1 MiB"),
                Value::Null,
            ),
            Ok(bytes) => {
                let body = if bytes.is_empty() {
                    Ok(json!({}))
                } else {
                    match serde_json::from_slice::<Value>(&bytes) {
                        Ok(v @ Value::Object(_)) => Ok(v),
                        Ok(_) => Err(Fail::new(S::ParamFormat1, "body must be a JSON object")),
                        Err(e) => Err(Fail::new(S::ParamFormat1, format!("malformed JSON: {e}"))),
                    }
                };
                let r = match body {
                    Ok(b) => route(&st, &method, &p, &b).await,
                    Err(f) => Some(Err(f)),
                };
                match r {
                    None => json_reply(
                        Http::NOT_FOUND,
                        S::ParamFormat1,
                        Some(&format!("no API {method} {p}")),
                        Value::Null,
                    ),
                    Some(Ok(v)) => json_reply(Http::OK, S::Success, None, v),
                    Some(Err(f)) => {
                        let http = if matches!(
                            f.code,
                            S::ParamFormat1 | S::ParamFormat2 | S::ParamFormat3
                        ) {
                            Http::BAD_REQUEST
                        } else {
                            Http::OK
                        };
                        json_reply(http, f.code, Some(&f.message), Value::Null)
                    }
                }
            }
        }
    };
    add_cors(&mut resp, origin.as_deref(), &st);
    if method != Method::OPTIONS && p != path::CALL_LOG {
        let code = resp
            .headers()
            .get("x-nhi-status")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let entry = LogEntry {
            time: chrono::Utc::now().to_rfc3339(),
            path: format!("{method} {p}"),
            status_code: code.unwrap_or_default(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        // Method, path, code and duration only: bodies (PINs, PUKs, tokens) are never logged.
        tracing::info!(
            call = %entry.path,
            status = %entry.status_code,
            ms = %format!("{:.3}", entry.duration_ms),
            "api call"
        );
        let mut log = st.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() >= LOG_CAP {
            log.pop_front();
        }
        log.push_back(entry);
    }
    resp
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn str_of<'a>(b: &'a Value, k: &str) -> Result<&'a str, Fail> {
    b.get(k).and_then(Value::as_str).ok_or_else(|| {
        Fail::new(
            S::ParamFormat1,
            format!("field {k:?} missing or not a string"),
        )
    })
}

async fn op(st: &AppState, o: Op, body: &Value) -> OpResult {
    st.device.lock().await.run(o, body).await
}

async fn route(st: &AppState, m: &Method, p: &str, b: &Value) -> Option<OpResult> {
    use Method as M;
    let r = match (m.clone(), p) {
        (M::GET, path::STATUS) => Ok(st.device.lock().await.status()),
        (M::POST, path::INITIAL) => op(st, Op::Initial, b).await,
        (M::POST, path::FINALIZE) => op(st, Op::Finalize, b).await,
        (M::GET, path::VERSION) => op(st, Op::Version, b).await,
        (M::GET, path::READER_TIME) => op(st, Op::ReaderTime, b).await,
        (M::GET, path::CALL_LOG) => {
            let log: Vec<LogEntry> = st
                .log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned()
                .collect();
            Ok(json!({ "calls": log }))
        }
        (M::DELETE, path::CALL_LOG) => {
            st.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
            Ok(json!({}))
        }
        (M::POST, path::SAM_VERIFY) => op(st, Op::SamVerify, b).await,
        (M::DELETE, path::SAM_LOGOUT) => op(st, Op::SamLogout, b).await,
        (M::GET, path::SAM_BASIC) => op(st, Op::SamBasic, b).await,
        (M::POST, path::SAM_SIGNATURE) => op(st, Op::SamSignature, b).await,
        (M::POST, path::HPC_VERIFY) => op(st, Op::HpcVerifyPin, b).await,
        (M::POST, path::HPC_MOBILE) => op(st, Op::MobileHcaVerify, b).await,
        (M::GET, path::HPC_BASIC) => op(st, Op::HpcBasic, b).await,
        (M::POST, path::HPC_SIGNATURE) => op(st, Op::HpcSignature, b).await,
        (M::POST, path::HPC_PIN) => op(st, Op::HpcSetPin, b).await,
        (M::PUT, path::HPC_PIN) => op(st, Op::HpcResetPin, b).await,
        (M::DELETE, path::HPC_LOGOUT) => {
            let mobile = st.device.lock().await.state.hpc_kind == Some(HpcKind::Mobile);
            op(
                st,
                if mobile {
                    Op::MobileHcaLogout
                } else {
                    Op::HpcLogout
                },
                b,
            )
            .await
        }
        (M::POST, path::HC_VIRTUAL_VERIFY) => op(st, Op::HcVirtualVerify, b).await,
        (M::POST, path::HC_VIRTUAL_READ) => op(st, Op::HcVirtualReadBasic, b).await,
        (M::GET, path::HC_BASIC) => op(st, Op::HcBasic, b).await,
        (M::POST, path::HC_SIGNATURE) => op(st, Op::HcSignature, b).await,
        (M::POST, path::HPC_HC_SIGNATURE) => op(st, Op::HpcHcSignature, b).await,
        (M::GET, path::HC_PIN) => op(st, Op::HcPinStatus, b).await,
        (M::POST, path::HC_PIN) => op(st, Op::HcPinVerify, b).await,
        (M::PUT, path::HC_PIN) => op(st, Op::HcPinSet, b).await,
        (M::DELETE, path::HC_PIN) => op(st, Op::HcPinClear, b).await,
        (M::DELETE, path::HC_LOGOUT) => op(st, Op::HcLogout, b).await,
        (M::POST, path::HC_TRANSFER_EXPORT) => op(st, Op::HcTransferExport, b).await,
        (M::POST, path::HC_TRANSFER_IMPORT) => op(st, Op::HcTransferImport, b).await,
        (M::POST, path::HC_MARKER) => op(st, Op::HcMarkerUpdate, b).await,
        (M::GET, path::CLOUD_SAM_GET) => Ok(st.device.lock().await.cloud_sam_list()),
        (M::POST, path::CLOUD_SAM_ADD) => st.device.lock().await.cloud_sam_add(b),
        (M::POST, path::CLOUD_SAM_REMOVE) => match str_of(b, "samId") {
            Ok(id) => st.device.lock().await.cloud_sam_remove(id),
            Err(f) => Err(f),
        },
        (M::GET, path::PCSC_READERS) => st
            .device
            .lock()
            .await
            .readers()
            .map(|r| json!({ "readers": r })),
        (M::GET, path::PCSC_GET_DEFAULT) => st.device.lock().await.get_default_reader(),
        (M::POST, path::PCSC_SET_DEFAULT) => match str_of(b, "readerName") {
            Ok(n) => st.device.lock().await.set_default_reader(n),
            Err(f) => Err(f),
        },
        (M::POST, path::PCSC_REMOVE_DEFAULT) => st.device.lock().await.remove_default_reader(),
        (M::POST, path::PCSC_AUTODETECT) => st.device.lock().await.autodetect_reader(),
        (M::GET, path::CORS_GET) => {
            let d = st.device.lock().await;
            Ok(json!({ "hosts": d.store.settings.cors_hosts, "active": *st.cors_hosts }))
        }
        (M::POST, path::CORS_ADD) | (M::POST, path::CORS_REMOVE) => match str_of(b, "hostName") {
            Ok(h) if h.is_empty() || h.contains('/') || h.contains(' ') => Err(Fail::new(
                S::ParamFormat3,
                "hostName: a host name such as www.nhi.gov.tw",
            )),
            Ok(h) => {
                let mut d = st.device.lock().await;
                let hosts = &mut d.store.settings.cors_hosts;
                if p == path::CORS_ADD {
                    if !hosts.iter().any(|x| x == h) {
                        hosts.push(h.to_string());
                    }
                } else {
                    hosts.retain(|x| x != h);
                }
                d.store.save().map_err(|e| Fail::new(S::DcUndefined, e)).map(|_| json!({ "hosts": d.store.settings.cors_hosts, "appliesAfterRestart": true }))
            }
            Err(f) => Err(f),
        },
        _ => return None,
    };
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_still_answers_json_with_a_status_code() {
        let app = answer_panics(Router::new().route(
            "/boom",
            axum::routing::get(|| async {
                let v: Vec<u8> = Vec::new();
                // An out-of-range index: the kind of bug the layer is there for.
                #[allow(clippy::indexing_slicing)]
                let b = v[usize::from(v.is_empty())];
                b.to_string()
            }),
        ));
        let req = axum::http::Request::get("/boom")
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), Http::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["statusCode"], "1799", "{v}");
        assert!(v["message"].as_str().unwrap().contains("panicked"), "{v}");
    }
}
