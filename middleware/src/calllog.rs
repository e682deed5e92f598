//! The API call log (seed 004's console shows it): method, path, status code and duration
//! of the latest calls in a bounded ring buffer. The Web API serves it (`GET CallLog`);
//! an embedder (the emulator's developer console) reads it directly through
//! [`crate::Running::call_log`], so watching it never adds calls of its own.

use nhi_protocol::api::reply::CallLogEntry;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Entries kept.
pub const LOG_CAP: usize = 1000;

/// One logged call and its number: numbers grow by one per call for the life of the
/// log (a clear does not reset them), so a reader can ask for "everything after n".
#[derive(Debug, Clone, PartialEq)]
pub struct Numbered {
    /// 1 for the first call ever logged.
    pub seq: u64,
    /// The call.
    pub entry: CallLogEntry,
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Numbered>,
    last_seq: u64,
}

/// A shared, bounded call log; clones share one buffer.
#[derive(Debug, Clone)]
pub struct CallLog {
    ring: Arc<Mutex<Ring>>,
    cap: usize,
}

impl Default for CallLog {
    fn default() -> CallLog {
        CallLog::with_capacity(LOG_CAP)
    }
}

impl CallLog {
    /// A log keeping the latest `cap` calls (at least one).
    pub fn with_capacity(cap: usize) -> CallLog {
        CallLog {
            ring: Arc::default(),
            cap: cap.max(1),
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        // A panic while holding the lock leaves a consistent ring (each push is one step).
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Logs a call, dropping the oldest when full; returns its number.
    pub fn push(&self, entry: CallLogEntry) -> u64 {
        let mut r = self.ring();
        r.last_seq += 1;
        let seq = r.last_seq;
        if r.entries.len() >= self.cap {
            r.entries.pop_front();
        }
        r.entries.push_back(Numbered { seq, entry });
        seq
    }

    /// Every kept call, oldest first.
    pub fn entries(&self) -> Vec<CallLogEntry> {
        self.ring()
            .entries
            .iter()
            .map(|n| n.entry.clone())
            .collect()
    }

    /// The kept calls numbered above `after`, newest first, at most `limit`.
    pub fn newest_after(&self, after: u64, limit: usize) -> Vec<Numbered> {
        self.ring()
            .entries
            .iter()
            .rev()
            .take_while(|n| n.seq > after)
            .take(limit)
            .cloned()
            .collect()
    }

    /// The number of the latest call ever logged (0: none yet).
    pub fn last_seq(&self) -> u64 {
        self.ring().last_seq
    }

    /// Forgets every kept call (numbers go on from where they were).
    pub fn clear(&self) {
        self.ring().entries.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn call(path: &str) -> CallLogEntry {
        CallLogEntry {
            time: "2019-10-21T00:00:00Z".into(),
            path: path.into(),
            status_code: "0000".into(),
            duration_ms: 1.0,
        }
    }

    #[test]
    fn keeps_the_latest_cap_calls_numbered_for_good() {
        let log = CallLog::with_capacity(3);
        for i in 0..5 {
            log.push(call(&format!("GET /{i}")));
        }
        let paths: Vec<String> = log.entries().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["GET /2", "GET /3", "GET /4"]);
        let newest = log.newest_after(3, 10);
        assert_eq!(
            newest.iter().map(|n| n.seq).collect::<Vec<_>>(),
            [5, 4],
            "newest first, only above 3"
        );
        assert_eq!(log.newest_after(0, 1)[0].entry.path, "GET /4");
        log.clear();
        assert!(log.entries().is_empty());
        assert_eq!(log.push(call("GET /x")), 6, "a clear keeps the numbering");
        assert_eq!(log.last_seq(), 6);
    }

    #[test]
    fn clones_share_one_buffer() {
        let a = CallLog::default();
        let b = a.clone();
        a.push(call("GET /a"));
        assert_eq!(b.entries().len(), 1);
    }
}
