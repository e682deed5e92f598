//! `nhi-emu dc key split|rotate`: the custodians' master key (seed 002 「金鑰密碼採多人
//! 分持方式」). The key itself is never printed or written; only its shares and its
//! fingerprint.

use crate::Usage;
use nhi_cli::say;
use nhi_emulator::dc::custody::{self, MasterKey, ShareFile};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum KeyCmd {
    /// Make a new master key and write n share files (one per custodian, mode 0600), any
    /// k of which rebuild it. Start a new database with `nhi-emu dc --share F …`.
    Split {
        /// Shares needed to rebuild the key.
        #[arg(long)]
        k: usize,
        /// Shares (custodians).
        #[arg(long)]
        n: usize,
        /// Directory for the share files (created; existing files are never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Re-seal the database under a new master key, given k shares of the current one;
    /// writes the new key's n shares (the old shares are then useless).
    Rotate {
        /// SQLite database file of the DC (not while a DC serves it).
        #[arg(long)]
        db: PathBuf,
        /// A share of the current key; repeat k times.
        #[arg(long = "share", required = true)]
        shares: Vec<PathBuf>,
        /// Shares needed to rebuild the new key.
        #[arg(long)]
        k: usize,
        /// Shares of the new key.
        #[arg(long)]
        n: usize,
        /// Directory for the new share files.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs a key command.
pub fn run(cmd: KeyCmd) -> Result<ExitCode, Usage> {
    match cmd {
        KeyCmd::Split { k, n, out } => {
            let key = MasterKey::generate().map_err(Usage)?;
            let files = split_to(&key, k, n, &out)?;
            say!(
                "master key {}: {n} shares written, any {k} rebuild it",
                key.fingerprint()
            );
            for f in files {
                say!("  {}", f.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyCmd::Rotate {
            db,
            shares,
            k,
            n,
            out,
        } => {
            let old = crate::dc::master_key(&shares)?
                .ok_or_else(|| Usage("rotate needs the current key's shares (--share)".into()))?;
            let new = MasterKey::generate().map_err(Usage)?;
            if !db.exists() {
                return Err(Usage(format!("{}: no such database", db.display())));
            }
            let mut c = nhi_emulator::dc::store::open(&db)
                .map_err(|e| Usage(format!("{}: {e}", db.display())))?;
            // The new shares first: if writing them fails the database is untouched; if
            // the rotation then fails they are removed (they would open nothing).
            let files = split_to(&new, k, n, &out)?;
            let now = chrono::Utc::now().timestamp();
            match nhi_emulator::dc::rekey::rotate(&mut c, &old, &new, now) {
                Ok(r) => {
                    say!(
                        "{}: {} card holder(s) and {} decryption file(s) re-sealed from master key {} to {}",
                        db.display(),
                        r.cards,
                        r.files,
                        old.fingerprint(),
                        new.fingerprint()
                    );
                    say!("new shares ({n}, any {k} rebuild the key):");
                    for f in files {
                        say!("  {}", f.display());
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    for f in &files {
                        let _ = std::fs::remove_file(f);
                    }
                    Err(Usage(format!(
                        "{}: rotation refused, nothing changed: {e}",
                        db.display()
                    )))
                }
            }
        }
    }
}

fn split_to(key: &MasterKey, k: usize, n: usize, out: &Path) -> Result<Vec<PathBuf>, Usage> {
    let shares: Vec<ShareFile> = custody::split(key, k, n).map_err(|e| Usage(e.to_string()))?;
    custody::write_shares(out, &shares).map_err(|e| Usage(e.to_string()))
}
