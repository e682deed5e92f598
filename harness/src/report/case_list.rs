//! `nhi-conform run --list`: every case the harness checks, with the requirement text it
//! checks and the seed clause it cites, without running anything. A scenario case is one
//! checked call (`scenario id#step`): its requirement is the expected status code's text
//! from seed 004's status table; it cites the scenario's `seed` clause. The pilot's cases
//! are its failure classes, which are this harness's own taxonomy.

use crate::check::Expectation;
use crate::pilot::plan::FailureClass;
use crate::scenario::{Action, Scenario};
use nhi_protocol::StatusCode;
use std::fmt::Write;

/// `1402 醫事人員卡尚未驗證 PIN 碼 (…)` for each code of an expectation.
fn requirement(e: &Expectation) -> String {
    let say = |c: &StatusCode| format!("{} {} ({})", c.code(), c.zh(), c.en());
    match e {
        Expectation::Code(c) => say(c),
        Expectation::OneOf(l) => format!(
            "one of: {}",
            l.iter().map(say).collect::<Vec<_>>().join("; ")
        ),
        Expectation::Not(l) => format!(
            "past the mode rules, none of: {}",
            l.iter().map(|c| c.code()).collect::<Vec<_>>().join(" ")
        ),
    }
}

/// The keys of a request body (`{pin, newPin}`), never its values (PINs).
fn body_keys(body: Option<&toml::Value>) -> String {
    match body {
        Some(toml::Value::Table(t)) => {
            format!(" {{{}}}", t.keys().cloned().collect::<Vec<_>>().join(", "))
        }
        Some(_) => " (body not an object)".into(),
        None => String::new(),
    }
}

/// The scenario cases.
pub fn scenarios(all: &[Scenario]) -> String {
    let mut s = String::new();
    for sc in all {
        let _ = writeln!(s, "{} — {}", sc.id, sc.title);
        let _ = writeln!(s, "  cites: seed {}", sc.requirement);
        for (i, step) in sc.steps.iter().enumerate() {
            if let Action::Call(c) = &step.action {
                let _ = writeln!(
                    s,
                    "  {}#{} {} {}{} → {}",
                    sc.id,
                    i + 1,
                    c.method,
                    c.path,
                    body_keys(c.body.as_ref()),
                    requirement(&c.expect)
                );
            }
        }
    }
    s
}

/// The pilot's case classes.
pub fn pilot() -> String {
    let mut s = String::from(
        "pilot — the 500-case virtual-card pilot replay\n  cites: seed 000 (500 cases; the failed ones to be analysed: 「為何會失敗的經驗也要去歸納跟整理」)\n  pilot/valid → 0000 成功 (a complete valid flow: registration through upload)\n",
    );
    s.push_str(
        "  the failure classes below are this harness's own taxonomy: the seed gives none\n",
    );
    for f in FailureClass::ALL {
        let c = f.expected();
        let _ = writeln!(
            s,
            "  pilot/{} → {} {} ({}); must not lose: {}",
            f.name(),
            c.code(),
            c.zh(),
            c.en(),
            f.must_not_lose()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_line_names_the_step_the_code_and_its_seed_text_but_no_pin() {
        let sc = crate::scenario::parse(
            std::path::Path::new("x.toml"),
            "id = \"x/pin\"\ntitle = \"t\"\nseed = \"004 PIN 格式\"\n\
             [[step]]\ninsert = { reader = \"sam\", card = \"sam\" }\n\
             [[step]]\ncall = \"POST /api/hpc/v1/Verification/Hpc\"\nbody = { pin = \"12\" }\nexpect = \"1705\"\n",
        )
        .unwrap();
        let text = scenarios(&[sc]);
        assert!(text.contains("cites: seed 004 PIN 格式"), "{text}");
        let line = text.lines().find(|l| l.contains("x/pin#2")).unwrap();
        assert!(
            line.contains("POST /api/hpc/v1/Verification/Hpc {pin} → 1705"),
            "{line}"
        );
        assert!(line.contains(StatusCode::from_code("1705").unwrap().zh()));
        assert!(!text.contains("\"12\"") && !text.contains("x/pin#1"));
    }

    #[test]
    fn every_pilot_class_is_listed_as_ours() {
        let p = pilot();
        for f in FailureClass::ALL {
            assert!(p.contains(&format!("pilot/{} → {}", f.name(), f.expected().code())));
        }
        assert!(p.contains("this harness's own taxonomy"));
    }
}
