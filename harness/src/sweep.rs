//! Generates `scenarios/model/mode-sweep.toml` from nhi-protocol's model: every mode ×
//! operation cell (cells.rs) is visited. The sweep brings the device into one state after
//! another (uninitialised, SAM removed, SAM 1/2, no cards, HPC 2/3, HC 2/3, mobile HCA)
//! with ordinary calls, then calls each function whose cells that state adds. Where the
//! model says the mode rules refuse the call, the exact status code is expected; where
//! they let it through, any code except the mode-rule codes (the function itself may still
//! fail on its deliberately harmless inputs). `nhi-conform sweep` prints the file; a test
//! checks the committed file is the generator's output.

use crate::cells;
use nhi_protocol::api::{endpoints, path, Endpoint};
use nhi_protocol::mode::{self, Operation as Op, Outcome, SamKind, State, TABLE};
use nhi_protocol::StatusCode;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Codes the mode rules answer with; a call the model lets through must get none of them.
pub const GATE_CODES: [StatusCode; 8] = [
    StatusCode::NotInitialized,
    StatusCode::AlreadyInitialized,
    StatusCode::SamMode1,
    StatusCode::SamMode2,
    StatusCode::NoCard,
    StatusCode::HpcMode1,
    StatusCode::HpcMode3,
    StatusCode::HpcUnsupported,
];

/// The call for an operation: its endpoint in nhi-protocol's table and a TOML body
/// (None for the card events, which are not calls). Inputs are harmless: PINs that are
/// right (HPC verify) or malformed (set/reset), tokens and codes that the DC rejects.
fn request(op: Op) -> Option<(&'static Endpoint, Option<&'static str>)> {
    let endpoint = endpoints::of_operation(op)?;
    let body = match op {
        Op::SamSignature | Op::HpcSignature | Op::HcSignature | Op::HpcHcSignature => {
            Some("{ serviceType = \"01\" }")
        }
        Op::HpcVerifyPin => Some("{ pin = \"000000\" }"),
        Op::MobileHcaVerify => Some("{ credential = \"${hca}\" }"),
        Op::HpcSetPin => Some("{ newPin = \"12\" }"),
        Op::HpcResetPin => Some("{ puk = \"1\", newPin = \"12\" }"),
        Op::HcVirtualVerify | Op::HcVirtualReadBasic => Some("{ token = \"AAAA.AAAA.AAAA\" }"),
        Op::HcPinVerify => Some("{ pin = \"123456\" }"),
        Op::HcPinSet => Some("{ pin = \"12\" }"),
        Op::HcTransferImport => Some("{ transferCode = \"T00000000XYZ\" }"),
        _ => None,
    };
    Some((endpoint, body))
}

struct Recipe {
    name: &'static str,
    /// Cards in the SAM, HPC and HC readers.
    cards: (bool, bool, bool),
    steps: &'static [Op],
    remove_sam: bool,
}

const RECIPES: &[Recipe] = &[
    Recipe {
        name: "uninitialised",
        cards: (true, true, true),
        steps: &[],
        remove_sam: false,
    },
    Recipe {
        name: "SAM removed after Initial (SAM 0)",
        cards: (true, true, true),
        steps: &[Op::Initial],
        remove_sam: true,
    },
    Recipe {
        name: "SAM 1, HPC 1, HC 1",
        cards: (true, true, true),
        steps: &[Op::Initial],
        remove_sam: false,
    },
    Recipe {
        name: "SAM 2, HPC 1, HC 1",
        cards: (true, true, true),
        steps: &[Op::Initial, Op::SamVerify],
        remove_sam: false,
    },
    Recipe {
        name: "SAM 2, no HPC, no HC",
        cards: (true, false, false),
        steps: &[Op::Initial, Op::SamVerify],
        remove_sam: false,
    },
    Recipe {
        name: "HPC 2 (PIN verified, logged out)",
        cards: (true, true, true),
        steps: &[Op::Initial, Op::SamVerify, Op::HpcVerifyPin, Op::HpcLogout],
        remove_sam: false,
    },
    Recipe {
        name: "HPC 3",
        cards: (true, true, true),
        steps: &[Op::Initial, Op::SamVerify, Op::HpcVerifyPin],
        remove_sam: false,
    },
    Recipe {
        name: "HC 2",
        cards: (true, true, true),
        steps: &[Op::Initial, Op::SamVerify, Op::HcBasic],
        remove_sam: false,
    },
    Recipe {
        name: "HC 3 (three-card signature)",
        cards: (true, true, true),
        steps: &[
            Op::Initial,
            Op::SamVerify,
            Op::HpcVerifyPin,
            Op::HcBasic,
            Op::HpcHcSignature,
        ],
        remove_sam: false,
    },
    Recipe {
        name: "mobile HCA (HPC 3, mobile)",
        cards: (true, false, true),
        steps: &[Op::Initial, Op::SamVerify, Op::MobileHcaVerify],
        remove_sam: false,
    },
];

struct Gen {
    out: String,
    state: State,
    cards: (bool, bool, bool),
    covered: BTreeSet<String>,
}

impl Gen {
    fn call(
        &mut self,
        op: Op,
        expect: Result<&str, &[StatusCode]>,
        cells: &[String],
        comment: &str,
    ) {
        let Some((e, body)) = request(op) else {
            return;
        };
        let _ = writeln!(
            self.out,
            "\n[[step]]{comment}\ncall = \"{} {}\"",
            e.method, e.path
        );
        if let Some(b) = body {
            let _ = writeln!(self.out, "body = {b}");
        }
        match expect {
            Ok(code) => {
                let _ = writeln!(self.out, "expect = \"{code}\"");
            }
            Err(not) => {
                let list: Vec<String> = not.iter().map(|c| format!("\"{}\"", c.code())).collect();
                let _ = writeln!(self.out, "expect_not = [{}]", list.join(", "));
            }
        }
        if !cells.is_empty() {
            let list: Vec<String> = cells.iter().map(|c| format!("\"{c}\"")).collect();
            let _ = writeln!(self.out, "cells = [{}]", list.join(", "));
        }
    }

    /// A call the model says succeeds (recipe steps), with the model following it.
    fn ok(&mut self, op: Op) {
        let cells = cells::of(&self.state, op);
        let mut s = self.state;
        if let Ok(steps) = mode::precheck(&s, op) {
            for st in steps {
                s = mode::apply_step(&s, st);
            }
        }
        self.covered.extend(cells.iter().cloned());
        self.call(op, Ok(StatusCode::Success.code()), &cells, "");
        self.state = mode::transition(&s, op, Outcome::Success, Some(SamKind::Physical));
    }

    fn card(&mut self, reader: &str, want: bool) {
        let have = match reader {
            "sam" => self.cards.0,
            "hpc" => self.cards.1,
            _ => self.cards.2,
        };
        if have == want {
            return;
        }
        if want {
            let (card, person) = match reader {
                "sam" => ("sam", "7777777777"),
                "hpc" => ("hpc", "100000291508"),
                _ => ("hc", "A123456789"),
            };
            let _ = writeln!(
                self.out,
                "\n[[step]]\ninsert = {{ reader = \"{reader}\", card = \"{card}\", person = \"{person}\" }}"
            );
        } else {
            let _ = writeln!(self.out, "\n[[step]]\nremove = \"{reader}\"");
        }
        let ev = match (reader, want) {
            ("hpc", true) => Some(Op::InsertHpc),
            ("hpc", false) => Some(Op::RemoveHpc),
            ("hc", true) => Some(Op::InsertHc),
            ("hc", false) => Some(Op::RemoveHc),
            _ => None,
        };
        if let Some(e) = ev {
            self.state = mode::transition(&self.state, e, Outcome::Success, None);
        }
        match reader {
            "sam" => self.cards.0 = want,
            "hpc" => self.cards.1 = want,
            _ => self.cards.2 = want,
        }
    }

    fn establish(&mut self, r: &Recipe, unknown: bool) {
        let _ = writeln!(self.out, "\n# --- state: {} ---", r.name);
        if unknown {
            // After a call the mode rules let through, the state depends on how the
            // function ended: Finalize from either state.
            let _ = writeln!(
                self.out,
                "\n[[step]]\ncall = \"POST {}\"\nexpect_one_of = [\"0000\", \"1000\"]",
                path::FINALIZE
            );
            self.state = State {
                hpc_present: self.state.hpc_present,
                hc_present: self.state.hc_present,
                ..State::default()
            };
        } else if self.state.initialized {
            self.ok(Op::Finalize);
        }
        self.card("sam", r.cards.0);
        self.card("hpc", r.cards.1);
        self.card("hc", r.cards.2);
        for &op in r.steps {
            self.ok(op);
        }
        if r.remove_sam {
            self.card("sam", false);
            self.state = mode::sam_removed(&self.state);
        }
    }
}

/// The sweep scenario's TOML text.
pub fn generate() -> String {
    let mut g = Gen {
        out: String::from(
            "# GENERATED by `nhi-conform sweep` from nhi-protocol's mode model — do not edit by hand.\n\
             # Visits every mode × operation cell of seed 004's table (harness/src/cells.rs,\n\
             # harness/src/sweep.rs). A test checks this file equals the generator's output.\n\
             id = \"model/mode-sweep\"\n\
             title = \"Mode × operation sweep: every cell of the seed's table\"\n\
             seed = \"004 可執行狀態 (mode table)\"\n\
             tags = [\"model\"]\n\
             \n[[step]]\nhca_credential = { hpc = \"100000291508\", hospital = \"7777777777\", as = \"hca\" }\n",
        ),
        state: State::default(),
        cards: (false, false, false),
        covered: BTreeSet::new(),
    };
    let universe: BTreeSet<String> = cells::universe().into_iter().collect();
    for r in RECIPES {
        g.establish(r, false);
        let mut dirty = false;
        for row in TABLE {
            // One endpoint serves both logout rows: which one it is depends on the session.
            let op = match row.op {
                Op::HpcLogout | Op::MobileHcaLogout => {
                    if g.state.hpc_kind == Some(mode::HpcKind::Mobile) {
                        Op::MobileHcaLogout
                    } else {
                        Op::HpcLogout
                    }
                }
                o => o,
            };
            if op != row.op {
                continue;
            }
            if dirty {
                g.establish(r, true);
                dirty = false;
            }
            let cells: Vec<String> = cells::of(&g.state, op)
                .into_iter()
                .filter(|c| universe.contains(c))
                .collect();
            if cells.iter().all(|c| g.covered.contains(c)) {
                continue;
            }
            g.covered.extend(cells.iter().cloned());
            match mode::precheck(&g.state, op) {
                Err(code) => g.call(op, Ok(code.code()), &cells, ""),
                Ok(_) => {
                    g.call(op, Err(&GATE_CODES), &cells, "");
                    dirty = true;
                }
            }
        }
    }
    let missing: Vec<&String> = universe.difference(&g.covered).collect();
    if !missing.is_empty() {
        let _ = writeln!(g.out, "\n# cells the sweep cannot reach: {missing:?}");
    }
    g.out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sweep_visits_every_cell_and_parses() {
        let text = super::generate();
        assert!(
            !text.contains("cannot reach"),
            "{}",
            &text[text.len().saturating_sub(600)..]
        );
        let s = crate::scenario::parse(std::path::Path::new("mode-sweep.toml"), &text).unwrap();
        let mut seen: std::collections::BTreeSet<String> = Default::default();
        for st in &s.steps {
            seen.extend(st.cells.iter().cloned());
        }
        let universe: std::collections::BTreeSet<String> =
            crate::cells::universe().into_iter().collect();
        assert_eq!(seen, universe);
    }
}
