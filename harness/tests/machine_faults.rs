#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Faults the machine itself causes, not the peer: the process killed with SIGKILL in the
//! middle of writing the middleware's settings file. The test re-runs its own binary as the
//! child (env `NHI_SETTINGS_SAVER` names the directory) and kills it at random instants;
//! after every kill the file must still parse and open with the same key.

use nhi_middleware::settings::{CloudSam, KeyContext, Store};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SAVER_ENV: &str = "NHI_SETTINGS_SAVER";

fn ctx() -> KeyContext {
    KeyContext {
        machine: "machine-faults".into(),
        user: "tester:0".into(),
    }
}

fn sam(i: usize) -> CloudSam {
    CloudSam {
        sam_id: format!("{:012}", 901_000_000_000u64 + i as u64),
        hospital_id: "7777777777".into(),
        hospital_name: "測試機構".repeat(50),
        hospital_short_name: "測試".into(),
        secret: "c2VjcmV0".into(),
        comport: None,
    }
}

/// The child: saves growing and shrinking settings as fast as it can until killed.
#[test]
fn settings_saver_child() {
    let Ok(dir) = std::env::var(SAVER_ENV) else {
        return; // Only meaningful as the child of the test below.
    };
    let mut s = Store::load(Some(PathBuf::from(dir)), ctx());
    for i in 0.. {
        s.cloud_sams = (0..(i % 40) + 1).map(sam).collect();
        s.settings.cors_hosts = (0..i % 200).map(|k| format!("host{k}.example")).collect();
        s.save().unwrap();
    }
}

#[test]
fn settings_survive_kill_9_during_save() {
    let dir = std::env::temp_dir().join(format!("nhi-kill9-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    let rounds = if std::env::var("NHI_FUZZ_FULL").as_deref() == Ok("1") {
        200
    } else {
        15
    };
    let started = Instant::now();
    let mut seen_file = 0;
    for round in 0..rounds {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "settings_saver_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SAVER_ENV, &dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill at varying instants, most of them while saves are under way.
        std::thread::sleep(Duration::from_millis(40 + (round * 37 % 160) as u64));
        child.kill().unwrap(); // SIGKILL on Unix.
        child.wait().unwrap();
        let path = dir.join("settings.json");
        if path.exists() {
            seen_file += 1;
            let raw = std::fs::read(&path).unwrap();
            serde_json::from_slice::<serde_json::Value>(&raw)
                .unwrap_or_else(|e| panic!("round {round}: torn settings file ({e})"));
            let back = Store::load(Some(dir.clone()), ctx());
            assert!(
                back.store_error.is_none() && !back.cloud_sams.is_empty(),
                "round {round}: cloud SAM store unreadable: {:?}",
                back.store_error
            );
        }
    }
    println!(
        "settings kill -9: {rounds} kills, file present and intact after {seen_file}, {:?}",
        started.elapsed()
    );
    assert!(
        seen_file > 0,
        "the child never saved: the test proves nothing"
    );
    std::fs::remove_dir_all(dir).ok();
}
