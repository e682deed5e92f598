//! The bench script: measures the headline numbers and their baselines in the same run and
//! prints one table (metric, ours, baseline, ratio, goal, pass). `--write` also puts the
//! table into benches/README.md. Run it with `bash ci/bench` (release build).

use nhi_benches::{token, AT};
use nhi_emulator::card::Card;
use nhi_protocol::token::TokenAlg;
use std::time::{Duration, Instant};

#[path = "report/pcsc.rs"]
mod pcsc;

/// Runs `f` repeatedly for about `secs` seconds; operations per second.
fn rate(secs: f64, mut f: impl FnMut() -> bool) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        for _ in 0..64 {
            if f() {
                n += 1;
            }
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// `openssl speed` verify/s for an algorithm (`ecdsap256`, `rsa2048`), single core.
fn openssl_verify(alg: &str, secs: u32) -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", &secs.to_string(), alg])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let line = text.lines().rev().find(|l| {
        (alg == "rsa2048" && l.trim_start().starts_with("rsa 2048"))
            || (alg == "ecdsap256" && l.contains("nistp256"))
    })?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    // "... sign verify sign/s verify/s": the last number is verify/s.
    nums.last().copied()
}

struct Row {
    metric: String,
    ours: f64,
    base: Option<f64>,
    unit: &'static str,
    goal: String,
    /// None: a comparison row without a goal.
    pass: Option<bool>,
}

/// Peak RSS (KiB) of this process, from /proc/self/status.
fn rss_hwm_kib() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .ok_or_else(|| "/proc/self/status has no VmHWM line in kB".to_string())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), String> {
    // Seconds per measurement: BENCH_SECS, 3 when unset.
    let secs: f64 = match std::env::var("BENCH_SECS") {
        Ok(v) => v.parse().map_err(|e| format!("BENCH_SECS={v:?}: {e}"))?,
        Err(_) => 3.0,
    };
    // `--pcsc`: only the PC/SC rows (vpcd and nhi-ifd), printed, never written.
    if std::env::args().any(|a| a == "--pcsc") {
        let f = nhi_emulator::fixtures::Fixtures::demo().map_err(|e| e.to_string())?;
        let k = nhi_emulator::fixtures::CardFactory::test()?;
        let mut rows = Vec::new();
        pcsc::rows(&mut rows, secs, &k, &f);
        print!("{}", table(&rows));
        return Ok(());
    }
    let mut rows = Vec::new();
    let now = i64::from(AT) + 5;
    for (alg, name, ossl, goal) in [
        (TokenAlg::Es256, "ES256", "ecdsap256", 1.1),
        (TokenAlg::Rs256, "RS256", "rsa2048", 1.0),
    ] {
        let (issuer, tok) = token(alg)?;
        let v = issuer.verifier()?;
        let ours = rate(secs, || v.verify_counted(&tok, now, 0, 3).is_ok());
        let base = openssl_verify(ossl, secs.ceil() as u32);
        let ratio = base.map(|b| ours / b);
        rows.push(Row { metric: format!("{name} token verify, 1 thread (full: parse, base64, signature, decrypt, expiry, count)"), ours, base, unit: "/s", goal: format!("≥ {goal:.1}× openssl speed {ossl} verify"), pass: Some(ratio.is_some_and(|r| r >= goal)) });
        // The bare signature verify of each candidate library, against the same baseline.
        let m = nhi_benches::alternatives::Material::new()?;
        let libs = match alg {
            TokenAlg::Es256 => nhi_benches::alternatives::es256(&m)?,
            TokenAlg::Rs256 => nhi_benches::alternatives::rs256(&m)?,
        };
        for (lib, verify) in libs {
            let r = rate(secs, &verify);
            rows.push(Row {
                metric: format!("{name} bare signature verify, {lib} (key parsed once)"),
                ours: r,
                base,
                unit: "/s",
                goal: format!("comparison with openssl speed {ossl}"),
                pass: None,
            });
        }
        if alg == TokenAlg::Es256 {
            // Unknown parallelism: this project's 2-core machine.
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            let start = Instant::now();
            let total: u64 = std::thread::scope(|s| {
                let hs: Vec<_> = (0..threads)
                    .map(|_| {
                        s.spawn(|| {
                            let mut n = 0u64;
                            while start.elapsed().as_secs_f64() < secs {
                                if v.verify_counted(&tok, now, 0, 3).is_ok() {
                                    n += 1;
                                }
                            }
                            n
                        })
                    })
                    .collect();
                hs.into_iter()
                    .map(|h| h.join().map_err(|_| "a verify thread panicked".to_string()))
                    .sum::<Result<u64, String>>()
            })?;
            let multi = total as f64 / start.elapsed().as_secs_f64();
            rows.push(Row {
                metric: format!("ES256 token verify, {threads} threads"),
                ours: multi,
                base: Some(ours),
                unit: "/s",
                goal: "≥ 1.8× single thread".into(),
                pass: Some(multi / ours >= 1.8),
            });
        }
    }
    // In-process APDU.
    let f = nhi_emulator::fixtures::Fixtures::demo().map_err(|e| e.to_string())?;
    let k = nhi_emulator::fixtures::CardFactory::test()?;
    let mut hc = k.hc(&f.people[0])?;
    let sel = nhi_protocol::apdu::select_hc();
    let apdu = rate(secs, || {
        hc.handle(&sel);
        hc.handle(nhi_protocol::apdu::GET_BASIC).len() == 59
    }) * 2.0;
    rows.push(Row {
        metric: "in-process APDU (SELECT + GET DATA basic)".into(),
        ours: apdu,
        base: None,
        unit: "/s",
        goal: "≥ 1 000 000/s".into(),
        pass: Some(apdu >= 1e6),
    });
    // DC verification over HTTPS loopback.
    let dir = std::env::temp_dir().join(format!("nhi-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let clock = nhi_emulator::clock::VirtualClock::at(i64::from(AT));
    let cfg = nhi_emulator::dc::DcConfig {
        token_use_limit: u32::MAX,
        ..Default::default()
    };
    let dc = nhi_emulator::dc::launch(
        &nhi_emulator::dc::Launch {
            listen: ([127, 0, 0, 1], 0).into(),
            db: dir.join("dc.db"),
            tls: true,
            seed: 1,
        },
        &f,
        clock.clone(),
        cfg,
    )
    .await?;
    dc.dc
        .admin_activate("bench", "900000000001")
        .map_err(|e| e.reason)?;
    let t = dc
        .dc
        .token("bench", TokenAlg::Es256)
        .map_err(|e| e.reason)?
        .token;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(
            reqwest::Certificate::from_pem(dc.ca_pem.as_bytes()).map_err(|e| e.to_string())?,
        )
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("{}{}", dc.server.url(), nhi_protocol::dc::path::VC_INSPECT);
    // A SAM session to verify under.
    let sid = {
        let mut sam = k.sam(f.hospital("7777777777").map_err(|e| e.to_string())?)?;
        sam.handle(&nhi_protocol::apdu::build(
            0,
            0xA4,
            4,
            0,
            nhi_protocol::apdu::AID_SAM,
            None,
        ));
        let ch = dc
            .dc
            .sam_challenge(&nhi_protocol::dc::msg::SamChallengeRequest {
                sam_id: "901000000047".into(),
                hospital_id: "7777777777".into(),
                cloud: false,
            })
            .map_err(|e| e.reason)?;
        use base64::Engine;
        let b = base64::engine::general_purpose::STANDARD;
        let r = sam.handle(&nhi_protocol::apdu::build(
            0x80,
            0x88,
            0,
            0,
            &b.decode(&ch.dc_random).map_err(|e| e.to_string())?,
            Some(0),
        ));
        let v = dc
            .dc
            .sam_verify(&nhi_protocol::dc::msg::SamVerifyRequest {
                challenge_id: ch.challenge_id,
                sam_random: b.encode(&r[..8]),
                sam_mac: b.encode(&r[8..40]),
            })
            .map_err(|e| e.reason)?;
        v.sam_session
    };
    let body = nhi_protocol::dc::msg::TokenRequest {
        sam_session: sid,
        token: t,
    };
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (http, url, body) = (http.clone(), url.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                if let Ok(r) = http.post(&url).json(&body).send().await {
                    if r.text().await.is_ok_and(|s| s.contains("\"0000\"")) {
                        n += 1;
                    }
                }
            }
            n
        }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await.map_err(|e| format!("a DC client task: {e}"))?;
    }
    let dc_rate = n as f64 / secs;
    let (issuer, tok) = token(TokenAlg::Es256)?;
    let v = issuer.verifier()?;
    let inproc = rate(1.0, || v.verify(&tok, now).is_ok());
    rows.push(Row {
        metric: "DC token checks over HTTPS loopback (32 clients)".into(),
        ours: dc_rate,
        base: Some(inproc),
        unit: "/s",
        goal: "≥ 5 000/s (baseline: in-process verify)".into(),
        pass: Some(dc_rate >= 5000.0),
    });
    std::fs::remove_dir_all(&dir).ok();
    // The pilot in-process.
    let before = rss_hwm_kib()?;
    let o = nhi_harness::pilot::PilotOptions {
        cases: 500,
        seed: 2019,
        concurrency: 2,
        world: Default::default(),
        progress: false,
    };
    let start = Instant::now();
    let r = nhi_harness::pilot::run_pilot(&o).await?;
    let wall = start.elapsed().as_secs_f64();
    rows.push(Row {
        metric: format!(
            "500-case pilot in-process ({}/500 passed, {:.0} SUT calls/s, p99 {:.2} ms)",
            r.passed(),
            r.calls_per_sec,
            r.latency.p99
        ),
        ours: wall,
        base: None,
        unit: " s",
        goal: "≤ 3 s".into(),
        pass: Some(wall <= 3.0 && r.passed() == 500),
    });
    rows.push(Row {
        metric: "middleware p99 latency over the pilot".into(),
        ours: r.latency.p99,
        base: None,
        unit: " ms",
        goal: "≤ 50 ms".into(),
        pass: Some(r.latency.p99 <= 50.0),
    });
    // The pilot over a real OS endpoint: the COM-port reader on a pty (each world its own).
    let mut o = o.clone();
    o.world.transport = nhi_harness::world::TransportKind::Serial;
    let start = Instant::now();
    let r = nhi_harness::pilot::run_pilot(&o).await?;
    let wall = start.elapsed().as_secs_f64();
    rows.push(Row {
        metric: format!(
            "500-case pilot over the COM-port reader on a pty ({}/500 passed, p99 {:.2} ms)",
            r.passed(),
            r.latency.p99
        ),
        ours: wall,
        base: None,
        unit: " s",
        goal: "≤ 30 s (real transports)".into(),
        pass: Some(wall <= 30.0 && r.passed() == 500),
    });
    let hwm = rss_hwm_kib()?;
    rows.push(Row {
        metric: format!(
            "peak RSS of this process after the pilot (before: {} MiB)",
            before / 1024
        ),
        ours: hwm as f64 / 1024.0,
        base: None,
        unit: " MiB",
        goal: "< 100 MiB".into(),
        pass: Some(hwm < 100 * 1024),
    });

    pcsc::rows(&mut rows, secs, &k, &f);
    let (ep_table, worst) = endpoint_latency().await?;
    rows.push(Row {
        metric: format!(
            "middleware p99 per endpoint over HTTPS, worst endpoint ({})",
            worst.0
        ),
        ours: worst.1,
        base: None,
        unit: " ms",
        goal: "≤ 50 ms for every endpoint".into(),
        pass: Some(worst.1 <= 50.0),
    });
    match up_idle_rss() {
        Ok(kib) => rows.push(Row {
            metric: "peak RSS of `nhi-emu up` idle (DC, control API, COM reader; 2 s after start)"
                .into(),
            ours: kib as f64 / 1024.0,
            base: None,
            unit: " MiB",
            goal: "< 100 MiB".into(),
            pass: Some(kib < 100 * 1024),
        }),
        Err(e) => eprintln!("skipped `nhi-emu up` RSS: {e}"),
    }

    let mut table = table(&rows);
    table.push_str("\nMiddleware latency per endpoint (all scenarios except those injecting DC faults, 3 rounds, HTTPS loopback, emulated cards in-process):\n\n");
    table.push_str(&ep_table);
    print!("{table}");
    if std::env::args().any(|a| a == "--write") {
        let p = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let head = std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?;
        // Everything before the table marker stays; no marker yet: all of it.
        let keep = match head.split_once("<!-- table -->") {
            Some((before, _)) => before,
            None => &head,
        };
        let date = chrono::Utc::now().format("%Y-%m-%d");
        let body = format!("{keep}<!-- table -->\nMeasured {date} on this project's 2-core machine with `bash ci/bench` (release build, {secs} s per measurement):\n\n{table}");
        std::fs::write(p, body).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The rows as a Markdown table.
fn table(rows: &[Row]) -> String {
    let mut table = String::from(
        "| metric | ours | baseline | ratio | goal | pass |\n|---|---:|---:|---:|---|---|\n",
    );
    for r in rows {
        let f = |x: f64| {
            if x >= 100.0 {
                format!("{x:.0}{}", r.unit)
            } else {
                format!("{x:.2}{}", r.unit)
            }
        };
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.metric,
            f(r.ours),
            r.base.map(f).unwrap_or_else(|| "—".into()),
            r.base
                .map(|b| format!("{:.2}×", r.ours / b))
                .unwrap_or_else(|| "—".into()),
            r.goal,
            match r.pass {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            }
        ));
    }
    table
}

/// Per-endpoint p50/p99 over every scenario except DC faults (3 rounds); the table and the
/// worst p99.
async fn endpoint_latency() -> Result<(String, (String, f64)), String> {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let all: Vec<_> = nhi_harness::scenario::load_dir(dir)
        .map_err(|e| e.to_string())?
        .into_iter()
        // Scenarios that inject DC faults (latency, time-outs) measure the fault, not us.
        .filter(|s| {
            !s.tags.iter().any(|t| t == "faults") && !s.steps.iter().any(|st| st.arms_fault())
        })
        .collect();
    let mut per: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for _ in 0..3 {
        let o = nhi_harness::scenario::RunOptions {
            world: Default::default(),
            tag: None,
            partition: None,
            progress: false,
        };
        for r in nhi_harness::scenario::run_all(&all, &o).await? {
            for c in r.calls {
                if c.request.starts_with("partner") {
                    continue;
                }
                let key: String = c
                    .request
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                // The path without its query.
                let key = match key.split_once('?') {
                    Some((path, _)) => path.to_string(),
                    None => key,
                };
                per.entry(key).or_default().push(c.ms);
            }
        }
    }
    let mut t = String::from("| endpoint | calls | p50 | p99 | max |\n|---|---:|---:|---:|---:|\n");
    let mut worst = (String::new(), 0.0f64);
    for (k, mut v) in per {
        v.sort_by(f64::total_cmp);
        let p99 = nhi_harness::pilot::percentile(&v, 0.99);
        if p99 > worst.1 {
            worst = (k.clone(), p99);
        }
        t.push_str(&format!(
            "| `{k}` | {} | {:.2} ms | {:.2} ms | {:.2} ms |\n",
            v.len(),
            nhi_harness::pilot::percentile(&v, 0.5),
            p99,
            v.last().copied().ok_or("an endpoint without calls")?
        ));
    }
    Ok((t, worst))
}

/// Peak RSS (KiB) of `nhi-emu up` (built next to this binary) two seconds after it started.
fn up_idle_rss() -> Result<u64, String> {
    use std::io::BufRead;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let emu = exe.with_file_name("nhi-emu");
    if !emu.exists() {
        return Err(format!(
            "{} not built (cargo build --release -p nhi-emulator)",
            emu.display()
        ));
    }
    let dir = std::env::temp_dir().join(format!("nhi-bench-up-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let cfg = dir.join("up.toml");
    std::fs::write(
        &cfg,
        format!(
            "control = \"127.0.0.1:0\"\ndc = \"127.0.0.1:0\"\ndb = {:?}\nslot = []\n",
            dir.join("dc.db")
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(&emu)
        .args(["up", "--config"])
        .arg(&cfg)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    for line in std::io::BufReader::new(stdout).lines() {
        if line.map_err(|e| e.to_string())?.starts_with("Ctrl-C") {
            break;
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
    let _ = child.kill();
    let _ = child.wait();
    std::fs::remove_dir_all(&dir).ok();
    status
        .map_err(|e| e.to_string())?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .ok_or_else(|| "no VmHWM".into())
}
