//! Emulator slots behind the middleware's `Transport` trait: the reference middleware
//! reaches the emulated cards by function calls (no pcscd, no pty).

use crate::reader::inproc::{InprocConnection, InprocError};
use crate::reader::NamedSlot;
use nhi_middleware::transport::{Connection, Transport, TransportError};

/// Named emulator slots as PC/SC-like readers.
#[derive(Debug, Clone)]
pub struct SlotTransport {
    slots: Vec<NamedSlot>,
}

impl SlotTransport {
    /// Readers over these slots, in this order.
    pub fn new(slots: Vec<NamedSlot>) -> SlotTransport {
        SlotTransport { slots }
    }
}

struct Conn {
    c: InprocConnection,
    atr: Vec<u8>,
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
        self.c.transmit(apdu).map_err(map)
    }
    fn alive(&mut self) -> bool {
        self.c.is_alive()
    }
}

impl Transport for SlotTransport {
    fn readers(&self) -> Result<Vec<String>, TransportError> {
        Ok(self.slots.iter().map(|s| s.name.clone()).collect())
    }
    fn connect(&self, reader: &str) -> Result<Box<dyn Connection>, TransportError> {
        let s = self
            .slots
            .iter()
            .find(|s| s.name == reader)
            .ok_or_else(|| TransportError::UnknownReader(reader.to_string()))?;
        let (c, atr) = InprocConnection::connect(&s.slot).map_err(map)?;
        Ok(Box::new(Conn { c, atr }))
    }
}
