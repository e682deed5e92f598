//! The driver's state and logic, in safe Rust: which reader a pcscd logical unit number
//! (LUN) is, its links to nhi-emu, the presence it last reported, the powered card's ATR.
//! `ffi` only converts pointers to and from these calls.

use crate::link::Link;
use crate::pinpad;
use crate::wire::{self, Op, Presence, Status};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// IFD handler response codes (pcsc-lite ifdhandler.h).
pub mod rc {
    /// No error.
    pub const SUCCESS: i64 = 0;
    /// Unknown tag.
    pub const ERROR_TAG: i64 = 600;
    /// Failed to negotiate PTS.
    pub const ERROR_PTS_FAILURE: i64 = 605;
    /// Not supported (IFDHControl: unknown code).
    pub const ERROR_NOT_SUPPORTED: i64 = 606;
    /// Protocol not supported.
    pub const PROTOCOL_NOT_SUPPORTED: i64 = 607;
    /// Power up failed.
    pub const ERROR_POWER_ACTION: i64 = 608;
    /// Generic error.
    pub const COMMUNICATION_ERROR: i64 = 612;
    /// Time-out.
    pub const RESPONSE_TIMEOUT: i64 = 613;
    /// Request not supported.
    pub const NOT_SUPPORTED: i64 = 614;
    /// Card present.
    pub const ICC_PRESENT: i64 = 615;
    /// Card absent.
    pub const ICC_NOT_PRESENT: i64 = 616;
    /// No such reader or slot.
    pub const NO_SUCH_DEVICE: i64 = 617;
    /// Buffer too small.
    pub const ERROR_INSUFFICIENT_BUFFER: i64 = 618;
}

/// Slots of every reader: the card slot (0) and the SAM slot (1), as NHI readers have.
pub const SLOTS: usize = 2;

/// Readers one loaded driver serves (pcscd's TAG_IFD_SIMULTANEOUS_ACCESS).
pub const MAX_READERS: u8 = 16;

/// How long a command may take: a PIN entry waits for the person at the pad.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The longest single wait of the polling thread; pcscd calls it again at once.
const LONGEST_WAIT_MS: u32 = 10_000;

/// One slot of a reader as pcscd sees it.
#[derive(Debug)]
struct SlotLink {
    /// Commands (presence, power, APDUs, control).
    cmd: Link,
    /// The polling thread's blocking waits.
    events: Link,
    /// The reader was closed: the polling thread must not wait any more.
    closed: AtomicBool,
    /// pcscd asked the current wait to end (it restarts polling with a new time-out, e.g.
    /// after SCardDisconnect); cleared when the next wait starts.
    interrupted: AtomicBool,
    /// The thread pcscd runs the polling function on: its event thread, the only caller
    /// whose presence answers move [`SlotState::reported`].
    poller: Mutex<Option<std::thread::ThreadId>>,
    state: Mutex<SlotState>,
}

#[derive(Debug, Default)]
struct SlotState {
    /// What IFDHICCPresence last told pcscd.
    reported: Option<Presence>,
    /// Generation and ATR of the powered card.
    powered: Option<(u64, Vec<u8>)>,
}

/// A reader created by IFDHCreateChannel(ByName).
#[derive(Debug)]
struct Reader {
    slots: Vec<SlotLink>,
}

static READERS: LazyLock<Mutex<HashMap<u64, Arc<Reader>>>> = LazyLock::new(Default::default);

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // See link.rs: a poisoned lock only means an earlier call failed midway.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// pcscd's LUN: reader index in the high 16 bits, slot in the low 16.
fn split_lun(lun: u64) -> (u64, usize) {
    (lun >> 16, (lun & 0xFFFF) as usize)
}

fn slot_of(lun: u64) -> Result<(Arc<Reader>, usize), i64> {
    let (reader, slot) = split_lun(lun);
    let r = locked(&READERS)
        .get(&reader)
        .cloned()
        .ok_or(rc::NO_SUCH_DEVICE)?;
    if slot >= r.slots.len() {
        return Err(rc::NO_SUCH_DEVICE);
    }
    Ok((r, slot))
}

/// Where a DEVICENAME points: `HOST:PORT` of the emulator's endpoint for this reader.
pub fn parse_device(name: &str) -> Result<SocketAddr, String> {
    name.trim().parse().map_err(|e| {
        format!("DEVICENAME {name:?}: expected HOST:PORT of nhi-emu's ifd endpoint ({e})")
    })
}

/// IFDHCreateChannelByName: a reader whose slots nhi-emu serves at `addr`.
pub fn create(lun: u64, addr: SocketAddr) -> i64 {
    let (reader, _) = split_lun(lun);
    let slots = (0..SLOTS)
        .map(|_| SlotLink {
            cmd: Link::new(addr),
            events: Link::new(addr),
            closed: AtomicBool::new(false),
            interrupted: AtomicBool::new(false),
            poller: Mutex::new(None),
            state: Mutex::default(),
        })
        .collect();
    locked(&READERS).insert(reader, Arc::new(Reader { slots }));
    rc::SUCCESS
}

/// IFDHCloseChannel.
pub fn close(lun: u64) -> i64 {
    let (reader, _) = split_lun(lun);
    match locked(&READERS).remove(&reader) {
        Some(r) => {
            for s in &r.slots {
                s.closed.store(true, Ordering::SeqCst);
                s.events.interrupt();
            }
            rc::SUCCESS
        }
        None => rc::NO_SUCH_DEVICE,
    }
}

/// What IFDHGetCapabilities hands back.
#[derive(Debug, PartialEq, Eq)]
pub enum Capability {
    /// Bytes to copy into the caller's buffer.
    Bytes(Vec<u8>),
    /// The polling function (TAG_IFD_POLLING_THREAD_WITH_TIMEOUT).
    PollingFunction,
    /// The function that stops it (TAG_IFD_STOP_POLLING_THREAD).
    StopFunction,
}

/// Capability tags (ifdhandler.h).
pub mod tag {
    /// ATR of the powered card.
    pub const ATR: u64 = 0x0303;
    /// Same, as SCardGetAttrib's SCARD_ATTR_ATR_STRING.
    pub const ATTR_ATR_STRING: u64 = 0x0009_0303;
    /// Slots may be used at the same time.
    pub const SLOT_THREAD_SAFE: u64 = 0x0FAC;
    /// Readers may be used at the same time.
    pub const THREAD_SAFE: u64 = 0x0FAD;
    /// Slots per reader.
    pub const SLOTS_NUMBER: u64 = 0x0FAE;
    /// Readers per loaded driver.
    pub const SIMULTANEOUS_ACCESS: u64 = 0x0FAF;
    /// Whether pcscd may pthread_cancel the polling thread.
    pub const POLLING_THREAD_KILLABLE: u64 = 0x0FB1;
    /// The function stopping the polling thread.
    pub const STOP_POLLING_THREAD: u64 = 0x0FB2;
    /// The polling function.
    pub const POLLING_THREAD_WITH_TIMEOUT: u64 = 0x0FB3;
}

/// IFDHGetCapabilities.
pub fn capability(lun: u64, t: u64) -> Result<Capability, i64> {
    let (reader, slot) = slot_of(lun)?;
    let byte = |b: u8| Ok(Capability::Bytes(vec![b]));
    match t {
        tag::ATR | tag::ATTR_ATR_STRING => locked(&reader.slots[slot].state)
            .powered
            .as_ref()
            .map(|(_, atr)| Capability::Bytes(atr.clone()))
            .ok_or(rc::ICC_NOT_PRESENT),
        tag::SLOT_THREAD_SAFE | tag::THREAD_SAFE => byte(1),
        tag::SLOTS_NUMBER => byte(SLOTS as u8),
        tag::SIMULTANEOUS_ACCESS => byte(MAX_READERS),
        // Not killable: pcscd calls the stop function, which wakes the blocked wait.
        tag::POLLING_THREAD_KILLABLE => byte(0),
        tag::POLLING_THREAD_WITH_TIMEOUT => Ok(Capability::PollingFunction),
        tag::STOP_POLLING_THREAD => Ok(Capability::StopFunction),
        _ => Err(rc::ERROR_TAG),
    }
}

/// IFDHICCPresence. To pcscd's event thread, a card swapped since the last report is first
/// reported absent once, so pcscd powers up the new card instead of taking it for the old
/// one. Other callers (pcscd asks from client threads too) get the plain state and change
/// nothing: the event thread must see every transition itself, or its own idea of the
/// slot and pcscd's shared one drift apart.
pub fn presence(lun: u64) -> i64 {
    let (reader, slot) = match slot_of(lun) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let s = &reader.slots[slot];
    let now = match s.cmd.call(Op::Presence, slot as u8, &[], COMMAND_TIMEOUT) {
        Ok((Status::Ok, body)) => Presence::decode(&body).ok(),
        // No such slot in the emulated reader, or no emulator: an empty slot.
        _ => None,
    };
    let me = std::thread::current().id();
    if locked(&s.poller).is_some_and(|p| p != me) {
        return match now {
            Some(n) if n.present => rc::ICC_PRESENT,
            _ => rc::ICC_NOT_PRESENT,
        };
    }
    let mut st = locked(&s.state);
    let last = st.reported;
    let report = match (now, last) {
        (Some(n), Some(l)) if n.present && l.present && n.generation != l.generation => Presence {
            present: false,
            generation: l.generation,
        },
        (Some(n), _) => n,
        (None, l) => Presence {
            present: false,
            // Nothing reported yet: any generation; the next wait returns when a card comes.
            generation: l.map_or(0, |l| l.generation),
        },
    };
    st.reported = Some(report);
    if report.present {
        rc::ICC_PRESENT
    } else {
        st.powered = None;
        rc::ICC_NOT_PRESENT
    }
}

/// The polling function: returns as soon as the slot differs from what IFDHICCPresence
/// last reported (or after `timeout_ms`), so pcscd asks again at once.
pub fn poll(lun: u64, timeout_ms: i32) -> i64 {
    let (reader, slot) = match slot_of(lun) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let s = &reader.slots[slot];
    *locked(&s.poller) = Some(std::thread::current().id());
    let Some(known) = locked(&s.state).reported else {
        return rc::SUCCESS;
    };
    let wait = u32::try_from(timeout_ms)
        .ok()
        .filter(|&t| t > 0)
        .map_or(LONGEST_WAIT_MS, |t| t.min(LONGEST_WAIT_MS));
    s.interrupted.store(false, Ordering::SeqCst);
    if s.closed.load(Ordering::SeqCst) {
        return rc::SUCCESS;
    }
    let body = wire::wait_body(known, wait);
    let timeout = Duration::from_millis(u64::from(wait) + 2_000);
    match s.events.call(Op::Wait, slot as u8, &body, timeout) {
        Ok(_) => rc::SUCCESS,
        Err(_) => {
            // No emulator: try again a little later rather than spin (pcscd calls again).
            // An interrupted wait returns at once.
            if !s.closed.load(Ordering::SeqCst) && !s.interrupted.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200).min(timeout));
            }
            rc::SUCCESS
        }
    }
}

/// The stop function: ends the current wait of `lun`'s polling thread (pcscd calls the
/// polling function again afterwards, so nothing stays stopped).
pub fn stop_poll(lun: u64) -> i64 {
    match slot_of(lun) {
        Ok((reader, slot)) => {
            let s = &reader.slots[slot];
            s.interrupted.store(true, Ordering::SeqCst);
            s.events.interrupt();
            rc::SUCCESS
        }
        Err(e) => e,
    }
}

/// Power actions (ifdhandler.h).
pub mod action {
    /// Power up.
    pub const POWER_UP: u64 = 500;
    /// Power down.
    pub const POWER_DOWN: u64 = 501;
    /// Warm reset.
    pub const RESET: u64 = 502;
}

/// IFDHPowerICC: the ATR after power up or reset; empty after power down.
pub fn power(lun: u64, what: u64) -> Result<Vec<u8>, i64> {
    let (reader, slot) = slot_of(lun)?;
    let s = &reader.slots[slot];
    match what {
        action::POWER_DOWN => {
            locked(&s.state).powered = None;
            // Best effort: a card the emulator cannot reach is powered down anyway.
            let _ = s.cmd.call(Op::PowerOff, slot as u8, &[], COMMAND_TIMEOUT);
            Ok(Vec::new())
        }
        action::POWER_UP | action::RESET => {
            match s.cmd.call(Op::PowerOn, slot as u8, &[], COMMAND_TIMEOUT) {
                Ok((Status::Ok, body)) => {
                    let (generation, atr) =
                        wire::split_generation(&body).map_err(|_| rc::COMMUNICATION_ERROR)?;
                    locked(&s.state).powered = Some((generation, atr.to_vec()));
                    Ok(atr.to_vec())
                }
                Ok(_) => Err(rc::ERROR_POWER_ACTION),
                Err(_) => Err(rc::COMMUNICATION_ERROR),
            }
        }
        _ => Err(rc::NOT_SUPPORTED),
    }
}

fn powered_generation(s: &SlotLink) -> Result<u64, i64> {
    locked(&s.state)
        .powered
        .as_ref()
        .map(|(g, _)| *g)
        .ok_or(rc::ICC_NOT_PRESENT)
}

fn status_code(status: Status) -> i64 {
    match status {
        Status::Ok => rc::SUCCESS,
        Status::NoCard => rc::ICC_NOT_PRESENT,
        Status::NoSlot => rc::NO_SUCH_DEVICE,
        Status::Unsupported => rc::ERROR_NOT_SUPPORTED,
        Status::BadRequest => rc::COMMUNICATION_ERROR,
    }
}

/// Sends a generation-bound request about the powered card.
fn card_call(s: &SlotLink, slot: usize, op: Op, data: &[u8]) -> Result<Vec<u8>, i64> {
    let generation = powered_generation(s)?;
    match s.cmd.call(
        op,
        slot as u8,
        &wire::with_generation(generation, data),
        COMMAND_TIMEOUT,
    ) {
        Ok((Status::Ok, reply)) => Ok(reply),
        Ok((status, _)) => Err(status_code(status)),
        Err(_) => Err(rc::COMMUNICATION_ERROR),
    }
}

/// IFDHTransmitToICC.
pub fn transmit(lun: u64, apdu: &[u8]) -> Result<Vec<u8>, i64> {
    let (reader, slot) = slot_of(lun)?;
    card_call(&reader.slots[slot], slot, Op::Apdu, apdu)
}

/// IFDHSetProtocolParameters: the emulated link carries APDUs whatever the protocol.
pub fn set_protocol(lun: u64, protocol: u64) -> i64 {
    const T0: u64 = 1;
    const T1: u64 = 2;
    match slot_of(lun) {
        Ok(_) if protocol == T0 || protocol == T1 => rc::SUCCESS,
        Ok(_) => rc::PROTOCOL_NOT_SUPPORTED,
        Err(e) => e,
    }
}

fn has_pin_pad(s: &SlotLink, slot: usize) -> Result<bool, i64> {
    match s.cmd.call(Op::Hello, slot as u8, &[], COMMAND_TIMEOUT) {
        Ok((Status::Ok, body)) => match body.as_slice() {
            [_version, _slots, flags, ..] => Ok(flags & wire::FLAG_PIN_PAD != 0),
            _ => Err(rc::COMMUNICATION_ERROR),
        },
        Ok((status, _)) => Err(status_code(status)),
        Err(_) => Err(rc::COMMUNICATION_ERROR),
    }
}

/// IFDHControl: the part 10 feature request and, on readers with a pad, PIN entry.
pub fn control(lun: u64, code: u64, input: &[u8]) -> Result<Vec<u8>, i64> {
    let (reader, slot) = slot_of(lun)?;
    let s = &reader.slots[slot];
    let code = u32::try_from(code).map_err(|_| rc::ERROR_NOT_SUPPORTED)?;
    let pad = has_pin_pad(s, slot)?;
    let ioctl = pinpad::ioctl_of;
    match code {
        pinpad::CM_IOCTL_GET_FEATURE_REQUEST => Ok(pinpad::feature_list(pad)),
        c if pad && c == ioctl(pinpad::feature::IFD_PIN_PROPERTIES) => {
            Ok(pinpad::PIN_PROPERTIES.to_vec())
        }
        c if pad && c == ioctl(pinpad::feature::VERIFY_PIN_DIRECT) => {
            card_call(s, slot, Op::VerifyPin, input)
        }
        c if pad && c == ioctl(pinpad::feature::MODIFY_PIN_DIRECT) => {
            card_call(s, slot, Op::ModifyPin, input)
        }
        _ => Err(rc::ERROR_NOT_SUPPORTED),
    }
}
