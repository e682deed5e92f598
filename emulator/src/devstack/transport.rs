//! Emulator slots behind the middleware's `Transport` trait: the reference middleware
//! reaches the emulated cards by function calls (no pcscd, no pty) — in `nhi-emu dev` and
//! in the harness's embedded worlds. Reader faults (reader/fault.rs) show as PC/SC would
//! show them; a reader with a PIN pad (reader/pin_pad.rs) answers the middleware's VERIFY
//! PIN DIRECT as the ifd reader does over pcscd: the same PIN_VERIFY_STRUCTURE, parsed and
//! completed by the same pad.

use crate::reader::ifd_pin::PinRequest;
use crate::reader::inproc::{InprocConnection, InprocError};
use crate::reader::pin_pad::PinPad;
use crate::reader::{NamedSlot, ReaderFault, Slot};
use nhi_middleware::pinpad::{PadChange, PadVerify};
use nhi_middleware::transport::{Connection, Transport, TransportError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Named emulator slots as readers, some with a PIN pad.
#[derive(Debug, Clone)]
pub struct SlotTransport {
    slots: Vec<NamedSlot>,
    /// PIN pads by the name of their reader's slot.
    pads: Vec<(String, PinPad)>,
    /// Set when the stack stops: a PIN entry in progress ends as timed out.
    stop: Arc<AtomicBool>,
}

impl SlotTransport {
    /// Readers over these slots, without PIN pads.
    pub fn new(slots: Vec<NamedSlot>) -> SlotTransport {
        SlotTransport {
            slots,
            pads: Vec::new(),
            stop: Arc::default(),
        }
    }

    /// The same readers with these PIN pads (by the name of their reader's slot).
    pub fn with_pads(mut self, pads: Vec<(String, PinPad)>) -> SlotTransport {
        self.pads = pads;
        self
    }

    /// Ends every PIN entry in progress (as timed out) and any started later.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

struct Conn {
    c: InprocConnection,
    slot: Slot,
    reader: String,
    atr: Vec<u8>,
    pad: Option<PinPad>,
    stop: Arc<AtomicBool>,
}

impl Conn {
    /// One PIN entry on the pad: the PIN_VERIFY_STRUCTURE (or PIN_MODIFY_STRUCTURE) the
    /// middleware would hand pcscd, parsed as the ifd reader parses it; the completed
    /// command goes to this card.
    fn enter_on(
        &mut self,
        pad: &PinPad,
        req: Result<PinRequest, String>,
    ) -> Result<Vec<u8>, TransportError> {
        check(&self.slot, &self.reader)?;
        let req = req.map_err(TransportError::ReaderFailed)?;
        match pad.entry(&req, &self.stop) {
            Ok(Ok(apdu)) => {
                check(&self.slot, &self.reader)?;
                self.c.transmit(&apdu).map_err(map)
            }
            Ok(Err(sw)) => Ok(sw.to_vec()),
            Err(e) => Err(TransportError::ReaderFailed(e)),
        }
    }
}

/// A reader fault as the PC/SC layer reports it: an unplugged reader is unknown, a failing
/// one fails every call (reader/fault.rs).
fn check(slot: &Slot, reader: &str) -> Result<(), TransportError> {
    match slot.fault() {
        Some(ReaderFault::Unplugged) => Err(TransportError::UnknownReader(reader.to_string())),
        Some(ReaderFault::Failing) => Err(TransportError::Other(format!(
            "reader {reader:?} is not working"
        ))),
        // A corrupted, noisy or slow line is a serial reader's fault; a PC/SC reader has no
        // such line.
        Some(ReaderFault::Garbling | ReaderFault::Noisy | ReaderFault::Slow) | None => Ok(()),
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
    fn verify_pin_on_pad(&mut self, verify: &PadVerify) -> Option<Result<Vec<u8>, TransportError>> {
        let pad = self.pad.clone()?;
        Some(self.enter_on(&pad, PinRequest::verify(&verify.structure())))
    }
    fn modify_pin_on_pad(&mut self, change: &PadChange) -> Option<Result<Vec<u8>, TransportError>> {
        let pad = self.pad.clone()?;
        Some(self.enter_on(&pad, PinRequest::modify(&change.structure())))
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
            pad: self
                .pads
                .iter()
                .find(|(name, _)| name == reader)
                .map(|(_, pad)| pad.clone()),
            stop: self.stop.clone(),
        }))
    }
}
