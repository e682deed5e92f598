//! The HC PIN and the HPC unlock typed on the readers' PIN pads in `nhi-emu dev` (no
//! pcscd): the dev stack gives the HC reader a pad too; `POST`/`PUT Hc/Pin` without a PIN
//! ask it (VERIFY / MODIFY PIN DIRECT), `PUT Hpc/Pin` without PUK and new PIN asks the HPC
//! reader's pad for the PUK and the new PIN twice (RESET RETRY COUNTER). The "person" arms
//! the pad before each call (`POST /pads` with `next`), as scenario steps do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::fixtures::Fixtures;
use nhi_emulator::world::standard_reader;
use nhi_protocol::api::path;
use serde_json::{json, Value};

mod support;
use support::dev_stack::Bench;

/// A dev stack with the SAM verified.
async fn bench(name: &str) -> Bench {
    let b = support::dev_stack::bench(&format!("pads-{name}")).await;
    for p in [path::INITIAL, path::SAM_VERIFY] {
        let (_, v) = call(&b, "POST", p, json!({})).await;
        assert_eq!(v["statusCode"], "0000", "{p}: {v}");
    }
    b
}

/// A Web API call: its status code and reply.
async fn call(b: &Bench, method: &str, p: &str, body: Value) -> (String, Value) {
    let url = format!("{}{p}", b.dev.middleware.url);
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = b.web_api.request(m, url).json(&body).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    (v["statusCode"].as_str().unwrap_or("").to_string(), v)
}

/// The person at the pad of the `role` reader will type `keys` (or cancel) when it next
/// asks: `POST /pads` with `next`, as `nhi-emu ctl pad --next` does.
async fn arm(b: &Bench, role: &str, action: Value) {
    let reader = standard_reader(role).unwrap().name;
    let mut body = json!({ "reader": reader, "next": true });
    for (k, v) in action.as_object().unwrap() {
        body[k] = v.clone();
    }
    let url = format!("{}/pads", b.dev.console.url());
    let r = b.http.post(url).json(&body).send().await.unwrap();
    let code = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!(code, 200, "arming the {role} pad: {v}");
}

/// The HC's PIN state (`GET Hc/Pin`).
async fn hc_pin_state(b: &Bench) -> Value {
    let (code, v) = call(b, "GET", path::HC_PIN, json!({})).await;
    assert_eq!(code, "0000", "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hc_pin_is_set_and_verified_on_the_hc_readers_pad() {
    let b = bench("hc").await;
    let names: Vec<&str> = b.dev.pads.iter().map(|(r, _)| r.as_str()).collect();
    for role in ["hc", "hpc"] {
        let name = standard_reader(role).unwrap().name;
        assert!(names.contains(&name), "{role} reader has a pad: {names:?}");
    }
    assert_eq!(names.len(), 2, "the SAM reader has none: {names:?}");

    // The first demo person's HC has no PIN: its holder sets one on the pad (the new PIN
    // and its confirmation); a confirmation that differs sets nothing.
    let fixtures = Fixtures::demo().unwrap();
    assert!(
        fixtures.people[0].pin.is_none(),
        "the default HC has no PIN"
    );
    arm(&b, "hc", json!({ "keys": "135790#135791#" })).await;
    let (code, v) = call(&b, "PUT", path::HC_PIN, json!({})).await;
    assert_eq!(code, "1514", "a confirmation that differs: {v}");
    assert!(v["message"].as_str().unwrap().contains("differ"), "{v}");
    assert_eq!(hc_pin_state(&b).await["pinSet"], false);
    arm(&b, "hc", json!({ "keys": "135790#135790#" })).await;
    let (code, v) = call(&b, "PUT", path::HC_PIN, json!({ "pin": null })).await;
    assert_eq!(code, "0000", "{v}");
    let st = hc_pin_state(&b).await;
    assert_eq!(
        (&st["pinSet"], &st["pinVerified"]),
        (&json!(true), &json!(true)),
        "{st}"
    );

    // An HC with a PIN, not verified yet: verified on the pad.
    let person = fixtures.people.iter().find(|p| p.pin.is_some()).unwrap();
    let pin = person.pin.clone().unwrap();
    let url = format!("{}/readers/insert", b.dev.console.url());
    let reader = standard_reader("hc").unwrap().name;
    let body = json!({ "reader": reader, "card": "hc", "person": person.id_no });
    let r = b.http.post(url).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{:?}", r.text().await);
    let st = hc_pin_state(&b).await;
    assert_eq!(
        (&st["pinSet"], &st["pinVerified"]),
        (&json!(true), &json!(false)),
        "{st}"
    );

    // Cancel and time-out: 1514, no try used.
    arm(&b, "hc", json!({ "keys": "12", "cancel": true })).await;
    let (code, v) = call(&b, "POST", path::HC_PIN, json!({})).await;
    assert_eq!(code, "1514", "{v}");
    assert!(v["message"].as_str().unwrap().contains("cancelled"), "{v}");
    arm(&b, "hc", json!({ "timeout": true })).await;
    let (code, v) = call(&b, "POST", path::HC_PIN, json!({ "pin": "" })).await;
    assert_eq!(code, "1514", "{v}");
    assert!(v["message"].as_str().unwrap().contains("in time"), "{v}");
    assert_eq!(hc_pin_state(&b).await["triesLeft"], 3, "no try used");

    // A wrong PIN typed on the pad is the card's refusal: a try used, the tries left told.
    let wrong = if pin == "999999" { "888888" } else { "999999" };
    arm(&b, "hc", json!({ "keys": format!("{wrong}#") })).await;
    let (code, v) = call(&b, "POST", path::HC_PIN, json!({})).await;
    assert_eq!(code, "1514", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("2 tries left"),
        "{v}"
    );
    assert_eq!(hc_pin_state(&b).await["triesLeft"], 2);

    // The right PIN: verified.
    arm(&b, "hc", json!({ "keys": format!("{pin}#") })).await;
    let (code, v) = call(&b, "POST", path::HC_PIN, json!({})).await;
    assert_eq!(code, "0000", "{v}");
    let st = hc_pin_state(&b).await;
    assert_eq!(
        (&st["pinVerified"], &st["triesLeft"]),
        (&json!(true), &json!(3)),
        "{st}"
    );

    // Verified: a new PIN typed twice on the pad replaces it.
    arm(&b, "hc", json!({ "keys": "24681357#24681357#" })).await;
    let (code, v) = call(&b, "PUT", path::HC_PIN, json!({})).await;
    assert_eq!(code, "0000", "{v}");
    // Already verified, a body without a PIN is not sent to the pad: 1704 as before.
    let (code, v) = call(&b, "POST", path::HC_PIN, json!({})).await;
    assert_eq!(code, "1704", "{v}");
    assert!(!b.dev.pads.iter().any(|(_, p)| p.status().waiting));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_hpc_is_unlocked_with_the_puk_typed_on_its_pad() {
    let b = bench("unlock").await;
    let doctor = &Fixtures::demo().unwrap().hpcs[0];
    let wrong = if doctor.pin == "111111" {
        "222222"
    } else {
        "111111"
    };
    for _ in 0..3 {
        let (code, v) = call(&b, "POST", path::HPC_VERIFY, json!({ "pin": wrong })).await;
        assert_eq!(code, "1410", "{v}");
    }
    let (code, v) = call(&b, "POST", path::HPC_VERIFY, json!({ "pin": doctor.pin })).await;
    assert_eq!(code, "1410", "locked: {v}");

    // The pad's own ends: cancel, time-out, a confirmation that differs, a new PIN too
    // long. Nothing reaches the card.
    for (action, says) in [
        (json!({ "keys": "9", "cancel": true }), "cancelled"),
        (json!({ "timeout": true }), "in time"),
        (
            json!({ "keys": format!("{}#246810#246811#", doctor.puk) }),
            "differ",
        ),
        (
            json!({ "keys": format!("{}#123456789#123456789#", doctor.puk) }),
            "digits",
        ),
    ] {
        arm(&b, "hpc", action).await;
        let (code, v) = call(&b, "PUT", path::HPC_PIN, json!({})).await;
        assert_eq!(code, "1410", "{v}");
        assert!(v["message"].as_str().unwrap().contains(says), "{says}: {v}");
    }

    // A wrong PUK is the card's refusal: a PUK try used.
    let bad_puk = if doctor.puk == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    arm(
        &b,
        "hpc",
        json!({ "keys": format!("{bad_puk}#246810#246810#") }),
    )
    .await;
    let (code, v) = call(
        &b,
        "PUT",
        path::HPC_PIN,
        json!({ "puk": "", "newPin": null }),
    )
    .await;
    assert_eq!(code, "1410", "{v}");
    assert!(v["message"].as_str().unwrap().contains("wrong PUK"), "{v}");
    let tries = v["message"].as_str().unwrap().to_string();
    // A PUK of fewer than 8 digits is within the pad's one digit range (the PIN's, 6–8:
    // part 10 has none for the current code alone), so it reaches the card as a wrong PUK.
    arm(&b, "hpc", json!({ "keys": "999999#246810#246810#" })).await;
    let (code, v) = call(&b, "PUT", path::HPC_PIN, json!({})).await;
    assert_eq!(code, "1410", "{v}");
    assert!(v["message"].as_str().unwrap().contains("wrong PUK"), "{v}");
    assert_ne!(
        v["message"].as_str().unwrap(),
        tries,
        "one more PUK try used"
    );

    // Only one of the two left out: refused as before, the pad is not asked.
    let (code, v) = call(&b, "PUT", path::HPC_PIN, json!({ "newPin": "246810" })).await;
    assert_eq!(code, "1704", "{v}");

    // The PUK and the new PIN twice: unlocked, the new PIN verifies, the old one does not.
    arm(
        &b,
        "hpc",
        json!({ "keys": format!("{}#246810#246810#", doctor.puk) }),
    )
    .await;
    let (code, v) = call(&b, "PUT", path::HPC_PIN, json!({})).await;
    assert_eq!(code, "0000", "{v}");
    let (code, v) = call(&b, "POST", path::HPC_VERIFY, json!({ "pin": doctor.pin })).await;
    assert_eq!(code, "1410", "the old PIN is gone: {v}");
    let (code, v) = call(&b, "POST", path::HPC_VERIFY, json!({ "pin": "246810" })).await;
    assert_eq!(code, "0000", "{v}");
}
