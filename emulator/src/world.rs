//! An emulated world: a virtual clock, the DC (HTTPS + SQLite), named reader slots served
//! over vpcd, a COM-port reader on a pty, and the control API. `nhi-emu up` starts one
//! from a world file; the conformance harness starts one per scenario and adds the
//! middleware under test.

use crate::card::CardRng;
use crate::clock::VirtualClock;
use crate::control::{CardSpec, Control};
use crate::dc::{self, DcConfig};
use crate::fixtures::{rfc3339, CardFactory, Fixtures};
use crate::reader::ifd::{IfdEndpoint, IfdReader};
use crate::reader::ifd_pin::PinPad;
use crate::reader::serial::{SerialEndpoint, SerialReader};
use crate::reader::vpcd::VpcdEndpoint;
use crate::reader::{NamedSlot, Slot};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One of the four vpcd readers pcscd is configured with (ci/setup-pcsc): two NHI
/// readers, each a card slot and a SAM slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardReader {
    /// The role scenarios name it by (`hc`, `sam`, `hpc`, `spare`).
    pub role: &'static str,
    /// The PC/SC reader name.
    pub name: &'static str,
    /// The vpcd port pcscd connects to.
    pub port: u16,
    /// The card `nhi-emu up` puts in it when the world file names no slots.
    pub card: Option<CardSpec>,
}

/// The standard vpcd readers, in pcscd's order.
pub const STANDARD_READERS: [StandardReader; 4] = [
    StandardReader {
        role: "hc",
        name: "Virtual PCD 00 00",
        port: 35963,
        card: Some(CardSpec::Hc),
    },
    StandardReader {
        role: "sam",
        name: "Virtual PCD 00 01",
        port: 35964,
        card: Some(CardSpec::Sam),
    },
    StandardReader {
        role: "hpc",
        name: "NHI Virtual PCD 00 00",
        port: 35965,
        card: Some(CardSpec::Hpc),
    },
    StandardReader {
        role: "spare",
        name: "NHI Virtual PCD 00 01",
        port: 35966,
        card: None,
    },
];

/// The standard reader of a role (`hc`, `sam`, `hpc`, `spare`).
pub fn standard_reader(role: &str) -> Result<&'static StandardReader, String> {
    STANDARD_READERS
        .iter()
        .find(|r| r.role == role)
        .ok_or_else(|| format!("reader {role:?}: hc, sam, hpc or spare"))
}

/// A reader served to nhi-ifd, our pcscd driver (`ci/setup-pcsc` writes a reader.conf.d
/// entry for each): a card slot and a SAM slot, both with a PIN pad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardIfdReader {
    /// pcscd's FRIENDLYNAME; the slots are "NAME II 00" and "NAME II 01".
    pub name: &'static str,
    /// II: pcscd numbers the readers of one driver in reader.conf.d order.
    pub index: u8,
    /// The endpoint's TCP port on 127.0.0.1 (the entry's DEVICENAME); below Linux's
    /// ephemeral range, so no outgoing connection can be holding it.
    pub port: u16,
    /// Whether the reader has a PIN pad.
    pub pin_pad: bool,
}

/// The standard ifd readers: reader 1 (with a PIN pad for the HC PIN) holds the HC and the
/// SAM, reader 2 (with a PIN pad, seed 004's dedicated HPC reader) the HPC and the spare
/// slot — the roles of [`STANDARD_READERS`], in the same order.
pub const STANDARD_IFD_READERS: [StandardIfdReader; 2] = [
    StandardIfdReader {
        name: "NHI IFD 1",
        index: 0,
        port: 29980,
        pin_pad: true,
    },
    StandardIfdReader {
        name: "NHI IFD 2",
        index: 1,
        port: 29981,
        pin_pad: true,
    },
];

/// The PC/SC names of the standard ifd readers' slots, in the order of
/// [`STANDARD_READERS`] (hc, sam, hpc, spare).
pub fn standard_ifd_slot_names() -> Vec<String> {
    STANDARD_IFD_READERS
        .iter()
        .flat_map(|r| [0, 1].map(|slot| format!("{} {:02X} {slot:02X}", r.name, r.index)))
        .collect()
}

/// What a world runs: the world file of `nhi-emu up` (TOML; every key optional), plus
/// settings only a program sets (marked "not in the file").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldConfig {
    /// Where the control API listens; `None` (not in the file): no control API.
    #[serde(default = "default_control")]
    pub control: Option<SocketAddr>,
    /// Where the DC listens.
    #[serde(default = "default_dc")]
    pub dc: SocketAddr,
    /// The DC's SQLite file; the CA PEM is written next to it (`.ca.pem`).
    #[serde(default = "default_db")]
    pub db: PathBuf,
    /// PC/SC readers (vpcd), each with the card it starts with.
    #[serde(default = "default_slots")]
    pub slot: Vec<SlotConfig>,
    /// Readers served to nhi-ifd, our pcscd driver (`[[ifd]]`), each grouping `[[slot]]`s;
    /// their slots are not served over vpcd.
    #[serde(default)]
    pub ifd: Vec<IfdConfig>,
    /// The COM-port reader's slots (label = the reader name hosts see); empty = no COM
    /// reader (unless `com_over_slots`).
    #[serde(default = "default_com")]
    pub com: Vec<ComSlotConfig>,
    /// Serve the COM-port reader on this existing serial port (e.g. `COM5`: one end of a
    /// virtual null-modem pair such as com0com) instead of a new pty. Required on Windows,
    /// which has no ptys; without it there the world has no COM reader and says so.
    #[serde(default)]
    pub com_port: Option<String>,
    /// Seconds the COM reader's clock starts off the DC's: a reader's clock drifts until
    /// SAM verification sets it (seed 004: 驗證 SAM 時,會由中心端向讀卡機校時).
    #[serde(default)]
    pub com_clock_drift: i64,
    /// The middleware in another process whose status panel and call log the console shows
    /// (`nhi-emu up --middleware`), e.g. `https://127.0.0.1:5066`; on this machine only.
    #[serde(default)]
    pub middleware: Option<String>,
    /// Freeze virtual time at this instant (RFC 3339 in the file); none: follow the wall
    /// clock.
    #[serde(default, deserialize_with = "frozen_at")]
    pub frozen_at: Option<i64>,
    /// Seed of the DC's randomness (not in the file).
    #[serde(skip_deserializing, default = "default_seed")]
    pub seed: u64,
    /// The DC's rules (not in the file).
    #[serde(skip_deserializing)]
    pub dc_rules: DcConfig,
    /// Serve the `slot` readers over vpcd (not in the file; the harness's in-process
    /// transport reaches the slots by function calls).
    #[serde(skip_deserializing, default = "serve_vpcd")]
    pub serve_vpcd: bool,
    /// The COM reader serves the `slot` readers instead of the `com` slots (not in the
    /// file; the harness's serial transport).
    #[serde(skip_deserializing)]
    pub com_over_slots: bool,
}

/// A PC/SC reader of the world file (`[[slot]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotConfig {
    /// Reader name (as pcscd is configured to call it).
    pub reader: String,
    /// vpcd port; absent (0) for a slot of an `[[ifd]]` reader.
    #[serde(default)]
    pub port: u16,
    /// The card it starts with.
    pub card: Option<CardSpec>,
    /// Fixture key of that card.
    pub person: Option<String>,
}

/// A reader of the nhi-ifd driver (`[[ifd]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IfdConfig {
    /// Where the endpoint listens (the reader.conf.d entry's DEVICENAME).
    pub listen: SocketAddr,
    /// Its slots by `[[slot]]` reader name: the card slot, then the SAM slot.
    pub slots: Vec<String>,
    /// It has a PIN pad (PC/SC part 10), typed on through the control API.
    #[serde(default)]
    pub pin_pad: bool,
}

/// A slot of the COM-port reader (`[[com]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComSlotConfig {
    /// The slot's name as hosts see it.
    pub label: String,
    /// The card it starts with.
    pub card: Option<CardSpec>,
    /// Fixture key of that card.
    pub person: Option<String>,
}

fn default_control() -> Option<SocketAddr> {
    Some(([127, 0, 0, 1], 7070).into())
}
fn default_dc() -> SocketAddr {
    ([127, 0, 0, 1], 4443).into()
}
fn default_db() -> PathBuf {
    "nhi-emu-dc.db".into()
}
fn default_seed() -> u64 {
    2019
}
fn serve_vpcd() -> bool {
    true
}
/// The standard readers with a card in each but the spare.
fn default_slots() -> Vec<SlotConfig> {
    WorldConfig::standard_slots(true)
}
fn default_com() -> Vec<ComSlotConfig> {
    let slot = |label: &str, card| ComSlotConfig {
        label: label.into(),
        card,
        person: None,
    };
    vec![
        slot("NHI COM reader card", None),
        slot("NHI COM reader SAM", Some(CardSpec::Sam)),
    ]
}
fn frozen_at<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    text.map(|t| rfc3339(&t).map_err(|e| serde::de::Error::custom(format!("frozen_at: {e}"))))
        .transpose()
}

impl Default for WorldConfig {
    /// The world of an empty world file.
    fn default() -> WorldConfig {
        WorldConfig {
            control: default_control(),
            dc: default_dc(),
            db: default_db(),
            slot: default_slots(),
            ifd: Vec::new(),
            com: default_com(),
            com_port: None,
            com_clock_drift: 0,
            middleware: None,
            frozen_at: None,
            seed: default_seed(),
            dc_rules: DcConfig::default(),
            serve_vpcd: serve_vpcd(),
            com_over_slots: false,
        }
    }
}

impl WorldConfig {
    /// Reads a world file; none: the defaults.
    pub fn load(file: Option<&Path>) -> Result<WorldConfig, String> {
        match file {
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
            }
            None => Ok(WorldConfig::default()),
        }
    }

    /// Serves the standard slots through the nhi-ifd driver's [`STANDARD_IFD_READERS`]
    /// instead of vpcd (the cards stay as configured, by position).
    pub fn use_standard_ifd(&mut self) {
        for (slot, name) in self.slot.iter_mut().zip(standard_ifd_slot_names()) {
            slot.reader = name;
            slot.port = 0;
        }
        let names = standard_ifd_slot_names();
        self.ifd = STANDARD_IFD_READERS
            .iter()
            .zip(names.chunks(2))
            .map(|(r, slots)| IfdConfig {
                listen: ([127, 0, 0, 1], r.port).into(),
                slots: slots.to_vec(),
                pin_pad: r.pin_pad,
            })
            .collect();
    }

    /// The [`STANDARD_READERS`] as slots, with their default cards or empty.
    pub fn standard_slots(with_cards: bool) -> Vec<SlotConfig> {
        STANDARD_READERS
            .iter()
            .map(|r| SlotConfig {
                reader: r.name.into(),
                port: r.port,
                card: r.card.filter(|_| with_cards),
                person: None,
            })
            .collect()
    }
}

/// The OS-facing servers of a world; dropping them stops them.
pub struct Endpoints {
    /// One vpcd connection per PC/SC reader (when served over vpcd).
    pub vpcd: Vec<VpcdEndpoint>,
    /// One endpoint per reader of the nhi-ifd driver.
    pub ifd: Vec<IfdEndpoint>,
    /// The COM-port reader on a pty.
    pub com: Option<SerialEndpoint>,
    /// The control API.
    pub control: Option<crate::http::Server>,
}

impl Endpoints {
    /// The pty path of the COM-port reader.
    pub fn com_path(&self) -> Option<&Path> {
        self.com.as_ref().map(SerialEndpoint::path)
    }
}

/// A running world.
pub struct World {
    /// Virtual clock shared by the DC and the cards.
    pub clock: VirtualClock,
    /// The DC.
    pub dc: dc::Running,
    /// Where the PEM of the CA the DC's certificate chains to was written.
    pub ca_file: PathBuf,
    /// PC/SC readers, in the configured order.
    pub readers: Vec<NamedSlot>,
    /// The COM-port reader's slots.
    pub com_slots: Vec<NamedSlot>,
    /// PIN pads of ifd readers, by the name of the reader's card slot.
    pub pads: Vec<(String, PinPad)>,
    /// The servers; keep them alive as long as the world.
    pub endpoints: Endpoints,
}

impl World {
    /// Starts the DC, the readers with their cards, the COM reader and the control API.
    pub async fn start(
        cfg: &WorldConfig,
        fixtures: Arc<Fixtures>,
        factory: Arc<CardFactory>,
    ) -> Result<World, String> {
        let clock = match cfg.frozen_at {
            Some(t) => VirtualClock::at(t),
            None => VirtualClock::live(),
        };
        let launch = dc::Launch {
            listen: cfg.dc,
            db: cfg.db.clone(),
            tls: true,
            seed: cfg.seed,
        };
        let dc = dc::launch(&launch, &fixtures, clock.clone(), cfg.dc_rules.clone()).await?;
        let ca_file = cfg.db.with_extension("ca.pem");
        std::fs::write(&ca_file, &dc.ca_pem).map_err(|e| format!("{}: {e}", ca_file.display()))?;

        // Live worlds give fresh card randomness per call and per run; only a frozen clock
        // (a conformance run) makes cards repeat their challenges.
        let card_rng = match cfg.frozen_at {
            Some(_) => CardRng::Deterministic,
            None => CardRng::Live,
        };
        let loaded = |card: Option<CardSpec>, person: Option<&str>, what: String| {
            let slot = Slot::empty();
            if let Some(kind) = card {
                let mut card = kind
                    .make(&factory, &fixtures, person)
                    .map_err(|e| format!("{what}: {e}"))?;
                card.reseed(card_rng);
                slot.insert(card);
            }
            Ok::<Slot, String>(slot)
        };
        let mut readers = Vec::new();
        let mut vpcd = Vec::new();
        let in_ifd = |name: &str| cfg.ifd.iter().any(|r| r.slots.iter().any(|s| s == name));
        for s in &cfg.slot {
            let slot = loaded(s.card, s.person.as_deref(), format!("slot {:?}", s.reader))?;
            if in_ifd(&s.reader) {
                // Served by its [[ifd]] reader below.
            } else if s.port == 0 {
                return Err(format!(
                    "slot {:?}: no vpcd port and in no [[ifd]] reader",
                    s.reader
                ));
            } else if cfg.serve_vpcd {
                vpcd.push(VpcdEndpoint::start(
                    ([127, 0, 0, 1], s.port).into(),
                    slot.clone(),
                ));
            }
            readers.push(NamedSlot {
                name: s.reader.clone(),
                slot,
            });
        }
        let (ifd, pads) = serve_ifd(&cfg.ifd, &readers)?;
        let com_slots = if cfg.com_over_slots {
            readers.clone()
        } else {
            let mut own = Vec::new();
            for c in &cfg.com {
                let slot = loaded(
                    c.card,
                    c.person.as_deref(),
                    format!("COM slot {:?}", c.label),
                )?;
                own.push(NamedSlot {
                    name: c.label.clone(),
                    slot,
                });
            }
            own
        };
        let com = if com_slots.is_empty() {
            None
        } else {
            let reader = SerialReader::new(
                com_slots
                    .iter()
                    .map(|n| (n.name.clone(), n.slot.clone()))
                    .collect(),
                clock.clone(),
            )
            .with_clock_drift(cfg.com_clock_drift);
            match (&cfg.com_port, cfg!(unix)) {
                (Some(port), _) => Some(
                    SerialEndpoint::open_existing(port, reader)
                        .map_err(|e| format!("COM-port reader: {e}"))?,
                ),
                (None, true) => Some(
                    SerialEndpoint::start(reader)
                        .map_err(|e| format!("COM-port reader on a pty: {e}"))?,
                ),
                // No pty here and no port named: no COM reader (the banner says so).
                (None, false) => None,
            }
        };
        let control = match cfg.control {
            None => None,
            Some(addr) => {
                let own_com = com_slots
                    .iter()
                    .filter(|c| !readers.iter().any(|r| r.slot.same(&c.slot)));
                let control = Control {
                    slots: readers.iter().chain(own_com).cloned().collect(),
                    factory,
                    fixtures,
                    clock: clock.clone(),
                    dc: Some(dc.dc.clone()),
                    dc_endpoint: Some((dc.server.url(), dc.ca_pem.clone())),
                    card_rng,
                    pads: pads.clone(),
                    apdu_log: Default::default(),
                    announce_wait: if cfg.serve_vpcd {
                        readers.iter().map(|s| s.name.clone()).collect()
                    } else {
                        readers
                            .iter()
                            .filter(|s| in_ifd(&s.name))
                            .map(|s| s.name.clone())
                            .collect()
                    },
                };
                let router = match &cfg.middleware {
                    None => crate::control::router(control),
                    Some(url) => {
                        let console =
                            crate::console::Console::with_remote_middleware(control.clone(), url)?;
                        crate::control::http::router_with_console(control, console)
                    }
                };
                let server =
                    crate::http::serve(addr, router, None, tokio::sync::watch::channel(false).1)
                        .await
                        .map_err(|e| format!("control API on {addr}: {e}"))?;
                Some(server)
            }
        };
        Ok(World {
            clock,
            dc,
            ca_file,
            readers,
            com_slots,
            pads,
            endpoints: Endpoints {
                vpcd,
                ifd,
                com,
                control,
            },
        })
    }

    /// The control API's base URL, when it runs.
    pub fn control_url(&self) -> Option<String> {
        self.endpoints.control.as_ref().map(|s| s.url())
    }
}

/// The PIN pads of a world, by the name of their reader's card slot.
type Pads = Vec<(String, PinPad)>;

/// Starts one endpoint per `[[ifd]]` reader over the named `readers`.
fn serve_ifd(ifd: &[IfdConfig], readers: &[NamedSlot]) -> Result<(Vec<IfdEndpoint>, Pads), String> {
    let mut endpoints = Vec::new();
    let mut pads = Vec::new();
    for r in ifd {
        let slots = r
            .slots
            .iter()
            .map(|name| {
                readers
                    .iter()
                    .find(|n| &n.name == name)
                    .map(|n| n.slot.clone())
                    .ok_or_else(|| format!("[[ifd]] {}: no [[slot]] named {name:?}", r.listen))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let pad = r.pin_pad.then(PinPad::new);
        if let (Some(p), Some(first)) = (&pad, r.slots.first()) {
            pads.push((first.clone(), p.clone()));
        }
        let reader =
            IfdReader::new(slots, pad).map_err(|e| format!("[[ifd]] {}: {e}", r.listen))?;
        endpoints.push(
            IfdEndpoint::start(r.listen, reader)
                .map_err(|e| format!("ifd endpoint on {}: {e}", r.listen))?,
        );
    }
    Ok((endpoints, pads))
}
