//! The harness's power: every planted mutant of the reference middleware is run through
//! the scenarios and a short pilot; a mutant is killed when any expectation fails.

use crate::pilot::{run_pilot, PilotOptions};
use crate::scenario::{run_all, RunOptions, Scenario};
use crate::world::WorldOptions;
use nhi_middleware::mutants::Mutant;

/// One mutant's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MutantRow {
    /// Mutant name.
    pub name: &'static str,
    /// What it breaks.
    pub description: &'static str,
    /// Scenarios that failed.
    pub failing_scenarios: Vec<String>,
    /// Pilot cases that failed.
    pub failing_pilot_cases: usize,
}

impl MutantRow {
    /// Detected?
    pub fn killed(&self) -> bool {
        !self.failing_scenarios.is_empty() || self.failing_pilot_cases > 0
    }
}

/// Runs everything against each mutant.
pub async fn kill_table(scenarios: &[Scenario], cases: usize) -> Result<Vec<MutantRow>, String> {
    let mut rows = Vec::new();
    for m in Mutant::ALL {
        let world = WorldOptions {
            mutants: vec![m.name().to_string()],
            ..WorldOptions::default()
        };
        let results = run_all(
            scenarios,
            &RunOptions {
                world: world.clone(),
                tag: None,
                partition: None,
                progress: false,
            },
        )
        .await?;
        let pilot = run_pilot(&PilotOptions {
            cases,
            seed: 2019,
            concurrency: 2,
            world,
            progress: false,
        })
        .await?;
        rows.push(MutantRow {
            name: m.name(),
            description: m.description(),
            failing_scenarios: results
                .iter()
                .filter(|r| !r.pass)
                .map(|r| r.id.clone())
                .collect(),
            failing_pilot_cases: pilot.cases.iter().filter(|c| !c.pass).count(),
        });
    }
    Ok(rows)
}

/// Fraction killed.
pub fn kill_rate(rows: &[MutantRow]) -> f64 {
    rows.iter().filter(|r| r.killed()).count() as f64 / rows.len().max(1) as f64
}

/// The table for people.
pub fn render(rows: &[MutantRow]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:32} {:7} {:>6} {:>6}  first failing scenario",
        "mutant", "killed", "scen.", "pilot"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:32} {:7} {:>6} {:>6}  {}",
            r.name,
            if r.killed() { "yes" } else { "NO" },
            r.failing_scenarios.len(),
            r.failing_pilot_cases,
            r.failing_scenarios
                .first()
                .map(String::as_str)
                .unwrap_or("-")
        );
    }
    let _ = writeln!(
        s,
        "kill rate: {}/{} = {:.1} %",
        rows.iter().filter(|r| r.killed()).count(),
        rows.len(),
        100.0 * kill_rate(rows)
    );
    for r in rows.iter().filter(|r| !r.killed()) {
        let _ = writeln!(s, "survivor {}: {}", r.name, r.description);
    }
    s
}
