//! The console's JSON routes under `/console/api/` (emulator/docs/CONSOLE.md). Card,
//! clock and fault changes go through [`Control::apply`], so the console and the control
//! API cannot disagree; a refused request answers `{ "error", "reason" }` with a 4xx
//! status and changes nothing.

use super::Console;
use crate::card::CardKind;
use crate::clock::Clock;
use crate::control::http::InsertBody;
use crate::control::{
    CardSpec, ClockChange, Command, Control, FaultRequest, Insert, Refusal, Remove, StatusCode,
};
use crate::fixtures::rfc3339;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use nhi_protocol::dc::FaultKind;
use serde::Deserialize;
use serde_json::{json, Value};

/// The virtual clock stays where token payloads can carry it (u32 Unix seconds).
const CLOCK_RANGE: std::ops::RangeInclusive<i64> = 0..=(u32::MAX as i64);

pub(super) fn bad_request(expected: &str) -> Response {
    Refusal::new(
        StatusCode::BAD_REQUEST,
        "bad-request",
        format!("body: {expected}"),
    )
    .into_response()
}

async fn apply(c: &Control, cmd: Command) -> Response {
    match c.apply(cmd).await {
        Ok(v) => Json(v).into_response(),
        Err(r) => r.into_response(),
    }
}

/// The holder's name of a card serial (HC card number, HPC card id, SAM id).
fn holder(c: &Control, kind: CardKind, serial: &str) -> Option<String> {
    let f = &c.fixtures;
    match kind {
        CardKind::Hc => f
            .people
            .iter()
            .find(|p| p.card_no == serial)
            .map(|p| p.name.clone()),
        CardKind::Hpc => f
            .hpcs
            .iter()
            .find(|h| h.card_id == serial)
            .map(|h| h.name.clone()),
        CardKind::Sam => f
            .hospitals
            .iter()
            .find(|h| h.sam_id == serial)
            .map(|h| h.short_name.clone()),
    }
}

async fn state(State(c): State<Console>) -> Response {
    let ctl = &c.control;
    let readers: Vec<Value> = ctl
        .slots
        .iter()
        .map(|s| {
            let card = s.slot.describe().map(|(kind, serial)| {
                json!({ "kind": kind, "serial": serial, "holder": holder(ctl, kind, &serial) })
            });
            json!({ "reader": s.name, "card": card })
        })
        .collect();
    let now = ctl.clock.now();
    let fx = &ctl.fixtures;
    let people: Vec<Value> = fx
        .people
        .iter()
        .map(|p| json!({ "key": p.id_no, "name": p.name, "cardNo": p.card_no }))
        .collect();
    let hpcs: Vec<Value> = fx
        .hpcs
        .iter()
        .map(|h| json!({ "key": h.card_id, "name": h.name }))
        .collect();
    let hospitals: Vec<Value> = fx
        .hospitals
        .iter()
        .map(|h| json!({ "key": h.id, "name": h.short_name }))
        .collect();
    let middleware = match &c.middleware {
        None => Value::Null,
        // No calls wanted here: `calls` reads them.
        Some(m) => match m.feed(u64::MAX).await {
            Ok(f) => json!({ "url": m.url(), "status": f.status, "statusError": f.status_error }),
            Err(e) => json!({
                "url": m.url(),
                "status": null,
                "statusError": e.reason(),
                "unavailable": e.kind(),
            }),
        },
    };
    Json(json!({
        "readers": readers,
        "clock": {
            "unix": now,
            "rfc3339": chrono::DateTime::from_timestamp(now, 0).map(|d| d.to_rfc3339()),
        },
        // No DC in this emulator: null, not an empty list.
        "faults": ctl.dc.as_ref().map(|d| d.faults()),
        "faultKinds": FaultKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "cardKinds": CardSpec::ALL.iter().map(|k| k.name()).collect::<Vec<_>>(),
        "people": people,
        "hpcs": hpcs,
        "hospitals": hospitals,
        "middleware": middleware,
    }))
    .into_response()
}

/// `POST insert`: the control API's body and checks (control/http.rs), so both refuse alike.
async fn insert(
    State(c): State<Console>,
    body: Result<Json<InsertBody>, JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return bad_request("{reader, card, person?}");
    };
    match b.command(&c.control) {
        Ok(cmd) => apply(&c.control, cmd).await,
        Err(r) => r.into_response(),
    }
}

async fn remove(State(c): State<Console>, body: Result<Json<Remove>, JsonRejection>) -> Response {
    match body {
        Ok(Json(r)) => apply(&c.control, Command::Remove(r)).await,
        Err(_) => bad_request("{reader}"),
    }
}

/// `POST yank`: the card leaves at once, whatever the middleware is doing with it (an
/// operation in flight sees the card removed at its next APDU).
async fn yank(State(c): State<Console>, body: Result<Json<Remove>, JsonRejection>) -> Response {
    let Ok(Json(r)) = body else {
        return bad_request("{reader}");
    };
    let slot = match c.control.slot(&r.reader) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    match slot.slot.remove() {
        Some(card) => Json(json!({ "reader": r.reader, "yanked": card.label() })).into_response(),
        None => Refusal::new(
            StatusCode::CONFLICT,
            "no-card",
            format!("no card in {:?} to yank", r.reader),
        )
        .into_response(),
    }
}

#[derive(Deserialize)]
struct SwapBody {
    reader: String,
    person: String,
}

/// `POST swap`: the same kind of card, another holder.
async fn swap(State(c): State<Console>, body: Result<Json<SwapBody>, JsonRejection>) -> Response {
    let Ok(Json(b)) = body else {
        return bad_request("{reader, person}");
    };
    let kind = match c.control.slot(&b.reader) {
        Ok(s) => s.slot.describe().map(|(k, _)| k),
        Err(r) => return r.into_response(),
    };
    let Some(kind) = kind else {
        return Refusal::new(
            StatusCode::CONFLICT,
            "no-card",
            format!("no card in {:?} to swap: insert one", b.reader),
        )
        .into_response();
    };
    let card = match kind {
        CardKind::Hc => CardSpec::Hc,
        CardKind::Hpc => CardSpec::Hpc,
        CardKind::Sam => CardSpec::Sam,
    };
    let cmd = Command::Insert(Insert {
        reader: b.reader,
        card,
        person: Some(b.person),
    });
    apply(&c.control, cmd).await
}

/// `POST clock`: `set` is RFC 3339 text (the page's field), `advance` whole seconds.
#[derive(Deserialize)]
struct ClockBody {
    set: Option<String>,
    advance: Option<i64>,
}

/// The control command of a clock body, or why it is refused (nothing changes then).
fn clock_change(b: &ClockBody, now: i64) -> Result<ClockChange, Refusal> {
    let bad = |reason: String| Refusal::new(StatusCode::BAD_REQUEST, "bad-clock", reason);
    let set = match b.set.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(rfc3339(text).map_err(|e| {
            bad(format!(
                "malformed clock {text:?}: {e} (e.g. 2019-10-21T09:00:00+08:00)"
            ))
        })?),
    };
    let start = set.unwrap_or(now);
    let moved = match b.advance {
        Some(d) => start.checked_add(d),
        None => Some(start),
    };
    if !moved.is_some_and(|t| CLOCK_RANGE.contains(&t)) {
        return Err(bad(
            "the clock must stay between 1970-01-01 and 2106-02-07 (token times are 32-bit)".into(),
        ));
    }
    Ok(ClockChange {
        set,
        advance: b.advance,
    })
}

async fn clock(State(c): State<Console>, body: Result<Json<ClockBody>, JsonRejection>) -> Response {
    let Ok(Json(b)) = body else {
        return bad_request("{set?: RFC 3339 text, advance?: whole seconds}");
    };
    match clock_change(&b, c.control.clock.now()) {
        Ok(change) => apply(&c.control, Command::Clock(change)).await,
        Err(r) => r.into_response(),
    }
}

#[derive(Deserialize)]
struct FaultBody {
    kind: String,
    #[serde(default)]
    ms: u64,
    path: Option<String>,
}

async fn arm_fault(
    State(c): State<Console>,
    body: Result<Json<FaultBody>, JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return bad_request("{kind, ms?, path?}");
    };
    let path = b
        .path
        .filter(|p| !p.trim().is_empty())
        // Blank: every DC call, as `nhi-emu ctl fault` defaults.
        .unwrap_or_else(|| "/api/v1/".into());
    let f = FaultRequest {
        path,
        kind: b.kind,
        ms: b.ms,
    };
    apply(&c.control, Command::ArmFault(f)).await
}

async fn clear_faults(State(c): State<Console>) -> Response {
    apply(&c.control, Command::ClearFaults).await
}

#[derive(Deserialize)]
struct CallsQuery {
    #[serde(default)]
    after: u64,
}

/// `GET calls?after=n`: the middleware's calls numbered above `n`, newest first.
async fn calls(State(c): State<Console>, q: Result<Query<CallsQuery>, QueryRejection>) -> Response {
    let Some(m) = &c.middleware else {
        return Json(json!({ "last": 0, "calls": [], "middleware": false })).into_response();
    };
    let Ok(Query(CallsQuery { after })) = q else {
        return Refusal::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "query: ?after=<call number>",
        )
        .into_response();
    };
    match m.feed(after).await {
        Ok(f) => {
            Json(json!({ "last": f.last, "calls": f.calls, "middleware": true })).into_response()
        }
        // The page shows why in the log panel; the poll goes on.
        Err(e) => Json(json!({
            "last": after,
            "calls": [],
            "middleware": true,
            "unavailable": e.kind(),
            "reason": e.reason(),
        }))
        .into_response(),
    }
}

/// The JSON routes.
pub fn routes(c: Console) -> Router {
    Router::new()
        .route("/console/api/state", get(state))
        .route("/console/api/insert", post(insert))
        .route("/console/api/remove", post(remove))
        .route("/console/api/yank", post(yank))
        .route("/console/api/swap", post(swap))
        .route("/console/api/clock", post(clock))
        .route("/console/api/faults", post(arm_fault).delete(clear_faults))
        .route("/console/api/calls", get(calls))
        .route("/console/api/phone", get(super::people::phone_screen))
        .route("/console/api/photo.svg", get(super::people::photo))
        .route("/console/api/hpc-pin", post(super::pad::hpc_pin))
        .route("/console/api/pads", get(super::pad::pads))
        .route("/console/api/pad", post(super::pad::press))
        .with_state(c)
}
