//! The conformance run as one test: every scenario plus a short pilot against the reference
//! middleware, all must pass. This is the test command of the mutation run (ci/mutants:
//! cargo-mutants mutates nhi-middleware and a mutant is caught when this fails), so it
//! holds nothing else: no planted-mutant table, no coverage bookkeeping.
//!
//! `NHI_CONFORM_TRANSPORT=serial` runs it over the COM-port reader on a pty instead of the
//! in-process transport (the mutation run of `middleware/src/serial.rs` needs it: the
//! in-process run never reaches that file); `ifd` / `vpcd` over a running pcscd (with the
//! harness's `pcsc` feature). Only the scenarios that apply to that transport run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_harness::pilot::{run_pilot, PilotOptions};
use nhi_harness::scenario::{load_dir, run_all, RunOptions};
use nhi_harness::world::{TransportKind, WorldOptions};
use std::path::Path;

/// Pilot cases: enough to cover every failure class of the plan once (30 cases hold 9).
const PILOT_CASES: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_middleware_conforms() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let all = load_dir(dir).unwrap();
    let world = WorldOptions {
        transport: transport_from_env(),
        ..WorldOptions::default()
    };
    let results = run_all(
        &all,
        &RunOptions {
            world: world.clone(),
            tag: None,
            partition: None,
            progress: false,
        },
    )
    .await
    .unwrap();
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.pass)
        .map(|r| {
            let first = r.calls.iter().find(|c| !c.pass).map(|c| c.to_string());
            format!("{}: {:?} {first:?}", r.id, r.error)
        })
        .collect();
    let pilot = run_pilot(&PilotOptions {
        cases: PILOT_CASES,
        seed: 2019,
        concurrency: 2,
        world,
        progress: false,
    })
    .await
    .unwrap();
    let failed_cases: Vec<&str> = pilot
        .cases
        .iter()
        .filter(|c| !c.pass)
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        failed.is_empty() && failed_cases.is_empty(),
        "scenarios failed: {failed:#?}\npilot cases failed: {failed_cases:?}"
    );
}

/// The transport named by `NHI_CONFORM_TRANSPORT` (in-process when unset).
fn transport_from_env() -> TransportKind {
    match std::env::var("NHI_CONFORM_TRANSPORT").as_deref() {
        Err(_) | Ok("inproc") => TransportKind::Inproc,
        Ok("serial") => TransportKind::Serial,
        Ok("ifd") => TransportKind::Ifd,
        Ok("vpcd") => TransportKind::Vpcd,
        Ok(other) => panic!("NHI_CONFORM_TRANSPORT={other:?}: one of inproc, serial, ifd, vpcd"),
    }
}
