#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
//! The structure-aware generators shared by the fuzz tests: near-valid bodies shaped after
//! the endpoint table, cloud-SAM file names built by their layout, and the wire encoding
//! that adds what serde cannot build (a lone surrogate, an invalid UTF-8 byte).

use nhi_protocol::api::{Endpoint, ENDPOINTS};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

/// Characters at the edges: Big5's first and last common ideographs and symbols, ones
/// outside Big5, a 4-byte one, controls, a replacement char, a zero-width space.
pub const EDGE: &[&str] = &[
    "\u{3000}", "一", "龘", "齾", "碁", "銹", "裏", "\u{2550}", "€", "é", "𠀀", "😀", "\u{FFFD}",
    "\u{0}", "\u{7f}", "\u{200B}", "中",
];

/// Placeholders replaced in the JSON text by escapes serde cannot build as a value.
const LONE_SURROGATE: &str = "@@LONE@@";
const BAD_UTF8: &str = "@@BADUTF8@@";

/// A string near a valid field value: digits of boundary lengths, with edge characters
/// inserted or substituted, or a malformed escape.
pub fn near_string() -> impl Strategy<Value = String> {
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
pub fn field_value() -> impl Strategy<Value = Value> {
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
/// Half the time the character is placed across the field boundary at byte 10, where a
/// parser that slices by byte offsets breaks.
pub fn cloud_sam_name() -> BoxedStrategy<String> {
    (
        0usize..22,
        any::<bool>(),
        any::<prop::sample::Index>(),
        prop::sample::select(EDGE),
        any::<bool>(),
    )
        .prop_map(|(anywhere, across, i, c, same_len)| {
            let stem = "7777777777901000000047";
            let at = if across && c.len() > 1 {
                9 - i.index(c.len() - 1)
            } else {
                anywhere
            };
            let end = if same_len {
                (at + c.len()).min(22)
            } else {
                at + 1
            };
            format!("{}{c}{}.SAM", &stem[..at], &stem[end..])
        })
        .boxed()
}

/// One mutated request: an endpoint of the table, at random, and a body shaped after it.
pub fn request(r: &mut TestRunner) -> (&'static Endpoint, Vec<u8>) {
    let e = &ENDPOINTS[(0..ENDPOINTS.len()).new_tree(r).unwrap().current()];
    let b = body_for(e).new_tree(r).unwrap().current();
    (e, wire(&b))
}

/// A seeded runner, so a CI run is reproducible.
pub fn runner(seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// `NHI_FUZZ_FULL=1`: the full run (100× the CI inputs).
pub fn full() -> bool {
    std::env::var("NHI_FUZZ_FULL").as_deref() == Ok("1")
}

/// Middleware requests per CI run (each fuzz target against the middleware).
pub const CI_REQUESTS: usize = 9_000;

/// Sends one request; the HTTP status and the reply text.
pub async fn send_raw(
    http: &reqwest::Client,
    base: &str,
    e: &Endpoint,
    body: Vec<u8>,
) -> (u16, String) {
    let m = reqwest::Method::from_bytes(e.method.as_str().as_bytes()).unwrap();
    let resp = http
        .request(m, format!("{base}{}", e.path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|err| panic!("{} {}: {err}", e.method, e.path));
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// An HTTPS client that trusts the world's test CA.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .use_rustls_tls()
        .build()
        .unwrap()
}
