//! The serial transport against broken COM readers (no emulator here: the other end of the
//! pty is this test): a port that does not open is 1201, a reader that refuses or garbles
//! is 1202 — promptly, and the middleware keeps serving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_middleware::serial::SerialTransport;
use nhi_middleware::{start, Config};
use nhi_protocol::serial::{Decoder, Event, Frame, Nak};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn initial(transport: SerialTransport) -> (String, Duration) {
    let mut cfg = Config::new("http://127.0.0.1:9");
    cfg.listen = ([127, 0, 0, 1], 0).into();
    cfg.tls = false;
    let r = start(cfg, Arc::new(transport)).await.unwrap();
    let t0 = Instant::now();
    let v: Value = reqwest::Client::new()
        .post(format!("{}/api/common/v1/Initial", r.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (v["statusCode"].as_str().unwrap().to_string(), t0.elapsed())
}

#[tokio::test]
async fn a_com_port_that_does_not_open_is_1201() {
    let (code, took) = initial(SerialTransport::new(std::path::Path::new(
        "/dev/nhi-no-such-port",
    )))
    .await;
    assert_eq!(code, "1201");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// A "reader" on a pty that answers every frame with `reply(frame)` bytes.
fn fake_reader(reply: fn(&Frame) -> Vec<u8>) -> std::path::PathBuf {
    let (mut master, slave) = serialport::TTYPort::pair().unwrap();
    let path = serialport::SerialPort::name(&slave).unwrap().into();
    serialport::SerialPort::set_timeout(&mut master, Duration::from_millis(50)).unwrap();
    std::thread::spawn(move || {
        let _keep = slave;
        let mut d = Decoder::new();
        let mut buf = [0u8; 512];
        loop {
            match master.read(&mut buf) {
                Ok(n) if n > 0 => {
                    for ev in d.push(&buf[..n]) {
                        if let Event::Frame(f) = ev {
                            let _ = master.write_all(&reply(&f));
                        }
                    }
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return,
            }
        }
    });
    path
}

#[tokio::test]
async fn a_reader_that_refuses_everything_is_1202() {
    let path = fake_reader(|f| {
        Frame::nak(f.seq, Nak::UnknownCommand, f.seq.wrapping_add(1))
            .encode()
            .unwrap()
    });
    let (code, took) = initial(SerialTransport::new(&path)).await;
    assert_eq!(code, "1202");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn a_reader_that_answers_garbage_is_1202_after_bounded_retries() {
    // Every reply has a broken CRC: the host retransmits, then gives up.
    let path = fake_reader(|f| {
        let mut b = Frame::new(f.seq, f.cmd | 0x80, vec![1, 2, 3])
            .encode()
            .unwrap();
        let n = b.len();
        b[n - 2] ^= 0xFF;
        b
    });
    let (code, took) = initial(SerialTransport::new(&path)).await;
    assert_eq!(code, "1202");
    assert!(took < Duration::from_secs(2), "{took:?}");
}
