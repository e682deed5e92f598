//! The embedded transport: emulator slots behind the middleware's `Transport` trait, so
//! the reference middleware runs in-process with no pcscd.

use nhi_emulator::reader::inproc::{InprocConnection, InprocError};
use nhi_emulator::reader::NamedSlot;
use nhi_middleware::transport::{Connection, Transport, TransportError};

/// Named emulator slots as readers.
#[derive(Debug, Clone)]
pub struct InprocTransport {
    slots: Vec<NamedSlot>,
}

impl InprocTransport {
    /// Readers over these slots.
    pub fn new(slots: Vec<NamedSlot>) -> InprocTransport {
        InprocTransport { slots }
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

impl Transport for InprocTransport {
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
