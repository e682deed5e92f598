//! The vpcd endpoint: puts a slot's card into a pcsc-lite virtual reader.
//!
//! pcscd's vpcd driver listens on TCP (35963 for "Virtual PCD 00 00", the next port for
//! "… 00 01"); the card side connects as a client. Frames both ways are a 2-byte
//! big-endian length and a payload. One-byte payloads from pcscd are control codes:
//! 0x00 power off, 0x01 power on, 0x02 reset (no reply), 0x04 get ATR (reply: ATR).
//! Anything longer is a C-APDU, answered with the R-APDU. Closing the socket = card
//! removed. TCP_QUICKACK is re-armed before every read: without it Debian's build runs
//! at ~20 APDU/s instead of thousands.

use super::Slot;
use socket2::SockRef;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// vpcd control codes.
pub mod ctrl {
    /// Power off.
    pub const POWER_OFF: u8 = 0x00;
    /// Power on.
    pub const POWER_ON: u8 = 0x01;
    /// Reset.
    pub const RESET: u8 = 0x02;
    /// Get ATR.
    pub const GET_ATR: u8 = 0x04;
}

/// Time a slot stays empty after a removal before the next card connects.
pub const REINSERT_GAP: Duration = Duration::from_millis(600);

/// Largest frame accepted from pcscd (a 64 KiB extended APDU plus header).
pub const MAX_FRAME: usize = 65_544;

/// What the card side answers to one frame from pcscd (pure; no I/O).
pub fn answer(slot: &Slot, frame: &[u8]) -> Option<Vec<u8>> {
    match frame {
        [ctrl::POWER_OFF] => None,
        [ctrl::POWER_ON] | [ctrl::RESET] => {
            slot.power_on();
            None
        }
        [ctrl::GET_ATR] => {
            let mut s = slot.lock();
            let atr = s.card.as_ref().map(|c| c.atr().to_vec());
            if atr.is_some() {
                // pcscd has the card's ATR: the card is visible to PC/SC clients.
                s.announced = s.generation;
            }
            // An empty ATR is vpcd's way of saying "no card in the slot".
            Some(atr.unwrap_or_else(|| NO_CARD_ATR.to_vec()))
        }
        [_] | [] => None,
        apdu => Some(slot.transmit(apdu).unwrap_or_else(|| vec![0x6F, 0x00])),
    }
}

/// The GET_ATR reply for an empty slot: vpcd reads an empty ATR as "no card".
const NO_CARD_ATR: &[u8] = &[];

/// Reads one frame; Ok(None) on a clean end of stream, Err(TimedOut/WouldBlock) on idle.
fn read_frame(s: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Option<()>> {
    // Linux only: other systems have no delayed-ACK switch per socket (Windows' vpcd driver
    // users get the platform's default ACK timing).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = SockRef::from(&*s).set_quickack(true);
    let mut len = [0u8; 2];
    match s.read(&mut len[..1]) {
        Ok(0) => return Ok(None),
        Ok(_) => {}
        Err(e) => return Err(e),
    }
    // The rest of the frame follows promptly; wait for it without the idle timeout.
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.read_exact(&mut len[1..])?;
    let n = usize::from(u16::from_be_bytes(len));
    if n > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too long"));
    }
    buf.resize(n, 0);
    s.read_exact(buf)?;
    Ok(Some(()))
}

fn write_frame(s: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let mut out = Vec::with_capacity(payload.len() + 2);
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    s.write_all(&out)
}

/// Why a session with pcscd ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Removed,
    Disconnected,
    Stopped,
}

fn session(stream: &mut TcpStream, slot: &Slot, generation: u64, stop: &AtomicBool) -> End {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(512);
    loop {
        if stop.load(Ordering::Relaxed) {
            return End::Stopped;
        }
        if slot.generation() != generation || !slot.is_present() {
            return End::Removed;
        }
        let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
        match read_frame(stream, &mut buf) {
            Ok(Some(())) => {
                if slot.generation() != generation {
                    return End::Removed;
                }
                if let Some(reply) = answer(slot, &buf) {
                    if write_frame(stream, &reply).is_err() {
                        return End::Disconnected;
                    }
                }
            }
            Ok(None) => return End::Disconnected,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return End::Disconnected,
        }
    }
}

/// A running vpcd endpoint (one background thread per reader).
#[derive(Debug)]
pub struct VpcdEndpoint {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl VpcdEndpoint {
    /// Connects `slot` to the vpcd reader at `addr` whenever a card is in it; reconnects
    /// with back-off (50 ms doubling to 2 s) when pcscd is not there or restarts.
    pub fn start(addr: SocketAddr, slot: Slot) -> VpcdEndpoint {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("vpcd-{}", addr.port()))
            .spawn(move || run(addr, slot, &s2))
            .ok();
        VpcdEndpoint { stop, thread }
    }

    /// Stops the endpoint and waits for its thread (the card disappears from the reader).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for VpcdEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(addr: SocketAddr, slot: Slot, stop: &AtomicBool) {
    let mut backoff = Duration::from_millis(50);
    while !stop.load(Ordering::Relaxed) {
        if !slot.is_present() {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let generation = slot.generation();
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Ok(mut stream) => {
                backoff = Duration::from_millis(50);
                tracing::debug!(%addr, "vpcd connected");
                let end = session(&mut stream, &slot, generation, stop);
                if end == End::Removed {
                    // Reset, not FIN: the driver then fails the pending transmit (pcsc-lite
                    // reports a communication error) instead of returning an empty reply.
                    let _ = SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                }
                drop(stream);
                if end == End::Removed {
                    // Like a hand swapping cards: stay out long enough for pcscd's presence
                    // poll (400 ms) to see the slot empty, or it would take the next card
                    // for the old one.
                    std::thread::sleep(REINSERT_GAP);
                }
                tracing::debug!(%addr, ?end, "vpcd session ended");
                if end == End::Disconnected {
                    std::thread::sleep(backoff);
                }
            }
            Err(_) => {
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{CardFactory, Fixtures};

    #[test]
    fn control_frames_and_apdus() {
        let f = Fixtures::demo().unwrap();
        let slot = Slot::empty();
        assert_eq!(answer(&slot, &[ctrl::GET_ATR]), Some(vec![]));
        slot.insert(Box::new(
            CardFactory::test().unwrap().hc(&f.people[0]).unwrap(),
        ));
        assert_eq!(
            answer(&slot, &[ctrl::GET_ATR]).unwrap(),
            nhi_protocol::apdu::ATR_HC
        );
        assert_eq!(answer(&slot, &[ctrl::POWER_ON]), None);
        assert_eq!(
            answer(&slot, &nhi_protocol::apdu::select_hc()),
            Some(vec![0x90, 0x00])
        );
        assert_eq!(
            answer(&slot, nhi_protocol::apdu::GET_BASIC).unwrap().len(),
            59
        );
        assert_eq!(answer(&slot, &[ctrl::RESET]), None);
        assert_eq!(
            answer(&slot, nhi_protocol::apdu::GET_BASIC),
            Some(vec![0x69, 0x85])
        );
    }
}
