//! The console of `nhi-emu up --middleware URL` showing a middleware in another process:
//! two real processes — `nhi-emu dev` (the reference middleware over HTTPS) and `nhi-emu
//! up` — the second's console shows the first's status panel and call log through the
//! middleware's console feed (our extension), reading it adds no call; a middleware
//! without the feed or not running is "not available", never a broken page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const NHI_EMU: &str = env!("CARGO_BIN_EXE_nhi-emu");

/// A child process, killed when the test ends.
struct Proc {
    child: Child,
    banner: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Starts `nhi-emu args…` and reads its banner up to "Ctrl-C to stop".
    fn start(args: &[&str]) -> Result<Proc, String> {
        let child = Command::new(NHI_EMU)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Killed and waited for on every path from here (Drop).
        let mut p = Proc {
            child,
            banner: String::new(),
        };
        let mut out = BufReader::new(p.child.stdout.take().unwrap());
        loop {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                let mut err = String::new();
                let _ =
                    std::io::Read::read_to_string(&mut p.child.stderr.take().unwrap(), &mut err);
                return Err(format!("nhi-emu {args:?} ended: {}{err}", p.banner));
            }
            p.banner.push_str(&line);
            if line.contains("Ctrl-C to stop") {
                return Ok(p);
            }
        }
    }

    /// The first word after `label` in the banner.
    fn url(&self, label: &str) -> String {
        let line = self.banner.lines().find(|l| l.contains(label)).unwrap();
        let (_, rest) = line.split_once(label).unwrap();
        rest.split_whitespace().next().unwrap().to_string()
    }
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A scratch directory; also picks this process's TLS provider for its HTTP clients.
fn scratch(name: &str) -> Dir {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let d = std::env::temp_dir().join(format!("nhi-dev-remote-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Dir(d)
}

/// A world file on ports chosen by the system; `readers`: the standard slots, or none
/// (an `up` beside another world must not take pcscd's vpcd readers).
fn world_file(dir: &Path, name: &str, readers: bool) -> String {
    let db = dir.join(format!("{name}.db"));
    let mut text = format!(
        "control = \"127.0.0.1:0\"\ndc = \"127.0.0.1:0\"\ndb = {:?}\n",
        db.display().to_string()
    );
    if !readers {
        text.push_str("slot = []\ncom = []\n");
    }
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

/// `nhi-dev` with the reference middleware on a free port.
fn dev(dir: &Path) -> Proc {
    let world = world_file(dir, "dev", true);
    Proc::start(&["dev", "--config", &world, "--port", "0"]).unwrap()
}

/// `nhi-emu up --middleware url` without readers.
fn up(dir: &Path, middleware: &str) -> Result<Proc, String> {
    let world = world_file(dir, "up", false);
    Proc::start(&["up", "--config", &world, "--middleware", middleware])
}

/// A client for the middleware's fresh self-signed certificate on 127.0.0.1.
fn web_client() -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

async fn get(url: String) -> Value {
    let r = reqwest::get(&url).await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_shows_the_status_and_calls_of_a_middleware_in_another_process() {
    let dir = scratch("two");
    let dev = dev(&dir.0);
    let web_api = dev.url("Web API");
    let up = up(&dir.0, &web_api).unwrap();
    let console = format!("{}/console/api", up.url("control API"));

    let state = get(format!("{console}/state")).await;
    assert_eq!(state["middleware"]["url"], web_api.as_str(), "{state}");
    assert_eq!(
        state["middleware"]["status"]["initialized"], false,
        "{state}"
    );

    let web = web_client();
    let init: Value = web
        .post(format!("{web_api}{}", nhi_protocol::api::path::INITIAL))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(init["statusCode"], "0000", "{init}");

    let state = get(format!("{console}/state")).await;
    assert_eq!(
        state["middleware"]["status"]["initialized"], true,
        "{state}"
    );
    let log = get(format!("{console}/calls?after=0")).await;
    let calls = log["calls"].as_array().unwrap();
    assert_eq!(
        calls.len(),
        1,
        "only the Web API call, not the console's reads: {log}"
    );
    assert_eq!(calls[0]["method"], "POST");
    assert_eq!(calls[0]["path"], nhi_protocol::api::path::INITIAL);
    assert_eq!(calls[0]["statusCode"], "0000");
    let last = log["last"].as_u64().unwrap();
    let none = get(format!("{console}/calls?after={last}")).await;
    assert_eq!(none["calls"], json!([]), "{none}");

    // The middleware's own log agrees: watching it logged nothing.
    let own: Value = web
        .get(format!("{web_api}{}", nhi_protocol::api::path::CALL_LOG))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["calls"].as_array().unwrap().len(), 1, "{own}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_middleware_without_the_feed_or_not_running_is_not_available() {
    let dir = scratch("none");
    // Another program on the address: the dev process's control API, which has no feed.
    let dev = dev(&dir.0);
    let other = dev.url("control API");
    let up_other = up(&dir.0, &other).unwrap();
    let console = format!("{}/console/api", up_other.url("control API"));
    let state = get(format!("{console}/state")).await;
    let m = &state["middleware"];
    assert_eq!(m["unavailable"], "not-available", "{state}");
    assert!(
        m["statusError"]
            .as_str()
            .unwrap()
            .contains("not available from this middleware"),
        "{state}"
    );
    let log = get(format!("{console}/calls?after=0")).await;
    assert_eq!(log["unavailable"], "not-available", "{log}");
    assert_eq!(log["calls"], json!([]));
    // The rest of the console works as ever.
    let page = reqwest::get(format!("{}/console/", up_other.url("control API")))
        .await
        .unwrap();
    assert!(page.status().is_success());
    drop(up_other);

    // Nothing listening there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let up_gone = up(&dir.0, &format!("https://127.0.0.1:{port}")).unwrap();
    let state = get(format!("{}/console/api/state", up_gone.url("control API"))).await;
    assert_eq!(state["middleware"]["unavailable"], "unreachable", "{state}");
    drop(up_gone);

    // Off this machine: refused at start, with the reason.
    let err = up(&dir.0, "https://192.0.2.7:5066").err().unwrap();
    assert!(err.contains("only a middleware on this machine"), "{err}");
    let err = up(&dir.0, "not a url").err().unwrap();
    assert!(err.contains("middleware URL"), "{err}");
}
