//! The DC over HTTPS: SAM authentication, the virtual-card lifecycle with every status code
//! it owns, mobile HCA, certificates, uploads, data protection, errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_emulator::clock::PILOT_EPOCH;
use nhi_emulator::dc;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::dc::path;
use nhi_protocol::dc::CloudSamFile;
use nhi_protocol::StatusCode::*;
use serde_json::{json, Value};

mod support;
use support::dc_https::T;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_card_lifecycle_and_status_codes() {
    let t = T::new("life", &Fixtures::demo().unwrap()).await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let mut prod = k.sam(f.hospital("3501200000").unwrap()).unwrap();
    let sid = t.session(&mut sam, "901000000047", "7777777777").await;
    let other = t.session(&mut prod, "001000000103", "3501200000").await;
    let token = |phone: &str| json!({ "phoneId": phone });
    let verify = |s: &str, tok: &str| json!({ "samSession": s, "token": tok });

    // Registration with the two checks, then activation signed by a SAM.
    let reg = |photo: bool, counter: bool| json!({ "phoneId": "p1", "cardNo": "900000000711", "idNo": "F221000017", "photoCheck": photo, "counterCheck": counter });
    t.expect(path::VC_REGISTER, reg(false, true), DcUndefined)
        .await;
    t.expect(path::VC_REGISTER, reg(true, false), DcUndefined)
        .await;
    t.expect(
        path::VC_REGISTER,
        json!({ "phoneId": "p1", "cardNo": "900000000711", "idNo": "A123456789" }),
        ParamFormat3,
    )
    .await;
    t.expect(
        path::VC_REGISTER,
        json!({ "phoneId": "p1", "cardNo": "900000000711", "idNo": "F221000017", "photoCheck": "yes" }),
        ParamFormat1,
    )
    .await;
    t.expect(path::VC_REGISTER, reg(true, true), Success).await;
    // Not activated yet: tokens are issued but do not verify.
    let tok0 = t.field(path::VC_TOKEN, token("p1"), "token").await;
    t.expect(path::VC_VERIFY, verify(&sid, &tok0), TransferredOrInvalid)
        .await;
    let mut auth = T::sam_auth(&mut sam, "901000000047", "7777777777");
    auth["phoneId"] = json!("p1");
    auth["hcId"] = json!("900000000711");
    let mut forged = auth.clone();
    forged["clientRandom"] = json!(B64.encode([8u8; 8]));
    t.expect(path::VC_ACTIVATE, forged, HcaSignatureInvalid)
        .await;
    t.expect(path::VC_ACTIVATE, auth, Success).await;

    // Token: verify counts to the limit; inspect does not count.
    t.expect(
        path::VC_TOKEN,
        json!({ "phoneId": "p1", "alg": "HS256" }),
        ParamFormat3,
    )
    .await;
    let tok = t
        .field(
            path::VC_TOKEN,
            json!({ "phoneId": "p1", "alg": "RS256" }),
            "token",
        )
        .await;
    for _ in 0..3 {
        t.expect(path::VC_INSPECT, verify(&sid, &tok), Success)
            .await;
        t.expect(path::VC_VERIFY, verify(&sid, &tok), Success).await;
    }
    t.expect(path::VC_VERIFY, verify(&sid, &tok), TokenCountExceeded)
        .await;
    t.expect(path::VC_VERIFY, verify(&sid, "x.y"), TokenFormat)
        .await;
    let tok2 = t.field(path::VC_TOKEN, token("p1"), "token").await;
    // Production SAM, test card.
    t.expect(path::VC_VERIFY, verify(&other, &tok2), TestProductionMixed)
        .await;
    t.clock.advance(61);
    t.expect(path::VC_VERIFY, verify(&sid, &tok2), TokenTimedOut)
        .await;

    // Transfer: same institution only, once; unknown code.
    let code = t
        .field(
            path::VC_TRANSFER_EXPORT,
            json!({ "samSession": sid, "cardId": "900000000711" }),
            "transferCode",
        )
        .await;
    let import = |s: &str, code: &str, device: Option<&str>| {
        let mut b = json!({ "samSession": s, "transferCode": code });
        if let Some(d) = device {
            b["deviceId"] = json!(d);
        }
        b
    };
    t.expect(
        path::VC_TRANSFER_IMPORT,
        import(&other, &code, None),
        TransferOtherHospital,
    )
    .await;
    t.expect(
        path::VC_TRANSFER_IMPORT,
        import(&sid, &code, Some("b")),
        Success,
    )
    .await;
    t.expect(
        path::VC_TRANSFER_IMPORT,
        import(&sid, &code, Some("c")),
        TransferUsedElsewhere,
    )
    .await;
    t.expect(
        path::VC_TRANSFER_IMPORT,
        import(&sid, "T0", None),
        TransferNotFound,
    )
    .await;

    // Lost phone revokes its tokens.
    let tok3 = t.field(path::VC_TOKEN, token("p1"), "token").await;
    let lost = t.expect(path::VC_LOST_PHONE, token("p1"), Success).await;
    assert_eq!(lost["phoneId"], "p1");
    t.expect(path::VC_VERIFY, verify(&sid, &tok3), TransferredOrInvalid)
        .await;

    // Sessions expire (1703); errors: unknown command 1701, malformed 1704.
    let (http, v) = t.post("/api/v1/Nope", json!({})).await;
    assert_eq!(
        (http, v["statusCode"].as_str()),
        (404, Some(DcUnknownCommand.code()))
    );
    let r = t
        .http
        .post(format!("{}{}", t.base, path::SAM_CHALLENGE))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["statusCode"],
        ParamFormat1.code()
    );
    t.expect(path::SAM_CHALLENGE, json!({ "samId": 1 }), ParamFormat1)
        .await;
    t.clock.advance(9 * 3600);
    t.expect(path::VC_INSPECT, verify(&sid, &tok3), DcSession)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dc_port_serves_no_control_paths_and_bounds_bodies() {
    let t = T::new("ports", &Fixtures::demo().unwrap()).await;
    for p in [
        "/control/Clock",
        "/control/Faults",
        "/control/Hospital",
        "/control/Cert/Revoke",
        "/control/CloudSam/Issue",
    ] {
        let (http, v) = t
            .post(p, json!({ "hospitalId": "7777777777", "suspended": true }))
            .await;
        assert_eq!(
            (http, v["statusCode"].as_str()),
            (404, Some(DcUnknownCommand.code())),
            "{p}"
        );
    }
    // The institution was not suspended through the data port.
    t.expect(
        path::SAM_CHALLENGE,
        json!({ "samId": "901000000047", "hospitalId": "7777777777" }),
        Success,
    )
    .await;
    let big = "x".repeat(dc::api::MAX_BODY + 1);
    let r = t
        .http
        .post(format!("{}{}", t.base, path::SAM_CHALLENGE))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(
        r.json::<Value>().await.unwrap()["statusCode"],
        ParamFormat2.code()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn institution_standing_cloud_sam_and_mobile_hca() {
    let t = T::new("standing", &Fixtures::demo().unwrap()).await;
    let ch =
        |cloud: bool, sam: &str, h: &str| json!({ "samId": sam, "hospitalId": h, "cloud": cloud });
    let ours = ch(false, "901000000047", "7777777777");
    t.expect(
        path::SAM_CHALLENGE,
        ch(true, "901999999999", "7777777777"),
        CloudSamNotFound,
    )
    .await;
    t.expect(
        path::SAM_CHALLENGE,
        ch(false, "901999999999", "7777777777"),
        SamMode2,
    )
    .await;
    let dc = &t.run.dc;
    dc.set_hospital("7777777777", Some(true), None, None)
        .unwrap();
    t.expect(path::SAM_CHALLENGE, ours.clone(), InstitutionSuspended)
        .await;
    dc.set_hospital("7777777777", Some(false), Some(true), None)
        .unwrap();
    t.expect(path::SAM_CHALLENGE, ours.clone(), SamRevoked)
        .await;
    dc.set_hospital("7777777777", None, Some(false), Some(PILOT_EPOCH - 1))
        .unwrap();
    t.expect(path::SAM_CHALLENGE, ours.clone(), ContractExpired)
        .await;
    dc.set_hospital("7777777777", None, None, Some(PILOT_EPOCH + 86_400 * 365))
        .unwrap();

    let (name, content) = dc.issue_cloud_sam("7777777777").unwrap();
    assert_eq!(name, "7777777777901000000047.SAM");
    let (file, blob) = CloudSamFile::parse(&name, &content).unwrap();
    assert_eq!(
        (
            file.hospital_id.as_str(),
            file.sam_id.as_str(),
            file.version
        ),
        ("7777777777", "901000000047", 1)
    );
    assert_eq!(blob.mac.len(), 32);

    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let sid = t.session(&mut sam, "901000000047", "7777777777").await;
    let cred = |h: &str| json!({ "hpcId": "100000291508", "idNo": "Q123000039", "name": "測試人員", "hospitalId": h });
    let login = |c: &str, device: Option<&str>| {
        let mut b = json!({ "samSession": sid, "credential": c });
        if let Some(d) = device {
            b["deviceId"] = json!(d);
        }
        b
    };
    let sign = |s: &str| json!({ "hcaSession": s, "data": "AAAA" });
    let c1 = t
        .field(path::HCA_ISSUE, cred("7777777777"), "credential")
        .await;
    let c2 = t
        .field(path::HCA_ISSUE, cred("3501200000"), "credential")
        .await;
    t.expect(path::HCA_LOGIN, login(&c2, None), MobileHcaHospitalMismatch)
        .await;
    let mut bad = c1.clone();
    bad.insert(3, 'x');
    t.expect(
        path::HCA_LOGIN,
        login(&bad, None),
        MobileHcaSignatureInvalid,
    )
    .await;
    let s1 = t
        .field(path::HCA_LOGIN, login(&c1, Some("A")), "hcaSession")
        .await;
    t.expect(path::HCA_SIGN, sign(&s1), Success).await;
    let s2 = t
        .field(path::HCA_LOGIN, login(&c1, Some("B")), "hcaSession")
        .await;
    t.expect(path::HCA_SIGN, sign(&s1), HcaLoggedOutElsewhere)
        .await;
    t.clock.advance(8 * 3600 + 1);
    t.expect(path::HCA_SIGN, sign(&s2), DcSession).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_uploads_and_data_protection() {
    let t = T::new("certs", &Fixtures::demo().unwrap()).await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let sid = t.session(&mut sam, "901000000047", "7777777777").await;
    let h = f.hpc("100000291508").unwrap();
    let cert = k
        .ca()
        .issue_hpc(
            &h.card_id,
            &h.name,
            nhi_emulator::material::RSA_POOL[0],
            PILOT_EPOCH - 10,
            PILOT_EPOCH + 10,
            77,
        )
        .unwrap();
    let body = |c: &[u8]| json!({ "samSession": sid, "certificate": B64.encode(c) });
    t.expect(path::CERT_STATUS, body(&cert), Success).await;
    t.clock.advance(11);
    t.expect(path::CERT_STATUS, body(&cert), HcaCertNotValid)
        .await;
    t.clock.set(PILOT_EPOCH);
    t.run
        .dc
        .revoke_cert(&dc::Dc::cert_serial(&cert).unwrap())
        .unwrap();
    t.expect(path::CERT_STATUS, body(&cert), HcaCertRevoked)
        .await;
    // A certificate from another CA.
    let key = rcgen::KeyPair::generate().unwrap();
    let foreign = rcgen::CertificateParams::new(vec!["x".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    t.expect(path::CERT_STATUS, body(foreign.der()), HcaCertNoIssuer)
        .await;

    // Upload with the special code, then query.
    let mut up = T::sam_auth(&mut sam, "901000000047", "7777777777");
    up["specialCode"] = json!("VC1");
    up["hcId"] = json!("900000000001");
    t.expect(path::UPLOAD, up.clone(), ParamFormat2).await;
    up["specialCode"] = json!("VC19");
    t.expect(path::UPLOAD, up.clone(), Success).await;
    let q = t.expect(path::UPLOAD_QUERY, up, Success).await;
    let uploads = q["uploads"].as_array().unwrap();
    assert_eq!(uploads.len(), 1);
    assert!(uploads[0]["hpcId"].is_null(), "{q}");

    // Masked by default; plaintext only through an approved, unexpired request; audited.
    let m = t
        .expect(
            path::ADMIN_PERSON,
            json!({ "cardId": "900000000001" }),
            Success,
        )
        .await;
    assert_eq!(
        (m["idNo"].as_str(), m["name"].as_str()),
        (Some("A123***789"), Some("王○明"))
    );
    // Staff of fixtures/dc-staff.toml (TEST tokens): a requester and a supervisor.
    let (clerk, chief) = (
        "TEST-staff-clerk-chen-3b1f0c2a",
        "TEST-staff-chief-lin-52c8a0e3",
    );
    let ask =
        json!({ "requester": "clerk-chen", "cardId": "900000000001", "reason": "audit case 7" });
    // Only an authenticated requester, as themselves.
    t.expect(path::ADMIN_DECRYPT_REQUEST, ask.clone(), DcSession)
        .await;
    t.expect_as(
        chief,
        path::ADMIN_DECRYPT_REQUEST,
        ask.clone(),
        ParamFormat3,
    )
    .await;
    let rid = t
        .expect_as(clerk, path::ADMIN_DECRYPT_REQUEST, ask, Success)
        .await["requestId"]
        .as_i64()
        .unwrap();
    let view = json!({ "requestId": rid, "requester": "clerk-chen" });
    let approve =
        |who: &str, role: &str| json!({ "requestId": rid, "approver": who, "role": role });
    // Not approved; a requester cannot approve; wrong role; someone else's name.
    t.expect_as(clerk, path::ADMIN_VIEW, view.clone(), ParamFormat3)
        .await;
    t.expect_as(
        clerk,
        path::ADMIN_APPROVE,
        approve("clerk-chen", "supervisor"),
        ParamFormat3,
    )
    .await;
    t.expect_as(
        chief,
        path::ADMIN_APPROVE,
        approve("chief-lin", "clerk"),
        ParamFormat3,
    )
    .await;
    t.expect_as(
        chief,
        path::ADMIN_APPROVE,
        approve("chief-huang", "supervisor"),
        ParamFormat3,
    )
    .await;
    t.expect(
        path::ADMIN_APPROVE,
        approve("chief-lin", "supervisor"),
        DcSession,
    )
    .await;
    t.expect_as(
        chief,
        path::ADMIN_APPROVE,
        approve("chief-lin", "supervisor"),
        Success,
    )
    .await;
    // The plaintext goes to the requester only.
    t.expect_as(chief, path::ADMIN_VIEW, view.clone(), ParamFormat3)
        .await;
    let v = t
        .expect_as(clerk, path::ADMIN_VIEW, view.clone(), Success)
        .await;
    assert_eq!(v["idNo"], "A123456789");
    let audit = t.expect(path::ADMIN_AUDIT, json!({}), Success).await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
    t.clock.advance(901);
    // Approval expired.
    t.expect_as(clerk, path::ADMIN_VIEW, view, ParamFormat3)
        .await;

    // No plaintext ID number in any file the DC writes.
    let mut files = 0;
    for e in std::fs::read_dir(&t.dir).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        files += 1;
        for p in &f.people {
            assert!(
                !bytes.windows(10).any(|w| w == p.id_no.as_bytes()),
                "plaintext {} in a DC file",
                p.id_no
            );
        }
    }
    assert!(files >= 2, "database and WAL inspected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marker_refuses_what_is_not_a_card_number_with_a_code_never_a_panic() {
    let t = T::new("marker", &Fixtures::demo().unwrap()).await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let sid = t.session(&mut sam, "901000000047", "7777777777").await;
    let marker = |hc: &str| json!({ "samSession": sid, "hcId": hc });
    // Multibyte characters (a byte slice of them once panicked), wrong lengths, letters.
    for bad in [
        "€€",
        "90000000071€",
        "中",
        "",
        "90000000071",
        "9000000007110",
        "90000000071X",
    ] {
        t.expect(path::HC_MARKER, marker(bad), ParamFormat2).await;
    }
    let m = t
        .field(path::HC_MARKER, marker("900000000711"), "marker")
        .await;
    let m = B64.decode(m).unwrap();
    assert!(m.ends_with(b"0711"), "{m:?}");
}
