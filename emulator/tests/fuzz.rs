#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile input at the emulator's byte-level edges: COM-reader byte streams, vpcd frames
//! from pcscd's side, and virtual-card tokens. Counts per target — CI: 50 000 inputs;
//! full (`NHI_FUZZ_FULL=1`, see README): 1 000 000. No panic, every reply well-formed, and
//! the component still works normally afterwards.

use nhi_emulator::clock::VirtualClock;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::serial::{answer_bytes, SerialReader};
use nhi_emulator::reader::vpcd;
use nhi_emulator::reader::Slot;
use nhi_emulator::token::TokenIssuer;
use nhi_protocol::serial::{cmd, Decoder, Event, Frame};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Inputs per target.
fn inputs() -> u32 {
    if std::env::var("NHI_FUZZ_FULL").as_deref() == Ok("1") {
        1_000_000
    } else {
        50_000
    }
}

/// Cases of `per_case` inputs each, adding up to [`inputs`].
fn runner(per_case: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: inputs() / per_case,
        failure_persistence: None,
        ..Config::default()
    })
}

fn hc_slot() -> Slot {
    let f = Fixtures::demo().unwrap();
    let s = Slot::empty();
    s.insert(Box::new(
        CardFactory::test().unwrap().hc(&f.people[0]).unwrap(),
    ));
    s
}

/// Valid frames, then mutated: bit flips, truncation, insertion, garbage.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let frame = (
        any::<u8>(),
        0u8..10,
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(seq, c, p)| Frame::new(seq, c, p).encode().unwrap());
    let mutated =
        (frame.clone(), any::<usize>(), any::<u8>(), 0u8..4).prop_map(|(mut f, i, b, how)| {
            let i = i % f.len();
            match how {
                0 => f[i] ^= b | 1,
                1 => f.truncate(i),
                2 => f.insert(i, b),
                _ => f[i] = b,
            }
            f
        });
    prop_oneof![frame, mutated, prop::collection::vec(any::<u8>(), 0..64)]
}

#[test]
fn com_reader_survives_hostile_byte_streams() {
    // Each case: 10 chunks through one reader and decoder.
    let mut r = runner(10);
    let slot = hc_slot();
    r.run(&prop::collection::vec(stream(), 10), |chunks| {
        let mut reader = SerialReader::new(
            vec![("card".into(), slot.clone()), ("sam".into(), Slot::empty())],
            VirtualClock::at(1_600_000_000),
        );
        let mut d = Decoder::new();
        for c in &chunks {
            let out = answer_bytes(&mut reader, &mut d, c);
            // Every reply is a well-formed frame: a reply to a command or a NAK.
            for ev in Decoder::new().push(&out) {
                let Event::Frame(f) = ev else {
                    return Err(TestCaseError::fail(format!("malformed reply {out:02X?}")));
                };
                prop_assert!(f.cmd == cmd::NAK || f.cmd & cmd::REPLY != 0);
            }
        }
        // A truncated frame is answered when the line goes quiet; then SYNC + STATUS work.
        let _ = d.timeout();
        let ok = answer_bytes(
            &mut reader,
            &mut d,
            &Frame::new(1, cmd::SYNC, vec![]).encode().unwrap(),
        );
        let ok2 = answer_bytes(
            &mut reader,
            &mut d,
            &Frame::new(2, cmd::STATUS, vec![]).encode().unwrap(),
        );
        let evs: Vec<Event> = Decoder::new().push(&[ok, ok2].concat());
        prop_assert!(
            matches!(evs.last(), Some(Event::Frame(f)) if f.cmd == cmd::STATUS | cmd::REPLY),
            "{:?}",
            evs
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn vpcd_endpoint_survives_hostile_frames() {
    let slot = hc_slot();
    let frames = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..8),
        prop::collection::vec(any::<u8>(), 0..300),
        (
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..260)
        )
            .prop_map(|(ins, p1, d)| nhi_protocol::apdu::build(0, ins, p1, 0, &d, Some(0))),
    ];
    let mut r = runner(20);
    r.run(&prop::collection::vec(frames, 20), |fs| {
        for f in &fs {
            if let Some(reply) = vpcd::answer(&slot, f) {
                // Control frames answer the ATR; APDUs at least a status word.
                prop_assert!(reply.len() >= 2, "reply {:02X?} to {:02X?}", reply, f);
            }
        }
        // Power cycle: the card is still the same card.
        vpcd::answer(&slot, &[vpcd::ctrl::RESET]);
        prop_assert_eq!(
            vpcd::answer(&slot, &nhi_protocol::apdu::select_hc()),
            Some(vec![0x90, 0x00])
        );
        let b = vpcd::answer(&slot, nhi_protocol::apdu::GET_BASIC).unwrap();
        prop_assert_eq!(&b[32..42], b"A123456789");
        Ok(())
    })
    .unwrap();
}

#[test]
fn oversized_vpcd_frame_and_64k_apdu_are_refused_cleanly() {
    let slot = hc_slot();
    // A 64 KiB extended APDU: the card answers a status word, never a panic.
    let big = nhi_protocol::apdu::build(0, 0xD6, 0, 0, &vec![0x41; 65_535], None);
    let r = vpcd::answer(&slot, &big).unwrap();
    assert!(
        r.len() >= 2 && r[r.len() - 2] != 0x90,
        "{:02X?}",
        &r[r.len().saturating_sub(2)..]
    );
}

#[test]
fn a_maximal_frame_from_pcscd_over_the_socket_is_answered() {
    use std::io::{Read, Write};
    // This test plays pcscd's side of the vpcd socket.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let slot = hc_slot();
    let _ep = vpcd::VpcdEndpoint::start(l.local_addr().unwrap(), slot);
    let (mut s, _) = l.accept().unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let read_frame = |s: &mut std::net::TcpStream| {
        let mut len = [0u8; 2];
        s.read_exact(&mut len).unwrap();
        let mut b = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut b).unwrap();
        b
    };
    // The largest frame the length prefix allows: 65 535 bytes of garbage "APDU".
    let mut f = vec![0xFF, 0xFF];
    f.extend(std::iter::repeat_n(0x5A, 65_535));
    s.write_all(&f).unwrap();
    let r = read_frame(&mut s);
    assert!(r.len() >= 2, "{r:02X?}");
    // Still the same session: the ATR comes back.
    s.write_all(&[0, 1, vpcd::ctrl::GET_ATR]).unwrap();
    assert_eq!(read_frame(&mut s), nhi_protocol::apdu::ATR_HC);
}

#[test]
fn token_verifier_survives_hostile_tokens() {
    let issuer = TokenIssuer::test().unwrap();
    let v = issuer.verifier().unwrap();
    let f = Fixtures::demo().unwrap();
    let p = &f.people[0];
    let b = p.basic().unwrap();
    let payload = nhi_protocol::token::Payload {
        card_no: b.card_no,
        id_no: b.id_no,
        name: b.name,
        birthday: b.birthday,
        sex: b.sex,
        identity_status: p.status().unwrap(),
        issued_at: 1_600_000_000,
        serial: 1,
        valid_until: 1_700_000_000,
    };
    let good = issuer
        .issue(&payload, nhi_protocol::token::TokenAlg::Es256)
        .unwrap();
    assert!(v.verify(&good, 1_600_000_010).is_ok());
    let g2 = good.clone();
    let tokens = prop_oneof![
        ".{0,200}".boxed(),
        (any::<usize>(), any::<char>(), 0u8..3)
            .prop_map(move |(i, c, how)| {
                let mut t: Vec<char> = g2.chars().collect();
                let i = i % t.len();
                match how {
                    0 => t[i] = c,
                    1 => t.truncate(i),
                    _ => t.insert(i, c),
                }
                t.into_iter().collect::<String>()
            })
            .boxed(),
    ];
    let mut r = runner(10);
    r.run(&prop::collection::vec(tokens, 10), |ts| {
        for t in &ts {
            if let Err(code) = v.verify(t, 1_600_000_010) {
                // Token failures are the 15xx family of the console manual.
                prop_assert!(code.code().starts_with("15"), "{} for {t:?}", code.code());
            } else {
                prop_assert!(t == &good || t.len() >= good.len() - 1);
            }
        }
        Ok(())
    })
    .unwrap();
    assert!(v.verify(&good, 1_600_000_010).is_ok());
}
