//! Our own extension, not part of the 6.0 Web API (seed 004 has no such path): `GET
//! /nhi-emu/v1/console?after=n` gives a developer console in another process (`nhi-emu up
//! --middleware`) what seed 004's console panel shows — the `GET Status` fields and the
//! API calls numbered above `n`, newest first. It is not a Web API call: it is never
//! logged and takes no operation slot, so watching the middleware adds nothing to its call
//! log. An embedder in the same process reads the same [`Feed`] through
//! [`crate::Running::call_log`] and [`crate::Running::status`].

use crate::calllog::CallLog;
use crate::device::Device;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex as AsyncMutex;

/// Where the feed is served, beside the Web API (outside its `/api/` paths).
pub const PATH: &str = "/nhi-emu/v1/console";

/// Calls one read returns at most (the newest).
pub const CALLS_PER_READ: usize = 200;

/// How long the feed waits for a device busy with an operation (an HPC PIN entry, a slow
/// DC) before it answers with `statusError` instead of the status.
pub const STATUS_WAIT: Duration = Duration::from_millis(300);

/// One logged Web API call, numbered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedCall {
    /// 1 for the first call the middleware logged; numbers never repeat.
    pub seq: u64,
    /// Wall-clock time (RFC 3339).
    pub time: String,
    /// The HTTP method (None for a log entry without one).
    pub method: Option<String>,
    /// The path.
    pub path: String,
    /// The 6.0 status code answered.
    pub status_code: String,
    /// Duration in milliseconds.
    pub duration_ms: f64,
}

/// What a console shows of a middleware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feed {
    /// The fields of `GET Status`, or None when the device is busy (see `status_error`).
    pub status: Option<Value>,
    /// Why there is no status.
    pub status_error: Option<String>,
    /// The number of the latest call ever logged (0: none yet).
    pub last: u64,
    /// The calls numbered above the asked number, newest first, at most
    /// [`CALLS_PER_READ`].
    pub calls: Vec<FeedCall>,
}

/// The calls of `log` numbered above `after`, newest first, and the latest number.
pub fn calls_after(log: &CallLog, after: u64) -> (u64, Vec<FeedCall>) {
    let calls = log
        .newest_after(after, CALLS_PER_READ)
        .into_iter()
        .map(|n| {
            // The log keeps "METHOD /path" (api.rs).
            let (method, path) = match n.entry.path.split_once(' ') {
                Some((m, p)) => (Some(m.to_string()), p.to_string()),
                None => (None, n.entry.path.clone()),
            };
            FeedCall {
                seq: n.seq,
                time: n.entry.time,
                method,
                path,
                status_code: n.entry.status_code,
                duration_ms: n.entry.duration_ms,
            }
        })
        .collect();
    (log.last_seq(), calls)
}

/// The fields `GET Status` answers, read without logging a call, or — when an operation
/// holds the device longer than `wait` — why not.
pub async fn status(device: &AsyncMutex<Device>, wait: Duration) -> Result<Value, String> {
    let mut device = tokio::time::timeout(wait, device.lock())
        .await
        .map_err(|_| "busy: an operation holds the device".to_string())?;
    device
        .status()
        .map_err(|f| format!("{}: {}", f.code.code(), f.message))
}

/// The whole feed: status and the calls above `after`.
pub async fn feed(log: &CallLog, device: &AsyncMutex<Device>, after: u64) -> Feed {
    let (status, status_error) = match status(device, STATUS_WAIT).await {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e)),
    };
    let (last, calls) = calls_after(log, after);
    Feed {
        status,
        status_error,
        last,
        calls,
    }
}

#[derive(Clone)]
struct FeedState {
    log: CallLog,
    device: Arc<AsyncMutex<Device>>,
}

#[derive(Deserialize)]
struct After {
    /// Absent: every kept call.
    #[serde(default)]
    after: u64,
}

async fn serve(State(s): State<FeedState>, q: Result<Query<After>, QueryRejection>) -> Response {
    match q {
        Ok(Query(After { after })) => Json(feed(&s.log, &s.device, after).await).into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({
                "error": "bad-request",
                "reason": format!("query ?after=<call number>: {e}"),
            })),
        )
            .into_response(),
    }
}

/// The feed's route, to merge beside the Web API.
pub fn routes(log: CallLog, device: Arc<AsyncMutex<Device>>) -> Router {
    Router::new()
        .route(PATH, get(serve))
        .with_state(FeedState { log, device })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use nhi_protocol::api::reply::CallLogEntry;

    #[test]
    fn calls_are_split_into_method_and_path_newest_first() {
        let log = CallLog::default();
        for p in [
            "GET /api/common/v1/Status",
            "POST /api/sam/v1/Verification",
            "odd",
        ] {
            log.push(CallLogEntry {
                time: "2019-10-21T00:00:00Z".into(),
                path: p.into(),
                status_code: "0000".into(),
                duration_ms: 1.5,
            });
        }
        let (last, calls) = calls_after(&log, 1);
        assert_eq!(last, 3);
        assert_eq!(calls.len(), 2, "only calls above 1");
        assert_eq!((calls[0].seq, calls[0].method.as_deref()), (3, None));
        assert_eq!(calls[0].path, "odd");
        assert_eq!(calls[1].method.as_deref(), Some("POST"));
        assert_eq!(calls[1].path, "/api/sam/v1/Verification");
        let v = serde_json::to_value(&calls[1]).unwrap();
        assert_eq!(v["statusCode"], "0000");
        assert_eq!(v["durationMs"], 1.5);
    }
}
