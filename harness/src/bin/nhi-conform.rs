//! `nhi-conform`: conformance runs and the pilot replay against any 6.0 Web API.

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
    },
}

async fn run(cli: Cli) -> Result<bool, String> {
    match cli.cmd {
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
            print!("{}", summary(&r));
            nhi_harness::report::write_all(&r, &report)?;
            println!(
                "report: {}/pilot.html (also pilot.json, pilot.junit.xml)",
                report.display()
            );
            Ok(r.passed() == r.cases.len())
        }
    }
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
