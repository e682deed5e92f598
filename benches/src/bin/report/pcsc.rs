//! The PC/SC rows of the bench report: APDU round trips through pcscd + vpcd (HC model vs
//! the echo card), and through pcscd + nhi-ifd next to vpcd's echo ceiling; card event →
//! `SCardGetStatusChange` wake-up latency over nhi-ifd next to vpcd. Needs the `pcsc`
//! feature and pcscd with the readers of ci/setup-pcsc; otherwise the rows are skipped.

use super::Row;
use nhi_emulator::fixtures::{CardFactory, Fixtures};

/// Card events timed over nhi-ifd (enough for a p99): BENCH_WAKE_EVENTS, 500 when unset.
#[cfg(feature = "pcsc")]
fn ifd_events() -> Result<usize, String> {
    match std::env::var("BENCH_WAKE_EVENTS") {
        Ok(v) => v
            .parse()
            .map_err(|e| format!("BENCH_WAKE_EVENTS={v:?}: {e}")),
        Err(_) => Ok(500),
    }
}

#[cfg(feature = "pcsc")]
pub fn rows(rows: &mut Vec<Row>, secs: f64, k: &CardFactory, f: &Fixtures) {
    let hc = || {
        k.hc(&f.people[0])
            .map(|h| Box::new(h) as Box<dyn nhi_emulator::card::Card>)
            .map_err(|e| e.to_string())
    };
    let echo = match hc().and_then(|h| nhi_benches::vpcd::apdu_rates(h, secs)) {
        Ok((ours, echo)) => {
            rows.push(Row {
                metric: "APDU round trips through pcscd + vpcd, HC model (baseline: echo card, same path)".into(),
                ours,
                base: Some(echo),
                unit: "/s",
                goal: "≥ 0.9× echo".into(),
                pass: Some(ours / echo >= 0.9),
            });
            rows.push(Row {
                metric: "APDU round trips through pcscd + vpcd, absolute".into(),
                ours,
                base: None,
                unit: "/s",
                goal: "≥ 5 000/s".into(),
                pass: Some(ours >= 5000.0),
            });
            Some(echo)
        }
        Err(e) => {
            eprintln!("skipped vpcd rows: {e}");
            None
        }
    };
    match hc().and_then(|h| nhi_benches::ifd::ifd_apdu_rates(h, secs)) {
        Ok((ours, ifd_echo)) => {
            rows.push(Row {
                metric: "APDU round trips through pcscd + nhi-ifd, HC model (baseline: vpcd echo card, same run)".into(),
                ours,
                base: echo,
                unit: "/s",
                goal: "≥ 1.0× vpcd echo".into(),
                pass: echo.map(|e| ours >= e),
            });
            rows.push(Row {
                metric:
                    "APDU round trips through pcscd + nhi-ifd, echo card (baseline: vpcd echo card)"
                        .into(),
                ours: ifd_echo,
                base: echo,
                unit: "/s",
                goal: "—".into(),
                pass: None,
            });
        }
        Err(e) => eprintln!("skipped nhi-ifd APDU rows: {e}"),
    }
    let events = match ifd_events() {
        Ok(n) => n,
        Err(e) => return eprintln!("skipped the wake-up rows: {e}"),
    };
    // Each vpcd event waits for pcscd's 400 ms presence poll and, on insert, the emulator's
    // 600 ms reinsert gap: a fifth of the nhi-ifd count keeps the run short.
    let vpcd = nhi_benches::ifd::vpcd_wake((events / 5).max(20))
        .map_err(|e| eprintln!("skipped the vpcd wake-up baseline: {e}"))
        .ok();
    match nhi_benches::ifd::ifd_wake(events) {
        Ok(w) => {
            let base = |p: fn(&nhi_benches::ifd::Wake) -> f64| vpcd.as_ref().map(p);
            let n = vpcd.map_or(0, |v| v.events);
            rows.push(Row {
                metric: format!("card insert/remove → SCardGetStatusChange wake-up p50, nhi-ifd ({} events; baseline vpcd, {n} events)", w.events),
                ours: w.p50,
                base: base(|v| v.p50),
                unit: " ms",
                goal: "—".into(),
                pass: None,
            });
            rows.push(Row {
                metric: format!(
                    "card insert/remove → SCardGetStatusChange wake-up p99, nhi-ifd (max {:.1} ms)",
                    w.max
                ),
                ours: w.p99,
                base: base(|v| v.p99),
                unit: " ms",
                goal: "≤ 20 ms".into(),
                pass: Some(w.p99 <= 20.0),
            });
        }
        Err(e) => eprintln!("skipped nhi-ifd wake-up rows: {e}"),
    }
}

#[cfg(not(feature = "pcsc"))]
pub fn rows(_rows: &mut Vec<Row>, _secs: f64, _k: &CardFactory, _f: &Fixtures) {
    eprintln!("skipped PC/SC rows: built without the `pcsc` feature (ci/bench enables it)");
}
