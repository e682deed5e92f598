#![cfg(feature = "mutants")]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The fuzzer proves its reach against the middleware itself: with the old cloud-SAM
//! file-name panic planted back (`cloud-sam-name-byte-slice`, a byte slice at byte 10 of a
//! 22-byte name), the structure-aware generator of `fuzz_deep` must find it — an HTTP 500
//! with 1799 from the catch-panic layer — within the CI budget of one middleware fuzz
//! target; the same inputs against the unmutated middleware find nothing.

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_harness::world::{World, WorldOptions};
use nhi_protocol::api::path;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod fuzz_gen;
use fuzz_gen::{request, runner, send_raw, CI_REQUESTS};

/// What one run of the budget found: the 1-based input that answered HTTP 500, its body,
/// and the time taken to get there (or to spend the budget).
struct Found {
    at: Option<(usize, String)>,
    elapsed: Duration,
}

/// Sends up to `CI_REQUESTS` generated requests to an embedded middleware with `mutants`
/// planted; stops at the first HTTP 500, which must carry 1799.
async fn fuzz(mutants: &[&str]) -> Found {
    let f = Fixtures::demo().unwrap();
    let factory = Arc::new(CardFactory::test().unwrap());
    let opts = WorldOptions {
        mutants: mutants.iter().map(|m| m.to_string()).collect(),
        ..WorldOptions::default()
    };
    let w = World::start(&f, factory, &opts).await.unwrap();
    let http = fuzz_gen::http();
    let mut r = runner(7);
    let t = Instant::now();
    for n in 1..=CI_REQUESTS {
        let (e, body) = request(&mut r);
        let shown = format!("{} {} {}", e.method, e.path, String::from_utf8_lossy(&body));
        let (status, text) = send_raw(&http, w.sut.base(), e, body).await;
        if status >= 500 {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                v["statusCode"], "1799",
                "HTTP {status} without 1799: {text}"
            );
            return Found {
                at: Some((n, shown)),
                elapsed: t.elapsed(),
            };
        }
    }
    Found {
        at: None,
        elapsed: t.elapsed(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generator_finds_the_planted_cloud_sam_name_panic_within_the_ci_budget() {
    let planted = fuzz(&["cloud-sam-name-byte-slice"]).await;
    let (n, input) = planted.at.unwrap_or_else(|| {
        panic!(
            "{CI_REQUESTS} inputs ({:?}) never reached the planted panic",
            planted.elapsed
        )
    });
    println!(
        "planted cloud-sam-name-byte-slice panic found after {n} of {CI_REQUESTS} inputs in \
         {:?}: {input}",
        planted.elapsed
    );
    assert!(input.contains(path::CLOUD_SAM_ADD), "{input}");

    let clean = fuzz(&[]).await;
    assert!(
        clean.at.is_none(),
        "the unmutated middleware answered HTTP 500 to {:?}",
        clean.at
    );
    println!(
        "unmutated middleware: {CI_REQUESTS} inputs, no HTTP 5xx, {:?}",
        clean.elapsed
    );
}
