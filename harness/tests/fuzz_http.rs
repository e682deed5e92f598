#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile JSON (and non-JSON) bodies for every Web API endpoint of the reference
//! middleware and every DC endpoint, over HTTPS with real cards behind. Counts per server —
//! CI: 10 000 requests; full (`NHI_FUZZ_FULL=1`, see README): 1 000 000. Every reply is
//! JSON with one of the 64 status codes and HTTP 200 or 4xx (never 5xx); afterwards the
//! normal flows still work.

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_harness::world::{World, WorldOptions};
use nhi_middleware::openapi::ENDPOINTS;
use nhi_protocol::StatusCode;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use std::sync::Arc;

fn requests() -> usize {
    if std::env::var("NHI_FUZZ_FULL").as_deref() == Ok("1") {
        1_000_000
    } else {
        10_000
    }
}

const FIELDS: &[&str] = &[
    "pin",
    "newPin",
    "puk",
    "serviceType",
    "token",
    "credential",
    "transferCode",
    "fileName",
    "content",
    "samId",
    "readerName",
    "hostName",
    "deviceName",
    "hospitalId",
    "challengeId",
    "samRandom",
    "samMac",
    "samSession",
    "data",
    "phoneId",
    "cardNo",
    "idNo",
    "hcId",
    "alg",
    "cardId",
    "deviceId",
    "hpcId",
    "name",
    "hcaSession",
    "certificate",
    "specialCode",
    "visit",
    "requester",
    "reason",
    "requestId",
    "approver",
    "role",
    "auth",
    "serial",
    "x",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| json!(f)),
        "[0-9]{0,12}".prop_map(Value::String),
        ".{0,40}".prop_map(Value::String),
        (0usize..20_000).prop_map(|n| Value::String("9".repeat(n))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body: an object of known and unknown fields with hostile values, or raw bytes.
fn body() -> impl Strategy<Value = Result<Value, Vec<u8>>> {
    let obj = prop::collection::btree_map(prop::sample::select(FIELDS), json_value(), 0..5)
        .prop_map(|m| {
            Ok(Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            ))
        });
    let raw = prop::collection::vec(any::<u8>(), 0..200).prop_map(Err);
    let not_obj = json_value().prop_map(Ok);
    prop_oneof![6 => obj, 1 => raw, 1 => not_obj]
}

struct Target {
    base: String,
    endpoints: Vec<(String, String)>,
}

async fn hammer(t: Arc<Target>, n: usize, seed: u64) {
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .use_rustls_tls()
        .build()
        .unwrap();
    let mut runner = TestRunner::new_with_rng(
        Default::default(),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &[seed as u8; 32],
        ),
    );
    let mut left = n;
    while left > 0 {
        let k = left.min(200);
        left -= k;
        for (i, b) in batch(&mut runner, t.endpoints.len(), k) {
            send(&http, &t, i, b).await;
        }
    }
}

/// Generates inputs without holding a strategy across an await (strategies are not Send).
fn batch(
    runner: &mut TestRunner,
    endpoints: usize,
    k: usize,
) -> Vec<(usize, Result<Value, Vec<u8>>)> {
    let strat = (0..endpoints, body());
    (0..k)
        .map(|_| strat.new_tree(runner).unwrap().current())
        .collect()
}

async fn send(http: &reqwest::Client, t: &Target, i: usize, b: Result<Value, Vec<u8>>) {
    {
        let (m, p) = &t.endpoints[i];
        let req = http.request(
            reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
            format!("{}{p}", t.base),
        );
        let req = match &b {
            Ok(v) => req.json(v),
            Err(raw) => req.body(raw.clone()),
        };
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{m} {p} with {b:?}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert!(
            status == 200 || (400..500).contains(&status),
            "{m} {p}: HTTP {status} for {b:?}: {text}"
        );
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{m} {p}: not JSON ({e}): {text}"));
        let code = v["statusCode"].as_str().unwrap_or_default();
        assert!(
            StatusCode::from_code(code).is_some(),
            "{m} {p}: statusCode {code:?} for {b:?}"
        );
    }
}

async fn run(t: Target, total: usize) {
    let t = Arc::new(t);
    let tasks: Vec<_> = (0..8u64)
        .map(|k| tokio::spawn(hammer(t.clone(), total / 8, k + 1)))
        .collect();
    for h in tasks {
        h.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_survives_hostile_bodies() {
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
    w.slots.hpc.insert(Box::new(
        factory.hpc(f.hpc("100000291508").unwrap(), 1).unwrap(),
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
    // The middleware: every documented endpoint.
    run(
        Target {
            base: w.sut.base().to_string(),
            endpoints: ENDPOINTS
                .iter()
                .map(|e| (e.method.to_string(), e.path.to_string()))
                .collect(),
        },
        requests(),
    )
    .await;
    // The DC: every command it serves, an unknown one, and a former control path (the
    // DC is administered through the emulator's control API, never its own port).
    let dc_paths: Vec<&str> = nhi_protocol::dc::path::ALL
        .into_iter()
        .chain(["/api/v1/NoSuchCommand", "/control/Hospital"])
        .collect();
    run(
        Target {
            base: w.dc.server.url(),
            endpoints: dc_paths
                .iter()
                .map(|p| ("POST".to_string(), p.to_string()))
                .collect(),
        },
        requests(),
    )
    .await;
    // Still working: a fresh start of the devices and the normal reads.
    let call = |m: &'static str, p: &'static str| w.sut.call(m, p, None);
    call("POST", nhi_protocol::api::path::FINALIZE).await;
    w.slots.sam.insert(Box::new(
        factory.sam(f.hospital("7777777777").unwrap()).unwrap(),
    ));
    w.slots.hc.insert(Box::new(
        factory.hc(f.person("A123456789").unwrap()).unwrap(),
    ));
    for (m, p) in [
        ("POST", nhi_protocol::api::path::INITIAL),
        ("POST", nhi_protocol::api::path::SAM_VERIFY),
        ("GET", nhi_protocol::api::path::HC_BASIC),
        ("GET", nhi_protocol::api::path::STATUS),
    ] {
        let x = call(m, p).await;
        assert_eq!(
            x.status.as_deref(),
            Some("0000"),
            "{m} {p} after the fuzz: {:?}",
            x.reply
        );
    }
}
