//! `nhi-emu dc audit-report`: the monthly decryption audit report (seed 002 附圖四: 「每月
//! 系統自動將彙總各單位申請解密記錄稽核報表 mail 給相關主管」) from the DC's audit table, as
//! HTML and/or CSV files. The same report is `POST /api/v1/Decrypt/AuditReport`.

use crate::Usage;
use nhi_cli::say;
use nhi_emulator::dc::audit;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// SQLite database file of the DC.
    #[arg(long, default_value = "nhi-dc.db")]
    db: PathBuf,
    /// The month, YYYY-MM (Taipei time).
    #[arg(long)]
    month: String,
    /// Write the report as HTML here.
    #[arg(long)]
    html: Option<PathBuf>,
    /// Write the report as CSV (UTF-8, the seed's column titles) here.
    #[arg(long)]
    csv: Option<PathBuf>,
}

/// Writes the report files.
pub fn run(a: ReportArgs) -> Result<ExitCode, Usage> {
    if a.html.is_none() && a.csv.is_none() {
        return Err(Usage(
            "audit-report: give --html FILE and/or --csv FILE".into(),
        ));
    }
    if !a.db.exists() {
        return Err(Usage(format!("{}: no such database", a.db.display())));
    }
    let c = nhi_emulator::dc::store::open(&a.db)
        .map_err(|e| Usage(format!("{}: {e}", a.db.display())))?;
    let r = audit::report(&c, &a.month).map_err(|e| Usage(e.reason))?;
    let write = |p: &PathBuf, text: &str| {
        std::fs::write(p, text).map_err(|e| Usage(format!("{}: {e}", p.display())))
    };
    if let Some(p) = &a.html {
        let made =
            audit::roc_minute(chrono::Utc::now().timestamp()).map_err(|e| Usage(e.reason))?;
        write(p, &audit::to_html(&r, &made))?;
        say!("{}: HTML report, {} line(s)", p.display(), r.lines.len());
    }
    if let Some(p) = &a.csv {
        write(p, &audit::to_csv(&r).map_err(Usage)?)?;
        say!("{}: CSV report, {} line(s)", p.display(), r.lines.len());
    }
    Ok(ExitCode::SUCCESS)
}
