//! Seed 003's passbook SDK at the DC over HTTPS (registration with the institution card,
//! the phase-1 key and its virtual test IDs, the integration test, the phase-2
//! application, the NHI's approval, the production key and real IDs, pre-authorisation,
//! revocation, each refusal with its documented code and message) and seed 001's
//! registration checks the DC decides from the world.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_emulator::card::Sam;
use nhi_emulator::clock::PILOT_EPOCH;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::dc::msg::{PassbookRefusal as R, RegistrationRefusal};
use nhi_protocol::dc::path;
use nhi_protocol::StatusCode::*;
use serde_json::{json, Value};
mod support;
use support::dc_https::T;

/// A request: its path and body.
type Req = (&'static str, Value);

/// Asserts a refusal's documented code and message.
async fn refused(t: &T, (p, body): Req, r: R) -> Value {
    let v = t.expect(p, body, r.code()).await;
    let msg = v["message"].as_str().unwrap();
    assert!(msg.starts_with(r.message()), "{p}: {msg:?} is not {r:?}");
    v
}

/// Asserts that a reply's message names `detail`.
fn says(v: &Value, detail: &str) {
    assert!(v["message"].as_str().unwrap().contains(detail), "{v}");
}

/// Registers and activates `phone` for a card at the 7777777777 counter.
async fn active_phone(t: &T, sam: &mut Sam, phone: &str, card: &str, id: &str) {
    t.expect(
        path::VC_REGISTER,
        json!({ "phoneId": phone, "cardNo": card, "idNo": id }),
        Success,
    )
    .await;
    let mut auth = T::sam_auth(sam, "901000000047", "7777777777");
    auth["phoneId"] = json!(phone);
    auth["hcId"] = json!(card);
    t.expect(path::VC_ACTIVATE, auth, Success).await;
}

/// `Passbook/Register` body for an institution's SAM.
fn registration(sam: &mut Sam, sam_id: &str, hospital: &str, platform: &str) -> Value {
    let mut b = T::sam_auth(sam, sam_id, hospital);
    b["appName"] = json!("健康小幫手");
    b["platform"] = json!(platform);
    b["contact"] = json!({ "name": "王聯絡", "email": "contact@example.test" });
    b["developer"] = json!({ "name": "林工程", "email": "dev@example.test" });
    b
}

fn authorize(key: &str, id: &str, pre: bool) -> Value {
    json!({ "apiKey": key, "idNo": id, "preAuthorize": pre })
}

fn ticket(key: &str, t: &str) -> Value {
    json!({ "apiKey": key, "ticket": t })
}

/// A one-time authorisation for `id` with `key`, from no phone.
fn authorization(key: &str, id: &str) -> Req {
    (path::PASSBOOK_AUTHORIZE, authorize(key, id, false))
}

/// The fetch of `t`'s file with `key`.
fn fetch(key: &str, t: &str) -> Req {
    (path::PASSBOOK_FETCH, ticket(key, t))
}

/// The production key for the app of `key`.
fn production_key(key: &str) -> Req {
    (path::PASSBOOK_PRODUCTION_KEY, json!({ "apiKey": key }))
}

/// The phase-2 application for the app of `key` at security `level`.
fn apply(key: &str, level: &str) -> Req {
    (path::PASSBOOK_APPLY, application(key, level))
}

fn application(key: &str, level: &str) -> Value {
    json!({ "apiKey": key, "category": "company", "securityLevel": level,
            "privacyContact": "privacy@example.test 02-1234-5678",
            "launchDate": "1150301", "plan": "個人健康紀錄整合" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_passbook_sdk_goes_from_test_key_to_production_key_with_every_refusal() {
    let f = Fixtures::demo().unwrap();
    let t = T::new("passbook", &f).await;
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let mut sam2 = k.sam(f.hospital("8888888888").unwrap()).unwrap();
    // Sessions select the SAM applets (their signatures need them) and serve the visit.
    let sid = t.session(&mut sam, "901000000047", "7777777777").await;
    t.session(&mut sam2, "901000000088", "8888888888").await;

    // Registration with the institution card: a phase-1 key and the phase-1 SDK version.
    let mut forged = registration(&mut sam, "901000000047", "7777777777", "android");
    forged["clientRandom"] = json!(B64.encode([9u8; 8]));
    t.expect(path::PASSBOOK_REGISTER, forged, HcaSignatureInvalid)
        .await;
    let mut blank = registration(&mut sam, "901000000047", "7777777777", "android");
    blank["developer"]["email"] = json!(" ");
    t.expect(path::PASSBOOK_REGISTER, blank, ParamFormat1).await;
    let body = registration(&mut sam, "901000000047", "7777777777", "android");
    let reg = t.expect(path::PASSBOOK_REGISTER, body, Success).await;
    assert_eq!(
        (reg["phase"].as_u64(), reg["sdkVersion"].as_str()),
        (Some(1), Some("3.1.2"))
    );
    let test_key = reg["apiKey"].as_str().unwrap().to_string();

    // A phase-1 key asking for a real ID; phase 2 before the integration test.
    for (req, r) in [
        (authorization(&test_key, "A123456789"), R::TestKeyRealId),
        (production_key(&test_key), R::NotApproved),
        (apply(&test_key, "L2"), R::IntegrationIncomplete),
    ] {
        refused(&t, req, r).await;
    }
    let integration_test = (
        path::PASSBOOK_INTEGRATION_TEST,
        json!({ "apiKey": test_key }),
    );
    let v = refused(&t, integration_test.clone(), R::IntegrationIncomplete).await;
    says(&v, "authorize, fetch");
    refused(&t, fetch("pbk1-nope", "pbt-nope"), R::UnknownKey).await;
    t.expect(
        path::PASSBOOK_AUTHORIZE,
        authorize(&test_key, "Z1", false),
        ParamFormat2,
    )
    .await;

    // The integration test: a one-time authorisation and its fetch (virtual data)…
    let one = t
        .field(
            path::PASSBOOK_AUTHORIZE,
            authorize(&test_key, "Z100000002", false),
            "ticket",
        )
        .await;
    let file = t
        .expect(path::PASSBOOK_FETCH, ticket(&test_key, &one), Success)
        .await;
    assert_eq!(
        (file["name"].as_str(), file["virtualId"].as_bool()),
        (Some("測試甲"), Some(true))
    );
    assert_eq!(file["visits"].as_array().unwrap().len(), 2, "{file}");
    let v = refused(&t, fetch(&test_key, &one), R::NoAuthorization).await;
    says(&v, "already used");
    // …a pre-authorisation (預先授權) the back end uses twice, then the user revokes it.
    let mut pre = authorize(&test_key, "Z200000004", true);
    pre["days"] = json!(400);
    t.expect(path::PASSBOOK_AUTHORIZE, pre.clone(), ParamFormat3)
        .await;
    pre["days"] = json!(7);
    let pa = t.expect(path::PASSBOOK_AUTHORIZE, pre, Success).await;
    assert_eq!(pa["expiresAt"].as_i64(), Some(PILOT_EPOCH + 7 * 86_400));
    let pa = pa["ticket"].as_str().unwrap().to_string();
    for _ in 0..2 {
        t.expect(path::PASSBOOK_FETCH, ticket(&test_key, &pa), Success)
            .await;
    }
    t.expect(
        path::PASSBOOK_PREAUTH_REVOKE,
        ticket(&test_key, &pa),
        Success,
    )
    .await;
    let v = refused(&t, fetch(&test_key, &pa), R::NoAuthorization).await;
    says(&v, "revoked");
    let (p, body) = integration_test;
    let it = t.expect(p, body, Success).await;
    assert_eq!(it["passed"], json!(true));

    // Another institution's app cannot use this app's tickets.
    let body2 = registration(&mut sam2, "901000000088", "8888888888", "ios");
    let other = t.expect(path::PASSBOOK_REGISTER, body2, Success).await;
    assert_eq!(other["sdkVersion"], "3.3.2");
    let other_key = other["apiKey"].as_str().unwrap().to_string();
    let one = t
        .field(
            path::PASSBOOK_AUTHORIZE,
            authorize(&test_key, "Z100000011", false),
            "ticket",
        )
        .await;
    refused(&t, fetch(&other_key, &one), R::OtherAppsTicket).await;

    // Phase 2: L2 or above; one application at a time; no key until the NHI approves.
    refused(&t, apply(&test_key, "L1"), R::SecurityLevel).await;
    let app = t
        .expect(path::PASSBOOK_APPLY, application(&test_key, "L2"), Success)
        .await;
    assert_eq!(app["state"], "pending");
    refused(&t, apply(&test_key, "L3"), R::AlreadyApplied).await;
    let v = refused(&t, production_key(&test_key), R::NotApproved).await;
    says(&v, "pending");
    // The NHI rejects the first application: still no key; the app applies again.
    let reject =
        json!({ "applicationId": app["applicationId"], "reviewer": "審查員", "approve": false });
    let rv = t.expect(path::PASSBOOK_REVIEW, reject, Success).await;
    assert_eq!(rv["state"], "rejected");
    let v = refused(&t, production_key(&test_key), R::NotApproved).await;
    says(&v, "rejected");
    let app = t
        .expect(path::PASSBOOK_APPLY, application(&test_key, "L3"), Success)
        .await;
    assert_eq!(app["applicationId"], 2);
    let review =
        json!({ "applicationId": app["applicationId"], "reviewer": "審查員", "approve": true });
    let rv = t
        .expect(path::PASSBOOK_REVIEW, review.clone(), Success)
        .await;
    assert_eq!(rv["state"], "approved");
    t.expect(path::PASSBOOK_REVIEW, review, ParamFormat3).await;
    let prod = t
        .expect(
            path::PASSBOOK_PRODUCTION_KEY,
            json!({ "apiKey": test_key }),
            Success,
        )
        .await;
    assert_eq!(
        (prod["phase"].as_u64(), prod["sdkVersion"].as_str()),
        (Some(2), Some("3.1.1"))
    );
    let prod_key = prod["apiKey"].as_str().unwrap().to_string();
    assert_ne!(prod_key, test_key);
    let again = t
        .field(
            path::PASSBOOK_PRODUCTION_KEY,
            json!({ "apiKey": test_key }),
            "apiKey",
        )
        .await;
    assert_eq!(again, prod_key);

    // The production key reads real IDs only, for a user who proves it with their phone.
    for (id, r) in [
        ("Z100000002", R::ProductionKeyVirtualId),
        ("A123456789", R::NotTheUser),
        ("B120000001", R::UnknownPerson),
    ] {
        refused(&t, authorization(&prod_key, id), r).await;
    }
    active_phone(&t, &mut sam, "p1", "900000000001", "A123456789").await;
    active_phone(&t, &mut sam, "p2", "900000000711", "F221000017").await;
    let mut wrong_phone = authorize(&prod_key, "A123456789", false);
    wrong_phone["phoneId"] = json!("p2");
    let wrong_phone = (path::PASSBOOK_AUTHORIZE, wrong_phone);
    refused(&t, wrong_phone, R::NotTheUser).await;
    // A visit the DC holds for the user shows in the passbook file.
    t.expect(
        path::HC_VISIT_WRITE,
        json!({ "samSession": sid, "cardId": "900000000001", "visitTime": "1080102093000",
                "diagnosis": "J069", "diagnosis2": "", "fee": 380, "copay": 50 }),
        Success,
    )
    .await;
    let mut mine = authorize(&prod_key, "A123456789", true);
    mine["phoneId"] = json!("p1");
    let real = t.field(path::PASSBOOK_AUTHORIZE, mine, "ticket").await;
    let file = t
        .expect(path::PASSBOOK_FETCH, ticket(&prod_key, &real), Success)
        .await;
    assert_eq!(
        (
            file["idNo"].as_str(),
            file["name"].as_str(),
            file["virtualId"].as_bool()
        ),
        (Some("A123456789"), Some("王小明"), Some(false))
    );
    assert_eq!(file["visits"][0]["diagnosis"], "J069", "{file}");
    assert_eq!(file["visits"][0]["hospitalId"], "7777777777", "{file}");
    // The test key still sees no real person, even with a production ticket.
    refused(&t, fetch(&test_key, &real), R::TestKeyRealId).await;

    // A one-time authorisation lapses after 10 minutes.
    let mut once = authorize(&prod_key, "A123456789", false);
    once["phoneId"] = json!("p1");
    let once = t.field(path::PASSBOOK_AUTHORIZE, once, "ticket").await;
    t.clock.advance(601);
    let v = refused(&t, fetch(&prod_key, &once), R::NoAuthorization).await;
    says(&v, "expired");

    // The NHI revokes the production key: every call with it is refused, the pre-
    // authorisation under it included.
    let revoke = json!({ "apiKey": prod_key, "reason": "資安檢測報告逾期" });
    t.expect(path::PASSBOOK_REVOKE_KEY, revoke.clone(), Success)
        .await;
    refused(&t, fetch(&prod_key, &real), R::KeyRevoked).await;
    refused(&t, (path::PASSBOOK_REVOKE_KEY, revoke), R::KeyRevoked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dc_refuses_registrations_whose_photo_or_second_id_do_not_match() {
    let mut f = Fixtures::demo().unwrap();
    for p in &mut f.people {
        p.refuse_registration = match p.id_no.as_str() {
            "F221000017" => Some(RegistrationRefusal::PhotoMismatch),
            "E102000021" => Some(RegistrationRefusal::SecondIdMismatch),
            _ => None,
        };
    }
    let t = T::new("registration", &f).await;
    let reg =
        |phone: &str, card: &str, id: &str| json!({ "phoneId": phone, "cardNo": card, "idNo": id });
    for (r, card, id) in [
        (
            RegistrationRefusal::PhotoMismatch,
            "900000000711",
            "F221000017",
        ),
        (
            RegistrationRefusal::SecondIdMismatch,
            "900000000102",
            "E102000021",
        ),
    ] {
        let v = t
            .expect(path::VC_REGISTER, reg("p1", card, id), r.code())
            .await;
        assert_eq!(v["message"], r.message());
    }
    // Nobody else is refused; the refused phone stays unregistered.
    t.expect(
        path::VC_REGISTER,
        reg("p2", "900000000001", "A123456789"),
        Success,
    )
    .await;
    t.expect(path::VC_TOKEN, json!({ "phoneId": "p1" }), DcUndefined)
        .await;
    // The control plane flags a person (and clears the flag) in a running world.
    let dc = &t.run.dc;
    dc.admin_refuse_registration("900000000001", Some(RegistrationRefusal::SecondIdMismatch))
        .unwrap();
    let v = t
        .expect(
            path::VC_REGISTER,
            reg("p3", "900000000001", "A123456789"),
            DcUndefined,
        )
        .await;
    assert_eq!(
        v["message"],
        RegistrationRefusal::SecondIdMismatch.message()
    );
    dc.admin_refuse_registration("900000000001", None).unwrap();
    t.expect(
        path::VC_REGISTER,
        reg("p3", "900000000001", "A123456789"),
        Success,
    )
    .await;
    let unknown = dc
        .admin_refuse_registration("999999999999", None)
        .unwrap_err();
    assert_eq!(unknown.code, ParamFormat3);
    // A reset seeds the world's flags again.
    dc.reset(&f).unwrap();
    t.expect(
        path::VC_REGISTER,
        reg("p9", "900000000711", "F221000017"),
        DcUndefined,
    )
    .await;
}
