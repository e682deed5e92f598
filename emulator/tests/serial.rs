#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The COM-port reader on a real pty, driven from separate processes: an independent
//! Python client written from protocol/docs/SERIAL.md, and a raw byte stream without frame ends.

use nhi_emulator::clock::VirtualClock;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::serial::{SerialEndpoint, SerialReader, READER_NAME};
use nhi_emulator::reader::Slot;
use std::process::Command;

fn endpoint() -> SerialEndpoint {
    let f = Fixtures::demo().unwrap();
    let factory = CardFactory::test().unwrap();
    let card = Slot::empty();
    card.insert(Box::new(factory.hc(&f.people[0]).unwrap()));
    let sam = Slot::empty();
    sam.insert(Box::new(factory.sam(&f.hospitals[0]).unwrap()));
    SerialEndpoint::start(SerialReader::new(
        vec![("COM card".into(), card), ("COM SAM".into(), sam)],
        VirtualClock::at(1_600_000_000),
    ))
    .unwrap()
}

#[test]
fn an_independent_client_in_another_process() {
    let ep = endpoint();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/serial_client.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(ep.path())
        .output()
        .expect("python3 (on every machine of this kind)");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sync"], 0x80);
    assert_eq!(
        v["info"],
        serde_json::json!([READER_NAME, "COM card", "COM SAM"])
    );
    assert_eq!(v["atr"], hex::encode_upper(nhi_protocol::apdu::ATR_HC));
    assert_eq!(v["select"], "9000");
    assert_eq!(v["basic_len"], 59);
    assert_eq!(v["basic_sw"], "9000");
    assert_eq!(v["id_no"], "A123456789");
    assert_eq!(v["name"], "王小明");
    assert_eq!(v["replay_same"], true);
    assert_eq!(v["nak_crc"], serde_json::json!([0xFF, 0x01]));
    assert_eq!(v["nak_truncated"], serde_json::json!([0xFF, 0x04]));
    let ms = v["truncated_ms"].as_u64().unwrap();
    assert!(
        (150..3000).contains(&ms),
        "truncation noticed after {ms} ms"
    );
    // After 0x14 the reader expects 0x15.
    assert_eq!(v["nak_seq"], serde_json::json!([0xFF, 0x05, 0x15]));
    assert_eq!(v["nak_long"], serde_json::json!([0xFF, 0x03]));
    assert_eq!(v["time_set"], 0x86);
    assert_eq!(v["time"], 1_700_000_000);
    assert_eq!(v["status"], serde_json::json!([[1, 1], [1, 0]]));
}

#[test]
fn an_endless_stream_without_frame_ends_is_survived() {
    let ep = endpoint();
    // 4 MiB of noise with STX bytes and over-long lengths sprinkled in, from `head -c` via
    // a shell (another process); then the reader must still answer a clean client.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "head -c 4194304 /dev/urandom > {p}",
            p = ep.path().display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    // The reader may still be chewing on the noise: wait for the condition (a clean client
    // gets all its answers), not for a time, with a deadline.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/serial_client.py"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let out = loop {
        let out = Command::new("python3")
            .arg(script)
            .arg(ep.path())
            .output()
            .unwrap();
        if out.status.success() || std::time::Instant::now() > deadline {
            break out;
        }
    };
    assert!(
        out.status.success(),
        "client after noise: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["basic_sw"], "9000");
}
