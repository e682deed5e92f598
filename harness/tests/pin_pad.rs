#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The HPC PIN typed on its dedicated reader's PIN pad (seed 004), end to end over real
//! pcscd through nhi-ifd: the reference middleware asks the pad (PC/SC v2 part 10 VERIFY
//! PIN DIRECT over `SCardControl`) when `Verification/Hpc` carries no PIN, and a "person"
//! types on the emulated pad once it shows the prompt. The pcscd test is skipped unless
//! NHI_PCSC_TESTS=1 (after `bash ci/setup-pcsc`).

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::ifd_pin::{PadAction, PinPad};
use nhi_harness::world::{TransportKind, World, WorldOptions};
use nhi_protocol::api::path;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DOCTOR: &str = "100000291508";

/// The ifd tests serve the same fixed reader ports: one at a time.
static READERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn world(transport: TransportKind) -> (World, String) {
    let f = Fixtures::demo().unwrap();
    let factory = Arc::new(CardFactory::test().unwrap());
    let o = WorldOptions {
        transport,
        ..WorldOptions::default()
    };
    let w = World::start(&f, factory.clone(), &o).await.unwrap();
    let sam = factory.sam(f.hospital("7777777777").unwrap()).unwrap();
    w.insert(&w.slots.sam, Box::new(sam)).await.unwrap();
    let doctor = f.hpc(DOCTOR).unwrap();
    let hpc = factory.hpc(doctor, 1).unwrap();
    w.insert(w.slot("hpc").unwrap(), Box::new(hpc))
        .await
        .unwrap();
    for p in [path::INITIAL, path::SAM_VERIFY] {
        let x = w.sut.call("POST", p, Some(json!({}))).await;
        assert_eq!(x.status.as_deref(), Some("0000"), "{p}: {:?}", x.reply);
    }
    (w, doctor.pin.clone())
}

async fn hpc_mode(w: &World) -> Value {
    let s = w.sut.call("GET", path::STATUS, None).await;
    assert_eq!(s.status.as_deref(), Some("0000"), "{:?}", s.reply);
    s.reply["hpc"]["mode"].clone()
}

/// Sends `Verification/Hpc` with `body`; once the pad shows its prompt (its `waiting`
/// state, as a person sees it), `act` presses keys on it. Returns (status, message).
async fn verify_on_pad(
    w: &World,
    body: Value,
    act: impl FnOnce(&PinPad) + Send + 'static,
) -> (String, String) {
    let pad = w
        .pin_pad("hpc")
        .expect("the HPC reader has a PIN pad")
        .clone();
    assert!(!pad.status().waiting, "no entry before the call");
    let person = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !pad.status().waiting {
            assert!(Instant::now() < deadline, "the pad never asked for a PIN");
            std::thread::sleep(Duration::from_millis(5));
        }
        act(&pad);
    });
    let x = w.sut.call("POST", path::HPC_VERIFY, Some(body)).await;
    person.join().unwrap();
    (
        x.status.unwrap_or_default(),
        x.reply["message"].as_str().unwrap_or_default().to_string(),
    )
}

fn typed(pin: &str) -> impl FnOnce(&PinPad) + Send + 'static {
    let keys = format!("{pin}#");
    move |p: &PinPad| {
        p.keys(&keys).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hpc_pin_on_the_dedicated_readers_pad() {
    if std::env::var("NHI_PCSC_TESTS").as_deref() != Ok("1") {
        eprintln!("SKIPPED: HPC PIN on the PIN pad over nhi-ifd (NHI_PCSC_TESTS=1 after `bash ci/setup-pcsc`)");
        return;
    }
    let _one_at_a_time = READERS.lock().await;
    let (w, pin) = world(TransportKind::Ifd).await;

    // Cancel and time-out: 1410 without a try used, the HPC stays in mode 2.
    let (code, msg) = verify_on_pad(&w, json!({}), |p| {
        p.keys("12").unwrap();
        p.cancel().unwrap();
    })
    .await;
    assert_eq!(code, "1410", "{msg}");
    assert!(msg.contains("cancelled"), "{msg}");
    let (code, msg) = verify_on_pad(&w, json!({ "pin": "" }), |p| {
        p.time_out().unwrap();
    })
    .await;
    assert_eq!(code, "1410", "{msg}");
    assert!(msg.contains("in time"), "{msg}");
    assert_eq!(hpc_mode(&w).await, 2);

    // A wrong PIN uses a try (the card's answer, as for a PIN in the body).
    let (code, msg) = verify_on_pad(&w, json!({}), typed("111111")).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("1410", "wrong PIN, 2 tries left")
    );
    assert_eq!(hpc_mode(&w).await, 2);

    // The right PIN: mode 3, and the HPC signs.
    let (code, msg) = verify_on_pad(&w, json!({ "pin": null }), typed(&pin)).await;
    assert_eq!(code, "0000", "{msg}");
    assert_eq!(hpc_mode(&w).await, 3);
    let s = w
        .sut
        .call(
            "POST",
            path::HPC_SIGNATURE,
            Some(json!({ "serviceType": "01" })),
        )
        .await;
    assert_eq!(s.status.as_deref(), Some("0000"), "{:?}", s.reply);

    // Logged out, three wrong PINs on the pad lock the card: the right one no longer works.
    let x = w.sut.call("DELETE", path::HPC_LOGOUT, None).await;
    assert_eq!(x.status.as_deref(), Some("0000"), "{:?}", x.reply);
    for left in [2, 1] {
        let (code, msg) = verify_on_pad(&w, json!({}), typed("111111")).await;
        assert_eq!(code, "1410");
        assert_eq!(msg, format!("wrong PIN, {left} tries left"));
    }
    for keys in ["111111", pin.as_str()] {
        let (code, msg) = verify_on_pad(&w, json!({}), typed(keys)).await;
        assert_eq!(code, "1410", "{msg}");
        assert!(msg.contains("blocked"), "{msg}");
    }
    assert_ne!(hpc_mode(&w).await, 3);
}

/// Arms `actions` on the HPC reader's pad (done as soon as the pad asks, as a person who
/// knows what to type does), then sends `method path` with `body`: (status, message).
async fn armed_call(
    w: &World,
    actions: &[PadAction],
    method: &str,
    p: &str,
    body: Value,
) -> (String, String) {
    let pad = w.pin_pad("hpc").expect("the HPC reader has a PIN pad");
    for a in actions {
        assert!(pad.arm(a.clone()).unwrap().armed);
    }
    let x = w.sut.call(method, p, Some(body)).await;
    assert!(!pad.status().armed, "{method} {p}: the pad was never asked");
    (
        x.status.unwrap_or_default(),
        x.reply["message"].as_str().unwrap_or_default().to_string(),
    )
}

fn keys(k: &str) -> PadAction {
    PadAction::Keys(k.into())
}

/// `POST Hpc/Pin` without `newPin` asks the pad for the new PIN and its confirmation
/// (PC/SC v2 part 10 MODIFY PIN DIRECT); the current PIN is the one verified before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hpc_pin_change_on_the_dedicated_readers_pad() {
    if std::env::var("NHI_PCSC_TESTS").as_deref() != Ok("1") {
        eprintln!("SKIPPED: HPC PIN change on the PIN pad over nhi-ifd (NHI_PCSC_TESTS=1 after `bash ci/setup-pcsc`)");
        return;
    }
    let _one_at_a_time = READERS.lock().await;
    let (w, pin) = world(TransportKind::Ifd).await;
    let w = &w;
    let verify = |k: String| async move {
        armed_call(w, &[keys(&k)], "POST", path::HPC_VERIFY, json!({})).await
    };

    // Wrong current PIN: the verification fails, and a change is refused by the mode
    // rules (HPC not in mode 3) before the pad is asked.
    let (code, msg) = verify("111111#".into()).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("1410", "wrong PIN, 2 tries left")
    );
    let pad = w.pin_pad("hpc").unwrap();
    pad.arm(keys("654321#654321#")).unwrap();
    let x = w.sut.call("POST", path::HPC_PIN, Some(json!({}))).await;
    assert_eq!(x.status.as_deref(), Some("1402"), "{:?}", x.reply);
    assert!(
        pad.status().armed,
        "the pad was asked without a verified PIN"
    );
    pad.disarm();
    let (code, msg) = verify(format!("{pin}#")).await;
    assert_eq!(code, "0000", "{msg}");

    // A confirmation that differs, a cancel, a time-out and a too-short PIN end on the
    // pad (1410) and leave the PIN unchanged.
    let change = |actions: Vec<PadAction>| async move {
        armed_call(w, &actions, "POST", path::HPC_PIN, json!({})).await
    };
    let (code, msg) = change(vec![keys("654321#654320#")]).await;
    assert_eq!(code, "1410", "{msg}");
    assert!(msg.contains("differ"), "{msg}");
    let (code, msg) = change(vec![keys("6543"), PadAction::Cancel]).await;
    assert_eq!(code, "1410", "{msg}");
    assert!(msg.contains("cancelled"), "{msg}");
    let (code, msg) = change(vec![PadAction::TimeOut]).await;
    assert_eq!(code, "1410", "{msg}");
    assert!(msg.contains("in time"), "{msg}");
    let (code, msg) = change(vec![keys("123#123#")]).await;
    assert_eq!(code, "1410", "{msg}");
    assert!(msg.contains("6–8 digits"), "{msg}");
    assert_eq!(
        hpc_mode(w).await,
        3,
        "a failed change keeps the verification"
    );

    // The new PIN, confirmed: the card takes it; a PIN in the body still works as before.
    let (code, msg) = change(vec![keys("65432109#65432109#")]).await;
    assert_eq!(code, "0000", "{msg}");
    let x = w.sut.call("DELETE", path::HPC_LOGOUT, None).await;
    assert_eq!(x.status.as_deref(), Some("0000"), "{:?}", x.reply);
    let (code, msg) = verify(format!("{pin}#")).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("1410", "wrong PIN, 2 tries left")
    );
    let (code, msg) = verify("65432109#".into()).await;
    assert_eq!(code, "0000", "{msg}");
    let x = w
        .sut
        .call("POST", path::HPC_PIN, Some(json!({ "newPin": pin })))
        .await;
    assert_eq!(x.status.as_deref(), Some("0000"), "{:?}", x.reply);
}

/// Without a pad (in-process readers) a body without a PIN is refused as it always was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_pad_a_missing_pin_is_a_format_error() {
    let (w, pin) = world(TransportKind::Inproc).await;
    for body in [json!({}), json!({ "pin": "" })] {
        let x = w
            .sut
            .call("POST", path::HPC_VERIFY, Some(body.clone()))
            .await;
        assert_eq!(x.status.as_deref(), Some("1704"), "{body}: {:?}", x.reply);
    }
    assert_eq!(hpc_mode(&w).await, 2);
    let x = w
        .sut
        .call("POST", path::HPC_VERIFY, Some(json!({ "pin": pin })))
        .await;
    assert_eq!(x.status.as_deref(), Some("0000"), "{:?}", x.reply);
    for body in [json!({}), json!({ "newPin": null })] {
        let x = w.sut.call("POST", path::HPC_PIN, Some(body.clone())).await;
        assert_eq!(x.status.as_deref(), Some("1704"), "{body}: {:?}", x.reply);
    }
}
