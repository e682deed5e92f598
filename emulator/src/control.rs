//! The emulator's control API (HTTP on 127.0.0.1): list readers and slots, insert and
//! remove named cards, set or advance the virtual clock, arm and disarm DC faults.
//! JSON in and out; errors are JSON `{ "error": …, "reason": … }` with a 4xx status.

use crate::card::faulty::{self, Faulty};
use crate::card::{Card, CardKind};
use crate::clock::{Clock, VirtualClock};
use crate::dc::{Dc, Fault};
use crate::fixtures::{CardFactory, Fixtures};
use crate::reader::NamedSlot;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// What the control API controls.
#[derive(Clone)]
pub struct Control {
    /// Reader slots by name.
    pub slots: Vec<NamedSlot>,
    /// Card factory.
    pub factory: Arc<CardFactory>,
    /// Fixtures cards are made from.
    pub fixtures: Arc<Fixtures>,
    /// The shared clock.
    pub clock: VirtualClock,
    /// The DC, when one runs.
    pub dc: Option<Arc<Dc>>,
    /// The DC's base URL and the PEM of the CA its certificate chains to.
    pub dc_endpoint: Option<(String, String)>,
    /// Readers whose inserts wait (up to 3 s) until the reader subsystem has the card's
    /// ATR (vpcd readers: pcscd must see the card before a client can use it).
    pub announce_wait: Vec<String>,
}

fn bad(status: StatusCode, error: &str, reason: impl std::fmt::Display) -> Response {
    (
        status,
        Json(json!({ "error": error, "reason": reason.to_string() })),
    )
        .into_response()
}

/// Builds a card of a kind for a fixture key.
pub fn make_card(
    factory: &CardFactory,
    fixtures: &Fixtures,
    kind: &str,
    person: Option<&str>,
) -> Result<Box<dyn Card>, String> {
    match kind {
        "hc" => {
            let p = match person {
                Some(k) => fixtures.person(k).map_err(|e| e.to_string())?,
                None => fixtures.people.first().ok_or("no person in fixtures")?,
            };
            Ok(Box::new(factory.hc(p)?))
        }
        "hpc" => {
            let h = match person {
                Some(k) => fixtures.hpc(k).map_err(|e| e.to_string())?,
                None => fixtures.hpcs.first().ok_or("no HPC holder in fixtures")?,
            };
            Ok(Box::new(factory.hpc(h, CardFactory::hpc_serial(h))?))
        }
        "sam" => {
            let h = match person {
                Some(k) => fixtures.hospital(k).map_err(|e| e.to_string())?,
                None => fixtures
                    .hospitals
                    .first()
                    .ok_or("no hospital in fixtures")?,
            };
            Ok(Box::new(factory.sam(h)?))
        }
        "hc-forged" => {
            let p = match person {
                Some(k) => fixtures.person(k).map_err(|e| e.to_string())?,
                None => fixtures.people.first().ok_or("no person in fixtures")?,
            };
            Ok(Box::new(factory.hc_forged(p)?))
        }
        "hpc-forged" => {
            let h = match person {
                Some(k) => fixtures.hpc(k).map_err(|e| e.to_string())?,
                None => fixtures.hpcs.first().ok_or("no HPC holder in fixtures")?,
            };
            Ok(Box::new(factory.hpc_forged(h)?))
        }
        "hpc-bad-sign" | "hpc-no-cert" | "hc-bad-sign" | "hc-no-clear" => {
            let base = make_card(factory, fixtures, &kind[..kind.find('-').unwrap_or(0)], person)?;
            let (ins, p2, sw, what) = match kind {
                "hpc-bad-sign" => (0x2A, None, 0x6F00, "signature fails"),
                "hpc-no-cert" => (0xB0, None, 0x6A82, "no certificate file"),
                "hc-bad-sign" => (0x88, Some(1), 0x6F00, "signature fails"),
                _ => (0x26, None, 0x6581, "PIN cannot be cleared"),
            };
            Ok(Box::new(faulty::Tampered::new(base, ins, p2, sw, what)))
        }
        "hc-no-applet" => Ok(Box::new(Faulty::new(CardKind::Hc, faulty::Fault::NoApplet))),
        "hc-broken" => Ok(Box::new(Faulty::new(CardKind::Hc, faulty::Fault::Broken))),
        "hpc-broken" => Ok(Box::new(Faulty::new(CardKind::Hpc, faulty::Fault::Broken))),
        other => Err(format!("card {other:?}: hc, hpc, sam, hc-forged, hpc-forged, hc-no-applet, hc-broken, hpc-broken, hpc-bad-sign, hpc-no-cert, hc-bad-sign or hc-no-clear")),
    }
}

async fn readers(State(c): State<Control>) -> Json<Value> {
    let list: Vec<Value> = c
        .slots
        .iter()
        .map(|s| json!({ "reader": s.name, "card": s.slot.describe().map(|(k, l)| json!({ "kind": k, "label": l })), "visible": s.slot.is_announced() }))
        .collect();
    Json(json!({ "readers": list }))
}

#[derive(Deserialize)]
struct InsertReq {
    reader: String,
    card: String,
    person: Option<String>,
}

async fn insert(
    State(c): State<Control>,
    body: Result<Json<InsertReq>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(r)) = body else {
        return bad(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "body: {reader, card: hc|hpc|sam, person?}",
        );
    };
    let Some(slot) = c.slots.iter().find(|s| s.name == r.reader) else {
        return bad(
            StatusCode::NOT_FOUND,
            "no-reader",
            format!("no reader {:?}", r.reader),
        );
    };
    match make_card(&c.factory, &c.fixtures, &r.card, r.person.as_deref()) {
        Ok(card) => {
            let label = card.label();
            slot.slot.insert(card);
            let mut visible = slot.slot.is_announced();
            if c.announce_wait.contains(&r.reader) {
                let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
                while !visible && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    visible = slot.slot.is_announced();
                }
            }
            Json(json!({ "reader": r.reader, "inserted": label, "visible": visible }))
                .into_response()
        }
        Err(e) => bad(StatusCode::BAD_REQUEST, "bad-card", e),
    }
}

#[derive(Deserialize)]
struct RemoveReq {
    reader: String,
}

async fn remove(
    State(c): State<Control>,
    body: Result<Json<RemoveReq>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(r)) = body else {
        return bad(StatusCode::BAD_REQUEST, "bad-request", "body: {reader}");
    };
    let Some(slot) = c.slots.iter().find(|s| s.name == r.reader) else {
        return bad(
            StatusCode::NOT_FOUND,
            "no-reader",
            format!("no reader {:?}", r.reader),
        );
    };
    Json(json!({ "reader": r.reader, "removed": slot.slot.remove().map(|c| c.label()) }))
        .into_response()
}

#[derive(Deserialize, Default)]
struct ClockReq {
    set: Option<i64>,
    advance: Option<i64>,
}

async fn clock(State(c): State<Control>, body: Option<Json<ClockReq>>) -> Json<Value> {
    let r = body.map(|b| b.0).unwrap_or_default();
    if let Some(t) = r.set {
        c.clock.set(t);
    }
    if let Some(d) = r.advance {
        c.clock.advance(d);
    }
    let now = c.clock.now();
    Json(
        json!({ "unix": now, "rfc3339": chrono::DateTime::from_timestamp(now, 0).map(|d| d.to_rfc3339()) }),
    )
}

async fn faults(
    State(c): State<Control>,
    body: Result<Json<Fault>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Some(dc) = &c.dc else {
        return bad(
            StatusCode::NOT_FOUND,
            "no-dc",
            "no DC runs in this emulator",
        );
    };
    let Ok(Json(f)) = body else {
        return bad(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "body: {path, kind, ms?}",
        );
    };
    if let Err(e) = f.check() {
        return bad(StatusCode::BAD_REQUEST, "bad-fault", e);
    }
    dc.arm_fault(f);
    Json(json!({ "faults": dc.faults() })).into_response()
}

async fn clear_faults(State(c): State<Control>) -> Response {
    let Some(dc) = &c.dc else {
        return bad(
            StatusCode::NOT_FOUND,
            "no-dc",
            "no DC runs in this emulator",
        );
    };
    dc.clear_faults(None);
    Json(json!({ "faults": dc.faults() })).into_response()
}

/// The serial (as the DC prints it) of the certificate on an HPC card: read with APDUs.
pub fn hpc_cert_serial(card: &mut dyn Card) -> Option<String> {
    card.handle(&nhi_protocol::apdu::build(
        0,
        0xA4,
        4,
        0,
        nhi_protocol::apdu::AID_HPC,
        None,
    ));
    let mut cert = Vec::new();
    loop {
        let r = card.handle(&[0, 0xB0, (cert.len() >> 8) as u8, cert.len() as u8, 0]);
        if r.len() <= 2 || r[r.len() - 2] != 0x90 {
            break;
        }
        cert.extend_from_slice(&r[..r.len() - 2]);
    }
    card.reset();
    crate::dc::Dc::cert_serial(&cert)
}

/// A refused control request: HTTP status, error kind, reason.
type Refusal = (StatusCode, &'static str, String);

fn field<'a>(v: &'a Value, k: &str) -> Result<&'a str, Refusal> {
    v.get(k).and_then(Value::as_str).ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!("field {k:?} (string) is required"),
        )
    })
}

async fn dc_info(State(c): State<Control>) -> Response {
    match &c.dc_endpoint {
        Some((url, ca)) => Json(json!({ "url": url, "caPem": ca })).into_response(),
        None => bad(
            StatusCode::NOT_FOUND,
            "no-dc",
            "no DC runs in this emulator",
        ),
    }
}

/// Back to a clean bench: every card out, the DC as new (its data re-seeded, faults
/// disarmed).
async fn reset(State(c): State<Control>) -> Response {
    let removed: Vec<Value> = c
        .slots
        .iter()
        .filter_map(|s| {
            s.slot
                .remove()
                .map(|card| json!({ "reader": s.name, "card": card.label() }))
        })
        .collect();
    if let Some(dc) = &c.dc {
        if let Err(e) = dc.reset(&c.fixtures) {
            return bad(StatusCode::INTERNAL_SERVER_ERROR, "dc-reset", e.reason);
        }
    }
    Json(json!({ "removed": removed })).into_response()
}

async fn scripted(
    State(c): State<Control>,
    axum::extract::Path(what): axum::extract::Path<String>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return bad(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "a JSON object body is required",
        );
    };
    match scripted_event(&c, &what, &b) {
        Ok(v) => Json(v).into_response(),
        Err((status, kind, reason)) => bad(status, kind, reason),
    }
}

fn scripted_event(c: &Control, what: &str, b: &Value) -> Result<Value, Refusal> {
    use crate::scripted as s;
    let dc = c.dc.as_ref().ok_or((
        StatusCode::NOT_FOUND,
        "no-dc",
        "no DC runs in this emulator".to_string(),
    ))?;
    let refused = |e: String| (StatusCode::BAD_REQUEST, "refused", e);
    let flag = |k: &str| b.get(k).and_then(Value::as_bool);
    match what {
        "virtual-card" => {
            let phone = b.get("phone").and_then(Value::as_str).unwrap_or("phone-1");
            let token_only = flag("tokenOnly").unwrap_or(false);
            s::virtual_card(dc, &c.clock, &c.fixtures, field(b, "person")?, phone, token_only)
                .map(|t| json!({ "token": t }))
                .map_err(refused)
        }
        "standing" => s::standing(
            dc,
            c.clock.now(),
            field(b, "hospital")?,
            flag("suspended"),
            flag("revoked"),
            flag("contractExpired"),
        )
        .map(|()| json!({}))
        .map_err(refused),
        "cloud-sam" => dc
            .issue_cloud_sam(field(b, "hospital")?)
            .map(|(n, content)| json!({ "fileName": n, "content": content }))
            .map_err(|e| refused(e.reason)),
        "hca-credential" => {
            s::hca_credential(dc, &c.fixtures, field(b, "hpc")?, field(b, "hospital")?)
                .map(|cr| json!({ "credential": cr }))
                .map_err(refused)
        }
        "revoke-cert" => s::revoke_hpc_cert(dc, &c.factory, &c.fixtures, field(b, "hpc")?)
            .map(|()| json!({}))
            .map_err(refused),
        "lost-phone" => dc
            .lost_phone(field(b, "phone")?)
            .map_err(|e| refused(e.reason)),
        other => Err((
            StatusCode::NOT_FOUND,
            "no-route",
            format!("no scripted event {other:?}: virtual-card, standing, cloud-sam, hca-credential, revoke-cert, lost-phone"),
        )),
    }
}

/// The control router.
pub fn router(c: Control) -> Router {
    Router::new()
        .route("/dc", get(dc_info))
        .route("/reset", post(reset))
        .route("/scripted/{what}", post(scripted))
        .route("/readers", get(readers))
        .route("/readers/insert", post(insert))
        .route("/readers/remove", post(remove))
        .route("/clock", get(clock).post(clock))
        .route("/faults", post(faults).delete(clear_faults))
        .fallback(|| async { bad(StatusCode::NOT_FOUND, "no-route", "routes: GET /readers, POST /readers/insert, POST /readers/remove, GET|POST /clock, POST|DELETE /faults, GET /dc, POST /reset, POST /scripted/{virtual-card|standing|cloud-sam|hca-credential|revoke-cert|lost-phone}") })
        .with_state(c)
}
