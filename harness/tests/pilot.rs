//! The pilot replay against the reference middleware (in-process and over real pcscd),
//! and proof that it catches broken implementations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_harness::pilot::{run_pilot, PilotOptions};
use nhi_harness::world::{TransportKind, WorldOptions};

fn opts(cases: usize, mutants: &[&str]) -> PilotOptions {
    PilotOptions {
        cases,
        seed: 2019,
        concurrency: 2,
        world: WorldOptions {
            mutants: mutants.iter().map(|s| s.to_string()).collect(),
            ..WorldOptions::default()
        },
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pilot_passes_in_process_and_is_reproducible() {
    let r = run_pilot(&opts(90, &[])).await.unwrap();
    let failed: Vec<_> = r.cases.iter().filter(|c| !c.pass).map(|c| &c.id).collect();
    assert!(failed.is_empty(), "failed cases: {failed:?}");
    assert_eq!(r.cases.len(), 90);
    assert_eq!(r.cases.iter().filter(|c| c.failure.is_some()).count(), 27);
    // Every failure class's expected code was actually observed at a step.
    for c in r.cases.iter().filter(|c| c.failure.is_some()) {
        let want = c.expected_code.clone().unwrap();
        assert!(
            c.steps
                .iter()
                .any(|s| s.got.as_deref() == Some(want.as_str()) && s.expected == want),
            "{} never saw {want}",
            c.id
        );
    }
    let again = run_pilot(&opts(90, &[])).await.unwrap();
    let key = |r: &nhi_harness::pilot::PilotReport| {
        r.cases
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.failure,
                    c.steps
                        .iter()
                        .map(|s| (s.at.name.clone(), s.got.clone()))
                        .collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&r), key(&again), "same seed, same cases and answers");
}

#[cfg_attr(
    not(feature = "mutants"),
    ignore = "planted faults need the separate build: --features mutants"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pilot_fails_planted_mutants() {
    for m in [
        "accept-stale-token",
        "pin-failure-as-success",
        "skip-transfer-hospital-check",
        "dc-down-as-1702",
        "no-cert-check",
        "virtual-has-issue-date",
        "hc-logout-noop",
    ] {
        let r = run_pilot(&opts(90, &[m])).await.unwrap();
        assert!(r.passed() < r.cases.len(), "mutant {m} survived the pilot");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pilot_passes_over_real_pcscd() {
    if std::env::var("NHI_PCSC_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED: real-pcscd pilot (NHI_PCSC_TESTS=1 after `bash ci/setup-pcsc`; ci/run does)"
        );
        return;
    }
    let mut o = opts(45, &[]);
    o.world.transport = TransportKind::Vpcd;
    let r = run_pilot(&o).await.unwrap();
    let failed: Vec<_> = r
        .cases
        .iter()
        .filter(|c| !c.pass)
        .map(|c| format!("{} {:?}", c.id, c.steps.iter().find(|s| !s.pass)))
        .collect();
    assert!(failed.is_empty(), "failed over vpcd: {failed:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pilot_passes_over_the_serial_pty() {
    let mut o = opts(100, &[]);
    o.world.transport = TransportKind::Serial;
    let r = run_pilot(&o).await.unwrap();
    let failed: Vec<_> = r.cases.iter().filter(|c| !c.pass).map(|c| &c.id).collect();
    assert!(failed.is_empty(), "failed over the COM reader: {failed:?}");
    assert_eq!(r.transport, "serial");
}
