//! Faults armed on the DC for tests (by the emulator's control API or the harness):
//! each applies to the request paths starting with its `path`. The kinds are
//! [`FaultKind`] (nhi-protocol); [`api`](super::api) applies them.

use super::Dc;
use nhi_protocol::dc::FaultKind;
use serde::{Deserialize, Serialize};
use std::sync::{Mutex, MutexGuard};

/// A fault as a control client asks for it (the kind still as text, so a caller can
/// report an unknown kind in its own words: [`Fault::check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// Path prefix (`/api/v1/` for all).
    pub path: String,
    /// A [`FaultKind`] name: `latency`, `http5xx`, `refuse`, `dropSession`,
    /// `unknownCommand`, `undefined`, `slowBody`.
    pub kind: String,
    /// Milliseconds (latency, slowBody).
    #[serde(default)]
    pub ms: u64,
}

impl Fault {
    /// The kind, or an error naming the known kinds.
    pub fn check(&self) -> Result<FaultKind, String> {
        FaultKind::parse(&self.kind)
    }
}

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

    /// Arms a fault given with its kind as text; an unknown kind is refused with the
    /// known ones named (callers that validated with [`Fault::check`] never see it).
    pub fn arm_fault(&self, f: Fault) {
        match f.check() {
            Ok(kind) => self.arm(ArmedFault {
                path: f.path,
                kind,
                ms: f.ms,
            }),
            Err(e) => tracing::error!("DC fault not armed: {e}"),
        }
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
