//! A reader's PIN pad as a person uses it (PC/SC v2 part 10): while the reader runs a PIN
//! entry, someone types digits, presses OK (`#`) or Cancel, or lets it time out. The pure
//! state machine both shells share — the ifd reader (reader/ifd_pin.rs, for pcscd) and the
//! in-process transport of `nhi-emu dev` (devstack/transport.rs) — and the control API's
//! `POST /pads` and the console drive.

use super::ifd_pin::{sw, PinRequest};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// What the pad is doing, as the control API shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PadStatus {
    /// A PIN entry is in progress.
    pub waiting: bool,
    /// PINs to type in this entry (1 for verify; 1–3 for change).
    pub entries: usize,
    /// PINs completed with OK so far.
    pub done: usize,
    /// Digits typed into the current PIN.
    pub digits: usize,
    /// What the person will do when the pad next asks ([`PinPad::arm`]), not done yet.
    pub armed: bool,
}

/// What a person does at the pad, as one action ([`PinPad::arm`] queues one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PadAction {
    /// Digits, `#` for OK.
    Keys(String),
    /// Cancel: the entry ends with `64 01`.
    Cancel,
    /// Nothing typed in time: the entry ends with `64 00`.
    TimeOut,
}

/// How a PIN entry ends: the APDU to send to the card (the PINs in place) or the part 10
/// status word to answer instead; an error when the pad cannot run the entry.
pub type EntryEnd = Result<Result<Vec<u8>, [u8; 2]>, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Cancelled,
    TimedOut,
}

#[derive(Debug, Default)]
struct Session {
    entries: usize,
    done: Vec<String>,
    typing: String,
    end: Option<End>,
}

#[derive(Debug, Default)]
struct PadState {
    session: Option<Session>,
    /// Done on the next entry as soon as it starts: a person who knows what they will type
    /// before the pad asks (scenario steps, tests), without watching for the prompt.
    armed: Vec<PadAction>,
}

/// Checks that keys are what the pad has: digits and `#`.
fn check_keys(keys: &str) -> Result<(), String> {
    match keys.chars().find(|c| !c.is_ascii_digit() && *c != '#') {
        Some(bad) => Err(format!("key {bad:?}: the pad has digits 0-9 and # (OK)")),
        None => Ok(()),
    }
}

impl Session {
    fn apply(&mut self, action: &PadAction) {
        match action {
            PadAction::Keys(keys) => {
                for k in keys.chars() {
                    if k == '#' {
                        self.done.push(std::mem::take(&mut self.typing));
                    } else {
                        self.typing.push(k);
                    }
                }
            }
            PadAction::Cancel => self.end = Some(End::Cancelled),
            PadAction::TimeOut => self.end = Some(End::TimedOut),
        }
    }
}

/// A reader's PIN pad, shared by its reader (the ifd endpoint or the in-process transport),
/// the control API and the console.
#[derive(Debug, Clone, Default)]
pub struct PinPad(Arc<(Mutex<PadState>, Condvar)>);

impl PinPad {
    /// A pad with nobody typing.
    pub fn new() -> PinPad {
        PinPad::default()
    }

    fn lock(&self) -> MutexGuard<'_, PadState> {
        self.0 .0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pad's state.
    pub fn status(&self) -> PadStatus {
        let s = self.lock();
        let armed = !s.armed.is_empty();
        match &s.session {
            Some(x) => PadStatus {
                waiting: true,
                entries: x.entries,
                done: x.done.len(),
                digits: x.typing.len(),
                armed,
            },
            None => PadStatus {
                armed,
                ..PadStatus::default()
            },
        }
    }

    fn with_session(
        &self,
        f: impl FnOnce(&mut Session) -> Result<(), String>,
    ) -> Result<PadStatus, String> {
        {
            let mut s = self.lock();
            let session = s
                .session
                .as_mut()
                .ok_or("no PIN entry in progress on this pad")?;
            f(session)?;
        }
        self.0 .1.notify_all();
        Ok(self.status())
    }

    /// Types digits (and `#` for OK) on the pad.
    pub fn keys(&self, keys: &str) -> Result<PadStatus, String> {
        self.act(PadAction::Keys(keys.to_string()))
    }

    /// Presses Cancel: the entry ends with `64 01`.
    pub fn cancel(&self) -> Result<PadStatus, String> {
        self.act(PadAction::Cancel)
    }

    /// Lets the entry time out now: it ends with `64 00`.
    pub fn time_out(&self) -> Result<PadStatus, String> {
        self.act(PadAction::TimeOut)
    }

    /// Does `action` on the entry in progress; refused when the pad is not asking.
    pub fn act(&self, action: PadAction) -> Result<PadStatus, String> {
        if let PadAction::Keys(k) = &action {
            check_keys(k)?;
        }
        self.with_session(|s| {
            s.apply(&action);
            Ok(())
        })
    }

    /// Does `action` when the pad asks: now if an entry is in progress, otherwise as soon
    /// as the next one starts (several armed actions are done in order).
    pub fn arm(&self, action: PadAction) -> Result<PadStatus, String> {
        if let PadAction::Keys(k) = &action {
            check_keys(k)?;
        }
        {
            let mut s = self.lock();
            match s.session.as_mut() {
                Some(session) => session.apply(&action),
                None => s.armed.push(action),
            }
        }
        self.0 .1.notify_all();
        Ok(self.status())
    }

    /// Forgets the armed actions (a world reset: nobody stands at the pad any more).
    pub fn disarm(&self) {
        self.lock().armed.clear();
    }

    /// Runs one PIN entry: waits for the person to type every PIN the request asks for
    /// (or cancel, or let it time out), then gives the APDU to send to the card with the
    /// PINs in place, or the part 10 status word to answer instead. An error when another
    /// entry is in progress on this pad or the request cannot place the PINs. Blocks the
    /// calling thread (the reader's or the middleware's blocking call) until then.
    pub fn entry(&self, req: &PinRequest, stop: &AtomicBool) -> EntryEnd {
        let deadline = Instant::now() + req.timeout();
        let mut s = self.lock();
        if s.session.is_some() {
            return Err("a PIN entry is already in progress".into());
        }
        let mut session = Session {
            entries: req.entries(),
            ..Session::default()
        };
        for action in std::mem::take(&mut s.armed) {
            session.apply(&action);
        }
        s.session = Some(session);
        self.0 .1.notify_all();
        let outcome = loop {
            let Some(session) = s.session.as_ref() else {
                break Err(End::Cancelled);
            };
            if let Some(end) = session.end {
                break Err(end);
            }
            if session.done.len() >= session.entries {
                break Ok(session.done.clone());
            }
            let now = Instant::now();
            if now >= deadline || stop.load(Ordering::Relaxed) {
                break Err(End::TimedOut);
            }
            let step = (deadline - now).min(Duration::from_millis(250));
            s = self
                .0
                 .1
                .wait_timeout(s, step)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        };
        s.session = None;
        drop(s);
        self.0 .1.notify_all();
        match outcome {
            Ok(pins) => req.apdu(&pins),
            Err(End::Cancelled) => Ok(Err(sw::CANCELLED)),
            Err(End::TimedOut) => Ok(Err(sw::TIMED_OUT)),
        }
    }

    /// Waits until a PIN entry is in progress, at most `limit`; true when one is.
    pub fn wait_for_entry(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut s = self.lock();
        while s.session.is_none() {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            s = self
                .0
                 .1
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// PIN_VERIFY_STRUCTURE for VERIFY with a variable-length ASCII PIN of 6–8 digits.
    fn verify_request(timeout_s: u8) -> PinRequest {
        let apdu = [0x00, 0x20, 0x00, 0x10, 0x00];
        let mut s = vec![
            timeout_s, 0, 0x82, 0x00, 0x00, 8, 6, 0x02, 1, 0x04, 0x09, 0, 0, 0, 0,
        ];
        s.extend_from_slice(&(apdu.len() as u32).to_le_bytes());
        s.extend_from_slice(&apdu);
        PinRequest::verify(&s).unwrap()
    }

    /// Runs an entry on another thread, as a reader does, once `act` has been done at the pad.
    fn entry_with(act: impl FnOnce(&PinPad)) -> (PinPad, EntryEnd) {
        let pad = PinPad::new();
        let reader = {
            let pad = pad.clone();
            std::thread::spawn(move || pad.entry(&verify_request(10), &AtomicBool::new(false)))
        };
        assert!(
            pad.wait_for_entry(Duration::from_secs(10)),
            "the entry starts"
        );
        act(&pad);
        let out = reader.join().unwrap();
        (pad, out)
    }

    #[test]
    fn keys_without_an_entry_are_refused() {
        let pad = PinPad::new();
        assert!(pad.keys("12").unwrap_err().contains("no PIN entry"));
        assert!(pad.keys("1a").unwrap_err().contains("key 'a'"));
        assert!(!pad.status().waiting);
    }

    #[test]
    fn typed_digits_and_ok_complete_the_apdu() {
        let (pad, out) = entry_with(|pad| {
            let s = pad.keys("1234").unwrap();
            assert_eq!((s.waiting, s.entries, s.done, s.digits), (true, 1, 0, 4));
            pad.keys("56#").unwrap();
        });
        assert_eq!(
            out.unwrap().unwrap(),
            [0x00, 0x20, 0x00, 0x10, 6, b'1', b'2', b'3', b'4', b'5', b'6']
        );
        assert!(!pad.status().waiting, "the entry is over");
    }

    #[test]
    fn cancel_and_time_out_answer_their_status_words() {
        let (_, out) = entry_with(|pad| {
            pad.keys("12").unwrap();
            pad.cancel().unwrap();
        });
        assert_eq!(out.unwrap(), Err(sw::CANCELLED));
        let (_, out) = entry_with(|pad| {
            pad.time_out().unwrap();
        });
        assert_eq!(out.unwrap(), Err(sw::TIMED_OUT));
        let (_, out) = entry_with(|pad| {
            pad.keys("12#").unwrap();
        });
        assert_eq!(
            out.unwrap(),
            Err(sw::BAD_LENGTH),
            "too short for 6–8 digits"
        );
    }

    #[test]
    fn a_second_entry_while_one_runs_is_refused() {
        let (_, out) = entry_with(|pad| {
            let second = pad.entry(&verify_request(10), &AtomicBool::new(false));
            assert!(second.unwrap_err().contains("already in progress"));
            pad.keys("123456#").unwrap();
        });
        assert!(out.unwrap().is_ok());
    }
}
