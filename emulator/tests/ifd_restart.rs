//! pcscd restarted under inserted cards, through nhi-ifd: a private pcscd (its own socket
//! and its own reader.conf.d, so the system's pcscd and its readers are left alone) loads
//! the driver for one dual-slot reader with an HC and a SAM in it; it is stopped and
//! started again, and a fresh client nobody here wrote (`opensc-tool`) sees both cards
//! again — the same ATRs — and gets APDU answers from them.
//!
//! The private instance: `systemd-socket-activate` hands pcscd a listening socket of our
//! own (pcsc-lite then skips its "another pcscd is running" check, which looks at the
//! system socket), and `PCSCLITE_CSOCK_NAME` points the clients at it. pcscd still writes
//! and removes the system pid file (`/run/pcscd/pcscd.pid`); the test puts the system's
//! back. Skipped unless NHI_PCSC_TESTS=1 (after `bash ci/setup-pcsc`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::ifd::{IfdEndpoint, IfdReader};
use nhi_emulator::reader::Slot;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libnhi_ifd.so";
const SYSTEM_PID_FILE: &str = "/run/pcscd/pcscd.pid";
const READER: &str = "NHI IFD restart";

/// A pcscd of this test's own, on `dir/pcscd.comm` with `dir/reader.conf.d`.
struct PrivatePcscd {
    dir: PathBuf,
    child: Child,
    /// The system pcscd's pid file, put back when this one stops.
    system_pid: Option<Vec<u8>>,
}

impl PrivatePcscd {
    fn start(dir: &Path, run: usize) -> PrivatePcscd {
        let sock = dir.join("pcscd.comm");
        // A socket file left by the previous run: systemd-socket-activate binds anew.
        let _ = std::fs::remove_file(&sock);
        let system_pid = std::fs::read(SYSTEM_PID_FILE).ok();
        let log = std::fs::File::create(dir.join(format!("pcscd-{run}.log"))).unwrap();
        let child = Command::new("systemd-socket-activate")
            .arg("-l")
            .arg(&sock)
            .args(["pcscd", "--foreground", "--debug", "-c"])
            .arg(dir.join("reader.conf.d"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("systemd-socket-activate (package systemd) and pcscd");
        PrivatePcscd {
            dir: dir.to_path_buf(),
            child,
            system_pid,
        }
    }

    /// Stops it as a service manager does (SIGTERM: pcscd closes its readers) and waits.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success(), "kill -TERM {pid}");
        let status = self.child.wait().unwrap();
        assert!(
            status.code().is_some(),
            "pcscd did not exit by itself: {status}"
        );
        self.restore_pid_file();
    }

    fn restore_pid_file(&mut self) {
        if let Some(pid) = self.system_pid.take() {
            std::fs::write(SYSTEM_PID_FILE, pid).unwrap();
        }
    }

    fn log(&self) -> String {
        let mut all = String::new();
        for run in 0..2 {
            all += &std::fs::read_to_string(self.dir.join(format!("pcscd-{run}.log")))
                .unwrap_or_default();
        }
        all
    }
}

impl Drop for PrivatePcscd {
    /// A failed assertion still leaves no pcscd of ours running and the pid file back.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.restore_pid_file();
    }
}

/// `opensc-tool` against the private pcscd: (success, stdout + stderr).
fn opensc(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("opensc-tool")
        .args(args)
        .env("PCSCLITE_CSOCK_NAME", dir.join("pcscd.comm"))
        .output()
        .expect("opensc-tool (package opensc)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The ATR a fresh client reads in `slot`, once pcscd shows the card (10 s at most).
fn atr_seen(d: &PrivatePcscd, slot: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (ok, out) = opensc(&d.dir, &["-r", slot, "-a"]);
        if ok {
            let is_atr =
                |l: &&str| l.contains(':') && l.chars().all(|c| c == ':' || c.is_ascii_hexdigit());
            if let Some(atr) = out.lines().map(str::trim).find(is_atr) {
                return atr.to_string();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no card seen in {slot}: {out}\npcscd log:\n{}",
            d.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn answers_ok(d: &PrivatePcscd, slot: &str, apdu: &[u8]) {
    let (_, out) = opensc(&d.dir, &["-r", slot, "-s", &hex(apdu)]);
    assert!(out.contains("SW1=0x90, SW2=0x00"), "{slot}: {out}");
}

#[test]
fn cards_are_seen_again_after_a_pcscd_restart() {
    if std::env::var("NHI_PCSC_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED: pcscd restart through nhi-ifd (NHI_PCSC_TESTS=1 after `bash ci/setup-pcsc`)"
        );
        return;
    }
    assert!(
        Path::new(DRIVER).exists(),
        "{DRIVER}: run `bash ci/setup-pcsc`"
    );
    let f = Fixtures::demo().unwrap();
    let cf = CardFactory::test().unwrap();
    let slots = [Slot::empty(), Slot::empty()];
    slots[0].insert(Box::new(cf.hc(&f.people[0]).unwrap()));
    slots[1].insert(Box::new(cf.sam(&f.hospitals[0]).unwrap()));
    let reader = IfdReader::new(slots.to_vec(), None).unwrap();
    let endpoint = IfdEndpoint::start(([127, 0, 0, 1], 0).into(), reader).unwrap();

    let dir = std::env::temp_dir().join(format!("nhi-ifd-restart-{}", std::process::id()));
    let conf = dir.join("reader.conf.d");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("nhi-ifd"),
        format!(
            "FRIENDLYNAME \"{READER}\"\nDEVICENAME   {}\nLIBPATH      {DRIVER}\n",
            endpoint.addr()
        ),
    )
    .unwrap();
    let (hc, sam) = (format!("{READER} 00 00"), format!("{READER} 00 01"));
    let select_hc = nhi_protocol::apdu::select_hc();
    let select_sam = nhi_protocol::apdu::cmd::select(nhi_protocol::apdu::AID_SAM);

    let first = PrivatePcscd::start(&dir, 0);
    let atrs = (atr_seen(&first, &hc), atr_seen(&first, &sam));
    assert_ne!(atrs.0, atrs.1, "each card has its own ATR");
    answers_ok(&first, &hc, &select_hc);
    first.stop();

    // The cards stayed in; the new pcscd opens the driver again and finds them.
    let second = PrivatePcscd::start(&dir, 1);
    assert_eq!((atr_seen(&second, &hc), atr_seen(&second, &sam)), atrs);
    answers_ok(&second, &hc, &select_hc);
    answers_ok(&second, &sam, &select_sam);
    second.stop();
    drop(endpoint);
    let _ = std::fs::remove_dir_all(&dir);
}
