//! The DC's HTTP API (documented in `protocol/docs/DC.md`, typed in
//! [`nhi_protocol::dc`]): one dispatcher from path + JSON body to the [`Dc`] rules, faults
//! applied first, every reply JSON with a `statusCode`. Only the `/api/v1/` paths are
//! served: the DC is administered through the emulator's control API, not this port.

use super::{api_staff, ArmedFault, Dc, DcError, ErrorKind};
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::State;
use axum::http::{Method, Request, StatusCode as Http};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use nhi_protocol::dc::msg as m;
use nhi_protocol::dc::{path, FaultKind};
use nhi_protocol::token::TokenAlg;
use nhi_protocol::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Largest request body the DC accepts.
pub const MAX_BODY: usize = 64 * 1024;
/// Largest reply the slow-body fault re-reads (its own reply: far above any real one).
const MAX_REPLY: usize = 16 * 1024 * 1024;
/// The device recorded when a client names none (`deviceId` is optional on the wire).
const UNKNOWN_DEVICE: &str = "unknown";

/// Shared state of the API.
#[derive(Clone, Debug)]
pub struct ApiState {
    /// The DC.
    pub dc: Arc<Dc>,
}

/// The router: `/api/v1/*` for clients; anything else is 1701.
pub fn router(state: ApiState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// The [`m::Status`] of every reply with the call's fields (`extra`, an object) beside it.
fn reply(http: Http, code: StatusCode, reason: &str, extra: Value) -> Response {
    let status = m::Status {
        status_code: code,
        message: reason.to_string(),
    };
    let mut v = json!(status);
    if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
        m.extend(e);
    }
    (http, Json(v)).into_response()
}

fn err(e: DcError) -> Response {
    let http = match (e.kind, e.code) {
        (ErrorKind::Internal, _) => Http::INTERNAL_SERVER_ERROR,
        (ErrorKind::StorageFull, _) => Http::INSUFFICIENT_STORAGE,
        (_, StatusCode::ParamFormat1 | StatusCode::ParamFormat2 | StatusCode::ParamFormat3) => {
            Http::BAD_REQUEST
        }
        (_, StatusCode::DcUnknownCommand) => Http::NOT_FOUND,
        _ => Http::OK,
    };
    reply(http, e.code, &e.reason, Value::Null)
}

/// The reply of an injected fault, if it answers instead of the DC (`latency` waits,
/// `refuse` and `slowBody` act on the connection and the body).
async fn injected(f: &ArmedFault) -> Option<Response> {
    let (http, code, reason) = match f.kind {
        FaultKind::Latency => {
            tokio::time::sleep(Duration::from_millis(f.ms)).await;
            return None;
        }
        FaultKind::Refuse | FaultKind::SlowBody => return None,
        FaultKind::Http5xx => (
            Http::SERVICE_UNAVAILABLE,
            StatusCode::DcHttp,
            "injected fault: HTTP 503",
        ),
        FaultKind::DropSession => (
            Http::OK,
            StatusCode::DcSession,
            "injected fault: session dropped",
        ),
        FaultKind::UnknownCommand => (
            Http::NOT_FOUND,
            StatusCode::DcUnknownCommand,
            "injected fault: unknown command",
        ),
        FaultKind::Undefined => (
            Http::OK,
            StatusCode::DcUndefined,
            "injected fault: undefined DC error",
        ),
        // No status code in the body: what a proxy or a broken DC sends.
        FaultKind::TooManyRequests => {
            let body = json!({ "error": "injected fault: HTTP 429 from a rate limiter" });
            return Some((Http::TOO_MANY_REQUESTS, Json(body)).into_response());
        }
        FaultKind::NoStatus => {
            let body = json!({ "note": "injected fault: a reply without a status code" });
            return Some((Http::OK, Json(body)).into_response());
        }
    };
    Some(reply(http, code, reason, Value::Null))
}

/// The request body as a JSON object (an empty body is `{}`).
fn body_object(bytes: &Bytes) -> Result<Value, DcError> {
    if bytes.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(DcError::new(
            StatusCode::ParamFormat1,
            "body must be a JSON object",
        )),
        Err(e) => Err(DcError::new(
            StatusCode::ParamFormat1,
            format!("malformed JSON: {e}"),
        )),
    }
}

async fn dispatch(State(st): State<ApiState>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let bearer = api_staff::bearer(req.headers());
    let faults = if path.starts_with("/api/") {
        st.dc.faults_for(&path)
    } else {
        Vec::new()
    };
    for f in &faults {
        if let Some(r) = injected(f).await {
            return r;
        }
    }
    let slow = faults
        .iter()
        .find(|f| f.kind == FaultKind::SlowBody)
        .map(|f| f.ms);
    let bytes = match to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return reply(
                Http::PAYLOAD_TOO_LARGE,
                StatusCode::ParamFormat2,
                "request body larger than 64 KiB or unreadable",
                Value::Null,
            )
        }
    };
    let body = match body_object(&bytes) {
        Ok(v) => v,
        Err(e) => return err(e),
    };
    let dc = st.dc.clone();
    // The rules run on a blocking thread: SQLite with synchronous=FULL fsyncs.
    let res = tokio::task::spawn_blocking(move || {
        match api_staff::route(&dc, &method, &path, bearer, body) {
            Ok(r) => r,
            Err(body) => route(&dc, &method, &path, body),
        }
    })
    .await;
    let resp = match res {
        Ok(Ok(v)) => reply(Http::OK, StatusCode::Success, "OK", v),
        Ok(Err(e)) => err(e),
        Err(_) => err(DcError::internal("internal error")),
    };
    match slow {
        Some(ms) => slow_body(resp, ms).await,
        None => resp,
    }
}

/// Sends the reply body 16 bytes at a time, `ms` apart (the "slow body" fault).
async fn slow_body(resp: Response, ms: u64) -> Response {
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_REPLY).await else {
        return err(DcError::internal("reply body unreadable"));
    };
    let chunks: Vec<Bytes> = bytes.chunks(16).map(Bytes::copy_from_slice).collect();
    let stream = futures_util::stream::unfold(chunks.into_iter(), move |mut it| async move {
        let c = it.next()?;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Some((Ok::<_, std::convert::Infallible>(c), it))
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// A typed request body; a missing or mistyped field is 1704, naming it.
pub(super) fn parse<T: DeserializeOwned>(body: Value) -> Result<T, DcError> {
    serde_json::from_value(body).map_err(|e| DcError::new(StatusCode::ParamFormat1, e.to_string()))
}

/// A typed reply as the JSON fields merged into the status object.
pub(super) fn fields<T: Serialize>(r: Result<T, DcError>) -> Result<Value, DcError> {
    Ok(serde_json::to_value(r?)?)
}

/// `ES256` when absent; anything but `ES256`/`RS256` is 1706.
fn token_alg(alg: Option<&str>) -> Result<TokenAlg, DcError> {
    match alg {
        None | Some("ES256") => Ok(TokenAlg::Es256),
        Some("RS256") => Ok(TokenAlg::Rs256),
        Some(o) => Err(DcError::new(
            StatusCode::ParamFormat3,
            format!("alg {o:?}: ES256 or RS256"),
        )),
    }
}

fn route(dc: &Dc, method: &Method, p: &str, b: Value) -> Result<Value, DcError> {
    if p == path::TIME {
        return fields(Ok(dc.time()));
    }
    if p == path::ADMIN_AUDIT {
        return fields(dc.audit());
    }
    if method != Method::POST {
        return Err(unknown(method, p));
    }
    match p {
        path::SAM_CHALLENGE => fields(dc.sam_challenge(&parse(b)?)),
        path::SAM_VERIFY => fields(dc.sam_verify(&parse(b)?)),
        path::CLOUD_SAM_SIGN => {
            let r: m::CloudSignRequest = parse(b)?;
            fields(dc.cloud_sign(&r.sam_session, &r.data))
        }
        path::CLOUD_SAM_DECRYPT => {
            let r: m::TokenRequest = parse(b)?;
            fields(dc.cloud_decrypt(&r.sam_session, &r.token))
        }
        path::VC_REGISTER => fields(dc.register(&parse(b)?)),
        path::VC_ACTIVATE => {
            let r: m::ActivateRequest = parse(b)?;
            fields(dc.activate(&r.auth, &r.phone_id, &r.hc_id))
        }
        path::VC_TOKEN => {
            let r: m::TokenIssueRequest = parse(b)?;
            fields(dc.token(&r.phone_id, token_alg(r.alg.as_deref())?))
        }
        path::VC_VERIFY => {
            let r: m::TokenRequest = parse(b)?;
            fields(dc.verify_token(&r.sam_session, &r.token))
        }
        path::VC_INSPECT => {
            let r: m::TokenRequest = parse(b)?;
            fields(dc.inspect_token(&r.sam_session, &r.token))
        }
        path::VC_TRANSFER_EXPORT => {
            let r: m::TransferExportRequest = parse(b)?;
            fields(dc.transfer_export(&r.sam_session, &r.card_id))
        }
        path::VC_TRANSFER_IMPORT => {
            let r: m::TransferImportRequest = parse(b)?;
            let device = r.device_id.as_deref().unwrap_or(UNKNOWN_DEVICE);
            fields(dc.transfer_import(&r.sam_session, &r.transfer_code, device))
        }
        path::VC_LOST_PHONE => {
            let r: m::PhoneRequest = parse(b)?;
            fields(dc.phone_lost(&r.phone_id))
        }
        path::GUARDIAN_GRANT => fields(dc.guardian_grant(&parse(b)?)),
        path::GUARDIAN_REVOKE => {
            let r: m::GuardianRequest = parse(b)?;
            fields(dc.guardian_revoke(&r.guardian_phone_id, &r.dependant_card_no))
        }
        path::GUARDIAN_LIST => {
            let r: m::GuardianListRequest = parse(b)?;
            fields(dc.guardian_list(&r.guardian_phone_id))
        }
        path::GUARDIAN_TOKEN => {
            let r: m::GuardianRequest = parse(b)?;
            fields(dc.guardian_token(
                &r.guardian_phone_id,
                &r.dependant_card_no,
                token_alg(r.alg.as_deref())?,
            ))
        }
        path::CARD_REPLACE => fields(dc.card_replace(&parse(b)?)),
        path::CARD_REAPPLY => fields(dc.card_reapply(&parse(b)?)),
        path::HCA_ISSUE => fields(dc.hca_issue(&parse(b)?)),
        path::HCA_LOGIN => {
            let r: m::HcaLoginRequest = parse(b)?;
            let device = r.device_id.as_deref().unwrap_or(UNKNOWN_DEVICE);
            fields(dc.hca_login(&r.sam_session, &r.credential, device))
        }
        path::HCA_SIGN => {
            let r: m::HcaSignRequest = parse(b)?;
            fields(dc.hca_sign(&r.hca_session, &r.data))
        }
        path::HCA_LOGOUT => {
            let r: m::HcaLogoutRequest = parse(b)?;
            fields(dc.hca_logout(&r.hca_session))
        }
        path::CERT_STATUS => {
            let r: m::CertStatusRequest = parse(b)?;
            fields(dc.cert_status(&r.sam_session, &r.certificate))
        }
        path::HC_MARKER => {
            let r: m::MarkerRequest = parse(b)?;
            fields(dc.marker(&r.sam_session, &r.hc_id))
        }
        path::HC_VISIT_WRITE => fields(dc.visit_write(&parse(b)?)),
        path::HC_INSURANCE => fields(dc.insurance(&parse(b)?)),
        path::HC_ITEMS => fields(dc.area_items(&parse(b)?)),
        path::HC_ITEMS_ADD => fields(dc.area_item_add(&parse(b)?)),
        path::UPLOAD => fields(dc.upload(&parse(b)?)),
        path::UPLOAD_QUERY => fields(dc.uploads(&parse(b)?)),
        path::ADMIN_PERSON => {
            let r: m::CardRequest = parse(b)?;
            fields(dc.person_masked(&r.card_id))
        }
        path::ADMIN_EXTERNAL_ID => {
            let r: m::CardRequest = parse(b)?;
            fields(dc.external_id(&r.card_id))
        }
        path::ADMIN_EXTERNAL_ID_DES => {
            let r: m::SecureDesRequest = parse(b)?;
            fields(dc.external_id_des(&r.card_id, &r.requester))
        }
        path::PASSBOOK_REGISTER => fields(dc.passbook_register(&parse(b)?)),
        path::PASSBOOK_AUTHORIZE => fields(dc.passbook_authorize(&parse(b)?)),
        path::PASSBOOK_FETCH => fields(dc.passbook_fetch(&parse(b)?)),
        path::PASSBOOK_PREAUTH_REVOKE => fields(dc.passbook_revoke_pre_authorization(&parse(b)?)),
        path::PASSBOOK_INTEGRATION_TEST => {
            let r: m::PassbookKeyRequest = parse(b)?;
            fields(dc.passbook_integration_test(&r.api_key))
        }
        path::PASSBOOK_APPLY => fields(dc.passbook_apply(&parse(b)?)),
        path::PASSBOOK_REVIEW => fields(dc.passbook_review(&parse(b)?)),
        path::PASSBOOK_PRODUCTION_KEY => {
            let r: m::PassbookKeyRequest = parse(b)?;
            fields(dc.passbook_production_key(&r.api_key))
        }
        path::PASSBOOK_REVOKE_KEY => fields(dc.passbook_revoke_key(&parse(b)?)),
        _ => Err(unknown(method, p)),
    }
}

pub(super) fn unknown(method: &Method, p: &str) -> DcError {
    DcError::new(
        StatusCode::DcUnknownCommand,
        format!("no command {method} {p}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_status_follows_the_error_kind_not_its_text() {
        let status = |e: DcError| err(e).status();
        assert_eq!(
            status(DcError::internal("anything")),
            Http::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status(DcError::new(
                StatusCode::DcUndefined,
                "database: looks internal"
            )),
            Http::OK
        );
        assert_eq!(
            status(DcError::new(StatusCode::ParamFormat2, "x")),
            Http::BAD_REQUEST
        );
        assert_eq!(
            status(DcError::new(StatusCode::DcUnknownCommand, "x")),
            Http::NOT_FOUND
        );
        assert_eq!(
            status(DcError::new(StatusCode::TokenTimedOut, "x")),
            Http::OK
        );
    }

    #[test]
    fn bodies_and_algorithms() {
        assert!(body_object(&Bytes::new()).unwrap().is_object());
        assert_eq!(
            body_object(&Bytes::from_static(b"[1]")).unwrap_err().code,
            StatusCode::ParamFormat1
        );
        assert_eq!(token_alg(None), Ok(TokenAlg::Es256));
        assert_eq!(token_alg(Some("RS256")), Ok(TokenAlg::Rs256));
        assert_eq!(
            token_alg(Some("HS256")).unwrap_err().code,
            StatusCode::ParamFormat3
        );
    }
}
