//! XML/HTML text helpers for the JUnit and HTML reports.

use crate::client::Exchange;

/// Escapes text for XML/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A failed check's exchange as pretty JSON for a JUnit failure body; empty when the
/// failure has no exchange.
pub fn evidence(e: Option<&Exchange>) -> String {
    match e.map(serde_json::to_string_pretty) {
        None => String::new(),
        Some(Ok(text)) => text,
        Some(Err(err)) => format!("(evidence could not be written: {err})"),
    }
}
