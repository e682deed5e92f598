//! The Web API of the control software 6.0 over axum: routing, body validation, CORS,
//! the API call log. Every reply is JSON with a `statusCode`.

use crate::device::Device;
use crate::error::{reply, request, Fail, OpResult};
use crate::mutants::{Mutant, Mutants};
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode as Http};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use nhi_protocol::api::reply::{
    CallLogEntry, CallLogReply, CorsChangedReply, CorsListReply, Empty, ReadersReply,
};
use nhi_protocol::api::request::{
    CloudSamAddRequest, HostNameRequest, ReaderNameRequest, SamIdRequest,
};
use nhi_protocol::api::{self, path, Action};
use nhi_protocol::mode::{HpcKind, Operation as Op};
use nhi_protocol::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Mutex as AsyncMutex;

/// Largest accepted request body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Entries kept in the API call log.
pub use crate::calllog::LOG_CAP;

/// One API call.
pub type LogEntry = CallLogEntry;

/// Shared state of the API.
#[derive(Clone)]
pub struct AppState {
    /// The device (one operation at a time, like the real component).
    pub device: Arc<AsyncMutex<Device>>,
    /// The call log.
    pub log: crate::calllog::CallLog,
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
    let what = nhi_cli::panic_text(err.as_ref());
    tracing::error!(panic = %what, "handler panicked");
    json_reply(
        Http::INTERNAL_SERVER_ERROR,
        StatusCode::DcUndefined,
        Some(&format!("internal error: the handler panicked ({what})")),
        Value::Null,
    )
}

fn json_reply(http: Http, code: StatusCode, message: Option<&str>, extra: Value) -> Response {
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

fn add_cors(resp: &mut Response, origin: Option<&str>, st: &AppState) {
    let Some(o) = origin else { return };
    if !crate::cors::origin_allowed(o, &st.cors_hosts, st.mutants.on(Mutant::CorsAnyOrigin)) {
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
    if method == Method::OPTIONS {
        let mut resp = Http::NO_CONTENT.into_response();
        add_cors(&mut resp, origin.as_deref(), &st);
        return resp;
    }
    let (code, mut resp) = match to_bytes(req.into_body(), MAX_BODY).await {
        Err(_) => (
            StatusCode::ParamFormat2,
            json_reply(
                Http::PAYLOAD_TOO_LARGE,
                StatusCode::ParamFormat2,
                Some("request body larger than 1 MiB"),
                Value::Null,
            ),
        ),
        Ok(bytes) => answer(&st, &method, &p, &bytes).await,
    };
    add_cors(&mut resp, origin.as_deref(), &st);
    if p != path::CALL_LOG {
        let entry = LogEntry {
            time: chrono::Utc::now().to_rfc3339(),
            path: format!("{method} {p}"),
            status_code: code.code().to_string(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        // Method, path, code and duration only: bodies (PINs, PUKs, tokens) are never logged.
        tracing::info!(
            call = %entry.path,
            status = %entry.status_code,
            ms = %format!("{:.3}", entry.duration_ms),
            "api call"
        );
        st.log.push(entry);
    }
    resp
}

/// The reply to one request with a body that fit: its status code and the response.
async fn answer(st: &AppState, method: &Method, p: &str, bytes: &[u8]) -> (StatusCode, Response) {
    let body = if bytes.is_empty() {
        Ok(json!({}))
    } else {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(_) => Err(Fail::new(
                StatusCode::ParamFormat1,
                "body must be a JSON object",
            )),
            Err(e) => Err(Fail::new(
                StatusCode::ParamFormat1,
                format!("malformed JSON: {e}"),
            )),
        }
    };
    let endpoint = api::Method::parse(method.as_str()).and_then(|m| api::endpoints::find(m, p));
    // A malformed body is answered before an unknown path.
    let r = match (body, endpoint) {
        (Err(f), _) => Err(f),
        (Ok(_), None) => {
            let code = StatusCode::ParamFormat1;
            let msg = format!("no API {method} {p}");
            return (
                code,
                json_reply(Http::NOT_FOUND, code, Some(&msg), Value::Null),
            );
        }
        (Ok(b), Some(e)) => route(st, e.action, &b).await,
    };
    match r {
        Ok(v) => (
            StatusCode::Success,
            json_reply(Http::OK, StatusCode::Success, None, v),
        ),
        Err(f) => {
            let http = if matches!(
                f.code,
                StatusCode::ParamFormat1 | StatusCode::ParamFormat2 | StatusCode::ParamFormat3
            ) {
                Http::BAD_REQUEST
            } else {
                Http::OK
            };
            (
                f.code,
                json_reply(http, f.code, Some(&f.message), Value::Null),
            )
        }
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Runs what an endpoint of `nhi_protocol::api::ENDPOINTS` does.
async fn route(st: &AppState, action: Action, b: &Value) -> OpResult {
    match action {
        Action::Op(op) => {
            let mut d = st.device.lock().await;
            // One DELETE logs out either kind of HPC: the mobile HCA's logout is its own
            // operation in the mode table.
            let op = if op == Op::HpcLogout && d.state.hpc_kind == Some(HpcKind::Mobile) {
                Op::MobileHcaLogout
            } else {
                op
            };
            d.run(op, b).await
        }
        Action::HcArea(a) => st.device.lock().await.hc_area(a, b).await,
        Action::Status => st.device.lock().await.status(),
        Action::DeviceName => st.device.lock().await.name(),
        Action::Devices => st.device.lock().await.devices(),
        Action::CallLog => {
            let calls: Vec<LogEntry> = st.log.entries();
            reply(&CallLogReply { calls })
        }
        Action::ClearCallLog => {
            st.log.clear();
            reply(&Empty {})
        }
        Action::CloudSamList => crate::cloud_sam::list(&st.device.lock().await.store),
        Action::CloudSamAdd => {
            let req: CloudSamAddRequest = request(b)?;
            let check_name = !st.mutants.on(Mutant::CloudSamNameUnchecked);
            #[cfg(feature = "mutants")]
            if st.mutants.on(Mutant::CloudSamNameByteSlice) {
                crate::mutants::old_cloud_sam_name_check(&req.file_name);
            }
            crate::cloud_sam::add(&mut st.device.lock().await.store, &req, check_name)
        }
        Action::CloudSamRemove => {
            let req: SamIdRequest = request(b)?;
            crate::cloud_sam::remove(&mut st.device.lock().await.store, &req.sam_id)
        }
        Action::Readers => {
            let readers = st.device.lock().await.readers()?;
            reply(&ReadersReply { readers })
        }
        Action::GetDefaultReader => st.device.lock().await.get_default_reader(),
        Action::SetDefaultReader => {
            let req: ReaderNameRequest = request(b)?;
            st.device.lock().await.set_default_reader(&req.reader_name)
        }
        Action::RemoveDefaultReader => st.device.lock().await.remove_default_reader(),
        Action::AutodetectReader => st.device.lock().await.autodetect_reader(),
        Action::CorsList => {
            let d = st.device.lock().await;
            reply(&CorsListReply {
                hosts: d.store.settings.cors_hosts.clone(),
                active: st.cors_hosts.to_vec(),
            })
        }
        Action::CorsAdd | Action::CorsRemove => {
            let h = request::<HostNameRequest>(b)?.host_name;
            crate::cors::check_entry(&h)?;
            let mut d = st.device.lock().await;
            let hosts = &mut d.store.settings.cors_hosts;
            if action == Action::CorsAdd {
                if !hosts.contains(&h) {
                    hosts.push(h);
                }
            } else {
                hosts.retain(|x| *x != h);
            }
            d.store.save_for(crate::settings::Setting::Cors)?;
            reply(&CorsChangedReply {
                hosts: d.store.settings.cors_hosts.clone(),
                applies_after_restart: true,
            })
        }
    }
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
