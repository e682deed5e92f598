//! Card events and APDUs through pcscd + nhi-ifd (our driver), next to the same figures
//! through pcscd + vpcd in the same run: insert/remove → `SCardGetStatusChange` wake-up
//! latency (enough events for a p99) and APDU round trips/s of our HC model and of the echo
//! card (the path's ceiling). Needs pcscd running with the readers of ci/setup-pcsc (the
//! first nhi-ifd reader and the first vpcd reader, both left free by everything else).

use crate::vpcd::{rate, EchoCard};
use nhi_emulator::card::Card;
use nhi_emulator::reader::ifd::{IfdEndpoint, IfdReader};
use nhi_emulator::reader::vpcd::VpcdEndpoint;
use nhi_emulator::reader::Slot;
use nhi_emulator::world::{standard_ifd_slot_names, STANDARD_IFD_READERS, STANDARD_READERS};
use std::ffi::CString;
use std::time::{Duration, Instant};

/// Latency percentiles over a run of events, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wake {
    /// Events measured.
    pub events: usize,
    /// Median.
    pub p50: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl Wake {
    fn of(mut ms: Vec<f64>) -> Result<Wake, String> {
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let rank = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len());
            ms[rank - 1]
        };
        match ms.last() {
            Some(&max) => Ok(Wake {
                events: ms.len(),
                p50: at(0.50),
                p99: at(0.99),
                max,
            }),
            None => Err("no events measured".into()),
        }
    }
}

fn pcsc_context() -> Result<pcsc::Context, String> {
    pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| format!("pcscd: {e} (bash ci/setup-pcsc)"))
}

/// Waits until pcscd reports `reader` with a card (`present`) or without; Err after 15 s.
fn settle(
    ctx: &pcsc::Context,
    states: &mut [pcsc::ReaderState],
    present: bool,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let _ = ctx.get_status_change(Duration::from_millis(200), states);
        states[0].sync_current_state();
        let s = states[0].event_state();
        if s.contains(pcsc::State::PRESENT) == present && !s.contains(pcsc::State::UNKNOWN) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{:?} never showed present={present} (is pcscd running? bash ci/setup-pcsc)",
                states[0].name()
            ));
        }
    }
}

/// Alternately inserts and removes a card in `slot` (`events` in all) and times each until
/// a client blocked in `SCardGetStatusChange` on `reader` wakes up with the new state.
fn wake_ups(reader: &str, slot: &Slot, events: usize) -> Result<Wake, String> {
    let ctx = pcsc_context()?;
    let name = CString::new(reader).map_err(|e| e.to_string())?;
    let mut states = vec![pcsc::ReaderState::new(name, pcsc::State::UNAWARE)];
    settle(&ctx, &mut states, false)?;
    let mut ms = Vec::with_capacity(events);
    for i in 0..events {
        let insert = i % 2 == 0;
        let t = Instant::now();
        if insert {
            slot.insert(Box::new(EchoCard));
        } else {
            slot.remove();
        }
        // Spurious wake-ups (another state bit changing) keep the clock running.
        loop {
            ctx.get_status_change(Duration::from_secs(15), &mut states)
                .map_err(|e| format!("{reader}: event {i}: {e}"))?;
            states[0].sync_current_state();
            if states[0].event_state().contains(pcsc::State::PRESENT) == insert {
                break;
            }
        }
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    slot.remove();
    Wake::of(ms)
}

/// The first nhi-ifd reader's card slot, served on its standard port: its endpoint, the
/// slot and its PC/SC name.
fn ifd_reader() -> Result<(IfdEndpoint, Slot, String), String> {
    let r = &STANDARD_IFD_READERS[0];
    let slots = vec![Slot::empty(), Slot::empty()];
    let reader = IfdReader::new(slots.clone(), None)?;
    let ep = IfdEndpoint::start(([127, 0, 0, 1], r.port).into(), reader)
        .map_err(|e| format!("nhi-ifd endpoint on port {} (in use?): {e}", r.port))?;
    let name = standard_ifd_slot_names()
        .into_iter()
        .next()
        .ok_or("no standard ifd reader")?;
    Ok((ep, slots[0].clone(), name))
}

/// Wake-up latency through nhi-ifd.
pub fn ifd_wake(events: usize) -> Result<Wake, String> {
    let (_ep, slot, name) = ifd_reader()?;
    wake_ups(&name, &slot, events)
}

/// Wake-up latency through vpcd (pcscd polls its presence; the emulator keeps a reinsert
/// gap so pcscd cannot take the next card for the old one: both are part of the figure).
pub fn vpcd_wake(events: usize) -> Result<Wake, String> {
    let r = &STANDARD_READERS[0];
    let slot = Slot::empty();
    let _ep = VpcdEndpoint::start(([127, 0, 0, 1], r.port).into(), slot.clone());
    wake_ups(r.name, &slot, events)
}

/// (our HC model APDU/s, echo card APDU/s) through pcscd + nhi-ifd.
pub fn ifd_apdu_rates(hc: Box<dyn Card>, secs: f64) -> Result<(f64, f64), String> {
    let ctx = pcsc_context()?;
    let (_ep, slot, name) = ifd_reader()?;
    let name = CString::new(name).map_err(|e| e.to_string())?;
    let select = nhi_protocol::apdu::select_hc();
    let apdus: [&[u8]; 2] = [&select, nhi_protocol::apdu::GET_BASIC];
    let mut out = Vec::new();
    for card in [hc, Box::new(EchoCard)] {
        let mut states = vec![pcsc::ReaderState::new(name.clone(), pcsc::State::UNAWARE)];
        settle(&ctx, &mut states, false)?;
        slot.insert(card);
        settle(&ctx, &mut states, true)?;
        let c = ctx
            .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .map_err(|e| format!("{name:?}: {e}"))?;
        out.push(rate(&c, secs, &apdus));
        drop(c);
        slot.remove();
    }
    match out[..] {
        [ours, echo] => Ok((ours, echo)),
        _ => Err("APDU rates: two cards, two rates".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::Wake;

    #[test]
    fn percentiles_by_nearest_rank() {
        let w = Wake::of((1..=1000).map(f64::from).collect()).unwrap();
        assert_eq!(
            (w.events, w.p50, w.p99, w.max),
            (1000, 500.0, 990.0, 1000.0)
        );
        let one = Wake::of(vec![7.0]).unwrap();
        assert_eq!((one.p50, one.p99), (7.0, 7.0));
        assert!(Wake::of(Vec::new()).is_err());
    }
}
