//! The COM-port reader: a pure state machine ([`SerialReader`]) speaking the frame protocol
//! of protocol/docs/SERIAL.md, and a thin shell ([`SerialEndpoint`]) that puts it behind a pty so
//! any serial program can open the other end.

use super::{ReaderFault, Slot};
use crate::clock::{Clock, VirtualClock};
use nhi_protocol::serial::{cmd, Decoder, Event, Frame, Nak, SlotStatus, INTER_BYTE_TIMEOUT_MS};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Reader name reported by INFO.
pub const READER_NAME: &str = "NHI-EMU COM reader 1.0";

/// The reader's logic: slots, power state, clock offset, sequence tracking. No I/O.
#[derive(Debug)]
pub struct SerialReader {
    slots: Vec<(String, Slot)>,
    powered: Vec<Option<u64>>,
    clock: VirtualClock,
    offset: i64,
    /// Sequence number and encoded reply of the last accepted request (replayed when the
    /// host retransmits the same sequence number).
    last: Option<(u8, Frame)>,
}

impl SerialReader {
    /// A reader over labelled slots (label = the reader name a host shows for that slot).
    pub fn new(slots: Vec<(String, Slot)>, clock: VirtualClock) -> SerialReader {
        let n = slots.len();
        for (_, s) in &slots {
            s.lock().com_served = true;
        }
        SerialReader {
            slots,
            powered: vec![None; n],
            clock,
            offset: 0,
            last: None,
        }
    }

    /// A reader whose clock runs `secs` off the shared clock until a host sets it.
    pub fn with_clock_drift(mut self, secs: i64) -> SerialReader {
        self.offset = secs;
        self
    }

    /// Tells the control plane whether the port is gone (see [`Slot::fault_settled`]); only
    /// a pty can vanish.
    #[cfg(unix)]
    fn set_line_down(&self, down: bool) {
        for (_, s) in &self.slots {
            s.lock().line_down = down;
        }
    }

    /// The reader's fault: a fault set on any of its slots is the whole device's.
    pub fn fault(&self) -> Option<ReaderFault> {
        self.slots.iter().find_map(|(_, s)| s.fault())
    }

    fn expected(&self) -> u8 {
        self.last.as_ref().map_or(0, |(s, _)| s.wrapping_add(1))
    }

    /// The reply to a decoder event (a NAK for a broken frame).
    pub fn on_event(&mut self, ev: Event) -> Frame {
        match ev {
            Event::Frame(f) => self.on_frame(f),
            Event::Bad(reason, seq) => {
                Frame::nak(seq.unwrap_or(Frame::SEQ_UNKNOWN), reason, self.expected())
            }
        }
    }

    /// The reply to one valid frame.
    pub fn on_frame(&mut self, f: Frame) -> Frame {
        if f.cmd == cmd::SYNC {
            self.last = None;
            let reply = Frame::new(f.seq, cmd::SYNC | cmd::REPLY, Vec::new());
            self.last = Some((f.seq, reply.clone()));
            return reply;
        }
        match &self.last {
            Some((s, reply)) if *s == f.seq => return reply.clone(),
            Some((s, _)) if s.wrapping_add(1) != f.seq => {
                return Frame::nak(f.seq, Nak::BadSeq, self.expected());
            }
            _ => {}
        }
        let reply = match self.execute(f.cmd, &f.payload) {
            Ok(p) => Frame::new(f.seq, f.cmd | cmd::REPLY, p),
            Err(reason) => Frame::nak(f.seq, reason, f.seq.wrapping_add(1)),
        };
        self.last = Some((f.seq, reply.clone()));
        reply
    }

    fn slot(&self, payload: &[u8]) -> Result<(usize, &Slot), Nak> {
        let i = usize::from(*payload.first().ok_or(Nak::BadLength)?);
        self.slots.get(i).map(|(_, s)| (i, s)).ok_or(Nak::BadSlot)
    }

    fn execute(&mut self, c: u8, p: &[u8]) -> Result<Vec<u8>, Nak> {
        match c {
            cmd::STATUS => {
                if !p.is_empty() {
                    return Err(Nak::BadLength);
                }
                let all: Vec<SlotStatus> = self
                    .slots
                    .iter()
                    .zip(&self.powered)
                    .map(|((_, s), pw)| {
                        let g = s.generation();
                        SlotStatus {
                            present: s.is_present(),
                            powered: *pw == Some(g) && s.is_present(),
                            generation: g as u32,
                        }
                    })
                    .collect();
                Ok(SlotStatus::encode_all(&all))
            }
            cmd::POWER_ON => {
                if p.len() != 1 {
                    return Err(Nak::BadLength);
                }
                let (i, slot) = self.slot(p)?;
                let g = slot.generation();
                let atr = slot.power_on().ok_or(Nak::NoCard)?;
                slot.lock().announced = g;
                self.powered[i] = Some(g);
                Ok(atr)
            }
            cmd::POWER_OFF => {
                if p.len() != 1 {
                    return Err(Nak::BadLength);
                }
                let (i, _) = self.slot(p)?;
                self.powered[i] = None;
                Ok(Vec::new())
            }
            cmd::APDU => {
                if p.len() < 5 {
                    return Err(Nak::BadLength);
                }
                let (i, slot) = self.slot(p)?;
                let g = slot.generation();
                if !slot.is_present() {
                    return Err(Nak::NoCard);
                }
                if self.powered[i] != Some(g) {
                    return Err(Nak::NotPowered);
                }
                slot.transmit(&p[1..]).ok_or(Nak::NoCard)
            }
            cmd::TIME_GET => {
                if !p.is_empty() {
                    return Err(Nak::BadLength);
                }
                Ok((self.clock.now() + self.offset).to_be_bytes().to_vec())
            }
            cmd::TIME_SET => {
                let t: [u8; 8] = p.try_into().map_err(|_| Nak::BadLength)?;
                self.offset = i64::from_be_bytes(t) - self.clock.now();
                Ok(Vec::new())
            }
            cmd::INFO => {
                let mut s = READER_NAME.to_string();
                for (label, _) in &self.slots {
                    s.push('\n');
                    s.push_str(label);
                }
                Ok(s.into_bytes())
            }
            _ => Err(Nak::UnknownCommand),
        }
    }
}

/// Feeds bytes through a decoder into the reader; returns the encoded replies (pure).
pub fn answer_bytes(reader: &mut SerialReader, decoder: &mut Decoder, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for ev in decoder.push(bytes) {
        if let Ok(b) = reader.on_event(ev).encode() {
            out.extend(b);
        }
    }
    out
}

/// A running COM-port reader: on a pty it creates (Unix), or on an existing serial port the
/// user names (any platform; on Windows one end of a virtual null-modem pair such as com0com,
/// whose other end the serial program opens). Serial programs open [`SerialEndpoint::path`].
#[derive(Debug)]
pub struct SerialEndpoint {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SerialEndpoint {
    /// Opens a pty pair and serves the reader on it from a background thread. Programs open
    /// a stable link to the pty (in the temp dir), so an unplugged reader can vanish and come
    /// back under the same name.
    #[cfg(unix)]
    pub fn start(reader: SerialReader) -> io::Result<SerialEndpoint> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let link = std::env::temp_dir().join(format!("nhi-emu-com-{}-{n}", std::process::id()));
        let pty = pty::PtyLine::open(&link)?;
        Self::serve_on(Line::Pty(pty), link, reader)
    }

    /// A pty exists only on Unix: on other systems the reader needs a port named by the user.
    #[cfg(not(unix))]
    pub fn start(_reader: SerialReader) -> io::Result<SerialEndpoint> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the COM-port reader creates a pty only on Unix; on Windows name an existing port \
             (one end of a virtual null-modem pair such as com0com) to serve it on",
        ))
    }

    /// Serves the reader on an existing serial port (e.g. `COM5`, `/dev/ttyS3`); the serial
    /// program opens the other end of the line.
    pub fn open_existing(name: &str, reader: SerialReader) -> io::Result<SerialEndpoint> {
        let port = serialport::new(name, 115_200)
            .timeout(Duration::from_millis(50))
            .open()
            .map_err(|e| io::Error::other(format!("COM reader port {name}: {e}")))?;
        Self::serve_on(Line::Port(port), PathBuf::from(name), reader)
    }

    fn serve_on(line: Line, path: PathBuf, reader: SerialReader) -> io::Result<SerialEndpoint> {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("com-reader".into())
            .spawn(move || serve(line, reader, &s2))?;
        Ok(SerialEndpoint {
            path,
            stop,
            thread: Some(thread),
        })
    }

    /// The path a serial program opens (a link to the pty, or the port served on).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SerialEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The line the reader serves on.
enum Line {
    /// A pty behind a link; closed while the reader is unplugged.
    #[cfg(unix)]
    Pty(pty::PtyLine),
    /// A port the user named: it cannot vanish, so an unplugged reader goes silent.
    Port(Box<dyn serialport::SerialPort>),
}

#[cfg(unix)]
mod pty {
    use std::io;
    use std::path::{Path, PathBuf};

    /// A pty pair and the link programs open. Dropping it closes the pty and removes the
    /// link: the port is gone, as an unplugged USB serial adapter's is.
    pub(super) struct PtyLine {
        pub(super) master: serialport::TTYPort,
        /// Held open so the master never sees EIO between clients.
        _slave: serialport::TTYPort,
        link: PathBuf,
    }

    impl PtyLine {
        pub(super) fn open(link: &Path) -> io::Result<PtyLine> {
            let (mut master, slave) = serialport::TTYPort::pair().map_err(io::Error::from)?;
            let target = serialport::SerialPort::name(&slave)
                .ok_or_else(|| io::Error::other("pty without a name"))?;
            serialport::SerialPort::set_timeout(&mut master, std::time::Duration::from_millis(50))
                .map_err(io::Error::from)?;
            match std::fs::remove_file(link) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            std::os::unix::fs::symlink(target, link)?;
            Ok(PtyLine {
                master,
                _slave: slave,
                link: link.to_path_buf(),
            })
        }
    }

    impl PtyLine {
        pub(super) fn link_path(&self) -> PathBuf {
            self.link.clone()
        }
    }

    impl Drop for PtyLine {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.link);
        }
    }
}

impl Line {
    fn port(&mut self) -> &mut dyn serialport::SerialPort {
        match self {
            #[cfg(unix)]
            Line::Pty(p) => &mut p.master,
            Line::Port(p) => p.as_mut(),
        }
    }
}

/// How late a `slow` reader's replies leave: longer than a host's single read timeout, well
/// within the 1.5 s a host waits for a reply (protocol/docs/SERIAL.md).
const SLOW_REPLY: Duration = Duration::from_millis(300);

/// A reply as a bad cable delivers it: one byte of the checksum flipped, so the host's
/// decoder refuses the frame (pure).
pub fn garble(mut reply: Vec<u8>) -> Vec<u8> {
    if let Some(i) = reply.len().checked_sub(2) {
        reply[i] ^= 0x5A;
    }
    reply
}

fn serve(line: Line, mut reader: SerialReader, stop: &AtomicBool) {
    #[cfg(unix)]
    let link = match &line {
        Line::Pty(p) => Some(p.link_path()),
        Line::Port(_) => None,
    };
    let mut line = Some(line);
    let mut decoder = Decoder::new();
    let mut noise = super::noise::Noise::default();
    let mut buf = [0u8; 4096];
    let mut last_byte = Instant::now();
    // When nobody reads the line (a host floods without reading replies), a reply that
    // cannot be written within 10 ms is dropped, as bytes sent into a dead line are.
    let send = |port: &mut dyn serialport::SerialPort, out: &[u8]| {
        if out.is_empty() {
            return;
        }
        let _ = port.set_timeout(Duration::from_millis(10));
        if port.write_all(out).is_err() {
            tracing::debug!("COM reader: line congested, reply dropped");
        }
        let _ = port.set_timeout(Duration::from_millis(50));
    };
    while !stop.load(Ordering::Relaxed) {
        let fault = reader.fault();
        #[cfg(unix)]
        if let Some(link) = &link {
            match (fault == Some(ReaderFault::Unplugged), line.is_some()) {
                (true, true) => {
                    line = None;
                    decoder = Decoder::new();
                    reader.set_line_down(true);
                    tracing::debug!("COM reader unplugged: the port is gone");
                }
                (false, false) => match pty::PtyLine::open(link) {
                    Ok(p) => {
                        line = Some(Line::Pty(p));
                        reader.set_line_down(false);
                    }
                    Err(e) => tracing::warn!("COM reader: cannot plug the pty back in: {e}"),
                },
                _ => {}
            }
        }
        let Some(l) = line.as_mut() else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let port = l.port();
        match port.read(&mut buf) {
            Ok(0) => std::thread::sleep(Duration::from_millis(20)),
            Ok(n) => {
                last_byte = Instant::now();
                match fault {
                    // A dead reader (or an unplugged one behind a port that cannot vanish)
                    // hears nothing.
                    Some(ReaderFault::Failing | ReaderFault::Unplugged) => {}
                    Some(ReaderFault::Garbling) => {
                        let out = answer_bytes(&mut reader, &mut decoder, &buf[..n]);
                        send(port, &garble(out));
                    }
                    Some(ReaderFault::Slow) => {
                        let out = answer_bytes(&mut reader, &mut decoder, &buf[..n]);
                        std::thread::sleep(SLOW_REPLY);
                        send(port, &out);
                    }
                    Some(ReaderFault::Noisy) => {
                        let out = noise.answer(&mut reader, &mut decoder, &buf[..n]);
                        send(port, &out);
                    }
                    None => {
                        let out = answer_bytes(&mut reader, &mut decoder, &buf[..n]);
                        send(port, &out);
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                if decoder.in_frame()
                    && last_byte.elapsed() >= Duration::from_millis(INTER_BYTE_TIMEOUT_MS)
                {
                    if let Some(ev) = decoder.timeout() {
                        if let Ok(b) = reader.on_event(ev).encode() {
                            send(port, &b);
                        }
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::debug!("COM reader: read failed: {e}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{CardFactory, Fixtures};

    fn reader() -> (SerialReader, Slot) {
        let f = Fixtures::demo().unwrap();
        let card = Slot::empty();
        card.insert(Box::new(
            CardFactory::test().unwrap().hc(&f.people[0]).unwrap(),
        ));
        let r = SerialReader::new(
            vec![("card".into(), card.clone()), ("SAM".into(), Slot::empty())],
            VirtualClock::at(1_600_000_000),
        );
        (r, card)
    }

    fn ok(r: &mut SerialReader, seq: u8, c: u8, p: &[u8]) -> Vec<u8> {
        let f = r.on_frame(Frame::new(seq, c, p.to_vec()));
        assert_eq!(f.cmd, c | cmd::REPLY, "{f:?}");
        assert_eq!(f.seq, seq);
        f.payload
    }

    fn nak(r: &mut SerialReader, seq: u8, c: u8, p: &[u8]) -> (Option<Nak>, u8) {
        let (reason, expected) = r.on_frame(Frame::new(seq, c, p.to_vec())).as_nak().unwrap();
        (reason, expected.unwrap())
    }

    #[test]
    fn power_apdu_status_time_info() {
        let (mut r, card) = reader();
        assert_eq!(
            ok(&mut r, 1, cmd::POWER_ON, &[0]),
            nhi_protocol::apdu::ATR_HC
        );
        let mut sel = vec![0];
        sel.extend(nhi_protocol::apdu::select_hc());
        assert_eq!(ok(&mut r, 2, cmd::APDU, &sel), vec![0x90, 0x00]);
        let mut get = vec![0];
        get.extend(nhi_protocol::apdu::GET_BASIC);
        assert_eq!(ok(&mut r, 3, cmd::APDU, &get).len(), 59);
        let st = SlotStatus::decode_all(&ok(&mut r, 4, cmd::STATUS, &[])).unwrap();
        assert!(st[0].present && st[0].powered && !st[1].present);
        assert_eq!(
            ok(&mut r, 5, cmd::TIME_GET, &[]),
            1_600_000_000i64.to_be_bytes()
        );
        ok(&mut r, 6, cmd::TIME_SET, &1_700_000_000i64.to_be_bytes());
        assert_eq!(
            ok(&mut r, 7, cmd::TIME_GET, &[]),
            1_700_000_000i64.to_be_bytes()
        );
        let info = String::from_utf8(ok(&mut r, 8, cmd::INFO, &[])).unwrap();
        assert_eq!(info, format!("{READER_NAME}\ncard\nSAM"));
        // A swapped card is not powered: the host must notice the change.
        let c = card.remove().unwrap();
        assert_eq!(nak(&mut r, 9, cmd::APDU, &get).0, Some(Nak::NoCard));
        card.insert(c);
        assert_eq!(nak(&mut r, 10, cmd::APDU, &get).0, Some(Nak::NotPowered));
        assert_eq!(nak(&mut r, 11, cmd::POWER_ON, &[1]).0, Some(Nak::NoCard));
        assert_eq!(nak(&mut r, 12, cmd::POWER_ON, &[5]).0, Some(Nak::BadSlot));
        assert_eq!(nak(&mut r, 13, 0x42, &[]).0, Some(Nak::UnknownCommand));
        assert_eq!(nak(&mut r, 14, cmd::TIME_SET, &[1]).0, Some(Nak::BadLength));
    }

    #[test]
    fn sequence_numbers() {
        let (mut r, _) = reader();
        ok(&mut r, 200, cmd::POWER_ON, &[0]);
        // A retransmission replays the reply without executing again.
        let mut sel = vec![0];
        sel.extend(nhi_protocol::apdu::select_hc());
        let a = r.on_frame(Frame::new(201, cmd::APDU, sel.clone()));
        let b = r.on_frame(Frame::new(201, cmd::APDU, sel.clone()));
        assert_eq!(a, b);
        // Skipping ahead is refused with the expected number.
        assert_eq!(nak(&mut r, 205, cmd::STATUS, &[]), (Some(Nak::BadSeq), 202));
        // SYNC resets; after it any number follows.
        ok(&mut r, 9, cmd::SYNC, &[]);
        ok(&mut r, 10, cmd::STATUS, &[]);
        // Wrap-around.
        let (mut r, _) = reader();
        ok(&mut r, 255, cmd::STATUS, &[]);
        ok(&mut r, 0, cmd::STATUS, &[]);
    }

    #[test]
    fn broken_bytes_get_naks() {
        let (mut r, _) = reader();
        let mut d = Decoder::new();
        let mut f = Frame::new(1, cmd::STATUS, vec![]).encode().unwrap();
        f[2] ^= 1;
        let out = answer_bytes(&mut r, &mut d, &f);
        let ev = Decoder::new().push(&out);
        assert_eq!(ev.len(), 1);
        let Event::Frame(reply) = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(reply.as_nak(), Some((Some(Nak::BadCrc), Some(0))));
    }
}
