//! The scenario run's report: the result of `nhi-conform run` as one document, written as
//! JSON (the merge format), JUnit XML with one test case per step group, and HTML
//! (html.rs). Partitioned runs merge into exactly what a single run produces (up to
//! timings).

mod html;

pub use html::html;

use super::ScenarioResult;
use crate::report::mask::Masker;
use crate::report::xml::{esc, evidence};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One run (or a merge of partitioned runs).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// `nhi-conform <version>`.
    pub tool: String,
    /// The SUT (URL, or "embedded reference middleware").
    pub sut: String,
    /// How cards were reached.
    pub transport: String,
    /// Seed of the DC's randomness.
    pub seed: u64,
    /// `I/N` of a partitioned run; None for a whole or merged run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// The partitions a merged report was made from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// Scenario results, ordered by id.
    pub scenarios: Vec<ScenarioResult>,
}

impl RunReport {
    /// A report of results (sorted by scenario id, so any partitioning merges back equal).
    pub fn new(
        sut: &str,
        transport: &str,
        seed: u64,
        partition: Option<(usize, usize)>,
        mut scenarios: Vec<ScenarioResult>,
    ) -> RunReport {
        scenarios.sort_by(|a, b| a.id.cmp(&b.id));
        RunReport {
            tool: format!("nhi-conform {}", env!("CARGO_PKG_VERSION")),
            sut: sut.to_string(),
            transport: transport.to_string(),
            seed,
            partition: partition.map(|(i, n)| format!("{i}/{n}")),
            merged_from: Vec::new(),
            scenarios,
        }
    }

    /// Every expectation held.
    pub fn pass(&self) -> bool {
        self.scenarios.iter().all(|s| s.pass)
    }

    /// The same report without timings (what must be equal between a single run and a
    /// merge of its partitions).
    pub fn without_timings(&self) -> RunReport {
        let mut r = self.clone();
        r.partition = None;
        r.merged_from.clear();
        for s in &mut r.scenarios {
            for c in &mut s.calls {
                c.ms = 0.0;
                if let Some(e) = c.evidence.as_mut() {
                    e.ms = 0.0;
                }
            }
        }
        r
    }

    /// The report with national IDs and names masked (`report::mask`), as it is shown and
    /// written; the masker learns every name the failed calls' replies carried first.
    pub fn masked(&self, mut m: Masker) -> RunReport {
        for s in &self.scenarios {
            for c in &s.calls {
                m.learn_check(c);
            }
        }
        let mut r = self.clone();
        for s in &mut r.scenarios {
            s.calls = s.calls.iter().map(|c| m.check(c)).collect();
            s.error = s.error.as_deref().map(|e| m.text(e));
        }
        r
    }

    /// Call latencies in milliseconds.
    pub fn latencies(&self) -> Vec<f64> {
        self.scenarios
            .iter()
            .flat_map(|s| s.calls.iter().map(|c| c.ms))
            .collect()
    }
}

/// Joins partitioned reports. They must come from the same SUT description, transport and
/// seed, and no scenario may appear twice.
pub fn merge(parts: Vec<RunReport>) -> Result<RunReport, String> {
    let first = parts.first().ok_or("nothing to merge")?;
    let (sut, transport, seed) = (first.sut.clone(), first.transport.clone(), first.seed);
    let mut all = Vec::new();
    let mut from = Vec::new();
    for p in parts {
        if p.transport != transport || p.seed != seed || p.sut != sut {
            return Err(format!(
                "cannot merge runs of different setups: {:?}/{:?}/seed {} vs {:?}/{:?}/seed {}",
                sut, transport, seed, p.sut, p.transport, p.seed
            ));
        }
        from.push(p.partition.clone().unwrap_or_else(|| "whole".into()));
        from.extend(p.merged_from.iter().cloned());
        all.extend(p.scenarios);
    }
    let mut ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "scenario {} appears in more than one input (overlapping partitions?)",
            w[0]
        ));
    }
    let mut r = RunReport::new(&sut, &transport, seed, None, all);
    from.retain(|f| f != "whole");
    r.merged_from = from;
    Ok(r)
}

/// JUnit XML: one `<testsuite>` per scenario, one `<testcase>` per step group (a checked
/// call with its repeats); a scenario that could not run is one errored test case.
pub fn junit(r: &RunReport) -> String {
    let tests: usize = r
        .scenarios
        .iter()
        .map(|s| s.calls.len().max(usize::from(s.error.is_some())))
        .sum();
    let failures: usize = r
        .scenarios
        .iter()
        .map(|s| s.calls.iter().filter(|c| !c.pass).count())
        .sum();
    let errors = r.scenarios.iter().filter(|s| s.error.is_some()).count();
    let mut x = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nhi-conform\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n");
    for s in &r.scenarios {
        let f = s.calls.iter().filter(|c| !c.pass).count();
        let t: f64 = s.calls.iter().map(|c| c.ms).sum::<f64>() / 1000.0;
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{}\" time=\"{t:.4}\">",
            esc(&s.id),
            s.calls.len().max(usize::from(s.error.is_some())),
            usize::from(s.error.is_some())
        );
        for c in &s.calls {
            let name = format!("step {:02} {}", c.at.step, c.request);
            let _ = write!(
                x,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.4}\"",
                esc(&s.id),
                esc(&name),
                c.ms / 1000.0
            );
            if c.pass {
                x.push_str("/>\n");
            } else {
                let _ = writeln!(
                    x,
                    "><failure message=\"{}\">{}</failure></testcase>",
                    esc(&c.verdict().to_string()),
                    esc(&evidence(c.evidence.as_ref()))
                );
            }
        }
        if let Some(e) = &s.error {
            let _ = writeln!(
                x,
                "    <testcase classname=\"{}\" name=\"setup\"><error message=\"{}\"/></testcase>",
                esc(&s.id),
                esc(e)
            );
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{CallResult, StepAt};

    fn res(id: &str, pass: bool) -> ScenarioResult {
        ScenarioResult {
            id: id.into(),
            title: id.into(),
            requirement: "004".into(),
            pass,
            error: None,
            calls: vec![CallResult {
                at: StepAt {
                    step: 1,
                    cells: Vec::new(),
                },
                request: "POST /api/common/v1/Initial".into(),
                expected: "0000".into(),
                got: Some(if pass { "0000" } else { "1001" }.into()),
                pass,
                note: None,
                ms: 1.5,
                evidence: None,
            }],
        }
    }

    #[test]
    fn merge_restores_the_single_run_and_refuses_overlaps() {
        let whole = RunReport::new(
            "x",
            "inproc",
            1,
            None,
            vec![res("b", true), res("a", false), res("c", true)],
        );
        let p1 = RunReport::new(
            "x",
            "inproc",
            1,
            Some((1, 2)),
            vec![res("c", true), res("a", false)],
        );
        let p2 = RunReport::new("x", "inproc", 1, Some((2, 2)), vec![res("b", true)]);
        let m = merge(vec![p2.clone(), p1.clone()]).unwrap();
        assert_eq!(m.without_timings(), whole.without_timings());
        assert_eq!(m.merged_from, vec!["2/2", "1/2"]);
        assert!(merge(vec![p1.clone(), p1.clone()])
            .unwrap_err()
            .contains("more than one"));
        let other = RunReport::new("x", "vpcd", 1, Some((2, 2)), vec![res("b", true)]);
        assert!(merge(vec![p1, other]).is_err());
    }

    #[test]
    fn junit_has_a_case_per_step_group_and_html_is_self_contained() {
        let r = RunReport::new(
            "x",
            "inproc",
            1,
            None,
            vec![res("a", false), res("b", true)],
        );
        let j = junit(&r);
        assert_eq!(j.matches("<testcase").count(), 2);
        assert_eq!(j.matches("<failure").count(), 1);
        assert!(j.contains("failures=\"1\""));
        let h = html(&r);
        assert!(h.contains("FAIL"));
        assert!(!h.contains("http://") && !h.contains("https://") && !h.contains("<script"));
    }
}
