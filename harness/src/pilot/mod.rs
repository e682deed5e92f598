//! The 500-case virtual-card pilot replay (seed 000).
//!
//! - [`population`]: the seeded people, sites and HPC holders;
//! - [`plan`]: which cases carry which failure class;
//! - [`site`]: a site's cards and its start of day;
//! - `flow` and `failures`: one case, the valid visit and each failure class;
//! - [`record`]: what a case records;
//! - [`report`]: the pilot as JSON, JUnit XML and HTML.

mod failures;
mod flow;
pub mod plan;
pub mod population;
pub mod record;
pub mod report;
pub mod site;

pub use flow::run_case;
pub use record::{CaseResult, Side, StepResult};
pub use site::{setup_site, SiteCards};

use crate::world::{World, WorldOptions};
use nhi_emulator::fixtures::CardFactory;
use plan::FailureClass;
use population::PilotFixtures;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// Options of a pilot run.
#[derive(Debug, Clone)]
pub struct PilotOptions {
    /// Number of cases (500 in the seed).
    pub cases: usize,
    /// Seed of people, failures and the DC.
    pub seed: u64,
    /// Worlds run in parallel (embedded SUT only; one SUT otherwise).
    pub concurrency: usize,
    /// World settings.
    pub world: WorldOptions,
    /// Show a progress bar.
    pub progress: bool,
}

/// Latency percentiles of SUT calls, milliseconds.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Latency {
    /// Calls measured.
    pub calls: usize,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
    /// Calls slower than the pilot's 3 s target.
    pub over_3s: usize,
    /// Histogram: upper bounds in ms and counts.
    pub histogram: Vec<(f64, usize)>,
}

/// The result of a pilot run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PilotReport {
    /// Seed.
    pub seed: u64,
    /// SUT description.
    pub sut: String,
    /// Transport.
    pub transport: String,
    /// Wall time in seconds.
    pub wall_secs: f64,
    /// SUT calls per second over the run.
    pub calls_per_sec: f64,
    /// Cases.
    pub cases: Vec<CaseResult>,
    /// Latency of SUT calls.
    pub latency: Latency,
}

impl PilotReport {
    /// Cases that met every expectation.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.pass).count()
    }
    /// Valid cases (no failure class) that completed the whole flow and passed.
    pub fn complete_valid(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.failure.is_none() && c.completed && c.pass)
            .count()
    }
}

/// The `q` quantile (0–1) of sorted values (nearest rank); 0 when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Latency statistics of the SUT steps of `cases`.
pub fn latency(cases: &[CaseResult]) -> Latency {
    latency_of(
        cases
            .iter()
            .flat_map(|c| {
                c.steps
                    .iter()
                    .filter(|s| s.at.side == Side::Sut)
                    .map(|s| s.ms)
            })
            .collect(),
    )
}

/// Latency statistics of call durations in milliseconds.
pub fn latency_of(mut v: Vec<f64>) -> Latency {
    v.sort_by(f64::total_cmp);
    let bounds = [
        0.5,
        1.0,
        2.0,
        5.0,
        10.0,
        20.0,
        50.0,
        100.0,
        1000.0,
        3000.0,
        5000.0,
        f64::INFINITY,
    ];
    let histogram = bounds
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let lo = if i == 0 {
                f64::NEG_INFINITY
            } else {
                bounds[i - 1]
            };
            (b, v.iter().filter(|&&x| x > lo && x <= b).count())
        })
        .collect();
    Latency {
        calls: v.len(),
        p50: percentile(&v, 0.5),
        p95: percentile(&v, 0.95),
        p99: percentile(&v, 0.99),
        max: v.last().copied().unwrap_or(0.0),
        over_3s: v.iter().filter(|&&x| x > 3000.0).count(),
        histogram,
    }
}

/// The people and which failure each case carries (production-card cases get a production
/// card number).
fn cases(o: &PilotOptions) -> Result<(PilotFixtures, Vec<Option<FailureClass>>), String> {
    let mut pf = population::generate(o.cases, o.seed)?;
    let n = pf.people.len();
    let failures = plan::assign(n, plan::failure_count(n), o.seed);
    for (p, f) in pf.people.iter_mut().zip(&failures) {
        if *f == Some(FailureClass::ProductionCard) {
            // A production card: card numbers of production cards do not start with 9.
            p.person.card_no.replace_range(0..1, "0");
        }
    }
    pf.fixtures.people = pf.people.iter().map(|p| p.person.clone()).collect();
    Ok((pf, failures))
}

/// Sites to `worlds` worlds: largest site first, onto the least loaded world.
fn sites_per_world(pf: &PilotFixtures, worlds: usize) -> Vec<Vec<usize>> {
    let mut load = vec![(0usize, Vec::new()); worlds];
    let mut order: Vec<usize> = (0..pf.sites.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(pf.sites[i].1));
    for si in order {
        if let Some(w) = load.iter_mut().min_by_key(|(l, _)| *l) {
            w.0 += pf.sites[si].1;
            w.1.push(si);
        }
    }
    load.into_iter().map(|(_, sites)| sites).collect()
}

/// One world playing its sites' cases in order; each result with its case index.
async fn run_world(
    wo: WorldOptions,
    pf: Arc<PilotFixtures>,
    failures: Arc<Vec<Option<FailureClass>>>,
    factory: Arc<CardFactory>,
    bar: indicatif::ProgressBar,
    sites: Vec<usize>,
) -> Result<Vec<(usize, CaseResult)>, String> {
    let w = World::start(&pf.fixtures, factory, &wo).await?;
    if !w.sut.reachable().await {
        return Err(format!("SUT unreachable at {}", w.sut.base()));
    }
    let mut out = Vec::new();
    let mut partners = HashMap::new();
    for si in sites {
        let site = pf.sites[si].0.clone();
        let all = &population::SITES;
        let other = all[(si + 1) % all.len()].hospital_id;
        let mut cards = setup_site(&w, &pf, si, &site).await?;
        let here = pf.people.iter().enumerate().filter(|(_, p)| p.site == si);
        for (k, (i, p)) in here.enumerate() {
            let id = format!("pilot/{}/{:03}", site.key, k + 1);
            let (partners, cards) = (&mut partners, &mut cards);
            let r = run_case(
                &w,
                &pf.fixtures,
                partners,
                cards,
                p,
                id,
                &site,
                other,
                failures[i],
            )
            .await;
            bar.set_message(if r.pass {
                String::new()
            } else {
                format!("last failure: {}", r.id)
            });
            bar.inc(1);
            out.push((i, r));
        }
    }
    Ok(out)
}

/// Runs the pilot.
pub async fn run_pilot(o: &PilotOptions) -> Result<PilotReport, String> {
    let (pf, failures) = cases(o)?;
    let factory = Arc::new(CardFactory::test()?);
    // One SUT outside (or one set of real readers) is one world; in-process, up to one
    // world per site.
    let real_readers = matches!(
        o.world.transport,
        crate::world::TransportKind::Vpcd | crate::world::TransportKind::Ifd
    );
    let worlds = if o.world.sut.is_some() || real_readers {
        1
    } else {
        o.concurrency.clamp(1, pf.sites.len())
    };
    let load = sites_per_world(&pf, worlds);
    let bar = if o.progress {
        indicatif::ProgressBar::new(pf.people.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let pf = Arc::new(pf);
    let failures = Arc::new(failures);
    let mut set = tokio::task::JoinSet::new();
    for (wi, sites) in load.into_iter().enumerate() {
        let mut wo = o.world.clone();
        wo.seed = o.seed.wrapping_add(wi as u64);
        let (pf, failures, factory) = (pf.clone(), failures.clone(), factory.clone());
        set.spawn(run_world(wo, pf, failures, factory, bar.clone(), sites));
    }
    let mut results: Vec<(usize, CaseResult)> = Vec::new();
    while let Some(r) = set.join_next().await {
        results.extend(r.map_err(|e| format!("world task: {e}"))??);
    }
    bar.finish_and_clear();
    results.sort_by_key(|(i, _)| *i);
    let cases: Vec<CaseResult> = results.into_iter().map(|(_, c)| c).collect();
    let wall = started.elapsed().as_secs_f64();
    let lat = latency(&cases);
    Ok(PilotReport {
        seed: o.seed,
        sut: o
            .world
            .sut
            .clone()
            .unwrap_or_else(|| "embedded reference middleware".into()),
        transport: format!("{:?}", o.world.transport).to_lowercase(),
        wall_secs: wall,
        calls_per_sec: lat.calls as f64 / wall.max(1e-9),
        latency: lat,
        cases,
    })
}

/// Pass/total per key.
pub fn tally<'a>(
    cases: impl Iterator<Item = &'a CaseResult>,
    key: impl Fn(&CaseResult) -> String,
) -> BTreeMap<String, (usize, usize)> {
    let mut m: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in cases {
        let e = m.entry(key(c)).or_default();
        e.1 += 1;
        if c.pass {
            e.0 += 1;
        }
    }
    m
}

/// The terminal summary.
pub fn summary(r: &PilotReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let n = r.cases.len();
    let _ = writeln!(
        s,
        "NHI virtual-card pilot replay (seed 000) — seed {}, SUT: {}, transport: {}",
        r.seed, r.sut, r.transport
    );
    let _ = writeln!(
        s,
        "cases: {n}   passed: {}   failed: {}   complete valid flows: {}   failure cases: {}",
        r.passed(),
        n - r.passed(),
        r.complete_valid(),
        r.cases.iter().filter(|c| c.failure.is_some()).count()
    );
    let _ = writeln!(s, "\nby site:");
    for (k, (p, t)) in tally(r.cases.iter(), |c| c.site.clone()) {
        let _ = writeln!(s, "  {k:8} {p:4}/{t:<4}");
    }
    let _ = writeln!(s, "by stratum (sex × age):");
    for (k, (p, t)) in tally(r.cases.iter(), |c| format!("{} {}", c.sex, c.band)) {
        let _ = writeln!(s, "  {k:8} {p:4}/{t:<4}");
    }
    let _ = writeln!(
        s,
        "by failure class (expected code) — {}:",
        report::TAXONOMY_NOTE
    );
    for (k, (p, t)) in tally(r.cases.iter(), |c| match c.failure {
        Some(f) => format!("{:24} {}", f.name(), f.expected().code()),
        None => format!("{:24} 0000", "none (valid flow)"),
    }) {
        let _ = writeln!(s, "  {k} {p:4}/{t:<4}");
    }
    let l = &r.latency;
    let _ = writeln!(s, "SUT latency over {} calls: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} over 3 s (seed 000 reports responses of 3–5 s and asks whether that is too long; no target)", l.calls, l.p50, l.p95, l.p99, l.max, l.over_3s);
    let _ = writeln!(
        s,
        "wall time {:.2} s, {:.0} SUT calls/s",
        r.wall_secs, r.calls_per_sec
    );
    let failed: Vec<&CaseResult> = r.cases.iter().filter(|c| !c.pass).collect();
    for c in failed.iter().take(10) {
        if let Some(why) = c.first_failure() {
            let _ = writeln!(s, "FAIL {}: {why}", c.id);
        }
    }
    if failed.len() > 10 {
        let _ = writeln!(
            s,
            "… and {} more failed cases (see the report)",
            failed.len() - 10
        );
    }
    s
}
