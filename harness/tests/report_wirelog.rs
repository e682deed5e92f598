//! A failed step carries its wirelog: the HTTP exchange and the APDUs of the cards it
//! touched, in the JSON, the JUnit failure text and the HTML report, with national IDs and
//! names masked the seed 002 way (and in full only when asked).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::fixtures::CardFactory;
use nhi_harness::report::mask::Masker;
use nhi_harness::scenario::report::{html, junit, RunReport};
use nhi_harness::scenario::{fixtures, load_dir, run_one};
use nhi_harness::world::WorldOptions;
use std::path::Path;
use std::sync::Arc;

#[cfg_attr(
    not(feature = "mutants"),
    ignore = "planted faults need the separate build: --features mutants"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_failed_by_a_planted_mutant_carries_http_and_apdus_masked() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let all = load_dir(dir).unwrap();
    let physical = all.iter().find(|s| s.id == "hc/physical").unwrap();
    let f = fixtures().unwrap();
    let world = WorldOptions {
        mutants: vec!["hc-basic-birthday-of-issue".into()],
        ..WorldOptions::default()
    };
    let res = run_one(physical, &f, Arc::new(CardFactory::test().unwrap()), &world).await;
    assert!(!res.pass, "the mutant must be caught: {res:?}");
    let failed = res
        .calls
        .iter()
        .find(|c| !c.pass && c.request == "GET /api/hc/v1/BasicData")
        .expect("the basic-data step fails under the mutant");
    let x = failed
        .evidence
        .as_ref()
        .expect("a failed step keeps its exchange");
    assert_eq!(x.request, "GET /api/hc/v1/BasicData");
    assert_eq!(x.http, 200);
    assert!(!x.apdus.is_empty(), "no APDUs in the wirelog: {x:?}");
    // The basic data was read from the HC in its reader (GET DATA 00 CA 11 00).
    assert!(
        x.apdus
            .iter()
            .any(|a| a.command.starts_with("00CA11") && a.response.ends_with("9000")),
        "{:#?}",
        x.apdus
    );
    // The passing steps keep no wirelog (the JSON stays small).
    assert!(res
        .calls
        .iter()
        .filter(|c| c.pass)
        .all(|c| c.evidence.is_none()));

    let report = RunReport::new("embedded", "inproc", 2019, None, vec![res]);
    let unmasked = serde_json::to_string(&report).unwrap();
    assert!(unmasked.contains("A123456789") && unmasked.contains("王小明"));
    let shown = report.masked(Masker::of_fixtures(&f));
    let json = serde_json::to_string(&shown).unwrap();
    let (j, h) = (junit(&shown), html(&shown));
    for text in [&json, &j, &h] {
        assert!(!text.contains("A123456789"), "a national ID in full");
        assert!(!text.contains("王小明"), "a name in full");
        // Nor inside the APDU hex (the ID is ASCII in the basic-data record).
        assert!(!text.contains(&hex::encode_upper("A123456789")));
    }
    assert!(
        json.contains("A123***789") && json.contains("王○明"),
        "{json}"
    );
    assert!(j.contains("HTTP &gt; GET /api/hc/v1/BasicData"), "{j}");
    assert!(j.contains("APDU ") && j.contains("00CA1100"), "{j}");
    assert!(h.contains("<details><summary>wirelog ("), "{h}");
    assert!(h.contains("HTTP &gt; GET /api/hc/v1/BasicData"));
    // Masking is for showing: the checks saw the real values.
    assert_eq!(shown.scenarios[0].pass, report.scenarios[0].pass);
}
