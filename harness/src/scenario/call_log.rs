//! The SUT's API call log checked against the calls the harness made. Seed 004's console
//! lists every API call with its 函式 (path) and 結果 (status code), oldest first, and
//! 清除 clears it ("API 呼叫記錄"); the reference middleware serves that list as `GET
//! CallLog` and `DELETE CallLog` (our paths: the seed shows the list on screen only).
//!
//! Every `GET CallLog` answered 0000 is compared with the harness's own record of the
//! scenario's calls: after a `DELETE CallLog` the log must hold exactly the calls made
//! since, otherwise it must end with them; each entry's path and code as the harness saw
//! them, its duration no longer than the round trip the harness measured, its time RFC 3339
//! and never earlier than the entry before. Reads and clears of the log itself are left
//! out on both sides (a SUT may or may not list them).

use crate::client::Exchange;
use nhi_protocol::api::path;
use nhi_protocol::StatusCode;
use serde_json::Value;

/// Slack for the SUT's clock against the harness's, in milliseconds (timer granularity).
const DURATION_SLACK_MS: f64 = 1.0;

/// One call as the harness saw it.
#[derive(Debug, Clone)]
struct Seen {
    /// `METHOD /path` without a query.
    request: String,
    /// The status code answered (None: the reply had none).
    code: Option<String>,
    /// The round trip the harness measured.
    ms: f64,
}

/// The calls of one scenario to the SUT, since the scenario began or the log was cleared.
#[derive(Debug, Default)]
pub struct SeenCalls {
    calls: Vec<Seen>,
    cleared: bool,
}

fn is_log_path(request: &str) -> bool {
    request.split_whitespace().nth(1) == Some(path::CALL_LOG)
}

impl SeenCalls {
    /// Takes note of one answered call to the SUT; for a `GET CallLog` answered 0000,
    /// returns what is wrong with the log it shows.
    pub fn after_call(&mut self, method: &str, call_path: &str, x: &Exchange) -> Vec<String> {
        let bare = call_path.split_once('?').map_or(call_path, |(p, _)| p);
        let request = format!("{method} {bare}");
        let ok = x.code() == Some(StatusCode::Success);
        if is_log_path(&request) {
            return match (method, ok) {
                ("GET", true) => self.check(&x.reply),
                ("DELETE", true) => {
                    self.calls.clear();
                    self.cleared = true;
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        if x.http != 0 {
            self.calls.push(Seen {
                request,
                code: x.status.clone(),
                ms: x.ms,
            });
        }
        Vec::new()
    }

    /// What is wrong with a `GET CallLog` reply.
    fn check(&self, reply: &Value) -> Vec<String> {
        let Some(all) = reply.get("calls").and_then(Value::as_array) else {
            return vec![format!("call log: no `calls` list in {reply}")];
        };
        let logged: Vec<&Value> = all
            .iter()
            .filter(|e| !e["path"].as_str().is_some_and(is_log_path))
            .collect();
        let mut notes = Vec::new();
        if self.cleared && logged.len() != self.calls.len() {
            notes.push(format!(
                "call log: {} calls since it was cleared, the log lists {}",
                self.calls.len(),
                logged.len()
            ));
        }
        if logged.len() < self.calls.len() && !self.cleared {
            notes.push(format!(
                "call log: lists {} calls, the scenario made {}",
                logged.len(),
                self.calls.len()
            ));
        }
        let n = logged.len().min(self.calls.len());
        let tail = &logged[logged.len() - n..];
        let mine = &self.calls[self.calls.len() - n..];
        for (i, (e, s)) in tail.iter().zip(mine).enumerate() {
            notes.extend(entry_notes(i + 1, e, s));
        }
        notes.extend(time_order_notes(&logged));
        notes
    }
}

/// What is wrong with one entry against the call the harness made (`i`: 1-based among
/// the calls compared).
fn entry_notes(i: usize, e: &Value, s: &Seen) -> Vec<String> {
    let mut notes = Vec::new();
    if e["path"].as_str() != Some(s.request.as_str()) {
        notes.push(format!(
            "call log entry {i}: path {}, the call was {}",
            e["path"], s.request
        ));
    }
    if let Some(code) = &s.code {
        if e["statusCode"].as_str() != Some(code.as_str()) {
            notes.push(format!(
                "call log entry {i} ({}): code {}, the reply said {code}",
                s.request, e["statusCode"]
            ));
        }
    }
    match e["durationMs"].as_f64() {
        Some(d) if (0.0..=s.ms + DURATION_SLACK_MS).contains(&d) => {}
        Some(d) => notes.push(format!(
            "call log entry {i} ({}): took {d} ms, but the whole round trip took {:.3} ms",
            s.request, s.ms
        )),
        None => notes.push(format!(
            "call log entry {i} ({}): durationMs missing or not a number: {}",
            s.request, e["durationMs"]
        )),
    }
    notes
}

/// Every entry's time is RFC 3339 and none is earlier than the one before (oldest first).
fn time_order_notes(logged: &[&Value]) -> Vec<String> {
    let mut notes = Vec::new();
    let mut before: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    for (i, e) in logged.iter().enumerate() {
        let Some(t) = e["time"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        else {
            notes.push(format!(
                "call log entry {}: time {} is not RFC 3339",
                i + 1,
                e["time"]
            ));
            continue;
        };
        if before.is_some_and(|b| t < b) {
            notes.push(format!(
                "call log entry {}: time {t} is earlier than the entry before (oldest first)",
                i + 1
            ));
        }
        before = Some(t);
    }
    notes
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn exchange(request: &str, code: &str, ms: f64, reply: Value) -> Exchange {
        Exchange {
            request: request.into(),
            body: Value::Null,
            http: 200,
            reply,
            status: Some(code.into()),
            ms,
            allow_origin: None,
            apdus: Vec::new(),
        }
    }

    fn entry(path: &str, code: &str, ms: f64, time: &str) -> Value {
        json!({ "time": time, "path": path, "statusCode": code, "durationMs": ms })
    }

    fn log_reply(entries: Vec<Value>) -> Exchange {
        exchange(
            "GET /api/common/v1/CallLog",
            "0000",
            1.0,
            json!({ "statusCode": "0000", "calls": entries }),
        )
    }

    /// Clears, makes two calls, and reads a log that shows `entries`.
    fn notes(entries: Vec<Value>) -> Vec<String> {
        let mut s = SeenCalls::default();
        let clear = exchange("DELETE /api/common/v1/CallLog", "0000", 1.0, json!({}));
        s.after_call("DELETE", path::CALL_LOG, &clear);
        let init = exchange("POST /api/common/v1/Initial", "0000", 5.0, json!({}));
        s.after_call("POST", "/api/common/v1/Initial", &init);
        let basic = exchange("GET /api/hc/v1/BasicData", "1102", 3.0, json!({}));
        s.after_call("GET", "/api/hc/v1/BasicData", &basic);
        s.after_call("GET", path::CALL_LOG, &log_reply(entries))
    }

    const T1: &str = "2026-11-30T10:00:00Z";
    const T2: &str = "2026-11-30T10:00:01Z";

    #[test]
    fn the_calls_as_made_pass() {
        let n = notes(vec![
            entry("POST /api/common/v1/Initial", "0000", 4.0, T1),
            entry("GET /api/hc/v1/BasicData", "1102", 2.5, T2),
        ]);
        assert!(n.is_empty(), "{n:?}");
    }

    #[test]
    fn reads_of_the_log_may_be_listed() {
        let n = notes(vec![
            entry("POST /api/common/v1/Initial", "0000", 4.0, T1),
            entry("GET /api/hc/v1/BasicData", "1102", 2.5, T2),
            entry("GET /api/common/v1/CallLog", "0000", 0.1, T2),
        ]);
        assert!(n.is_empty(), "{n:?}");
    }

    #[test]
    fn every_kind_of_wrong_log_fails() {
        let good = |p: &str, c: &str| entry(p, c, 1.0, T1);
        let wrong: Vec<(&str, Vec<Value>)> = vec![
            (
                "a call missing",
                vec![good("GET /api/hc/v1/BasicData", "1102")],
            ),
            (
                "a call too many",
                vec![
                    good("GET /api/common/v1/Status", "0000"),
                    good("POST /api/common/v1/Initial", "0000"),
                    good("GET /api/hc/v1/BasicData", "1102"),
                ],
            ),
            (
                "a wrong code",
                vec![
                    good("POST /api/common/v1/Initial", "0000"),
                    good("GET /api/hc/v1/BasicData", "0000"),
                ],
            ),
            (
                "newest first",
                vec![
                    good("GET /api/hc/v1/BasicData", "1102"),
                    good("POST /api/common/v1/Initial", "0000"),
                ],
            ),
            (
                "a duration longer than the round trip",
                vec![
                    entry("POST /api/common/v1/Initial", "0000", 1004.0, T1),
                    good("GET /api/hc/v1/BasicData", "1102"),
                ],
            ),
            (
                "a negative duration",
                vec![
                    entry("POST /api/common/v1/Initial", "0000", -1.0, T1),
                    good("GET /api/hc/v1/BasicData", "1102"),
                ],
            ),
            (
                "times out of order",
                vec![
                    entry("POST /api/common/v1/Initial", "0000", 1.0, T2),
                    entry("GET /api/hc/v1/BasicData", "1102", 1.0, T1),
                ],
            ),
            (
                "a time that is not RFC 3339",
                vec![
                    entry("POST /api/common/v1/Initial", "0000", 1.0, "yesterday"),
                    good("GET /api/hc/v1/BasicData", "1102"),
                ],
            ),
        ];
        for (what, entries) in wrong {
            assert!(!notes(entries).is_empty(), "{what} passed");
        }
    }

    #[test]
    fn without_a_clear_the_log_must_end_with_the_scenarios_calls() {
        let mut s = SeenCalls::default();
        let init = exchange("POST /api/common/v1/Initial", "0000", 5.0, json!({}));
        s.after_call("POST", "/api/common/v1/Initial", &init);
        let earlier = entry("GET /api/common/v1/Status", "0000", 1.0, T1);
        let ok = log_reply(vec![
            earlier.clone(),
            entry("POST /api/common/v1/Initial", "0000", 1.0, T2),
        ]);
        assert!(s.after_call("GET", path::CALL_LOG, &ok).is_empty());
        let stale = log_reply(vec![earlier]);
        assert!(!s.after_call("GET", path::CALL_LOG, &stale).is_empty());
    }
}
