//! The scenarios against the reference middleware: all pass, the status-code coverage is
//! what scenarios/README.md documents, partitions add up, malformed files are reported,
//! and every planted mutant is caught.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_harness::scenario::{code_coverage, load_dir, run_all, RunOptions};
use nhi_harness::world::WorldOptions;
use std::path::Path;

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
}

/// Codes no scenario reaches in-process, with the reasons in scenarios/README.md (1201
/// and 1202 need the COM-port reader: `scenarios_pass_over_the_serial_pty` reaches them).
const UNREACHED: [&str; 3] = ["1200", "1201", "1202"];

/// Fails with the first failing call (or setup error) of every failed scenario.
fn assert_all_pass(results: &[nhi_harness::scenario::ScenarioResult], how: &str) {
    let failed: Vec<_> = results
        .iter()
        .filter(|r| !r.pass)
        .map(|r| {
            (
                r.id.clone(),
                r.error.clone(),
                r.calls.iter().find(|c| !c.pass).cloned(),
            )
        })
        .collect();
    assert!(failed.is_empty(), "{how}: {failed:#?}");
}

fn opts() -> RunOptions {
    RunOptions {
        world: WorldOptions::default(),
        tag: None,
        partition: None,
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_pass_and_cover_the_status_codes() {
    let all = load_dir(dir()).unwrap();
    assert!(all.len() >= 20);
    let results = run_all(&all, &opts()).await.unwrap();
    assert_all_pass(&results, "in-process");
    let cov = code_coverage(&results);
    let unreached: Vec<&str> = cov
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| *k)
        .collect();
    assert_eq!(
        unreached, UNREACHED,
        "status codes no scenario provokes (document new gaps in scenarios/README.md)"
    );
    assert_eq!(cov.len(), 64);
    let cells = nhi_harness::cells::coverage(&results);
    let missed: Vec<&String> = cells
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k)
        .collect();
    assert!(
        missed.is_empty(),
        "mode × operation cells not exercised: {missed:?}"
    );
    assert!(cells.len() > 200);
}

#[test]
fn the_committed_sweep_is_the_generators_output() {
    let committed = std::fs::read_to_string(dir().join("model/mode-sweep.toml")).unwrap();
    assert!(
        committed == nhi_harness::sweep::generate(),
        "scenarios/model/mode-sweep.toml is stale: regenerate it with `cargo run -p nhi-harness --bin nhi-conform -- sweep > scenarios/model/mode-sweep.toml`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_split_the_run_without_loss() {
    let all = load_dir(dir()).unwrap();
    let mut ids = Vec::new();
    for i in 1..=3 {
        let mut o = opts();
        o.tag = Some("settings".into());
        o.partition = Some((i, 3));
        ids.extend(run_all(&all, &o).await.unwrap().into_iter().map(|r| r.id));
    }
    ids.sort();
    let mut want: Vec<String> = all
        .iter()
        .filter(|s| s.tags.contains(&"settings".to_string()))
        .map(|s| s.id.clone())
        .collect();
    want.sort();
    assert_eq!(ids, want);
}

#[test]
fn malformed_scenario_exits_2_naming_file_and_line() {
    let d = std::env::temp_dir().join(format!("nhi-bad-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("bad.toml"),
        "id = \"x\"\ntitle = \"t\"\nseed = \"s\"\n\n[[step]]\ncall = \"GET /x\"\nexpect = 1\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
        .args(["run", "--scenarios"])
        .arg(&d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.toml:7"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
        .args(["run", "--sut", "http://127.0.0.1:9", "--scenarios"])
        .arg(dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SUT unreachable"));
    std::fs::remove_dir_all(&d).ok();
}

#[cfg_attr(
    not(feature = "mutants"),
    ignore = "planted faults need the separate build: --features mutants"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_planted_mutant_is_killed() {
    let all = load_dir(dir()).unwrap();
    let rows = nhi_harness::mutants::kill_table(&all, 30).await.unwrap();
    let table = nhi_harness::mutants::render(&rows);
    eprintln!("{table}");
    assert!(rows.len() >= 25);
    assert!(nhi_harness::mutants::kill_rate(&rows) >= 0.95, "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_pass_over_real_pcscd() {
    if std::env::var("NHI_PCSC_TESTS").as_deref() != Ok("1") {
        eprintln!("SKIPPED: scenarios over real pcscd (NHI_PCSC_TESTS=1 after `bash ci/setup-pcsc`; ci/run does)");
        return;
    }
    let all = load_dir(dir()).unwrap();
    let mut o = opts();
    o.world.transport = nhi_harness::world::TransportKind::Vpcd;
    let results = run_all(&all, &o).await.unwrap();
    assert_all_pass(&results, "over vpcd");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_pass_over_the_serial_pty() {
    let all = load_dir(dir()).unwrap();
    let mut o = opts();
    o.world.transport = nhi_harness::world::TransportKind::Serial;
    let results = run_all(&all, &o).await.unwrap();
    let for_serial = all
        .iter()
        .filter(|s| s.applies_to(o.world.transport, false))
        .count();
    assert_eq!(results.len(), for_serial);
    assert!(
        for_serial < all.len(),
        "the in-process-only scenarios are left out"
    );
    assert_all_pass(&results, "over the COM-port reader");
    let cov = code_coverage(&results);
    for code in ["1201", "1202"] {
        assert!(
            !cov[code].is_empty(),
            "{code} not provoked over the COM reader"
        );
    }
}

#[test]
fn partitioned_runs_merge_into_the_single_run() {
    let d = std::env::temp_dir().join(format!("nhi-merge-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let run = |extra: &[&str], json: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
            .args([
                "run",
                "--quiet",
                "--tag",
                "sam",
                "--seed",
                "7",
                "--scenarios",
            ])
            .arg(dir())
            .args(extra)
            .arg("--json")
            .arg(d.join(json))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[], "whole.json");
    run(&["--partition", "1/2"], "p1.json");
    run(&["--partition", "2/2"], "p2.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
        .arg("merge")
        .arg(d.join("p2.json"))
        .arg(d.join("p1.json"))
        .arg("--json")
        .arg(d.join("merged.json"))
        .arg("--junit")
        .arg(d.join("merged.xml"))
        .arg("--html")
        .arg(d.join("merged.html"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let load = |f: &str| -> nhi_harness::scenario::report::RunReport {
        serde_json::from_str(&std::fs::read_to_string(d.join(f)).unwrap()).unwrap()
    };
    let (whole, merged, p1) = (load("whole.json"), load("merged.json"), load("p1.json"));
    assert!(p1.scenarios.len() < whole.scenarios.len());
    assert_eq!(merged.seed, 7);
    assert_eq!(merged.merged_from, vec!["2/2", "1/2"]);
    assert_eq!(merged.without_timings(), whole.without_timings());
    let xml = std::fs::read_to_string(d.join("merged.xml")).unwrap();
    let steps: usize = whole.scenarios.iter().map(|s| s.calls.len()).sum();
    assert_eq!(xml.matches("<testcase").count(), steps);
    let html = std::fs::read_to_string(d.join("merged.html")).unwrap();
    assert!(html.contains("PASS") && !html.contains("<script") && !html.contains("src=\"http"));
    // Overlapping inputs are refused (exit 2, naming the scenario).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-conform"))
        .arg("merge")
        .arg(d.join("p1.json"))
        .arg(d.join("whole.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than one input"));
    std::fs::remove_dir_all(&d).ok();
}
