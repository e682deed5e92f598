//! An acknowledged DC write survives kill -9: the DC runs as its own process (`nhi-emu dc`),
//! is killed with SIGKILL in the middle of a write load, restarted on the same database,
//! and every acknowledged write must be there and the database must pass integrity_check.
//!
//! CI runs 20 cycles; the full check is `NHI_KILL_CYCLES=100 cargo test -p nhi-emulator
//! --test durability -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(db: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_nhi-emu"))
        .args([
            "dc",
            "--http",
            "--frozen-at",
            "2019-10-21T09:00:00+08:00",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
        ])
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nhi-emu dc starts")
}

async fn wait_up(http: &reqwest::Client, base: &str) {
    let t = Instant::now();
    while http
        .get(format!("{base}/api/v1/Time"))
        .send()
        .await
        .is_err()
    {
        assert!(t.elapsed() < Duration::from_secs(20), "DC did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn code(http: &reqwest::Client, url: String, body: Value) -> Option<String> {
    let r = http.post(url).json(&body).send().await.ok()?;
    let v: Value = r.json().await.ok()?;
    v["statusCode"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let cycles: usize = std::env::var("NHI_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = std::env::temp_dir().join(format!("nhi-dc-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("dc.db");
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    for cycle in 0..cycles {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = start(&db, port);
        wait_up(&http, &base).await;
        // Everything acknowledged so far is still there after the last kill.
        let before: Vec<String> = acked.lock().unwrap().clone();
        for phone in &before {
            let c = code(
                &http,
                format!("{base}/api/v1/VirtualCard/Token"),
                json!({ "phoneId": phone }),
            )
            .await;
            assert_eq!(
                c.as_deref(),
                Some("0000"),
                "cycle {cycle}: acknowledged registration {phone} lost"
            );
        }
        // Write load from 4 concurrent writers; kill -9 once 40 more writes are acknowledged.
        let target = before.len() + 40;
        let mut writers = Vec::new();
        for w in 0..4 {
            let (http, base, acked) = (http.clone(), base.clone(), acked.clone());
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let phone = format!("kill-{cycle}-{w}-{i}");
                    let body =
                        json!({ "phoneId": phone, "cardNo": "900000000001", "idNo": "A123456789" });
                    match code(&http, format!("{base}/api/v1/VirtualCard/Register"), body).await {
                        Some(c) if c == "0000" => acked.lock().unwrap().push(phone),
                        _ => break,
                    }
                }
            }));
        }
        let t = Instant::now();
        while acked.lock().unwrap().len() < target {
            assert!(t.elapsed() < Duration::from_secs(30), "write load too slow");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for w in writers {
            let _ = w.await;
        }
    }
    // Final restart: all acknowledged writes present, database intact.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start(&db, port);
    wait_up(&http, &base).await;
    let all = acked.lock().unwrap().clone();
    assert!(all.len() >= cycles * 40);
    for phone in &all {
        let c = code(
            &http,
            format!("{base}/api/v1/VirtualCard/Token"),
            json!({ "phoneId": phone }),
        )
        .await;
        assert_eq!(
            c.as_deref(),
            Some("0000"),
            "acknowledged registration {phone} lost"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let c = rusqlite::Connection::open(&db).unwrap();
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    eprintln!(
        "{cycles} kill -9 cycles, {} acknowledged writes, all present, integrity ok",
        all.len()
    );
    std::fs::remove_dir_all(&dir).ok();
}
