#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The DC's disk fills up (a fault of the machine, not of a peer): its SQLite database sits
//! on a tiny tmpfs, a filler file takes the remaining space, and writes go on. Every reply
//! stays well-formed JSON with a known status code (a failed write: HTTP 507, 1799 and
//! "database or disk is full"; no panic), the database
//! passes `PRAGMA integrity_check`, and writes succeed again once space returns. Mounting
//! a tmpfs needs root; elsewhere the test says so and passes without running.

use nhi_emulator::clock::{VirtualClock, PILOT_EPOCH};
use nhi_emulator::dc::{self, DcConfig};
use nhi_emulator::fixtures::Fixtures;
use nhi_protocol::dc::path;
use nhi_protocol::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of `size`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!("nhi-dc-diskfull-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Fills the file system holding `dir` until it refuses a byte.
fn fill(dir: &Path) -> PathBuf {
    let p = dir.join("filler");
    let mut f = std::fs::File::create(&p).unwrap();
    let chunk = vec![0u8; 4096];
    while f.write_all(&chunk).is_ok() {}
    while f.write_all(&[0]).is_ok() {}
    let _ = f.sync_all();
    p
}

async fn post(http: &reqwest::Client, base: &str, p: &str, body: &Value) -> String {
    let r = http
        .post(format!("{base}{p}"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    // A full disk is HTTP 507 (Insufficient Storage) with 1799 and its reason; a panic or
    // any other database error would say otherwise.
    let clear_full = status == 507
        && v["statusCode"] == "1799"
        && v["message"].as_str().is_some_and(|m| m.contains("full"));
    assert!(
        status == 200 || (400..500).contains(&status) || clear_full,
        "{p}: HTTP {status} on a full disk: {text}"
    );
    let code = v["statusCode"].as_str().unwrap_or_default().to_string();
    assert!(StatusCode::from_code(&code).is_some(), "{p}: {text}");
    code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dc_on_a_full_disk_answers_clearly_and_recovers() {
    let Some(fs) = Tmpfs::mount("4m") else {
        println!("skipped: cannot mount a tmpfs (not root?)");
        return;
    };
    let l = dc::Launch {
        listen: ([127, 0, 0, 1], 0).into(),
        db: fs.0.join("dc.db"),
        tls: true,
        seed: 1,
    };
    let clock = VirtualClock::at(PILOT_EPOCH);
    let run = dc::launch(&l, &Fixtures::demo().unwrap(), clock, DcConfig::default())
        .await
        .unwrap();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(run.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = run.server.url();
    let challenge = json!({ "samId": "901000000047", "hospitalId": "7777777777" });
    let ok = StatusCode::Success.code();
    assert_eq!(
        post(&http, &base, path::SAM_CHALLENGE, &challenge).await,
        ok
    );

    let filler = fill(&fs.0);
    let mut codes = BTreeMap::new();
    for i in 0..300 {
        let reg = json!({ "phoneId": format!("full-{i}"), "cardNo": "900000000711",
            "idNo": "F221000017", "photoCheck": true, "counterCheck": true });
        for (p, b) in [(path::SAM_CHALLENGE, &challenge), (path::VC_REGISTER, &reg)] {
            *codes
                .entry((p, post(&http, &base, p, b).await))
                .or_insert(0) += 1;
        }
    }
    println!("DC on a full disk: {codes:?}");
    assert!(
        codes.keys().any(|(_, c)| c != ok),
        "the disk never filled up: the test proves nothing"
    );

    std::fs::remove_file(filler).unwrap();
    assert_eq!(
        post(&http, &base, path::SAM_CHALLENGE, &challenge).await,
        ok
    );
    let reg = json!({ "phoneId": "after-full", "cardNo": "900000000711",
        "idNo": "F221000017", "photoCheck": true, "counterCheck": true });
    let after = post(&http, &base, path::VC_REGISTER, &reg).await;
    println!("after space returned: register {after}");
    let db = rusqlite::Connection::open(fs.0.join("dc.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(db);
    drop(run);
}
