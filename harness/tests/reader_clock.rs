//! Seed 004: 「驗證 SAM 時,會由中心端向讀卡機校時」 — SAM verification sets the clock of the
//! SAM's reader from the DC. The COM-port reader (a real pty) starts an hour off; ReaderTime
//! shows the reader's own clock before verification and the DC's after.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::clock::Clock;
use nhi_harness::world::{TransportKind, World, WorldOptions};
use nhi_protocol::ident::roc_datetime;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sam_verification_sets_the_com_readers_clock() {
    let fixtures = nhi_emulator::fixtures::Fixtures::demo().unwrap();
    let factory = Arc::new(nhi_emulator::fixtures::CardFactory::test().unwrap());
    let o = WorldOptions {
        transport: TransportKind::Serial,
        com_clock_drift: -3600,
        ..WorldOptions::default()
    };
    let w = World::start(&fixtures, factory.clone(), &o).await.unwrap();
    w.insert(
        &w.slots.sam,
        Box::new(factory.sam(&fixtures.hospitals[0]).unwrap()),
    )
    .await
    .unwrap();
    let call = |path: &'static str| {
        let sut = w.sut.clone();
        async move {
            let r = sut.call("POST", path, Some(serde_json::json!({}))).await;
            assert_eq!(r.status.as_deref(), Some("0000"), "{path}: {:?}", r.reply);
            r.reply
        }
    };
    let reader_time = || {
        let sut = w.sut.clone();
        async move {
            let r = sut
                .call("GET", nhi_protocol::api::path::READER_TIME, None)
                .await;
            assert_eq!(r.status.as_deref(), Some("0000"), "{:?}", r.reply);
            assert_eq!(r.reply["source"], "reader", "{:?}", r.reply);
            r.reply["serverDateTime"].as_str().unwrap().to_string()
        }
    };
    call(nhi_protocol::api::path::INITIAL).await;
    // The world's clock is frozen: the reader's clock is exactly an hour behind.
    let now = w.clock.now();
    assert_eq!(reader_time().await, roc_datetime(now - 3600));
    call(nhi_protocol::api::path::SAM_VERIFY).await;
    assert_eq!(reader_time().await, roc_datetime(w.clock.now()));
}
