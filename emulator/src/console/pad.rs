//! The HPC reader's PIN pad on the page: `GET pads` tells the page when the middleware has
//! asked the pad for a PIN (the page polls it and pops up its keypad), `POST pad` presses
//! keys — the control API's `POST /pads` vocabulary (control/pad.rs), so the page, `nhi-emu
//! ctl pad` and a script typing on the pad never disagree.

use super::Console;
use crate::control::pad::PadPress;
use crate::control::{Command, Refusal, StatusCode};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
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
