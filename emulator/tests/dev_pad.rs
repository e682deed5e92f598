//! The HPC reader's PIN pad in `nhi-emu dev`: a whole dev stack (DC over HTTPS and SQLite,
//! the reference middleware over HTTPS on the in-process transport), an HPC verification
//! without a PIN in the body waits on the pad until someone types on it — through the
//! console's JSON API or the control API's `POST /pads` (`nhi-emu ctl pad`) — and a
//! cancelled or timed-out entry answers 1410.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::fixtures::Fixtures;
use nhi_emulator::reader::pin_pad::PinPad;
use nhi_emulator::world::standard_reader;
use nhi_protocol::api::path;
use serde_json::{json, Value};
use std::time::Duration;

/// How long a test waits for the middleware to ask the pad (a condition, not a sleep).
const ASKS_WITHIN: Duration = Duration::from_secs(30);

mod support;
use support::dev_stack::Bench;

/// A dev stack with the SAM verified (the HPC verification needs it first).
async fn bench(name: &str) -> Bench {
    let b = support::dev_stack::bench(&format!("pad-{name}")).await;
    for p in [path::INITIAL, path::SAM_VERIFY] {
        let v = b.web(p, json!({})).await;
        assert_eq!(v["statusCode"], "0000", "{p}: {v}");
    }
    b
}

impl Bench {
    async fn post(&self, url: String, body: Value) -> (u16, Value) {
        let r = self.http.post(url).json(&body).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
    async fn console(&self, route: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/console/api/{route}", self.dev.console.url());
        self.post(url, body).await
    }
    async fn console_get(&self, route: &str) -> Value {
        let url = format!("{}/console/api/{route}", self.dev.console.url());
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    async fn web(&self, p: &str, body: Value) -> Value {
        let url = format!("{}{p}", self.dev.middleware.url);
        let r = self.web_api.post(url).json(&body).send().await.unwrap();
        r.json().await.unwrap()
    }
    /// HPC verification with `body` on its own task: it waits while the pad does.
    fn verify_in_background(&self, body: Value) -> tokio::task::JoinHandle<Value> {
        let url = format!("{}{}", self.dev.middleware.url, path::HPC_VERIFY);
        let client = self.web_api.clone();
        tokio::spawn(async move {
            let r = client.post(url).json(&body).send().await.unwrap();
            r.json::<Value>().await.unwrap()
        })
    }
    /// The HPC reader and its pad.
    fn hpc_pad(&self) -> (String, PinPad) {
        let name = standard_reader("hpc").unwrap().name;
        let (reader, pad) = self
            .dev
            .pads
            .iter()
            .find(|(r, _)| r == name)
            .expect("dev gives the HPC reader a PIN pad");
        (reader.clone(), pad.clone())
    }
    /// Waits until the middleware has asked the pad for a PIN.
    async fn until_asked(&self, pad: &PinPad) {
        let pad = pad.clone();
        let asked = tokio::task::spawn_blocking(move || pad.wait_for_entry(ASKS_WITHIN))
            .await
            .unwrap();
        assert!(asked, "the middleware asks the pad for the PIN");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verify_without_pin_waits_until_the_pin_is_typed_on_the_console() {
    let b = bench("typed").await;
    let (reader, pad) = b.hpc_pad();
    assert_eq!(b.dev.pads.len(), 2, "the HC and the HPC reader have a pad");
    let v = b.console_get("pads").await;
    let hpc_pad = |v: &Value| {
        v["pads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["reader"] == reader.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("the page lists the HPC pad: {v}"))
    };
    assert_eq!(v["pads"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(hpc_pad(&v)["pad"]["waiting"], false, "{v}");

    let call = b.verify_in_background(json!({}));
    b.until_asked(&pad).await;
    let v = b.console_get("pads").await;
    assert_eq!(
        hpc_pad(&v)["pad"]["waiting"],
        true,
        "the page sees the pad waiting: {v}"
    );
    let waiting = v["pads"].as_array().unwrap().iter();
    assert_eq!(
        waiting.filter(|p| p["pad"]["waiting"] == true).count(),
        1,
        "the HC pad is not asking: {v}"
    );
    assert!(!call.is_finished(), "the call waits for the pad");

    // Keys one at a time, as the page's keypad sends them.
    let pin = Fixtures::demo().unwrap().hpcs[0].pin.clone();
    for (i, k) in pin.chars().enumerate() {
        let (code, v) = b
            .console("pad", json!({ "reader": reader, "keys": k.to_string() }))
            .await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["pad"]["digits"], i + 1, "{v}");
    }
    assert!(!call.is_finished(), "no OK yet");
    let (code, v) = b
        .console("pad", json!({ "reader": reader, "keys": "#" }))
        .await;
    assert_eq!(code, 200, "{v}");
    let reply = call.await.unwrap();
    assert_eq!(reply["statusCode"], "0000", "{reply}");

    let state = b.console_get("state").await;
    assert_eq!(state["middleware"]["status"]["hpc"]["mode"], 3, "{state}");
    let log = b.console_get("calls").await;
    assert_eq!(log["calls"][0]["path"], path::HPC_VERIFY, "{log}");
    assert_eq!(log["calls"][0]["statusCode"], "0000", "{log}");
    assert!(!pad.status().waiting, "the entry is over");

    // Keys with no entry in progress, on a reader without a pad, or not keys at all: refused.
    let (code, v) = b
        .console("pad", json!({ "reader": reader, "keys": "1" }))
        .await;
    assert_eq!((code, v["error"].as_str()), (409, Some("refused")), "{v}");
    let (code, v) = b
        .console("pad", json!({ "reader": "Virtual PCD 00 01", "keys": "1" }))
        .await;
    assert_eq!((code, v["error"].as_str()), (404, Some("no-reader")), "{v}");
    let (code, v) = b.console("pad", json!({ "keys": 12 })).await;
    assert_eq!(
        (code, v["error"].as_str()),
        (400, Some("bad-request")),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_or_time_out_on_the_pad_answers_1410_and_the_control_api_types_too() {
    let b = bench("ends").await;
    let (reader, pad) = b.hpc_pad();
    let pads = format!("{}/pads", b.dev.console.url());

    // Cancel through the control API (`nhi-emu ctl pad --cancel`).
    let call = b.verify_in_background(json!({ "pin": null }));
    b.until_asked(&pad).await;
    let (code, v) = b
        .post(pads.clone(), json!({ "reader": reader, "keys": "12" }))
        .await;
    assert_eq!((code, v["pad"]["digits"].as_u64()), (200, Some(2)), "{v}");
    let (code, _) = b
        .post(pads.clone(), json!({ "reader": reader, "cancel": true }))
        .await;
    assert_eq!(code, 200);
    let reply = call.await.unwrap();
    assert_eq!(reply["statusCode"], "1410", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("cancelled"),
        "{reply}"
    );

    // The time-out, on the console's pad.
    let call = b.verify_in_background(json!({ "pin": "" }));
    b.until_asked(&pad).await;
    let (code, _) = b
        .console("pad", json!({ "reader": reader, "timeout": true }))
        .await;
    assert_eq!(code, 200);
    let reply = call.await.unwrap();
    assert_eq!(reply["statusCode"], "1410", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("in time"),
        "{reply}"
    );

    // Typed through the control API: a wrong PIN is the card's refusal, not the pad's.
    let pin = Fixtures::demo().unwrap().hpcs[0].pin.clone();
    let wrong = if pin == "999999" { "888888" } else { "999999" };
    let call = b.verify_in_background(json!({}));
    b.until_asked(&pad).await;
    let (code, _) = b
        .post(
            pads,
            json!({ "reader": reader, "keys": format!("{wrong}#") }),
        )
        .await;
    assert_eq!(code, 200);
    let reply = call.await.unwrap();
    assert_ne!(reply["statusCode"], "0000", "{reply}");
    assert!(
        !reply["message"].as_str().unwrap_or("").contains("pad"),
        "the card refused the PIN: {reply}"
    );

    // And the console's own button with no PIN goes to the pad as well.
    let console_call = {
        let url = format!("{}/console/api/hpc-pin", b.dev.console.url());
        let http = b.http.clone();
        tokio::spawn(async move {
            let r = http.post(url).json(&json!({})).send().await.unwrap();
            r.json::<Value>().await.unwrap()
        })
    };
    b.until_asked(&pad).await;
    let (code, _) = b
        .console(
            "pad",
            json!({ "reader": reader, "keys": format!("{pin}#") }),
        )
        .await;
    assert_eq!(code, 200);
    let reply = console_call.await.unwrap();
    assert_eq!(reply["statusCode"], "0000", "{reply}");
}
