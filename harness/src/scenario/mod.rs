//! Scenario files (`scenarios/*.toml`, format in `scenarios/README.md`) and their runner:
//! each scenario runs in a fresh world against the SUT, step by step, and records what
//! every call answered.
//!
//! - [`format`]: the file format and its parser;
//! - [`vars`]: `${var|filter}` substitution;
//! - [`pad`]: the `pad` step (a person at an ifd reader's PIN pad);
//! - [`runner`]: running scenarios;
//! - [`summary`]: the terminal summary and status-code coverage;
//! - [`report`]: the run as JSON and JUnit XML (mod.rs) and HTML (html.rs).

pub mod call_log;
pub mod dc_call;
pub mod format;
pub mod pad;
pub mod report;
pub mod runner;
pub mod summary;
pub mod vars;
mod wire;

pub use format::{load_dir, parse, Action, Call, Scenario, ScenarioError, Step};
pub use runner::{reset_sut, run_all, run_one, RunOptions};
pub use summary::{code_coverage, summary};

use crate::check::Check;
use nhi_emulator::fixtures::Fixtures;
use serde::{Deserialize, Serialize};

/// Where a scenario check happened: its step, and the mode × operation cells the call
/// exercises (generated scenarios; empty otherwise).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepAt {
    /// Step number (1-based).
    pub step: usize,
    /// Mode × operation cells the call exercised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<String>,
}

impl std::fmt::Display for StepAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {}", self.step)
    }
}

/// A checked call of a scenario.
pub type CallResult = Check<StepAt>;

/// The result of one scenario.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioResult {
    /// Scenario id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The requirement it checks (the scenario's `seed` key: a seed-document reference).
    #[serde(rename = "seed")]
    pub requirement: String,
    /// All expectations held.
    pub pass: bool,
    /// Setup error (world or step), if the scenario could not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Checked calls.
    pub calls: Vec<CallResult>,
}

/// Demo fixtures plus the production institution the scenarios use.
pub fn fixtures() -> Result<Fixtures, String> {
    Fixtures::demo().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_result_round_trips_with_its_json_field_names() {
        let c = CallResult {
            at: StepAt {
                step: 3,
                cells: vec!["HcBasic hc=1".into()],
            },
            request: "GET /api/hc/v1/BasicData".into(),
            expected: "0000".into(),
            got: Some("0000".into()),
            pass: true,
            ms: 1.25,
            note: None,
            evidence: None,
        };
        let v = serde_json::to_value(&c).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec!["step", "cells", "request", "expected", "got", "pass", "ms"];
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(serde_json::from_value::<CallResult>(v).unwrap(), c);
    }
}
