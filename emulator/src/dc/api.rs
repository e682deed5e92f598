//! The DC's HTTP API (documented in `protocol/docs/DC.md`): one dispatcher from path + JSON body to
//! the [`Dc`] rules, faults applied first, every reply JSON with a `statusCode`.

use super::{Dc, DcError, Fault};
use crate::clock::VirtualClock;
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{Method, Request, StatusCode as Http};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use nhi_protocol::token::TokenAlg;
use nhi_protocol::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Largest request body the DC accepts.
pub const MAX_BODY: usize = 64 * 1024;

/// Shared state of the API.
#[derive(Clone, Debug)]
pub struct ApiState {
    /// The DC.
    pub dc: Arc<Dc>,
    /// The virtual clock, when the DC owns one the control endpoints may move.
    pub clock: Option<VirtualClock>,
}

/// The router: `/api/v1/*` for clients, `/control/*` for the harness.
pub fn router(state: ApiState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

fn reply(http: Http, code: StatusCode, reason: &str, extra: Value) -> Response {
    let mut v = json!({ "statusCode": code.code(), "message": reason });
    if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
        m.extend(e);
    }
    (http, Json(v)).into_response()
}

fn err(e: DcError) -> Response {
    let http = match e.code {
        StatusCode::ParamFormat1 | StatusCode::ParamFormat2 | StatusCode::ParamFormat3 => {
            Http::BAD_REQUEST
        }
        StatusCode::DcUnknownCommand => Http::NOT_FOUND,
        StatusCode::DcUndefined if e.reason.starts_with("database") => Http::INTERNAL_SERVER_ERROR,
        _ => Http::OK,
    };
    reply(http, e.code, &e.reason, Value::Null)
}

/// Body access with 1704 (missing / wrong type) errors naming the field.
struct Body2(Value);

impl Body2 {
    fn str(&self, k: &str) -> Result<&str, DcError> {
        self.0.get(k).and_then(Value::as_str).ok_or_else(|| {
            DcError::new(
                StatusCode::ParamFormat1,
                format!("field {k:?} missing or not a string"),
            )
        })
    }
    fn auth(&self) -> Result<super::SamAuth, DcError> {
        serde_json::from_value(self.0.clone())
            .map_err(|e| DcError::new(StatusCode::ParamFormat1, format!("SAM signature fields (samId, hospitalId, clientRandom, serviceType, signature): {e}")))
    }
    fn opt_str(&self, k: &str) -> Option<&str> {
        self.0.get(k).and_then(Value::as_str)
    }
    fn bool_or(&self, k: &str, d: bool) -> bool {
        self.0.get(k).and_then(Value::as_bool).unwrap_or(d)
    }
    fn i64(&self, k: &str) -> Result<i64, DcError> {
        self.0.get(k).and_then(Value::as_i64).ok_or_else(|| {
            DcError::new(
                StatusCode::ParamFormat1,
                format!("field {k:?} missing or not an integer"),
            )
        })
    }
}

async fn dispatch(State(st): State<ApiState>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    // Faults first (control paths are never faulted).
    if path.starts_with("/api/") {
        for f in st.dc.faults_for(&path) {
            match f.kind.as_str() {
                "latency" => tokio::time::sleep(Duration::from_millis(f.ms)).await,
                "http5xx" => {
                    return reply(
                        Http::SERVICE_UNAVAILABLE,
                        StatusCode::DcHttp,
                        "injected fault: HTTP 503",
                        Value::Null,
                    )
                }
                "dropSession" => {
                    return reply(
                        Http::OK,
                        StatusCode::DcSession,
                        "injected fault: session dropped",
                        Value::Null,
                    )
                }
                "unknownCommand" => {
                    return reply(
                        Http::NOT_FOUND,
                        StatusCode::DcUnknownCommand,
                        "injected fault: unknown command",
                        Value::Null,
                    )
                }
                "undefined" => {
                    return reply(
                        Http::OK,
                        StatusCode::DcUndefined,
                        "injected fault: undefined DC error",
                        Value::Null,
                    )
                }
                _ => {}
            }
        }
    }
    let slow = if path.starts_with("/api/") {
        st.dc
            .faults_for(&path)
            .iter()
            .find(|f| f.kind == "slowBody")
            .map(|f| f.ms)
    } else {
        None
    };
    let bytes = match to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return reply(
                Http::PAYLOAD_TOO_LARGE,
                StatusCode::ParamFormat2,
                "request body larger than 64 KiB",
                Value::Null,
            )
        }
    };
    let body = if bytes.is_empty() {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return reply(
                    Http::BAD_REQUEST,
                    StatusCode::ParamFormat1,
                    "body must be a JSON object",
                    Value::Null,
                )
            }
            Err(e) => {
                return reply(
                    Http::BAD_REQUEST,
                    StatusCode::ParamFormat1,
                    &format!("malformed JSON: {e}"),
                    Value::Null,
                )
            }
        }
    };
    let st2 = st.clone();
    // The rules run on a blocking thread: SQLite with synchronous=FULL fsyncs.
    let res = tokio::task::spawn_blocking(move || route(&st2, &method, &path, &Body2(body))).await;
    let resp = match res {
        Ok(Ok(v)) => reply(Http::OK, StatusCode::Success, "OK", v),
        Ok(Err(e)) => err(e),
        Err(_) => reply(
            Http::INTERNAL_SERVER_ERROR,
            StatusCode::DcUndefined,
            "internal error",
            Value::Null,
        ),
    };
    match slow {
        Some(ms) => slow_body(resp, ms).await,
        None => resp,
    }
}

/// Sends the reply body 16 bytes at a time, `ms` apart (the "slow body" fault).
async fn slow_body(resp: Response, ms: u64) -> Response {
    let (parts, body) = resp.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let chunks: Vec<axum::body::Bytes> = bytes
        .chunks(16)
        .map(axum::body::Bytes::copy_from_slice)
        .collect();
    let stream = futures_util::stream::unfold(chunks.into_iter(), move |mut it| async move {
        let c = it.next()?;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Some((Ok::<_, std::convert::Infallible>(c), it))
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

fn route(st: &ApiState, method: &Method, path: &str, b: &Body2) -> Result<Value, DcError> {
    let dc = &st.dc;
    match (method.as_str(), path) {
        (_, "/api/v1/Time") => dc.time(),
        ("POST", "/api/v1/Sam/Challenge") => dc.sam_challenge(
            b.str("samId")?,
            b.str("hospitalId")?,
            b.bool_or("cloud", false),
        ),
        ("POST", "/api/v1/Sam/Verify") => {
            dc.sam_verify(b.str("challengeId")?, b.str("samRandom")?, b.str("samMac")?)
        }
        ("POST", "/api/v1/CloudSam/Sign") => dc.cloud_sign(b.str("samSession")?, b.str("data")?),
        ("POST", "/api/v1/CloudSam/Decrypt") => {
            dc.cloud_decrypt(b.str("samSession")?, b.str("token")?)
        }
        ("POST", "/api/v1/VirtualCard/Register") => dc.register(
            b.str("phoneId")?,
            b.str("cardNo")?,
            b.str("idNo")?,
            b.bool_or("photoCheck", true),
            b.bool_or("counterCheck", true),
        ),
        ("POST", "/api/v1/VirtualCard/Activate") => {
            dc.activate(&b.auth()?, b.str("phoneId")?, b.str("hcId")?)
        }
        ("POST", "/api/v1/VirtualCard/Token") => {
            let alg = match b.opt_str("alg") {
                None | Some("ES256") => TokenAlg::Es256,
                Some("RS256") => TokenAlg::Rs256,
                Some(o) => {
                    return Err(DcError::new(
                        StatusCode::ParamFormat3,
                        format!("alg {o:?}: ES256 or RS256"),
                    ))
                }
            };
            dc.token(b.str("phoneId")?, alg)
        }
        ("POST", "/api/v1/VirtualCard/Verify") => {
            dc.verify_token(b.str("samSession")?, b.str("token")?)
        }
        ("POST", "/api/v1/VirtualCard/Inspect") => {
            dc.inspect_token(b.str("samSession")?, b.str("token")?)
        }
        ("POST", "/api/v1/VirtualCard/Transfer/Export") => {
            dc.transfer_export(b.str("samSession")?, b.str("cardId")?)
        }
        ("POST", "/api/v1/VirtualCard/Transfer/Import") => dc.transfer_import(
            b.str("samSession")?,
            b.str("transferCode")?,
            b.opt_str("deviceId").unwrap_or("unknown"),
        ),
        ("POST", "/api/v1/VirtualCard/LostPhone") => dc.lost_phone(b.str("phoneId")?),
        ("POST", "/api/v1/MobileHca/Issue") => dc.hca_issue(
            b.str("hpcId")?,
            b.str("idNo")?,
            b.str("name")?,
            b.str("hospitalId")?,
        ),
        ("POST", "/api/v1/MobileHca/Login") => dc.hca_login(
            b.str("samSession")?,
            b.str("credential")?,
            b.opt_str("deviceId").unwrap_or("unknown"),
        ),
        ("POST", "/api/v1/MobileHca/Sign") => dc.hca_sign(b.str("hcaSession")?, b.str("data")?),
        ("POST", "/api/v1/MobileHca/Logout") => dc.hca_logout(b.str("hcaSession")?),
        ("POST", "/api/v1/Hca/CertStatus") => {
            dc.cert_status(b.str("samSession")?, b.str("certificate")?)
        }
        ("POST", "/api/v1/Hc/Marker") => dc.marker(b.str("samSession")?, b.str("hcId")?),
        ("POST", "/api/v1/Upload") => dc.upload(
            &b.auth()?,
            b.str("specialCode")?,
            b.str("hcId")?,
            b.opt_str("hpcId"),
            b.0.get("visit").unwrap_or(&Value::Null),
        ),
        ("POST", "/api/v1/Upload/Query") => dc.uploads(&b.auth()?),
        ("POST", "/api/v1/Admin/Person") => dc.person_masked(b.str("cardId")?),
        ("POST", "/api/v1/Admin/ExternalId") => dc.external_id(b.str("cardId")?),
        ("POST", "/api/v1/Admin/DecryptRequest") => {
            dc.decrypt_request(b.str("requester")?, b.str("cardId")?, b.str("reason")?)
        }
        ("POST", "/api/v1/Admin/Approve") => {
            dc.decrypt_approve(b.i64("requestId")?, b.str("approver")?, b.str("role")?)
        }
        ("POST", "/api/v1/Admin/View") => dc.decrypt_view(b.i64("requestId")?, b.str("requester")?),
        (_, "/api/v1/Admin/Audit") => dc.audit(),
        ("POST", "/control/CloudSam/Issue") => dc
            .issue_cloud_sam(b.str("hospitalId")?)
            .map(|(n, c)| json!({ "fileName": n, "content": c })),
        ("POST", "/control/Hospital") => dc.set_hospital(
            b.str("hospitalId")?,
            b.0.get("suspended").and_then(Value::as_bool),
            b.0.get("revoked").and_then(Value::as_bool),
            b.0.get("contractTo").and_then(Value::as_i64),
        ),
        ("POST", "/control/Cert/Revoke") => dc.revoke_cert(b.str("serial")?),
        ("POST", "/control/Faults") => {
            let f: Fault = serde_json::from_value(b.0.clone())
                .map_err(|e| DcError::new(StatusCode::ParamFormat1, e.to_string()))?;
            if let Err(e) = f.check() {
                return Err(DcError::new(StatusCode::ParamFormat3, e));
            }
            dc.arm_fault(f);
            Ok(json!({ "faults": dc.faults() }))
        }
        ("DELETE", "/control/Faults") | ("POST", "/control/Faults/Clear") => {
            dc.clear_faults(b.opt_str("path"));
            Ok(json!({ "faults": dc.faults() }))
        }
        (_, "/control/Clock") => {
            let Some(c) = &st.clock else {
                return Err(DcError::new(
                    StatusCode::DcUnknownCommand,
                    "this DC runs on a clock it does not own",
                ));
            };
            if let Some(t) = b.0.get("set").and_then(Value::as_i64) {
                c.set(t);
            }
            if let Some(d) = b.0.get("advance").and_then(Value::as_i64) {
                c.advance(d);
            }
            dc.time()
        }
        _ => Err(DcError::new(
            StatusCode::DcUnknownCommand,
            format!("no command {method} {path}"),
        )),
    }
}
