//! One connection to nhi-emu: a request, then its reply; reconnects on the next call after
//! any failure (the emulator restarted or went away).

use crate::wire::{self, Op, Status};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Connecting, writing or reading failed (the emulator is not there or went away).
    #[error("emulator at {0}: {1}")]
    Io(SocketAddr, std::io::Error),
    /// The emulator sent something that is not a reply frame.
    #[error("emulator at {0}: malformed reply: {1}")]
    Malformed(SocketAddr, wire::WireError),
}

/// A lazily (re)connected link to one reader's endpoint.
#[derive(Debug)]
pub struct Link {
    addr: SocketAddr,
    conn: Mutex<Option<TcpStream>>,
    /// A second handle on the live connection, so another thread can interrupt a call.
    interrupt: Mutex<Option<TcpStream>>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic cannot cross the FFI boundary (it aborts), so a poisoned lock only means an
    // earlier call failed midway; the connection state is then dropped on the next error.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Link {
    /// A link to `addr`, not yet connected.
    pub fn new(addr: SocketAddr) -> Link {
        Link {
            addr,
            conn: Mutex::new(None),
            interrupt: Mutex::new(None),
        }
    }

    /// Sends one request and waits up to `timeout` for its reply.
    pub fn call(
        &self,
        op: Op,
        slot: u8,
        body: &[u8],
        timeout: Duration,
    ) -> Result<(Status, Vec<u8>), LinkError> {
        let mut conn = locked(&self.conn);
        let result = self.exchange(&mut conn, op, slot, body, timeout);
        if result.is_err() {
            // Out of step or gone: the next call starts on a fresh connection.
            *conn = None;
            *locked(&self.interrupt) = None;
        }
        result
    }

    fn exchange(
        &self,
        conn: &mut Option<TcpStream>,
        op: Op,
        slot: u8,
        body: &[u8],
        timeout: Duration,
    ) -> Result<(Status, Vec<u8>), LinkError> {
        let io = |e| LinkError::Io(self.addr, e);
        let stream = match conn {
            Some(s) => s,
            None => {
                let s =
                    TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).map_err(io)?;
                // With nobody listening on a port in the ephemeral range, the kernel can
                // pick that very port as our source: a TCP self-connection that would
                // hold the emulator's port and echo our requests back. Refuse it.
                if s.local_addr().map_err(io)? == s.peer_addr().map_err(io)? {
                    return Err(io(std::io::Error::new(
                        std::io::ErrorKind::ConnectionRefused,
                        "self-connection (nobody listens)",
                    )));
                }
                s.set_nodelay(true).map_err(io)?;
                *locked(&self.interrupt) = Some(s.try_clone().map_err(io)?);
                conn.insert(s)
            }
        };
        stream.set_read_timeout(Some(timeout)).map_err(io)?;
        stream
            .write_all(&wire::encode_request(op, slot, body))
            .map_err(io)?;
        let mut prefix = [0u8; 4];
        stream.read_exact(&mut prefix).map_err(io)?;
        let n = wire::frame_len(prefix).map_err(|e| LinkError::Malformed(self.addr, e))?;
        let mut frame = vec![0u8; n];
        stream.read_exact(&mut frame).map_err(io)?;
        let (status, reply) =
            wire::decode_reply(&frame).map_err(|e| LinkError::Malformed(self.addr, e))?;
        Ok((status, reply.to_vec()))
    }

    /// Wakes a call blocked in another thread (it fails; the link reconnects next time).
    pub fn interrupt(&self) {
        if let Some(s) = locked(&self.interrupt).as_ref() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}
