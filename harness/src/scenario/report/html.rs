//! The scenario run as one self-contained HTML page (inline CSS and SVG, no scripts, no
//! network fetches).

use super::RunReport;
use crate::report::svg::{bar_chart, histogram};
use crate::report::xml::esc;
use crate::scenario::code_coverage;
use crate::scenario::summary::area;
use std::fmt::Write;

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
            let wirelog = c.evidence.as_ref().map(crate::report::wirelog::html);
            let _ = write!(
                failed,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                esc(&s.id),
                c.at.step,
                esc(&c.request),
                c.expected,
                c.got.as_deref().unwrap_or("—"),
                esc(c.note.as_deref().unwrap_or("")),
                wirelog.as_deref().unwrap_or("")
            );
        }
    }
    if failed.is_empty() {
        "<p>None.</p>".into()
    } else {
        format!("<table><tr><th>scenario</th><th>step</th><th>request</th><th>expected</th><th>got</th><th>note and wirelog</th></tr>{failed}</table>")
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
