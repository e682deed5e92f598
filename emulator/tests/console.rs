//! The console's JSON API over real HTTP against a whole dev stack (DC over HTTPS and
//! SQLite, the reference middleware over HTTPS on the in-process transport): cards, bad
//! input, the virtual card's rotating token, faults, the call log and the status panel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::clock::Clock;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::token::TokenIssuer;
use nhi_emulator::world::WorldConfig;
use serde_json::{json, Value};
use std::sync::Arc;

const HC_READER: &str = "Virtual PCD 00 00";

mod support;
use support::dev_stack::{bench, Bench};

impl Bench {
    fn url(&self, path: &str) -> String {
        format!("{}/console/api/{path}", self.dev.console.url())
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
    async fn web(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.dev.middleware.url);
        let r = self
            .web_api
            .post(url)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }
    async fn card_in(&self, reader: &str) -> Value {
        let (_, s) = self.get("state").await;
        s["readers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reader"] == reader)
            .unwrap()["card"]
            .clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_go_in_and_out_and_bad_input_changes_nothing() {
    let b = bench("cards").await;
    let before = b.card_in(HC_READER).await;
    assert_eq!(before["kind"], "hc");
    assert_eq!(before["holder"], "王小明");

    let (code, v) = b
        .post(
            "insert",
            json!({ "reader": "no such reader", "card": "hc" }),
        )
        .await;
    assert_eq!((code, v["error"].as_str()), (404, Some("no-reader")), "{v}");
    let (code, v) = b
        .post(
            "insert",
            json!({ "reader": HC_READER, "card": "hc", "person": "Z000000000" }),
        )
        .await;
    assert_eq!((code, v["error"].as_str()), (400, Some("bad-card")), "{v}");
    assert!(v["reason"].as_str().unwrap().contains("Z000000000"), "{v}");
    let (code, v) = b
        .post("insert", json!({ "reader": HC_READER, "card": "floppy" }))
        .await;
    assert_eq!((code, v["error"].as_str()), (400, Some("bad-card")), "{v}");
    let (code, _) = b.post("swap", json!({ "reader": HC_READER })).await;
    assert_eq!(code, 400, "a swap needs a person");
    assert_eq!(
        b.card_in(HC_READER).await,
        before,
        "refusals change nothing"
    );

    let (code, v) = b
        .post(
            "swap",
            json!({ "reader": HC_READER, "person": "F221000017" }),
        )
        .await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(b.card_in(HC_READER).await["serial"], "900000000711");
    let (code, v) = b.post("yank", json!({ "reader": HC_READER })).await;
    assert_eq!((code, v["yanked"].as_str()), (200, Some("900000000711")));
    assert!(b.card_in(HC_READER).await.is_null());
    let (code, v) = b.post("yank", json!({ "reader": HC_READER })).await;
    assert_eq!((code, v["error"].as_str()), (409, Some("no-card")), "{v}");
    let (code, v) = b
        .post(
            "swap",
            json!({ "reader": HC_READER, "person": "A123456789" }),
        )
        .await;
    assert_eq!((code, v["error"].as_str()), (409, Some("no-card")), "{v}");
    let (code, _) = b
        .post(
            "insert",
            json!({ "reader": HC_READER, "card": "hc", "person": "E102000021" }),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(b.card_in(HC_READER).await["serial"], "900000000102");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_refuses_malformed_and_out_of_range_changes() {
    let b = bench("clock").await;
    let now = b.dev.world.clock.now();
    for body in [
        json!({ "set": "21 Oct 2019" }),
        json!({ "set": "2019-13-01T00:00:00Z" }),
        json!({ "advance": i64::MAX }),
        json!({ "set": "1960-01-01T00:00:00Z" }),
        json!({ "advance": "soon" }),
    ] {
        let (code, v) = b.post("clock", body.clone()).await;
        assert_eq!(code, 400, "{body} → {v}");
        assert!(v["reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");
        assert_eq!(b.dev.world.clock.now(), now, "{body} moved the clock");
    }
    let (code, v) = b
        .post(
            "clock",
            json!({ "set": "2019-10-21T09:00:00+08:00", "advance": 30 }),
        )
        .await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["unix"], 1_571_619_630);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_shows_a_dc_token_that_verifies_and_rotates_every_minute() {
    let b = bench("phone").await;
    let (code, first) = b.get("phone?person=F221000017").await;
    assert_eq!(code, 200, "{first}");
    let token = first["token"].as_str().unwrap();
    let verifier = TokenIssuer::test().unwrap().verifier().unwrap();
    let payload = verifier.verify(token, b.dev.world.clock.now()).unwrap();
    assert_eq!(payload.card_no.to_string(), "900000000711");
    assert!(first["qrSvg"].as_str().unwrap().starts_with("<?xml"));
    assert_eq!(first["secondsLeft"], 60);

    b.dev.world.clock.advance(59);
    let (_, same) = b.get("phone?person=F221000017").await;
    assert_eq!(same["token"], first["token"], "the same code for a minute");
    assert_eq!(same["secondsLeft"], 1);
    b.dev.world.clock.advance(1);
    let (_, next) = b.get("phone?person=F221000017").await;
    assert_ne!(next["token"], first["token"], "a new code after 60 s");
    assert_eq!(next["secondsLeft"], 60);

    // A DC reset forgets the phone: the next code comes all the same.
    b.dev.world.dc.dc.reset(&Fixtures::demo().unwrap()).unwrap();
    b.dev.world.clock.advance(60);
    let (code, after_reset) = b.get("phone?person=F221000017").await;
    assert_eq!(code, 200, "{after_reset}");
    assert!(verifier
        .verify(
            after_reset["token"].as_str().unwrap(),
            b.dev.world.clock.now()
        )
        .is_ok());

    let (code, v) = b.get("phone?person=nobody").await;
    assert_eq!((code, v["error"].as_str()), (404, Some("no-person")), "{v}");
    let (code, _) = b.get("phone").await;
    assert_eq!(code, 400);
    let photo = b
        .http
        .get(b.url("photo.svg?person=F221000017"))
        .send()
        .await
        .unwrap();
    assert_eq!(photo.headers()["content-type"], "image/svg+xml");
    assert!(photo.text().await.unwrap().contains("placeholder"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_the_call_log_and_the_status_panel_follow_the_web_api() {
    let b = bench("calls").await;
    let (_, s) = b.get("state").await;
    assert_eq!(s["middleware"]["status"]["initialized"], false, "{s}");
    let (_, log) = b.get("calls").await;
    assert_eq!(log["calls"], json!([]), "reading the status logs no call");

    let init = b.web("/api/common/v1/Initial").await;
    assert_eq!(init["statusCode"], "0000", "{init}");
    let (_, s) = b.get("state").await;
    assert_eq!(s["middleware"]["status"]["initialized"], true, "{s}");

    let (code, v) = b.post("faults", json!({ "kind": "meteor" })).await;
    assert_eq!((code, v["error"].as_str()), (400, Some("bad-fault")), "{v}");
    let (code, v) = b.post("faults", json!({ "kind": "refuse" })).await;
    assert_eq!(code, 200, "{v}");
    let sam = b.web("/api/sam/v1/Verification").await;
    assert_eq!(sam["statusCode"], "1700", "{sam}");

    let (_, log) = b.get("calls").await;
    let calls = log["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["path"], "/api/sam/v1/Verification", "newest first");
    assert_eq!(calls[0]["method"], "POST");
    assert_eq!(calls[0]["statusCode"], "1700");
    assert_eq!(calls[1]["path"], "/api/common/v1/Initial");
    let last = log["last"].as_u64().unwrap();
    let (_, none) = b.get(&format!("calls?after={last}")).await;
    assert_eq!(none["calls"], json!([]));
    let (code, _) = b.get("calls?after=-1").await;
    assert_eq!(code, 400);

    let r = b
        .http
        .delete(b.url("faults"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(r["faults"], json!([]));
    let sam = b.web("/api/sam/v1/Verification").await;
    assert_eq!(sam["statusCode"], "0000", "{sam}");

    // The PIN pad: a wrong PIN is refused, the holder's PIN takes the HPC to mode 3.
    let pin = Fixtures::demo().unwrap().hpcs[0].pin.clone();
    let wrong = if pin == "999999" { "888888" } else { "999999" };
    let (_, v) = b.post("hpc-pin", json!({ "pin": wrong })).await;
    assert_ne!(v["statusCode"], "0000", "a wrong PIN is refused: {v}");
    let (_, v) = b.post("hpc-pin", json!({ "pin": pin })).await;
    assert_eq!(v["statusCode"], "0000", "{v}");
    let (_, s) = b.get("state").await;
    assert_eq!(s["middleware"]["status"]["hpc"]["mode"], 3, "{s}");
    let (_, log) = b.get(&format!("calls?after={last}")).await;
    assert_eq!(log["calls"][0]["path"], "/api/hpc/v1/Verification/Hpc");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_the_console_without_a_middleware() {
    let dir = std::env::temp_dir().join(format!("nhi-console-up-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = WorldConfig {
        control: Some(([127, 0, 0, 1], 0).into()),
        dc: ([127, 0, 0, 1], 0).into(),
        db: dir.join("dc.db"),
        slot: WorldConfig::standard_slots(true),
        com: Vec::new(),
        serve_vpcd: false,
        ..WorldConfig::default()
    };
    let w = nhi_emulator::world::World::start(
        &cfg,
        Arc::new(Fixtures::demo().unwrap()),
        Arc::new(CardFactory::test().unwrap()),
    )
    .await
    .unwrap();
    let base = w.control_url().unwrap();
    let page = reqwest::get(format!("{base}/console/")).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/console/console.js") && html.contains("讀卡機"));
    let js = reqwest::get(format!("{base}/console/console.js"))
        .await
        .unwrap();
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let s: Value = reqwest::get(format!("{base}/console/api/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(s["middleware"].is_null());
    assert_eq!(s["readers"].as_array().unwrap().len(), 4);
    let (_, v) = (
        0,
        reqwest::Client::new()
            .post(format!("{base}/console/api/hpc-pin"))
            .json(&json!({ "pin": "123456" }))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap(),
    );
    assert_eq!(v["error"], "no-middleware");
    drop(w);
    let _ = std::fs::remove_dir_all(&dir);
}
