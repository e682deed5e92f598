//! APDU round trips through pcscd + vpcd, for our HC model and for a minimal echo card on
//! the same path, in the same run (the echo card's rate is the baseline: what the path
//! itself allows). Needs pcscd running with the readers of ci/setup-pcsc.

use nhi_emulator::card::{Card, CardKind};
use nhi_emulator::reader::vpcd::VpcdEndpoint;
use nhi_emulator::reader::Slot;
use nhi_emulator::world::STANDARD_READERS;
use std::ffi::CString;
use std::time::{Duration, Instant};

/// Answers every C-APDU with its own bytes and 90 00: no logic at all.
#[derive(Debug, Default)]
pub struct EchoCard;

impl Card for EchoCard {
    fn atr(&self) -> &'static [u8] {
        nhi_protocol::apdu::ATR_HC
    }
    fn reset(&mut self) {}
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        let mut r = apdu.to_vec();
        r.extend_from_slice(&[0x90, 0x00]);
        r
    }
    fn kind(&self) -> CardKind {
        CardKind::Hc
    }
    fn label(&self) -> String {
        "echo".into()
    }
}

/// The reader the bench uses (first vpcd reader of ci/setup-pcsc) and its port.
pub const READER: &str = STANDARD_READERS[0].name;
const PORT: u16 = STANDARD_READERS[0].port;

fn connect(ctx: &pcsc::Context, name: &CString) -> Result<pcsc::Card, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut states = vec![pcsc::ReaderState::new(name.clone(), pcsc::State::UNAWARE)];
    loop {
        // Waiting in SCardGetStatusChange makes pcscd poll for the card.
        let _ = ctx.get_status_change(Duration::from_millis(100), &mut states);
        states[0].sync_current_state();
        if states[0].event_state().contains(pcsc::State::PRESENT) {
            if let Ok(c) = ctx.connect(name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY) {
                return Ok(c);
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no card visible in {READER:?} within 15 s (is pcscd running? bash ci/setup-pcsc)"
            ));
        }
    }
}

/// Round trips/s of `apdus`, sent in turn for `secs` seconds.
pub fn rate(card: &pcsc::Card, secs: f64, apdus: &[&[u8]]) -> f64 {
    let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        for a in apdus {
            if card.transmit(a, &mut buf).is_ok() {
                n += 1;
            }
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// (our HC model APDU/s, echo card APDU/s) through pcscd + vpcd.
pub fn apdu_rates(hc: Box<dyn Card>, secs: f64) -> Result<(f64, f64), String> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| format!("pcscd: {e} (bash ci/setup-pcsc)"))?;
    let name = CString::new(READER).map_err(|e| e.to_string())?;
    let slot = Slot::empty();
    let ep = VpcdEndpoint::start(([127, 0, 0, 1], PORT).into(), slot.clone());
    let select = nhi_protocol::apdu::select_hc();
    let apdus: [&[u8]; 2] = [&select, nhi_protocol::apdu::GET_BASIC];
    slot.insert(hc);
    let card = connect(&ctx, &name)?;
    let ours = rate(&card, secs, &apdus);
    drop(card);
    slot.insert(Box::new(EchoCard));
    // The endpoint re-inserts after its removal gap; wait for the echo card.
    std::thread::sleep(nhi_emulator::reader::vpcd::REINSERT_GAP);
    let deadline = Instant::now() + Duration::from_secs(15);
    let card = loop {
        let c = connect(&ctx, &name)?;
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE];
        // pcscd may still show the previous card for a poll interval: wait for the echo.
        if c.transmit(&select, &mut buf)
            .is_ok_and(|r| r.len() == select.len() + 2)
        {
            break c;
        }
        if Instant::now() > deadline {
            return Err("the echo card did not appear in the reader".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let echo = rate(&card, secs, &apdus);
    drop(card);
    slot.remove();
    drop(ep);
    Ok((ours, echo))
}
