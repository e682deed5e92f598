//! The mode model checked against an oracle it did not write: `harness/oracle/mode-table.toml`
//! is seed 004's mode table transcribed by hand (row text quoted, cut-off rows marked
//! inferred). Every cell — one column's mode varied while every other column sits in a mode
//! the row accepts — is put to `nhi_protocol::mode::precheck`, and a model that answers any
//! cell differently fails. The perturbation tests show the check has teeth: a model wrong in
//! any single cell, or an oracle with one cell changed, is caught.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_protocol::mode::{self, AutoStep, HcKind, HpcKind, Operation, SamKind, State};
use nhi_protocol::StatusCode;
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Deserialize)]
struct Oracle {
    columns: Columns,
    row: Vec<Row>,
}

#[derive(Debug, Clone, Deserialize)]
struct Columns {
    init: Vec<String>,
    sam: Vec<String>,
    hca: Vec<String>,
    hc: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    op: Operation,
    seed: String,
    #[serde(default)]
    inferred: Option<String>,
    init: Vec<String>,
    sam: Vec<String>,
    hca: Vec<String>,
    hc: Vec<String>,
}

/// The four columns of a row, in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Init,
    Sam,
    Hca,
    Hc,
}

const COLS: [Col; 4] = [Col::Init, Col::Sam, Col::Hca, Col::Hc];

impl Row {
    fn cells(&self, c: Col) -> &[String] {
        match c {
            Col::Init => &self.init,
            Col::Sam => &self.sam,
            Col::Hca => &self.hca,
            Col::Hc => &self.hc,
        }
    }
    /// The first mode of a column the row accepts without any step.
    fn baseline(&self, c: Col) -> usize {
        self.cells(c)
            .iter()
            .position(|v| v == "ok")
            .unwrap_or_else(|| panic!("{:?}: column {c:?} accepts no mode", self.op))
    }
}

fn oracle() -> Oracle {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/oracle/mode-table.toml");
    let text = std::fs::read_to_string(path).unwrap();
    toml::from_str(&text).unwrap()
}

/// The state of one combination of column modes (indices into `[columns]`).
fn state(init: usize, sam: usize, hca: usize, hc: usize) -> State {
    let mut s = State {
        initialized: init == 1,
        ..State::default()
    };
    (s.sam, s.sam_kind) = match sam {
        0 => (0, Some(SamKind::Physical)),
        1 => (1, Some(SamKind::Physical)),
        2 => (1, Some(SamKind::Cloud)),
        _ => (2, Some(SamKind::Physical)),
    };
    (s.hpc, s.hpc_kind, s.hpc_present) = match hca {
        0 => (0, None, false),
        4 => (3, Some(HpcKind::Mobile), false),
        m => (m as u8, Some(HpcKind::Card), true),
    };
    (s.hc, s.hc_kind, s.hc_present) = match hc {
        0 => (0, None, false),
        1 => (1, Some(HcKind::Physical), true),
        2 => (2, Some(HcKind::Physical), true),
        3 => (2, Some(HcKind::Virtual), false),
        _ => (3, Some(HcKind::Physical), true),
    };
    s
}

/// One cell: the operation, the state, and what the oracle expects.
struct Cell {
    op: Operation,
    label: String,
    state: State,
    want: Result<Vec<AutoStep>, StatusCode>,
}

fn auto_step(c: Col, s: &State) -> AutoStep {
    match c {
        Col::Sam => AutoStep::CloudSamVerify,
        Col::Hca => AutoStep::HpcAuthenticate,
        Col::Hc => AutoStep::HcAuthenticate,
        Col::Init => panic!("no automatic step initialises the device ({s:?})"),
    }
}

fn cells(o: &Oracle) -> Vec<Cell> {
    let names = |c: Col| match c {
        Col::Init => &o.columns.init,
        Col::Sam => &o.columns.sam,
        Col::Hca => &o.columns.hca,
        Col::Hc => &o.columns.hc,
    };
    let mut out = Vec::new();
    for r in &o.row {
        let base = COLS.map(|c| r.baseline(c));
        for (ci, c) in COLS.into_iter().enumerate() {
            assert_eq!(r.cells(c).len(), names(c).len(), "{:?} {c:?}", r.op);
            for (mi, v) in r.cells(c).iter().enumerate() {
                let mut at = base;
                at[ci] = mi;
                let s = state(at[0], at[1], at[2], at[3]);
                let want = match v.as_str() {
                    "ok" => Ok(Vec::new()),
                    "auto" => Ok(vec![auto_step(c, &s)]),
                    code => Err(StatusCode::from_code(code)
                        .unwrap_or_else(|| panic!("{:?}: {code:?} is not a status code", r.op))),
                };
                out.push(Cell {
                    op: r.op,
                    label: format!("{:?} {c:?}={:?} (seed: {})", r.op, names(c)[mi], r.seed),
                    state: s,
                    want,
                });
            }
        }
    }
    out
}

type Model = dyn Fn(&State, Operation) -> Result<Vec<AutoStep>, StatusCode>;

/// Every cell the model answers differently from the oracle.
fn mismatches(o: &Oracle, model: &Model) -> Vec<String> {
    cells(o)
        .into_iter()
        .filter_map(|c| {
            let got = model(&c.state, c.op);
            (got != c.want).then(|| format!("{}: oracle {:?}, model {:?}", c.label, c.want, got))
        })
        .collect()
}

#[test]
fn the_model_answers_every_cell_as_the_seed_does() {
    let o = oracle();
    let wrong = mismatches(&o, &mode::precheck);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_oracle_covers_every_row_of_the_model_once_and_says_why_where_inferred() {
    let o = oracle();
    let ours: BTreeSet<Operation> = o.row.iter().map(|r| r.op).collect();
    assert_eq!(ours.len(), o.row.len(), "an operation appears twice");
    let model: BTreeSet<Operation> = mode::TABLE.iter().map(|r| r.op).collect();
    assert_eq!(ours, model);
    for r in &o.row {
        assert!(!r.seed.trim().is_empty(), "{:?}: no seed text", r.op);
        if r.seed.contains("cut off") || r.seed.contains("header only") {
            let why = r.inferred.as_deref().unwrap_or("");
            assert!(why.len() > 20, "{:?}: a cut-off row needs a reason", r.op);
        }
    }
    // 29 rows × (2 + 4 + 5 + 5) cells.
    assert_eq!(cells(&o).len(), o.row.len() * 16);
}

/// A model wrong in any one cell fails: for each cell, a model that answers that single
/// (state, operation) differently is caught.
#[test]
fn a_model_wrong_in_any_single_cell_fails() {
    let o = oracle();
    for c in cells(&o) {
        let (op, at) = (c.op, c.state);
        let bent = move |s: &State, q: Operation| {
            let real = mode::precheck(s, q);
            if q != op || *s != at {
                return real;
            }
            match real {
                Ok(steps) if steps.is_empty() => Err(StatusCode::SamMode2),
                Ok(_) => Ok(Vec::new()),
                Err(_) => Ok(Vec::new()),
            }
        };
        let wrong = mismatches(&o, &bent);
        assert!(!wrong.is_empty(), "a model wrong at {} passed", c.label);
    }
}

/// Plausible wrong models, each one rule off, fail too.
#[test]
fn plausible_wrong_models_fail() {
    let o = oracle();
    let physical_sam_auto_verified = |s: &State, q: Operation| match mode::precheck(s, q) {
        Err(StatusCode::SamMode2) if s.sam == 1 => Ok(vec![AutoStep::CloudSamVerify]),
        r => r,
    };
    let hc_pin_needs_hpc = |s: &State, q: Operation| {
        if q == Operation::HcPinVerify && s.hpc < 3 {
            return Err(StatusCode::HpcMode3);
        }
        mode::precheck(s, q)
    };
    let missing_hc_is_mode1_failure = |s: &State, q: Operation| match mode::precheck(s, q) {
        Err(StatusCode::NoCard) if s.hc == 0 => Err(StatusCode::HcMode1),
        r => r,
    };
    let models: [(&str, &Model); 3] = [
        (
            "physical SAM verified automatically",
            &physical_sam_auto_verified,
        ),
        ("HC PIN needs the HPC", &hc_pin_needs_hpc),
        ("no HC answers 1500", &missing_hc_is_mode1_failure),
    ];
    for (what, m) in models {
        assert!(!mismatches(&o, m).is_empty(), "{what} passed the oracle");
    }
}

/// The oracle with one cell changed no longer agrees with the model: the data is read, not
/// ignored.
#[test]
fn a_perturbed_oracle_cell_fails() {
    let mut o = oracle();
    let row = o
        .row
        .iter_mut()
        .find(|r| r.op == Operation::HcBasic)
        .unwrap();
    row.hc[1] = "1501".into();
    let wrong = mismatches(&o, &mode::precheck);
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(
        wrong[0].starts_with("HcBasic Hc=\"1 physical\""),
        "{wrong:?}"
    );
}
