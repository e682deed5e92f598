#![allow(clippy::unwrap_used, clippy::expect_used)]
//! PINs, PUKs and tokens never reach a log: everything every crate logs at TRACE level
//! while PIN, PUK and token flows run is captured and searched, as is the middleware's
//! call log served by the API.

use nhi_harness::scenario::{parse, run_one};
use nhi_harness::world::WorldOptions;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SECRETS: [&str; 6] = [
    "86420975", "97531864", "99999999", "75319864", "24681357", "13572460",
];

const SCENARIO: &str = r#"
id = "secrets/in-logs"
title = "PIN, PUK and token flows"
seed = "security"
tags = ["security"]

[[step]]
insert = { reader = "sam", card = "sam" }
[[step]]
insert = { reader = "hpc", card = "hpc", person = "100000291508" }
[[step]]
insert = { reader = "hc", card = "hc", person = "A123456789" }
[[step]]
call = "POST /api/common/v1/Initial"
expect = "0000"
[[step]]
call = "POST /api/sam/v1/Verification"
expect = "0000"
[[step]]
call = "POST /api/hpc/v1/Verification/Hpc"
body = { pin = "000000" }
expect = "0000"
[[step]]
call = "POST /api/hpc/v1/Pin"
body = { newPin = "86420975" }
expect = "0000"
[[step]]
call = "DELETE /api/hpc/v1/Logout"
expect = "0000"
[[step]]
call = "POST /api/hpc/v1/Verification/Hpc"
body = { pin = "97531864" }
expect = "1410"
[[step]]
call = "PUT /api/hpc/v1/Pin"
body = { puk = "99999999", newPin = "75319864" }
expect = "0000"
[[step]]
call = "POST /api/hpc/v1/Verification/Hpc"
body = { pin = "75319864" }
expect = "0000"
[[step]]
call = "PUT /api/hc/v1/Pin"
body = { pin = "24681357" }
expect = "0000"
[[step]]
call = "POST /api/hc/v1/Pin"
body = { pin = "13572460" }
expect = "1513"
[[step]]
virtual_card = { person = "F221000017", as = "t" }
[[step]]
call = "POST /api/hc/v1/VirtualHc/ReadBasic"
body = { token = "${t}" }
expect = "0000"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_puks_and_tokens_are_never_logged() {
    let cap = Capture::default();
    let c2 = cap.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || c2.clone())
        .with_ansi(false)
        .init();
    let s = parse(std::path::Path::new("inline.toml"), SCENARIO).unwrap();
    let f = nhi_harness::scenario::fixtures().unwrap();
    let factory = Arc::new(nhi_emulator::fixtures::CardFactory::test().unwrap());
    let r = run_one(&s, &f, factory, &WorldOptions::default()).await;
    let bad: Vec<_> = r.calls.iter().filter(|c| !c.pass).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let log = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
    // The capture works: the middleware's call lines are there.
    assert!(
        log.contains("api call") && log.contains("/api/hpc/v1/Pin"),
        "{}",
        &log[..log.len().min(2000)]
    );
    for secret in SECRETS {
        if let Some(i) = log.find(secret) {
            panic!(
                "{secret} appears in the log: …{}…",
                &log[i.saturating_sub(300)..(i + 100).min(log.len())]
            );
        }
    }
    // The token itself (a long base64 string) is not in the log either.
    assert!(!log.contains("eyJ") && !log.contains("\"token\""));
}
