//! The error every operation returns: a 6.0 status code and a message; and the success
//! value every operation returns: the fields of one of nhi-protocol's reply types.

use crate::transport::TransportError;
use nhi_protocol::StatusCode;
use serde::Serialize;
use serde_json::Value;

/// A failed operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    /// Status code for the reply.
    pub code: StatusCode,
    /// Message for people (never contains a PIN or PUK).
    pub message: String,
    /// Tries left when a card refused a wrong PIN (63Cx): the cause, for callers that
    /// must tell a wrong PIN from a blocked one.
    pub tries_left: Option<u8>,
}

impl Fail {
    /// Builds a failure.
    pub fn new(code: StatusCode, message: impl Into<String>) -> Fail {
        Fail {
            code,
            message: message.into(),
            tries_left: None,
        }
    }
    /// A failure with the code's own English message.
    pub fn code(code: StatusCode) -> Fail {
        Fail::new(code, code.en())
    }
    /// A wrong PIN or PUK (the card answered 63Cx).
    pub fn wrong_pin(code: StatusCode, what: &str, tries_left: u8) -> Fail {
        Fail {
            tries_left: Some(tries_left),
            ..Fail::new(code, format!("wrong {what}, {tries_left} tries left"))
        }
    }
    /// A DC reply that lacks a field or has one of the wrong shape (1799).
    pub fn dc_reply(what: impl std::fmt::Display) -> Fail {
        Fail::new(
            StatusCode::DcUndefined,
            format!("DC reply unusable: {what}"),
        )
    }
}

impl From<StatusCode> for Fail {
    fn from(c: StatusCode) -> Fail {
        Fail::code(c)
    }
}

/// A reader failure as a 6.0 status code.
pub fn transport_fail(e: TransportError) -> Fail {
    let code = match e {
        TransportError::NoCard | TransportError::Removed => StatusCode::NoCard,
        TransportError::UnknownReader(_) => StatusCode::ReaderNameNotFound,
        TransportError::PortOpen(_) => StatusCode::ComportOpen,
        TransportError::ReaderFailed(_) => StatusCode::ReaderOperation,
        TransportError::NoService(_) | TransportError::Other(_) => StatusCode::PcscOther,
    };
    Fail::new(code, e.to_string())
}

/// The reply fields of a successful operation (a JSON object; the API adds `statusCode`).
pub type Reply = Value;

/// Operation result.
pub type OpResult<T = Reply> = Result<T, Fail>;

/// The fields of a typed reply (from `nhi_protocol::api::reply`).
pub fn reply<T: Serialize>(body: &T) -> OpResult {
    serde_json::to_value(body)
        .map_err(|e| Fail::new(StatusCode::DcUndefined, format!("reply not encodable: {e}")))
}

/// Parses a request body into its type; a missing or mistyped field is 1704.
pub fn request<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, Fail> {
    T::deserialize(body).map_err(|e| Fail::new(StatusCode::ParamFormat1, e.to_string()))
}
