//! One checked exchange, shared by the scenario runner and the pilot: what was expected,
//! what came back, and the evidence when they differ. One renderer ("expected X got Y
//! (note)") serves the terminal summaries and the reports.

use crate::client::Exchange;
use nhi_protocol::StatusCode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The status code(s) a call must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Exactly this code.
    Code(StatusCode),
    /// Any one of these codes.
    OneOf(Vec<StatusCode>),
    /// Any of the 64 codes except these (a call that must get past the mode rules,
    /// whatever it then answers).
    Not(Vec<StatusCode>),
}

impl Expectation {
    /// Whether the exchange's status code meets the expectation.
    pub fn met_by(&self, x: &Exchange) -> bool {
        let got = x.code();
        match self {
            Expectation::Code(c) => got == Some(*c),
            Expectation::OneOf(l) => got.is_some_and(|g| l.contains(&g)),
            Expectation::Not(l) => got.is_some_and(|g| !l.contains(&g)),
        }
    }
}

/// `0000`, `one of 0000/1000`, `not 1000/1300`: the text stored in `Check::expected`.
impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |l: &[StatusCode]| l.iter().map(|c| c.code()).collect::<Vec<_>>().join("/");
        match self {
            Expectation::Code(c) => f.write_str(c.code()),
            Expectation::OneOf(l) => write!(f, "one of {}", join(l)),
            Expectation::Not(l) => write!(f, "not {}", join(l)),
        }
    }
}

/// One checked exchange. `At` says where in the run it happened (a scenario step, a named
/// pilot step) and is flattened into the JSON next to the common fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Check<At> {
    /// Where in the run.
    #[serde(flatten)]
    pub at: At,
    /// Request line.
    pub request: String,
    /// The expectation, as text (see [`Expectation`]'s `Display`).
    pub expected: String,
    /// Received status code; None when the reply carried none (or nothing answered).
    pub got: Option<String>,
    /// Met?
    pub pass: bool,
    /// Latency in milliseconds.
    pub ms: f64,
    /// Why a passing code still failed (field checks), or extra context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The exchange, kept for failed checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Exchange>,
}

impl<At> Check<At> {
    /// Checks `x` against `want`; `notes` are failed field checks (any note fails it).
    pub fn of(at: At, x: &Exchange, want: &Expectation, notes: Vec<String>) -> Check<At> {
        let pass = want.met_by(x) && notes.is_empty();
        Check {
            at,
            request: x.request.clone(),
            expected: want.to_string(),
            got: x.status.clone(),
            pass,
            ms: x.ms,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            evidence: (!pass).then(|| x.clone()),
        }
    }

    /// Marks the check failed with a note (a field check on an otherwise right reply).
    pub fn fail(&mut self, note: String) {
        self.pass = false;
        self.note = Some(note);
    }

    /// "expected X got Y (note)", without where and what.
    pub fn verdict(&self) -> Verdict<'_> {
        Verdict {
            expected: &self.expected,
            got: self.got.as_deref(),
            note: self.note.as_deref(),
        }
    }
}

/// The outcome of a check as text: `expected 0000 got 1001 (cardId: …)`.
pub struct Verdict<'a> {
    expected: &'a str,
    got: Option<&'a str>,
    note: Option<&'a str>,
}

impl fmt::Display for Verdict<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} got {}",
            self.expected,
            self.got.unwrap_or("no answer")
        )?;
        match self.note {
            Some(n) => write!(f, " ({n})"),
            None => Ok(()),
        }
    }
}

/// `<where> <request> expected X got Y (note)`.
impl<At: fmt::Display> fmt::Display for Check<At> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.at, self.request, self.verdict())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(code: &str) -> Exchange {
        Exchange {
            request: "GET /x".into(),
            body: json!(null),
            http: 200,
            reply: json!({ "statusCode": code }),
            status: Some(code.into()),
            ms: 1.0,
            allow_origin: None,
            apdus: Vec::new(),
        }
    }

    #[test]
    fn expectations_and_the_one_renderer() {
        let ok = Expectation::Code(StatusCode::Success);
        let c = Check::of("step 1", &answer("0000"), &ok, Vec::new());
        assert!(c.pass && c.evidence.is_none());
        let mut c = Check::of("step 2", &answer("1001"), &ok, Vec::new());
        assert!(!c.pass && c.evidence.is_some());
        assert_eq!(c.to_string(), "step 2 GET /x expected 0000 got 1001");
        c.fail("cardId differs".into());
        assert_eq!(
            c.verdict().to_string(),
            "expected 0000 got 1001 (cardId differs)"
        );
        let not = Expectation::Not(vec![StatusCode::Success]);
        assert_eq!(not.to_string(), "not 0000");
        assert!(!not.met_by(&answer("0000")) && not.met_by(&answer("1001")));
        assert!(!not.met_by(&answer("nonsense")));
    }
}
