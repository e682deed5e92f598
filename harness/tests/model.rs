//! Model-based testing: random operation sequences (proptest, with shrinking) run against
//! the reference middleware; after every step its status code and its modes must agree
//! with nhi-protocol's executable model of seed 004. A divergence is reported as a minimal
//! sequence.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_harness::world::{World, WorldOptions};
use nhi_protocol::api::{endpoints, path};
use nhi_protocol::mode::{self, Operation as Op, Outcome, SamKind, State};
use nhi_protocol::StatusCode;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::{Arc, LazyLock};

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
});

const OPS: [Op; 17] = [
    Op::Initial,
    Op::Finalize,
    Op::SamVerify,
    Op::SamLogout,
    Op::SamBasic,
    Op::SamSignature,
    Op::HcBasic,
    Op::HcSignature,
    Op::HcLogout,
    Op::HcPinStatus,
    Op::HcMarkerUpdate,
    Op::HpcVerifyPin,
    Op::HpcLogout,
    Op::HpcSignature,
    Op::HpcHcSignature,
    Op::InsertHc,
    Op::RemoveHc,
];

/// The call for an operation of [`OPS`]: method and path from nhi-protocol's endpoint
/// table, and a JSON body (None for the card events).
fn request(op: Op) -> Option<(&'static str, &'static str, Option<Value>)> {
    let e = endpoints::of_operation(op)?;
    let body = match op {
        Op::Initial => Some(json!({})),
        Op::SamSignature | Op::HcSignature | Op::HpcSignature | Op::HpcHcSignature => {
            Some(json!({ "serviceType": "01" }))
        }
        Op::HpcVerifyPin => Some(json!({ "pin": "000000" })),
        _ => None,
    };
    Some((e.method.as_str(), e.path, body))
}

/// Runs a sequence; Err(description of the first divergence).
async fn check(seq: &[Op], mutants: &[&str]) -> Result<(), String> {
    let f = nhi_emulator::fixtures::Fixtures::demo().unwrap();
    let factory = Arc::new(nhi_emulator::fixtures::CardFactory::test().unwrap());
    let o = WorldOptions {
        mutants: mutants.iter().map(|m| m.to_string()).collect(),
        ..WorldOptions::default()
    };
    let w = World::start(&f, factory.clone(), &o).await?;
    w.slots
        .sam
        .insert(Box::new(factory.sam(f.hospital("7777777777").unwrap())?));
    w.slots
        .hpc
        .insert(Box::new(factory.hpc(f.hpc("100000291508").unwrap(), 1)?));
    let mut model = mode::transition(&State::default(), Op::InsertHpc, Outcome::Success, None);
    for (i, &op) in seq.iter().enumerate() {
        let Some((m, p, body)) = request(op) else {
            // Card events.
            match op {
                Op::InsertHc if !w.slots.hc.is_present() => {
                    w.slots
                        .hc
                        .insert(Box::new(factory.hc(f.person("A123456789").unwrap())?));
                    model = mode::transition(&model, op, Outcome::Success, None);
                }
                Op::RemoveHc if w.slots.hc.remove().is_some() => {
                    model = mode::transition(&model, op, Outcome::Success, None);
                }
                _ => {}
            }
            continue;
        };
        let x = w.sut.call(m, p, body).await;
        let got = x
            .code()
            .ok_or_else(|| format!("step {i} {op:?}: no status code in {:?}", x.reply))?;
        let want = match mode::precheck(&model, op) {
            Err(code) => code,
            Ok(steps) => {
                for s in steps {
                    model = mode::apply_step(&model, s);
                }
                StatusCode::Success
            }
        };
        if got != want {
            return Err(format!(
                "step {i} {op:?}: model says {want}, SUT answered {got} ({})",
                x.reply
            ));
        }
        model = mode::transition(
            &model,
            op,
            if got.is_success() {
                Outcome::Success
            } else {
                Outcome::Failure(got)
            },
            Some(SamKind::Physical),
        );
        let s = w.sut.call("GET", path::STATUS, None).await.reply;
        let modes = (
            s["sam"]["mode"].as_u64(),
            s["hpc"]["mode"].as_u64(),
            s["hc"]["mode"].as_u64(),
        );
        let want_modes = (
            Some(u64::from(model.sam)),
            Some(u64::from(model.hpc)),
            Some(u64::from(model.hc)),
        );
        if modes != want_modes {
            return Err(format!(
                "after step {i} {op:?}: model modes (SAM, HPC, HC) {want_modes:?}, SUT {modes:?}"
            ));
        }
    }
    Ok(())
}

proptest! {
    // CI size; `PROPTEST_CASES=2000 cargo test -p nhi-harness --test model` for a long run.
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn middleware_follows_the_mode_model(seq in prop::collection::vec(prop::sample::select(OPS.to_vec()), 1..24)) {
        let r = RT.block_on(check(&seq, &[]));
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

#[test]
fn a_known_sequence_agrees() {
    let seq = [
        Op::InsertHc,
        Op::Initial,
        Op::HcBasic,
        Op::SamVerify,
        Op::HcBasic,
        Op::HpcHcSignature,
        Op::HpcVerifyPin,
        Op::HpcHcSignature,
        Op::SamLogout,
        Op::HcBasic,
        Op::Finalize,
        Op::SamBasic,
    ];
    RT.block_on(check(&seq, &[])).unwrap();
}

#[cfg_attr(
    not(feature = "mutants"),
    ignore = "planted faults need the separate build: --features mutants"
)]
#[test]
fn the_model_check_catches_broken_mode_handling() {
    let seq = [
        Op::InsertHc,
        Op::Initial,
        Op::SamVerify,
        Op::HpcVerifyPin,
        Op::HcBasic,
        Op::SamLogout,
        Op::HcBasic,
    ];
    for m in [
        "logout-no-cascade",
        "auto-verify-physical-sam",
        "no-init-check",
        "hpc-logout-noop",
    ] {
        let seq2: Vec<Op> = if m == "hpc-logout-noop" {
            vec![
                Op::Initial,
                Op::SamVerify,
                Op::HpcVerifyPin,
                Op::HpcLogout,
                Op::HpcSignature,
            ]
        } else if m == "no-init-check" {
            vec![Op::SamBasic]
        } else {
            seq.to_vec()
        };
        let r = RT.block_on(check(&seq2, &[m]));
        assert!(r.is_err(), "mutant {m} not caught by the model check");
    }
}
