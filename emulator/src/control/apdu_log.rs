//! A bounded ring of the APDUs the emulated cards answered: the card side of a wirelog.
//!
//! A conformance harness that sees a step fail wants the APDUs of that step next to the
//! HTTP exchange. [`ApduLog::wrap`] puts a recording shell around a card before it goes into
//! a reader slot, so every endpoint (in-process, vpcd, nhi-ifd, the COM reader) is recorded
//! alike; the control API serves the ring as `GET /apdu-log?since=N` for a harness in
//! another process. PINs and PUKs never enter the ring: the data of VERIFY, CHANGE
//! REFERENCE DATA and RESET RETRY COUNTER is recorded as its length only.

use crate::card::{Card, CardKind, CardRng};
use nhi_protocol::apdu::{ins, Command};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// How many exchanges the ring keeps: a scenario step sends tens, a pilot case hundreds.
pub const CAPACITY: usize = 4096;

/// One C-APDU and the card's R-APDU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApduRecord {
    /// Position in the log (0 for the first APDU the log ever saw).
    pub seq: u64,
    /// The reader the card sat in.
    pub reader: String,
    /// The card's label (card number, HPC id or SAM id).
    pub card: String,
    /// The C-APDU in hex, secret data replaced by `<n secret bytes>`.
    pub command: String,
    /// The R-APDU in hex (data ‖ SW1 SW2).
    pub response: String,
}

impl std::fmt::Display for ApduRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] > {} < {}",
            self.reader, self.card, self.command, self.response
        )
    }
}

/// `GET /apdu-log?since=N`'s reply: the records with `seq >= since` still in the ring, and
/// the `next` sequence number (pass it as `since` to get only what comes after).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApduPage {
    /// Records, oldest first.
    pub records: Vec<ApduRecord>,
    /// The sequence number the next APDU will get.
    pub next: u64,
    /// Records after `since` that fell out of the ring before they were asked for.
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct Ring {
    next: u64,
    records: VecDeque<ApduRecord>,
}

/// The shared log; clones are the same log.
#[derive(Debug, Clone, Default)]
pub struct ApduLog(Arc<Mutex<Ring>>);

impl ApduLog {
    /// An empty log.
    pub fn new() -> ApduLog {
        ApduLog::default()
    }

    fn lock(&self) -> MutexGuard<'_, Ring> {
        // A panicking recorder leaves a ring that is still a valid ring.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The sequence number the next APDU will get: a mark to read from after a step.
    pub fn mark(&self) -> u64 {
        self.lock().next
    }

    /// Records one exchange.
    pub fn record(&self, reader: &str, card: &str, command: &[u8], response: &[u8]) {
        let mut r = self.lock();
        let seq = r.next;
        r.next += 1;
        if r.records.len() == CAPACITY {
            r.records.pop_front();
        }
        r.records.push_back(ApduRecord {
            seq,
            reader: reader.to_string(),
            card: card.to_string(),
            command: command_hex(command),
            response: hex::encode_upper(response),
        });
    }

    /// The records from `since` on.
    pub fn since(&self, since: u64) -> ApduPage {
        let r = self.lock();
        let records: Vec<ApduRecord> = r
            .records
            .iter()
            .filter(|a| a.seq >= since)
            .cloned()
            .collect();
        let first = records.first().map_or(r.next, |a| a.seq);
        ApduPage {
            dropped: first.saturating_sub(since),
            records,
            next: r.next,
        }
    }

    /// Puts a recording shell around `card`, which sits in `reader`.
    pub fn wrap(&self, reader: &str, card: Box<dyn Card>) -> Box<dyn Card> {
        Box::new(Recorded {
            label: card.label(),
            card,
            reader: reader.to_string(),
            log: self.clone(),
        })
    }
}

/// A C-APDU in hex; the data of the commands that carry a PIN or PUK is left out.
pub fn command_hex(apdu: &[u8]) -> String {
    let secret = [
        ins::VERIFY,
        ins::CHANGE_REFERENCE_DATA,
        ins::RESET_RETRY_COUNTER,
    ];
    match (Command::parse(apdu), apdu.get(..4)) {
        (Ok(c), Some(header)) if secret.contains(&c.ins) && !c.data.is_empty() => format!(
            "{} <{} secret bytes>",
            hex::encode_upper(header),
            c.data.len()
        ),
        _ => hex::encode_upper(apdu),
    }
}

thread_local! {
    /// How many recording shells the current APDU is inside. A card taken out of a slot
    /// and put back (a doctor's card back after a locum's) is wrapped again; only the
    /// outermost shell records, so an APDU is logged once. Per thread: an APDU is handled
    /// synchronously on the thread that sent it.
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// One level of [`DEPTH`], left on drop (also when a card panics).
struct Shell {
    outermost: bool,
}

impl Shell {
    fn enter() -> Shell {
        let depth = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        Shell {
            outermost: depth == 1,
        }
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// A card whose every exchange goes into the log.
struct Recorded {
    card: Box<dyn Card>,
    label: String,
    reader: String,
    log: ApduLog,
}

impl Card for Recorded {
    fn atr(&self) -> &'static [u8] {
        self.card.atr()
    }
    fn reset(&mut self) {
        self.card.reset();
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        let shell = Shell::enter();
        let response = self.card.handle(apdu);
        if shell.outermost {
            self.log.record(&self.reader, &self.label, apdu, &response);
        }
        response
    }
    fn kind(&self) -> CardKind {
        self.card.kind()
    }
    fn pulled(&self) -> bool {
        self.card.pulled()
    }
    fn label(&self) -> String {
        self.label.clone()
    }
    fn reseed(&mut self, source: CardRng) {
        self.card.reseed(source);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::card::faulty::{Fault, Faulty};

    #[test]
    fn a_wrapped_card_is_recorded_with_its_reader_and_pins_stay_out() {
        let log = ApduLog::new();
        let mut card = log.wrap(
            "hc-reader",
            Box::new(Faulty::new(CardKind::Hc, Fault::Broken)),
        );
        let start = log.mark();
        assert_eq!(card.handle(&[0x00, 0xA4, 0x04, 0x00]), vec![0x90, 0x00]);
        card.handle(&[0x00, 0x20, 0x00, 0x01, 0x03, 0x31, 0x32, 0x33]);
        let page = log.since(start);
        assert_eq!(page.next, 2);
        assert_eq!(page.dropped, 0);
        assert_eq!(page.records.len(), 2);
        assert_eq!(page.records[0].command, "00A40400");
        assert_eq!(page.records[0].response, "9000");
        assert_eq!(page.records[0].reader, "hc-reader");
        assert_eq!(page.records[1].command, "00200001 <3 secret bytes>");
        assert!(!page.records[1].to_string().contains("313233"));
        assert_eq!(log.since(2).records, Vec::new());
        // Taken out and put back (wrapped again): still one record per APDU.
        let mut again = log.wrap("hc-reader", card);
        again.handle(&[0x00, 0xA4, 0x04, 0x00]);
        assert_eq!(log.since(2).records.len(), 1);
    }

    #[tokio::test]
    async fn the_control_api_records_the_cards_it_inserts_and_serves_their_apdus() {
        use crate::control::{CardSpec, Command, Control, Insert};
        use crate::fixtures::{CardFactory, Fixtures};
        use crate::reader::{NamedSlot, Slot};
        let slot = Slot::empty();
        let c = Control {
            slots: vec![NamedSlot {
                name: "SAM reader".into(),
                slot: slot.clone(),
            }],
            factory: Arc::new(CardFactory::test().unwrap()),
            fixtures: Arc::new(Fixtures::demo().unwrap()),
            clock: crate::clock::VirtualClock::live(),
            dc: None,
            dc_endpoint: None,
            card_rng: CardRng::Deterministic,
            announce_wait: Vec::new(),
            pads: Vec::new(),
            apdu_log: ApduLog::new(),
        };
        let insert = Insert {
            reader: "SAM reader".into(),
            card: CardSpec::Sam,
            person: None,
        };
        let inserted = c.apply(Command::Insert(insert)).await.unwrap();
        let select = [0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00];
        let answer = slot.transmit(&select).unwrap();
        let page: ApduPage =
            serde_json::from_value(c.apply(Command::ApduLog(0)).await.unwrap()).unwrap();
        assert_eq!(page.records.len(), 1);
        let r = &page.records[0];
        assert_eq!(r.reader, "SAM reader");
        assert_eq!(Some(r.card.as_str()), inserted["inserted"].as_str());
        assert_eq!(r.command, "00A40400023F00");
        assert_eq!(r.response, hex::encode_upper(&answer));
        let later: ApduPage =
            serde_json::from_value(c.apply(Command::ApduLog(page.next)).await.unwrap()).unwrap();
        assert!(later.records.is_empty());
    }

    #[test]
    fn the_ring_is_bounded_and_says_what_it_dropped() {
        let log = ApduLog::new();
        for _ in 0..CAPACITY + 5 {
            log.record("r", "c", &[0, 0xB0, 0, 0], &[0x90, 0]);
        }
        let page = log.since(0);
        assert_eq!(page.records.len(), CAPACITY);
        assert_eq!(page.dropped, 5);
        assert_eq!(page.records[0].seq, 5);
        assert_eq!(page.next, (CAPACITY + 5) as u64);
    }
}
