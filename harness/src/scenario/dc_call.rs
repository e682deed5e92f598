//! `dc_call` steps: a call straight to the emulated DC (`/api/v1/…`, protocol/docs/DC.md)
//! as the phone app, an institution's back end or the NHI would make it — for what only
//! the DC serves (seed 003's passbook SDK, seed 001's registration). Checked like a
//! Web API call (`expect`, `fields`, `absent`, `save`); the DC takes `POST` only, except
//! `Time` and `Admin/Audit`, which take any method.

use crate::bench::Bench;
use crate::client::{DcApi, Exchange};
use crate::truth::Truth;
use nhi_protocol::dc::path as dc_path;
use serde_json::{json, Value};

/// Checks a `dc_call` line's method: `POST` (the DC's one method for commands).
pub fn check_method(method: &str) -> Result<(), String> {
    if method == "POST" {
        Ok(())
    } else {
        Err(format!("dc_call: the DC's commands are POST, not {method}"))
    }
}

/// POSTs `body` (an empty object when absent) to the bench's DC; Err when no client of
/// the DC can be made (the step cannot be played).
pub async fn send(bench: &Bench<'_>, path: &str, body: Option<Value>) -> Result<Exchange, String> {
    let (url, ca) = bench.dc();
    let dc = DcApi::new(&url, &ca).map_err(|e| format!("dc_call: a client of the DC: {e}"))?;
    Ok(dc.send(path, &body.unwrap_or_else(|| json!({}))).await)
}

/// What a successful DC call changes in the ground truth: a replacement or re-application
/// gives the person a new card number (seed 001), which later replies must carry.
pub fn follow(truth: &mut Truth<'_>, path: &str, body: Option<&Value>, reply: &Value) {
    if path == dc_path::CARD_REPLACE || path == dc_path::CARD_REAPPLY {
        let old = body.and_then(|b| b["cardNo"].as_str());
        if let (Some(old), Some(new)) = (old, reply["cardNo"].as_str()) {
            truth.card_replaced(old, new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_post_reaches_the_dc() {
        assert!(check_method("POST").is_ok());
        assert!(check_method("GET").unwrap_err().contains("POST"));
    }
}
