//! The scenario run's report: the result of `nhi-conform run` as one document: JSON (the merge format), JUnit XML with
//! one test case per step group, and a self-contained HTML report. Partitioned runs merge
//! into exactly what a single run produces (up to timings).

use super::summary::area;
use super::{code_coverage, ScenarioResult};
use crate::report::svg::{bar_chart, histogram};
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

/// A short label for a matrix cell: the code, `a|b` for one-of, `≠rules` for "any code
/// except the mode-rule codes" (the full expectation is in the tooltip).
fn short_expectation(e: &str) -> String {
    if let Some(list) = e.strip_prefix("one of ") {
        list.replace('/', "|")
    } else if e.starts_with("not ") {
        "≠rules".into()
    } else {
        e.to_string()
    }
}

/// The pass/fail matrix: a row per scenario, a cell per step group.
fn matrix(r: &RunReport) -> String {
    let mut matrix = String::from("<table class=\"matrix\"><tr><th>scenario</th><th>steps (green: expectation held; hover for the request)</th></tr>");
    for s in &r.scenarios {
        let _ = write!(
            matrix,
            "<tr><td class=\"{}\">{}</td><td>",
            if s.pass { "ok" } else { "bad" },
            esc(&s.id)
        );
        for c in &s.calls {
            let _ = write!(
                matrix,
                "<span class=\"cell {}\" title=\"step {}: {} — expected {} got {}\">{}</span>",
                if c.pass { "p" } else { "f" },
                c.at.step,
                esc(&c.request),
                c.expected,
                c.got.as_deref().unwrap_or("—"),
                short_expectation(&c.expected)
            );
        }
        if let Some(e) = &s.error {
            let _ = write!(matrix, "<span class=\"bad\">{}</span>", esc(e));
        }
        matrix.push_str("</td></tr>");
    }
    matrix.push_str("</table>");
    matrix
}

/// The status-code coverage table, and how many codes were reached.
fn code_table(r: &RunReport) -> (String, usize) {
    let cov = code_coverage(&r.scenarios);
    let reached = cov.values().filter(|v| !v.is_empty()).count();
    let mut codes = String::from(
        "<table><tr><th>code</th><th>meaning</th><th>provoked and checked by</th></tr>",
    );
    for (code, ids) in &cov {
        let meaning = nhi_protocol::StatusCode::from_code(code).map_or_else(
            || "not a 6.0 status code".to_string(),
            |c| format!("{} · {}", c.zh(), c.en()),
        );
        let _ = write!(
            codes,
            "<tr><td class=\"{}\">{code}</td><td>{}</td><td>{}</td></tr>",
            if ids.is_empty() { "bad" } else { "ok" },
            esc(&meaning),
            if ids.is_empty() {
                "—".to_string()
            } else {
                esc(&ids.join(", "))
            }
        );
    }
    codes.push_str("</table>");
    (codes, reached)
}

/// The mode × operation cell table, cells hit and cells in all.
fn cell_table(r: &RunReport) -> (String, usize, usize) {
    let cell_cov = crate::cells::coverage(&r.scenarios);
    let cells_hit = cell_cov.values().filter(|v| !v.is_empty()).count();
    let mut by_op: std::collections::BTreeMap<&str, Vec<(&str, bool)>> = Default::default();
    for (cell, ids) in &cell_cov {
        let (op, col) = cell.split_once(' ').unwrap_or((cell.as_str(), ""));
        by_op.entry(op).or_default().push((col, !ids.is_empty()));
    }
    let mut cells = String::from(
        "<table><tr><th>function</th><th>cells (green: exercised by a passing call)</th></tr>",
    );
    for (op, cs) in &by_op {
        let _ = write!(cells, "<tr><td>{}</td><td>", esc(op));
        for (c, hit) in cs {
            let _ = write!(
                cells,
                "<span class=\"cell {}\">{}</span>",
                if *hit { "p" } else { "f" },
                esc(c)
            );
        }
        cells.push_str("</td></tr>");
    }
    cells.push_str("</table>");
    (cells, cells_hit, cell_cov.len())
}

/// The failed calls as a table.
fn failures(r: &RunReport) -> String {
    let mut failed = String::new();
    for s in r.scenarios.iter().filter(|s| !s.pass) {
        for c in s.calls.iter().filter(|c| !c.pass) {
            let _ = write!(
                failed,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.id),
                c.at.step,
                esc(&c.request),
                c.expected,
                c.got.as_deref().unwrap_or("—"),
                esc(c.note.as_deref().unwrap_or(""))
            );
        }
    }
    if failed.is_empty() {
        "<p>None.</p>".into()
    } else {
        format!("<table><tr><th>scenario</th><th>step</th><th>request</th><th>expected</th><th>got</th><th>note</th></tr>{failed}</table>")
    }
}

/// Self-contained HTML (inline CSS and SVG, no network fetches): verdict, pass/fail
/// matrix (one cell per step group), status-code coverage, latency histogram, failures.
pub fn html(r: &RunReport) -> String {
    let passed = r.scenarios.iter().filter(|s| s.pass).count();
    let verdict = if r.pass() {
        "<p class=\"ok\">PASS — every expectation held</p>"
    } else {
        "<p class=\"bad\">FAIL — some expectations did not hold</p>"
    };
    let matrix = matrix(r);
    let (codes, reached) = code_table(r);
    let (cells, cells_hit, cells_total) = cell_table(r);
    let failed = failures(r);
    let tags: std::collections::BTreeMap<String, (usize, usize)> =
        r.scenarios.iter().fold(Default::default(), |mut m, s| {
            let group = area(&s.id).to_string();
            let e = m.entry(group).or_insert((0, 0));
            e.0 += usize::from(s.pass);
            e.1 += 1;
            m
        });
    let groups: Vec<(String, usize, usize)> =
        tags.into_iter().map(|(k, (p, t))| (k, p, t)).collect();
    let lat = crate::pilot::latency_of(r.latencies());
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nhi-conform run report</title><style>
body{{font-family:system-ui,'Noto Sans TC',sans-serif;margin:2em;max-width:1200px;color:#222}}h1{{font-size:1.5em}}
.ok{{color:#1d6b33;font-weight:bold}}.bad{{color:#a11;font-weight:bold}}table{{border-collapse:collapse;font-size:13px;margin-bottom:1em}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}}figure{{display:inline-block;margin:0 1em 1em 0;vertical-align:top}}
figcaption{{font-weight:600;margin-bottom:4px}}.cell{{display:inline-block;min-width:2.6em;margin:1px;padding:1px 2px;font-size:11px;text-align:center;border-radius:3px;color:#fff}}
.cell.p{{background:#4c9a62}}.cell.f{{background:#c23b3b}}.kpi span{{display:inline-block;margin-right:2em}}</style></head><body>
<h1>nhi-conform: 6.0 Web API conformance</h1>{verdict}
<p class=\"kpi\"><span>scenarios <b>{n}</b></span><span>passed <b>{passed}</b></span><span>step groups <b>{calls}</b></span><span>status codes checked <b>{reached}/64</b></span><span>mode × operation cells <b>{cells_hit}/{cells_total}</b></span></p>
<p>SUT: {sut} · transport: {tr} · seed {seed}{merged}. {tool}. Latency over {calls} calls: p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms, max {max:.2} ms.</p>
{g}{h}
<h2>Pass/fail matrix</h2>{matrix}
<h2>Failures</h2>{failed}
<h2>Status-code coverage</h2>{codes}
<h2>Mode × operation cells</h2>{cells}
</body></html>",
        n = r.scenarios.len(),
        calls = lat.calls,
        sut = esc(&r.sut),
        tr = esc(&r.transport),
        seed = r.seed,
        merged = if r.merged_from.is_empty() {
            String::new()
        } else {
            format!(" · merged from {}", esc(&r.merged_from.join(", ")))
        },
        tool = esc(&r.tool),
        p50 = lat.p50,
        p95 = lat.p95,
        p99 = lat.p99,
        max = lat.max,
        g = bar_chart("Scenarios by area (green = passed)", &groups),
        h = histogram(&lat.histogram),
    )
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
