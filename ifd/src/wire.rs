//! The wire format between the driver (client) and nhi-emu (server): pure encode/decode,
//! no I/O. Documented in ifd/README.md.
//!
//! Every frame is a 4-byte big-endian length of what follows, then the frame.
//! A request is `op, slot, body`; a reply is `status, body`. One request, one reply, in
//! order, on each connection.

/// Version of this format, returned by [`Op::Hello`].
pub const VERSION: u8 = 1;

/// Largest frame either side accepts (a 64 KiB extended APDU plus headers).
pub const MAX_FRAME: usize = 65_536 + 64;

/// What the driver asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Reader facts: reply `version, slots, flags` ([`FLAG_PIN_PAD`]).
    Hello = 1,
    /// Card state now: reply a [`Presence`].
    Presence = 2,
    /// Body: the [`Presence`] the driver last reported, then `timeout_ms u32`: reply the
    /// slot's [`Presence`] as soon as it differs from the one given, or at the time-out.
    Wait = 3,
    /// Power the card up (or reset it): reply `generation u64` then the ATR.
    PowerOn = 4,
    /// Power the card down: empty reply.
    PowerOff = 5,
    /// Body `generation u64` then a C-APDU: reply the R-APDU; [`Status::NoCard`] when
    /// the card of that generation is gone (swapped or removed).
    Apdu = 6,
    /// Body `generation u64` then a PC/SC part 10 PIN_VERIFY_STRUCTURE: the PIN is typed
    /// on the emulated pad; reply the card's R-APDU, or `64 00` (time-out), `64 01` (cancel).
    VerifyPin = 7,
    /// Like [`Op::VerifyPin`] with a PIN_MODIFY_STRUCTURE (old and new PIN typed).
    ModifyPin = 8,
}

impl Op {
    /// The op of a request byte.
    pub fn from_byte(b: u8) -> Option<Op> {
        Some(match b {
            1 => Op::Hello,
            2 => Op::Presence,
            3 => Op::Wait,
            4 => Op::PowerOn,
            5 => Op::PowerOff,
            6 => Op::Apdu,
            7 => Op::VerifyPin,
            8 => Op::ModifyPin,
            _ => return None,
        })
    }
}

/// `Hello` flag: the reader has a PIN pad.
pub const FLAG_PIN_PAD: u8 = 0x01;

/// How the emulator answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Done; the body is the answer.
    Ok = 0,
    /// No card in the slot, or not the card of the generation asked about.
    NoCard = 1,
    /// The reader has no such slot.
    NoSlot = 2,
    /// The request was malformed or unknown.
    BadRequest = 3,
    /// The reader cannot do that (e.g. no PIN pad).
    Unsupported = 4,
}

impl Status {
    /// The status of a reply byte.
    pub fn from_byte(b: u8) -> Option<Status> {
        Some(match b {
            0 => Status::Ok,
            1 => Status::NoCard,
            2 => Status::NoSlot,
            3 => Status::BadRequest,
            4 => Status::Unsupported,
            _ => return None,
        })
    }
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Shorter than its fixed fields.
    #[error("frame too short: {0} bytes")]
    Short(usize),
    /// The length prefix exceeds [`MAX_FRAME`].
    #[error("frame of {0} bytes exceeds the limit")]
    TooLong(usize),
    /// An op byte this version does not know.
    #[error("unknown op {0:#04x}")]
    UnknownOp(u8),
    /// A status byte this version does not know.
    #[error("unknown status {0:#04x}")]
    UnknownStatus(u8),
}

/// A decoded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// What is asked.
    pub op: Op,
    /// Slot of the reader (0 = card slot, 1 = SAM slot).
    pub slot: u8,
    /// Op-specific body.
    pub body: &'a [u8],
}

/// A slot's card state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// A card is in the slot.
    pub present: bool,
    /// Counts insertions and removals: a new value = a new card (or none).
    pub generation: u64,
}

impl Presence {
    /// Encoded as a reply body: `present u8, generation u64`.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![u8::from(self.present)];
        v.extend_from_slice(&self.generation.to_be_bytes());
        v
    }
    /// Decodes a reply body.
    pub fn decode(body: &[u8]) -> Result<Presence, WireError> {
        match body {
            [p, g @ ..] if g.len() == 8 => Ok(Presence {
                present: *p != 0,
                generation: u64_at(g)?,
            }),
            _ => Err(WireError::Short(body.len())),
        }
    }
}

/// Big-endian u64 of the first 8 bytes.
pub fn u64_at(b: &[u8]) -> Result<u64, WireError> {
    let a: [u8; 8] = b
        .get(..8)
        .and_then(|s| s.try_into().ok())
        .ok_or(WireError::Short(b.len()))?;
    Ok(u64::from_be_bytes(a))
}

/// Splits a body into a leading generation and the rest.
pub fn split_generation(body: &[u8]) -> Result<(u64, &[u8]), WireError> {
    let (g, rest) = body
        .split_at_checked(8)
        .ok_or(WireError::Short(body.len()))?;
    Ok((u64_at(g)?, rest))
}

/// Body of [`Op::Wait`].
pub fn wait_body(known: Presence, timeout_ms: u32) -> Vec<u8> {
    let mut v = known.encode();
    v.extend_from_slice(&timeout_ms.to_be_bytes());
    v
}

/// Decodes the body of [`Op::Wait`].
pub fn parse_wait(body: &[u8]) -> Result<(Presence, u32), WireError> {
    match body {
        [p @ .., a, b, c, d] if p.len() == 9 => {
            Ok((Presence::decode(p)?, u32::from_be_bytes([*a, *b, *c, *d])))
        }
        _ => Err(WireError::Short(body.len())),
    }
}

/// Body `generation u64` followed by `data`.
pub fn with_generation(generation: u64, data: &[u8]) -> Vec<u8> {
    let mut v = generation.to_be_bytes().to_vec();
    v.extend_from_slice(data);
    v
}

fn framed(head: [u8; 2], body: &[u8], head_len: usize) -> Vec<u8> {
    let n = head_len + body.len();
    let mut v = Vec::with_capacity(4 + n);
    // MAX_FRAME < u32::MAX: callers never build larger frames (checked on decode).
    v.extend_from_slice(&(n as u32).to_be_bytes());
    v.extend_from_slice(&head[..head_len]);
    v.extend_from_slice(body);
    v
}

/// A request frame, length prefix included.
pub fn encode_request(op: Op, slot: u8, body: &[u8]) -> Vec<u8> {
    framed([op as u8, slot], body, 2)
}

/// A reply frame, length prefix included.
pub fn encode_reply(status: Status, body: &[u8]) -> Vec<u8> {
    framed([status as u8, 0], body, 1)
}

/// The frame length announced by a 4-byte prefix, checked against [`MAX_FRAME`].
pub fn frame_len(prefix: [u8; 4]) -> Result<usize, WireError> {
    let n = u32::from_be_bytes(prefix) as usize;
    if n > MAX_FRAME {
        return Err(WireError::TooLong(n));
    }
    Ok(n)
}

/// Decodes a request frame (without its length prefix).
pub fn decode_request(frame: &[u8]) -> Result<Request<'_>, WireError> {
    match frame {
        [op, slot, body @ ..] => Ok(Request {
            op: Op::from_byte(*op).ok_or(WireError::UnknownOp(*op))?,
            slot: *slot,
            body,
        }),
        _ => Err(WireError::Short(frame.len())),
    }
}

/// Decodes a reply frame (without its length prefix).
pub fn decode_reply(frame: &[u8]) -> Result<(Status, &[u8]), WireError> {
    match frame {
        [s, body @ ..] => Ok((
            Status::from_byte(*s).ok_or(WireError::UnknownStatus(*s))?,
            body,
        )),
        [] => Err(WireError::Short(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip() {
        let f = encode_request(Op::Apdu, 1, &with_generation(7, &[0x00, 0xA4]));
        assert_eq!(&f[..4], &12u32.to_be_bytes());
        let r = decode_request(&f[4..]).unwrap();
        assert_eq!((r.op, r.slot), (Op::Apdu, 1));
        assert_eq!(split_generation(r.body).unwrap(), (7, &[0x00, 0xA4][..]));
    }

    #[test]
    fn reply_round_trip() {
        let p = Presence {
            present: true,
            generation: 0x0102_0304_0506_0708,
        };
        let f = encode_reply(Status::Ok, &p.encode());
        let (s, body) = decode_reply(&f[4..]).unwrap();
        assert_eq!(s, Status::Ok);
        assert_eq!(Presence::decode(body).unwrap(), p);
    }

    #[test]
    fn wait_round_trip() {
        let p = Presence {
            present: false,
            generation: 9,
        };
        assert_eq!(parse_wait(&wait_body(p, 1500)).unwrap(), (p, 1500));
        assert_eq!(parse_wait(&[0; 11]), Err(WireError::Short(11)));
    }

    #[test]
    fn malformed_frames_are_errors() {
        assert_eq!(decode_request(&[6]), Err(WireError::Short(1)));
        assert_eq!(decode_request(&[0x99, 0]), Err(WireError::UnknownOp(0x99)));
        assert_eq!(decode_reply(&[]), Err(WireError::Short(0)));
        assert_eq!(decode_reply(&[0x42]), Err(WireError::UnknownStatus(0x42)));
        assert_eq!(Presence::decode(&[1, 0, 0]), Err(WireError::Short(3)));
        assert_eq!(split_generation(&[1, 2, 3]), Err(WireError::Short(3)));
        assert!(matches!(
            frame_len(u32::MAX.to_be_bytes()),
            Err(WireError::TooLong(_))
        ));
        assert_eq!(frame_len(10u32.to_be_bytes()), Ok(10));
    }

    #[test]
    fn every_op_and_status_byte_round_trips() {
        for b in 0..=255u8 {
            if let Some(op) = Op::from_byte(b) {
                assert_eq!(op as u8, b);
            }
            if let Some(s) = Status::from_byte(b) {
                assert_eq!(s as u8, b);
            }
        }
    }
}
