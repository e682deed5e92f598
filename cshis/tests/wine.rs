#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Windows DLLs under Wine: `his_client.exe` (cshis/tests/his_client.c, cross-compiled
//! with mingw) loads `csHis.dll` beside it and runs a visit against the emulated world.
//! `ci/cshis-check` builds the programs and names their directories (one per architecture)
//! in `NHI_CSHIS_WINE_DIRS`, `:`-separated; without it this test says so and returns.

mod common;

use common::Stack;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn his_client_exe_runs_a_visit_under_wine() {
    let Ok(dirs) = std::env::var("NHI_CSHIS_WINE_DIRS") else {
        eprintln!("NHI_CSHIS_WINE_DIRS unset: the Wine run is ci/cshis-check's (skipped)");
        return;
    };
    let stack = Stack::start();
    let person = stack.patient();
    stack.insert_hc(Box::new(stack.factory.hc(person).unwrap()));
    let doctor = stack.physical_sam_and_verified_hpc();
    for dir in dirs.split(':').filter(|d| !d.is_empty()).map(PathBuf::from) {
        let exe = dir.join("his_client.exe");
        assert!(exe.exists(), "{} missing", exe.display());
        assert!(
            dir.join("csHis.dll").exists(),
            "csHis.dll missing in {}",
            dir.display()
        );
        // A physical HC's data areas need a physical SAM: COM2 is the SAM reader.
        std::fs::write(
            dir.join("csHis.ini"),
            format!(
                "url = {}\r\ncom2 = {}\r\n",
                stack.world.sut.base(),
                nhi_harness::world::READER_SAM
            ),
        )
        .unwrap();
        let out = Command::new("wine")
            .arg(&exe)
            .args([
                "1",
                &person.card_no,
                &person.id_no,
                &person.birthday,
                &doctor.id_no,
            ])
            .current_dir(&dir)
            .env("NHI_CSHIS_URL", stack.world.sut.base())
            .env("WINEDEBUG", "-all")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        eprintln!("== {}\n{stdout}", exe.display());
        assert!(
            out.status.success() && stdout.contains("his_client: OK (0 failures)"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
