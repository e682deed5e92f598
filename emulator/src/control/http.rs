//! The control API over HTTP (emulator/docs/CONTROL.md): each route reads its body into a
//! [`Command`] and [`Control::apply`]s it. Errors are JSON `{ "error": …, "reason": … }`
//! with a 4xx status.

use super::{
    path, ClockChange, Command, Control, FaultRequest, Insert, ReaderFaultRequest, Refusal, Remove,
    StatusCode,
};
use crate::events::Event;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.error, "reason": self.reason })),
        )
            .into_response()
    }
}

async fn reply(c: &Control, cmd: Command) -> Response {
    match c.apply(cmd).await {
        Ok(v) => Json(v).into_response(),
        Err(r) => r.into_response(),
    }
}

fn bad_request(what: &str) -> Response {
    Refusal::new(StatusCode::BAD_REQUEST, "bad-request", what).into_response()
}

async fn readers(State(c): State<Control>) -> Response {
    reply(&c, Command::Readers).await
}

/// The insert body as sent (the control API's and the console's): the card kind stays text
/// so an unknown one is refused by name, after the reader.
#[derive(Deserialize)]
pub struct InsertBody {
    reader: String,
    card: String,
    person: Option<String>,
}

impl InsertBody {
    /// The insert command, or why not: an unknown reader, then an unknown card kind
    /// (`bad-card`). A blank person is no person (the card's default holder).
    pub fn command(self, c: &Control) -> Result<Command, Refusal> {
        c.slot(&self.reader)?;
        let card = self
            .card
            .parse()
            .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "bad-card", e))?;
        Ok(Command::Insert(Insert {
            reader: self.reader,
            card,
            person: self.person.filter(|p| !p.trim().is_empty()),
        }))
    }
}

async fn insert(
    State(c): State<Control>,
    body: Result<Json<InsertBody>, JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return bad_request("body: {reader, card: hc|hpc|sam, person?}");
    };
    match b.command(&c) {
        Ok(cmd) => reply(&c, cmd).await,
        Err(r) => r.into_response(),
    }
}

async fn remove(State(c): State<Control>, body: Result<Json<Remove>, JsonRejection>) -> Response {
    match body {
        Ok(Json(r)) => reply(&c, Command::Remove(r)).await,
        Err(_) => bad_request("body: {reader}"),
    }
}

async fn pads(
    State(c): State<Control>,
    body: Result<Json<super::pad::PadPress>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(p)) => reply(&c, Command::Pad(p)).await,
        Err(_) => bad_request("body: {reader, keys?, cancel?, timeout?}"),
    }
}

async fn reader_fault(
    State(c): State<Control>,
    body: Result<Json<ReaderFaultRequest>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(f)) => reply(&c, Command::ReaderFault(f)).await,
        Err(_) => bad_request("body: {reader, fault: unplugged|failing|garbling|null}"),
    }
}

/// A GET, or a POST without a body, reads the clock; a body that is not a clock change is
/// `bad-request` naming the field (a JSON refusal like every other).
async fn clock(State(c): State<Control>, body: axum::body::Bytes) -> Response {
    let change = if body.iter().all(u8::is_ascii_whitespace) {
        ClockChange::default()
    } else {
        match serde_json::from_slice::<ClockChange>(&body) {
            Ok(change) => change,
            Err(e) => return bad_request(&format!("body: {{set?, advance?}}: {e}")),
        }
    };
    reply(&c, Command::Clock(change)).await
}

async fn faults(
    State(c): State<Control>,
    body: Result<Json<FaultRequest>, JsonRejection>,
) -> Response {
    if let Err(r) = c.dc() {
        return r.into_response();
    }
    match body {
        Ok(Json(f)) => reply(&c, Command::ArmFault(f)).await,
        Err(_) => bad_request("body: {path, kind, ms?}"),
    }
}

async fn clear_faults(State(c): State<Control>) -> Response {
    reply(&c, Command::ClearFaults).await
}

async fn dc_info(State(c): State<Control>) -> Response {
    reply(&c, Command::DcInfo).await
}

/// `GET /apdu-log?since=N` (N absent: 0, the whole ring).
#[derive(Deserialize)]
struct ApduLogQuery {
    #[serde(default)]
    since: u64,
}

async fn apdu_log(
    State(c): State<Control>,
    q: Result<axum::extract::Query<ApduLogQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    match q {
        Ok(q) => reply(&c, Command::ApduLog(q.since)).await,
        Err(e) => bad_request(&format!("query: since=N (a sequence number): {e}")),
    }
}

async fn reset(State(c): State<Control>) -> Response {
    reply(&c, Command::Reset).await
}

async fn scripted(
    State(c): State<Control>,
    Path(name): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return bad_request("a JSON object body is required");
    };
    if let Err(r) = c.dc() {
        return r.into_response();
    }
    match Event::from_parts(&name, body) {
        Ok(e) => reply(&c, Command::Event(e)).await,
        Err(e) => Refusal::from(e).into_response(),
    }
}

/// The control router, with the developer's console (no middleware in this process).
pub fn router(c: Control) -> Router {
    let console = crate::console::Console::without_middleware(c.clone());
    router_with_console(c, console)
}

/// The control router with a given console (`nhi-emu dev`: the embedded middleware's).
pub fn router_with_console(c: Control, console: crate::console::Console) -> Router {
    let routes = format!(
        "routes: GET {r}, POST {i}, POST {rm}, POST {rf}, GET|POST {cl}, POST|DELETE {f}, GET {dc}, POST {rs}, POST {s}/{{{events}}}, POST {pads}, GET {apdu}",
        r = path::READERS,
        i = path::INSERT,
        rm = path::REMOVE,
        rf = path::READER_FAULT,
        cl = path::CLOCK,
        f = path::FAULTS,
        dc = path::DC,
        rs = path::RESET,
        s = path::SCRIPTED,
        events = Event::NAMES.join("|"),
        pads = path::PADS,
        apdu = path::APDU_LOG,
    );
    Router::new()
        .route(path::DC, get(dc_info))
        .route(path::RESET, post(reset))
        .route(&format!("{}/{{name}}", path::SCRIPTED), post(scripted))
        .route(path::READERS, get(readers))
        .route(path::INSERT, post(insert))
        .route(path::REMOVE, post(remove))
        .route(path::READER_FAULT, post(reader_fault))
        .route(path::CLOCK, get(clock).post(clock))
        .route(path::FAULTS, post(faults).delete(clear_faults))
        .route(path::PADS, post(pads))
        .route(path::APDU_LOG, get(apdu_log))
        .method_not_allowed_fallback({
            let routes = routes.clone();
            move || {
                let routes = format!("method not allowed here; {routes}");
                async move {
                    Refusal::new(StatusCode::METHOD_NOT_ALLOWED, "no-route", routes).into_response()
                }
            }
        })
        .fallback(move || {
            let routes = routes.clone();
            async move { Refusal::new(StatusCode::NOT_FOUND, "no-route", routes).into_response() }
        })
        .with_state(c)
        .merge(crate::console::router(console))
}
