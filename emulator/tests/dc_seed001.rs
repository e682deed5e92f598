//! Seeds 001 and 002 at the DC over HTTPS: guardians (grant at a counter, the dependant's token on the
//! guardian's phone, verification naming the guardian, revocation) and offline visits (upload
//! within 24 hours), card replacement and re-application; seed 002's secure-DES IDs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_emulator::card::Sam;
use nhi_emulator::clock::Clock;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::dc::path;
use nhi_protocol::StatusCode::*;
use serde_json::{json, Value};

mod support;
use support::dc_https::T;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardian_serves_a_dependant_until_the_delegation_is_revoked() {
    let t = T::new("guardian", &Fixtures::demo().unwrap()).await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let sid = t.session(&mut sam, "901000000047", "7777777777").await;
    // The guardian (A123456789) has an active phone; the child (F221000017) has none.
    active_phone(&t, &mut sam, "g1", "900000000001", "A123456789").await;
    let dep = |card: &str| json!({ "guardianPhoneId": "g1", "dependantCardNo": card });
    let verify = |tok: &str| json!({ "samSession": sid, "token": tok });

    // Not delegated yet: no token, no revocation.
    t.expect(path::GUARDIAN_TOKEN, dep("900000000711"), ParamFormat3)
        .await;
    t.expect(path::GUARDIAN_REVOKE, dep("900000000711"), ParamFormat3)
        .await;

    // The counter grant: the dependant's card and ID must match; not oneself; SAM-signed.
    let grant = |sam: &mut Sam, card: &str, id: &str| {
        let mut g = T::sam_auth(sam, "901000000047", "7777777777");
        g["guardianPhoneId"] = json!("g1");
        g["dependantCardNo"] = json!(card);
        g["dependantIdNo"] = json!(id);
        g
    };
    t.expect(
        path::GUARDIAN_GRANT,
        grant(&mut sam, "900000000711", "A123456789"),
        ParamFormat3,
    )
    .await;
    t.expect(
        path::GUARDIAN_GRANT,
        grant(&mut sam, "900000000001", "A123456789"),
        ParamFormat3,
    )
    .await;
    let mut forged = grant(&mut sam, "900000000711", "F221000017");
    forged["clientRandom"] = json!(B64.encode([8u8; 8]));
    t.expect(path::GUARDIAN_GRANT, forged, HcaSignatureInvalid)
        .await;
    let d = t
        .expect(
            path::GUARDIAN_GRANT,
            grant(&mut sam, "900000000711", "F221000017"),
            Success,
        )
        .await;
    assert_eq!(d["guardianCardNo"], "900000000001");
    let list = t
        .expect(
            path::GUARDIAN_LIST,
            json!({ "guardianPhoneId": "g1" }),
            Success,
        )
        .await;
    assert_eq!(list["dependants"][0]["dependantCardNo"], "900000000711");

    // The guardian's phone shows the child's token; verification names the guardian.
    let tok = t
        .field(path::GUARDIAN_TOKEN, dep("900000000711"), "token")
        .await;
    let v = t.expect(path::VC_INSPECT, verify(&tok), Success).await;
    assert_eq!(
        (v["cardId"].as_str(), v["guardianCardId"].as_str()),
        (Some("900000000711"), Some("900000000001"))
    );
    let v = t.expect(path::VC_VERIFY, verify(&tok), Success).await;
    assert_eq!(v["guardianCardId"], "900000000001");
    // The guardian's own token names no guardian.
    let own = t
        .field(path::VC_TOKEN, json!({ "phoneId": "g1" }), "token")
        .await;
    let v = t.expect(path::VC_VERIFY, verify(&own), Success).await;
    assert!(v.get("guardianCardId").is_none(), "{v}");
    // Someone never delegated to this phone.
    t.expect(path::GUARDIAN_TOKEN, dep("900000000102"), ParamFormat3)
        .await;

    // Revocation kills the dependant's tokens on that phone, not the guardian's own.
    let tok2 = t
        .field(path::GUARDIAN_TOKEN, dep("900000000711"), "token")
        .await;
    t.expect(path::GUARDIAN_REVOKE, dep("900000000711"), Success)
        .await;
    t.expect(path::VC_VERIFY, verify(&tok2), TransferredOrInvalid)
        .await;
    t.expect(path::GUARDIAN_TOKEN, dep("900000000711"), ParamFormat3)
        .await;
    let own2 = t
        .field(path::VC_TOKEN, json!({ "phoneId": "g1" }), "token")
        .await;
    t.expect(path::VC_VERIFY, verify(&own2), Success).await;
    let list = t
        .expect(
            path::GUARDIAN_LIST,
            json!({ "guardianPhoneId": "g1" }),
            Success,
        )
        .await;
    assert_eq!(list["dependants"], json!([]));

    // A lost guardian phone cannot fetch a dependant's token (a new grant first).
    t.expect(
        path::GUARDIAN_GRANT,
        grant(&mut sam, "900000000711", "F221000017"),
        Success,
    )
    .await;
    t.expect(path::VC_LOST_PHONE, json!({ "phoneId": "g1" }), Success)
        .await;
    t.expect(
        path::GUARDIAN_TOKEN,
        dep("900000000711"),
        TransferredOrInvalid,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_visit_uploads_within_24_hours_and_not_later() {
    let t = T::new("offline", &Fixtures::demo().unwrap()).await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    t.session(&mut sam, "901000000047", "7777777777").await;
    // The home visit: data fetched before leaving, the visit offline at `visit`.
    let visit = nhi_protocol::ident::roc_datetime(t.clock.now());
    let upload = |sam: &mut Sam, at: &str| {
        let mut up = T::sam_auth(sam, "901000000047", "7777777777");
        up["specialCode"] = json!("HC01");
        up["hcId"] = json!("900000000001");
        up["visit"] = json!({ "kind": "home care" });
        up["visitTime"] = json!(at);
        up
    };
    // Back within the day: accepted.
    t.clock.advance(23 * 3600);
    t.expect(path::UPLOAD, upload(&mut sam, &visit), Success)
        .await;
    // A visit more than 24 hours ago: refused, documented as 1706.
    t.clock.advance(3600 + 1);
    let v = t
        .expect(path::UPLOAD, upload(&mut sam, &visit), ParamFormat3)
        .await;
    assert!(v["message"].as_str().unwrap().contains("24 hours"), "{v}");
    // A visit time in the future or malformed.
    let future = nhi_protocol::ident::roc_datetime(t.clock.now() + 600);
    t.expect(path::UPLOAD, upload(&mut sam, &future), ParamFormat3)
        .await;
    t.expect(path::UPLOAD, upload(&mut sam, "yesterday"), ParamFormat1)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_card_keeps_the_binding_and_a_reapplication_starts_a_new_one() {
    let t = T::new("cardlife", &Fixtures::demo().unwrap()).await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let sid = t.session(&mut sam, "901000000047", "7777777777").await;
    active_phone(&t, &mut sam, "p1", "900000000001", "A123456789").await;
    let verify = |tok: &str| json!({ "samSession": sid, "token": tok });
    let replace = |sam: &mut Sam, old: &str, id: &str, new: &str| {
        let mut b = T::sam_auth(sam, "901000000047", "7777777777");
        b["cardNo"] = json!(old);
        b["idNo"] = json!(id);
        b["newCardNo"] = json!(new);
        b
    };
    let old_tok = t
        .field(path::VC_TOKEN, json!({ "phoneId": "p1" }), "token")
        .await;

    // Refusals: wrong ID, a number already issued, test → production, malformed.
    let cases = [
        ("900000000001", "F221000017", "900000009001", ParamFormat3),
        ("900000000001", "A123456789", "900000000711", ParamFormat3),
        (
            "900000000001",
            "A123456789",
            "000000009001",
            TestProductionMixed,
        ),
        ("900000000001", "A123456789", "9000", ParamFormat2),
    ];
    for (old, id, new, code) in cases {
        t.expect(path::CARD_REPLACE, replace(&mut sam, old, id, new), code)
            .await;
    }

    // Replacement: the phone stays bound; old tokens die; new tokens carry the new number.
    let r = t
        .expect(
            path::CARD_REPLACE,
            replace(&mut sam, "900000000001", "A123456789", "900000009001"),
            Success,
        )
        .await;
    assert_eq!(
        (r["phonesKept"].as_i64(), r["tokensRevoked"].as_i64()),
        (Some(1), Some(1))
    );
    t.expect(path::VC_VERIFY, verify(&old_tok), TransferredOrInvalid)
        .await;
    let tok = t
        .field(path::VC_TOKEN, json!({ "phoneId": "p1" }), "token")
        .await;
    let v = t.expect(path::VC_VERIFY, verify(&tok), Success).await;
    assert_eq!(v["cardId"], "900000009001");
    // The old number is dead: no second replacement, no registration.
    t.expect(
        path::CARD_REPLACE,
        replace(&mut sam, "900000000001", "A123456789", "900000009002"),
        ParamFormat3,
    )
    .await;
    t.expect(
        path::VC_REGISTER,
        json!({ "phoneId": "p9", "cardNo": "900000000001", "idNo": "A123456789" }),
        ParamFormat3,
    )
    .await;

    // Both cards lost: a re-application retires the phone; a new binding is needed.
    let r = t
        .expect(
            path::CARD_REAPPLY,
            replace(&mut sam, "900000009001", "A123456789", "900000009002"),
            Success,
        )
        .await;
    assert_eq!(r["phonesKept"].as_i64(), Some(0));
    t.expect(path::VC_VERIFY, verify(&tok), TransferredOrInvalid)
        .await;
    t.expect(
        path::VC_TOKEN,
        json!({ "phoneId": "p1" }),
        TransferredOrInvalid,
    )
    .await;
    // Re-download on a new phone: register and activate with the new card.
    active_phone(&t, &mut sam, "p2", "900000009002", "A123456789").await;
    let tok = t
        .field(path::VC_TOKEN, json!({ "phoneId": "p2" }), "token")
        .await;
    let v = t.expect(path::VC_VERIFY, verify(&tok), Success).await;
    assert_eq!(v["cardId"], "900000009002");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_ids_leave_in_the_seeds_secure_des_hex_format_and_are_audited() {
    let t = T::new("securedes", &Fixtures::demo().unwrap()).await;
    let body = |card: &str| json!({ "cardId": card, "requester": "analyst-1" });
    let a = t
        .expect(path::ADMIN_EXTERNAL_ID_DES, body("900000000001"), Success)
        .await;
    let hex = a["idNoDes"].as_str().unwrap();
    // A 10-character ID: ceil(10/8)·8·2 = 32 hex characters, no other symbol.
    assert_eq!(hex.len(), 32);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{hex}");
    assert!(!hex.contains("A123456789"));
    // Deterministic per ID, different between people.
    let again = t
        .expect(path::ADMIN_EXTERNAL_ID_DES, body("900000000001"), Success)
        .await;
    assert_eq!(again["idNoDes"], a["idNoDes"]);
    let other = t
        .expect(path::ADMIN_EXTERNAL_ID_DES, body("900000000711"), Success)
        .await;
    assert_ne!(other["idNoDes"], a["idNoDes"]);
    t.expect(
        path::ADMIN_EXTERNAL_ID_DES,
        body("900000099999"),
        ParamFormat3,
    )
    .await;
    t.expect(
        path::ADMIN_EXTERNAL_ID_DES,
        json!({ "cardId": "900000000001" }),
        ParamFormat1,
    )
    .await;
    // Every call is in the audit trail.
    let audit: Value = t
        .http
        .get(format!("{}{}", t.base, path::ADMIN_AUDIT))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let n = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "secure-des encrypt" && e["actor"] == "analyst-1")
        .count();
    assert_eq!(n, 3, "{audit}");
}
