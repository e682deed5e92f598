//! The readers' PIN pads (the HC's and the HPC's) on the page: `GET pads` tells the page
//! when the middleware has asked a pad for a PIN (the page polls it and pops up its keypad), `POST pad` presses
//! keys — the control API's `POST /pads` vocabulary (control/pad.rs), so the page, `nhi-emu
//! ctl pad` and a script typing on the pad never disagree.

use super::api::bad_request;
use super::Console;
use crate::control::pad::PadPress;
use crate::control::{Command, Refusal, StatusCode};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// `GET pads`: every pad with its state (`waiting`, `entries`, `done`, `digits`).
pub async fn pads(State(c): State<Console>) -> Json<Value> {
    let pads: Vec<Value> = c
        .control
        .pads
        .iter()
        .map(|(reader, pad)| json!({ "reader": reader, "pad": pad.status() }))
        .collect();
    Json(json!({ "pads": pads }))
}

/// `POST pad`: `{reader, keys?, cancel?, timeout?}` as `POST /pads`.
pub async fn press(
    State(c): State<Console>,
    body: Result<Json<PadPress>, JsonRejection>,
) -> Response {
    let Ok(Json(p)) = body else {
        return Refusal::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "body: {reader, keys?: digits and # (OK), cancel?, timeout?}",
        )
        .into_response();
    };
    match c.control.apply(Command::Pad(p)).await {
        Ok(v) => Json(v).into_response(),
        Err(r) => r.into_response(),
    }
}

#[derive(Deserialize)]
pub struct PinBody {
    /// Absent or blank: typed on the reader's PIN pad instead.
    pin: Option<String>,
}

/// `POST hpc-pin`: the PIN typed on the page goes to the middleware's HPC verification
/// (a real Web API call: it shows in the call log; the PIN itself is never logged).
pub async fn hpc_pin(
    State(c): State<Console>,
    body: Result<Json<PinBody>, JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return bad_request("{pin}");
    };
    let Some(m) = &c.middleware else {
        return Refusal::new(
            StatusCode::NOT_FOUND,
            "no-middleware",
            "the console knows no middleware (nhi-emu up without --middleware): your own \
             software asks for the PIN",
        )
        .into_response();
    };
    let url = format!("{}{}", m.url(), nhi_protocol::api::path::HPC_VERIFY);
    // No PIN: the middleware asks the HPC reader's PIN pad (the page pops it up).
    let body = match b.pin.filter(|p| !p.is_empty()) {
        Some(pin) => json!({ "pin": pin }),
        None => json!({}),
    };
    let sent = m.web_api().post(&url).json(&body).send().await;
    let reply = match sent {
        Ok(r) => r.json::<Value>().await,
        Err(e) => {
            return Refusal::new(StatusCode::BAD_GATEWAY, "web-api", format!("{url}: {e}"))
                .into_response()
        }
    };
    match reply {
        Ok(v) => Json(v).into_response(),
        Err(e) => Refusal::new(
            StatusCode::BAD_GATEWAY,
            "web-api",
            format!("{url}: reply is not JSON: {e}"),
        )
        .into_response(),
    }
}
