//! The COM-port reader's frame protocol (protocol/docs/SERIAL.md): pure encoding and a byte-at-a-time
//! decoder with bounded memory. Both the emulated reader and the middleware's serial
//! transport use it.
//!
//! ```text
//! STX 0x02 | SEQ | CMD | LEN (2, big-endian) | PAYLOAD (LEN) | CRC (2, big-endian) | ETX 0x03
//! ```
//! CRC-16/CCITT-FALSE (CRC-16/IBM-3740) over SEQ, CMD, LEN and PAYLOAD.

use crc::{Crc, CRC_16_IBM_3740};
use thiserror::Error;

/// Start of a frame.
pub const STX: u8 = 0x02;
/// End of a frame.
pub const ETX: u8 = 0x03;
/// Largest payload a reader accepts (slot byte + an extended APDU of 4 096 data bytes).
pub const MAX_PAYLOAD: usize = 4_200;
/// Bytes around the payload: STX, SEQ, CMD, LEN×2, CRC×2, ETX.
pub const OVERHEAD: usize = 8;
/// A frame that has started must be complete within this time, or it is truncated.
pub const INTER_BYTE_TIMEOUT_MS: u64 = 200;

const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);

/// Commands (host → reader). The reply carries `cmd | 0x80`; a refusal is [`cmd::NAK`].
pub mod cmd {
    /// Resynchronise: accepted with any sequence number; the next frame may use any.
    pub const SYNC: u8 = 0x00;
    /// Reader status: per slot `present · powered · generation (4, BE)`.
    pub const STATUS: u8 = 0x01;
    /// Power a slot on: payload `slot`; reply: the ATR.
    pub const POWER_ON: u8 = 0x02;
    /// Power a slot off: payload `slot`.
    pub const POWER_OFF: u8 = 0x03;
    /// Send a C-APDU: payload `slot ‖ C-APDU`; reply: the R-APDU.
    pub const APDU: u8 = 0x04;
    /// Reader clock: reply Unix seconds as i64 BE.
    pub const TIME_GET: u8 = 0x05;
    /// Set the reader clock: payload Unix seconds as i64 BE.
    pub const TIME_SET: u8 = 0x06;
    /// Reader description: UTF-8 lines, the reader name then one label per slot.
    pub const INFO: u8 = 0x07;
    /// Reply flag.
    pub const REPLY: u8 = 0x80;
    /// Negative acknowledgement: payload `reason · expected sequence number`.
    pub const NAK: u8 = 0xFF;
}

/// Why a reader refused a frame (the first NAK payload byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[repr(u8)]
pub enum Nak {
    /// The CRC does not match.
    #[error("CRC mismatch")]
    BadCrc = 0x01,
    /// The byte after the CRC is not ETX.
    #[error("no ETX at the end of the frame")]
    BadEtx = 0x02,
    /// LEN exceeds MAX_PAYLOAD.
    #[error("frame longer than the reader accepts")]
    TooLong = 0x03,
    /// The frame stopped before it was complete.
    #[error("frame truncated (inter-byte time-out)")]
    Truncated = 0x04,
    /// The sequence number is neither the last one (retransmission) nor the next one.
    #[error("unexpected sequence number")]
    BadSeq = 0x05,
    /// Unknown command byte.
    #[error("unknown command")]
    UnknownCommand = 0x06,
    /// No such slot.
    #[error("no such slot")]
    BadSlot = 0x07,
    /// The slot is empty.
    #[error("no card in the slot")]
    NoCard = 0x08,
    /// The card is not powered (or was swapped since power-on).
    #[error("card not powered")]
    NotPowered = 0x09,
    /// The payload length is wrong for the command.
    #[error("wrong payload length for the command")]
    BadLength = 0x0A,
}

impl Nak {
    /// Every reason, in code order.
    pub const ALL: [Nak; 10] = [
        Nak::BadCrc,
        Nak::BadEtx,
        Nak::TooLong,
        Nak::Truncated,
        Nak::BadSeq,
        Nak::UnknownCommand,
        Nak::BadSlot,
        Nak::NoCard,
        Nak::NotPowered,
        Nak::BadLength,
    ];
    /// The reason for a code byte.
    pub fn from_code(b: u8) -> Option<Nak> {
        Nak::ALL.into_iter().find(|n| *n as u8 == b)
    }
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Sequence number (host increments it per new request; a reply echoes it).
    pub seq: u8,
    /// Command (or reply/NAK) byte.
    pub cmd: u8,
    /// Payload, at most [`MAX_PAYLOAD`] bytes.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A frame.
    pub fn new(seq: u8, cmd: u8, payload: Vec<u8>) -> Frame {
        Frame { seq, cmd, payload }
    }
    /// The SEQ of a NAK for a frame that broke off before its own SEQ byte arrived
    /// (protocol/docs/SERIAL.md, "NAK reasons").
    pub const SEQ_UNKNOWN: u8 = 0x00;

    /// A NAK for `seq` with the reason and the sequence number the reader expects next.
    pub fn nak(seq: u8, reason: Nak, expected: u8) -> Frame {
        Frame::new(seq, cmd::NAK, vec![reason as u8, expected])
    }
    /// The NAK reason and expected sequence number, when this is a NAK (each `None` when the
    /// NAK's payload lacks or garbles it).
    pub fn as_nak(&self) -> Option<(Option<Nak>, Option<u8>)> {
        (self.cmd == cmd::NAK).then(|| {
            (
                self.payload.first().and_then(|b| Nak::from_code(*b)),
                self.payload.get(1).copied(),
            )
        })
    }
    /// The wire bytes. Payloads longer than [`MAX_PAYLOAD`] are refused.
    pub fn encode(&self) -> Result<Vec<u8>, Nak> {
        if self.payload.len() > MAX_PAYLOAD {
            return Err(Nak::TooLong);
        }
        let len = self.payload.len() as u16;
        let mut out = Vec::with_capacity(self.payload.len() + OVERHEAD);
        out.push(STX);
        out.push(self.seq);
        out.push(self.cmd);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.payload);
        let crc = CRC16.checksum(&out[1..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out.push(ETX);
        Ok(out)
    }
}

/// What the decoder found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete, valid frame.
    Frame(Frame),
    /// A broken frame: the reason, and its sequence number when it was read.
    Bad(Nak, Option<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Hunt,
    Header,
    Payload,
    Crc,
    Etx,
}

/// Byte-stream decoder. Memory is bounded by [`MAX_PAYLOAD`]: bytes outside a frame are
/// dropped (and counted), an over-long LEN is refused before any payload is buffered.
#[derive(Debug, Clone)]
pub struct Decoder {
    stage: Stage,
    header: [u8; 4],
    have: usize,
    want: usize,
    payload: Vec<u8>,
    crc: [u8; 2],
    /// Bytes dropped outside frames since the decoder was made.
    pub noise: u64,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder waiting for STX.
    pub fn new() -> Decoder {
        Decoder {
            stage: Stage::Hunt,
            header: [0; 4],
            have: 0,
            want: 0,
            payload: Vec::new(),
            crc: [0; 2],
            noise: 0,
        }
    }

    /// True while inside a frame (an inter-byte time-out would truncate it).
    pub fn in_frame(&self) -> bool {
        self.stage != Stage::Hunt
    }

    /// The inter-byte time-out expired: a started frame is truncated.
    pub fn timeout(&mut self) -> Option<Event> {
        if !self.in_frame() {
            return None;
        }
        let seq = (self.stage != Stage::Header || self.have > 0).then_some(self.header[0]);
        self.reset();
        Some(Event::Bad(Nak::Truncated, seq))
    }

    fn reset(&mut self) {
        self.stage = Stage::Hunt;
        self.have = 0;
        self.payload.clear();
    }

    /// Feeds bytes; returns every event they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        for &b in bytes {
            if let Some(e) = self.byte(b) {
                out.push(e);
            }
        }
        out
    }

    fn byte(&mut self, b: u8) -> Option<Event> {
        match self.stage {
            Stage::Hunt => {
                if b == STX {
                    self.stage = Stage::Header;
                    self.have = 0;
                } else {
                    self.noise += 1;
                }
                None
            }
            Stage::Header => {
                self.header[self.have] = b;
                self.have += 1;
                if self.have < 4 {
                    return None;
                }
                self.want = usize::from(u16::from_be_bytes([self.header[2], self.header[3]]));
                if self.want > MAX_PAYLOAD {
                    let seq = self.header[0];
                    self.reset();
                    return Some(Event::Bad(Nak::TooLong, Some(seq)));
                }
                self.payload.clear();
                self.have = 0;
                self.stage = if self.want == 0 {
                    Stage::Crc
                } else {
                    Stage::Payload
                };
                None
            }
            Stage::Payload => {
                self.payload.push(b);
                if self.payload.len() == self.want {
                    self.stage = Stage::Crc;
                    self.have = 0;
                }
                None
            }
            Stage::Crc => {
                self.crc[self.have] = b;
                self.have += 1;
                if self.have == 2 {
                    self.stage = Stage::Etx;
                }
                None
            }
            Stage::Etx => {
                let seq = self.header[0];
                let ev = if b != ETX {
                    Event::Bad(Nak::BadEtx, Some(seq))
                } else {
                    let mut d = CRC16.digest();
                    d.update(&self.header);
                    d.update(&self.payload);
                    if d.finalize() != u16::from_be_bytes(self.crc) {
                        Event::Bad(Nak::BadCrc, Some(seq))
                    } else {
                        Event::Frame(Frame::new(
                            seq,
                            self.header[1],
                            std::mem::take(&mut self.payload),
                        ))
                    }
                };
                self.reset();
                Some(ev)
            }
        }
    }
}

/// One slot's line in a STATUS reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotStatus {
    /// A card is in the slot.
    pub present: bool,
    /// The card is powered (since its insertion).
    pub powered: bool,
    /// Changes on every insertion and removal.
    pub generation: u32,
}

/// Bytes per slot in a STATUS reply.
pub const SLOT_STATUS_LEN: usize = 6;

impl SlotStatus {
    /// Encodes a STATUS reply payload.
    pub fn encode_all(slots: &[SlotStatus]) -> Vec<u8> {
        let mut out = Vec::with_capacity(slots.len() * SLOT_STATUS_LEN);
        for s in slots {
            out.push(u8::from(s.present));
            out.push(u8::from(s.powered));
            out.extend_from_slice(&s.generation.to_be_bytes());
        }
        out
    }
    /// Decodes a STATUS reply payload; None when its length is not a multiple of 6.
    pub fn decode_all(p: &[u8]) -> Option<Vec<SlotStatus>> {
        if !p.len().is_multiple_of(SLOT_STATUS_LEN) {
            return None;
        }
        Some(
            p.chunks_exact(SLOT_STATUS_LEN)
                .map(|c| SlotStatus {
                    present: c[0] != 0,
                    powered: c[1] != 0,
                    generation: u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vector() {
        // CRC-16/IBM-3740 check value for "123456789" is 0x29B1.
        assert_eq!(CRC16.checksum(b"123456789"), 0x29B1);
        let f = Frame::new(7, cmd::POWER_ON, vec![0]).encode().unwrap();
        assert_eq!(&f[..6], &[STX, 7, cmd::POWER_ON, 0, 1, 0]);
        assert_eq!(f.len(), 1 + OVERHEAD);
        assert_eq!(*f.last().unwrap(), ETX);
    }

    #[test]
    fn round_trip_with_noise_between_frames() {
        let a = Frame::new(1, cmd::APDU, vec![0, 0x00, 0xA4, 0x04, 0x00]);
        let b = Frame::new(2, cmd::STATUS, vec![]);
        let mut bytes = vec![0xFF, 0x13];
        bytes.extend(a.encode().unwrap());
        bytes.extend([0x55]);
        bytes.extend(b.encode().unwrap());
        let mut d = Decoder::new();
        assert_eq!(d.push(&bytes), vec![Event::Frame(a), Event::Frame(b)]);
        assert_eq!(d.noise, 3);
    }

    #[test]
    fn corruption_is_named() {
        let f = Frame::new(9, cmd::APDU, vec![0, 1, 2, 3]).encode().unwrap();
        let mut crc = f.clone();
        crc[6] ^= 0x40;
        assert_eq!(
            Decoder::new().push(&crc),
            vec![Event::Bad(Nak::BadCrc, Some(9))]
        );
        let mut etx = f.clone();
        *etx.last_mut().unwrap() = 0x00;
        assert_eq!(
            Decoder::new().push(&etx),
            vec![Event::Bad(Nak::BadEtx, Some(9))]
        );
        let mut d = Decoder::new();
        assert!(d.push(&f[..7]).is_empty());
        assert!(d.in_frame());
        assert_eq!(d.timeout(), Some(Event::Bad(Nak::Truncated, Some(9))));
        assert!(!d.in_frame());
        assert_eq!(
            d.push(&f),
            vec![Event::Frame(Frame::new(9, cmd::APDU, vec![0, 1, 2, 3]))]
        );
    }

    #[test]
    fn over_long_len_is_refused_before_buffering() {
        let mut d = Decoder::new();
        let ev = d.push(&[STX, 3, cmd::APDU, 0xFF, 0xFF]);
        assert_eq!(ev, vec![Event::Bad(Nak::TooLong, Some(3))]);
        assert!(!d.in_frame());
        assert!(Frame::new(0, cmd::APDU, vec![0; MAX_PAYLOAD + 1])
            .encode()
            .is_err());
    }

    #[test]
    fn status_round_trip() {
        let s = vec![
            SlotStatus {
                present: true,
                powered: false,
                generation: 7,
            },
            SlotStatus {
                present: false,
                powered: false,
                generation: 8,
            },
        ];
        assert_eq!(SlotStatus::decode_all(&SlotStatus::encode_all(&s)), Some(s));
        assert_eq!(SlotStatus::decode_all(&[1, 2, 3]), None);
    }

    proptest! {
        #[test]
        fn any_frame_round_trips(seq: u8, c: u8, payload in proptest::collection::vec(any::<u8>(), 0..600)) {
            let f = Frame::new(seq, c, payload);
            let mut d = Decoder::new();
            prop_assert_eq!(d.push(&f.encode().unwrap()), vec![Event::Frame(f)]);
        }

        #[test]
        fn a_flipped_bit_never_passes(payload in proptest::collection::vec(any::<u8>(), 1..64), pos: usize, bit in 0u8..8) {
            let f = Frame::new(1, cmd::APDU, payload).encode().unwrap();
            let mut bad = f.clone();
            // Flip a bit after STX (a flipped STX is just noise; the rest must be caught).
            let i = 1 + pos % (bad.len() - 1);
            bad[i] ^= 1 << bit;
            let mut d = Decoder::new();
            let mut ev = d.push(&bad);
            ev.extend(d.timeout());
            prop_assert!(!ev.iter().any(|e| matches!(e, Event::Frame(_))), "{:?}", ev);
        }

        #[test]
        fn garbage_never_grows_memory(bytes in proptest::collection::vec(any::<u8>(), 0..20_000)) {
            let mut d = Decoder::new();
            for e in d.push(&bytes) {
                if let Event::Frame(f) = e { prop_assert!(f.payload.len() <= MAX_PAYLOAD); }
            }
            prop_assert!(d.payload.capacity() <= MAX_PAYLOAD.next_power_of_two());
        }
    }
}
