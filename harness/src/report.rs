//! Reports: JSON summary, JUnit XML, and a self-contained HTML page with SVG charts.

use crate::pilot::{tally, PilotReport};
use std::fmt::Write;
use std::path::Path;

/// Escapes text for XML/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

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
            match c.steps.iter().find(|x| !x.pass) {
                None => s.push_str("/>\n"),
                Some(st) => {
                    let msg = format!(
                        "step \"{}\": {} expected {} got {}",
                        st.name,
                        st.request,
                        st.expected,
                        st.got.as_deref().unwrap_or("no answer")
                    );
                    let ev = st
                        .evidence
                        .as_ref()
                        .map(|e| serde_json::to_string_pretty(e).unwrap_or_default())
                        .unwrap_or_default();
                    let _ = write!(
                        s,
                        ">\n      <failure message=\"{}\">{}\n{}</failure>\n    </testcase>\n",
                        esc(&msg),
                        esc(st.note.as_deref().unwrap_or("")),
                        esc(&ev)
                    );
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

/// An SVG bar chart of (label, passed, total) rows.
pub fn bar_chart(title: &str, rows: &[(String, usize, usize)]) -> String {
    let max = rows.iter().map(|r| r.2).max().unwrap_or(1).max(1) as f64;
    let h = 22 * rows.len() + 30;
    let mut s = format!("<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 600 {h}\" width=\"600\" height=\"{h}\" role=\"img\">", esc(title));
    for (i, (label, pass, total)) in rows.iter().enumerate() {
        let y = 20 + i * 22;
        let wt = 280.0 * *total as f64 / max;
        let wp = 280.0 * *pass as f64 / max;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"220\" y=\"{}\" width=\"{wt:.1}\" height=\"16\" fill=\"#f3c4c4\"/><rect x=\"220\" y=\"{}\" width=\"{wp:.1}\" height=\"16\" fill=\"#4c9a62\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{pass}/{total}</text>",
            y + 12,
            esc(label),
            y,
            y,
            225.0 + wt,
            y + 12
        );
    }
    s.push_str("</svg></figure>");
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

fn histogram(r: &PilotReport) -> String {
    histogram_svg(&r.latency.histogram)
}

/// An SVG histogram of latency buckets (upper bounds in ms, counts).
pub fn histogram_svg(h: &[(f64, usize)]) -> String {
    let max = h.iter().map(|x| x.1).max().unwrap_or(1).max(1) as f64;
    let mut s = String::from("<figure><figcaption>SUT call latency histogram (ms, upper bounds)</figcaption><svg viewBox=\"0 0 520 170\" width=\"520\" height=\"170\" role=\"img\">");
    for (i, (b, n)) in h.iter().enumerate() {
        let x = 10 + i * 42;
        let hh = 120.0 * *n as f64 / max;
        let label = if b.is_infinite() {
            "&gt;5s".to_string()
        } else {
            format!("≤{b}")
        };
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{:.1}\" width=\"34\" height=\"{hh:.1}\" fill=\"#7a6fd0\"/><text x=\"{}\" y=\"160\" font-size=\"10\" text-anchor=\"middle\">{label}</text><text x=\"{}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{n}</text>",
            140.0 - hh,
            x + 17,
            x + 17,
            136.0 - hh
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
            .map(|f| {
                format!(
                    "{} ({})",
                    serde_json::to_value(f)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    f.expected().code()
                )
            })
            .unwrap_or_else(|| "valid flow (0000)".into())
    }));
    let verdict = if r.passed() == r.cases.len() {
        "<p class=\"ok\">PASS — every expectation held</p>"
    } else {
        "<p class=\"bad\">FAIL — some expectations did not hold</p>"
    };
    let mut failed = String::new();
    for c in r.cases.iter().filter(|c| !c.pass).take(200) {
        if let Some(st) = c.steps.iter().find(|s| !s.pass) {
            let _ = write!(failed, "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&c.id), esc(&st.name), esc(&st.request), st.expected, st.got.as_deref().unwrap_or("—"), esc(st.note.as_deref().unwrap_or("")));
        }
    }
    let failed = if failed.is_empty() {
        "<p>None.</p>".to_string()
    } else {
        format!("<table><tr><th>case</th><th>step</th><th>request</th><th>expected</th><th>got</th><th>note</th></tr>{failed}</table>")
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
<p>SUT: {sut} · transport: {tr} · seed {seed}. Latency over {calls} SUT calls: p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; {over} calls over the pilot's 3–5 s target.</p>
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
        c3 = bar_chart("Failure taxonomy (expected code)", &classes),
        c4 = histogram(r),
    )
}

/// Writes `pilot.json`, `pilot.junit.xml` and `pilot.html` into `dir`.
pub fn write_all(r: &PilotReport, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let w = |name: &str, body: String| {
        std::fs::write(dir.join(name), body)
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    w(
        "pilot.json",
        serde_json::to_string_pretty(r).map_err(|e| e.to_string())?,
    )?;
    w("pilot.junit.xml", junit(r))?;
    w("pilot.html", html(r))?;
    Ok(())
}
