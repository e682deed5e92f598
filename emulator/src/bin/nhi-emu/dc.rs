//! `nhi-emu dc`: the mock NHI data center alone (HTTPS with the test CA, SQLite on disk).

use crate::Usage;
use nhi_cli::say;
use nhi_emulator::fixtures::Fixtures;
use std::process::ExitCode;

/// How `nhi-emu dc` runs.
pub struct DcArgs {
    pub listen: std::net::SocketAddr,
    pub db: std::path::PathBuf,
    pub http: bool,
    pub allow_remote: bool,
    pub frozen: Option<i64>,
    pub secrets: Option<std::path::PathBuf>,
    pub production: bool,
}

/// Runs the DC until Ctrl-C; refuses test keys in production mode and non-loopback
/// addresses unless allowed.
pub async fn run(fixtures: Fixtures, a: DcArgs) -> Result<ExitCode, Usage> {
    let DcArgs {
        listen,
        db,
        http,
        allow_remote,
        frozen,
        secrets,
        production,
    } = a;
    let secrets = match &secrets {
        Some(p) => nhi_emulator::keys::Secrets::load(p).map_err(Usage)?,
        None => nhi_emulator::keys::Secrets::test(),
    };
    if production {
        let why = nhi_emulator::keys::production_refusals(&secrets);
        if !why.is_empty() {
            return Err(Usage(format!(
                "refusing to start in production mode with test key material:\n  - {}\n(nhi-emu is a test tool: its CA and token keys are test keys by design)",
                why.join("\n  - ")
            )));
        }
    }
    if secrets.is_test() {
        eprintln!("nhi-emu: using the TEST secrets (fixtures/keys/test-secrets.toml; not for production data)");
    }
    if !listen.ip().is_loopback() && !allow_remote {
        return Err(Usage(format!(
            "refusing to listen on {listen}: not loopback (pass --allow-remote)"
        )));
    }
    let clock = match frozen {
        Some(t) => nhi_emulator::clock::VirtualClock::at(t),
        None => nhi_emulator::clock::VirtualClock::live(),
    };
    let l = nhi_emulator::dc::Launch {
        listen,
        db: db.clone(),
        tls: !http,
        seed: 2019,
    };
    let cfg = nhi_emulator::dc::DcConfig {
        secrets: Some(secrets),
        ..Default::default()
    };
    let r = nhi_emulator::dc::launch(&l, &fixtures, clock, cfg).await?;
    let ca = db.with_extension("ca.pem");
    std::fs::write(&ca, &r.ca_pem).map_err(|e| Usage(format!("{}: {e}", ca.display())))?;
    say!("DC listening on {}", r.server.url());
    say!(
        "database {} (WAL, synchronous=FULL); trust {} for HTTPS",
        db.display(),
        ca.display()
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(ExitCode::SUCCESS)
}
