//! What the real-pcscd tests share (pcsc.rs, clients_pcsc.rs, ifd_pcsc.rs): whether they
//! run, one test at a time on the readers pcscd shares, and waiting until pcscd sees a card
//! come or go. Included by `#[path]`, not through `mod support;`: only these tests build
//! with the `pcsc` feature.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::CString;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Whether the real-pcscd tests run: with NHI_PCSC_TESTS=1 (`bash ci/setup-pcsc` first;
/// ci/run does both) a missing pcscd is a failure, never a skip; without it, `what` is
/// reported skipped.
pub fn enabled(what: &str) -> bool {
    if std::env::var("NHI_PCSC_TESTS").as_deref() == Ok("1") {
        assert!(
            std::path::Path::new("/run/pcscd/pcscd.comm").exists(),
            "NHI_PCSC_TESTS=1 but pcscd is not running: run `bash ci/setup-pcsc`"
        );
        true
    } else {
        eprintln!("SKIPPED: {what} (set NHI_PCSC_TESTS=1 after `bash ci/setup-pcsc`; ci/run does)");
        false
    }
}

/// The readers are shared by every test in a binary: one at a time (a test that failed
/// while holding them does not stop the next).
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static READERS: Mutex<()> = Mutex::new(());
    READERS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits (up to 10 s) until pcscd reports `reader` with a card (`present`) or without one.
pub fn wait_present(ctx: &pcsc::Context, reader: &str, present: bool) {
    let name = CString::new(reader).unwrap();
    let mut states = vec![pcsc::ReaderState::new(name, pcsc::State::UNAWARE)];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        ctx.get_status_change(Duration::from_millis(500), &mut states)
            .ok();
        let s = states[0].event_state();
        if s.contains(pcsc::State::PRESENT) == present && !s.contains(pcsc::State::UNKNOWN) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "reader {reader} never became present={present}: {s:?}"
        );
        states[0].sync_current_state();
    }
}

/// Connects to the card in `reader` as every client here does: shared, any protocol.
pub fn connect(ctx: &pcsc::Context, reader: &str) -> pcsc::Card {
    let name = CString::new(reader).unwrap();
    ctx.connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .unwrap()
}
