//! The error every operation returns: a 6.0 status code and a message.

use nhi_protocol::StatusCode;

/// A failed operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    /// Status code for the reply.
    pub code: StatusCode,
    /// Message for people (never contains a PIN or PUK).
    pub message: String,
}

impl Fail {
    /// Builds a failure.
    pub fn new(code: StatusCode, message: impl Into<String>) -> Fail {
        Fail {
            code,
            message: message.into(),
        }
    }
    /// A failure with the code's own English message.
    pub fn code(code: StatusCode) -> Fail {
        Fail {
            code,
            message: code.en().to_string(),
        }
    }
}

impl From<StatusCode> for Fail {
    fn from(c: StatusCode) -> Fail {
        Fail::code(c)
    }
}

/// Operation result.
pub type OpResult<T = serde_json::Value> = Result<T, Fail>;
