//! Emulator slots behind the middleware's `Transport` trait: the reference middleware
//! reaches the emulated cards by function calls (no pcscd, no pty) — in `nhi-emu dev` and
//! in the harness's embedded worlds. Reader faults (reader/fault.rs) show as PC/SC would
//! show them.

use crate::reader::inproc::{InprocConnection, InprocError};
use crate::reader::{NamedSlot, ReaderFault, Slot};
use nhi_middleware::transport::{Connection, Transport, TransportError};

/// Named emulator slots as readers.
#[derive(Debug, Clone)]
pub struct SlotTransport {
    slots: Vec<NamedSlot>,
}

impl SlotTransport {
    /// Readers over these slots.
    pub fn new(slots: Vec<NamedSlot>) -> SlotTransport {
        SlotTransport { slots }
    }
}

struct Conn {
    c: InprocConnection,
    slot: Slot,
    reader: String,
    atr: Vec<u8>,
}

/// A reader fault as the PC/SC layer reports it: an unplugged reader is unknown, a failing
/// one fails every call (reader/fault.rs).
fn check(slot: &Slot, reader: &str) -> Result<(), TransportError> {
    match slot.fault() {
        Some(ReaderFault::Unplugged) => Err(TransportError::UnknownReader(reader.to_string())),
        Some(ReaderFault::Failing) => Err(TransportError::Other(format!(
            "reader {reader:?} is not working"
        ))),
        // A corrupted line is a serial reader's fault; a PC/SC reader has no such line.
        Some(ReaderFault::Garbling) | None => Ok(()),
    }
}

fn map(e: InprocError) -> TransportError {
    match e {
        InprocError::NoCard => TransportError::NoCard,
        InprocError::Removed => TransportError::Removed,
    }
}

impl Connection for Conn {
    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        check(&self.slot, &self.reader)?;
        self.c.transmit(apdu).map_err(map)
    }
    fn alive(&mut self) -> bool {
        self.slot.fault().is_none() && self.c.is_alive()
    }
}

impl Transport for SlotTransport {
    fn readers(&self) -> Result<Vec<String>, TransportError> {
        Ok(self
            .slots
            .iter()
            .filter(|s| s.slot.fault() != Some(ReaderFault::Unplugged))
            .map(|s| s.name.clone())
            .collect())
    }
    fn connect(&self, reader: &str) -> Result<Box<dyn Connection>, TransportError> {
        let s = self
            .slots
            .iter()
            .find(|s| s.name == reader)
            .ok_or_else(|| TransportError::UnknownReader(reader.to_string()))?;
        check(&s.slot, reader)?;
        let (c, atr) = InprocConnection::connect(&s.slot).map_err(map)?;
        Ok(Box::new(Conn {
            c,
            slot: s.slot.clone(),
            reader: reader.to_string(),
            atr,
        }))
    }
}
