//! The scenario file format (`scenarios/*.toml`, documented in `scenarios/README.md`):
//! typed so that a step is exactly one [`Action`] and a call always has an
//! [`Expectation`]. Files are read through the wire shape in `wire.rs`, whose flat keys
//! keep toml's line numbers in type errors.

use crate::check::Expectation;
use nhi_emulator::dc::ArmedFault;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable id, e.g. `hc/pin/physical`.
    pub id: String,
    /// Title.
    pub title: String,
    /// The requirement it checks: a reference into the seed documents (the requirement
    /// texts), e.g. `004 健保卡 PIN …; 1511`. Not a random seed. The key is `seed`;
    /// `source` is accepted too.
    #[serde(rename = "seed", alias = "source")]
    pub requirement: String,
    /// Tags for `--tag`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The transports that can carry what the scenario checks (e.g. a reader fault);
    /// empty: all. A scenario whose transports exclude the run's is not selected.
    #[serde(default)]
    pub transports: Vec<crate::world::TransportKind>,
    /// The embedded middleware's DC timeout for this scenario (ms), for time-out cases.
    pub dc_timeout_ms: Option<u64>,
    /// Seconds the COM-port reader's own clock is off the DC's when the world starts, for
    /// the SAM verification's 校時 (seed 004). The harness sets it on the world it starts:
    /// a scenario with it does not apply to an external SUT.
    pub com_clock_drift: Option<i64>,
    /// Steps.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
    /// Where it was read from.
    #[serde(skip)]
    pub file: PathBuf,
}

/// One step of a scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "super::wire::RawStep")]
pub struct Step {
    /// What the step does.
    pub action: Action,
    /// Mode × operation cells the step's call exercises (generated scenarios; see
    /// cells.rs); empty for other steps.
    pub cells: Vec<String>,
}

impl Scenario {
    /// Whether the scenario applies to a run over `transport` (`external`: the SUT is not
    /// the embedded middleware, so it cannot be in-process).
    pub fn applies_to(&self, transport: crate::world::TransportKind, external: bool) -> bool {
        use crate::world::TransportKind;
        let restarts = self
            .steps
            .iter()
            .any(|s| matches!(s.action, Action::Restart));
        (self.transports.is_empty()
            || (self.transports.contains(&transport)
                && !(external && transport == TransportKind::Inproc)))
            && !(external && (restarts || self.com_clock_drift.is_some()))
    }
}

impl Step {
    /// Whether the step arms a DC fault (such scenarios measure the fault, not the SUT).
    pub fn arms_fault(&self) -> bool {
        matches!(self.action, Action::Fault(_))
    }
}

/// What a step does; a step has exactly one.
#[derive(Debug, Clone)]
pub enum Action {
    /// Put a card in a reader.
    Insert(Insert),
    /// Take the card out of a reader (`hc`, `sam`, `hpc`, `spare`).
    Remove(String),
    /// A Web API call, checked.
    Call(Call),
    /// Move the virtual clock forward by seconds.
    Clock(i64),
    /// Arm a DC fault.
    Fault(ArmedFault),
    /// Disarm all DC faults.
    FaultClear,
    /// Stop the SUT and start it again on the same settings directory (seed 004: 「變更設定
    /// 需等到下次程式重新啟動時才會載入」). Only the embedded middleware can be restarted by the
    /// harness: a scenario with this step does not apply to an external SUT.
    Restart,
    /// Set (or clear) a fault of a role's reader hardware.
    ReaderFault(ReaderFaultStep),
    /// An event in the world outside the SUT (the DC, a phone, an institution).
    Event(ScriptedEvent),
    /// What a person does at a reader's PIN pad when it next asks (pad.rs).
    Pad(super::pad::PadStep),
}

/// Which device a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The SUT.
    Sut,
    /// A second device of another institution (reference middleware with that
    /// institution's cloud SAM): `partner_call`.
    Partner,
    /// The emulated DC itself (`dc_call`, see `dc_call.rs`).
    Dc,
}

/// A checked Web API call.
#[derive(Debug, Clone)]
pub struct Call {
    /// Where it goes.
    pub device: Device,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// `/api/…`.
    pub path: String,
    /// Request body (strings may use `${var}`, `${var|garble}`, `${var|forge}`).
    pub body: Option<toml::Value>,
    /// The status code(s) it must answer.
    pub expect: Expectation,
    /// Expected fields of the reply (objects match by subset), after substitution.
    pub fields: Option<toml::Table>,
    /// Fields that must be absent (or null) in the reply.
    pub absent: Vec<String>,
    /// Reply fields saved into variables: variable → field.
    pub save: BTreeMap<String, String>,
    /// How many times the call is made, each checked (1 unless `repeat` says more).
    pub repeat: u32,
    /// The `Origin` header to send, and whether the reply must allow it (CORS).
    pub origin: Option<(String, Option<bool>)>,
}

/// `reader_fault` step: `{ reader = "hc", fault = "unplugged" }`; no `fault` clears it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderFaultStep {
    /// Reader role.
    pub reader: String,
    /// `unplugged`, `failing`, `garbling`; absent: the reader works again.
    pub fault: Option<nhi_emulator::reader::ReaderFault>,
}

/// `insert` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insert {
    /// Reader role.
    pub reader: String,
    /// Card kind.
    pub card: String,
    /// Fixture key.
    pub person: Option<String>,
}

/// Events in the world outside the SUT.
#[derive(Debug, Clone)]
pub enum ScriptedEvent {
    /// `virtual_card`: a virtual card for a person with its phone activated.
    VirtualCard(VirtualCard),
    /// `standing`: an institution's standing at the DC.
    Standing(Standing),
    /// `cloud_sam_file`: an institution's cloud SAM file into `<as>.fileName`,
    /// `<as>.content`.
    CloudSamFile(Named),
    /// `hca_credential`: a mobile HCA credential of an HPC holder.
    HcaCredential(HcaCredential),
    /// `lose_phone`: report a phone lost at the DC.
    LosePhone(String),
    /// `revoke_cert`: revoke the certificate on an HPC holder's card at the DC.
    RevokeCert(String),
    /// `guardian`: delegate a dependant to a guardian's phone (token into `as`) or revoke.
    Guardian(Guardian),
}

/// `guardian` step (seed 001 guardians).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardian {
    /// The dependant (ID or card number).
    pub dependant: String,
    /// The guardian's phone (already activated by a `virtual_card` step).
    #[serde(default = "default_phone")]
    pub phone: String,
    /// Variable for the dependant's token (a grant needs one).
    #[serde(rename = "as", default)]
    pub var: Option<String>,
    /// Revoke the delegation instead.
    #[serde(default)]
    pub revoke: bool,
}

/// `virtual_card` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualCard {
    /// Person (ID or card number).
    pub person: String,
    /// Phone id; files that use one phone need not name it.
    #[serde(default = "default_phone")]
    pub phone: String,
    /// Variable for the token.
    #[serde(rename = "as")]
    pub var: String,
    /// Only issue a new token (the phone is already active).
    #[serde(default)]
    pub token_only: bool,
    /// The holder authorises the phone's app with the PIN (健保快易通), or withdraws it.
    #[serde(default)]
    pub pin_authorized: Option<bool>,
}

fn default_phone() -> String {
    nhi_emulator::events::DEFAULT_PHONE.into()
}

/// `standing` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standing {
    /// Hospital id.
    pub hospital: String,
    /// Suspended.
    pub suspended: Option<bool>,
    /// SAM revoked.
    pub revoked: Option<bool>,
    /// Contract ended a second ago (true) or runs ten more years (false).
    pub contract_expired: Option<bool>,
}

/// A named fixture to variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    /// Fixture key.
    pub hospital: String,
    /// Variable.
    #[serde(rename = "as")]
    pub var: String,
}

/// `hca_credential` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HcaCredential {
    /// HPC holder.
    pub hpc: String,
    /// Institution the credential is for.
    pub hospital: String,
    /// Variable.
    #[serde(rename = "as")]
    pub var: String,
}

/// A scenario file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// File.
    pub file: PathBuf,
    /// Line (1-based), when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Parses one scenario file's text.
pub fn parse(file: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let mut s: Scenario = toml::from_str(text).map_err(|e| {
        // The line of the span's start: newlines before it, plus one (bytes, so a span
        // inside a multi-byte character cannot panic).
        let line = e.span().map(|sp| {
            let before = &text.as_bytes()[..sp.start.min(text.len())];
            before.iter().filter(|b| **b == b'\n').count() + 1
        });
        ScenarioError {
            file: file.to_path_buf(),
            line,
            message: e.message().to_string(),
        }
    })?;
    s.file = file.to_path_buf();
    Ok(s)
}

/// Loads every `*.toml` under `dir` (sorted by path).
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let io_error = |file: &Path, e: std::io::Error| ScenarioError {
        file: file.to_path_buf(),
        line: None,
        message: e.to_string(),
    };
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| io_error(&d, e))? {
            let p = e.map_err(|e| io_error(&d, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out: Vec<Scenario> = Vec::new();
    let mut ids = HashMap::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| io_error(&f, e))?;
        let s = parse(&f, &text)?;
        if let Some(prev) = ids.insert(s.id.clone(), s.file.clone()) {
            return Err(ScenarioError {
                file: s.file.clone(),
                line: None,
                message: format!("duplicate id {:?} (also in {})", s.id, prev.display()),
            });
        }
        out.push(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "id = \"a\"\ntitle = \"t\"\nseed = \"s\"\n";

    fn err(text: &str) -> ScenarioError {
        parse(Path::new("x.toml"), &format!("{HEAD}{text}")).unwrap_err()
    }

    #[test]
    fn malformed_files_are_reported_with_file_and_line() {
        let e = err("[[step]]\ncall = 5\n");
        assert_eq!((e.file.as_path(), e.line), (Path::new("x.toml"), Some(5)));
        assert!(e.to_string().starts_with("x.toml:5:"), "{e}");
        assert!(err("[[step]]\ncall = \"GET /x\"\n")
            .message
            .contains("expect"));
        let e = err("[[step]]\nclock = 1\nremove = \"hc\"\n");
        assert!(e.message.contains("exactly one action"), "{e}");
        assert!(e.message.contains("found 2: remove, clock"), "{e}");
        assert!(e.line.is_some(), "{e}");
        assert!(err("bogus = 1\n[[step]]\nclock = 1\n")
            .message
            .contains("bogus"));
        let e = err("[[step]]\nclock = 1\nexpect = \"0000\"\n");
        assert!(e.message.contains("`expect` belongs to a call"), "{e}");
        let e = err("[[step]]\ncall = \"GET /x\"\nexpect = \"0000\"\nexpect_not = [\"1000\"]\n");
        assert!(e.message.contains("exactly one of `expect`"), "{e}");
        assert!(err("[[step]]\ncall = \"GET /x\"\nexpect = \"9999\"\n")
            .message
            .contains("\"9999\" is not one"));
        assert!(err("[[step]]\ncall = \"FETCH /x\"\nexpect = \"0000\"\n")
            .message
            .contains("METHOD /path"));
    }

    #[test]
    fn a_step_is_one_typed_action() {
        let s = parse(
            Path::new("x.toml"),
            &format!(
                "{HEAD}[[step]]\npartner_call = \"POST /p\"\nexpect_one_of = [\"0000\", \"1000\"]\nrepeat = 2\n\
                 [[step]]\nfault_clear = true\n[[step]]\nlose_phone = \"p\"\n"
            ),
        )
        .unwrap();
        let Action::Call(c) = &s.steps[0].action else {
            panic!("{:?}", s.steps[0])
        };
        assert_eq!(
            (c.device, c.method.as_str(), c.repeat),
            (Device::Partner, "POST", 2)
        );
        assert_eq!(c.expect.to_string(), "one of 0000/1000");
        assert!(matches!(s.steps[1].action, Action::FaultClear));
        assert!(matches!(
            s.steps[2].action,
            Action::Event(ScriptedEvent::LosePhone(_))
        ));
        assert_eq!(s.requirement, "s");
    }

    #[test]
    fn a_restart_runs_only_where_the_harness_can_restart_the_sut() {
        use crate::world::TransportKind::{Inproc, Serial};
        let s = parse(
            Path::new("x.toml"),
            &format!("{HEAD}[[step]]\nrestart = true\n"),
        )
        .unwrap();
        assert!(matches!(s.steps[0].action, Action::Restart));
        assert!(s.applies_to(Inproc, false) && s.applies_to(Serial, false));
        assert!(
            !s.applies_to(Serial, true),
            "an external SUT cannot be restarted"
        );
        let e = parse(
            Path::new("x.toml"),
            &format!("{HEAD}[[step]]\nrestart = false\n"),
        )
        .unwrap_err();
        assert!(e.message.contains("`restart` can only be `true`"), "{e}");
    }
}
