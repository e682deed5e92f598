#![allow(clippy::unwrap_used, clippy::expect_used)]
//! 200 concurrent clients for 60 s (`NHI_SOAK_SECS` shortens it locally) on loopback against
//! the reference middleware (HTTPS, cards in-process) and the emulator's control API. A
//! bounded loop that stops by itself: every call must succeed (nothing is injected here),
//! and the process's memory must stay flat between the first quarter and the end.

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::NamedSlot;
use nhi_harness::world::{World, WorldOptions, READER_HC, READER_SAM};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The process's resident set. Unreadable is a test failure, not 0 (which would make the
/// "memory stays flat" check pass whatever happened).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_for_a_minute() {
    // 60 s unless NHI_SOAK_SECS shortens it (a value that is not a number is refused).
    let secs: u64 = std::env::var("NHI_SOAK_SECS")
        .ok()
        .map(|v| v.parse().expect("NHI_SOAK_SECS: whole seconds"))
        .unwrap_or(60);
    let f = Fixtures::demo().unwrap();
    let factory = Arc::new(CardFactory::test().unwrap());
    let w = World::start(&f, factory.clone(), &WorldOptions::default())
        .await
        .unwrap();
    w.slots.sam.insert(Box::new(
        factory.sam(f.hospital("7777777777").unwrap()).unwrap(),
    ));
    w.slots.hc.insert(Box::new(
        factory.hc(f.person("A123456789").unwrap()).unwrap(),
    ));
    for p in [
        nhi_protocol::api::path::INITIAL,
        nhi_protocol::api::path::SAM_VERIFY,
    ] {
        assert_eq!(
            w.sut.call("POST", p, None).await.status.as_deref(),
            Some("0000")
        );
    }
    let control = nhi_emulator::control::Control {
        slots: vec![
            NamedSlot {
                name: READER_HC.into(),
                slot: w.slots.hc.clone(),
            },
            NamedSlot {
                name: READER_SAM.into(),
                slot: w.slots.sam.clone(),
            },
        ],
        factory: factory.clone(),
        fixtures: Arc::new(f.clone()),
        clock: w.clock.clone(),
        dc: Some(w.dc.dc.clone()),
        dc_endpoint: None,
        card_rng: nhi_emulator::card::CardRng::Deterministic,
        announce_wait: Vec::new(),
        pads: Vec::new(),
        apdu_log: Default::default(),
    };
    let ctl = nhi_emulator::http::serve(
        ([127, 0, 0, 1], 0).into(),
        nhi_emulator::control::router(control),
        None,
        tokio::sync::watch::channel(false).1,
    )
    .await
    .unwrap();
    let ctl_url = ctl.url();
    let sut = w.sut.base().to_string();
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for k in 0..200u64 {
        let (sut, ctl_url, ok, errors) = (sut.clone(), ctl_url.clone(), ok.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .danger_accept_invalid_certs(true)
                .use_rustls_tls()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            let mut i = k;
            while Instant::now() < deadline {
                i += 1;
                let (url, want_code) = match i % 5 {
                    0 => (format!("{sut}{}", nhi_protocol::api::path::STATUS), true),
                    1 => (format!("{sut}{}", nhi_protocol::api::path::VERSION), true),
                    2 => (format!("{sut}{}", nhi_protocol::api::path::HC_BASIC), true),
                    3 => (format!("{ctl_url}/readers"), false),
                    _ => (format!("{ctl_url}/clock"), false),
                };
                let r = http.get(&url).send().await;
                let fail = match r {
                    Err(e) => Some(format!("{url}: {e}")),
                    Ok(resp) if resp.status() != 200 => {
                        Some(format!("{url}: HTTP {}", resp.status()))
                    }
                    Ok(resp) => match resp.json::<serde_json::Value>().await {
                        Err(e) => Some(format!("{url}: {e}")),
                        Ok(v) if want_code && v["statusCode"] != "0000" => {
                            Some(format!("{url}: {v}"))
                        }
                        Ok(_) => None,
                    },
                };
                match fail {
                    None => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(e) => errors.lock().unwrap().push(e),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs / 4)).await;
    let early = rss_kib();
    for t in tasks {
        t.await.unwrap();
    }
    let late = rss_kib();
    let errors = errors.lock().unwrap();
    let n = ok.load(Ordering::Relaxed);
    eprintln!("soak: {n} calls in {secs} s by 200 clients, {} errors; RSS {early} KiB after a quarter, {late} KiB at the end", errors.len());
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert!(n > 200 * secs, "only {n} calls");
    assert!(
        late <= early + early / 5 + 16 * 1024,
        "memory grew: {early} KiB → {late} KiB"
    );
}
