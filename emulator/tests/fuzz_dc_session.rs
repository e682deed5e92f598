#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Stateful fuzzing of every DC endpoint behind a real SAM session: random bodies never
//! hold a valid `samSession` or SAM signature, so these bodies start valid — the session
//! of a SAM verified through the card model and the SAM signature fields of an HIS
//! request — and mutate the other fields (boundary lengths, multibyte and Big5 edge
//! characters, wrong types, huge and negative numbers), sometimes the session itself.
//! Then the DC's clock jumps backwards, and the DC must still answer with well-formed
//! replies and hold the session. CI: 10 000 requests; full (`NHI_FUZZ_FULL=1`): 1 000 000.
//! Oracle: no HTTP 5xx (a panic is answered HTTP 500), JSON with a known 4-digit code.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_emulator::card::{Card, Sam};
use nhi_emulator::clock::{VirtualClock, PILOT_EPOCH};
use nhi_emulator::dc::{self, DcConfig};
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::dc::msg::{SamChallengeReply, SamVerifyReply};
use nhi_protocol::dc::{path, signature_input};
use nhi_protocol::StatusCode;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Instant;

const SAM_ID: &str = "901000000047";
const HOSPITAL: &str = "7777777777";

/// Fields the DC's messages carry.
const FIELDS: &[&str] = &[
    "phoneId",
    "cardNo",
    "idNo",
    "hcId",
    "hpcId",
    "cardId",
    "token",
    "credential",
    "transferCode",
    "certificate",
    "specialCode",
    "requester",
    "reason",
    "requestId",
    "approver",
    "serial",
    "deviceId",
    "data",
    "photoCheck",
    "counterCheck",
    "uses",
];

const EDGE: &[&str] = &[
    "\u{3000}", "一", "龘", "碁", "銹", "𠀀", "😀", "\u{FFFD}", "\u{0}", "中", "é",
];

fn near_value() -> impl Strategy<Value = Value> {
    let lens = prop::sample::select(vec![0usize, 1, 9, 10, 11, 12, 13, 22, 256, 4097]);
    let digits = lens.prop_map(|n| "A123456789".chars().cycle().take(n).collect::<String>());
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
        3 => digits.prop_map(Value::String),
        3 => with_edge.prop_map(Value::String),
        1 => prop::sample::select(vec![
            json!(null), json!(true), json!([]), json!({}), json!(-1), json!(i64::MIN),
            json!(u64::MAX), json!(1e308), json!("900000000711"), json!("A123456789"),
        ]),
    ]
}

/// Session and signature fields kept valid, or one of them mutated; plus mutated others.
fn body(session: String, auth: Value) -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(prop::sample::select(FIELDS), near_value(), 0..5),
        0u8..8,
        near_value(),
    )
        .prop_map(move |(fields, keep, bad)| {
            let mut m = auth.as_object().unwrap().clone();
            m.insert("samSession".into(), json!(session));
            match keep {
                0 => {
                    m.insert("samSession".into(), bad);
                }
                1 => {
                    m.insert("signature".into(), bad);
                }
                2 => {
                    m.remove("samSession");
                }
                _ => {}
            }
            for (k, v) in fields {
                m.insert(k.to_string(), v);
            }
            Value::Object(m)
        })
}

struct Dc {
    http: reqwest::Client,
    base: String,
    clock: VirtualClock,
    _run: dc::Running,
    dir: std::path::PathBuf,
}

impl Drop for Dc {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start() -> Dc {
    let dir = std::env::temp_dir().join(format!("nhi-dc-fuzz-session-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let clock = VirtualClock::at(PILOT_EPOCH);
    let l = dc::Launch {
        listen: ([127, 0, 0, 1], 0).into(),
        db: dir.join("dc.db"),
        tls: true,
        seed: 1,
    };
    let run = dc::launch(
        &l,
        &Fixtures::demo().unwrap(),
        clock.clone(),
        DcConfig::default(),
    )
    .await
    .unwrap();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(run.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    Dc {
        http,
        base: run.server.url(),
        clock,
        _run: run,
        dir,
    }
}

impl Dc {
    /// Posts and checks the oracle; returns the status code.
    async fn post(&self, p: &str, body: &Value) -> String {
        let r = self
            .http
            .post(format!("{}{p}", self.base))
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{p}: {e}"));
        let http = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert!(
            http == 200 || (400..500).contains(&http),
            "{p}: HTTP {http} (a panic?) for {body}: {text}"
        );
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p}: not JSON ({e}): {text}"));
        let code = v["statusCode"].as_str().unwrap_or_default().to_string();
        assert!(
            code.len() == 4 && StatusCode::from_code(&code).is_some(),
            "{p}: statusCode {code:?} for {body}"
        );
        code
    }

    /// A SAM session through the card model, as the middleware does it.
    async fn session(&self, sam: &mut Sam) -> String {
        let apdu = nhi_protocol::apdu::build;
        sam.handle(&apdu(0, 0xA4, 4, 0, nhi_protocol::apdu::AID_SAM, None));
        let ch = self
            .http
            .post(format!("{}{}", self.base, path::SAM_CHALLENGE))
            .json(&json!({ "samId": SAM_ID, "hospitalId": HOSPITAL }))
            .send()
            .await
            .unwrap();
        let ch: SamChallengeReply = ch.json().await.unwrap();
        let r = sam.handle(&apdu(
            0x80,
            0x88,
            0,
            0,
            &B64.decode(&ch.dc_random).unwrap(),
            Some(0),
        ));
        let v = self
            .http
            .post(format!("{}{}", self.base, path::SAM_VERIFY))
            .json(&json!({ "challengeId": ch.challenge_id, "samRandom": B64.encode(&r[..8]), "samMac": B64.encode(&r[8..40]) }))
            .send()
            .await
            .unwrap();
        let v: SamVerifyReply = v.json().await.unwrap();
        let proof = B64.decode(&v.proof).unwrap();
        assert_eq!(
            &sam.handle(&apdu(0x80, 0x82, 0, 0, &proof, None))[..],
            &[0x90, 0]
        );
        v.sam_session
    }
}

/// The SAM signature fields of an HIS request (service type 01).
fn sam_auth(sam: &mut Sam) -> Value {
    let cr = [7u8; 8];
    let data = signature_input(&cr, "01", HOSPITAL, SAM_ID, None);
    let r = sam.handle(&nhi_protocol::apdu::build_extended(
        0x80,
        0x2A,
        0x9E,
        0x9A,
        &data,
        Some(0),
    ));
    json!({ "samId": SAM_ID, "hospitalId": HOSPITAL, "clientRandom": B64.encode(cr), "serviceType": "01", "signature": B64.encode(&r[..256]) })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dc_endpoint_survives_mutations_behind_a_real_sam_session() {
    let n = if std::env::var("NHI_FUZZ_FULL").as_deref() == Ok("1") {
        1_000_000
    } else {
        10_000
    };
    let dc = start().await;
    let f = Fixtures::demo().unwrap();
    let mut sam = CardFactory::test()
        .unwrap()
        .sam(f.hospital(HOSPITAL).unwrap())
        .unwrap();
    let session = dc.session(&mut sam).await;
    let auth = sam_auth(&mut sam);
    let strat = (0..path::ALL.len(), body(session.clone(), auth.clone()));
    let mut r = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]),
    );
    let mut pairs = BTreeSet::new();
    let t = Instant::now();
    for i in 0..n {
        // Halfway, the DC's clock jumps back a day (NTP step, VM restore).
        if i == n / 2 {
            dc.clock.advance(-86_400);
        }
        let (k, b) = strat.new_tree(&mut r).unwrap().current();
        let code = dc.post(path::ALL[k], &b).await;
        pairs.insert((path::ALL[k], code));
    }
    println!(
        "DC session fuzz: {n} requests, {:?}, {} distinct (endpoint, status) pairs",
        t.elapsed(),
        pairs.len()
    );
    for (p, c) in &pairs {
        println!("  {p} {c}");
    }
    // Still answering after the clock jump: a fresh challenge.
    let x = dc
        .post(
            path::SAM_CHALLENGE,
            &json!({ "samId": SAM_ID, "hospitalId": HOSPITAL }),
        )
        .await;
    assert_eq!(x, StatusCode::Success.code());
    // Reached past the session check: some endpoint answered other than "no session".
    assert!(pairs.len() > path::ALL.len(), "{pairs:?}");
}
