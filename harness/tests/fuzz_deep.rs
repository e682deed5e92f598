#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Structure-aware, stateful fuzzing. Random bytes rarely pass the first validation, so
//! these generators start from what is valid — the endpoint table's body fields, the
//! cloud-SAM file-name layout — and mutate one thing at a time: boundary lengths,
//! multibyte and Big5 edge characters placed across field boundaries, lone-surrogate and
//! invalid-UTF-8 escapes, huge and negative numbers, wrong types, missing and extra fields.
//! Each middleware case first drives the world to a deep state (Initial, SAM verified, HPC
//! PIN-verified, virtual HC verified with a fresh QR token from the world's DC) with fresh
//! cards, then sends mutated requests there. The generators are in `fuzz_gen/`;
//! `fuzz_finds_planted_panic.rs` shows they reach a planted panic in the middleware.
//!
//! Why proptest and not cargo-fuzz: this machine has a nightly toolchain, but CI builds on
//! stable and libFuzzer needs nightly; proptest strategies run in the ordinary test suite.
//!
//! Oracle: no HTTP 5xx (the catch-panic layer answers a panic with HTTP 500 and 1799, so a
//! 500 is a found panic), every reply is JSON with a 4-digit status code of the 64, and the
//! world still answers afterwards. CI: 9 000 middleware requests, 20 000 parser inputs;
//! full (`NHI_FUZZ_FULL=1`): 100× that. Prints inputs per target and the distinct
//! (endpoint, status code) pairs reached.

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_harness::world::{World, WorldOptions};
use nhi_protocol::api::{path, Endpoint};
use nhi_protocol::dc::CloudSamFile;
use nhi_protocol::StatusCode;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

mod fuzz_gen;
use fuzz_gen::{cloud_sam_name, full, near_string, request, runner, send_raw, CI_REQUESTS};

/// The cloud-SAM parser: structure-aware names and near-valid contents.
#[test]
fn cloud_sam_parser_survives_near_valid_files() {
    let n = if full() { 2_000_000 } else { 20_000 };
    let mut r = runner(3);
    let content = prop_oneof![
        near_string(),
        "[A-Za-z0-9+/=.]{0,120}",
        Just("e30=.AAAA".to_string()),
    ];
    let strat = (cloud_sam_name(), content);
    let t = Instant::now();
    let mut ok = 0;
    for _ in 0..n {
        let (name, content) = strat.new_tree(&mut r).unwrap().current();
        if CloudSamFile::parse(&name, &content).is_ok() {
            ok += 1;
        }
    }
    println!(
        "cloud SAM parser: {n} inputs, {ok} accepted, {:?}",
        t.elapsed()
    );
}

/// The panic fixed in `POST /api/settings/v1/CloudSam/Add`, kept here as a copy: a byte
/// slice of a `&str` at byte 10. The generator must make it panic quickly.
fn old_buggy_name_check(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".SAM") else {
        return false;
    };
    stem.len() == 22
        && stem[..10].chars().all(|c| c.is_ascii_alphanumeric())
        && stem[10..].chars().all(|c| c.is_ascii_digit())
}

#[test]
fn generator_finds_the_planted_byte_slice_panic() {
    let budget = 10_000;
    let mut r = runner(5);
    let strat = cloud_sam_name();
    let t = Instant::now();
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let found = (1..=budget).find(|_| {
        let name = strat.new_tree(&mut r).unwrap().current();
        std::panic::catch_unwind(|| old_buggy_name_check(&name)).is_err()
    });
    std::panic::set_hook(prev);
    let found = found.expect("the generator never reached the planted panic");
    println!(
        "planted byte-slice panic found after {found} inputs in {:?}",
        t.elapsed()
    );
}

/// How deep a case goes before it mutates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Depth {
    Initial,
    SamVerified,
    HpcVerified,
    VirtualHcVerified,
}

const DEPTHS: [Depth; 4] = [
    Depth::Initial,
    Depth::SamVerified,
    Depth::HpcVerified,
    Depth::VirtualHcVerified,
];

/// The person with a virtual card (an activated phone) in the demo fixtures.
const VIRTUAL_PERSON: &str = "F221000017";
const PHONE: &str = "phone-fuzz";

/// Drives the world from a fresh Finalize to `depth`; true when every step answered 0000.
async fn reach(w: &World, f: &Fixtures, depth: Depth, activated: &mut bool) -> bool {
    let mut steps: Vec<(&str, Option<Value>)> = vec![(path::INITIAL, None)];
    if depth >= Depth::SamVerified {
        steps.push((path::SAM_VERIFY, None));
    }
    if depth == Depth::HpcVerified {
        steps.push((path::HPC_VERIFY, Some(json!({ "pin": "000000" }))));
    }
    if depth == Depth::VirtualHcVerified {
        // A fresh QR token from the world's DC, as the phone would show it.
        let token = nhi_emulator::events::virtual_card(
            &w.dc.dc,
            &w.clock,
            f,
            VIRTUAL_PERSON,
            PHONE,
            *activated,
        )
        .unwrap();
        *activated = true;
        steps.push((path::HC_VIRTUAL_VERIFY, Some(json!({ "token": token }))));
    }
    let mut all_ok = true;
    for (p, body) in steps {
        let x = w.sut.call("POST", p, body).await;
        all_ok &= x.status.as_deref() == Some(StatusCode::Success.code());
    }
    all_ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_survives_near_valid_bodies_in_deep_states() {
    let per_case = 30;
    let cases = if full() { 100 } else { 1 } * CI_REQUESTS / per_case;
    let f = Fixtures::demo().unwrap();
    let factory = Arc::new(CardFactory::test().unwrap());
    let w = World::start(&f, factory.clone(), &WorldOptions::default())
        .await
        .unwrap();
    let http = fuzz_gen::http();
    let mut r = runner(7);
    let mut pairs = BTreeSet::new();
    let mut pairs_in: BTreeMap<Depth, BTreeSet<(&str, &str, String)>> = BTreeMap::new();
    let mut reached: BTreeMap<Depth, usize> = BTreeMap::new();
    let mut activated = false;
    let mut sent = 0usize;
    let t = Instant::now();
    for case in 0..cases {
        // Fresh cards: a mutated PIN change or a blocked PIN must not keep later cases shallow.
        w.sut.call("POST", path::FINALIZE, None).await;
        w.slots.sam.insert(Box::new(
            factory.sam(f.hospital("7777777777").unwrap()).unwrap(),
        ));
        w.slots.hc.insert(Box::new(
            factory.hc(f.person("A123456789").unwrap()).unwrap(),
        ));
        w.slots.hpc.insert(Box::new(
            factory.hpc(f.hpc("100000291508").unwrap(), 1).unwrap(),
        ));
        let depth = DEPTHS[case % DEPTHS.len()];
        let deep = reach(&w, &f, depth, &mut activated).await;
        if deep {
            *reached.entry(depth).or_default() += 1;
        }
        let reqs: Vec<(&'static Endpoint, Vec<u8>)> =
            (0..per_case).map(|_| request(&mut r)).collect();
        for (e, body) in reqs {
            let code = send(&http, w.sut.base(), e, body).await;
            let pair = (e.method.as_str(), e.path, code);
            if deep {
                pairs_in.entry(depth).or_default().insert(pair.clone());
            }
            pairs.insert(pair);
            sent += 1;
        }
    }
    let distinct: BTreeMap<Depth, usize> = pairs_in.iter().map(|(d, p)| (*d, p.len())).collect();
    println!(
        "middleware deep fuzz: {sent} requests in {cases} cases, {:?}; cases that reached their \
         deep state: {reached:?}; distinct (endpoint, status) pairs: {} in all, per state {distinct:?}",
        t.elapsed(),
        pairs.len()
    );
    for (m, p, c) in &pairs {
        println!("  {m} {p} {c}");
    }
    for d in DEPTHS {
        assert!(
            reached.get(&d).copied().unwrap_or(0) > 0,
            "the {d:?} state was never reached"
        );
    }
    // `reached` counts only cases whose every step (VirtualHc verification included)
    // answered 0000; the mutated requests there must have spread over many pairs.
    let virtual_pairs = &pairs_in[&Depth::VirtualHcVerified];
    assert!(
        virtual_pairs.len() >= 100,
        "only {} distinct pairs in the virtual-HC state",
        virtual_pairs.len()
    );
    let x = w.sut.call("GET", path::STATUS, None).await;
    assert_eq!(
        x.status.as_deref(),
        Some(StatusCode::Success.code()),
        "{:?}",
        x.reply
    );
}

/// Sends one request and checks the oracle; returns the status code.
async fn send(http: &reqwest::Client, base: &str, e: &Endpoint, body: Vec<u8>) -> String {
    let shown = String::from_utf8_lossy(&body).into_owned();
    let (http_status, text) = send_raw(http, base, e, body).await;
    assert!(
        http_status == 200 || (400..500).contains(&http_status),
        "{} {}: HTTP {http_status} (a panic?) for {shown}: {text}",
        e.method,
        e.path
    );
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} {}: not JSON ({err}): {text}", e.method, e.path));
    let code = v["statusCode"].as_str().unwrap_or_default().to_string();
    assert!(
        code.len() == 4 && StatusCode::from_code(&code).is_some(),
        "{} {}: statusCode {code:?} for {shown}",
        e.method,
        e.path
    );
    code
}
