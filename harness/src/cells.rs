//! Mode × operation cells of nhi-protocol's model (seed 004's table): for every function, each
//! value of each column the table constrains — initialised or not, SAM mode 0–2, HPC mode
//! 0–3, HC mode 0–3. A call exercises the init cell of its row, and, when the init rule is
//! met, the cell of every constrained column in the state it was made in.

use crate::scenario::ScenarioResult;
use nhi_protocol::mode::{Cell, Operation, State, TABLE};
use std::collections::BTreeMap;

/// A cell's name: `"HcBasic hc=1"`.
pub fn name(op: Operation, column: &str, mode: u8) -> String {
    format!("{op:?} {column}={mode}")
}

/// Cells that are the same call as another row's and cannot be told apart: one endpoint
/// (`DELETE /api/hpc/v1/Logout`) serves both logout rows, and a mobile HCA session exists
/// only in SAM mode 2 / HPC mode 3 (it is dropped with the SAM, and mobile goes 0 → 3), so
/// elsewhere that call is the HPC logout and is counted there.
pub const INDISTINCT: [(&str, &str); 6] = [
    ("MobileHcaLogout init=0", "same call as HpcLogout init=0"),
    ("MobileHcaLogout sam=0", "no mobile session without the SAM"),
    (
        "MobileHcaLogout sam=1",
        "no mobile session below SAM mode 2",
    ),
    ("MobileHcaLogout hpc=0", "same call as HpcLogout hpc=0"),
    ("MobileHcaLogout hpc=1", "same call as HpcLogout hpc=1"),
    ("MobileHcaLogout hpc=2", "same call as HpcLogout hpc=2"),
];

fn modes(c: Cell, max: u8) -> Vec<u8> {
    match c {
        Cell::Any => Vec::new(),
        _ => (0..=max).collect(),
    }
}

/// Every distinct cell of the table.
pub fn universe() -> Vec<String> {
    let mut out = Vec::new();
    for r in TABLE {
        if r.init.is_some() {
            out.push(name(r.op, "init", 0));
            out.push(name(r.op, "init", 1));
        }
        for m in modes(r.sam, 2) {
            out.push(name(r.op, "sam", m));
        }
        for m in modes(r.hpc, 3) {
            out.push(name(r.op, "hpc", m));
        }
        for m in modes(r.hc, 3) {
            out.push(name(r.op, "hc", m));
        }
    }
    out.retain(|c| !INDISTINCT.iter().any(|(i, _)| i == c));
    out
}

/// The cells a call of `op` exercises in state `s`.
pub fn of(s: &State, op: Operation) -> Vec<String> {
    let Some(r) = nhi_protocol::mode::row_of(op) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if r.init.is_some() {
        out.push(name(op, "init", u8::from(s.initialized)));
    }
    if r.init.is_none_or(|need| need == s.initialized) {
        if r.sam != Cell::Any {
            out.push(name(op, "sam", s.sam));
        }
        if r.hpc != Cell::Any {
            out.push(name(op, "hpc", s.hpc));
        }
        if r.hc != Cell::Any {
            out.push(name(op, "hc", s.hc));
        }
    }
    out
}

/// Cell → scenarios whose passing calls exercised it, over the whole universe.
pub fn coverage(results: &[ScenarioResult]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> =
        universe().into_iter().map(|c| (c, Vec::new())).collect();
    for r in results {
        for c in r.calls.iter().filter(|c| c.pass) {
            for cell in &c.at.cells {
                if let Some(v) = m.get_mut(cell) {
                    if !v.contains(&r.id) {
                        v.push(r.id.clone());
                    }
                }
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use nhi_protocol::mode::Operation as Op;

    #[test]
    fn universe_counts_the_constrained_columns() {
        let u = universe();
        assert!(u.contains(&"HcBasic hc=1".to_string()));
        assert!(u.contains(&"Initial init=1".to_string()));
        assert!(!u.iter().any(|c| c.starts_with("Version")));
        assert!(!u.contains(&"MobileHcaLogout hpc=1".to_string()));
        assert!(u.contains(&"MobileHcaLogout hpc=3".to_string()));
        let mut sorted = u.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), u.len());
    }

    #[test]
    fn an_uninitialised_call_exercises_only_its_init_cell() {
        let s = State::default();
        assert_eq!(of(&s, Op::HcBasic), vec!["HcBasic init=0"]);
        let s = State {
            initialized: true,
            sam: 2,
            hc: 1,
            ..State::default()
        };
        assert_eq!(
            of(&s, Op::HcBasic),
            vec!["HcBasic init=1", "HcBasic sam=2", "HcBasic hc=1"]
        );
    }
}
