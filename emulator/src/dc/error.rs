//! The DC's error: a 6.0 status code, a reason for people, and whether it is a refusal by
//! the rules (HTTP 200 with the code) or the DC's own failure (HTTP 500).

use nhi_protocol::StatusCode;

/// Who is at fault when the DC does not answer with success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The rules refuse the request (a bad body, an expired session, a revoked SAM …).
    Refusal,
    /// The DC itself failed (its database, its keys): HTTP 500.
    Internal,
    /// The DC's disk is full: nothing was written, HTTP 507 (Insufficient Storage), so an
    /// operator sees at once what to fix; writes resume when space returns.
    StorageFull,
}

/// A DC refusal or failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcError {
    /// Status code.
    pub code: StatusCode,
    /// Why.
    pub reason: String,
    /// Refusal or internal failure.
    pub kind: ErrorKind,
}

impl DcError {
    /// A refusal by the rules.
    pub fn new(code: StatusCode, reason: impl Into<String>) -> DcError {
        DcError {
            code,
            reason: reason.into(),
            kind: ErrorKind::Refusal,
        }
    }

    /// A failure of the DC itself: 1799 and HTTP 500.
    pub fn internal(reason: impl Into<String>) -> DcError {
        DcError {
            code: StatusCode::DcUndefined,
            reason: reason.into(),
            kind: ErrorKind::Internal,
        }
    }
}

impl std::fmt::Display for DcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code.code(), self.reason)
    }
}

impl std::error::Error for DcError {}

impl From<rusqlite::Error> for DcError {
    fn from(e: rusqlite::Error) -> DcError {
        let full = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull);
        DcError {
            kind: if full {
                ErrorKind::StorageFull
            } else {
                ErrorKind::Internal
            },
            ..DcError::internal(format!("database: {e}"))
        }
    }
}

impl From<serde_json::Error> for DcError {
    fn from(e: serde_json::Error) -> DcError {
        DcError::internal(format!("JSON encoding: {e}"))
    }
}

/// A DC result: a typed reply or an error.
pub type DcResult<T> = Result<T, DcError>;
