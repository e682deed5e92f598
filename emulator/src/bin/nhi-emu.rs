//! `nhi-emu`: the NHI card-world emulator on the command line.

/// Writes a line to stdout; a closed stdout (a pipe whose reader left) is not a panic.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// Writes to stdout without a newline; a closed stdout is not a panic.
#[allow(unused_macros)]
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

use clap::{Parser, Subcommand, ValueEnum};
use nhi_emulator::card::Card;
use nhi_emulator::fixtures::{rfc3339, CardFactory, Fixtures};
use nhi_emulator::token::TokenIssuer;
use nhi_protocol::token::{Payload, TokenAlg};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nhi-emu",
    version,
    about = "NHI card-world emulator: cards, tokens, readers, data center"
)]
struct Cli {
    /// Fixture file (default: the embedded demo world).
    #[arg(long, global = true)]
    fixtures: Option<std::path::PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Send APDUs to one in-process card; prints each R-APDU as upper-case hex.
    Apdu {
        /// Which card.
        #[arg(long, value_enum)]
        card: CardArg,
        /// Person (HC: ID or card no; HPC: card id or ID; SAM: hospital or SAM id).
        #[arg(long)]
        person: Option<String>,
        /// C-APDU in hex (spaces allowed); repeat for a sequence.
        #[arg(long = "hex", required = true)]
        hex: Vec<String>,
    },
    /// Virtual-card tokens.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Run the mock NHI data center alone (HTTPS with the test CA, SQLite on disk).
    Dc {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:4443")]
        listen: std::net::SocketAddr,
        /// SQLite database file (created and migrated if needed).
        #[arg(long, default_value = "nhi-dc.db")]
        db: std::path::PathBuf,
        /// Plain HTTP instead of HTTPS (tests).
        #[arg(long)]
        http: bool,
        /// Allow a non-loopback listen address.
        #[arg(long)]
        allow_remote: bool,
        /// Freeze virtual time at this instant (RFC 3339) instead of following the wall clock.
        #[arg(long)]
        frozen_at: Option<String>,
        /// Secrets file (format of fixtures/keys/test-secrets.toml, mode 0600); default: the
        /// embedded TEST secrets.
        #[arg(long)]
        secrets: Option<std::path::PathBuf>,
        /// Production mode: refuse to start with any test key material.
        #[arg(long)]
        production: bool,
    },
    /// Drive a running `nhi-emu up` through its control API.
    Ctl {
        /// Control API base URL.
        #[arg(long, default_value = "http://127.0.0.1:7070")]
        url: String,
        #[command(subcommand)]
        cmd: CtlCmd,
    },
    /// Start the configured world: DC, vpcd readers with cards, control API; until Ctrl-C.
    Up {
        /// World file (TOML): control, dc, db, frozen_at, [[slot]] reader/port/card/person,
        /// [[com]] label/card/person.
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        /// Freeze virtual time at this instant (RFC 3339); the control API moves it. For
        /// conformance runs: `nhi-conform run --emulator` sets it per scenario.
        #[arg(long)]
        frozen_at: Option<String>,
    },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UpConfig {
    #[serde(default = "default_control")]
    control: std::net::SocketAddr,
    #[serde(default = "default_dc")]
    dc: std::net::SocketAddr,
    #[serde(default = "default_db")]
    db: std::path::PathBuf,
    #[serde(default = "default_slots")]
    slot: Vec<SlotConfig>,
    /// The COM-port reader's slots (label = the reader name hosts see); empty = no COM reader.
    #[serde(default = "default_com")]
    com: Vec<ComSlotConfig>,
    /// Freeze virtual time at this instant (RFC 3339); default: follow the wall clock.
    frozen_at: Option<String>,
}

#[derive(serde::Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ComSlotConfig {
    label: String,
    card: Option<String>,
    person: Option<String>,
}

fn default_com() -> Vec<ComSlotConfig> {
    vec![
        ComSlotConfig {
            label: "NHI COM reader card".into(),
            card: None,
            person: None,
        },
        ComSlotConfig {
            label: "NHI COM reader SAM".into(),
            card: Some("sam".into()),
            person: None,
        },
    ]
}

#[derive(serde::Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct SlotConfig {
    reader: String,
    port: u16,
    card: Option<String>,
    person: Option<String>,
}

fn default_control() -> std::net::SocketAddr {
    ([127, 0, 0, 1], 7070).into()
}
fn default_dc() -> std::net::SocketAddr {
    ([127, 0, 0, 1], 4443).into()
}
fn default_db() -> std::path::PathBuf {
    "nhi-emu-dc.db".into()
}
fn default_slots() -> Vec<SlotConfig> {
    let s = |reader: &str, port, card: Option<&str>| SlotConfig {
        reader: reader.into(),
        port,
        card: card.map(str::to_string),
        person: None,
    };
    vec![
        s("Virtual PCD 00 00", 35963, Some("hc")),
        s("Virtual PCD 00 01", 35964, Some("sam")),
        s("NHI Virtual PCD 00 00", 35965, Some("hpc")),
        s("NHI Virtual PCD 00 01", 35966, None),
    ]
}

/// How `nhi-emu dc` runs.
struct DcArgs {
    listen: std::net::SocketAddr,
    db: std::path::PathBuf,
    http: bool,
    allow_remote: bool,
    frozen: Option<i64>,
    secrets: Option<std::path::PathBuf>,
    production: bool,
}

async fn run_dc(fixtures: Fixtures, a: DcArgs) -> Result<ExitCode, Usage> {
    let DcArgs {
        listen,
        db,
        http,
        allow_remote,
        frozen,
        secrets,
        production,
    } = a;
    let secrets = match &secrets {
        Some(p) => nhi_emulator::material::Secrets::load(p).map_err(Usage)?,
        None => nhi_emulator::material::Secrets::test(),
    };
    if production {
        let why = nhi_emulator::material::production_refusals(&secrets);
        if !why.is_empty() {
            return Err(Usage(format!(
                "refusing to start in production mode with test key material:\n  - {}\n(nhi-emu is a test tool: its CA and token keys are test keys by design)",
                why.join("\n  - ")
            )));
        }
    }
    if secrets.is_test() {
        eprintln!("nhi-emu: using the TEST secrets (fixtures/keys/test-secrets.toml; not for production data)");
    }
    if !listen.ip().is_loopback() && !allow_remote {
        return Err(Usage(format!(
            "refusing to listen on {listen}: not loopback (pass --allow-remote)"
        )));
    }
    let clock = match frozen {
        Some(t) => nhi_emulator::clock::VirtualClock::at(t),
        None => nhi_emulator::clock::VirtualClock::live(),
    };
    let l = nhi_emulator::dc::Launch {
        listen,
        db: db.clone(),
        tls: !http,
        seed: 2019,
    };
    let cfg = nhi_emulator::dc::DcConfig {
        secrets: Some(secrets),
        ..Default::default()
    };
    let r = nhi_emulator::dc::launch(&l, &fixtures, clock, cfg).await?;
    let ca = db.with_extension("ca.pem");
    std::fs::write(&ca, &r.ca_pem).map_err(|e| Usage(format!("{}: {e}", ca.display())))?;
    say!("DC listening on {}", r.server.url());
    say!(
        "database {} (WAL, synchronous=FULL); trust {} for HTTPS",
        db.display(),
        ca.display()
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(ExitCode::SUCCESS)
}

async fn run_up(
    fixtures: Fixtures,
    config: Option<std::path::PathBuf>,
    frozen_at: Option<String>,
) -> Result<ExitCode, Usage> {
    let cfg: UpConfig = match config {
        Some(p) => {
            let t =
                std::fs::read_to_string(&p).map_err(|e| Usage(format!("{}: {e}", p.display())))?;
            toml::from_str(&t).map_err(|e| Usage(format!("{}: {e}", p.display())))?
        }
        None => toml::from_str("").map_err(|e| Usage(e.to_string()))?,
    };
    let factory = std::sync::Arc::new(CardFactory::test()?);
    let fixtures = std::sync::Arc::new(fixtures);
    let clock = match frozen_at.or(cfg.frozen_at.clone()) {
        Some(t) => nhi_emulator::clock::VirtualClock::at(
            rfc3339(&t).map_err(|e| Usage(format!("frozen_at: {e}")))?,
        ),
        None => nhi_emulator::clock::VirtualClock::live(),
    };
    let l = nhi_emulator::dc::Launch {
        listen: cfg.dc,
        db: cfg.db.clone(),
        tls: true,
        seed: 2019,
    };
    let dc = nhi_emulator::dc::launch(
        &l,
        &fixtures,
        clock.clone(),
        nhi_emulator::dc::DcConfig::default(),
    )
    .await?;
    let ca = cfg.db.with_extension("ca.pem");
    std::fs::write(&ca, &dc.ca_pem).map_err(|e| Usage(format!("{}: {e}", ca.display())))?;
    let mut slots = Vec::new();
    let mut endpoints = Vec::new();
    for s in &cfg.slot {
        let slot = nhi_emulator::reader::Slot::empty();
        if let Some(kind) = &s.card {
            slot.insert(
                nhi_emulator::control::make_card(&factory, &fixtures, kind, s.person.as_deref())
                    .map_err(|e| Usage(format!("slot {:?}: {e}", s.reader)))?,
            );
        }
        endpoints.push(nhi_emulator::reader::vpcd::VpcdEndpoint::start(
            ([127, 0, 0, 1], s.port).into(),
            slot.clone(),
        ));
        slots.push(nhi_emulator::reader::NamedSlot {
            name: s.reader.clone(),
            slot,
        });
    }
    let mut com_slots = Vec::new();
    for c in &cfg.com {
        let slot = nhi_emulator::reader::Slot::empty();
        if let Some(kind) = &c.card {
            slot.insert(
                nhi_emulator::control::make_card(&factory, &fixtures, kind, c.person.as_deref())
                    .map_err(|e| Usage(format!("COM slot {:?}: {e}", c.label)))?,
            );
        }
        com_slots.push(nhi_emulator::reader::NamedSlot {
            name: c.label.clone(),
            slot,
        });
    }
    let com = if com_slots.is_empty() {
        None
    } else {
        let reader = nhi_emulator::reader::serial::SerialReader::new(
            com_slots
                .iter()
                .map(|n| (n.name.clone(), n.slot.clone()))
                .collect(),
            clock.clone(),
        );
        Some(
            nhi_emulator::reader::serial::SerialEndpoint::start(reader)
                .map_err(|e| Usage(format!("COM-port reader (pty): {e}")))?,
        )
    };
    let control = nhi_emulator::control::Control {
        slots: slots.iter().chain(&com_slots).cloned().collect(),
        factory,
        fixtures,
        clock,
        dc: Some(dc.dc.clone()),
        dc_endpoint: Some((dc.server.url(), dc.ca_pem.clone())),
        announce_wait: slots.iter().map(|s| s.name.clone()).collect(),
    };
    let server = nhi_emulator::http::serve(
        cfg.control,
        nhi_emulator::control::router(control),
        None,
        tokio::sync::watch::channel(false).1,
    )
    .await
    .map_err(|e| Usage(format!("control API on {}: {e}", cfg.control)))?;
    say!("nhi-emu up");
    for s in &slots {
        let card = s
            .slot
            .describe()
            .map(|(k, l)| format!("{k:?} {l}"))
            .unwrap_or_else(|| "empty".into());
        say!(
            "  PC/SC reader {:24} (vpcd) {card}",
            format!("{:?}", s.name)
        );
    }
    if let Some(c) = &com {
        for s in &com_slots {
            let card = s
                .slot
                .describe()
                .map(|(k, l)| format!("{k:?} {l}"))
                .unwrap_or_else(|| "empty".into());
            say!(
                "  COM reader  {:24} {} {card}",
                format!("{:?}", s.name),
                c.path().display()
            );
        }
        say!(
            "  COM port    {} (protocol/docs/SERIAL.md)",
            c.path().display()
        );
    }
    say!("  DC          {} (CA: {})", dc.server.url(), ca.display());
    say!("  control API {}", server.url());
    say!("Ctrl-C to stop");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    drop(endpoints);
    drop(com);
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
enum CtlCmd {
    /// List readers and what is in them.
    Readers,
    /// Insert a card (hc, hpc, sam, hc-forged, hpc-forged, hc-no-applet, hc-broken, hpc-broken).
    Insert {
        /// Reader name.
        #[arg(long)]
        reader: String,
        /// Card kind.
        #[arg(long)]
        card: String,
        /// Fixture key (ID number, card number, hospital id …).
        #[arg(long)]
        person: Option<String>,
    },
    /// Remove the card from a reader.
    Remove {
        /// Reader name.
        #[arg(long)]
        reader: String,
    },
    /// Show, set or advance the virtual clock.
    Clock {
        /// Set the clock to this instant (RFC 3339).
        #[arg(long)]
        set: Option<String>,
        /// Advance the clock by this many seconds.
        #[arg(long, allow_hyphen_values = true)]
        advance: Option<i64>,
    },
    /// Arm a DC fault.
    Fault {
        /// Path prefix (`/api/v1/` for every call).
        #[arg(long, default_value = "/api/v1/")]
        path: String,
        /// latency, http5xx, refuse, dropSession, unknownCommand, undefined, slowBody.
        #[arg(long)]
        kind: String,
        /// Milliseconds (latency, slowBody).
        #[arg(long, default_value_t = 0)]
        ms: u64,
    },
    /// Disarm every DC fault.
    ClearFaults,
}

async fn run_ctl(url: &str, cmd: CtlCmd) -> Result<ExitCode, Usage> {
    use serde_json::json;
    let base = url.trim_end_matches('/');
    let (method, path, body) = match cmd {
        CtlCmd::Readers => ("GET", "/readers", None),
        CtlCmd::Insert {
            reader,
            card,
            person,
        } => (
            "POST",
            "/readers/insert",
            Some(json!({ "reader": reader, "card": card, "person": person })),
        ),
        CtlCmd::Remove { reader } => ("POST", "/readers/remove", Some(json!({ "reader": reader }))),
        CtlCmd::Clock { set, advance } => {
            let set = set.as_deref().map(|s| instant(Some(s))).transpose()?;
            if set.is_none() && advance.is_none() {
                ("GET", "/clock", None)
            } else {
                (
                    "POST",
                    "/clock",
                    Some(json!({ "set": set, "advance": advance })),
                )
            }
        }
        CtlCmd::Fault { path, kind, ms } => (
            "POST",
            "/faults",
            Some(json!({ "path": path, "kind": kind, "ms": ms })),
        ),
        CtlCmd::ClearFaults => ("DELETE", "/faults", None),
    };
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let mut req = match method {
        "GET" => client.get(format!("{base}{path}")),
        "DELETE" => client.delete(format!("{base}{path}")),
        _ => client.post(format!("{base}{path}")),
    };
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.map_err(|e| {
        Usage(format!(
            "control API at {base} unreachable (is `nhi-emu up` running?): {e}"
        ))
    })?;
    let status = resp.status();
    let v: serde_json::Value = resp
        .json()
        .await
        .map_err(|e| Usage(format!("control API reply is not JSON: {e}")))?;
    say!("{}", serde_json::to_string_pretty(&v)?);
    if status.is_success() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "nhi-emu ctl: {} {}: {}",
            status.as_u16(),
            v["error"].as_str().unwrap_or("error"),
            v["reason"].as_str().unwrap_or("")
        );
        Ok(ExitCode::from(1))
    }
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Issue a token for a person.
    Issue {
        /// ID number or card number.
        #[arg(long)]
        person: String,
        /// Issue instant (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
        /// Signature algorithm.
        #[arg(long, value_enum, default_value = "es256")]
        alg: AlgArg,
    },
    /// Verify a token; prints the 4-digit status code, exit 0 only on 0000.
    Verify {
        /// The token.
        token: String,
        /// Verification instant (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CardArg {
    Hc,
    Hpc,
    Sam,
}

#[derive(Clone, Copy, ValueEnum)]
enum AlgArg {
    Es256,
    Rs256,
}

/// A usage or environment error: message on stderr, exit 2.
struct Usage(String);

impl<E: std::fmt::Display> From<E> for Usage {
    fn from(e: E) -> Usage {
        Usage(e.to_string())
    }
}

fn parse_hex(s: &str) -> Result<Vec<u8>, Usage> {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    hex::decode(&clean).map_err(|e| Usage(format!("--hex {s:?}: {e}")))
}

fn instant(at: Option<&str>) -> Result<i64, Usage> {
    match at {
        Some(s) => rfc3339(s).map_err(|e| Usage(format!("--at {e}"))),
        None => Ok(chrono::Utc::now().timestamp()),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Usage> {
    let fixtures = match &cli.fixtures {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| Usage(format!("{}: {e}", p.display())))?;
            Fixtures::parse(&text).map_err(|e| Usage(format!("{}: {e}", p.display())))?
        }
        None => Fixtures::demo()?,
    };
    match cli.cmd {
        Cmd::Apdu { card, person, hex } => {
            let apdus = hex
                .iter()
                .map(|h| parse_hex(h))
                .collect::<Result<Vec<_>, _>>()?;
            let factory = CardFactory::test()?;
            let mut card: Box<dyn Card> = match card {
                CardArg::Hc => {
                    let p = match &person {
                        Some(k) => fixtures.person(k)?,
                        None => fixtures.people.first().ok_or("no person in fixtures")?,
                    };
                    Box::new(factory.hc(p)?)
                }
                CardArg::Hpc => {
                    let h = match &person {
                        Some(k) => fixtures.hpc(k)?,
                        None => fixtures.hpcs.first().ok_or("no HPC holder in fixtures")?,
                    };
                    Box::new(factory.hpc(h, 1)?)
                }
                CardArg::Sam => {
                    let h = match &person {
                        Some(k) => fixtures.hospital(k)?,
                        None => fixtures
                            .hospitals
                            .first()
                            .ok_or("no hospital in fixtures")?,
                    };
                    Box::new(factory.sam(h)?)
                }
            };
            for a in apdus {
                say!("{}", hex::encode_upper(card.handle(&a)));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Token {
            cmd: TokenCmd::Issue { person, at, alg },
        } => {
            let p = fixtures.person(&person)?;
            let b = p.basic()?;
            let now = instant(at.as_deref())?;
            let issued = u32::try_from(now)
                .map_err(|_| Usage("--at must be between 1970 and 2106".into()))?;
            let payload = Payload {
                card_no: b.card_no,
                id_no: b.id_no,
                name: b.name,
                birthday: b.birthday,
                sex: b.sex,
                identity_status: p.status(),
                issued_at: issued,
                serial: issued,
                valid_until: issued.saturating_add(2 * 365 * 86_400),
            };
            let alg = match alg {
                AlgArg::Es256 => TokenAlg::Es256,
                AlgArg::Rs256 => TokenAlg::Rs256,
            };
            say!("{}", TokenIssuer::test()?.issue(&payload, alg)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Dc {
            listen,
            db,
            http,
            allow_remote,
            frozen_at,
            secrets,
            production,
        } => {
            let frozen = frozen_at.as_deref().map(|s| instant(Some(s))).transpose()?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(run_dc(
                fixtures,
                DcArgs {
                    listen,
                    db,
                    http,
                    allow_remote,
                    frozen,
                    secrets,
                    production,
                },
            ))
        }
        Cmd::Ctl { url, cmd } => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(run_ctl(&url, cmd))
        }
        Cmd::Up { config, frozen_at } => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(run_up(fixtures, config, frozen_at))
        }
        Cmd::Token {
            cmd: TokenCmd::Verify { token, at },
        } => {
            let now = instant(at.as_deref())?;
            let v = TokenIssuer::test()?.verifier()?;
            match v.verify(&token, now) {
                Ok(_) => {
                    say!("0000");
                    Ok(ExitCode::SUCCESS)
                }
                Err(code) => {
                    say!("{}", code.code());
                    eprintln!("{}: {}", code.code(), code.en());
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(c) => c,
        Err(Usage(msg)) => {
            eprintln!("nhi-emu: error: {msg}");
            ExitCode::from(2)
        }
    }
}
