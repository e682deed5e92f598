//! k-of-n custody of the DC master key through the `nhi-emu` binary: `dc key split`
//! writes private share files; `nhi-emu dc` starts with k shares and refuses fewer, mixed,
//! corrupted or public ones, and, in production mode, none; `dc key rotate` re-seals the
//! database so its data reads back under the new key and the old shares stop working.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn nhi_emu(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nhi-emu"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn split(dir: &Path, k: usize, n: usize) -> Vec<PathBuf> {
    let (code, out) = nhi_emu(&[
        "dc",
        "key",
        "split",
        "--k",
        &k.to_string(),
        "--n",
        &n.to_string(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), n, "{out}");
    files
}

/// A DC child process, killed and reaped however the test ends.
#[derive(Debug)]
struct Dc(Child);

impl Drop for Dc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `nhi-emu dc` on `db` with `shares`; Ok(base URL) once it listens, Err((exit
/// code, output)) when it refuses. Waits on the child's output, not on time.
fn start(db: &Path, shares: &[&PathBuf], extra: &[&str]) -> Result<(Dc, String), (i32, String)> {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nhi-emu"));
    c.args(["dc", "--listen", "127.0.0.1:0", "--http", "--db"])
        .arg(db)
        .args(extra);
    for s in shares {
        c.arg("--share").arg(s);
    }
    let mut dc = Dc(c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap());
    let stdout = dc.0.stdout.take().unwrap();
    // stdout ends with the "listening" line or at exit; stderr is read after.
    for line in std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
    {
        if let Some(url) = line.strip_prefix("DC listening on ") {
            return Ok((dc, url.trim().to_string()));
        }
    }
    let mut err = String::new();
    dc.0.stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let code = dc.0.wait().unwrap().code().unwrap_or(-1);
    Err((code, err))
}

/// A POST over plain HTTP/1.1 (the DC runs with --http); the JSON reply.
fn post(base: &str, path: &str, body: &str) -> Value {
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let (_, json) = reply.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(json).unwrap()
}

fn person(base: &str) -> Value {
    post(base, "/api/v1/Admin/Person", r#"{"cardId":"900000000001"}"#)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nhi-custody-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn split_then_k_shares_start_the_dc_and_bad_sets_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp("split");
    let a = split(&dir.join("a"), 3, 5);
    let b = split(&dir.join("b"), 3, 5);
    let fp = |f: &PathBuf| {
        let t = std::fs::read_to_string(f).unwrap();
        let v: toml::Value = toml::from_str(&t).unwrap();
        v["key_fingerprint"].as_str().unwrap().to_string()
    };
    for (i, f) in a.iter().enumerate() {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
        let t = std::fs::read_to_string(f).unwrap();
        assert!(t.contains(&format!("custodian = {}", i + 1)), "{t}");
        assert_eq!(fp(f), fp(&a[0]));
    }
    assert_ne!(fp(&a[0]), fp(&b[0]));
    let db = dir.join("dc.db");

    // Any three shares start it; the data reads back.
    let (dc, url) = start(&db, &[&a[4], &a[0], &a[2]], &[]).unwrap();
    assert_eq!(person(&url)["name"], "王○明");
    drop(dc);

    // Fewer than k, mixed keys, a corrupted share, a public share: refused, named.
    let (code, out) = start(&db, &[&a[0], &a[1]], &[]).unwrap_err();
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("2 share(s) given") && out.contains("needs 3"),
        "{out}"
    );
    let (code, out) = start(&db, &[&a[0], &a[1], &b[2]], &[]).unwrap_err();
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("different keys") && out.contains(&fp(&b[2])),
        "{out}"
    );
    let bad = dir.join("bad.toml");
    let t = std::fs::read_to_string(&a[1]).unwrap();
    let flipped: String = t
        .lines()
        .map(|l| match l.strip_prefix("share = \"") {
            Some(rest) if rest.starts_with('0') => format!("share = \"1{}", &rest[1..]),
            Some(rest) => format!("share = \"0{}", &rest[1..]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&bad, flipped).unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, out) = start(&db, &[&a[0], &bad, &a[2]], &[]).unwrap_err();
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("bad.toml") && out.contains("checksum"),
        "{out}"
    );
    std::fs::set_permissions(&a[3], std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out) = start(&db, &[&a[0], &a[3], &a[2]], &[]).unwrap_err();
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("0644") && out.contains("0600"), "{out}");
    // Shares of another key than the database's.
    let (code, out) = start(&db, &[&b[0], &b[1], &b[2]], &[]).unwrap_err();
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("sealed under key") && out.contains(&fp(&a[0])),
        "{out}"
    );

    // Production mode: no shares is a reason to refuse; with k shares only the embedded
    // test keys and TEST staff remain (the emulator has no production keys by design).
    let (code, out) = start(&dir.join("p.db"), &[], &["--production"]).unwrap_err();
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no custodian key shares"), "{out}");
    let (code, out) = start(&dir.join("p.db"), &[&a[0], &a[1]], &["--production"]).unwrap_err();
    assert!(code == 2 && out.contains("needs 3"), "{out}");
    let (code, out) =
        start(&dir.join("p.db"), &[&a[0], &a[1], &a[2]], &["--production"]).unwrap_err();
    assert_eq!(code, 2, "{out}");
    assert!(
        !out.contains("custodian key shares") && out.contains("root CA key"),
        "{out}"
    );
    assert!(
        out.contains("TEST users of fixtures/dc-staff.toml"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rotate_reseals_the_database_and_retires_the_old_shares() {
    let dir = tmp("rotate");
    let old = split(&dir.join("old"), 2, 3);
    let db = dir.join("dc.db");
    let (dc, url) = start(&db, &[&old[0], &old[1]], &[]).unwrap();
    let before = person(&url);
    assert_eq!(before["idNo"], "A123***789");
    drop(dc);

    // Too few old shares: nothing changes, no new shares are left behind.
    let new_dir = dir.join("new");
    let args = |shares: &[&PathBuf]| {
        let mut v = vec!["dc", "key", "rotate", "--db", db.to_str().unwrap()];
        for s in shares {
            v.extend(["--share", s.to_str().unwrap()]);
        }
        v.extend(["--k", "3", "--n", "4", "--out", new_dir.to_str().unwrap()]);
        v.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let a1 = args(&[&old[0]]);
    let (code, out) = nhi_emu(&a1.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("needs 2"), "{out}");
    assert!(!new_dir.exists() || std::fs::read_dir(&new_dir).unwrap().next().is_none());

    let a2 = args(&[&old[2], &old[0]]);
    let (code, out) = nhi_emu(&a2.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("re-sealed"), "{out}");
    let mut new: Vec<PathBuf> = std::fs::read_dir(&new_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    new.sort();
    assert_eq!(new.len(), 4);

    // The old shares no longer open it, nor does nothing; three new ones do, same data.
    let (code, out) = start(&db, &[&old[0], &old[1]], &[]).unwrap_err();
    assert!(code == 2 && out.contains("sealed under key"), "{out}");
    let (code, out) = start(&db, &[], &[]).unwrap_err();
    assert!(code == 2 && out.contains("--share"), "{out}");
    let (_dc, url) = start(&db, &[&new[3], &new[1], &new[0]], &[]).unwrap();
    assert_eq!(person(&url), before);
    std::fs::remove_dir_all(&dir).ok();
}
