//! The HTTP shell of seed 002's file decryption by staff roles ([`super::decrypt_files`]):
//! the bearer token of the `Authorization` header, checked before the body is read.

use super::api::{fields, parse, unknown};
use super::{Dc, DcError};
use axum::http::Method;
use nhi_protocol::dc::msg as m;
use nhi_protocol::dc::path;
use serde_json::Value;

/// The staff token of `Authorization: Bearer <token>` (the header's whole value when it
/// lacks the scheme, so that it is refused as an unknown token, not as a missing one).
pub(super) fn bearer(h: &axum::http::HeaderMap) -> Option<String> {
    let v =
        String::from_utf8_lossy(h.get(axum::http::header::AUTHORIZATION)?.as_bytes()).into_owned();
    Some(match v.strip_prefix("Bearer ") {
        Some(t) => t.to_string(),
        None => v,
    })
}

/// The staff calls of seed 002's file decryption (dc/decrypt_files.rs): the token is
/// checked before the body. `Err(body)`: not one of them.
pub(super) fn route(
    dc: &Dc,
    method: &Method,
    p: &str,
    bearer: Option<String>,
    b: Value,
) -> Result<Result<Value, DcError>, Value> {
    use super::decrypt_files::staff;
    let call = |b: Value| -> Result<Value, DcError> {
        if method != Method::POST {
            return Err(unknown(method, p));
        }
        let u = staff(bearer.as_deref())?;
        match p {
            path::DECRYPT_REQUEST => fields(dc.decrypt_file_request(u, &parse(b)?)),
            path::DECRYPT_APPROVE => {
                let r: m::DecryptRequestNo = parse(b)?;
                fields(dc.decrypt_file_approve(u, &r.request_no))
            }
            path::DECRYPT_RUN => {
                let r: m::DecryptRequestNo = parse(b)?;
                fields(dc.decrypt_file_run(u, &r.request_no))
            }
            path::DECRYPT_DOWNLOAD => {
                let r: m::DecryptRequestNo = parse(b)?;
                fields(dc.decrypt_file_download(u, &r.request_no))
            }
            path::DECRYPT_SHOW => {
                let r: m::DecryptRequestNo = parse(b)?;
                fields(dc.decrypt_file_show(u, &r.request_no))
            }
            _ => {
                let r: m::AuditReportRequest = parse(b)?;
                fields(dc.decrypt_audit_report(u, &r.month))
            }
        }
    };
    match p {
        path::DECRYPT_REQUEST
        | path::DECRYPT_APPROVE
        | path::DECRYPT_RUN
        | path::DECRYPT_DOWNLOAD
        | path::DECRYPT_SHOW
        | path::DECRYPT_AUDIT_REPORT => Ok(call(b)),
        _ => Err(b),
    }
}
