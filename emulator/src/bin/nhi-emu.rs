//! `nhi-emu`: the NHI card-world emulator on the command line.

use clap::{Parser, Subcommand, ValueEnum};
use nhi_emulator::card::Card;
use nhi_emulator::fixtures::{rfc3339, CardFactory, Fixtures};
use nhi_emulator::token::TokenIssuer;
use nhi_spec::token::{Payload, TokenAlg};
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
                println!("{}", hex::encode_upper(card.handle(&a)));
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
            println!("{}", TokenIssuer::test()?.issue(&payload, alg)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Token {
            cmd: TokenCmd::Verify { token, at },
        } => {
            let now = instant(at.as_deref())?;
            let v = TokenIssuer::test()?.verifier()?;
            match v.verify(&token, now) {
                Ok(_) => {
                    println!("0000");
                    Ok(ExitCode::SUCCESS)
                }
                Err(code) => {
                    println!("{}", code.code());
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
