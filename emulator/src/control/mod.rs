//! The emulator's control vocabulary: list readers, insert and remove named cards, set or
//! advance the virtual clock, arm and disarm DC faults, reset, scripted world events, and
//! the APDUs the cards answered ([`apdu_log`]).
//!
//! One [`Command`] type, applied by [`Control::apply`]; [`http`] serves it as JSON on
//! 127.0.0.1 (emulator/docs/CONTROL.md) and [`client`] sends it, for `nhi-emu ctl` and
//! for the harness driving a `nhi-emu up` in another process.

pub mod apdu_log;
pub mod cards;
pub mod client;
pub mod http;
pub mod pad;

pub use apdu_log::{ApduLog, ApduPage, ApduRecord};
pub use cards::{hpc_cert_serial, CardSpec};
pub use client::{ControlClient, ControlError};
pub use http::router;

use crate::clock::{Clock, VirtualClock};
use crate::dc::{ArmedFault, Dc};
use crate::events::{Event, EventError};
use crate::fixtures::{CardFactory, Fixtures};
use crate::reader::NamedSlot;
pub use axum::http::StatusCode;
use nhi_protocol::dc::FaultKind;
use serde::{Deserialize, Serialize};
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
    /// Where inserted cards take their randomness from (live unless the clock is frozen).
    pub card_rng: crate::card::CardRng,
    /// Readers whose inserts wait (up to 3 s) until the reader subsystem has the card's
    /// ATR (vpcd readers: pcscd must see the card before a client can use it).
    pub announce_wait: Vec<String>,
    /// PIN pads of ifd readers, by the reader's card slot name (`POST /pads`, pad.rs).
    pub pads: Vec<(String, crate::reader::ifd_pin::PinPad)>,
    /// Every APDU of the cards inserted through this control (`GET /apdu-log`).
    pub apdu_log: ApduLog,
}

/// The control API's paths.
pub mod path {
    /// `GET`: readers and their cards.
    pub const READERS: &str = "/readers";
    /// `POST`: insert a card.
    pub const INSERT: &str = "/readers/insert";
    /// `POST`: remove a card.
    pub const REMOVE: &str = "/readers/remove";
    /// `POST`: set or clear a reader's fault (unplugged, failing, garbling).
    pub const READER_FAULT: &str = "/readers/fault";
    /// `GET` (read) or `POST` (set or advance) the virtual clock.
    pub const CLOCK: &str = "/clock";
    /// `POST` arms a DC fault, `DELETE` disarms them all.
    pub const FAULTS: &str = "/faults";
    /// `GET`: where the DC is.
    pub const DC: &str = "/dc";
    /// `POST`: back to a clean bench.
    pub const RESET: &str = "/reset";
    /// `POST /scripted/{event}`: a scripted world event.
    pub const SCRIPTED: &str = "/scripted";
    /// `POST`: keys on an ifd reader's PIN pad (pad.rs).
    pub const PADS: &str = "/pads";
    /// `GET ?since=N`: the APDUs the cards answered from sequence number N on.
    pub const APDU_LOG: &str = "/apdu-log";
}

/// `POST /readers/insert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Insert {
    /// Reader name.
    pub reader: String,
    /// What card.
    pub card: CardSpec,
    /// Fixture key (ID or card number, HPC id, hospital id); none: the first in fixtures.
    pub person: Option<String>,
}

/// `POST /readers/fault`: a fault of the reader hardware (reader/fault.rs says what each
/// endpoint makes of it); `fault` absent or null clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderFaultRequest {
    /// Reader name (any slot of the COM reader stands for the whole device).
    pub reader: String,
    /// The fault, or none to clear.
    #[serde(default)]
    pub fault: Option<crate::reader::ReaderFault>,
}

/// `POST /readers/remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remove {
    /// Reader name.
    pub reader: String,
}

/// `GET|POST /clock`: both unset reads the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClockChange {
    /// Set the clock to this Unix time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<i64>,
    /// Then move it this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance: Option<i64>,
}

/// `POST /faults`: a DC fault as a control client asks for it. The kind stays text on
/// this wire so that an unknown one is refused as `bad-fault` naming the known kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRequest {
    /// Path prefix (`/api/v1/` for all).
    pub path: String,
    /// A [`FaultKind`] name: `latency`, `http5xx`, `refuse`, `dropSession`,
    /// `unknownCommand`, `undefined`, `slowBody`.
    pub kind: String,
    /// Milliseconds (latency, slowBody).
    #[serde(default)]
    pub ms: u64,
}

impl FaultRequest {
    /// The fault to arm, or an error naming the known kinds.
    pub fn check(&self) -> Result<ArmedFault, String> {
        Ok(ArmedFault {
            path: self.path.clone(),
            kind: FaultKind::parse(&self.kind)?,
            ms: self.ms,
        })
    }
}

impl From<&ArmedFault> for FaultRequest {
    fn from(f: &ArmedFault) -> FaultRequest {
        FaultRequest {
            path: f.path.clone(),
            kind: f.kind.as_str().to_string(),
            ms: f.ms,
        }
    }
}

/// `GET /dc`: where the DC is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcInfo {
    /// The DC's base URL.
    pub url: String,
    /// PEM of the CA the DC's certificate chains to.
    #[serde(rename = "caPem")]
    pub ca_pem: String,
}

/// One thing the control API does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    /// List readers and what is in them.
    Readers,
    /// Put a card into a reader (replacing what is there).
    Insert(Insert),
    /// Take the card out of a reader.
    Remove(Remove),
    /// Set or clear a reader's fault.
    ReaderFault(ReaderFaultRequest),
    /// Read, set or advance the virtual clock.
    Clock(ClockChange),
    /// Arm a DC fault.
    ArmFault(FaultRequest),
    /// Disarm every DC fault.
    ClearFaults,
    /// Where the DC is.
    DcInfo,
    /// Every card out, the DC as new (its data re-seeded, faults disarmed).
    Reset,
    /// A scripted world event.
    Event(Event),
    /// Keys on a PIN pad.
    Pad(pad::PadPress),
    /// The APDUs from this sequence number on ([`ApduPage`]).
    ApduLog(u64),
}

/// An HTTP method of the control API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// DELETE.
    Delete,
}

impl Command {
    /// The command on the wire: method, path and JSON body.
    pub fn request(&self) -> Result<(Method, String, Option<Value>), String> {
        Ok(match self {
            Command::Readers => (Method::Get, path::READERS.into(), None),
            Command::Insert(i) => (Method::Post, path::INSERT.into(), Some(json(i)?)),
            Command::Remove(r) => (Method::Post, path::REMOVE.into(), Some(json(r)?)),
            Command::ReaderFault(f) => (Method::Post, path::READER_FAULT.into(), Some(json(f)?)),
            Command::Clock(c) if *c == ClockChange::default() => {
                (Method::Get, path::CLOCK.into(), None)
            }
            Command::Clock(c) => (Method::Post, path::CLOCK.into(), Some(json(c)?)),
            Command::ArmFault(f) => (Method::Post, path::FAULTS.into(), Some(json(f)?)),
            Command::ClearFaults => (Method::Delete, path::FAULTS.into(), None),
            Command::DcInfo => (Method::Get, path::DC.into(), None),
            Command::Reset => (Method::Post, path::RESET.into(), Some(json!({}))),
            Command::Pad(p) => (Method::Post, path::PADS.into(), Some(json(p)?)),
            Command::ApduLog(since) => (
                Method::Get,
                format!("{}?since={since}", path::APDU_LOG),
                None,
            ),
            Command::Event(e) => (
                Method::Post,
                format!("{}/{}", path::SCRIPTED, e.name()),
                Some(e.body()?),
            ),
        })
    }
}

/// A command's body as JSON.
fn json<T: Serialize>(body: &T) -> Result<Value, String> {
    serde_json::to_value(body).map_err(|e| e.to_string())
}

/// A refused control request: HTTP status, error kind (emulator/docs/CONTROL.md), reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status (4xx, or 500 when the DC cannot be reset).
    pub status: StatusCode,
    /// Error kind: `bad-request`, `no-reader`, `bad-card`, `bad-fault`, `no-dc`, `refused`,
    /// `no-route`, `dc-reset`.
    pub error: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl Refusal {
    /// A refusal of `status` with an error kind and a reason.
    pub fn new(status: StatusCode, error: &'static str, reason: impl std::fmt::Display) -> Refusal {
        Refusal {
            status,
            error,
            reason: reason.to_string(),
        }
    }
    fn no_dc() -> Refusal {
        Refusal::new(
            StatusCode::NOT_FOUND,
            "no-dc",
            "no DC runs in this emulator",
        )
    }
}

impl From<EventError> for Refusal {
    fn from(e: EventError) -> Refusal {
        match &e {
            EventError::Unknown(_) => Refusal::new(StatusCode::NOT_FOUND, "no-route", e),
            EventError::BadBody(_) => Refusal::new(StatusCode::BAD_REQUEST, "bad-request", e),
            EventError::Refused(_) => Refusal::new(StatusCode::BAD_REQUEST, "refused", e),
        }
    }
}

impl Control {
    /// The slot of a reader.
    pub fn slot(&self, reader: &str) -> Result<&NamedSlot, Refusal> {
        self.slots.iter().find(|s| s.name == reader).ok_or_else(|| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                "no-reader",
                format!("no reader {reader:?}"),
            )
        })
    }

    /// The DC, or `no-dc`.
    pub fn dc(&self) -> Result<&Arc<Dc>, Refusal> {
        self.dc.as_ref().ok_or_else(Refusal::no_dc)
    }

    /// Does a command; the reply's JSON (emulator/docs/CONTROL.md).
    pub async fn apply(&self, cmd: Command) -> Result<Value, Refusal> {
        match cmd {
            Command::Readers => Ok(self.readers()),
            Command::Insert(i) => self.insert(i).await,
            Command::Remove(r) => {
                let slot = self.slot(&r.reader)?;
                Ok(json!({ "reader": r.reader, "removed": slot.slot.remove().map(|c| c.label()) }))
            }
            Command::ReaderFault(f) => {
                let slot = self.slot(&f.reader)?;
                slot.slot.set_fault(f.fault);
                slot.slot.fault_settled().await;
                Ok(json!({ "reader": f.reader, "fault": f.fault }))
            }
            Command::Clock(change) => Ok(self.clock(change)),
            Command::ArmFault(f) => {
                let dc = self.dc()?;
                let f = f
                    .check()
                    .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "bad-fault", e))?;
                dc.arm(f);
                Ok(json!({ "faults": dc.faults() }))
            }
            Command::ClearFaults => {
                let dc = self.dc()?;
                dc.clear_faults(None);
                Ok(json!({ "faults": dc.faults() }))
            }
            Command::DcInfo => match &self.dc_endpoint {
                Some((url, ca)) => serde_json::to_value(DcInfo {
                    url: url.clone(),
                    ca_pem: ca.clone(),
                })
                .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "dc-info", e)),
                None => Err(Refusal::no_dc()),
            },
            Command::Reset => self.reset().await,
            Command::Pad(p) => self.pad(&p),
            Command::ApduLog(since) => serde_json::to_value(self.apdu_log.since(since))
                .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "apdu-log", e)),
            Command::Event(e) => {
                let dc = self.dc()?;
                Ok(e.apply(dc, &self.clock, &self.factory, &self.fixtures)?)
            }
        }
    }

    fn readers(&self) -> Value {
        let list: Vec<Value> = self
            .slots
            .iter()
            .map(|s| {
                json!({
                    "reader": s.name,
                    "card": s.slot.describe().map(|(k, l)| json!({ "kind": k, "label": l })),
                    "visible": s.slot.is_announced(),
                    "fault": s.slot.fault(),
                })
            })
            .collect();
        json!({ "readers": list })
    }

    async fn insert(&self, i: Insert) -> Result<Value, Refusal> {
        let slot = self.slot(&i.reader)?;
        let card = i
            .card
            .make(&self.factory, &self.fixtures, i.person.as_deref())
            .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "bad-card", e))?;
        let mut card = card;
        card.reseed(self.card_rng);
        let label = card.label();
        slot.slot.insert(self.apdu_log.wrap(&i.reader, card));
        let mut visible = slot.slot.is_announced();
        if self.announce_wait.contains(&i.reader) {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
            while !visible && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                visible = slot.slot.is_announced();
            }
        }
        Ok(json!({ "reader": i.reader, "inserted": label, "visible": visible }))
    }

    fn clock(&self, change: ClockChange) -> Value {
        if let Some(t) = change.set {
            self.clock.set(t);
        }
        if let Some(d) = change.advance {
            self.clock.advance(d);
        }
        let now = self.clock.now();
        json!({
            "unix": now,
            "rfc3339": chrono::DateTime::from_timestamp(now, 0).map(|d| d.to_rfc3339()),
        })
    }

    async fn reset(&self) -> Result<Value, Refusal> {
        for s in &self.slots {
            s.slot.set_fault(None);
        }
        for s in &self.slots {
            s.slot.fault_settled().await;
        }
        for (_, pad) in &self.pads {
            pad.disarm();
        }
        let removed: Vec<Value> = self
            .slots
            .iter()
            .filter_map(|s| {
                s.slot
                    .remove()
                    .map(|card| json!({ "reader": s.name, "card": card.label() }))
            })
            .collect();
        if let Some(dc) = &self.dc {
            dc.reset(&self.fixtures).map_err(|e| {
                Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "dc-reset", e.reason)
            })?;
        }
        Ok(json!({ "removed": removed }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn commands_go_to_the_documented_routes() {
        let route = |c: Command| {
            let (m, p, body) = c.request().unwrap();
            (m, p, body)
        };
        assert_eq!(
            route(Command::Readers),
            (Method::Get, "/readers".into(), None)
        );
        assert_eq!(route(Command::Clock(ClockChange::default())).0, Method::Get);
        let (m, p, body) = route(Command::Clock(ClockChange {
            set: None,
            advance: Some(5),
        }));
        assert_eq!((m, p.as_str()), (Method::Post, "/clock"));
        assert_eq!(body.unwrap(), json!({ "advance": 5 }));
        let (_, p, body) = route(Command::Insert(Insert {
            reader: "R".into(),
            card: CardSpec::HcNoClear,
            person: None,
        }));
        assert_eq!(p, "/readers/insert");
        assert_eq!(body.unwrap()["card"], "hc-no-clear");
        let (_, p, body) = route(Command::Event(Event::LostPhone { phone: "p".into() }));
        assert_eq!(
            (p.as_str(), body.unwrap()),
            ("/scripted/lost-phone", json!({ "phone": "p" }))
        );
        assert_eq!(route(Command::ClearFaults).0, Method::Delete);
        assert_eq!(
            route(Command::ApduLog(7)),
            (Method::Get, "/apdu-log?since=7".into(), None)
        );
    }
}
