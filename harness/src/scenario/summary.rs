//! The terminal summary of a scenario run, and the status-code coverage it reports.

use super::ScenarioResult;
use nhi_protocol::StatusCode;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Every status code the results provoked and checked (expected and received), with the
/// scenarios that did.
pub fn code_coverage(results: &[ScenarioResult]) -> BTreeMap<&'static str, Vec<String>> {
    let mut m: BTreeMap<&'static str, Vec<String>> = StatusCode::ALL
        .iter()
        .map(|c| (c.code(), Vec::new()))
        .collect();
    for r in results {
        for c in r.calls.iter().filter(|c| c.pass) {
            if let Some(code) = StatusCode::from_code(&c.expected) {
                let e = m.entry(code.code()).or_default();
                if !e.contains(&r.id) {
                    e.push(r.id.clone());
                }
            }
        }
    }
    m
}

/// The area of a scenario: its id up to the first `/` (`hc/pin` → `hc`).
pub fn area(id: &str) -> &str {
    id.split_once('/').map_or(id, |(a, _)| a)
}

/// The terminal summary and coverage table.
pub fn summary(results: &[ScenarioResult]) -> String {
    let mut s = String::new();
    let passed = results.iter().filter(|r| r.pass).count();
    let _ = writeln!(
        s,
        "scenarios: {}   passed: {passed}   failed: {}",
        results.len(),
        results.len() - passed
    );
    let mut areas: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for r in results {
        let e = areas.entry(area(&r.id)).or_default();
        e.0 += usize::from(r.pass);
        e.1 += 1;
        e.2 += r.calls.len();
    }
    let _ = writeln!(s, "  {:10} {:>9} {:>7}", "area", "scenarios", "checks");
    for (a, (p, t, c)) in &areas {
        let _ = writeln!(s, "  {a:10} {:>9} {c:>7}", format!("{p}/{t}"));
    }
    for r in results.iter().filter(|r| !r.pass) {
        match (&r.error, r.calls.iter().find(|c| !c.pass)) {
            (Some(e), _) => {
                let _ = writeln!(s, "FAIL {}: {e}", r.id);
            }
            (None, Some(c)) => {
                let _ = writeln!(s, "FAIL {}: {c}", r.id);
            }
            (None, None) => {}
        }
    }
    let cov = code_coverage(results);
    let reached = cov.values().filter(|v| !v.is_empty()).count();
    let _ = writeln!(s, "status codes provoked and checked: {reached}/64");
    let missing: Vec<&str> = cov
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(s, "not reached: {}", missing.join(" "));
    }
    let cells = crate::cells::coverage(results);
    let hit = cells.values().filter(|v| !v.is_empty()).count();
    let not_hit: Vec<&str> = cells
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k.as_str())
        .take(12)
        .collect();
    let _ = writeln!(
        s,
        "mode × operation cells exercised: {hit}/{} ({:.0} %){}",
        cells.len(),
        100.0 * hit as f64 / cells.len().max(1) as f64,
        if hit < cells.len() && hit > 0 {
            format!("; not: {}", not_hit.join(", "))
        } else {
            String::new()
        }
    );
    s
}
