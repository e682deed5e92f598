//! The scenario suite and the 500-case pilot over real pcscd through nhi-ifd, our own
//! driver (`bash ci/setup-pcsc` installs it). Skipped unless NHI_PCSC_TESTS=1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_harness::pilot::{run_pilot, PilotOptions};
use nhi_harness::scenario::{load_dir, run_all, RunOptions};
use nhi_harness::world::{TransportKind, WorldOptions};
use std::path::Path;

/// Both tests serve the same fixed reader ports: one at a time.
static READERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn enabled(what: &str) -> bool {
    let on = std::env::var("NHI_PCSC_TESTS").as_deref() == Ok("1");
    if !on {
        eprintln!("SKIPPED: {what} over nhi-ifd (NHI_PCSC_TESTS=1 after `bash ci/setup-pcsc`)");
    }
    on
}

fn world() -> WorldOptions {
    WorldOptions {
        transport: TransportKind::Ifd,
        ..WorldOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_pass_over_pcscd_through_nhi_ifd() {
    if !enabled("scenarios") {
        return;
    }
    let _one_at_a_time = READERS.lock().await;
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let all = load_dir(dir).unwrap();
    let o = RunOptions {
        world: world(),
        tag: None,
        partition: None,
        progress: false,
    };
    let results = run_all(&all, &o).await.unwrap();
    let applicable = all
        .iter()
        .filter(|s| s.applies_to(o.world.transport, false))
        .count();
    assert_eq!(results.len(), applicable);
    let failed: Vec<_> = results
        .iter()
        .filter(|r| !r.pass)
        .map(|r| {
            (
                r.id.clone(),
                r.error.clone(),
                r.calls.iter().find(|c| !c.pass).cloned(),
            )
        })
        .collect();
    assert!(failed.is_empty(), "over nhi-ifd: {failed:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pilot_500_passes_over_pcscd_through_nhi_ifd() {
    if !enabled("500-case pilot") {
        return;
    }
    let _one_at_a_time = READERS.lock().await;
    let o = PilotOptions {
        cases: 500,
        seed: 2019,
        concurrency: 2,
        world: world(),
        progress: false,
    };
    let started = std::time::Instant::now();
    let r = run_pilot(&o).await.unwrap();
    // Reported, not asserted: speed targets live in benches (benches/README.md).
    eprintln!(
        "500-case pilot over nhi-ifd: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(r.cases.len(), 500);
    let failed: Vec<_> = r
        .cases
        .iter()
        .filter(|c| !c.pass)
        .map(|c| format!("{} {:?}", c.id, c.steps.iter().find(|s| !s.pass)))
        .collect();
    assert!(failed.is_empty(), "failed over nhi-ifd: {failed:#?}");
}
