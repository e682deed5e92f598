//! What a pilot case records: every call to the SUT and to the DC as a [`Check`], and the
//! case's result.

use super::plan::FailureClass;
use super::population::{PilotPerson, Site};
use crate::check::{Check, Expectation};
use crate::client::{Exchange, SutClient};
use crate::world::World;
use nhi_protocol::StatusCode;
use serde::Serialize;
use serde_json::Value;

/// The prefix of every virtual-card path of the DC (`nhi_protocol::dc::path::VC_*`),
/// where the pilot arms DC faults.
pub(super) const DC_VIRTUAL_CARD: &str = "/api/v1/VirtualCard/";

/// Which side of the pilot a step talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The implementation under test.
    Sut,
    /// The DC, as the phone app or the HIS reaches it.
    Dc,
}

/// Where a pilot check happened: the named step and its side.
#[derive(Debug, Clone, Serialize)]
pub struct PilotStep {
    /// What the step is.
    pub name: String,
    /// `sut` or `dc`.
    pub side: Side,
}

impl std::fmt::Display for PilotStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step \"{}\"", self.name)
    }
}

/// One checked step of a case.
pub type StepResult = Check<PilotStep>;

/// One case.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseResult {
    /// Stable id, e.g. `pilot/kvgh/017`.
    pub id: String,
    /// Site key.
    pub site: String,
    /// Sex.
    pub sex: String,
    /// Age band.
    pub band: String,
    /// Failure class carried, if any.
    pub failure: Option<FailureClass>,
    /// The code a correct SUT returns at the failing step.
    pub expected_code: Option<String>,
    /// What must not be lost.
    pub must_not_lose: Option<&'static str>,
    /// Every expectation held (and the case could be set up).
    pub pass: bool,
    /// Complete valid flow (registration through upload) reached.
    pub completed: bool,
    /// Why the case could not be played as planned (a card, a reader or the DC's
    /// settings could not be prepared); the case fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Steps.
    pub steps: Vec<StepResult>,
}

impl CaseResult {
    /// The first failed step, or the set-up error, as one line.
    pub fn first_failure(&self) -> Option<String> {
        match (&self.error, self.steps.iter().find(|s| !s.pass)) {
            (Some(e), _) => Some(format!("set-up: {e}")),
            (None, Some(st)) => Some(st.to_string()),
            (None, None) => None,
        }
    }
}

/// Records the checks of one case against the world's SUT and DC.
pub(super) struct Recorder<'a> {
    pub w: &'a World,
    steps: Vec<StepResult>,
    /// The last exchange, with its APDUs: the evidence when a field check fails it later.
    last: Option<Exchange>,
}

impl<'a> Recorder<'a> {
    pub fn new(w: &'a World) -> Recorder<'a> {
        Recorder {
            w,
            steps: Vec::new(),
            last: None,
        }
    }

    /// Calls the SUT and checks the status code.
    pub async fn sut(
        &mut self,
        name: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> Exchange {
        let sut = self.w.sut.clone();
        self.sut_on(&sut, name, method, path, body, want).await
    }

    /// Calls another device (a partner institution's) and checks the status code.
    pub async fn sut_on(
        &mut self,
        client: &SutClient,
        name: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> Exchange {
        let mark = self.w.apdu_log.mark();
        let mut x = client.call(method, path, body).await;
        x.apdus = self.w.apdu_log.since(mark).records;
        self.record(name, Side::Sut, &x, want);
        x.apdus = Vec::new();
        x
    }

    /// POSTs a request body to a DC path (as the phone app or the HIS) and checks the
    /// status code.
    pub async fn dc<T: Serialize>(
        &mut self,
        name: &str,
        path: &str,
        body: &T,
        want: StatusCode,
    ) -> Exchange {
        let x = self.w.dc_api.send(path, body).await;
        self.record(name, Side::Dc, &x, want);
        x
    }

    fn record(&mut self, name: &str, side: Side, x: &Exchange, want: StatusCode) {
        let at = PilotStep {
            name: name.into(),
            side,
        };
        let check = Check::of(at, x, &Expectation::Code(want), Vec::new());
        self.steps.push(check);
        self.last = Some(x.clone());
    }

    /// Fails the last step with a note when a field check on its reply does not hold.
    pub fn check(&mut self, ok: bool, note: impl FnOnce() -> String) {
        if !ok {
            if let Some(s) = self.steps.last_mut() {
                s.fail(note());
                if s.evidence.is_none() {
                    s.evidence = self.last.take();
                }
            }
        }
    }

    /// The case's result; `outcome` is whether the valid flow completed, or why the case
    /// could not be set up.
    pub fn finish(
        self,
        outcome: Result<bool, String>,
        id: String,
        site: &Site,
        p: &PilotPerson,
        f: Option<FailureClass>,
    ) -> CaseResult {
        let (completed, error) = match outcome {
            Ok(completed) => (completed, None),
            Err(e) => (false, Some(e)),
        };
        CaseResult {
            id,
            site: site.key.into(),
            sex: p.sex.clone(),
            band: p.band.into(),
            failure: f,
            expected_code: f.map(|x| x.expected().code().to_string()),
            must_not_lose: f.map(FailureClass::must_not_lose),
            pass: error.is_none() && self.steps.iter().all(|s| s.pass),
            completed,
            error,
            steps: self.steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_fault_prefix_covers_every_virtual_card_path() {
        use nhi_protocol::dc::path;
        let vc = [
            path::VC_REGISTER,
            path::VC_ACTIVATE,
            path::VC_TOKEN,
            path::VC_VERIFY,
            path::VC_INSPECT,
            path::VC_TRANSFER_EXPORT,
            path::VC_TRANSFER_IMPORT,
            path::VC_LOST_PHONE,
        ];
        for p in vc {
            assert!(p.starts_with(DC_VIRTUAL_CARD), "{p}");
        }
        let others = path::ALL.iter().filter(|p| p.starts_with(DC_VIRTUAL_CARD));
        assert_eq!(others.count(), vc.len());
    }

    #[test]
    fn a_step_keeps_its_json_field_names() {
        let x = Exchange {
            request: "POST /api/v1/Upload".into(),
            body: json!({}),
            http: 502,
            reply: json!("bad gateway"),
            status: None,
            ms: 2.0,
            allow_origin: None,
            apdus: Vec::new(),
        };
        let at = PilotStep {
            name: "upload".into(),
            side: Side::Dc,
        };
        let st = Check::of(at, &x, &Expectation::Code(StatusCode::Success), Vec::new());
        let v = serde_json::to_value(&st).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec![
            "name", "side", "request", "expected", "got", "pass", "ms", "evidence",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(v["side"], "dc");
        // The evidence is what really came back, not a made-up 200.
        assert_eq!(v["evidence"]["http"], 502);
        assert_eq!(
            st.to_string(),
            "step \"upload\" POST /api/v1/Upload expected 0000 got no answer"
        );
    }
}
