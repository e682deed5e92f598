//! `nhi-middleware`: the reference control software 6.0 Web API.

use nhi_cli::say;

use clap::Parser;
#[cfg(feature = "mutants")]
use nhi_middleware::mutants::Mutant;
use nhi_middleware::transport::Transport;
use nhi_middleware::{start, Config};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "nhi-middleware",
    version,
    about = "Reference NHI card-reader control software 6.0 Web API (https://127.0.0.1:5066)"
)]
struct Cli {
    /// DC base URL, e.g. https://127.0.0.1:4443.
    #[arg(long)]
    dc: Option<String>,
    /// PEM file of the CA that signed the DC certificate.
    #[arg(long)]
    dc_ca: Option<PathBuf>,
    /// Use only these PC/SC readers (repeatable); default: all.
    #[arg(long)]
    reader: Vec<String>,
    /// COM-port reader path (serial transport).
    #[arg(long)]
    com: Option<PathBuf>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:5066")]
    listen: SocketAddr,
    /// Allow listening on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// Plain HTTP instead of HTTPS (tests only).
    #[arg(long)]
    http: bool,
    /// Settings directory.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Config file (TOML with the same keys: dc, dc_ca, reader, com, listen, http, state_dir).
    #[arg(long)]
    config: Option<PathBuf>,
    /// DC request timeout in milliseconds.
    #[arg(long, default_value_t = 5000)]
    dc_timeout_ms: u64,
    /// Switch on a planted fault (harness builds only: the flag exists only with the
    /// `mutants` feature, so a shipped middleware cannot be told to misbehave).
    #[cfg(feature = "mutants")]
    #[arg(long)]
    mutant: Vec<String>,
    /// Print the planted faults and exit.
    #[cfg(feature = "mutants")]
    #[arg(long)]
    list_mutants: bool,
}

#[derive(serde::Deserialize, Default)]
struct FileConfig {
    dc: Option<String>,
    dc_ca: Option<PathBuf>,
    #[serde(default)]
    reader: Vec<String>,
    com: Option<PathBuf>,
    listen: Option<SocketAddr>,
    http: Option<bool>,
    state_dir: Option<PathBuf>,
}

async fn run(cli: Cli) -> Result<(), String> {
    #[cfg(feature = "mutants")]
    if cli.list_mutants {
        for m in Mutant::ALL {
            say!("{:32} {}", m.name(), m.description());
        }
        return Ok(());
    }
    let file: FileConfig = match &cli.config {
        Some(p) => toml::from_str(
            &std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?,
        None => FileConfig::default(),
    };
    let dc = cli
        .dc
        .or(file.dc)
        .ok_or("--dc URL is required (or `dc` in --config)")?;
    let listen = if cli.listen != SocketAddr::from(([127, 0, 0, 1], 5066)) {
        cli.listen
    } else {
        file.listen.unwrap_or(cli.listen)
    };
    if !listen.ip().is_loopback() && !cli.allow_remote {
        return Err(format!(
            "refusing to listen on {listen}: not loopback (pass --allow-remote to do it anyway)"
        ));
    }
    let mut cfg = Config::new(&dc);
    cfg.listen = listen;
    cfg.tls = !(cli.http || file.http.unwrap_or(false));
    cfg.dc_timeout = Duration::from_millis(cli.dc_timeout_ms);
    cfg.state_dir = cli.state_dir.or(file.state_dir);
    #[cfg(feature = "mutants")]
    {
        cfg.mutants = nhi_middleware::mutants::Mutants::from_names(&cli.mutant)?;
    }
    if let Some(p) = cli.dc_ca.or(file.dc_ca) {
        cfg.dc_ca_pem =
            Some(std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    let readers = if cli.reader.is_empty() {
        file.reader
    } else {
        cli.reader
    };
    let com = cli.com.or(file.com);
    let transport: Arc<dyn Transport> = match com {
        // The COM port alone, or — with named PC/SC readers too — PC/SC readers first, then
        // the COM port. This order is ours: seed 004's order 「(1)最後連接裝置(2)雲端安全模組
        // (3)實體安全模組」 is which SAM Initial tries, not an order of transports.
        Some(path) => {
            let serial: Arc<dyn Transport> =
                Arc::new(nhi_middleware::serial::SerialTransport::new(&path));
            if readers.is_empty() {
                serial
            } else {
                Arc::new(nhi_middleware::transport::Chain(vec![
                    pcsc_transport(readers)?,
                    serial,
                ]))
            }
        }
        None => pcsc_transport(readers)?,
    };
    let r = start(cfg, transport).await?;
    say!("nhi-middleware listening on {}", r.url);
    say!(
        "API documentation: {}/api/swagger/ (OpenAPI: /api/swagger/openapi.json)",
        r.url
    );
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(any(feature = "pcsc", windows))]
fn pcsc_transport(readers: Vec<String>) -> Result<Arc<dyn Transport>, String> {
    Ok(Arc::new(nhi_middleware::transport::PcscTransport::new(
        (!readers.is_empty()).then_some(readers),
    )))
}

#[cfg(not(any(feature = "pcsc", windows)))]
fn pcsc_transport(_readers: Vec<String>) -> Result<Arc<dyn Transport>, String> {
    Err(
        "this build has no PC/SC transport: build with --features pcsc (needs libpcsclite-dev), or use --com PATH"
            .into(),
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nhi-middleware: error: {e}");
            ExitCode::from(2)
        }
    }
}
