//! Inline SVG charts for the self-contained HTML reports (no scripts, no fetches).

use super::xml::esc;
use std::fmt::Write;

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

/// An SVG histogram of latency buckets (upper bounds in ms, counts).
pub fn histogram(h: &[(f64, usize)]) -> String {
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
