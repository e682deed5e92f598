//! `nhi-conform run --list`: every case with its requirement text and the seed clause it
//! cites, for every scenario file in the repository and the pilot's classes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_harness::scenario::{load_dir, Action};
use std::path::Path;

#[test]
fn list_prints_every_checked_step_with_its_requirement_and_citation() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
        .args(["run", "--list", "--scenarios"])
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = load_dir(dir).unwrap();
    assert!(all.len() > 20);
    for s in &all {
        assert!(
            text.contains(&format!(
                "{} — {}\n  cites: seed {}\n",
                s.id, s.title, s.requirement
            )),
            "{} is not listed with its citation",
            s.id
        );
        for (i, step) in s.steps.iter().enumerate() {
            let case = format!("  {}#{} ", s.id, i + 1);
            let line = text.lines().find(|l| l.starts_with(&case));
            match &step.action {
                Action::Call(c) => {
                    let line = line.unwrap_or_else(|| panic!("{case} is not listed"));
                    assert!(line.contains(&format!("{} {}", c.method, c.path)), "{line}");
                    // The requirement text: the expected code's words from seed 004.
                    assert!(line.contains(" → "), "{line}");
                }
                _ => assert!(line.is_none(), "{case} is not a checked step"),
            }
        }
    }
    let wrong_pin = text
        .lines()
        .find(|l| l.starts_with("  hpc/pin-lockout#6 "))
        .unwrap();
    assert!(wrong_pin.contains("{pin} → 1705 "), "{wrong_pin}");
    assert!(
        !wrong_pin.contains("\"12\""),
        "PIN values are not printed: {wrong_pin}"
    );
    assert!(text.contains("pilot/pin-lockout → 1410 "));
    assert!(text.contains("this harness's own taxonomy"));
}
