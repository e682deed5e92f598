#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The machine runs out of file descriptors (EMFILE) while clients keep connecting: the
//! DC's accept loop must back off (no busy loop burning a core) and serve again once
//! descriptors are free. The DC runs in a child process (this test binary re-run with
//! `NHI_EMFILE_CHILD=1`) whose RLIMIT_NOFILE is lowered with `prlimit`; the test says so
//! and passes without running where `prlimit` cannot do that.

use nhi_emulator::clock::{VirtualClock, PILOT_EPOCH};
use nhi_emulator::dc::{self, DcConfig};
use nhi_emulator::fixtures::Fixtures;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "NHI_EMFILE_CHILD";

/// The child: a plain-HTTP DC that prints its URL and serves until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emfile_dc_child() {
    if std::env::var(CHILD_ENV).is_err() {
        return; // Only meaningful as the child of the test below.
    }
    let dir = std::env::temp_dir().join(format!("nhi-dc-emfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let l = dc::Launch {
        listen: ([127, 0, 0, 1], 0).into(),
        db: dir.join("dc.db"),
        tls: false,
        seed: 1,
    };
    let clock = VirtualClock::at(PILOT_EPOCH);
    let run = dc::launch(&l, &Fixtures::demo().unwrap(), clock, DcConfig::default())
        .await
        .unwrap();
    println!("URL {}", run.server.url());
    tokio::time::sleep(Duration::from_secs(120)).await;
    drop(run);
    let _ = std::fs::remove_dir_all(dir);
}

/// CPU ticks (user + system) the process has used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn accept_loop_backs_off_on_emfile_and_recovers() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "emfile_dc_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let l = lines.next().unwrap().unwrap();
        // libtest prints "test emfile_dc_child ... " before it, on the same line.
        if let Some(at) = l.find("URL ") {
            break l[at + 4..].trim().to_string();
        }
    };
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    let limit = open + 3;
    let lowered = Command::new("prlimit")
        .arg(format!("--pid={pid}"))
        .arg(format!("--nofile={limit}:{limit}"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !lowered {
        println!("skipped: prlimit cannot lower the child's RLIMIT_NOFILE");
        child.kill().unwrap();
        child.wait().unwrap();
        return;
    }
    // More connections than descriptors: accept fails with EMFILE from then on.
    let conns: Vec<TcpStream> = (0..40)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    assert!(
        fds + 1 >= limit,
        "descriptors never ran out ({fds} of {limit})"
    );
    println!(
        "EMFILE: {} connections, {fds} of {limit} descriptors, child used {used} ticks in 1 s",
        conns.len()
    );
    // A busy accept loop would use ~100 ticks (a whole core) per second.
    assert!(used < 30, "accept loop spins on EMFILE: {used} ticks/s");
    drop(conns);
    std::thread::sleep(Duration::from_millis(500));
    let served = (0..20).any(|_| {
        let reply = Command::new("curl")
            .args([
                "-s",
                "-m",
                "2",
                "-X",
                "POST",
                "-H",
                "content-type: application/json",
            ])
            .args(["-d", "{}"])
            .arg(format!("{url}{}", nhi_protocol::dc::path::TIME))
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("statusCode"))
            .unwrap_or(false);
        if !reply {
            std::thread::sleep(Duration::from_millis(200));
        }
        reply
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        served,
        "the DC did not serve again after descriptors were freed"
    );
}
