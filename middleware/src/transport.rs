//! How the middleware reaches card readers: a small trait with a PC/SC implementation
//! (feature `pcsc`) and whatever an embedder supplies (the harness wires emulator cards
//! in-process; this crate never depends on the emulator).

use crate::pinpad::{PadChange, PadVerify};
use thiserror::Error;

/// Why a reader operation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// The reader subsystem is not available (pcscd not running).
    #[error("reader service unavailable: {0}")]
    NoService(String),
    /// No reader with that name.
    #[error("no reader named {0:?}")]
    UnknownReader(String),
    /// The reader is empty.
    #[error("no card in the reader")]
    NoCard,
    /// The card was removed (or reset by someone else) since connecting.
    #[error("card removed")]
    Removed,
    /// A COM port could not be opened (6.0 status 1201).
    #[error("cannot open the COM port: {0}")]
    PortOpen(String),
    /// A physical reader did not do what it was asked (6.0 status 1202).
    #[error("reader failed: {0}")]
    ReaderFailed(String),
    /// Any other failure.
    #[error("reader error: {0}")]
    Other(String),
}

/// A connection to the card in one reader.
pub trait Connection: Send {
    /// The card's ATR.
    fn atr(&self) -> Vec<u8>;
    /// Sends a C-APDU, returns the R-APDU.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
    /// True while the same card is still in the reader.
    fn alive(&mut self) -> bool;
    /// Verifies a PIN typed on the reader's own PIN pad (PC/SC v2 part 10 VERIFY PIN
    /// DIRECT): the R-APDU (the card's, or the pad's `64 00` time-out / `64 01` cancel), or
    /// None when the reader has no pad.
    fn verify_pin_on_pad(
        &mut self,
        _verify: &PadVerify,
    ) -> Option<Result<Vec<u8>, TransportError>> {
        None
    }
    /// Changes a PIN typed on the reader's own PIN pad (PC/SC v2 part 10 MODIFY PIN
    /// DIRECT): the R-APDU (the card's, or the pad's `64 0x`), or None when the reader has
    /// no pad.
    fn modify_pin_on_pad(
        &mut self,
        _change: &PadChange,
    ) -> Option<Result<Vec<u8>, TransportError>> {
        None
    }
}

/// A set of readers.
pub trait Transport: Send + Sync {
    /// Reader names.
    fn readers(&self) -> Result<Vec<String>, TransportError>;
    /// Connects to the card in a reader.
    fn connect(&self, reader: &str) -> Result<Box<dyn Connection>, TransportError>;
    /// Sets the reader's own clock (Unix seconds); None when the reader has none.
    fn set_reader_time(&self, _reader: &str, _unix: i64) -> Option<Result<(), TransportError>> {
        None
    }
    /// The reader's own clock (Unix seconds), when the reader has one (COM readers do;
    /// PC/SC readers do not).
    fn reader_time(&self, _reader: &str) -> Option<Result<i64, TransportError>> {
        None
    }
}

/// Several transports as one, in the device order given (e.g. PC/SC first, then COM).
pub struct Chain(pub Vec<std::sync::Arc<dyn Transport>>);

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chain({} transports)", self.0.len())
    }
}

impl Chain {
    fn owner(&self, reader: &str) -> Result<&dyn Transport, TransportError> {
        self.0
            .iter()
            .find(|t| t.readers().is_ok_and(|r| r.iter().any(|n| n == reader)))
            .map(|t| t.as_ref())
            .ok_or_else(|| TransportError::UnknownReader(reader.to_string()))
    }
}

impl Transport for Chain {
    fn readers(&self) -> Result<Vec<String>, TransportError> {
        let mut all = Vec::new();
        let mut last_err = None;
        for t in &self.0 {
            match t.readers() {
                Ok(r) => all.extend(r),
                Err(e) => last_err = Some(e),
            }
        }
        match last_err {
            Some(e) if all.is_empty() => Err(e),
            _ => Ok(all),
        }
    }
    fn connect(&self, reader: &str) -> Result<Box<dyn Connection>, TransportError> {
        self.owner(reader)?.connect(reader)
    }
    fn set_reader_time(&self, reader: &str, unix: i64) -> Option<Result<(), TransportError>> {
        self.owner(reader).ok()?.set_reader_time(reader, unix)
    }
    fn reader_time(&self, reader: &str) -> Option<Result<i64, TransportError>> {
        self.owner(reader).ok()?.reader_time(reader)
    }
}

/// No readers at all (cloud SAM without a reader).
#[derive(Debug, Default)]
pub struct NoReaders;

impl Transport for NoReaders {
    fn readers(&self) -> Result<Vec<String>, TransportError> {
        Ok(Vec::new())
    }
    fn connect(&self, reader: &str) -> Result<Box<dyn Connection>, TransportError> {
        Err(TransportError::UnknownReader(reader.to_string()))
    }
}

#[cfg(any(feature = "pcsc", windows))]
pub use pcsc_impl::PcscTransport;

#[cfg(any(feature = "pcsc", windows))]
mod pcsc_impl {
    use super::{Connection, Transport, TransportError};
    use crate::pinpad::{self, PadChange, PadVerify};
    use std::ffi::CString;
    use std::sync::Mutex;

    fn map(e: pcsc::Error) -> TransportError {
        match e {
            pcsc::Error::NoSmartcard => TransportError::NoCard,
            pcsc::Error::RemovedCard | pcsc::Error::ResetCard | pcsc::Error::NotTransacted => {
                TransportError::Removed
            }
            pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => {
                TransportError::UnknownReader(e.to_string())
            }
            pcsc::Error::NoService
            | pcsc::Error::ServiceStopped
            | pcsc::Error::NoReadersAvailable => TransportError::NoService(e.to_string()),
            other => TransportError::Other(other.to_string()),
        }
    }

    /// Readers through pcsc-lite (the `pcsc` crate). Re-establishes its context when pcscd
    /// restarts.
    pub struct PcscTransport {
        ctx: Mutex<Option<pcsc::Context>>,
        only: Option<Vec<String>>,
    }

    impl std::fmt::Debug for PcscTransport {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("PcscTransport")
                .field("only", &self.only)
                .finish()
        }
    }

    impl PcscTransport {
        /// All readers, or only the named ones.
        pub fn new(only: Option<Vec<String>>) -> PcscTransport {
            PcscTransport {
                ctx: Mutex::new(None),
                only,
            }
        }

        fn ctx(&self) -> Result<pcsc::Context, TransportError> {
            let mut g = self.ctx.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = g.as_ref() {
                if c.is_valid().is_ok() {
                    return Ok(c.clone());
                }
            }
            let c = pcsc::Context::establish(pcsc::Scope::User).map_err(map)?;
            *g = Some(c.clone());
            Ok(c)
        }
    }

    /// SCardStatus with caller buffers (pcsc-lite has no SCARD_AUTOALLOCATE, which the
    /// crate's `*_owned` helpers use).
    fn status_atr(card: &pcsc::Card) -> Result<Vec<u8>, pcsc::Error> {
        let mut names = [0u8; 2048];
        let mut atr = [0u8; pcsc::MAX_ATR_SIZE];
        let s = card.status2(&mut names, &mut atr)?;
        Ok(s.atr().to_vec())
    }

    struct PcscConnection {
        card: pcsc::Card,
        atr: Vec<u8>,
    }

    impl Connection for PcscConnection {
        fn atr(&self) -> Vec<u8> {
            self.atr.clone()
        }
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
            let r = self.card.transmit(apdu, &mut buf).map_err(map)?;
            if r.len() < 2 {
                return Err(TransportError::Removed);
            }
            Ok(r.to_vec())
        }
        fn alive(&mut self) -> bool {
            status_atr(&self.card).is_ok()
        }
        fn verify_pin_on_pad(
            &mut self,
            verify: &PadVerify,
        ) -> Option<Result<Vec<u8>, TransportError>> {
            self.on_pad(pinpad::verify_pin_direct, &verify.structure())
        }
        fn modify_pin_on_pad(
            &mut self,
            change: &PadChange,
        ) -> Option<Result<Vec<u8>, TransportError>> {
            self.on_pad(pinpad::modify_pin_direct, &change.structure())
        }
    }

    impl PcscConnection {
        /// Sends a part 10 PIN structure to the control code `feature` finds in the
        /// reader's feature list: the R-APDU, or None when the reader has no such feature.
        fn on_pad(
            &mut self,
            feature: fn(&[u8]) -> Result<Option<u32>, String>,
            structure: &[u8],
        ) -> Option<Result<Vec<u8>, TransportError>> {
            let mut features = [0u8; 256];
            let list = match self.card.control(
                pinpad::CM_IOCTL_GET_FEATURE_REQUEST.into(),
                &[],
                &mut features,
            ) {
                Ok(l) => l,
                // A reader without part 10 support refuses the request: it has no pad.
                Err(e) => {
                    return match map(e) {
                        TransportError::Other(_) => None,
                        gone => Some(Err(gone)),
                    }
                }
            };
            let code = match feature(list) {
                Ok(Some(c)) => c,
                Ok(None) => return None,
                Err(e) => return Some(Err(TransportError::ReaderFailed(e))),
            };
            let mut buf = [0u8; 258];
            Some(match self.card.control(code.into(), structure, &mut buf) {
                Ok(r) if r.len() >= 2 => Ok(r.to_vec()),
                Ok(r) => Err(TransportError::ReaderFailed(format!(
                    "the PIN pad answered {} bytes",
                    r.len()
                ))),
                Err(e) => Err(map(e)),
            })
        }
    }

    impl Transport for PcscTransport {
        fn readers(&self) -> Result<Vec<String>, TransportError> {
            let ctx = self.ctx()?;
            let names = match ctx.list_readers_owned() {
                Ok(n) => n,
                Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
                Err(e) => {
                    *self.ctx.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    return Err(map(e));
                }
            };
            let names: Vec<String> = names
                .into_iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            Ok(match &self.only {
                Some(only) => names.into_iter().filter(|n| only.contains(n)).collect(),
                None => names,
            })
        }
        fn connect(&self, reader: &str) -> Result<Box<dyn Connection>, TransportError> {
            let ctx = self.ctx()?;
            let name = CString::new(reader)
                .map_err(|_| TransportError::UnknownReader(reader.to_string()))?;
            let card = ctx
                .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
                .map_err(map)?;
            let atr = status_atr(&card).map_err(map)?;
            Ok(Box::new(PcscConnection { card, atr }))
        }
    }
}
