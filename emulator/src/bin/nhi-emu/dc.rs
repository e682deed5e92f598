//! `nhi-emu dc`: the mock NHI data center alone (HTTPS with the test CA, SQLite on disk),
//! and its offline tools: `dc key split|rotate` (key custody, key.rs) and
//! `dc audit-report` (audit_report.rs).

use crate::Usage;
use nhi_cli::say;
use nhi_emulator::dc::custody::{self, MasterKey};
use nhi_emulator::fixtures::Fixtures;
use std::path::PathBuf;
use std::process::ExitCode;

/// `nhi-emu dc [FLAGS]` serves; `nhi-emu dc key …` and `nhi-emu dc audit-report …` are
/// offline tools on the same database.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DcCli {
    #[command(subcommand)]
    cmd: Option<DcCmd>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Subcommand)]
enum DcCmd {
    /// The custodians' master key: split a new one, rotate the database to a new one.
    Key {
        #[command(subcommand)]
        cmd: super::key::KeyCmd,
    },
    /// The monthly decryption audit report (seed 002 附圖四) as HTML and/or CSV.
    AuditReport(super::audit_report::ReportArgs),
}

/// How `nhi-emu dc` serves.
#[derive(clap::Args)]
struct ServeArgs {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:4443")]
    listen: std::net::SocketAddr,
    /// SQLite database file (created and migrated if needed).
    #[arg(long, default_value = "nhi-dc.db")]
    db: PathBuf,
    /// Plain HTTP instead of HTTPS (tests).
    #[arg(long)]
    http: bool,
    /// Allow a non-loopback listen address.
    #[arg(long)]
    allow_remote: bool,
    /// Freeze virtual time at this instant (RFC 3339) instead of following the wall clock.
    #[arg(long)]
    frozen_at: Option<String>,
    /// Secrets file (format of fixtures/keys/test-secrets.toml, mode 0600); default: the
    /// embedded TEST secrets.
    #[arg(long)]
    secrets: Option<PathBuf>,
    /// A custodian's share of the master key (`nhi-emu dc key split`); k of them are
    /// needed, and the field keys then come from the rebuilt master key. Repeat.
    #[arg(long = "share")]
    shares: Vec<PathBuf>,
    /// Production mode: refuse to start with any test key material or without the
    /// custodians' shares.
    #[arg(long)]
    production: bool,
}

/// Runs `nhi-emu dc` or one of its tools.
pub fn main(fixtures: Fixtures, cli: DcCli) -> Result<ExitCode, Usage> {
    match cli.cmd {
        Some(DcCmd::Key { cmd }) => super::key::run(cmd),
        Some(DcCmd::AuditReport(a)) => super::audit_report::run(a),
        None => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(serve(fixtures, cli.serve))
        }
    }
}

/// The master key from the shares given (None when none are); a problem with a share is
/// the error, naming it.
pub fn master_key(shares: &[PathBuf]) -> Result<Option<MasterKey>, Usage> {
    if shares.is_empty() {
        return Ok(None);
    }
    custody::combine_files(shares)
        .map(Some)
        .map_err(|e| Usage(format!("key shares: {e}")))
}

/// Runs the DC until Ctrl-C; refuses test keys in production mode, shares that do not
/// rebuild the database's key, and non-loopback addresses unless allowed.
async fn serve(fixtures: Fixtures, a: ServeArgs) -> Result<ExitCode, Usage> {
    let frozen = a
        .frozen_at
        .as_deref()
        .map(|s| crate::instant(Some(s)))
        .transpose()?;
    let master = master_key(&a.shares)?;
    let mut secrets = match &a.secrets {
        Some(p) => nhi_emulator::keys::Secrets::load(p).map_err(Usage)?,
        None => nhi_emulator::keys::Secrets::test(),
    };
    if a.production {
        let mut why = nhi_emulator::keys::production_refusals(&secrets);
        // The decryption flow's staff tokens are compiled-in TEST users (dc/staff.rs).
        why.push("DC staff tokens are the TEST users of fixtures/dc-staff.toml".to_string());
        if master.is_none() {
            why.insert(0, "no custodian key shares: production data needs the master key rebuilt from k shares (--share FILE, repeated)".to_string());
        }
        if !why.is_empty() {
            return Err(Usage(format!(
                "refusing to start in production mode:\n  - {}\n(nhi-emu is a test tool: its CA and token keys are test keys by design)",
                why.join("\n  - ")
            )));
        }
    }
    if secrets.is_test() {
        eprintln!("nhi-emu: using the TEST secrets (fixtures/keys/test-secrets.toml; not for production data)");
    }
    if let Some(k) = &master {
        secrets = k.apply(secrets);
        eprintln!(
            "nhi-emu: field keys from the custodians' master key {}",
            k.fingerprint()
        );
    }
    if !a.listen.ip().is_loopback() && !a.allow_remote {
        return Err(Usage(format!(
            "refusing to listen on {}: not loopback (pass --allow-remote)",
            a.listen
        )));
    }
    let clock = match frozen {
        Some(t) => nhi_emulator::clock::VirtualClock::at(t),
        None => nhi_emulator::clock::VirtualClock::live(),
    };
    {
        let c = nhi_emulator::dc::store::open(&a.db)
            .map_err(|e| Usage(format!("{}: {e}", a.db.display())))?;
        nhi_emulator::dc::rekey::check(
            &c,
            master.as_ref(),
            nhi_emulator::clock::Clock::now(&clock),
        )
        .map_err(|e| Usage(format!("{}: {e}", a.db.display())))?;
    }
    let l = nhi_emulator::dc::Launch {
        listen: a.listen,
        db: a.db.clone(),
        tls: !a.http,
        seed: 2019,
    };
    let cfg = nhi_emulator::dc::DcConfig {
        secrets: Some(secrets),
        ..Default::default()
    };
    let r = nhi_emulator::dc::launch(&l, &fixtures, clock, cfg).await?;
    let ca = a.db.with_extension("ca.pem");
    std::fs::write(&ca, &r.ca_pem).map_err(|e| Usage(format!("{}: {e}", ca.display())))?;
    say!("DC listening on {}", r.server.url());
    say!(
        "database {} (WAL, synchronous=FULL); trust {} for HTTPS",
        a.db.display(),
        ca.display()
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(ExitCode::SUCCESS)
}
