//! Where a scenario's devices live: an in-process [`World`], or a running `nhi-emu up`
//! driven through its control API (`--emulator URL`). Scenario steps go through [`Bench`]
//! and do not care which; both speak the emulator's control vocabulary
//! ([`nhi_emulator::control::Command`], [`nhi_emulator::events::Event`]).

use crate::world::World;
use nhi_emulator::control::{
    ApduPage, CardSpec, ClockChange, Command, ControlClient, FaultRequest, Insert,
    ReaderFaultRequest, Remove,
};
use nhi_emulator::dc::ArmedFault;
use nhi_emulator::events::Event;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use serde_json::Value;

/// The reader name of a scenario role.
pub fn reader_of(role: &str) -> Result<&'static str, String> {
    Ok(nhi_emulator::world::standard_reader(role)?.name)
}

/// A running `nhi-emu up`, reached through its control API.
#[derive(Debug, Clone)]
pub struct RemoteEmulator {
    control: ControlClient,
    /// The emulator's DC base URL.
    pub dc_url: String,
    /// PEM of the CA the DC's certificate chains to.
    pub dc_ca: String,
}

impl RemoteEmulator {
    /// Connects to a control API and asks it where its DC is.
    pub async fn connect(control: &str) -> Result<RemoteEmulator, String> {
        let control = ControlClient::new(control, std::time::Duration::from_secs(30))
            .map_err(|e| e.to_string())?;
        let dc = control.dc_info().await.map_err(|e| e.to_string())?;
        Ok(RemoteEmulator {
            dc_url: dc.url,
            dc_ca: dc.ca_pem,
            control,
        })
    }

    /// Sends a control command; the reply's fields.
    pub(crate) async fn send(&self, cmd: Command) -> Result<Value, String> {
        self.control.send(&cmd).await.map_err(|e| e.to_string())
    }

    /// Every card out, the DC as new, the clock at `start`.
    pub async fn reset(&self, start: i64) -> Result<(), String> {
        self.send(Command::Reset).await?;
        let at = ClockChange {
            set: Some(start),
            advance: None,
        };
        self.send(Command::Clock(at)).await.map(|_| ())
    }
}

/// The devices a scenario runs on.
#[derive(Debug, Clone, Copy)]
pub enum Bench<'a> {
    /// In-process emulator and DC.
    Local(&'a World),
    /// A running `nhi-emu up`.
    Remote(&'a RemoteEmulator),
}

impl Bench<'_> {
    /// The DC's base URL and CA PEM.
    pub fn dc(&self) -> (String, String) {
        match self {
            Bench::Local(w) => (w.dc.server.url(), w.dc.ca_pem.clone()),
            Bench::Remote(r) => (r.dc_url.clone(), r.dc_ca.clone()),
        }
    }

    /// Puts a card (a control-API kind: `hc`, `hpc-bad-sign`, …) into a role's reader.
    pub async fn insert(
        &self,
        factory: &CardFactory,
        fixtures: &Fixtures,
        role: &str,
        kind: &str,
        person: Option<&str>,
    ) -> Result<(), String> {
        let card: CardSpec = kind.parse()?;
        match self {
            Bench::Local(w) => {
                let made = card.make(factory, fixtures, person)?;
                let slot = w.slot(role)?.clone();
                w.insert(&slot, made).await
            }
            Bench::Remote(r) => {
                let insert = Insert {
                    reader: reader_of(role)?.into(),
                    card,
                    person: person.map(str::to_string),
                };
                r.send(Command::Insert(insert)).await.map(|_| ())
            }
        }
    }

    /// Takes the card out of a role's reader.
    pub async fn remove(&self, role: &str) -> Result<(), String> {
        match self {
            Bench::Local(w) => w.remove(w.slot(role)?).await,
            Bench::Remote(r) => {
                let reader = reader_of(role)?.into();
                r.send(Command::Remove(Remove { reader })).await.map(|_| ())
            }
        }
    }

    /// Sets or clears a fault of a role's reader.
    pub async fn reader_fault(
        &self,
        role: &str,
        fault: Option<nhi_emulator::reader::ReaderFault>,
    ) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                let slot = w.slot(role)?;
                slot.set_fault(fault);
                slot.fault_settled().await;
                Ok(())
            }
            Bench::Remote(r) => {
                let reader = reader_of(role)?.into();
                let f = ReaderFaultRequest { reader, fault };
                r.send(Command::ReaderFault(f)).await.map(|_| ())
            }
        }
    }

    /// What the HC in the `hc` reader says its marker record holds, and the marker the DC
    /// issues for that card now; None when the harness cannot look at the card (a running
    /// `nhi-emu up`: its cards are in another process) or no HC is in the reader.
    pub fn hc_marker(&self) -> Option<Result<(Vec<u8>, String), String>> {
        use nhi_emulator::clock::Clock;
        let Bench::Local(w) = self else {
            return None;
        };
        let slot = w.slot("hc").ok()?;
        let (kind, label) = slot.describe()?;
        if kind != nhi_emulator::card::CardKind::Hc {
            return None;
        }
        let card_no = match nhi_protocol::ident::HcCardNo::parse(&label) {
            Ok(n) => n,
            Err(e) => return Some(Err(format!("the HC's card number {label:?}: {e}"))),
        };
        let read = nhi_protocol::apdu::cmd::get_data(nhi_protocol::apdu::tag::MARKER);
        let r = slot.transmit(&read)?;
        let Some((data, sw)) = r.split_last_chunk::<2>() else {
            return Some(Err(format!(
                "the HC answered GET DATA marker with {r:02X?}"
            )));
        };
        if sw != &[0x90, 0x00] {
            return Some(Err(format!(
                "the HC answered GET DATA marker with {sw:02X?}"
            )));
        }
        let want = nhi_emulator::dc::records::marker_text(w.clock.now(), &card_no);
        Some(Ok((data.to_vec(), want)))
    }

    /// Moves the virtual clock forward.
    pub async fn advance_clock(&self, secs: i64) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                w.clock.advance(secs);
                Ok(())
            }
            Bench::Remote(r) => {
                let by = ClockChange {
                    set: None,
                    advance: Some(secs),
                };
                r.send(Command::Clock(by)).await.map(|_| ())
            }
        }
    }

    /// Arms a DC fault.
    pub async fn arm_fault(&self, f: &ArmedFault) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                w.dc.dc.arm(f.clone());
                Ok(())
            }
            Bench::Remote(r) => {
                let cmd = Command::ArmFault(FaultRequest::from(f));
                r.send(cmd).await.map(|_| ())
            }
        }
    }

    /// Disarms every DC fault.
    pub async fn clear_faults(&self) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                w.dc.dc.clear_faults(None);
                Ok(())
            }
            Bench::Remote(r) => r.send(Command::ClearFaults).await.map(|_| ()),
        }
    }

    /// Restarts the embedded SUT (a `restart` step); the client of the new process.
    pub async fn restart_sut(&self) -> Result<crate::client::SutClient, String> {
        match self {
            Bench::Local(w) => w.restart_sut().await,
            Bench::Remote(_) => {
                Err("a restart needs the embedded middleware: the harness cannot restart an external SUT".into())
            }
        }
    }

    /// The APDUs the bench's cards answered from sequence number `since` on (`u64::MAX`:
    /// none, only the number the next APDU will get).
    pub async fn apdus_since(&self, since: u64) -> Result<ApduPage, String> {
        match self {
            Bench::Local(w) => Ok(w.apdu_log.since(since)),
            Bench::Remote(r) => {
                let v = r.send(Command::ApduLog(since)).await?;
                serde_json::from_value(v).map_err(|e| format!("control API /apdu-log: {e}"))
            }
        }
    }

    /// A scripted world event; the reply's fields.
    pub async fn event(
        &self,
        factory: &CardFactory,
        fixtures: &Fixtures,
        event: Event,
    ) -> Result<Value, String> {
        match self {
            Bench::Local(w) => event
                .apply(&w.dc.dc, &w.clock, factory, fixtures)
                .map_err(|e| e.to_string()),
            Bench::Remote(r) => r.send(Command::Event(event)).await,
        }
    }

    /// A scripted world event by name and JSON body (as the control API's
    /// `/scripted/{name}` takes it); the reply's fields.
    pub async fn scripted(
        &self,
        factory: &CardFactory,
        fixtures: &Fixtures,
        what: &str,
        body: Value,
    ) -> Result<Value, String> {
        let event = Event::from_parts(what, body).map_err(|e| e.to_string())?;
        self.event(factory, fixtures, event).await
    }
}
