//! Planted faults ("mutants") the conformance harness must detect. Compiled in only with
//! the `mutants` feature (the harness enables it); off unless named with `--mutant`.
//!
//! Most faults live here, as seams around the NHI flow rather than inside it:
//! [`Mutants::precheck`] and [`Mutants::transition`] bend the mode gate,
//! [`Mutants::after_exec`] rewrites an operation's result, and the DC client rewrites DC
//! codes. The few that must act in the middle of a procedure are one-line hooks there,
//! each a call to [`Mutants::on`]. With no fault on, every seam is the identity.

use crate::error::{Fail, OpResult};
use nhi_protocol::mode::{self, AutoStep, HcKind, Operation as Op, State};
use nhi_protocol::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

macro_rules! mutants {
    ($( $v:ident = $name:literal : $what:literal; )*) => {
        /// A planted fault.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Mutant { $( #[doc = $what] $v, )* }
        impl Mutant {
            /// Every mutant.
            pub const ALL: &'static [Mutant] = &[ $( Mutant::$v, )* ];
            /// Its name on the command line.
            pub fn name(self) -> &'static str { match self { $( Mutant::$v => $name, )* } }
            /// What it breaks.
            pub fn description(self) -> &'static str { match self { $( Mutant::$v => $what, )* } }
            /// By name.
            pub fn from_name(n: &str) -> Option<Mutant> { match n { $( $name => Some(Mutant::$v), )* _ => None } }
        }
    };
}

mutants! {
    AcceptStaleToken = "accept-stale-token": "a token older than 60 s (DC 1521) is accepted";
    IgnoreCountLimit = "ignore-count-limit": "verification count exceeded (1525) is accepted";
    PinFailureAsSuccess = "pin-failure-as-success": "a wrong HPC PIN (63Cx) is reported as 0000";
    SkipTransferHospitalCheck = "skip-transfer-hospital-check": "a cross-institution transfer (1530) is reported as 0000";
    MixTestProduction = "mix-test-production": "no 1003 check: test SAM with production cards";
    CorsAnyOrigin = "cors-any-origin": "CORS headers for every origin";
    AutoVerifyPhysicalSam = "auto-verify-physical-sam": "the physical SAM is verified automatically";
    LogoutNoCascade = "logout-no-cascade": "SAM logout leaves HPC and HC modes";
    BasicNameTruncated = "basic-name-truncated": "HC basic data: name cut to its first character";
    VirtualHasIssueDate = "virtual-has-issue-date": "virtual HC basic data carries an issue date";
    ReadBasicConsumesToken = "read-basic-consumes-token": "ReadBasic counts as a verification";
    NoInitCheck = "no-init-check": "operations run before Initial (no 1000)";
    DoubleInitOk = "double-init-ok": "a second Initial answers 0000 (no 1001)";
    VirtualPinAllowed = "virtual-pin-allowed": "PIN functions on a virtual HC answer 0000 (no 1526)";
    MarkerOnVirtual = "marker-on-virtual": "marker update on a virtual HC answers 0000 (no 1515)";
    ExportKeepsHc = "export-keeps-hc": "transfer export does not log the HC out";
    SignatureNoClientRandom = "signature-no-client-random": "SAM signature reply without clientRandom";
    DcDownAs1702 = "dc-down-as-1702": "an unreachable DC is reported as 1702 instead of 1700";
    Http5xxAs1700 = "http5xx-as-1700": "a DC HTTP 5xx is reported as 1700 instead of 1702";
    SessionExpiredAs1799 = "session-expired-as-1799": "an expired DC session is reported as 1799 instead of 1703";
    NoCertCheck = "no-cert-check": "HPC certificate status (1422-1424) is not checked";
    HcaHospitalIgnored = "hca-hospital-ignored": "mobile HCA institution mismatch (1431) accepted";
    PinFormatUnchecked = "pin-format-unchecked": "a malformed PIN is sent to the card instead of 1704";
    ThreeCardWithoutHpc = "three-card-without-hpc": "three-card signature without a PIN-verified HPC";
    TokenFormatAs1522 = "token-format-as-1522": "a malformed token is reported as 1522 instead of 1520";
    DefaultReaderUnchecked = "default-reader-unchecked": "SetDefault accepts a reader that does not exist";
    CloudSamNameUnchecked = "cloud-sam-name-unchecked": "cloud SAM import accepts a wrong file name";
    HcLogoutNoop = "hc-logout-noop": "HC logout leaves the HC verified";
    HpcLogoutNoop = "hpc-logout-noop": "HPC logout leaves the HPC PIN-verified";
    WrongLongVersion = "wrong-long-version": "Version reports longVersion 5000";
    SignatureOtherRandom = "signature-other-random": "SAM and HPC signature replies report a clientRandom other than the one signed";
    HpcSignatureWithoutHpcId = "hpc-signature-without-hpc-id": "the HPC signs clientRandom ‖ serviceType ‖ hospitalId ‖ samId without its own hpcId";
    HcSignatureWithoutCard = "hc-signature-without-card": "the HC and three-card signatures leave out the card part (the HC's own signature or token serial)";
    HcBasicBirthdayOfIssue = "hc-basic-birthday-of-issue": "physical HC basic data reports the issue date as the birthday";
    HpcBasicNamesSwapped = "hpc-basic-names-swapped": "HPC basic data swaps the Chinese and English names";
    CloudSamNameByteSlice = "cloud-sam-name-byte-slice": "cloud SAM import slices the 22-byte file name at byte 10 (a multibyte character there panics)";
}

/// The mutants switched on for one middleware instance.
#[derive(Debug, Clone, Default)]
pub struct Mutants(Arc<HashSet<Mutant>>);

impl Mutants {
    /// None on.
    pub fn none() -> Mutants {
        Mutants::default()
    }
    /// From names; fails on an unknown name or when the `mutants` feature is off.
    pub fn from_names(names: &[String]) -> Result<Mutants, String> {
        if names.is_empty() {
            return Ok(Mutants::none());
        }
        if !cfg!(feature = "mutants") {
            return Err("this build has no planted faults: they exist only in a separate build (cargo build -p nhi-harness --features mutants, or -p nhi-middleware --features mutants)".into());
        }
        let mut s = HashSet::new();
        for n in names {
            s.insert(
                Mutant::from_name(n)
                    .ok_or_else(|| format!("unknown mutant {n:?} (see --list-mutants)"))?,
            );
        }
        Ok(Mutants(Arc::new(s)))
    }
    /// Is this mutant on?
    pub fn on(&self, m: Mutant) -> bool {
        cfg!(feature = "mutants") && self.0.contains(&m)
    }
}

/// What the mode gate decides before an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Run these automatic steps, then the operation.
    Steps(Vec<AutoStep>),
    /// Refuse with this code.
    Refuse(StatusCode),
    /// Answer 0000 at once, doing nothing (double-init-ok).
    Succeed,
    /// Verify the physical SAM with the DC first, then ask the model again
    /// (auto-verify-physical-sam).
    VerifySamFirst,
}

impl Mutants {
    /// The model's precheck (`nhi_protocol::mode::precheck`), bent by the gate faults.
    pub fn precheck(&self, s: &State, op: Op) -> Gate {
        let pre = if self.on(Mutant::NoInitCheck) && !s.initialized && op != Op::Initial {
            let mut pretend = *s;
            pretend.initialized = true;
            mode::precheck(&pretend, op)
        } else if self.on(Mutant::DoubleInitOk) && op == Op::Initial && s.initialized {
            return Gate::Succeed;
        } else {
            mode::precheck(s, op)
        };
        match pre {
            Ok(steps) => Gate::Steps(steps),
            Err(StatusCode::SamMode2) if self.on(Mutant::AutoVerifyPhysicalSam) => {
                Gate::VerifySamFirst
            }
            Err(StatusCode::HpcMode3)
                if self.on(Mutant::ThreeCardWithoutHpc) && op == Op::HpcHcSignature =>
            {
                Gate::Steps(Vec::new())
            }
            Err(StatusCode::SamMode2) if self.on(Mutant::NoInitCheck) && !s.initialized => {
                Gate::Refuse(StatusCode::SamMode1)
            }
            Err(c) => Gate::Refuse(c),
        }
    }

    /// The state after `op` when a fault replaces the model's transition (None: the
    /// model's).
    pub fn transition(&self, s: &State, op: Op, ok: bool) -> Option<State> {
        let unchanged = match op {
            Op::HcTransferExport => self.on(Mutant::ExportKeepsHc),
            Op::HcLogout => self.on(Mutant::HcLogoutNoop),
            Op::HpcLogout => self.on(Mutant::HpcLogoutNoop),
            _ => false,
        };
        if unchanged {
            return Some(*s);
        }
        if op == Op::SamLogout && ok && self.on(Mutant::LogoutNoCascade) {
            let mut only_sam = *s;
            only_sam.sam = 1;
            return Some(only_sam);
        }
        None
    }

    /// An operation's result as the faults report it: replies rewritten, refusals turned
    /// into 0000 or into another code. `hc` is the HC kind the operation ran with.
    pub fn after_exec(&self, op: Op, hc: Option<HcKind>, r: OpResult) -> OpResult {
        let virtual_hc = hc == Some(HcKind::Virtual);
        match r {
            Ok(mut v) => {
                match op {
                    Op::Version if self.on(Mutant::WrongLongVersion) => {
                        v["longVersion"] = json!("5000");
                    }
                    Op::SamSignature if self.on(Mutant::SignatureNoClientRandom) => {
                        if let Some(o) = v.as_object_mut() {
                            o.remove("clientRandom");
                        }
                    }
                    Op::SamSignature | Op::HpcSignature
                        if self.on(Mutant::SignatureOtherRandom) =>
                    {
                        // Eight bytes the SUT did not sign (base64 of 01 02 … 08).
                        v["clientRandom"] = json!("AQIDBAUGBwg=");
                    }
                    Op::HcBasic if !virtual_hc && self.on(Mutant::HcBasicBirthdayOfIssue) => {
                        v["birthday"] = v["dateIssue"].clone();
                    }
                    Op::HpcBasic if self.on(Mutant::HpcBasicNamesSwapped) => {
                        let (c, e) = (v["cName"].clone(), v["eName"].clone());
                        v["cName"] = e;
                        v["eName"] = c;
                    }
                    Op::HcBasic if virtual_hc && self.on(Mutant::VirtualHasIssueDate) => {
                        v["dateIssue"] = json!("1080101");
                    }
                    Op::HcBasic if !virtual_hc && self.on(Mutant::BasicNameTruncated) => {
                        if let Some(first) = v["name"].as_str().and_then(|n| n.chars().next()) {
                            v["name"] = json!(first.to_string());
                        }
                    }
                    _ => {}
                }
                Ok(v)
            }
            Err(f) => {
                let swallowed = match (op, f.code) {
                    (Op::HpcVerifyPin, StatusCode::HpcPinFailed) => {
                        f.tries_left.is_some() && self.on(Mutant::PinFailureAsSuccess)
                    }
                    (Op::MobileHcaVerify, StatusCode::MobileHcaHospitalMismatch) => {
                        self.on(Mutant::HcaHospitalIgnored)
                    }
                    (Op::HcTransferImport, StatusCode::TransferOtherHospital) => {
                        self.on(Mutant::SkipTransferHospitalCheck)
                    }
                    (Op::HcMarkerUpdate, StatusCode::PhysicalHcOnly) => {
                        self.on(Mutant::MarkerOnVirtual)
                    }
                    (
                        Op::HcPinStatus | Op::HcPinVerify | Op::HcPinSet | Op::HcPinClear,
                        StatusCode::VirtualNoPin,
                    ) => self.on(Mutant::VirtualPinAllowed),
                    _ => false,
                };
                if swallowed {
                    return Ok(json!({}));
                }
                if matches!(op, Op::HcVirtualVerify | Op::HcVirtualReadBasic)
                    && f.code == StatusCode::TokenFormat
                    && self.on(Mutant::TokenFormatAs1522)
                {
                    return Err(Fail::code(StatusCode::TokenShape));
                }
                Err(f)
            }
        }
    }

    /// A DC refusal of a virtual-card verification that a fault lets pass
    /// (accept-stale-token, ignore-count-limit, mix-test-production).
    pub fn forgives_token_refusal(&self, f: &Fail) -> bool {
        match f.code {
            StatusCode::TokenTimedOut => self.on(Mutant::AcceptStaleToken),
            StatusCode::TokenCountExceeded => self.on(Mutant::IgnoreCountLimit),
            StatusCode::TestProductionMixed => self.on(Mutant::MixTestProduction),
            _ => false,
        }
    }
}

/// The cloud-SAM file-name check as it once was (cloud-sam-name-byte-slice): it slices the
/// `&str` at byte 10, so a 22-byte name with a multibyte character across byte 10 panics.
/// Kept so the fuzzers can show they reach it; `nhi_protocol::dc::CloudSamName` is the real
/// check. Returns whether the old check accepted the name. Not in builds without faults.
#[cfg(feature = "mutants")]
pub fn old_cloud_sam_name_check(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".SAM") else {
        return false;
    };
    // The planted bug: a byte-offset slice of untrusted input.
    stem.len() == 22
        && stem[..10].chars().all(|c| c.is_ascii_alphanumeric())
        && stem[10..].chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_25_named_mutants_round_trip() {
        assert!(Mutant::ALL.len() >= 25);
        for m in Mutant::ALL {
            assert_eq!(Mutant::from_name(m.name()), Some(*m));
        }
        assert!(Mutants::from_names(&["nope".into()]).is_err() || !cfg!(feature = "mutants"));
        assert!(!Mutants::none().on(Mutant::CorsAnyOrigin));
    }

    /// With no fault on, the seams are the model and the identity.
    #[test]
    fn with_no_fault_on_every_seam_is_the_identity() {
        let none = Mutants::none();
        let fresh = State::default();
        let ready = mode::transition(&fresh, Op::Initial, mode::Outcome::Success, None);
        for s in [fresh, ready] {
            for row in mode::TABLE {
                let want = match mode::precheck(&s, row.op) {
                    Ok(steps) => Gate::Steps(steps),
                    Err(c) => Gate::Refuse(c),
                };
                assert_eq!(none.precheck(&s, row.op), want, "{:?}", row.op);
                assert_eq!(none.transition(&s, row.op, true), None);
            }
        }
        let wrong_pin = Fail::wrong_pin(StatusCode::HpcPinFailed, "PIN", 2);
        let r = none.after_exec(Op::HpcVerifyPin, None, Err(wrong_pin.clone()));
        assert_eq!(r, Err(wrong_pin));
        let v = json!({ "longVersion": "6000" });
        assert_eq!(none.after_exec(Op::Version, None, Ok(v.clone())), Ok(v));
    }
}
