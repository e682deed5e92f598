#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Structure-aware, stateful fuzzing. Random bytes rarely pass the first validation, so
//! these generators start from what is valid — the endpoint table's body fields, the
//! cloud-SAM file-name layout — and mutate one thing at a time: boundary lengths,
//! multibyte and Big5 edge characters placed across field boundaries, lone-surrogate and
//! invalid-UTF-8 escapes, huge and negative numbers, wrong types, missing and extra fields.
//! Each middleware case first drives the world to a deep state (Initial, SAM verified, HPC
//! PIN-verified) with fresh cards, then sends mutated requests there.
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
use nhi_protocol::api::{path, Endpoint, ENDPOINTS};
use nhi_protocol::dc::CloudSamFile;
use nhi_protocol::StatusCode;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

fn full() -> bool {
    std::env::var("NHI_FUZZ_FULL").as_deref() == Ok("1")
}

fn runner(seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// Characters at the edges: Big5's first and last common ideographs and symbols, ones
/// outside Big5, a 4-byte one, controls, a replacement char, a zero-width space.
const EDGE: &[&str] = &[
    "\u{3000}", "一", "龘", "齾", "碁", "銹", "裏", "\u{2550}", "€", "é", "𠀀", "😀", "\u{FFFD}",
    "\u{0}", "\u{7f}", "\u{200B}", "中",
];

/// Placeholders replaced in the JSON text by escapes serde cannot build as a value.
const LONE_SURROGATE: &str = "@@LONE@@";
const BAD_UTF8: &str = "@@BADUTF8@@";

/// A string near a valid field value: digits of boundary lengths, with edge characters
/// inserted or substituted, or a malformed escape.
fn near_string() -> impl Strategy<Value = String> {
    let lens = prop::sample::select(vec![0usize, 1, 2, 5, 6, 7, 8, 9, 10, 12, 22, 255, 4097]);
    let digits = lens.prop_map(|n| "0123456789".chars().cycle().take(n).collect::<String>());
    let with_edge = (
        digits.clone(),
        any::<prop::sample::Index>(),
        prop::sample::select(EDGE),
    )
        .prop_map(|(s, i, e)| {
            let at = if s.is_empty() { 0 } else { i.index(s.len()) };
            format!("{}{e}{}", &s[..at], &s[at..])
        });
    prop_oneof![
        3 => digits,
        3 => with_edge,
        1 => prop::sample::select(EDGE).prop_map(|e| e.repeat(8)),
        1 => Just(LONE_SURROGATE.to_string()),
        1 => Just(BAD_UTF8.to_string()),
        1 => "01|-9\\.[a-z]{0,4}".prop_map(|s| s),
    ]
}

/// A value for a string field: mostly near-valid strings, sometimes the wrong type.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => near_string().prop_map(Value::String),
        1 => prop::sample::select(vec![
            json!(null), json!(true), json!([]), json!({}), json!(0), json!(-1),
            json!(i64::MIN), json!(u64::MAX), json!(1e308), json!(-0.0), json!(["000000"]),
        ]),
    ]
}

/// Values for the endpoint's fields: a cloud-SAM file name is built by its own layout.
fn value_of(e: &'static Endpoint) -> BoxedStrategy<Value> {
    if e.body.iter().any(|f| f.name == "fileName") {
        prop_oneof![cloud_sam_name().prop_map(Value::String), field_value()].boxed()
    } else {
        field_value().boxed()
    }
}

/// A body shaped after the endpoint's fields: each field present (mutated) or missing,
/// plus sometimes an extra field.
fn body_for(e: &'static Endpoint) -> impl Strategy<Value = Value> {
    let n = e.body.len();
    (
        prop::collection::vec((any::<bool>(), value_of(e)), n),
        prop::option::weighted(0.2, ("[a-zA-Z]{1,8}", field_value())),
    )
        .prop_map(move |(fields, extra)| {
            let mut m = serde_json::Map::new();
            for (f, (keep, v)) in e.body.iter().zip(fields) {
                if keep || n == 0 {
                    m.insert(f.name.to_string(), v);
                }
            }
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

/// JSON text with the placeholders turned into a lone surrogate or an invalid byte.
fn wire(body: &Value) -> Vec<u8> {
    let text = body.to_string().replace(LONE_SURROGATE, "\\ud800");
    let mut out = Vec::new();
    for (i, part) in text.split(BAD_UTF8).enumerate() {
        if i > 0 {
            out.extend_from_slice(&[0xff, 0xc3]);
        }
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// The 22-byte stem of a cloud-SAM file name (10 hospital + 12 SAM id bytes) with a run
/// of bytes replaced by one character of the same byte length, or by a char of another.
pub fn cloud_sam_name() -> impl Strategy<Value = String> {
    (0usize..22, prop::sample::select(EDGE), any::<bool>()).prop_map(|(at, c, same_len)| {
        let stem = "7777777777901000000047";
        let end = if same_len {
            (at + c.len()).min(22)
        } else {
            at + 1
        };
        format!("{}{c}{}.SAM", &stem[..at], &stem[end..])
    })
}

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
#[derive(Debug, Clone, Copy)]
enum Depth {
    Initial,
    SamVerified,
    HpcVerified,
}

const PREFIX: &[(Depth, &str, &str)] = &[
    (Depth::Initial, "POST", path::INITIAL),
    (Depth::SamVerified, "POST", path::SAM_VERIFY),
    (Depth::HpcVerified, "POST", path::HPC_VERIFY),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_survives_near_valid_bodies_in_deep_states() {
    let cases = if full() { 30_000 } else { 300 };
    let per_case = 30;
    let f = Fixtures::demo().unwrap();
    let factory = Arc::new(CardFactory::test().unwrap());
    let w = World::start(&f, factory.clone(), &WorldOptions::default())
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .use_rustls_tls()
        .build()
        .unwrap();
    let mut r = runner(7);
    let mut pairs = BTreeSet::new();
    let mut reached = [0usize; 3];
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
        let depth = case % 3;
        for (i, (_, m, p)) in PREFIX.iter().enumerate().take(depth + 1) {
            let body = (*p == path::HPC_VERIFY).then(|| json!({ "pin": "000000" }));
            let x = w.sut.call(m, p, body).await;
            if x.status.as_deref() == Some(StatusCode::Success.code()) {
                reached[i] += 1;
            }
        }
        let reqs: Vec<(&'static Endpoint, Vec<u8>)> = (0..per_case)
            .map(|_| {
                let e = &ENDPOINTS[(0..ENDPOINTS.len()).new_tree(&mut r).unwrap().current()];
                let b = body_for(e).new_tree(&mut r).unwrap().current();
                (e, wire(&b))
            })
            .collect();
        for (e, body) in reqs {
            let code = send(&http, w.sut.base(), e, body).await;
            pairs.insert((e.method.as_str(), e.path, code));
            sent += 1;
        }
    }
    println!(
        "middleware deep fuzz: {sent} requests in {cases} cases, {:?}; deep states reached \
         (Initial, SAM verified, HPC PIN-verified): {reached:?}; {} distinct (endpoint, status) pairs",
        t.elapsed(),
        pairs.len()
    );
    for (m, p, c) in &pairs {
        println!("  {m} {p} {c}");
    }
    assert!(
        reached[2] > 0,
        "the HPC PIN-verified state was never reached"
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
    let m = reqwest::Method::from_bytes(e.method.as_str().as_bytes()).unwrap();
    let resp = http
        .request(m, format!("{base}{}", e.path))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap_or_else(|err| panic!("{} {}: {err}", e.method, e.path));
    let http_status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let shown = String::from_utf8_lossy(&body);
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
