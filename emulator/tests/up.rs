#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `nhi-emu up` as a separate process: it prints where everything is; `nhi-emu ctl` drives
//! it; an independent serial client reads the card it put in the COM reader.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Up {
    child: Child,
    control: String,
    com: String,
    _dir: std::path::PathBuf,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn up() -> Up {
    let dir = std::env::temp_dir().join(format!("nhi-emu-up-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("world.toml");
    // No vpcd slots here (the PC/SC tests own those ports); the default COM reader.
    std::fs::write(
        &cfg,
        format!(
            "control = \"127.0.0.1:0\"\ndc = \"127.0.0.1:0\"\ndb = {:?}\nslot = []\n",
            dir.join("dc.db")
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nhi-emu"))
        .args(["up", "--config"])
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut control, mut com) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        eprintln!("up: {line}");
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.trim_start().starts_with("control API") {
            control = words.last().map(|s| s.to_string());
        }
        if line.trim_start().starts_with("COM port") {
            com = words.get(2).map(|s| s.to_string());
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    Up {
        child,
        control: control.expect("control URL printed"),
        com: com.expect("COM port path printed"),
        _dir: dir,
    }
}

fn ctl(url: &str, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nhi-emu"))
        .args(["ctl", "--url", url])
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn up_prints_its_endpoints_and_ctl_drives_it() {
    let u = up();
    // A stable link to the pty, so an unplugged reader comes back under the same name.
    let pty = std::fs::read_link(&u.com).unwrap();
    assert!(
        pty.starts_with("/dev/pts/"),
        "{} → {}",
        u.com,
        pty.display()
    );
    let (code, v, _) = ctl(&u.control, &["readers"]);
    assert_eq!(code, 0);
    let readers = v["readers"].as_array().unwrap();
    assert_eq!(readers.len(), 2);
    assert_eq!(readers[0]["reader"], "NHI COM reader card");
    assert!(readers[0]["card"].is_null());
    assert_eq!(readers[1]["card"]["kind"], "sam");

    let (code, v, _) = ctl(
        &u.control,
        &[
            "insert",
            "--reader",
            "NHI COM reader card",
            "--card",
            "hc",
            "--person",
            "A123456789",
        ],
    );
    assert_eq!(code, 0, "{v}");
    // A serial program in another process reads the inserted card over the printed path.
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/serial_client.py"
        ))
        .arg(&u.com)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["id_no"], "A123456789");
    assert_eq!(s["info"][1], "NHI COM reader card");

    // Unplugged: the port is gone; plugged back in: the same path serves again.
    let fault = |f: Option<&str>| {
        let mut args = vec!["reader-fault", "--reader", "NHI COM reader card"];
        args.extend(f.map(|f| ["--fault", f]).into_iter().flatten());
        ctl(&u.control, &args)
    };
    let (code, v, _) = fault(Some("unplugged"));
    assert_eq!(
        (code, &v["fault"]),
        (0, &serde_json::json!("unplugged")),
        "{v}"
    );
    assert!(
        !std::path::Path::new(&u.com).exists(),
        "the port is still there"
    );
    let (code, v, err) = fault(Some("melted"));
    assert_eq!(code, 2, "{v}");
    assert!(err.contains("unplugged, failing, garbling"), "{err}");
    let (code, _, _) = fault(None);
    assert_eq!(code, 0);
    let again = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/serial_client.py"
        ))
        .arg(&u.com)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let (code, v, _) = ctl(&u.control, &["remove", "--reader", "NHI COM reader card"]);
    assert_eq!(code, 0);
    assert_eq!(v["removed"], "900000000001", "{v}");

    let (code, v, _) = ctl(&u.control, &["clock", "--set", "2025-01-01T00:00:00Z"]);
    assert_eq!(code, 0);
    assert_eq!(v["unix"], 1_735_689_600);
    // This world's clock is live (not frozen): wall time runs on between the two calls.
    let (_, v, _) = ctl(&u.control, &["clock", "--advance", "61"]);
    let now = v["unix"].as_i64().unwrap();
    assert!((1_735_689_661..1_735_689_661 + 30).contains(&now), "{v}");

    let (code, v, _) = ctl(&u.control, &["fault", "--kind", "latency", "--ms", "50"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["faults"].as_array().unwrap().len(), 1);
    let (code, v, _) = ctl(&u.control, &["clear-faults"]);
    assert_eq!(code, 0);
    assert!(v["faults"].as_array().unwrap().is_empty());

    // Errors: JSON with a reason, exit 1.
    let (code, v, err) = ctl(&u.control, &["fault", "--kind", "meteor"]);
    assert_eq!(code, 1);
    assert_eq!(v["error"], "bad-fault");
    assert!(err.contains("meteor"), "{err}");
    let (code, v, _) = ctl(&u.control, &["insert", "--reader", "nope", "--card", "hc"]);
    assert_eq!(code, 1);
    assert_eq!(v["error"], "no-reader");
}

#[test]
fn ctl_names_an_unreachable_control_api() {
    let (code, _, err) = ctl("http://127.0.0.1:9", &["readers"]);
    assert_eq!(code, 2);
    assert!(err.contains("unreachable"), "{err}");
}

fn secrets_file(dir: &std::path::Path, test: bool, mode: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(format!("secrets-{test}-{mode:o}.toml"));
    let text = if test {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/keys/test-secrets.toml"
        ))
        .unwrap()
    } else {
        let k = |n: usize, b: u8| hex::encode(vec![b; n]);
        format!(
            "dc_sam_master = \"{}\"\ncard_master_test = \"{}\"\ncard_master_production = \"{}\"\ntoken_payload_key = \"{}\"\nfield_key_internal = \"{}\"\nfield_key_external = \"{}\"\n",
            k(32, 0xA1), k(32, 0xA2), k(32, 0xA3), k(16, 0xA4), k(32, 0xA5), k(32, 0xA6)
        )
    };
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

fn dc(args: &[&str], secrets: Option<&std::path::Path>) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nhi-emu"));
    c.args(["dc", "--listen", "127.0.0.1:0", "--http"])
        .args(args);
    if let Some(s) = secrets {
        c.arg("--secrets").arg(s);
    }
    let mut child = Reaped(
        c.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut child.0;
    // Wait for a condition, not a time: the DC either exits (a refusal) or prints that it
    // listens; then it is stopped. Both streams feed one channel, line by line.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out_pipe = child.stdout.take().unwrap();
    let err_pipe = child.stderr.take().unwrap();
    let readers = [
        spawn_line_reader(Box::new(out_pipe), tx.clone()),
        spawn_line_reader(Box::new(err_pipe), tx),
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut text = String::new();
    let mut code = None;
    while code.is_none() && !text.contains("DC listening") {
        if std::time::Instant::now() >= deadline {
            panic!("nhi-emu dc neither exited nor listened in 120 s:\n{text}");
        }
        if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(50)) {
            text.push_str(&line);
        }
        code = child.try_wait().unwrap().map(|s| s.code().unwrap_or(-1));
    }
    if code.is_none() {
        let _ = child.kill();
        code = Some(child.wait().unwrap().code().unwrap_or(-1));
    }
    for r in readers {
        r.join().unwrap();
    }
    text.extend(rx.try_iter());
    (code.unwrap_or(-1), text)
}

/// A child process that is killed and reaped however the test ends.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_line_reader(
    pipe: Box<dyn std::io::Read + Send>,
    tx: std::sync::mpsc::Sender<String>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line + "\n").is_err() {
                break;
            }
        }
    })
}

#[test]
fn production_mode_refuses_test_keys_and_secrets_files_must_be_private() {
    let dir = std::env::temp_dir().join(format!("nhi-emu-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("dc.db");
    let db = db.to_str().unwrap();

    let (code, out) = dc(&["--db", db, "--production"], None);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("production mode") && out.contains("TEST secrets"),
        "{out}"
    );

    let open = secrets_file(&dir, false, 0o644);
    let (code, out) = dc(&["--db", db], Some(&open));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("0644") && out.contains("chmod 600"), "{out}");

    // Own secrets, private: the secrets are no longer a reason, the embedded CA and token
    // keys still are. Nothing of the key is printed.
    let own = secrets_file(&dir, false, 0o600);
    let (code, out) = dc(&["--db", db, "--production"], Some(&own));
    assert_eq!(code, 2, "{out}");
    assert!(
        !out.contains("TEST secrets") && out.contains("root CA key"),
        "{out}"
    );
    assert!(!out.to_lowercase().contains("a1a1a1a1"), "{out}");

    // Outside production mode, a private secrets file is used and the DC starts.
    let (_, out) = dc(&["--db", db], Some(&own));
    assert!(out.contains("DC listening"), "{out}");
    assert!(!out.contains("TEST secrets"), "{out}");
    let test = secrets_file(&dir, true, 0o600);
    let (_, out) = dc(&["--db", dir.join("dc2.db").to_str().unwrap()], Some(&test));
    assert!(out.contains("using the TEST secrets"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}
