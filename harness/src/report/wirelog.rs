//! A failed check's wirelog as text: the HTTP exchange and the APDUs of the cards it
//! touched, in the order they went over the wire. The JUnit failure body and the HTML
//! report's collapsible block show this text; the JSON report keeps the structure
//! (`evidence`, `evidence.apdus`). Mask before rendering (`report::mask`).

use crate::client::Exchange;
use std::fmt::Write;

/// `HTTP > request body`, `HTTP < status reply`, then one `APDU` line per card exchange.
pub fn text(x: &Exchange) -> String {
    let mut s = String::new();
    let body = if x.body.is_null() {
        String::new()
    } else {
        format!(" {}", x.body)
    };
    let _ = writeln!(s, "HTTP > {}{body}", x.request);
    let status = if x.http == 0 {
        "no answer".to_string()
    } else {
        x.http.to_string()
    };
    let _ = writeln!(s, "HTTP < {status} {}", x.reply);
    if let Some(o) = &x.allow_origin {
        let _ = writeln!(s, "HTTP < Access-Control-Allow-Origin: {o}");
    }
    if x.apdus.is_empty() {
        s.push_str("APDU (none: the call reached no emulated card the harness can see)\n");
    }
    for a in &x.apdus {
        let _ = writeln!(s, "APDU {a}");
    }
    s
}

/// The wirelog as a collapsible HTML block (`<details>`: no script needed).
pub fn html(x: &Exchange) -> String {
    format!(
        "<details><summary>wirelog ({} APDU{})</summary><pre>{}</pre></details>",
        x.apdus.len(),
        if x.apdus.len() == 1 { "" } else { "s" },
        crate::report::xml::esc(&text(x))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nhi_emulator::control::ApduRecord;
    use serde_json::json;

    #[test]
    fn the_wirelog_shows_both_sides_in_order() {
        let x = Exchange {
            request: "POST /api/hc/v1/Pin".into(),
            body: json!({ "pin": "******" }),
            http: 200,
            reply: json!({ "statusCode": "1511" }),
            status: Some("1511".into()),
            ms: 1.0,
            allow_origin: None,
            apdus: vec![ApduRecord {
                seq: 4,
                reader: "HC reader".into(),
                card: "000012345678".into(),
                command: "00200001 <6 secret bytes>".into(),
                response: "63C2".into(),
            }],
        };
        let t = text(&x);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], r#"HTTP > POST /api/hc/v1/Pin {"pin":"******"}"#);
        assert_eq!(lines[1], r#"HTTP < 200 {"statusCode":"1511"}"#);
        assert_eq!(
            lines[2],
            "APDU HC reader [000012345678] > 00200001 <6 secret bytes> < 63C2"
        );
        let h = html(&x);
        assert!(h.starts_with("<details><summary>wirelog (1 APDU)</summary>"));
        assert!(h.contains("&lt;6 secret bytes&gt;"));
    }
}
