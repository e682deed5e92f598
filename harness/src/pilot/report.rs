//! The pilot's report: JSON, JUnit XML, and a self-contained HTML page with SVG charts.

use super::{tally, PilotReport};
use crate::report::mask::Masker;
use crate::report::svg::{bar_chart, histogram};
use crate::report::xml::{esc, evidence};
use std::fmt::Write;
use std::path::Path;

/// What every rendering of the pilot says about its failure classes.
pub const TAXONOMY_NOTE: &str = "the failure classes are this harness's own taxonomy: seed 000 only says the failed cases were to be analysed";

/// JUnit XML: one testsuite per site, one testcase per case.
pub fn junit(r: &PilotReport) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let fails = r.cases.len() - r.passed();
    let _ = writeln!(
        s,
        "<testsuites name=\"nhi-conform pilot\" tests=\"{}\" failures=\"{fails}\" time=\"{:.3}\">",
        r.cases.len(),
        r.wall_secs
    );
    for (site, (p, t)) in tally(r.cases.iter(), |c| c.site.clone()) {
        let _ = writeln!(
            s,
            "  <testsuite name=\"pilot/{}\" tests=\"{t}\" failures=\"{}\">",
            esc(&site),
            t - p
        );
        for c in r.cases.iter().filter(|c| c.site == site) {
            let ms: f64 = c.steps.iter().map(|x| x.ms).sum();
            let _ = write!(
                s,
                "    <testcase classname=\"pilot.{}\" name=\"{}\" time=\"{:.4}\"",
                esc(&site),
                esc(&c.id),
                ms / 1000.0
            );
            let failed = c.steps.iter().find(|x| !x.pass);
            match (&c.error, failed) {
                (None, None) => s.push_str("/>\n"),
                (Some(e), _) => {
                    let _ = write!(
                        s,
                        ">\n      <error message=\"set-up: {}\"/>\n    </testcase>\n",
                        esc(e)
                    );
                }
                (None, Some(st)) => {
                    let _ = write!(
                        s,
                        ">\n      <failure message=\"{}\">{}\n{}</failure>\n    </testcase>\n",
                        esc(&st.to_string()),
                        esc(st.note.as_deref().unwrap_or("")),
                        esc(&evidence(st.evidence.as_ref()))
                    );
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

fn pyramid(r: &PilotReport) -> String {
    let bands = ["65+", "45-64", "25-44", "15-24", "0-14"];
    let count = |sex: &str, b: &str| {
        r.cases
            .iter()
            .filter(|c| c.sex == sex && c.band == b)
            .count()
    };
    let max = bands
        .iter()
        .flat_map(|b| [count("M", b), count("F", b)])
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut s = String::from("<figure><figcaption>Strata pyramid (male left, female right)</figcaption><svg viewBox=\"0 0 520 150\" width=\"520\" height=\"150\" role=\"img\">");
    for (i, b) in bands.iter().enumerate() {
        let y = 10 + i * 26;
        let (m, f) = (count("M", b), count("F", b));
        let wm = 180.0 * m as f64 / max;
        let wf = 180.0 * f as f64 / max;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{y}\" width=\"{wm:.1}\" height=\"20\" fill=\"#5b8bd0\"/><rect x=\"280\" y=\"{y}\" width=\"{wf:.1}\" height=\"20\" fill=\"#d07a9b\"/><text x=\"250\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{b}</text><text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{m}</text><text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{f}</text>",
            220.0 - wm,
            y + 14,
            216.0 - wm,
            y + 14,
            284.0 + wf,
            y + 14
        );
    }
    s.push_str("</svg></figure>");
    s
}

/// A self-contained HTML report (no network fetches).
pub fn html(r: &PilotReport) -> String {
    let rows = |m: std::collections::BTreeMap<String, (usize, usize)>| {
        m.into_iter()
            .map(|(k, (p, t))| (k, p, t))
            .collect::<Vec<_>>()
    };
    let sites = rows(tally(r.cases.iter(), |c| c.site.clone()));
    let classes = rows(tally(r.cases.iter(), |c| {
        c.failure
            .map(|f| format!("{} ({})", f.name(), f.expected().code()))
            .unwrap_or_else(|| "valid flow (0000)".into())
    }));
    let verdict = if r.passed() == r.cases.len() {
        "<p class=\"ok\">PASS — every expectation held</p>"
    } else {
        "<p class=\"bad\">FAIL — some expectations did not hold</p>"
    };
    let mut failed = String::new();
    for c in r.cases.iter().filter(|c| !c.pass).take(200) {
        if let Some(e) = &c.error {
            let _ = write!(
                failed,
                "<tr><td>{}</td><td>set-up</td><td></td><td></td><td></td><td>{}</td></tr>",
                esc(&c.id),
                esc(e)
            );
        } else if let Some(st) = c.steps.iter().find(|s| !s.pass) {
            let wirelog = st.evidence.as_ref().map(crate::report::wirelog::html);
            let _ = write!(failed, "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}{}</td></tr>", esc(&c.id), esc(&st.at.name), esc(&st.request), st.expected, st.got.as_deref().unwrap_or("—"), esc(st.note.as_deref().unwrap_or("")), wirelog.as_deref().unwrap_or(""));
        }
    }
    let failed = if failed.is_empty() {
        "<p>None.</p>".to_string()
    } else {
        format!("<table><tr><th>case</th><th>step</th><th>request</th><th>expected</th><th>got</th><th>note and wirelog</th></tr>{failed}</table>")
    };
    let l = &r.latency;
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nhi-conform pilot report</title><style>
body{{font-family:system-ui,'Noto Sans TC',sans-serif;margin:2em;max-width:1100px;color:#222}}h1{{font-size:1.5em}}
.ok{{color:#1d6b33;font-weight:bold}}.bad{{color:#a11;font-weight:bold}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left}}figure{{display:inline-block;margin:0 1em 1em 0;vertical-align:top}}
figcaption{{font-weight:600;margin-bottom:4px}}.kpi span{{display:inline-block;margin-right:2em}}</style></head><body>
<h1>NHI virtual-card pilot replay (seed 000)</h1>{verdict}
<p class=\"kpi\"><span>cases <b>{n}</b></span><span>passed <b>{p}</b></span><span>complete valid flows <b>{cv}</b></span><span>failure cases <b>{fc}</b></span><span>wall time <b>{w:.2} s</b></span><span>SUT calls/s <b>{cps:.0}</b></span></p>
<p>SUT: {sut} · transport: {tr} · seed {seed}. Latency over {calls} SUT calls: p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; {over} calls over 3 s (seed 000 reports responses of 3–5 s and asks whether that is too long; it sets no target).</p>
{c1}{c2}{c3}{c4}
<h2>Failed cases</h2>{failed}
</body></html>",
        n = r.cases.len(),
        p = r.passed(),
        cv = r.complete_valid(),
        fc = r.cases.iter().filter(|c| c.failure.is_some()).count(),
        w = r.wall_secs,
        cps = r.calls_per_sec,
        sut = esc(&r.sut),
        tr = esc(&r.transport),
        seed = r.seed,
        calls = l.calls,
        p50 = l.p50,
        p95 = l.p95,
        p99 = l.p99,
        max = l.max,
        over = l.over_3s,
        c1 = bar_chart("Cases by site (green = passed)", &sites),
        c2 = pyramid(r),
        c3 = bar_chart(
            &format!("Failure taxonomy (expected code) — {TAXONOMY_NOTE}"),
            &classes,
        ),
        c4 = histogram(&r.latency.histogram),
    )
}

/// The report with national IDs and names masked (`report::mask`): the masker learns
/// every name the failed steps' replies carried first.
pub fn masked(r: &PilotReport, mut m: Masker) -> PilotReport {
    for c in &r.cases {
        for st in &c.steps {
            m.learn_check(st);
        }
    }
    let mut out = r.clone();
    for c in &mut out.cases {
        c.steps = c.steps.iter().map(|st| m.check(st)).collect();
        c.error = c.error.as_deref().map(|e| m.text(e));
    }
    out
}

/// Writes `pilot.json`, `pilot.junit.xml` and `pilot.html` into `dir`.
pub fn write_all(r: &PilotReport, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let w = |name: &str, body: String| {
        std::fs::write(dir.join(name), body)
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let mut json = serde_json::to_value(r).map_err(|e| e.to_string())?;
    if let Some(o) = json.as_object_mut() {
        o.insert("failureTaxonomy".into(), TAXONOMY_NOTE.into());
    }
    w(
        "pilot.json",
        serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?,
    )?;
    w("pilot.junit.xml", junit(r))?;
    w("pilot.html", html(r))?;
    Ok(())
}
