//! The flat key layout of a `[[step]]` table, as the files write it, and its conversion
//! into a typed [`Step`]. serde's derive keeps toml's line numbers for type errors here;
//! the conversion enforces what derive cannot express on a flat table: exactly one action
//! key, and call options only on calls.

use super::format::{
    Action, Call, Device, Guardian, HcaCredential, Insert, Named, ReaderFaultStep, ScriptedEvent,
    Standing, Step, VirtualCard,
};
use crate::check::Expectation;
use nhi_emulator::control::FaultRequest;
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
    dc_call: Option<String>,
    clock: Option<i64>,
    fault: Option<FaultRequest>,
    fault_clear: Option<bool>,
    restart: Option<bool>,
    reader_fault: Option<ReaderFaultStep>,
    virtual_card: Option<VirtualCard>,
    standing: Option<Standing>,
    cloud_sam_file: Option<Named>,
    hca_credential: Option<HcaCredential>,
    lose_phone: Option<String>,
    revoke_cert: Option<String>,
    guardian: Option<Guardian>,
    pad: Option<super::pad::PadStep>,
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

const ACTIONS: &str = "insert, remove, call, partner_call, dc_call, clock, fault, fault_clear, restart, \
                       reader_fault, virtual_card, standing, cloud_sam_file, hca_credential, lose_phone, \
                       revoke_cert, guardian, pad";

impl TryFrom<RawStep> for Step {
    type Error = String;

    fn try_from(mut r: RawStep) -> Result<Step, String> {
        let found = r.take_actions()?;
        let [(_, action)]: [_; 1] = found.try_into().map_err(|f: Vec<(&str, _)>| {
            let keys: Vec<&str> = f.iter().map(|(k, _)| *k).collect();
            let keys = if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join(", ")
            };
            let n = f.len();
            format!("a step needs exactly one action ({ACTIONS}), found {n}: {keys}")
        })?;
        match action {
            Found::Done(action) => match r.first_call_option() {
                Some(key) => Err(format!("`{key}` belongs to a call, not to this step")),
                None => Ok(Step {
                    action,
                    cells: Vec::new(),
                }),
            },
            Found::Call(device, line) => {
                let cells = std::mem::take(&mut r.cells);
                let call = r.into_call(device, &line)?;
                Ok(Step {
                    action: Action::Call(call),
                    cells,
                })
            }
        }
    }
}

/// An action key that was set, with its action.
fn done(key: &'static str, action: Action) -> (&'static str, Found) {
    (key, Found::Done(action))
}

/// An event key that was set, with its event.
fn event(key: &'static str, e: ScriptedEvent) -> (&'static str, Found) {
    done(key, Action::Event(e))
}

impl RawStep {
    /// Takes every action key that is set out of the table, leaving the call options.
    fn take_actions(&mut self) -> Result<Vec<(&'static str, Found)>, String> {
        use ScriptedEvent as E;
        let fault_clear = match self.fault_clear.take() {
            Some(true) => Some(done("fault_clear", Action::FaultClear)),
            Some(false) => return Err("`fault_clear` can only be `true`".into()),
            None => None,
        };
        let restart = match self.restart.take() {
            Some(true) => Some(done("restart", Action::Restart)),
            Some(false) => return Err("`restart` can only be `true`".into()),
            None => None,
        };
        // An unknown fault kind is an error of the file, named with the known kinds.
        let fault = match self.fault.take() {
            Some(f) => Some(done("fault", Action::Fault(f.check()?))),
            None => None,
        };
        let set = [
            self.call
                .take()
                .map(|c| ("call", Found::Call(Device::Sut, c))),
            (self.partner_call.take()).map(|c| ("partner_call", Found::Call(Device::Partner, c))),
            (self.dc_call.take()).map(|c| ("dc_call", Found::Call(Device::Dc, c))),
            self.insert
                .take()
                .map(|x| done("insert", Action::Insert(x))),
            self.remove
                .take()
                .map(|x| done("remove", Action::Remove(x))),
            self.clock.take().map(|x| done("clock", Action::Clock(x))),
            fault,
            fault_clear,
            restart,
            (self.reader_fault.take()).map(|x| done("reader_fault", Action::ReaderFault(x))),
            (self.virtual_card.take()).map(|x| event("virtual_card", E::VirtualCard(x))),
            self.standing
                .take()
                .map(|x| event("standing", E::Standing(x))),
            (self.cloud_sam_file.take()).map(|x| event("cloud_sam_file", E::CloudSamFile(x))),
            (self.hca_credential.take()).map(|x| event("hca_credential", E::HcaCredential(x))),
            self.lose_phone
                .take()
                .map(|x| event("lose_phone", E::LosePhone(x))),
            self.revoke_cert
                .take()
                .map(|x| event("revoke_cert", E::RevokeCert(x))),
            self.guardian
                .take()
                .map(|x| event("guardian", E::Guardian(x))),
            self.pad.take().map(|x| done("pad", Action::Pad(x))),
        ];
        Ok(set.into_iter().flatten().collect())
    }

    /// The first call-only key set (on a step that is not a call).
    fn first_call_option(&self) -> Option<&'static str> {
        [
            (self.body.is_some(), "body"),
            (self.expect.is_some(), "expect"),
            (self.fields.is_some(), "fields"),
            (self.origin.is_some(), "origin"),
            (!self.cells.is_empty(), "cells"),
        ]
        .into_iter()
        .find_map(|(set, key)| set.then_some(key))
    }

    /// The call `line` (`METHOD /path`) with the table's call options.
    fn into_call(self, device: Device, line: &str) -> Result<Call, String> {
        let (method, path) = match line.split_once(' ') {
            Some((m @ ("GET" | "POST" | "PUT" | "DELETE"), p)) if p.starts_with('/') => {
                (m.to_string(), p.to_string())
            }
            _ => return Err(format!("call {line:?} must be \"METHOD /path\"")),
        };
        if device == Device::Dc {
            super::dc_call::check_method(&method)?;
        }
        let expect = expectation(self.expect, self.expect_not, self.expect_one_of)?;
        let origin = match (self.origin, self.cors_allowed) {
            (Some(o), allowed) => Some((o, allowed)),
            (None, Some(_)) => return Err("`cors_allowed` needs `origin`".into()),
            (None, None) => None,
        };
        let repeat = match self.repeat {
            Some(0) => return Err("`repeat` must be at least 1".into()),
            Some(n) => n,
            None => 1,
        };
        Ok(Call {
            device,
            method,
            path,
            body: self.body,
            expect,
            fields: self.fields,
            absent: self.absent,
            save: self.save,
            repeat,
            origin,
        })
    }
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
