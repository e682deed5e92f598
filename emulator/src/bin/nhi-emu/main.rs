//! `nhi-emu`: the NHI card-world emulator on the command line.

mod audit_report;
mod dc;
mod dev;
mod key;
mod print;

use clap::{Parser, Subcommand, ValueEnum};
use nhi_cli::{say, say_raw};
use nhi_emulator::control::{CardSpec, ClockChange, Command, ControlClient};
use nhi_emulator::fixtures::{rfc3339, CardFactory, Fixtures};
use nhi_emulator::token::TokenIssuer;
use nhi_emulator::world::{World, WorldConfig};
use nhi_protocol::token::TokenAlg;
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
    /// Run the mock NHI data center alone (HTTPS with the test CA, SQLite on disk), or
    /// one of its tools (`dc key split|rotate`, `dc audit-report`).
    Dc(dc::DcCli),
    /// Drive a running `nhi-emu up` through its control API.
    Ctl {
        /// Control API base URL.
        #[arg(long, default_value = "http://127.0.0.1:7070")]
        url: String,
        #[command(subcommand)]
        cmd: CtlCmd,
    },
    /// Print the TEST CA certificate (PEM) the DC's HTTPS certificate chains to, for a
    /// trust store or `--dc-ca` (the same file `nhi-emu up` writes next to its database).
    Ca,
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
        /// Serve the COM-port reader on this existing serial port (e.g. COM5, one end of a
        /// com0com null-modem pair) instead of a new pty; needed on Windows.
        #[arg(long)]
        com_port: Option<String>,
        /// Serve the PC/SC readers through nhi-ifd, our pcscd driver (readers "NHI IFD 1"
        /// and "NHI IFD 2", card + SAM slot and a PIN pad each; `ci/setup-pcsc` installs
        /// it) instead of vpcd.
        #[arg(long)]
        ifd: bool,
        /// The console shows the status panel and call log of this middleware, running in
        /// another process on this machine (e.g. https://127.0.0.1:5066; the world file's
        /// `middleware`). Needs the reference middleware's console feed, our extension.
        #[arg(long)]
        middleware: Option<String>,
    },
    /// The whole stack in one process for coding without readers: DC, emulated cards, the
    /// reference middleware (Web API on https://127.0.0.1:5066, in-process transport, no
    /// pcscd) and the console page on the control address; until Ctrl-C.
    Dev {
        /// World file, as for `up` (COM-port slots are left out: no pty).
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        /// Freeze virtual time at this instant (RFC 3339).
        #[arg(long)]
        frozen_at: Option<String>,
        /// Port of the Web API on 127.0.0.1.
        #[arg(long, default_value_t = 5066)]
        port: u16,
    },
}

async fn run_up(
    fixtures: Fixtures,
    config: Option<std::path::PathBuf>,
    frozen_at: Option<String>,
    com_port: Option<String>,
    ifd: bool,
    middleware: Option<String>,
) -> Result<ExitCode, Usage> {
    let mut cfg = WorldConfig::load(config.as_deref()).map_err(Usage)?;
    if ifd {
        cfg.use_standard_ifd();
    }
    if middleware.is_some() {
        cfg.middleware = middleware;
    }
    if com_port.is_some() {
        cfg.com_port = com_port;
    }
    if let Some(t) = frozen_at {
        cfg.frozen_at = Some(rfc3339(&t).map_err(|e| Usage(format!("frozen_at: {e}")))?);
    }
    let factory = std::sync::Arc::new(CardFactory::test()?);
    let world = World::start(&cfg, std::sync::Arc::new(fixtures), factory)
        .await
        .map_err(Usage)?;
    print::up_banner(&world);
    let _ = tokio::signal::ctrl_c().await;
    drop(world);
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
        card: CardSpec,
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
    /// Set a reader's fault (unplugged, failing, garbling); without --fault, clear it.
    ReaderFault {
        /// Reader name (any slot of the COM reader stands for the whole device).
        #[arg(long)]
        reader: String,
        /// unplugged, failing or garbling.
        #[arg(long)]
        fault: Option<String>,
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
    /// Act at an ifd reader's PIN pad (`nhi-emu up --ifd`: "NHI IFD 1 00 00" for the HC,
    /// "NHI IFD 2 01 00" for the HPC): type digits (`#` = OK), press Cancel (64 01) or let
    /// the entry time out (64 00); no action: show the pad's state.
    Pad {
        /// The card slot of the reader with the pad.
        #[arg(long)]
        reader: String,
        /// Digits to type; `#` is OK.
        #[arg(long)]
        keys: Option<String>,
        /// Press Cancel.
        #[arg(long)]
        cancel: bool,
        /// Let the entry time out now.
        #[arg(long)]
        timeout: bool,
        /// Do it when the pad next asks for a PIN (now, if it is asking).
        #[arg(long)]
        next: bool,
    },
}

impl CtlCmd {
    fn command(self) -> Result<Command, Usage> {
        use nhi_emulator::control::{Insert, Remove};
        Ok(match self {
            CtlCmd::Readers => Command::Readers,
            CtlCmd::Insert {
                reader,
                card,
                person,
            } => Command::Insert(Insert {
                reader,
                card,
                person,
            }),
            CtlCmd::Remove { reader } => Command::Remove(Remove { reader }),
            CtlCmd::ReaderFault { reader, fault } => {
                let fault = fault
                    .map(|f| {
                        serde_json::from_value(serde_json::Value::String(f.clone())).map_err(|_| {
                            let all: Vec<&str> = nhi_emulator::reader::ReaderFault::ALL
                                .iter()
                                .map(|f| f.name())
                                .collect();
                            Usage(format!("--fault {f:?}: one of {}", all.join(", ")))
                        })
                    })
                    .transpose()?;
                Command::ReaderFault(nhi_emulator::control::ReaderFaultRequest { reader, fault })
            }
            CtlCmd::Clock { set, advance } => Command::Clock(ClockChange {
                set: set.as_deref().map(|s| instant(Some(s))).transpose()?,
                advance,
            }),
            CtlCmd::Fault { path, kind, ms } => {
                Command::ArmFault(nhi_emulator::control::FaultRequest { path, kind, ms })
            }
            CtlCmd::ClearFaults => Command::ClearFaults,
            CtlCmd::Pad {
                reader,
                keys,
                cancel,
                timeout,
                next,
            } => Command::Pad(nhi_emulator::control::pad::PadPress {
                reader,
                keys,
                cancel,
                timeout,
                next,
            }),
        })
    }
}

async fn run_ctl(url: &str, cmd: CtlCmd) -> Result<ExitCode, Usage> {
    let client = ControlClient::new(url, std::time::Duration::from_secs(10))?;
    let (status, reply) = client.exchange(&cmd.command()?).await?;
    print::ctl_reply(status, &reply)?;
    Ok(if (200..300).contains(&status) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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

impl From<CardArg> for CardSpec {
    fn from(c: CardArg) -> CardSpec {
        match c {
            CardArg::Hc => CardSpec::Hc,
            CardArg::Hpc => CardSpec::Hpc,
            CardArg::Sam => CardSpec::Sam,
        }
    }
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
            let mut card = CardSpec::from(card).make(&factory, &fixtures, person.as_deref())?;
            for a in apdus {
                say!("{}", hex::encode_upper(card.handle(&a)));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Token {
            cmd: TokenCmd::Issue { person, at, alg },
        } => {
            let p = fixtures.person(&person)?;
            let now = instant(at.as_deref())?;
            let issued = u32::try_from(now)
                .map_err(|_| Usage("--at must be between 1970 and 2106".into()))?;
            let payload = p.payload(issued, issued, issued.saturating_add(2 * 365 * 86_400))?;
            let alg = match alg {
                AlgArg::Es256 => TokenAlg::Es256,
                AlgArg::Rs256 => TokenAlg::Rs256,
            };
            say!("{}", TokenIssuer::test()?.issue(&payload, alg)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Dc(a) => dc::main(fixtures, a),
        Cmd::Ctl { url, cmd } => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(run_ctl(&url, cmd))
        }
        Cmd::Ca => {
            say_raw!("{}", nhi_emulator::pki::TestCa::load()?.cert_pem());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Up {
            config,
            frozen_at,
            com_port,
            ifd,
            middleware,
        } => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(run_up(
                fixtures, config, frozen_at, com_port, ifd, middleware,
            ))
        }
        Cmd::Dev {
            config,
            frozen_at,
            port,
        } => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(dev::run(
                fixtures,
                dev::DevArgs {
                    config,
                    frozen_at,
                    port,
                },
            ))
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
