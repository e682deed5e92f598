#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Three processes, as a vendor runs it: `nhi-emu up` (DC, control API, a COM-port reader
//! whose four slots carry the harness's reader names), `nhi-middleware --com <pty>` as the
//! external SUT, and `nhi-conform run --sut … --emulator …`. Every scenario must pass,
//! with the bench and the SUT reset between scenarios through their APIs.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The workspace's binaries, built if this test runs alone.
fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let p = dir.join(name);
    if !p.exists() {
        let st = Command::new(env!("CARGO"))
            .args([
                "build",
                "-p",
                "nhi-emulator",
                "--bin",
                "nhi-emu",
                "-p",
                "nhi-middleware",
                "--bin",
                "nhi-middleware",
            ])
            .status()
            .unwrap();
        assert!(st.success());
    }
    p
}

/// Starts a process and reads its stdout until `last` appears; returns the lines.
fn start(cmd: &mut Command, last: &str) -> (Kill, Vec<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    let mut it = BufReader::new(out).lines();
    for l in it.by_ref() {
        let l = l.unwrap();
        let done = l.contains(last);
        lines.push(l);
        if done {
            break;
        }
    }
    // Keep draining: a process whose stdout reader left would get EPIPE.
    std::thread::spawn(move || for _ in it {});
    (Kill(child), lines)
}

fn word_after(lines: &[String], key: &str, n: usize) -> String {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(key))
        .and_then(|l| l.split_whitespace().nth(n).map(str::to_string))
        .unwrap_or_else(|| panic!("{key} not printed: {lines:#?}"))
}

/// The two processes a vendor starts: `nhi-emu up` (its COM reader's four slots named as the
/// harness's readers) and `nhi-middleware --com <pty>` as the SUT. Returns them with the
/// control API's and the SUT's URLs.
fn bench(dir: &std::path::Path) -> (Kill, Kill, String, String) {
    std::fs::create_dir_all(dir).unwrap();
    let cfg = dir.join("up.toml");
    use nhi_harness::world::{READER_HC, READER_HPC, READER_SAM, READER_SPARE};
    let com: String = [READER_HC, READER_SAM, READER_HPC, READER_SPARE]
        .iter()
        .map(|r| format!("[[com]]\nlabel = {r:?}\n"))
        .collect();
    std::fs::write(
        &cfg,
        format!(
            "control = \"127.0.0.1:0\"\ndc = \"127.0.0.1:0\"\ndb = {:?}\nslot = []\n{com}",
            dir.join("dc.db")
        ),
    )
    .unwrap();
    let (up_proc, up) = start(
        Command::new(bin("nhi-emu"))
            .args(["up", "--frozen-at", "2019-10-21T00:00:00Z", "--config"])
            .arg(&cfg),
        "Ctrl-C",
    );
    let control = word_after(&up, "control API", 2);
    let pty = word_after(&up, "COM port", 2);
    let dc = word_after(&up, "DC", 1);
    let ca = dir.join("dc.ca.pem");
    let (mw_proc, mw) = start(
        Command::new(bin("nhi-middleware"))
            .args(["--com", &pty, "--dc", &dc, "--dc-ca"])
            .arg(&ca)
            .args([
                "--http",
                "--listen",
                "127.0.0.1:0",
                "--dc-timeout-ms",
                "2000",
                "--state-dir",
            ])
            .arg(dir.join("mw")),
        "listening on",
    );
    let sut = word_after(&mw, "nhi-middleware listening on", 3);
    (up_proc, mw_proc, control, sut)
}

#[test]
fn scenarios_pass_against_external_processes() {
    let dir = std::env::temp_dir().join(format!("nhi-remote-{}", std::process::id()));
    let (_up, _mw, control, sut) = bench(&dir);
    let json = dir.join("remote.json");
    let out = Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
        .args([
            "run",
            "--quiet",
            "--sut",
            &sut,
            "--emulator",
            &control,
            // The SUT reaches the cards through the COM reader: its scenarios run too.
            "--transport",
            "serial",
            "--scenarios",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: nhi_harness::scenario::report::RunReport =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(r.scenarios.len() >= 21);
    assert!(r.transport.contains("emulator"));
    assert!(stdout.contains("cells exercised: 209/209"), "{stdout}");
    assert!(
        r.scenarios
            .iter()
            .any(|s| s.id == "common/reader-faults-com" && s.pass),
        "the COM reader's faults reach the external SUT (1201, 1202)"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn emulator_flag_names_an_unreachable_emulator() {
    let out = Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
        .args([
            "run",
            "--quiet",
            "--sut",
            "http://127.0.0.1:9",
            "--emulator",
            "http://127.0.0.1:9",
            "--scenarios",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nhi-emu up"));
}

/// A scenario whose expectation is wrong (the name on the card is not 錯名字): it must fail
/// against a correct SUT, and the failed step must carry the SUT's HTTP exchange and the
/// APDUs the emulator in the other process saw (fetched from its `GET /apdu-log`).
const WRONG_NAME: &str = r#"
id = "remote/wrong-name"
title = "basic data expected with another name (fails on purpose)"
seed = "004 健保卡: 基本資料"

[[step]]
insert = { reader = "sam", card = "sam" }

[[step]]
insert = { reader = "hc", card = "hc", person = "A123456789" }

[[step]]
call = "POST /api/common/v1/Initial"
expect = "0000"

[[step]]
call = "POST /api/sam/v1/Verification"
expect = "0000"

[[step]]
call = "GET /api/hc/v1/BasicData"
expect = "0000"
fields = { name = "錯名字" }
"#;

#[test]
fn a_failed_step_carries_the_wirelog_of_an_emulator_in_another_process() {
    let dir = std::env::temp_dir().join(format!("nhi-remote-wirelog-{}", std::process::id()));
    let (_up, _mw, control, sut) = bench(&dir);
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("wrong-name.toml"), WRONG_NAME).unwrap();
    let json = dir.join("wirelog.json");
    let out = Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
        .args([
            "run",
            "--quiet",
            "--sut",
            &sut,
            "--emulator",
            &control,
            "--transport",
            "serial",
            "--unmasked",
            "--scenarios",
        ])
        .arg(&scenarios)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the wrong expectation must fail the run: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r: nhi_harness::scenario::report::RunReport =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let s = &r.scenarios[0];
    let failed = s.calls.iter().find(|c| !c.pass).expect("a failed step");
    assert_eq!(failed.request, "GET /api/hc/v1/BasicData");
    let x = failed.evidence.as_ref().expect("the failed step's wirelog");
    assert_eq!(x.http, 200);
    assert!(
        x.reply.to_string().contains("A123456789"),
        "the SUT's reply, unmasked: {x:?}"
    );
    // The HC's basic data was read in the emulator process (GET DATA 00 CA 11 00).
    assert!(
        x.apdus
            .iter()
            .any(|a| a.command.starts_with("00CA11") && a.response.ends_with("9000")),
        "{:#?}",
        x.apdus
    );
    std::fs::remove_dir_all(&dir).ok();
}
