//! Faults armed on the DC for tests (by the emulator's control API or the harness):
//! each applies to the request paths starting with its `path`. The kinds are
//! [`FaultKind`] (nhi-protocol); [`api`](super::api) applies them.

use super::Dc;
use nhi_protocol::dc::FaultKind;
use serde::{Deserialize, Serialize};
use std::sync::{Mutex, MutexGuard};

/// A fault in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmedFault {
    /// Path prefix.
    pub path: String,
    /// Kind.
    pub kind: FaultKind,
    /// Milliseconds (latency, slowBody).
    pub ms: u64,
}

/// Nothing done under this lock can panic (comparisons, a push, a clone), so even a
/// poisoned lock holds a whole list: using it is sound, not a silent guess.
fn list(m: &Mutex<Vec<ArmedFault>>) -> MutexGuard<'_, Vec<ArmedFault>> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Dc {
    /// Arms a fault (replacing one on the same path and kind).
    pub fn arm(&self, f: ArmedFault) {
        if f.kind == FaultKind::Refuse {
            self.refuse.send_replace(true);
        }
        let mut v = list(&self.faults);
        v.retain(|x| !(x.path == f.path && x.kind == f.kind));
        v.push(f);
    }

    /// Disarms faults on `path` (all when None).
    pub fn clear_faults(&self, path: Option<&str>) {
        let mut v = list(&self.faults);
        match path {
            Some(p) => v.retain(|x| x.path != p),
            None => v.clear(),
        }
        let refuse = v.iter().any(|f| f.kind == FaultKind::Refuse);
        self.refuse.send_replace(refuse);
    }

    /// The faults that apply to a request path.
    pub fn faults_for(&self, path: &str) -> Vec<ArmedFault> {
        list(&self.faults)
            .iter()
            .filter(|f| path.starts_with(&f.path))
            .cloned()
            .collect()
    }

    /// All armed faults.
    pub fn faults(&self) -> Vec<ArmedFault> {
        list(&self.faults).clone()
    }
}
