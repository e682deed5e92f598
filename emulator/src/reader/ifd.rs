//! The ifd endpoint: serves one emulated reader (a card slot and a SAM slot, optionally a
//! PIN pad) to nhi-ifd, our pcsc-lite driver, over TCP in the wire format of
//! `nhi_ifd::wire` (ifd/README.md). The driver connects; each connection carries one
//! request at a time. A `Wait` blocks on the slot's condition variable, so pcscd learns
//! of an insert or removal the moment the control API makes it.

use super::ifd_pin::{PinPad, PinRequest};
use super::Slot;
use nhi_ifd::wire::{self, Op, Presence, Request, Status};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The longest stretch a `Wait` sleeps before checking whether the endpoint stops.
const STOP_CHECK: Duration = Duration::from_millis(250);

/// What one reader serves.
#[derive(Debug, Clone)]
pub struct IfdReader {
    slots: Vec<Slot>,
    pad: Option<PinPad>,
    /// Distinguishes this endpoint's generations from an earlier one's (see [`on_wire`]).
    epoch: u64,
}

impl IfdReader {
    /// A reader with a card slot and optionally a SAM slot (the driver's two), and maybe a
    /// PIN pad.
    pub fn new(slots: Vec<Slot>, pad: Option<PinPad>) -> Result<IfdReader, String> {
        if slots.is_empty() || slots.len() > nhi_ifd::driver::SLOTS {
            return Err(format!(
                "an ifd reader has 1 or {} slots, not {}",
                nhi_ifd::driver::SLOTS,
                slots.len()
            ));
        }
        // Wall-clock milliseconds (24 bits of them): a new value for every emulator start.
        let epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_millis() as u64 & 0xFF_FFFF)
            | 1;
        Ok(IfdReader { slots, pad, epoch })
    }
}

/// The reply to one request (pure but for the blocking waits: `Wait` and PIN entry).
pub fn answer(reader: &IfdReader, req: &Request<'_>, stop: &AtomicBool) -> (Status, Vec<u8>) {
    match reader.slots.get(usize::from(req.slot)) {
        _ if req.op == Op::Hello => {
            let flags = if reader.pad.is_some() {
                wire::FLAG_PIN_PAD
            } else {
                0
            };
            // At most driver::SLOTS (checked in IfdReader::new).
            let slots = reader.slots.len() as u8;
            (Status::Ok, vec![wire::VERSION, slots, flags])
        }
        None => (Status::NoSlot, Vec::new()),
        Some(slot) => slot_answer(reader, slot, req, stop),
    }
}

fn slot_answer(
    reader: &IfdReader,
    slot: &Slot,
    req: &Request<'_>,
    stop: &AtomicBool,
) -> (Status, Vec<u8>) {
    let bad = |e: wire::WireError| (Status::BadRequest, e.to_string().into_bytes());
    match req.op {
        Op::Hello => answer(reader, req, stop),
        Op::Presence => (Status::Ok, presence(slot, reader.epoch).encode()),
        Op::Wait => match wire::parse_wait(req.body) {
            Ok((known, timeout_ms)) => {
                let mut left = Duration::from_millis(u64::from(timeout_ms));
                let mut now = presence(slot, reader.epoch);
                while now == known && !left.is_zero() && !stop.load(Ordering::Relaxed) {
                    let step = left.min(STOP_CHECK);
                    // `now == known`: the driver's generation is of this epoch.
                    let known_raw = (known.present, known.generation & GENERATION_MASK);
                    let (present, generation) = slot.wait_change(known_raw, step);
                    now = Presence {
                        present,
                        generation: on_wire(reader.epoch, generation),
                    };
                    left = left.saturating_sub(step);
                }
                (Status::Ok, now.encode())
            }
            Err(e) => bad(e),
        },
        Op::PowerOn => {
            let mut s = slot.lock();
            let generation = s.generation;
            match s.card.as_mut() {
                Some(card) => {
                    card.reset();
                    let atr = card.atr().to_vec();
                    // pcscd has the card's ATR: the card is visible to PC/SC clients.
                    s.announced = generation;
                    (
                        Status::Ok,
                        wire::with_generation(on_wire(reader.epoch, generation), &atr),
                    )
                }
                None => (Status::NoCard, Vec::new()),
            }
        }
        Op::PowerOff => (Status::Ok, Vec::new()),
        Op::Apdu => match wire::split_generation(req.body) {
            Ok((generation, apdu)) => to_card(slot, reader.epoch, generation, apdu),
            Err(e) => bad(e),
        },
        Op::VerifyPin | Op::ModifyPin => {
            let Some(pad) = &reader.pad else {
                return (Status::Unsupported, Vec::new());
            };
            match wire::split_generation(req.body) {
                Ok((generation, structure)) => {
                    let request = match req.op {
                        Op::VerifyPin => PinRequest::verify(structure),
                        _ => PinRequest::modify(structure),
                    };
                    match request {
                        Ok(r) => pad.enter(r, slot, reader.epoch, generation, stop),
                        Err(e) => (Status::BadRequest, e.into_bytes()),
                    }
                }
                Err(e) => bad(e),
            }
        }
    }
}

/// Sends an APDU to the card of `generation`; [`Status::NoCard`] once it was swapped out.
pub(super) fn to_card(slot: &Slot, epoch: u64, generation: u64, apdu: &[u8]) -> (Status, Vec<u8>) {
    match slot.exchange(|g| on_wire(epoch, g) == generation, apdu) {
        Some(reply) => (Status::Ok, reply),
        None => (Status::NoCard, Vec::new()),
    }
}

fn presence(slot: &Slot, epoch: u64) -> Presence {
    let s = slot.lock();
    Presence {
        present: s.card.is_some(),
        generation: on_wire(epoch, s.generation),
    }
}

/// A slot generation as the driver sees it: qualified by the endpoint's epoch, so the
/// cards of a restarted emulator (counting from 1 again) never pass for the old ones.
fn on_wire(epoch: u64, generation: u64) -> u64 {
    (epoch << 40) | (generation & GENERATION_MASK)
}

/// The slot-generation bits of a wire generation.
const GENERATION_MASK: u64 = (1 << 40) - 1;

/// A running ifd endpoint: a listener and one thread per driver connection.
#[derive(Debug)]
pub struct IfdEndpoint {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl IfdEndpoint {
    /// Listens on `listen` for the driver's connections to `reader`.
    pub fn start(listen: SocketAddr, reader: IfdReader) -> io::Result<IfdEndpoint> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (s2, c2) = (stop.clone(), conns.clone());
        let thread = std::thread::Builder::new()
            .name(format!("ifd-{}", addr.port()))
            .spawn(move || accept(listener, reader, s2, c2))?;
        Ok(IfdEndpoint {
            addr,
            stop,
            conns,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for IfdEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Closing the driver's connections is what pcscd sees as "the cards are gone".
        for c in self
            .conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            let _ = c.shutdown(Shutdown::Both);
        }
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept(
    listener: TcpListener,
    reader: IfdReader,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        if let Ok(c) = stream.try_clone() {
            let mut all = conns.lock().unwrap_or_else(PoisonError::into_inner);
            // Forget connections that have ended (their peer address is gone).
            all.retain(|c| c.peer_addr().is_ok());
            all.push(c);
        }
        let (reader, stop) = (reader.clone(), stop.clone());
        let spawned = std::thread::Builder::new()
            .name("ifd-conn".into())
            .spawn(move || serve(stream, &reader, &stop));
        if let Err(e) = spawned {
            tracing::warn!("ifd endpoint: no thread for a connection: {e}");
        }
    }
}

/// Answers requests until the driver disconnects, sends garbage or the endpoint stops.
fn serve(mut stream: TcpStream, reader: &IfdReader, stop: &AtomicBool) {
    let mut frame = Vec::with_capacity(512);
    while !stop.load(Ordering::Relaxed) {
        let mut prefix = [0u8; 4];
        if stream.read_exact(&mut prefix).is_err() {
            return;
        }
        let Ok(n) = wire::frame_len(prefix) else {
            // Out of step: nothing later on this connection can be trusted.
            let _ = stream.write_all(&wire::encode_reply(Status::BadRequest, b"frame too long"));
            return;
        };
        frame.resize(n, 0);
        if stream.read_exact(&mut frame).is_err() {
            return;
        }
        let (status, body) = match wire::decode_request(&frame) {
            Ok(req) => answer(reader, &req, stop),
            Err(e) => (Status::BadRequest, e.to_string().into_bytes()),
        };
        if stream
            .write_all(&wire::encode_reply(status, &body))
            .is_err()
        {
            return;
        }
    }
}
