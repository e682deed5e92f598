//! XML/HTML text helpers for the JUnit and HTML reports.

use crate::client::Exchange;

/// Escapes text for XML/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A failed check's wirelog (HTTP and APDU exchange) as text for a JUnit failure body;
/// empty when the failure has no exchange.
pub fn evidence(e: Option<&Exchange>) -> String {
    match e {
        Some(x) => crate::report::wirelog::text(x),
        // A failure without an exchange (a set-up error) has no wirelog.
        None => String::new(),
    }
}
