//! A noisy line between the host and the COM-port reader (reader fault `noisy`): each new
//! request meets one kind of trouble in turn, and a retransmission (the same sequence number,
//! protocol/docs/SERIAL.md) gets through, so a host that recovers as the protocol says sees
//! every call succeed and one that does not sees it fail:
//!
//! 1. the request arrives corrupted: the reader answers NAK "bad CRC" and executes nothing;
//! 2. the reply is corrupted on the way back (the reader executed the command and replays
//!    the same reply to the retransmission);
//! 3. the reader has lost the sequence (as after its own restart): NAK "bad sequence", the
//!    host must SYNC and send the request again under a new number;
//! 4. nothing goes wrong.
//!
//! SYNC frames are never disturbed: the host's recovery itself must get through.

use super::serial::{garble, SerialReader};
use nhi_protocol::serial::{cmd, Decoder, Event, Nak};

/// Where a noisy line is in its cycle of troubles.
#[derive(Debug, Default)]
pub struct Noise {
    turn: u8,
    last_seq: Option<u8>,
}

/// What happens to one request on a noisy line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    CorruptRequest,
    CorruptReply,
    LostSequence,
    None,
}

impl Noise {
    /// The next trouble for a frame with sequence number `seq`: a retransmission passes.
    fn trouble(&mut self, seq: u8) -> Trouble {
        if self.last_seq == Some(seq) {
            return Trouble::None;
        }
        self.last_seq = Some(seq);
        let t = match self.turn {
            0 => Trouble::CorruptRequest,
            1 => Trouble::CorruptReply,
            2 => Trouble::LostSequence,
            _ => Trouble::None,
        };
        self.turn = (self.turn + 1) % 4;
        t
    }

    /// The bytes the host reads back for `bytes` it sent, through the noise.
    pub fn answer(
        &mut self,
        reader: &mut SerialReader,
        decoder: &mut Decoder,
        bytes: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        for ev in decoder.push(bytes) {
            let trouble = match &ev {
                Event::Frame(f) if f.cmd != cmd::SYNC => self.trouble(f.seq),
                _ => Trouble::None,
            };
            let reply = match (trouble, ev) {
                (Trouble::CorruptRequest, Event::Frame(f)) => {
                    reader.on_event(Event::Bad(Nak::BadCrc, Some(f.seq)))
                }
                (Trouble::LostSequence, Event::Frame(f)) => {
                    reader.on_event(Event::Bad(Nak::BadSeq, Some(f.seq)))
                }
                (_, ev) => reader.on_event(ev),
            };
            if let Ok(b) = reply.encode() {
                if trouble == Trouble::CorruptReply {
                    out.extend(garble(b));
                } else {
                    out.extend(b);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::VirtualClock;
    use crate::reader::Slot;
    use nhi_protocol::serial::Frame;

    fn reader() -> SerialReader {
        SerialReader::new(
            vec![("card".into(), Slot::empty())],
            VirtualClock::at(1_600_000_000),
        )
    }

    /// Sends one frame through the noise; the one event the host decodes from the reply.
    fn send(n: &mut Noise, r: &mut SerialReader, seq: u8, c: u8) -> Event {
        let mut host = Decoder::new();
        let bytes = Frame::new(seq, c, Vec::new()).encode().unwrap();
        let out = n.answer(r, &mut Decoder::new(), &bytes);
        let mut evs = host.push(&out);
        assert_eq!(evs.len(), 1, "{evs:?}");
        evs.remove(0)
    }

    fn nak_reason(ev: &Event) -> Option<Nak> {
        match ev {
            Event::Frame(f) => f.as_nak().and_then(|(reason, _)| reason),
            Event::Bad(..) => None,
        }
    }

    #[test]
    fn each_new_request_meets_one_trouble_and_its_retransmission_gets_through() {
        let (mut n, mut r) = (Noise::default(), reader());
        assert!(
            matches!(send(&mut n, &mut r, 1, cmd::SYNC), Event::Frame(f) if f.cmd == cmd::SYNC | cmd::REPLY)
        );
        // 1: the request arrives corrupted; the retransmission is executed.
        assert_eq!(
            nak_reason(&send(&mut n, &mut r, 2, cmd::INFO)),
            Some(Nak::BadCrc)
        );
        assert!(
            matches!(send(&mut n, &mut r, 2, cmd::INFO), Event::Frame(f) if f.cmd == cmd::INFO | cmd::REPLY)
        );
        // 2: the reply is corrupted on the way; the retransmission gets the replay.
        assert!(matches!(send(&mut n, &mut r, 3, cmd::INFO), Event::Bad(..)));
        assert!(
            matches!(send(&mut n, &mut r, 3, cmd::INFO), Event::Frame(f) if f.seq == 3 && f.cmd == cmd::INFO | cmd::REPLY)
        );
        // 3: the reader lost the sequence; after a SYNC a new number works.
        assert_eq!(
            nak_reason(&send(&mut n, &mut r, 4, cmd::INFO)),
            Some(Nak::BadSeq)
        );
        assert!(matches!(
            send(&mut n, &mut r, 5, cmd::SYNC),
            Event::Frame(_)
        ));
        // 4: nothing goes wrong.
        assert!(
            matches!(send(&mut n, &mut r, 6, cmd::INFO), Event::Frame(f) if f.cmd == cmd::INFO | cmd::REPLY)
        );
        // And round again.
        assert_eq!(
            nak_reason(&send(&mut n, &mut r, 7, cmd::INFO)),
            Some(Nak::BadCrc)
        );
    }
}
