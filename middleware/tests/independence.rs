//! The middleware reaches cards only through its transport trait and the DC only over
//! HTTP: it must not depend on the emulator, directly or through another crate.

use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[test]
fn middleware_does_not_depend_on_the_emulator() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let nodes = meta["resolve"]["nodes"].as_array().expect("resolve graph");
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or(""),
                p["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let deps: HashMap<&str, Vec<&str>> = nodes
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap_or(""),
                n["deps"]
                    .as_array()
                    .map(|d| d.iter().filter_map(|x| x["pkg"].as_str()).collect())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let root = names
        .iter()
        .find(|(_, n)| **n == "nhi-middleware")
        .map(|(id, _)| *id)
        .expect("nhi-middleware in the workspace");
    // Walk everything the middleware pulls in (normal, build and dev dependencies).
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        assert_ne!(
            names.get(id).copied(),
            Some("nhi-emulator"),
            "nhi-middleware depends on nhi-emulator"
        );
        assert_ne!(
            names.get(id).copied(),
            Some("nhi-harness"),
            "nhi-middleware depends on nhi-harness"
        );
        stack.extend(deps.get(id).cloned().unwrap_or_default());
    }
    assert!(
        seen.iter().any(|id| names.get(id) == Some(&"nhi-protocol")),
        "the walk saw nhi-protocol, so it walked"
    );
}
