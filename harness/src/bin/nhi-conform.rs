//! `nhi-conform`: conformance runs and the pilot replay against any 6.0 Web API.

use nhi_cli::{say, say_raw};

use clap::{Parser, Subcommand};
use nhi_harness::pilot::{run_pilot, summary, PilotOptions};
use nhi_harness::world::{TransportKind, WorldOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nhi-conform",
    version,
    about = "Conformance harness for the NHI card-reader control software 6.0 Web API"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the scenarios against a SUT (default: the embedded reference middleware).
    Run {
        /// An external SUT's base URL.
        #[arg(long)]
        sut: Option<String>,
        /// Command that starts the SUT; stopped at the end.
        #[arg(long)]
        sut_cmd: Option<String>,
        /// Run the embedded reference middleware and emulator (the default without --sut).
        #[arg(long, conflicts_with = "emulator")]
        embedded: bool,
        /// Use a running `nhi-emu up` (its control API URL, e.g. http://127.0.0.1:7070) for
        /// cards, clock, faults and the DC; needs --sut.
        #[arg(long, requires = "sut")]
        emulator: Option<String>,
        /// How the embedded middleware reaches the cards; with --sut and --emulator, how the
        /// SUT reaches the emulator's readers (scenarios that need a transport, such as the
        /// COM reader's faults, run only on theirs).
        #[arg(long, value_enum, default_value = "inproc")]
        transport: TransportKind,
        /// Scenario directory.
        #[arg(long, default_value = "scenarios")]
        scenarios: PathBuf,
        /// Only scenarios with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Run share I of N (e.g. 2/4).
        #[arg(long)]
        partition: Option<String>,
        /// JUnit XML output.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// JSON output (the format `merge` joins).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Self-contained HTML report.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Seed of the DC's randomness (challenges, session ids, tokens).
        #[arg(long, default_value_t = 2019)]
        seed: u64,
        /// DC listen address (port 0: any).
        #[arg(long, default_value = "127.0.0.1:0")]
        dc_listen: std::net::SocketAddr,
        /// Plant a mutant in the embedded middleware.
        #[arg(long)]
        mutant: Vec<String>,
        /// List every case (each checked step of each scenario, and the pilot's case
        /// classes) with its requirement text and the seed clause it cites; runs nothing.
        #[arg(long)]
        list: bool,
        /// No progress bar (CI logs).
        #[arg(long)]
        quiet: bool,
        /// Show national IDs and names in full in the summary and the reports (a
        /// developer's local debugging; by default they are masked the seed 002 way).
        #[arg(long)]
        unmasked: bool,
    },
    /// Print the generated mode × operation sweep scenario (scenarios/model/mode-sweep.toml).
    Sweep,
    /// Join the JSON results of partitioned runs (`run --partition I/N --json …`) into one
    /// report, equal to a single run's; writes JSON, JUnit and HTML.
    Merge {
        /// JSON files written by `run --json`.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Merged JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Merged JUnit XML.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Merged HTML report.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Do not mask national IDs and names (inputs written with --unmasked stay so).
        #[arg(long)]
        unmasked: bool,
    },
    /// Run scenarios and a short pilot against every planted mutant; print the kill rate.
    Mutants {
        /// Scenario directory.
        #[arg(long, default_value = "scenarios")]
        scenarios: PathBuf,
        /// Pilot cases per mutant.
        #[arg(long, default_value_t = 60)]
        cases: usize,
    },
    /// Replay the 500-case virtual-card pilot (seed 000). With no SUT flags it runs the
    /// reference middleware embedded in-process.
    Pilot {
        /// Number of cases.
        #[arg(long, default_value_t = 500)]
        cases: usize,
        /// Seed of people, failures and the DC.
        #[arg(long, default_value_t = 2019)]
        seed: u64,
        /// An external SUT's base URL (it must use this run's DC: see --dc-listen).
        #[arg(long, conflicts_with = "embedded")]
        sut: Option<String>,
        /// Run the embedded reference middleware (the default).
        #[arg(long)]
        embedded: bool,
        /// How the embedded middleware reaches the cards.
        #[arg(long, value_enum, default_value = "inproc")]
        transport: TransportKind,
        /// Worlds run in parallel (embedded in-process only).
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
        /// DC listen address (port 0: any).
        #[arg(long, default_value = "127.0.0.1:0")]
        dc_listen: std::net::SocketAddr,
        /// Report directory (JSON, JUnit, HTML).
        #[arg(long, default_value = "reports/pilot")]
        report: PathBuf,
        /// Plant a mutant in the embedded middleware (harness self-test).
        #[arg(long)]
        mutant: Vec<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Show national IDs and names in full (a developer's local debugging).
        #[arg(long)]
        unmasked: bool,
    },
}

fn partition(p: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--partition {p:?}: expected I/N with 1 <= I <= N");
    let (i, n) = p.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if i == 0 || n == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

async fn run(cli: Cli) -> Result<bool, String> {
    match cli.cmd {
        Cmd::Run {
            sut,
            sut_cmd,
            embedded: _,
            emulator,
            transport,
            scenarios,
            tag,
            partition: part,
            junit,
            json,
            html,
            seed,
            dc_listen,
            mutant,
            list,
            quiet,
            unmasked,
        } => {
            let all = nhi_harness::scenario::load_dir(&scenarios).map_err(|e| e.to_string())?;
            if list {
                say_raw!("{}", nhi_harness::report::case_list::scenarios(&all));
                say_raw!("{}", nhi_harness::report::case_list::pilot());
                return Ok(true);
            }
            let mut child = match &sut_cmd {
                Some(c) => Some(
                    std::process::Command::new("sh")
                        .arg("-c")
                        .arg(c)
                        .spawn()
                        .map_err(|e| format!("--sut-cmd {c:?}: {e}"))?,
                ),
                None => None,
            };
            if let Some(e) = &emulator {
                // Fail early and clearly when the emulator is not there.
                nhi_harness::bench::RemoteEmulator::connect(e).await?;
            }
            if let Some(u) = &sut {
                let client = nhi_harness::client::SutClient::new(u)?;
                let t = std::time::Instant::now();
                while !client.reachable().await {
                    if t.elapsed()
                        > std::time::Duration::from_secs(if sut_cmd.is_some() { 30 } else { 3 })
                    {
                        return Err(format!("SUT unreachable at {u}"));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
            let part = part.as_deref().map(partition).transpose()?;
            let sut_name = sut
                .clone()
                .unwrap_or_else(|| "embedded reference middleware".into());
            let transport_name = match (&sut, &emulator, transport) {
                (Some(_), Some(e), TransportKind::Inproc) => format!("external, emulator {e}"),
                (Some(_), Some(e), t) => {
                    format!(
                        "external over {}, emulator {e}",
                        format!("{t:?}").to_lowercase()
                    )
                }
                (Some(_), None, _) => "external".to_string(),
                (None, _, t) => format!("{t:?}").to_lowercase(),
            };

            let o = nhi_harness::scenario::RunOptions {
                world: WorldOptions {
                    sut,
                    transport,
                    mutants: mutant,
                    dc_listen,
                    seed,
                    emulator,
                    ..WorldOptions::default()
                },
                tag,
                partition: part,
                progress: !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            };
            let results = nhi_harness::scenario::run_all(&all, &o).await;
            if let Some(c) = child.as_mut() {
                let _ = c.kill();
                let _ = c.wait();
            }
            let report = nhi_harness::scenario::report::RunReport::new(
                &sut_name,
                &transport_name,
                seed,
                part,
                results?,
            );
            let report = shown(report, unmasked)?;
            say_raw!("{}", nhi_harness::scenario::summary(&report.scenarios));
            write_outputs(&report, json, junit, html)?;
            Ok(report.pass())
        }
        Cmd::Sweep => {
            say_raw!("{}", nhi_harness::sweep::generate());
            Ok(true)
        }
        Cmd::Merge {
            inputs,
            json,
            junit,
            html,
            unmasked,
        } => {
            let mut parts = Vec::new();
            for p in &inputs {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                parts.push(
                    serde_json::from_str::<nhi_harness::scenario::report::RunReport>(&text)
                        .map_err(|e| {
                            format!(
                                "{}:{}: not a `nhi-conform run --json` report: {e}",
                                p.display(),
                                e.line()
                            )
                        })?,
                );
            }
            let report = shown(nhi_harness::scenario::report::merge(parts)?, unmasked)?;
            say_raw!("{}", nhi_harness::scenario::summary(&report.scenarios));
            write_outputs(&report, json, junit, html)?;
            Ok(report.pass())
        }
        Cmd::Mutants { scenarios, cases } => {
            let all = nhi_harness::scenario::load_dir(&scenarios).map_err(|e| e.to_string())?;
            let table = nhi_harness::mutants::kill_table(&all, cases).await?;
            say_raw!("{}", nhi_harness::mutants::render(&table));
            Ok(nhi_harness::mutants::kill_rate(&table) >= 0.95)
        }
        Cmd::Pilot {
            cases,
            seed,
            sut,
            embedded: _,
            transport,
            concurrency,
            dc_listen,
            report,
            mutant,
            quiet,
            unmasked,
        } => {
            if cases == 0 {
                return Err("--cases must be at least 1".into());
            }
            let o = PilotOptions {
                cases,
                seed,
                concurrency,
                world: WorldOptions {
                    sut,
                    transport,
                    mutants: mutant,
                    seed,
                    dc_listen,
                    ..WorldOptions::default()
                },
                progress: !quiet,
            };
            let r = run_pilot(&o).await?;
            let r = if unmasked {
                r
            } else {
                let fixtures = nhi_harness::scenario::fixtures()?;
                nhi_harness::pilot::report::masked(
                    &r,
                    nhi_harness::report::mask::Masker::of_fixtures(&fixtures),
                )
            };
            say_raw!("{}", summary(&r));
            nhi_harness::pilot::report::write_all(&r, &report)?;
            say!(
                "report: {}/pilot.html (also pilot.json, pilot.junit.xml)",
                report.display()
            );
            Ok(r.passed() == r.cases.len())
        }
    }
}

/// The report as shown and written: masked unless `--unmasked`.
fn shown(
    report: nhi_harness::scenario::report::RunReport,
    unmasked: bool,
) -> Result<nhi_harness::scenario::report::RunReport, String> {
    if unmasked {
        return Ok(report);
    }
    let fixtures = nhi_harness::scenario::fixtures()?;
    Ok(report.masked(nhi_harness::report::mask::Masker::of_fixtures(&fixtures)))
}

fn write_outputs(
    report: &nhi_harness::scenario::report::RunReport,
    json: Option<PathBuf>,
    junit: Option<PathBuf>,
    html: Option<PathBuf>,
) -> Result<(), String> {
    let write = |p: &PathBuf, body: String| {
        std::fs::write(p, body).map_err(|e| format!("{}: {e}", p.display()))
    };
    if let Some(p) = &json {
        write(
            p,
            serde_json::to_string_pretty(report).map_err(|e| e.to_string())?,
        )?;
    }
    if let Some(p) = &junit {
        write(p, nhi_harness::scenario::report::junit(report))?;
    }
    if let Some(p) = &html {
        write(p, nhi_harness::scenario::report::html(report))?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("nhi-conform: error: {e}");
            ExitCode::from(2)
        }
    }
}
