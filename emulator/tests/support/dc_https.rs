//! The mock DC over HTTPS for integration tests: launched on a temporary database, a
//! client that trusts its CA, and the SAM-session and SAM-signature steps a counter makes.
//! Shared by the DC test files (`mod support;`); each uses part of it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_emulator::card::{Card, Sam};
use nhi_emulator::clock::{VirtualClock, PILOT_EPOCH};
use nhi_emulator::dc::{self, DcConfig};
use nhi_emulator::fixtures::Fixtures;
use nhi_protocol::dc::msg::{SamChallengeReply, SamVerifyReply};
use nhi_protocol::dc::{path, signature_input};
use nhi_protocol::StatusCode::{self, Success};
use serde_json::{json, Value};

pub struct T {
    pub http: reqwest::Client,
    pub base: String,
    pub clock: VirtualClock,
    /// The DC serving for the test (its control plane in-process).
    pub run: dc::Running,
    pub dir: std::path::PathBuf,
}

impl T {
    pub async fn new(name: &str, fixtures: &Fixtures) -> T {
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
        let run = dc::launch(&l, fixtures, clock.clone(), DcConfig::default())
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

    /// HTTP status and JSON reply of a POST.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// POSTs as a staff user (`Authorization: Bearer`, fixtures/dc-staff.toml, TEST
    /// tokens) and asserts the reply's status code; returns the reply.
    pub async fn expect_as(&self, token: &str, path: &str, body: Value, want: StatusCode) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let http = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            v["statusCode"],
            want.code(),
            "{path} {body}: HTTP {http} {v}"
        );
        v
    }

    /// POSTs and asserts the reply's status code; returns the reply.
    pub async fn expect(&self, path: &str, body: Value, want: StatusCode) -> Value {
        let (http, v) = self.post(path, body.clone()).await;
        assert_eq!(
            v["statusCode"],
            want.code(),
            "{path} {body}: HTTP {http} {v}"
        );
        v
    }

    /// POSTs expecting success; returns the string field `key` of the reply.
    pub async fn field(&self, path: &str, body: Value, key: &str) -> String {
        let v = self.expect(path, body, Success).await;
        v[key].as_str().unwrap().to_string()
    }

    /// A SAM session through the card model, as the middleware would do it.
    pub async fn session(&self, sam: &mut Sam, sam_id: &str, hospital: &str) -> String {
        sam.handle(&nhi_protocol::apdu::build(
            0,
            0xA4,
            4,
            0,
            nhi_protocol::apdu::AID_SAM,
            None,
        ));
        let ch = self
            .expect(
                path::SAM_CHALLENGE,
                json!({ "samId": sam_id, "hospitalId": hospital }),
                Success,
            )
            .await;
        let ch: SamChallengeReply = serde_json::from_value(ch).unwrap();
        let dc_random = B64.decode(&ch.dc_random).unwrap();
        let r = sam.handle(&nhi_protocol::apdu::build(
            0x80,
            0x88,
            0,
            0,
            &dc_random,
            Some(0),
        ));
        let v = self
            .expect(
                path::SAM_VERIFY,
                json!({ "challengeId": ch.challenge_id, "samRandom": B64.encode(&r[..8]), "samMac": B64.encode(&r[8..40]) }),
                Success,
            )
            .await;
        let v: SamVerifyReply = serde_json::from_value(v).unwrap();
        let proof = B64.decode(&v.proof).unwrap();
        assert_eq!(
            &sam.handle(&nhi_protocol::apdu::build(0x80, 0x82, 0, 0, &proof, None))[..],
            &[0x90, 0]
        );
        v.sam_session
    }

    /// The SAM signature fields of an HIS request (service type 01).
    pub fn sam_auth(sam: &mut Sam, sam_id: &str, hospital: &str) -> Value {
        let cr = [7u8; 8];
        let data = signature_input(&cr, "01", hospital, sam_id, None);
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
