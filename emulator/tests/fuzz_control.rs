#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Structure-aware fuzzing of the control API (`nhi-emu up`'s, over HTTP): every route
//! with bodies built from valid ones — real reader names, card kinds, fixture keys, fault
//! kinds, scripted events — whose fields are mutated (unknown names, boundary lengths,
//! multibyte and Big5 edge characters, wrong types, huge and negative numbers, the clock
//! set to the ends of i64). CI: 5 000 requests; full (`NHI_FUZZ_FULL=1`): 500 000.
//! Oracle: JSON always; success or a documented refusal (HTTP 4xx with `error` and
//! `reason`), never a 5xx but the documented `dc-reset` (a panic is answered HTTP 500);
//! afterwards the bench resets and works: a card goes in and the clock obeys.

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::world::{World, WorldConfig};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Error kinds emulator/docs/CONTROL.md documents.
const KINDS: &[&str] = &[
    "bad-request",
    "no-reader",
    "bad-card",
    "bad-fault",
    "no-dc",
    "refused",
    "no-route",
    "dc-reset",
];

const EDGE: &[&str] = &[
    "\u{3000}", "一", "龘", "碁", "銹", "𠀀", "😀", "\u{FFFD}", "\u{0}", "中", "é", "\n",
];

/// Valid values of a field, as a real bench would send them.
fn valid(field: &str) -> Vec<Value> {
    let v: &[&str] = match field {
        "reader" => &[
            "Virtual PCD 00 00",
            "Virtual PCD 00 01",
            "NHI Virtual PCD 00 00",
            "NHI COM reader card",
            "NHI COM reader SAM",
        ],
        "card" => &["hc", "hpc", "sam", "doctor", "hc-forged", "hpc-broken"],
        "person" => &["A123456789", "900000000001", "100000291508", "7777777777"],
        "fault" => &["unplugged", "failing", "garbling"],
        "kind" => &["latency", "http5xx", "refuse", "dropSession", "undefined"],
        "path" => &["/api/v1/", "/api/v1/Sam/Challenge"],
        "phone" => &["phone-1", "0912345678"],
        "hospital" => &["7777777777", "3501200000"],
        "hpc" => &["100000291508", "100000291509"],
        _ => &[],
    };
    let mut out: Vec<Value> = v.iter().map(|s| json!(s)).collect();
    match field {
        "set" => out.extend([json!(1_571_616_000), json!(1_735_689_600)]),
        "advance" | "ms" => out.extend([json!(0), json!(61), json!(86_400)]),
        "tokenOnly" | "suspended" | "revoked" | "contractExpired" => {
            out.extend([json!(true), json!(false)])
        }
        _ => {}
    }
    out
}

/// A near-valid value: mostly a valid one, else mutated or of the wrong shape.
fn near(field: &'static str) -> impl Strategy<Value = Value> {
    let good = valid(field);
    let good2 = good.clone();
    let lens = prop::sample::select(vec![0usize, 1, 9, 10, 12, 13, 256, 4097]);
    let long = lens.prop_map(|n| json!("A".repeat(n)));
    let edged = (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop::sample::select(EDGE),
    )
        .prop_map(move |(i, at, e)| {
            let base = good2
                .get(i.index(good2.len().max(1)))
                .and_then(Value::as_str)
                .unwrap_or("x")
                .to_string();
            let cut = base
                .char_indices()
                .map(|(b, _)| b)
                .nth(at.index(base.chars().count().max(1)))
                .unwrap_or(0);
            json!(format!("{}{e}{}", &base[..cut], &base[cut..]))
        });
    let odd = prop::sample::select(vec![
        json!(null),
        json!(true),
        json!([]),
        json!({}),
        json!(-1),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e308),
        json!("1971-01-01T00:00:00Z"),
    ]);
    if good.is_empty() {
        prop_oneof![long, edged, odd].boxed()
    } else {
        prop_oneof![
            5 => prop::sample::select(good),
            2 => edged,
            1 => long,
            2 => odd,
        ]
        .boxed()
    }
}

/// One request: method, path, body.
type Request = (&'static str, String, Option<Value>);

fn object(fields: Vec<(&'static str, Value)>, drop: Option<usize>) -> Value {
    let mut m = Map::new();
    for (i, (k, v)) in fields.into_iter().enumerate() {
        if Some(i) != drop {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

fn body_of(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let values: Vec<_> = keys.iter().map(|k| near(k)).collect();
    (values, prop::option::of(0..keys.len().max(1)))
        .prop_map(move |(vals, drop)| object(keys.iter().copied().zip(vals).collect(), drop))
}

fn request() -> impl Strategy<Value = Request> {
    let post = |p: &'static str, keys: &'static [&'static str]| {
        body_of(keys).prop_map(move |b| ("POST", p.to_string(), Some(b)))
    };
    let scripted = (
        prop::sample::select(vec![
            "virtual-card",
            "standing",
            "cloud-sam",
            "hca-credential",
            "revoke-cert",
            "lost-phone",
            "no-such-event",
            "中文",
        ]),
        body_of(&[
            "person",
            "phone",
            "tokenOnly",
            "hospital",
            "suspended",
            "revoked",
            "hpc",
        ]),
    )
        .prop_map(|(e, b)| ("POST", format!("/scripted/{e}"), Some(b)));
    prop_oneof![
        1 => Just(("GET", "/readers".to_string(), None)),
        4 => post("/readers/insert", &["reader", "card", "person"]),
        2 => post("/readers/remove", &["reader"]),
        3 => post("/readers/fault", &["reader", "fault"]),
        1 => Just(("GET", "/clock".to_string(), None)),
        3 => post("/clock", &["set", "advance"]),
        3 => post("/faults", &["path", "kind", "ms"]),
        1 => Just(("DELETE", "/faults".to_string(), None)),
        1 => Just(("GET", "/dc".to_string(), None)),
        1 => Just(("POST", "/reset".to_string(), Some(json!({})))),
        4 => scripted,
        1 => prop::sample::select(vec!["/", "/readers/explode", "/%E4%B8%AD", "/dc/../reset"])
            .prop_map(|p| ("GET", p.to_string(), None)),
        1 => prop::sample::select(vec!["/readers", "/dc", "/readers/insert"])
            .prop_map(|p| ("DELETE", p.to_string(), None)),
    ]
}

struct Bench {
    http: reqwest::Client,
    base: String,
    _world: World,
    dir: std::path::PathBuf,
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn bench() -> Bench {
    let dir = std::env::temp_dir().join(format!("nhi-fuzz-control-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = WorldConfig {
        control: Some(([127, 0, 0, 1], 0).into()),
        dc: ([127, 0, 0, 1], 0).into(),
        db: dir.join("dc.db"),
        frozen_at: Some(nhi_emulator::clock::PILOT_EPOCH),
        serve_vpcd: false,
        ..WorldConfig::default()
    };
    let world = World::start(
        &cfg,
        Arc::new(Fixtures::demo().unwrap()),
        Arc::new(CardFactory::test().unwrap()),
    )
    .await
    .unwrap();
    Bench {
        http: reqwest::Client::new(),
        base: world.control_url().unwrap(),
        _world: world,
        dir,
    }
}

impl Bench {
    /// Sends one request and checks the oracle; returns (HTTP status, reply).
    async fn send(&self, (method, path, body): &Request) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut rq = match *method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url),
        };
        if let Some(b) = body {
            rq = rq.json(b);
        }
        let r = rq
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let http = r.status().as_u16();
        let text = r.text().await.unwrap();
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} {body:?}: not JSON ({e}): {text}"));
        if http >= 400 {
            let kind = v["error"].as_str().unwrap_or_default();
            assert!(
                KINDS.contains(&kind) && v["reason"].is_string(),
                "{method} {path} {body:?}: undocumented refusal HTTP {http}: {text}"
            );
            assert!(
                http < 500 || kind == "dc-reset",
                "{method} {path} {body:?}: HTTP {http} (a panic?): {text}"
            );
        } else {
            assert_eq!(http, 200, "{method} {path}: {text}");
        }
        (http, v)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_api_survives_near_valid_requests() {
    let n = if std::env::var("NHI_FUZZ_FULL").as_deref() == Ok("1") {
        500_000
    } else {
        5_000
    };
    let b = bench().await;
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]),
    );
    let gen = request();
    let mut outcomes: BTreeMap<(String, u16), usize> = BTreeMap::new();
    for _ in 0..n {
        let rq = gen.new_tree(&mut runner).unwrap().current();
        let (http, _) = b.send(&rq).await;
        let route = rq.1.split('/').take(3).collect::<Vec<_>>().join("/");
        *outcomes.entry((route, http)).or_default() += 1;
    }
    println!("control API fuzz: {n} requests, outcomes {outcomes:?}");
    // The generator reaches both sides of every route it targets.
    for route in ["/readers/insert", "/readers/fault", "/clock", "/faults"] {
        let ok = outcomes.contains_key(&(route.to_string(), 200));
        let refused = outcomes.keys().any(|(r, h)| r == route && *h >= 400);
        assert!(ok && refused, "{route}: accepted {ok}, refused {refused}");
    }

    // The bench still works.
    let (_, _) = b.send(&("POST", "/reset".into(), Some(json!({})))).await;
    let (h, v) = b
        .send(&(
            "POST",
            "/clock".into(),
            Some(json!({ "set": 1_600_000_000 })),
        ))
        .await;
    assert_eq!((h, v["unix"].as_i64()), (200, Some(1_600_000_000)), "{v}");
    let insert = json!({ "reader": "Virtual PCD 00 00", "card": "hc", "person": "A123456789" });
    let (h, v) = b
        .send(&("POST", "/readers/insert".into(), Some(insert)))
        .await;
    assert_eq!(h, 200, "{v}");
    let (_, v) = b.send(&("GET", "/readers".into(), None)).await;
    let first = &v["readers"][0];
    assert_eq!(first["card"]["kind"], "hc", "{v}");
    assert!(first["fault"].is_null(), "reset clears reader faults: {v}");
}
