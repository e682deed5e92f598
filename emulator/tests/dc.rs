//! The DC over HTTPS: SAM authentication, the virtual-card lifecycle with every status code
//! it owns, mobile HCA, certificates, uploads, data protection, errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_emulator::card::{Card, Sam};
use nhi_emulator::clock::{VirtualClock, PILOT_EPOCH};
use nhi_emulator::dc::{self, DcConfig};
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use serde_json::{json, Value};

struct T {
    http: reqwest::Client,
    base: String,
    clock: VirtualClock,
    run: dc::Running,
    dir: std::path::PathBuf,
}

impl T {
    async fn new(name: &str) -> T {
        let dir = std::env::temp_dir().join(format!("nhi-dc-test-{name}-{}", std::process::id()));
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
        T {
            http,
            base: run.server.url(),
            clock,
            run,
            dir,
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn code(&self, path: &str, body: Value) -> String {
        self.post(path, body).await.1["statusCode"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A SAM session through the card model, as the middleware would do it.
    async fn session(&self, sam: &mut Sam, sam_id: &str, hospital: &str) -> Result<String, String> {
        sam.handle(&nhi_protocol::apdu::build(
            0,
            0xA4,
            4,
            0,
            nhi_protocol::apdu::AID_SAM,
            None,
        ));
        let (_, ch) = self
            .post(
                "/api/v1/Sam/Challenge",
                json!({ "samId": sam_id, "hospitalId": hospital }),
            )
            .await;
        if ch["statusCode"] != "0000" {
            return Err(ch["statusCode"].as_str().unwrap().into());
        }
        let dc_random = B64.decode(ch["dcRandom"].as_str().unwrap()).unwrap();
        let r = sam.handle(&nhi_protocol::apdu::build(
            0x80,
            0x88,
            0,
            0,
            &dc_random,
            Some(0),
        ));
        let (_, v) = self
            .post("/api/v1/Sam/Verify", json!({ "challengeId": ch["challengeId"], "samRandom": B64.encode(&r[..8]), "samMac": B64.encode(&r[8..40]) }))
            .await;
        let proof = B64.decode(v["proof"].as_str().unwrap()).unwrap();
        assert_eq!(
            &sam.handle(&nhi_protocol::apdu::build(0x80, 0x82, 0, 0, &proof, None))[..],
            &[0x90, 0]
        );
        Ok(v["samSession"].as_str().unwrap().to_string())
    }

    fn sam_auth(sam: &mut Sam, sam_id: &str, hospital: &str) -> Value {
        let cr = [7u8; 8];
        let data = [&cr[..], b"01", hospital.as_bytes(), sam_id.as_bytes()].concat();
        let r = sam.handle(&nhi_protocol::apdu::build_extended(
            0x80,
            0x2A,
            0x9E,
            0x9A,
            &data,
            Some(0),
        ));
        json!({ "samId": sam_id, "hospitalId": hospital, "clientRandom": B64.encode(cr), "serviceType": "01", "signature": B64.encode(&r[..256]) })
    }
}

impl Drop for T {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_card_lifecycle_and_status_codes() {
    let t = T::new("life").await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let mut prod = k.sam(f.hospital("3501200000").unwrap()).unwrap();
    let sid = t
        .session(&mut sam, "901000000047", "7777777777")
        .await
        .unwrap();
    let other = t
        .session(&mut prod, "001000000103", "3501200000")
        .await
        .unwrap();

    // Registration with the two checks, then activation signed by a SAM.
    let reg = |photo: bool, counter: bool| json!({ "phoneId": "p1", "cardNo": "900000000711", "idNo": "F221000017", "photoCheck": photo, "counterCheck": counter });
    assert_eq!(
        t.code("/api/v1/VirtualCard/Register", reg(false, true))
            .await,
        "1799"
    );
    assert_eq!(
        t.code("/api/v1/VirtualCard/Register", reg(true, false))
            .await,
        "1799"
    );
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Register",
            json!({ "phoneId": "p1", "cardNo": "900000000711", "idNo": "A123456789" })
        )
        .await,
        "1706"
    );
    assert_eq!(
        t.code("/api/v1/VirtualCard/Register", reg(true, true))
            .await,
        "0000"
    );
    // Not activated yet: tokens are issued but do not verify.
    let tok0 = t
        .post("/api/v1/VirtualCard/Token", json!({ "phoneId": "p1" }))
        .await
        .1["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Verify",
            json!({ "samSession": sid, "token": tok0 })
        )
        .await,
        "1531"
    );
    let mut auth = T::sam_auth(&mut sam, "901000000047", "7777777777");
    auth["phoneId"] = json!("p1");
    auth["hcId"] = json!("900000000711");
    let mut forged = auth.clone();
    forged["clientRandom"] = json!(B64.encode([8u8; 8]));
    assert_eq!(t.code("/api/v1/VirtualCard/Activate", forged).await, "1420");
    assert_eq!(t.code("/api/v1/VirtualCard/Activate", auth).await, "0000");

    // Token: verify counts to the limit; inspect does not count.
    let tok = t
        .post(
            "/api/v1/VirtualCard/Token",
            json!({ "phoneId": "p1", "alg": "RS256" }),
        )
        .await
        .1["token"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..3 {
        assert_eq!(
            t.code(
                "/api/v1/VirtualCard/Inspect",
                json!({ "samSession": sid, "token": tok })
            )
            .await,
            "0000"
        );
        assert_eq!(
            t.code(
                "/api/v1/VirtualCard/Verify",
                json!({ "samSession": sid, "token": tok })
            )
            .await,
            "0000"
        );
    }
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Verify",
            json!({ "samSession": sid, "token": tok })
        )
        .await,
        "1525"
    );
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Verify",
            json!({ "samSession": sid, "token": "x.y" })
        )
        .await,
        "1520"
    );
    let tok2 = t
        .post("/api/v1/VirtualCard/Token", json!({ "phoneId": "p1" }))
        .await
        .1["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Verify",
            json!({ "samSession": other, "token": tok2 })
        )
        .await,
        "1003",
        "production SAM, test card"
    );
    t.clock.advance(61);
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Verify",
            json!({ "samSession": sid, "token": tok2 })
        )
        .await,
        "1521"
    );

    // Transfer: same institution only, once; unknown code.
    let code = t
        .post(
            "/api/v1/VirtualCard/Transfer/Export",
            json!({ "samSession": sid, "cardId": "900000000711" }),
        )
        .await
        .1["transferCode"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Transfer/Import",
            json!({ "samSession": other, "transferCode": code })
        )
        .await,
        "1530"
    );
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Transfer/Import",
            json!({ "samSession": sid, "transferCode": code, "deviceId": "b" })
        )
        .await,
        "0000"
    );
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Transfer/Import",
            json!({ "samSession": sid, "transferCode": code, "deviceId": "c" })
        )
        .await,
        "1529"
    );
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Transfer/Import",
            json!({ "samSession": sid, "transferCode": "T0" })
        )
        .await,
        "1528"
    );

    // Lost phone revokes its tokens.
    let tok3 = t
        .post("/api/v1/VirtualCard/Token", json!({ "phoneId": "p1" }))
        .await
        .1["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.code("/api/v1/VirtualCard/LostPhone", json!({ "phoneId": "p1" }))
            .await,
        "0000"
    );
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Verify",
            json!({ "samSession": sid, "token": tok3 })
        )
        .await,
        "1531"
    );

    // Sessions expire (1703); errors: unknown command 1701, malformed 1704.
    let (http, v) = t.post("/api/v1/Nope", json!({})).await;
    assert_eq!((http, v["statusCode"].as_str()), (404, Some("1701")));
    let r = t
        .http
        .post(format!("{}/api/v1/Sam/Challenge", t.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["statusCode"], "1704");
    assert_eq!(
        t.code("/api/v1/Sam/Challenge", json!({ "samId": 1 })).await,
        "1704"
    );
    t.clock.advance(9 * 3600);
    assert_eq!(
        t.code(
            "/api/v1/VirtualCard/Inspect",
            json!({ "samSession": sid, "token": tok3 })
        )
        .await,
        "1703"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn institution_standing_cloud_sam_and_mobile_hca() {
    let t = T::new("standing").await;
    let ch =
        |cloud: bool, sam: &str, h: &str| json!({ "samId": sam, "hospitalId": h, "cloud": cloud });
    assert_eq!(
        t.code(
            "/api/v1/Sam/Challenge",
            ch(true, "901999999999", "7777777777")
        )
        .await,
        "1611"
    );
    assert_eq!(
        t.code(
            "/api/v1/Sam/Challenge",
            ch(false, "901999999999", "7777777777")
        )
        .await,
        "1301"
    );
    t.run
        .dc
        .set_hospital("7777777777", Some(true), None, None)
        .unwrap();
    assert_eq!(
        t.code(
            "/api/v1/Sam/Challenge",
            ch(false, "901000000047", "7777777777")
        )
        .await,
        "1303"
    );
    t.run
        .dc
        .set_hospital("7777777777", Some(false), Some(true), None)
        .unwrap();
    assert_eq!(
        t.code(
            "/api/v1/Sam/Challenge",
            ch(false, "901000000047", "7777777777")
        )
        .await,
        "1304"
    );
    t.run
        .dc
        .set_hospital("7777777777", None, Some(false), Some(PILOT_EPOCH - 1))
        .unwrap();
    assert_eq!(
        t.code(
            "/api/v1/Sam/Challenge",
            ch(false, "901000000047", "7777777777")
        )
        .await,
        "1302"
    );
    t.run
        .dc
        .set_hospital("7777777777", None, None, Some(PILOT_EPOCH + 86_400 * 365))
        .unwrap();

    let (name, content) = t.run.dc.issue_cloud_sam("7777777777").unwrap();
    assert_eq!(name, "7777777777901000000047.SAM");
    assert!(content.contains('.'));

    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let sid = t
        .session(&mut sam, "901000000047", "7777777777")
        .await
        .unwrap();
    let cred = |h: &str| json!({ "hpcId": "100000291508", "idNo": "Q123000039", "name": "測試人員", "hospitalId": h });
    let c1 = t
        .post("/api/v1/MobileHca/Issue", cred("7777777777"))
        .await
        .1["credential"]
        .as_str()
        .unwrap()
        .to_string();
    let c2 = t
        .post("/api/v1/MobileHca/Issue", cred("3501200000"))
        .await
        .1["credential"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.code(
            "/api/v1/MobileHca/Login",
            json!({ "samSession": sid, "credential": c2 })
        )
        .await,
        "1431"
    );
    let mut bad = c1.clone();
    bad.insert(3, 'x');
    assert_eq!(
        t.code(
            "/api/v1/MobileHca/Login",
            json!({ "samSession": sid, "credential": bad })
        )
        .await,
        "1430"
    );
    let s1 = t
        .post(
            "/api/v1/MobileHca/Login",
            json!({ "samSession": sid, "credential": c1, "deviceId": "A" }),
        )
        .await
        .1["hcaSession"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.code(
            "/api/v1/MobileHca/Sign",
            json!({ "hcaSession": s1, "data": "AAAA" })
        )
        .await,
        "0000"
    );
    let s2 = t
        .post(
            "/api/v1/MobileHca/Login",
            json!({ "samSession": sid, "credential": c1, "deviceId": "B" }),
        )
        .await
        .1["hcaSession"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.code(
            "/api/v1/MobileHca/Sign",
            json!({ "hcaSession": s1, "data": "AAAA" })
        )
        .await,
        "1707"
    );
    t.clock.advance(8 * 3600 + 1);
    assert_eq!(
        t.code(
            "/api/v1/MobileHca/Sign",
            json!({ "hcaSession": s2, "data": "AAAA" })
        )
        .await,
        "1703"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_uploads_and_data_protection() {
    let t = T::new("certs").await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let sid = t
        .session(&mut sam, "901000000047", "7777777777")
        .await
        .unwrap();
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
    assert_eq!(t.code("/api/v1/Hca/CertStatus", body(&cert)).await, "0000");
    t.clock.advance(11);
    assert_eq!(t.code("/api/v1/Hca/CertStatus", body(&cert)).await, "1422");
    t.clock.set(PILOT_EPOCH);
    t.run
        .dc
        .revoke_cert(&dc::Dc::cert_serial(&cert).unwrap())
        .unwrap();
    assert_eq!(t.code("/api/v1/Hca/CertStatus", body(&cert)).await, "1424");
    // A certificate from another CA.
    let key = rcgen::KeyPair::generate().unwrap();
    let foreign = rcgen::CertificateParams::new(vec!["x".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    assert_eq!(
        t.code("/api/v1/Hca/CertStatus", body(foreign.der())).await,
        "1423"
    );

    // Upload with the special code, then query.
    let mut up = T::sam_auth(&mut sam, "901000000047", "7777777777");
    up["specialCode"] = json!("VC1");
    up["hcId"] = json!("900000000001");
    assert_eq!(t.code("/api/v1/Upload", up.clone()).await, "1705");
    up["specialCode"] = json!("VC19");
    assert_eq!(t.code("/api/v1/Upload", up.clone()).await, "0000");
    let q = t.post("/api/v1/Upload/Query", up).await.1;
    assert_eq!(q["uploads"].as_array().unwrap().len(), 1);

    // Masked by default; plaintext only through an approved, unexpired request; audited.
    let m = t
        .post("/api/v1/Admin/Person", json!({ "cardId": "900000000001" }))
        .await
        .1;
    assert_eq!(
        (m["idNo"].as_str(), m["name"].as_str()),
        (Some("A123***789"), Some("王○明"))
    );
    let rid = t
        .post(
            "/api/v1/Admin/DecryptRequest",
            json!({ "requester": "clerk", "cardId": "900000000001", "reason": "audit case 7" }),
        )
        .await
        .1["requestId"]
        .as_i64()
        .unwrap();
    assert_eq!(
        t.code(
            "/api/v1/Admin/View",
            json!({ "requestId": rid, "requester": "clerk" })
        )
        .await,
        "1706",
        "not approved"
    );
    assert_eq!(
        t.code(
            "/api/v1/Admin/Approve",
            json!({ "requestId": rid, "approver": "clerk", "role": "supervisor" })
        )
        .await,
        "1706",
        "own request"
    );
    assert_eq!(
        t.code(
            "/api/v1/Admin/Approve",
            json!({ "requestId": rid, "approver": "boss", "role": "clerk" })
        )
        .await,
        "1706",
        "wrong role"
    );
    assert_eq!(
        t.code(
            "/api/v1/Admin/Approve",
            json!({ "requestId": rid, "approver": "boss", "role": "supervisor" })
        )
        .await,
        "0000"
    );
    let v = t
        .post(
            "/api/v1/Admin/View",
            json!({ "requestId": rid, "requester": "clerk" }),
        )
        .await
        .1;
    assert_eq!(v["idNo"], "A123456789");
    let audit = t.post("/api/v1/Admin/Audit", json!({})).await.1;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
    t.clock.advance(901);
    assert_eq!(
        t.code(
            "/api/v1/Admin/View",
            json!({ "requestId": rid, "requester": "clerk" })
        )
        .await,
        "1706",
        "approval expired"
    );

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
    let t = T::new("marker").await;
    let f = Fixtures::demo().unwrap();
    let k = CardFactory::test().unwrap();
    let mut sam = k.sam(f.hospital("7777777777").unwrap()).unwrap();
    let sid = t
        .session(&mut sam, "901000000047", "7777777777")
        .await
        .unwrap();
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
        let (http, v) = t
            .post(
                "/api/v1/Hc/Marker",
                json!({ "samSession": sid, "hcId": bad }),
            )
            .await;
        assert_eq!(v["statusCode"], "1705", "hcId {bad:?}: HTTP {http} {v}");
    }
    let (_, v) = t
        .post(
            "/api/v1/Hc/Marker",
            json!({ "samSession": sid, "hcId": "900000000711" }),
        )
        .await;
    assert_eq!(v["statusCode"], "0000", "{v}");
    let marker = B64.decode(v["marker"].as_str().unwrap()).unwrap();
    assert!(marker.ends_with(b"0711"), "{marker:?}");
}
