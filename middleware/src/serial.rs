//! The serial transport: a COM-port reader (protocol/docs/SERIAL.md) reached through a serial
//! device path. Each of the reader's slots is one reader name, labelled as the reader's
//! INFO reply says. Broken or lost frames are retransmitted with the same sequence number
//! (the reader replays its reply instead of executing twice).

use crate::transport::{Connection, Transport, TransportError};
use nhi_protocol::serial::{cmd, Decoder, Event, Frame, Nak, SlotStatus};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Attempts per request before giving up.
const ATTEMPTS: usize = 3;

/// How long to wait for a reply before retransmitting.
const REPLY_TIMEOUT: Duration = Duration::from_millis(1500);

struct Link {
    path: PathBuf,
    port: Option<Box<dyn serialport::SerialPort>>,
    seq: u8,
    synced: bool,
    decoder: Decoder,
}

impl Link {
    fn port(&mut self) -> Result<&mut Box<dyn serialport::SerialPort>, TransportError> {
        if self.port.is_none() {
            let p = serialport::new(self.path.to_string_lossy(), 115_200)
                .timeout(Duration::from_millis(100))
                .open()
                .map_err(|e| TransportError::PortOpen(format!("{}: {e}", self.path.display())))?;
            let _ = p.clear(serialport::ClearBuffer::All);
            self.port = Some(p);
            self.synced = false;
            self.decoder = Decoder::new();
        }
        self.port
            .as_mut()
            .ok_or_else(|| TransportError::PortOpen(self.path.display().to_string()))
    }

    /// Sends a request and waits for its reply, retransmitting on loss or corruption.
    fn request(&mut self, c: u8, payload: Vec<u8>) -> Result<Frame, TransportError> {
        if !self.synced && c != cmd::SYNC {
            self.request(cmd::SYNC, Vec::new())?;
            self.synced = true;
        }
        self.seq = self.seq.wrapping_add(1);
        let mut bytes = Frame::new(self.seq, c, payload.clone())
            .encode()
            .map_err(|e| TransportError::Other(format!("request too large: {e}")))?;
        let mut last_err = TransportError::ReaderFailed("no reply".into());
        for _ in 0..ATTEMPTS {
            let seq = self.seq;
            if !self.synced && c != cmd::SYNC {
                // The reader lost track (restarted, or another host used it): resync and
                // send the request again under a new number; it was not executed.
                self.request(cmd::SYNC, Vec::new())?;
                self.synced = true;
                self.seq = self.seq.wrapping_add(1);
                bytes = Frame::new(self.seq, c, payload.clone())
                    .encode()
                    .map_err(|e| TransportError::Other(format!("request too large: {e}")))?;
                continue;
            }
            let port = self.port()?;
            if let Err(e) = port.write_all(&bytes) {
                self.port = None;
                last_err = TransportError::ReaderFailed(format!("write: {e}"));
                continue;
            }
            match self.await_reply(seq) {
                Ok(f) => match f.as_nak() {
                    Some((Some(Nak::BadCrc | Nak::BadEtx | Nak::Truncated), _)) => {
                        last_err = TransportError::ReaderFailed(
                            "reader reported a corrupted frame".into(),
                        );
                    }
                    Some((Some(Nak::BadSeq), _)) => {
                        self.synced = false;
                        last_err = TransportError::ReaderFailed("reader lost the sequence".into());
                    }
                    _ => return Ok(f),
                },
                Err(e) => last_err = e,
            }
        }
        self.synced = false;
        Err(last_err)
    }

    fn await_reply(&mut self, seq: u8) -> Result<Frame, TransportError> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        let mut buf = [0u8; 1024];
        while Instant::now() < deadline {
            let port = self.port()?;
            match port.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => {
                    for ev in self.decoder.push(&buf[..n]) {
                        match ev {
                            Event::Frame(f) if f.seq == seq => return Ok(f),
                            // Replies to older requests (after a retransmission) are skipped.
                            Event::Frame(_) => {}
                            // A corrupted reply: ask again at once.
                            Event::Bad(reason, _) => {
                                return Err(TransportError::ReaderFailed(format!(
                                    "corrupted reply: {reason}"
                                )))
                            }
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => {
                    self.port = None;
                    return Err(TransportError::ReaderFailed(format!("read: {e}")));
                }
            }
        }
        self.decoder = Decoder::new();
        Err(TransportError::ReaderFailed("reader did not answer".into()))
    }
}

fn expect_reply(f: Frame, c: u8) -> Result<Vec<u8>, TransportError> {
    if let Some((reason, _)) = f.as_nak() {
        return Err(match reason {
            Some(Nak::NoCard) => TransportError::NoCard,
            Some(Nak::NotPowered) => TransportError::Removed,
            Some(r) => TransportError::ReaderFailed(format!("reader refused: {r}")),
            None => TransportError::ReaderFailed("reader refused (unknown reason)".into()),
        });
    }
    if f.cmd != c | cmd::REPLY {
        return Err(TransportError::ReaderFailed(format!(
            "reply {:#04x} to command {c:#04x}",
            f.cmd
        )));
    }
    Ok(f.payload)
}

/// A COM-port reader at a device path.
#[derive(Clone)]
pub struct SerialTransport {
    link: Arc<Mutex<Link>>,
}

impl std::fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialTransport").finish_non_exhaustive()
    }
}

impl SerialTransport {
    /// A reader at `path` (opened on first use, reopened after errors).
    pub fn new(path: &Path) -> SerialTransport {
        SerialTransport {
            link: Arc::new(Mutex::new(Link {
                path: path.to_path_buf(),
                port: None,
                seq: 0,
                synced: false,
                decoder: Decoder::new(),
            })),
        }
    }

    fn call(&self, c: u8, payload: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let mut l = self.link.lock().unwrap_or_else(|p| p.into_inner());
        let f = l.request(c, payload)?;
        expect_reply(f, c)
    }

    /// The reader's name and its slot labels.
    pub fn info(&self) -> Result<(String, Vec<String>), TransportError> {
        let p = self.call(cmd::INFO, Vec::new())?;
        let text = String::from_utf8_lossy(&p).into_owned();
        let mut lines = text.lines().map(str::to_string);
        let name = lines
            .next()
            .ok_or_else(|| TransportError::ReaderFailed("INFO reply without a name".into()))?;
        Ok((name, lines.collect()))
    }

    fn status(&self) -> Result<Vec<SlotStatus>, TransportError> {
        let p = self.call(cmd::STATUS, Vec::new())?;
        SlotStatus::decode_all(&p)
            .ok_or_else(|| TransportError::ReaderFailed("malformed STATUS reply".into()))
    }

    fn slot_of(&self, reader: &str) -> Result<u8, TransportError> {
        let (_, labels) = self.info()?;
        labels
            .iter()
            .position(|l| l == reader)
            .and_then(|i| u8::try_from(i).ok())
            .ok_or_else(|| TransportError::UnknownReader(reader.to_string()))
    }

    /// The reader's clock (Unix seconds).
    pub fn time(&self) -> Result<i64, TransportError> {
        let p = self.call(cmd::TIME_GET, Vec::new())?;
        let b: [u8; 8] = p
            .try_into()
            .map_err(|_| TransportError::ReaderFailed("malformed TIME reply".into()))?;
        Ok(i64::from_be_bytes(b))
    }
}

struct SerialConnection {
    t: SerialTransport,
    slot: u8,
    generation: u32,
    atr: Vec<u8>,
}

impl Connection for SerialConnection {
    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut p = Vec::with_capacity(apdu.len() + 1);
        p.push(self.slot);
        p.extend_from_slice(apdu);
        match self.t.call(cmd::APDU, p) {
            Err(TransportError::NoCard) => Err(TransportError::Removed),
            Ok(r) if r.len() < 2 => Err(TransportError::ReaderFailed("short R-APDU".into())),
            other => other,
        }
    }
    fn alive(&mut self) -> bool {
        self.t.status().is_ok_and(|s| {
            s.get(usize::from(self.slot))
                .is_some_and(|s| s.present && s.powered && s.generation == self.generation)
        })
    }
}

impl Transport for SerialTransport {
    fn readers(&self) -> Result<Vec<String>, TransportError> {
        Ok(self.info()?.1)
    }
    fn connect(&self, reader: &str) -> Result<Box<dyn Connection>, TransportError> {
        let slot = self.slot_of(reader)?;
        let atr = self.call(cmd::POWER_ON, vec![slot])?;
        let generation = self
            .status()?
            .get(usize::from(slot))
            .map(|s| s.generation)
            .ok_or(TransportError::NoCard)?;
        Ok(Box::new(SerialConnection {
            t: self.clone(),
            slot,
            generation,
            atr,
        }))
    }
    fn reader_time(&self, reader: &str) -> Option<Result<i64, TransportError>> {
        self.slot_of(reader).ok()?;
        Some(self.time())
    }
    fn set_reader_time(&self, reader: &str, unix: i64) -> Option<Result<(), TransportError>> {
        self.slot_of(reader).ok()?;
        Some(
            self.call(cmd::TIME_SET, unix.to_be_bytes().to_vec())
                .map(|_| ()),
        )
    }
}
