//! The HTTP shell of seed 002's file decryption by staff roles ([`super::decrypt_files`]):
//! the bearer token of the `Authorization` header, checked before the body is read.

use super::api::{fields, parse, unknown};
use super::staff::{Role, StaffUser};
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

/// The person named in a body of the per-person decryption flow (`Admin/DecryptRequest`,
/// `Admin/Approve`, `Admin/View`) must be the authenticated user, in `role`: a caller cannot
/// claim to be someone else (seed 002: decryption only through authenticated roles).
fn acting_as(u: &StaffUser, named: &str, role: Role) -> Result<(), DcError> {
    u.must_be(role)?;
    if u.user == named {
        Ok(())
    } else {
        Err(DcError::new(
            nhi_protocol::StatusCode::ParamFormat3,
            format!("{named:?} is not the authenticated user {:?}", u.user),
        ))
    }
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
            path::ADMIN_DECRYPT_REQUEST => {
                let r: m::DecryptRequest = parse(b)?;
                acting_as(u, &r.requester, Role::Requester)?;
                fields(dc.decrypt_request(&r))
            }
            path::ADMIN_APPROVE => {
                let r: m::ApproveRequest = parse(b)?;
                acting_as(u, &r.approver, Role::Supervisor)?;
                fields(dc.decrypt_approve(r.request_id, &r.approver, &r.role))
            }
            path::ADMIN_VIEW => {
                let r: m::ViewRequest = parse(b)?;
                acting_as(u, &r.requester, Role::Requester)?;
                fields(dc.decrypt_view(r.request_id, &r.requester))
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
        | path::DECRYPT_AUDIT_REPORT
        | path::ADMIN_DECRYPT_REQUEST
        | path::ADMIN_APPROVE
        | path::ADMIN_VIEW => Ok(call(b)),
        _ => Err(b),
    }
}
