//! The emulated PIN pad of an ifd reader (PC/SC v2 part 10 VERIFY/MODIFY PIN DIRECT): the
//! driver hands over a PIN_VERIFY/PIN_MODIFY structure, the pad waits for a person (the
//! control API) to type digits and press OK, cancel, or let it time out, then builds the
//! APDU from the structure's template and sends it to the card.

pub use super::pin_pad::{PadAction, PadStatus, PinPad};
use super::Slot;
use nhi_ifd::wire::Status;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Part 10 status words the pad answers with instead of the card's.
pub mod sw {
    /// Time-out: no PIN entered in time.
    pub const TIMED_OUT: [u8; 2] = [0x64, 0x00];
    /// Cancelled on the pad.
    pub const CANCELLED: [u8; 2] = [0x64, 0x01];
    /// The new PIN and its confirmation differ.
    pub const MISMATCH: [u8; 2] = [0x64, 0x02];
    /// The PIN is shorter or longer than the structure allows.
    pub const BAD_LENGTH: [u8; 2] = [0x64, 0x03];
}

/// The pad's time-out when the structure's bTimerOut is 0.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how the PIN goes into the APDU (the structure's formatting bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinRequest {
    timeout: Duration,
    format: u8,
    block: u8,
    length_format: u8,
    min: usize,
    max: usize,
    /// Offsets (bytes, after the system-unit position) of the PINs to enter, in entry order.
    offsets: Vec<usize>,
    /// The last entry must equal the one before it (a confirmed new PIN).
    confirm: bool,
    apdu: Vec<u8>,
}

fn at(s: &[u8], i: usize) -> Result<u8, String> {
    s.get(i)
        .copied()
        .ok_or_else(|| format!("PIN structure too short ({} bytes)", s.len()))
}

impl PinRequest {
    /// Parses a PIN_VERIFY_STRUCTURE (pcsc-lite reader.h; packed, little-endian).
    pub fn verify(s: &[u8]) -> Result<PinRequest, String> {
        let max_extra = u16::from_le_bytes([at(s, 5)?, at(s, 6)?]);
        Self::build(s, max_extra, vec![0], false, 15)
    }

    /// Parses a PIN_MODIFY_STRUCTURE: bConfirmPIN bit 1 asks for the current PIN first,
    /// bit 0 for the new PIN twice.
    pub fn modify(s: &[u8]) -> Result<PinRequest, String> {
        let (old, new, confirm) = (usize::from(at(s, 5)?), usize::from(at(s, 6)?), at(s, 9)?);
        let max_extra = u16::from_le_bytes([at(s, 7)?, at(s, 8)?]);
        let mut offsets = Vec::new();
        if confirm & 0x02 != 0 {
            offsets.push(old);
        }
        offsets.push(new);
        if confirm & 0x01 != 0 {
            offsets.push(new);
        }
        Self::build(s, max_extra, offsets, confirm & 0x01 != 0, 20)
    }

    fn build(
        s: &[u8],
        max_extra: u16,
        offsets: Vec<usize>,
        confirm: bool,
        length_at: usize,
    ) -> Result<PinRequest, String> {
        let len_bytes = [
            at(s, length_at)?,
            at(s, length_at + 1)?,
            at(s, length_at + 2)?,
            at(s, length_at + 3)?,
        ];
        let n = u32::from_le_bytes(len_bytes) as usize;
        let (_, data) = s
            .split_at_checked(length_at + 4)
            .ok_or_else(|| format!("PIN structure too short ({} bytes)", s.len()))?;
        if data.len() != n || n < 5 {
            return Err(format!(
                "PIN structure: ulDataLength {n} but {} bytes of APDU follow (at least 5 needed)",
                data.len()
            ));
        }
        let [min, max] = max_extra.to_be_bytes();
        let timeout = match at(s, 0)? {
            0 => DEFAULT_TIMEOUT,
            t => Duration::from_secs(u64::from(t)),
        };
        Ok(PinRequest {
            timeout,
            format: at(s, 2)?,
            block: at(s, 3)?,
            length_format: at(s, 4)?,
            min: usize::from(min),
            max: usize::from(max),
            offsets,
            confirm,
            apdu: data.to_vec(),
        })
    }

    /// How many PINs the person types.
    pub fn entries(&self) -> usize {
        self.offsets.len()
    }

    /// How long the pad waits for the person.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The APDU with the typed PINs in place, or the part 10 status word refusing them.
    pub fn apdu(&self, pins: &[String]) -> Result<Result<Vec<u8>, [u8; 2]>, String> {
        if pins
            .iter()
            .any(|p| p.len() < self.min || p.len() > self.max)
        {
            return Ok(Err(sw::BAD_LENGTH));
        }
        if self.confirm && pins.len() >= 2 && pins[pins.len() - 1] != pins[pins.len() - 2] {
            return Ok(Err(sw::MISMATCH));
        }
        let entered = if self.confirm {
            &pins[..pins.len() - 1]
        } else {
            pins
        };
        let offsets = if self.confirm {
            &self.offsets[..self.offsets.len() - 1]
        } else {
            &self.offsets[..]
        };
        let units_in_bytes = self.format & 0x80 != 0;
        let pos = usize::from((self.format >> 3) & 0x0F);
        let pos = if units_in_bytes {
            pos
        } else if pos % 8 == 0 {
            pos / 8
        } else {
            return Err(format!("PIN position {pos} bits is not byte-aligned"));
        };
        let block = usize::from(self.block & 0x0F);
        let mut apdu = self.apdu.clone();
        if block == 0 {
            // Variable-length PIN: the data field is the formatted PIN(s), Lc adjusted.
            // The template has at least its 5-byte header (checked when parsed).
            let mut data = apdu[5..].to_vec();
            for (pin, &off) in entered.iter().zip(offsets) {
                let f = self.formatted(pin)?;
                let start = off + pos;
                if data.len() < start + f.len() {
                    data.resize(start + f.len(), 0);
                }
                data[start..start + f.len()].copy_from_slice(&f);
            }
            apdu.truncate(4);
            apdu.push(
                u8::try_from(data.len())
                    .map_err(|_| "PIN APDU data longer than 255 bytes".to_string())?,
            );
            apdu.extend_from_slice(&data);
            return Ok(Ok(apdu));
        }
        for (pin, &off) in entered.iter().zip(offsets) {
            let f = self.formatted(pin)?;
            let right = self.format & 0x04 != 0;
            let start = 5
                + off
                + pos
                + if right {
                    block.saturating_sub(f.len())
                } else {
                    0
                };
            if f.len() > block || apdu.len() < 5 + off + pos + block {
                return Err("PIN block outside the APDU template".into());
            }
            apdu[start..start + f.len()].copy_from_slice(&f);
            self.put_length(&mut apdu, 5 + off, pin.len())?;
        }
        Ok(Ok(apdu))
    }

    fn formatted(&self, pin: &str) -> Result<Vec<u8>, String> {
        let digits: Vec<u8> = pin.bytes().map(|b| b - b'0').collect();
        Ok(match self.format & 0x03 {
            0 => digits,
            1 => digits
                .chunks(2)
                .map(|c| c[0] << 4 | c.get(1).copied().unwrap_or(0x0F))
                .collect(),
            2 => pin.as_bytes().to_vec(),
            _ => return Err("PIN format 3 is reserved".into()),
        })
    }

    /// Writes the PIN length field (bmPINBlockString bits 7-4, bmPINLengthFormat).
    fn put_length(&self, apdu: &mut [u8], data_start: usize, len: usize) -> Result<(), String> {
        let bits = usize::from(self.block >> 4);
        if bits == 0 {
            return Ok(());
        }
        let p = usize::from(self.length_format & 0x0F);
        let bit_pos = if self.length_format & 0x10 != 0 {
            p * 8
        } else {
            p
        };
        let len = u8::try_from(len).map_err(|_| "PIN too long".to_string())?;
        let byte = apdu
            .get_mut(data_start + bit_pos / 8)
            .ok_or("PIN length outside the APDU")?;
        match (bits, bit_pos % 8) {
            (8, 0) => *byte = len,
            (4, 0) => *byte = (*byte & 0x0F) | (len << 4),
            (4, 4) => *byte = (*byte & 0xF0) | (len & 0x0F),
            _ => {
                return Err(format!(
                    "PIN length field of {bits} bits at bit {bit_pos} is not supported"
                ))
            }
        }
        Ok(())
    }
}

impl PinPad {
    /// Runs one PIN entry for the card of `generation` in `slot`: waits for the person,
    /// then answers with the card's reply or a part 10 status word.
    pub fn enter(
        &self,
        req: PinRequest,
        slot: &Slot,
        epoch: u64,
        generation: u64,
        stop: &AtomicBool,
    ) -> (Status, Vec<u8>) {
        match self.entry(&req, stop) {
            Ok(Ok(apdu)) => super::ifd::to_card(slot, epoch, generation, &apdu),
            Ok(Err(sw)) => (Status::Ok, sw.to_vec()),
            Err(e) => (Status::BadRequest, e.into_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PIN_VERIFY_STRUCTURE for VERIFY with a variable-length ASCII PIN of 6–8 digits.
    fn verify_ascii() -> Vec<u8> {
        let apdu = [0x00, 0x20, 0x00, 0x00, 0x00];
        let mut s = vec![
            10, 5, 0x82, 0x00, 0x00, 8, 6, 0x02, 1, 0x04, 0x09, 0, 0, 0, 0,
        ];
        s.extend_from_slice(&(apdu.len() as u32).to_le_bytes());
        s.extend_from_slice(&apdu);
        s
    }

    #[test]
    fn ascii_verify_apdu() {
        let r = PinRequest::verify(&verify_ascii()).unwrap();
        assert_eq!(r.entries(), 1);
        assert_eq!(
            r.apdu(&["123456".into()]).unwrap(),
            Ok(vec![
                0x00, 0x20, 0x00, 0x00, 6, b'1', b'2', b'3', b'4', b'5', b'6'
            ])
        );
        assert_eq!(r.apdu(&["12".into()]).unwrap(), Err(sw::BAD_LENGTH));
    }

    #[test]
    fn bcd_block_with_length_nibble() {
        // ISO 9564 format 2: 0x2N then BCD digits, F-padded, in an 8-byte block.
        let apdu = [
            0x00, 0x20, 0x00, 0x81, 0x08, 0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        let mut s = vec![
            0, 0, 0x89, 0x47, 0x04, 12, 4, 0x02, 1, 0x04, 0x09, 0, 0, 0, 0,
        ];
        s.extend_from_slice(&(apdu.len() as u32).to_le_bytes());
        s.extend_from_slice(&apdu);
        let r = PinRequest::verify(&s).unwrap();
        let out = r.apdu(&["1234".into()]).unwrap().unwrap();
        assert_eq!(&out[5..], &[0x24, 0x12, 0x34, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn modify_with_confirmation() {
        let apdu = [0x00, 0x24, 0x00, 0x00, 0x00];
        let mut s = vec![
            0, 0, 0x82, 0x00, 0x00, 0, 0, 8, 6, 0x01, 0x02, 2, 0x04, 0x09, 0, 1, 2, 0, 0, 0,
        ];
        s.extend_from_slice(&(apdu.len() as u32).to_le_bytes());
        s.extend_from_slice(&apdu);
        let r = PinRequest::modify(&s).unwrap();
        assert_eq!(r.entries(), 2);
        assert_eq!(
            r.apdu(&["654321".into(), "654320".into()]).unwrap(),
            Err(sw::MISMATCH)
        );
        assert_eq!(
            r.apdu(&["654321".into(), "654321".into()])
                .unwrap()
                .unwrap()[4..],
            [6, b'6', b'5', b'4', b'3', b'2', b'1']
        );
    }

    #[test]
    fn unlock_places_the_puk_then_the_confirmed_new_pin() {
        // RESET RETRY COUNTER: bConfirmPIN 3 (current code, new PIN, confirmation), the
        // current code (an 8-digit PUK) at offset 0, the new PIN at offset 8.
        let apdu = [0x00, 0x2C, 0x00, 0x10, 0x00];
        let mut s = vec![
            0, 0, 0x82, 0x00, 0x00, 0, 8, 8, 6, 0x03, 0x02, 3, 0x04, 0x09, 0, 1, 2, 0, 0, 0,
        ];
        s.extend_from_slice(&(apdu.len() as u32).to_le_bytes());
        s.extend_from_slice(&apdu);
        let r = PinRequest::modify(&s).unwrap();
        assert_eq!(r.entries(), 3);
        let pins = |p: [&str; 3]| p.map(String::from).to_vec();
        assert_eq!(
            r.apdu(&pins(["99999999", "246810", "246811"])).unwrap(),
            Err(sw::MISMATCH)
        );
        assert_eq!(
            r.apdu(&pins(["99999999", "2468101", "2468101"])).unwrap(),
            Ok([&[0x00, 0x2C, 0x00, 0x10, 15][..], b"99999999", b"2468101"].concat())
        );
        assert_eq!(
            r.apdu(&pins(["99999999", "123456789", "123456789"]))
                .unwrap(),
            Err(sw::BAD_LENGTH)
        );
    }

    #[test]
    fn malformed_structures_are_errors() {
        assert!(PinRequest::verify(&[0; 3]).is_err());
        let mut s = verify_ascii();
        s.pop();
        assert!(PinRequest::verify(&s).unwrap_err().contains("ulDataLength"));
    }

    /// A pad served by a thread running one entry of `req` against an empty slot: the
    /// entry's end shows in the status word (the card is never reached on cancel/time-out).
    fn run_entry(pad: &PinPad, req: PinRequest) -> std::thread::JoinHandle<(Status, Vec<u8>)> {
        let pad = pad.clone();
        std::thread::spawn(move || {
            let slot = Slot::empty();
            pad.enter(req, &slot, 0, 0, &AtomicBool::new(false))
        })
    }

    #[test]
    fn armed_actions_are_done_when_the_pad_asks() {
        let pad = PinPad::new();
        assert!(pad.arm(PadAction::Keys("1x".into())).is_err());
        let st = pad.arm(PadAction::Keys("12".into())).unwrap();
        assert!(st.armed && !st.waiting);
        pad.arm(PadAction::Cancel).unwrap();
        let req = PinRequest::verify(&verify_ascii()).unwrap();
        let (status, sw) = run_entry(&pad, req.clone()).join().unwrap();
        assert_eq!((status, sw), (Status::Ok, sw::CANCELLED.to_vec()));
        assert_eq!(pad.status(), PadStatus::default());
        // Armed and then forgotten: the next entry waits for a person again.
        pad.arm(PadAction::TimeOut).unwrap();
        pad.disarm();
        let entry = run_entry(&pad, req);
        while !pad.status().waiting {
            std::thread::yield_now();
        }
        assert!(!pad.status().armed);
        // Arming while the pad asks acts at once.
        pad.arm(PadAction::TimeOut).unwrap();
        assert_eq!(entry.join().unwrap().1, sw::TIMED_OUT.to_vec());
    }
}
