#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cards yanked in the middle of multi-APDU operations (deterministically, at every APDU
//! of the operation) and pcscd restarted under inserted cards: the middleware answers a
//! defined status code, never hangs, and works again on the next insertion / call.

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::Slot;
use nhi_harness::world::{Slots, TransportWrap, World, WorldOptions};
use nhi_middleware::transport::{Connection, Transport, TransportError};
use nhi_protocol::api::path;
use serde_json::json;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Removes the card from `slot` just before the n-th APDU sent to it (n counts down).
struct Yank {
    inner: Arc<dyn Transport>,
    slot: Slot,
    reader: String,
    countdown: Arc<AtomicIsize>,
    sent: Arc<AtomicUsize>,
}

struct YankConn {
    inner: Box<dyn Connection>,
    slot: Slot,
    countdown: Arc<AtomicIsize>,
    sent: Arc<AtomicUsize>,
}

impl Connection for YankConn {
    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        if self.countdown.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.slot.remove();
        }
        self.inner.transmit(apdu)
    }
    fn alive(&mut self) -> bool {
        self.inner.alive()
    }
}

impl Transport for Yank {
    fn readers(&self) -> Result<Vec<String>, TransportError> {
        self.inner.readers()
    }
    fn connect(&self, reader: &str) -> Result<Box<dyn Connection>, TransportError> {
        let c = self.inner.connect(reader)?;
        if reader != self.reader {
            return Ok(c);
        }
        Ok(Box::new(YankConn {
            inner: c,
            slot: self.slot.clone(),
            countdown: self.countdown.clone(),
            sent: self.sent.clone(),
        }))
    }
}

struct Rig {
    world: World,
    f: Fixtures,
    factory: Arc<CardFactory>,
    countdown: Arc<AtomicIsize>,
    sent: Arc<AtomicUsize>,
}

async fn rig(which: fn(&Slots) -> (&Slot, &'static str)) -> Rig {
    let f = Fixtures::demo().unwrap();
    let factory = Arc::new(CardFactory::test().unwrap());
    let countdown = Arc::new(AtomicIsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let (c2, s2) = (countdown.clone(), sent.clone());
    let o = WorldOptions {
        wrap_transport: Some(TransportWrap(Arc::new(move |inner, slots| {
            let (slot, reader) = which(slots);
            Arc::new(Yank {
                inner,
                slot: slot.clone(),
                reader: reader.into(),
                countdown: c2.clone(),
                sent: s2.clone(),
            })
        }))),
        ..WorldOptions::default()
    };
    let world = World::start(&f, factory.clone(), &o).await.unwrap();
    world.slots.sam.insert(Box::new(
        factory.sam(f.hospital("7777777777").unwrap()).unwrap(),
    ));
    let x = world.sut.call("POST", path::INITIAL, Some(json!({}))).await;
    assert_eq!(
        x.code(),
        Some(nhi_protocol::StatusCode::Success),
        "{:?}",
        x.reply
    );
    let x = world
        .sut
        .call("POST", path::SAM_VERIFY, Some(json!({})))
        .await;
    assert_eq!(x.status.as_deref(), Some("0000"), "{:?}", x.reply);
    Rig {
        world,
        f,
        factory,
        countdown,
        sent,
    }
}

/// Counts the APDUs of `call` right after an insertion (binding the card and the
/// operation), then repeats it with the card yanked before each of them in turn.
async fn yank_everywhere(
    r: &Rig,
    slot: &Slot,
    card: &dyn Fn() -> Box<dyn nhi_emulator::card::Card>,
    method: &str,
    p: &str,
    body: serde_json::Value,
    allowed: &[&str],
) -> Vec<String> {
    r.countdown.store(0, Ordering::SeqCst);
    r.world.insert(slot, card()).await.unwrap();
    r.sent.store(0, Ordering::SeqCst);
    let x = r.world.sut.call(method, p, Some(body.clone())).await;
    assert_eq!(x.status.as_deref(), Some("0000"), "{p}: {:?}", x.reply);
    let n = r.sent.load(Ordering::SeqCst);
    assert!(
        n >= 2,
        "{p} after insertion is a multi-APDU operation, saw {n}"
    );
    let mut seen = Vec::new();
    for k in 1..=n {
        r.countdown.store(0, Ordering::SeqCst);
        r.world.insert(slot, card()).await.unwrap();
        r.countdown.store(k as isize, Ordering::SeqCst);
        let t0 = Instant::now();
        let x = r.world.sut.call(method, p, Some(body.clone())).await;
        let took = t0.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "{p} yank at {k}: took {took:?}"
        );
        let code = x.status.clone().unwrap_or_default();
        assert!(
            allowed.contains(&code.as_str()),
            "{p} yank at APDU {k}/{n}: {code} not in {allowed:?}: {:?}",
            x.reply
        );
        assert!(
            r.sent.load(Ordering::SeqCst) >= k,
            "the yank point was reached"
        );
        seen.push(code);
        // No stuck state: with the card back, the same call works.
        r.countdown.store(0, Ordering::SeqCst);
        r.world.insert(slot, card()).await.unwrap();
        let x = r.world.sut.call(method, p, Some(body.clone())).await;
        assert_eq!(
            x.status.as_deref(),
            Some("0000"),
            "{p} after yank at {k}: {:?}",
            x.reply
        );
        r.sent.store(0, Ordering::SeqCst);
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hc_yanked_at_every_apdu_of_basic_data_and_signature() {
    let r = rig(|s| (&s.hc, nhi_harness::world::READER_HC)).await;
    let p = r.f.person("A123456789").unwrap().clone();
    let factory = r.factory.clone();
    let card = move || -> Box<dyn nhi_emulator::card::Card> { Box::new(factory.hc(&p).unwrap()) };
    let slot = r.world.slots.hc.clone();
    // 1102: the card is gone.
    let seen = yank_everywhere(
        &r,
        &slot,
        &card,
        "GET",
        path::HC_BASIC,
        json!({}),
        &["1102"],
    )
    .await;
    assert!(!seen.is_empty());
    let seen = yank_everywhere(
        &r,
        &slot,
        &card,
        "POST",
        path::HC_SIGNATURE,
        json!({ "serviceType": "01" }),
        &["1102"],
    )
    .await;
    assert!(!seen.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hpc_yanked_at_every_apdu_of_pin_verification() {
    let r = rig(|s| (&s.hpc, nhi_harness::world::READER_HPC)).await;
    let h = r.f.hpc("100000291508").unwrap().clone();
    let factory = r.factory.clone();
    let card =
        move || -> Box<dyn nhi_emulator::card::Card> { Box::new(factory.hpc(&h, 1).unwrap()) };
    let slot = r.world.slots.hpc.clone();
    let seen = yank_everywhere(
        &r,
        &slot,
        &card,
        "POST",
        path::HPC_VERIFY,
        json!({ "pin": "000000" }),
        &["1102"],
    )
    .await;
    assert!(!seen.is_empty());
    // The PIN try counter lives in the card: a yank never cost a try.
    r.world.insert(&slot, card()).await.unwrap();
    let x = r
        .world
        .sut
        .call("POST", path::HPC_VERIFY, Some(json!({ "pin": "000000" })))
        .await;
    assert_eq!(x.status.as_deref(), Some("0000"), "{:?}", x.reply);
}
