//! The flat key layout of a `[[step]]` table, as the files write it, and its conversion
//! into a typed [`Step`]. serde's derive keeps toml's line numbers for type errors here;
//! the conversion enforces what derive cannot express on a flat table: exactly one action
//! key, and call options only on calls.

use super::format::{
    Action, Call, Device, HcaCredential, Insert, Named, ScriptedEvent, Standing, Step, VirtualCard,
};
use crate::check::Expectation;
use nhi_emulator::dc::Fault;
use nhi_protocol::StatusCode;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A `[[step]]` table as written: every action key and every call option.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    insert: Option<Insert>,
    remove: Option<String>,
    call: Option<String>,
    partner_call: Option<String>,
    clock: Option<i64>,
    fault: Option<Fault>,
    fault_clear: Option<bool>,
    virtual_card: Option<VirtualCard>,
    standing: Option<Standing>,
    cloud_sam_file: Option<Named>,
    hca_credential: Option<HcaCredential>,
    lose_phone: Option<String>,
    revoke_cert: Option<String>,
    // Options of a call.
    body: Option<toml::Value>,
    expect: Option<String>,
    #[serde(default)]
    expect_not: Vec<String>,
    #[serde(default)]
    expect_one_of: Vec<String>,
    #[serde(default)]
    cells: Vec<String>,
    fields: Option<toml::Table>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    save: BTreeMap<String, String>,
    repeat: Option<u32>,
    origin: Option<String>,
    cors_allowed: Option<bool>,
}

/// An action key that was set: the action, or a call still to be built from its options.
#[allow(clippy::large_enum_variant)] // lives for one conversion, never in a collection
enum Found {
    Done(Action),
    Call(Device, String),
}

const ACTIONS: &str = "insert, remove, call, partner_call, clock, fault, fault_clear, \
                       virtual_card, standing, cloud_sam_file, hca_credential, lose_phone, \
                       revoke_cert";

impl TryFrom<RawStep> for Step {
    type Error = String;

    fn try_from(r: RawStep) -> Result<Step, String> {
        use ScriptedEvent as E;
        // Every action key that is set; a call's action is built below from its options.
        let set = [
            r.call.map(|c| ("call", Found::Call(Device::Sut, c))),
            r.partner_call
                .map(|c| ("partner_call", Found::Call(Device::Partner, c))),
            r.insert.map(|x| ("insert", Found::Done(Action::Insert(x)))),
            r.remove.map(|x| ("remove", Found::Done(Action::Remove(x)))),
            r.clock.map(|x| ("clock", Found::Done(Action::Clock(x)))),
            r.fault.map(|x| ("fault", Found::Done(Action::Fault(x)))),
            r.fault_clear
                .filter(|set| *set)
                .map(|_| ("fault_clear", Found::Done(Action::FaultClear))),
            r.virtual_card.map(|x| {
                (
                    "virtual_card",
                    Found::Done(Action::Event(E::VirtualCard(x))),
                )
            }),
            r.standing
                .map(|x| ("standing", Found::Done(Action::Event(E::Standing(x))))),
            r.cloud_sam_file.map(|x| {
                (
                    "cloud_sam_file",
                    Found::Done(Action::Event(E::CloudSamFile(x))),
                )
            }),
            r.hca_credential.map(|x| {
                (
                    "hca_credential",
                    Found::Done(Action::Event(E::HcaCredential(x))),
                )
            }),
            r.lose_phone
                .map(|x| ("lose_phone", Found::Done(Action::Event(E::LosePhone(x))))),
            r.revoke_cert
                .map(|x| ("revoke_cert", Found::Done(Action::Event(E::RevokeCert(x))))),
        ];
        if r.fault_clear == Some(false) {
            return Err("`fault_clear` can only be `true`".into());
        }
        let found: Vec<(&str, Found)> = set.into_iter().flatten().collect();
        let [(_, action)]: [_; 1] = found.try_into().map_err(|f: Vec<(&str, _)>| {
            let keys: Vec<&str> = f.iter().map(|(k, _)| *k).collect();
            format!(
                "a step needs exactly one action ({ACTIONS}), found {}: {}",
                keys.len(),
                if keys.is_empty() {
                    "none".into()
                } else {
                    keys.join(", ")
                }
            )
        })?;
        let (device, line) = match action {
            Found::Done(action) => {
                return match call_options(&r.body, &r.expect, &r.fields, &r.origin, &r.cells) {
                    Some(key) => Err(format!("`{key}` belongs to a call, not to this step")),
                    None => Ok(Step {
                        action,
                        cells: Vec::new(),
                    }),
                }
            }
            Found::Call(device, line) => (device, line),
        };
        let (method, path) = match line.split_once(' ') {
            Some((m @ ("GET" | "POST" | "PUT" | "DELETE"), p)) if p.starts_with('/') => {
                (m.to_string(), p.to_string())
            }
            _ => return Err(format!("call {line:?} must be \"METHOD /path\"")),
        };
        let expect = expectation(r.expect, r.expect_not, r.expect_one_of)?;
        let origin = match (r.origin, r.cors_allowed) {
            (Some(o), allowed) => Some((o, allowed)),
            (None, Some(_)) => return Err("`cors_allowed` needs `origin`".into()),
            (None, None) => None,
        };
        let repeat = match r.repeat {
            Some(0) => return Err("`repeat` must be at least 1".into()),
            Some(n) => n,
            None => 1,
        };
        Ok(Step {
            action: Action::Call(Call {
                device,
                method,
                path,
                body: r.body,
                expect,
                fields: r.fields,
                absent: r.absent,
                save: r.save,
                repeat,
                origin,
            }),
            cells: r.cells,
        })
    }
}

/// The first call-only key set on a step that is not a call.
fn call_options(
    body: &Option<toml::Value>,
    expect: &Option<String>,
    fields: &Option<toml::Table>,
    origin: &Option<String>,
    cells: &[String],
) -> Option<&'static str> {
    [
        (body.is_some(), "body"),
        (expect.is_some(), "expect"),
        (fields.is_some(), "fields"),
        (origin.is_some(), "origin"),
        (!cells.is_empty(), "cells"),
    ]
    .into_iter()
    .find_map(|(set, key)| set.then_some(key))
}

/// Exactly one of `expect`, `expect_not`, `expect_one_of`, with known codes only.
fn expectation(
    exact: Option<String>,
    not: Vec<String>,
    one_of: Vec<String>,
) -> Result<Expectation, String> {
    let need = "a call needs exactly one of `expect` (one of the 64 status codes), \
                `expect_one_of` or `expect_not` (lists of them)";
    let code =
        |c: &str| StatusCode::from_code(c).ok_or_else(|| format!("{need}; {c:?} is not one"));
    let codes = |l: &[String]| l.iter().map(|c| code(c)).collect::<Result<Vec<_>, _>>();
    match (exact, not.is_empty(), one_of.is_empty()) {
        (Some(c), true, true) => Ok(Expectation::Code(code(&c)?)),
        (None, false, true) => Ok(Expectation::Not(codes(&not)?)),
        (None, true, false) => Ok(Expectation::OneOf(codes(&one_of)?)),
        _ => Err(need.into()),
    }
}
