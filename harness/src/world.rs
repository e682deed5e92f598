//! An emulated world for a SUT: the emulator's world (virtual clock, DC over HTTPS +
//! SQLite, the four standard reader slots — two NHI readers, each a card slot and a SAM
//! slot) and — embedded — the reference middleware wired to them in-process, over real
//! pcscd/vpcd or over the COM-port reader.

use crate::client::{DcApi, SutClient};
use nhi_emulator::card::Card;
use nhi_emulator::clock::VirtualClock;
use nhi_emulator::dc::{self, DcConfig};
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_emulator::reader::{NamedSlot, Slot};
use nhi_emulator::world::{standard_ifd_slot_names, WorldConfig, STANDARD_READERS};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

mod pcscd;
use pcscd::pcsc_transport;
#[cfg(feature = "pcsc")]
pub use pcscd::ReaderMonitor;

/// Reader names, the same in-process and over vpcd (the emulator's
/// [`STANDARD_READERS`]): card slot of NHI reader 1 (the HC).
pub const READER_HC: &str = STANDARD_READERS[0].name;
/// SAM slot of NHI reader 1.
pub const READER_SAM: &str = STANDARD_READERS[1].name;
/// Card slot of NHI reader 2 (the HPC).
pub const READER_HPC: &str = STANDARD_READERS[2].name;
/// SAM slot of NHI reader 2 (spare).
pub const READER_SPARE: &str = STANDARD_READERS[3].name;
/// The four, in the order of [`Slots`].
const READERS: [&str; 4] = [READER_HC, READER_SAM, READER_HPC, READER_SPARE];

/// How the embedded middleware reaches the emulated cards.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// Function calls (no pcscd).
    Inproc,
    /// Real pcscd with the vpcd driver.
    Vpcd,
    /// Real pcscd with nhi-ifd, our own driver (`bash ci/setup-pcsc` installs it).
    Ifd,
    /// The emulated COM-port reader on a pty (protocol/docs/SERIAL.md).
    Serial,
}

/// What a world runs against.
#[derive(Debug, Clone)]
pub struct WorldOptions {
    /// External SUT base URL; None → embed the reference middleware.
    pub sut: Option<String>,
    /// Transport of the embedded middleware (and whether to feed vpcd readers).
    pub transport: TransportKind,
    /// Mutants to plant in the embedded middleware.
    pub mutants: Vec<String>,
    /// Seed of the DC's randomness.
    pub seed: u64,
    /// DC listen address (port 0: any free port).
    pub dc_listen: std::net::SocketAddr,
    /// Virtual time at start.
    pub start: i64,
    /// DC rules.
    pub dc_config: DcConfig,
    /// The embedded middleware's DC request timeout.
    pub dc_timeout: std::time::Duration,
    /// Wraps the embedded middleware's transport (fault injection in tests).
    pub wrap_transport: Option<TransportWrap>,
    /// A running `nhi-emu up` (control API URL) to use instead of in-process devices.
    pub emulator: Option<String>,
    /// Seconds the COM reader's clock starts off the DC's (serial transport).
    pub com_clock_drift: i64,
    /// In-process, give the HC and HPC readers PIN pads (as nhi-ifd's readers have): a
    /// reader with a pad makes a call without a PIN wait for the pad, so only scenarios
    /// that type on one (a `pad` step) get them.
    pub pin_pads: bool,
}

/// A transport as the middleware takes it.
pub type SharedTransport = Arc<dyn nhi_middleware::transport::Transport>;

/// The function inside a [`TransportWrap`].
pub type WrapFn = dyn Fn(SharedTransport, &Slots) -> SharedTransport + Send + Sync;

/// A function that wraps a transport (e.g. to yank a card at the n-th APDU).
#[derive(Clone)]
pub struct TransportWrap(pub Arc<WrapFn>);

impl std::fmt::Debug for TransportWrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransportWrap")
    }
}

impl Default for WorldOptions {
    fn default() -> WorldOptions {
        WorldOptions {
            sut: None,
            transport: TransportKind::Inproc,
            mutants: Vec::new(),
            seed: 2019,
            dc_listen: ([127, 0, 0, 1], 0).into(),
            start: nhi_emulator::clock::PILOT_EPOCH,
            dc_config: DcConfig::default(),
            dc_timeout: std::time::Duration::from_secs(5),
            wrap_transport: None,
            emulator: None,
            com_clock_drift: 0,
            pin_pads: false,
        }
    }
}

/// The four slots.
#[derive(Debug, Clone, Default)]
pub struct Slots {
    /// HC card slot.
    pub hc: Slot,
    /// SAM slot.
    pub sam: Slot,
    /// HPC card slot.
    pub hpc: Slot,
    /// Spare SAM slot.
    pub spare: Slot,
}

impl Slots {
    /// The four, in the order of [`STANDARD_READERS`].
    fn in_order(&self) -> [&Slot; 4] {
        [&self.hc, &self.sam, &self.hpc, &self.spare]
    }

    fn named(&self) -> Vec<NamedSlot> {
        self.in_order()
            .into_iter()
            .zip(READERS)
            .map(|(slot, name)| NamedSlot {
                name: name.into(),
                slot: slot.clone(),
            })
            .collect()
    }

    /// The slots of a world's readers, found by their names (hc, sam, hpc, spare).
    fn of(readers: &[NamedSlot], names: &[String]) -> Result<Slots, String> {
        let slot = |name: &str| {
            readers
                .iter()
                .find(|r| r.name == name)
                .map(|r| r.slot.clone())
                .ok_or_else(|| format!("the emulated world has no reader {name:?}"))
        };
        match names {
            [hc, sam, hpc, spare] => Ok(Slots {
                hc: slot(hc)?,
                sam: slot(sam)?,
                hpc: slot(hpc)?,
                spare: slot(spare)?,
            }),
            _ => Err(format!("four reader names expected, not {}", names.len())),
        }
    }

    /// The name (in `names`, the order of [`Slots::in_order`]) of a slot of these four.
    fn name_of(&self, slot: &Slot, names: &[String]) -> Result<String, String> {
        self.in_order()
            .into_iter()
            .zip(names)
            .find(|(s, _)| s.same(slot))
            .map(|(_, n)| n.clone())
            .ok_or_else(|| "the slot is none of the world's four readers".to_string())
    }
}

/// The embedded reference middleware and what it was started with.
struct Embedded {
    running: nhi_middleware::Running,
    cfg: nhi_middleware::Config,
    transport: Arc<dyn nhi_middleware::transport::Transport>,
}

/// A running world.
pub struct World {
    /// Virtual clock shared by DC and cards.
    pub clock: VirtualClock,
    /// The DC.
    pub dc: dc::Running,
    /// DC client (phone app / HIS side).
    pub dc_api: DcApi,
    /// Card factory (test keys).
    pub factory: Arc<CardFactory>,
    /// Reader slots.
    pub slots: Slots,
    /// The SUT client.
    pub sut: SutClient,
    /// The embedded middleware, with what it was started with (a restart step starts it
    /// again on the same settings directory).
    embedded: std::sync::Mutex<Option<Embedded>>,
    partners: std::sync::Mutex<Vec<nhi_middleware::Running>>,
    /// The emulator's vpcd and COM-port servers (no control API in-process).
    endpoints: nhi_emulator::world::Endpoints,
    /// pcsc-lite polls its readers only while some client holds a context: the world holds
    /// one, as a desktop's smart-card service would.
    #[cfg(feature = "pcsc")]
    _pcsc: Option<ReaderMonitor>,
    /// The reader names of the four slots (PC/SC names over vpcd or nhi-ifd).
    reader_names: Vec<String>,
    /// PIN pads of ifd readers, by the PC/SC name of the reader's card slot.
    pads: Vec<(String, nhi_emulator::reader::ifd_pin::PinPad)>,
    /// Every APDU of the cards put in through [`World::insert`]: the card side of the
    /// wirelog of a failed step.
    pub apdu_log: nhi_emulator::control::ApduLog,
    dir: PathBuf,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("sut", &self.sut.base())
            .field("dc", &self.dc.server.url())
            .finish()
    }
}

static WORLDS: AtomicU64 = AtomicU64::new(0);

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh scratch directory under the system temp dir.
pub fn scratch_dir(what: &str) -> Result<PathBuf, String> {
    let n = WORLDS.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("nhi-conform-{}-{what}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    Ok(d)
}

impl World {
    /// Starts the DC and, unless an external SUT is given, the reference middleware.
    pub async fn start(
        fixtures: &Fixtures,
        factory: Arc<CardFactory>,
        o: &WorldOptions,
    ) -> Result<World, String> {
        let dir = scratch_dir("world")?;
        let mut cfg = WorldConfig {
            control: None,
            dc: o.dc_listen,
            db: dir.join("dc.db"),
            slot: WorldConfig::standard_slots(false),
            ifd: Vec::new(),
            com: Vec::new(),
            com_port: None,
            com_clock_drift: o.com_clock_drift,
            middleware: None,
            frozen_at: Some(o.start),
            seed: o.seed,
            dc_rules: o.dc_config.clone(),
            serve_vpcd: o.transport == TransportKind::Vpcd,
            com_over_slots: o.sut.is_none() && o.transport == TransportKind::Serial,
        };
        let reader_names: Vec<String> = if o.transport == TransportKind::Ifd {
            cfg.use_standard_ifd();
            standard_ifd_slot_names()
        } else {
            READERS.iter().map(|r| r.to_string()).collect()
        };
        let emu =
            nhi_emulator::world::World::start(&cfg, Arc::new(fixtures.clone()), factory.clone())
                .await?;
        let nhi_emulator::world::World {
            clock,
            dc,
            readers,
            endpoints,
            pads,
            ..
        } = emu;
        let dc_api = DcApi::new(&dc.server.url(), &dc.ca_pem)?;
        let slots = Slots::of(&readers, &reader_names)?;
        // In-process, the HC and HPC readers have PIN pads when asked, as nhi-ifd's readers
        // do (and as `nhi-emu dev`'s): the pad scenarios run without pcscd too.
        let mut pads = pads;
        if o.pin_pads && o.transport == TransportKind::Inproc && o.sut.is_none() {
            pads.extend(
                [READER_HC, READER_HPC]
                    .into_iter()
                    .map(|r| (r.to_string(), nhi_emulator::reader::ifd_pin::PinPad::new())),
            );
        }
        let (sut_url, embedded) = match &o.sut {
            Some(u) => (u.clone(), None),
            None => {
                let mut cfg = nhi_middleware::Config::new(&dc.server.url());
                cfg.listen = ([127, 0, 0, 1], 0).into();
                cfg.dc_ca_pem = Some(dc.ca_pem.clone());
                cfg.state_dir = Some(dir.join("middleware"));
                cfg.mutants = nhi_middleware::mutants::Mutants::from_names(&o.mutants)?;
                cfg.device_id = "sut".into();
                cfg.dc_timeout = o.dc_timeout;
                let transport: Arc<dyn nhi_middleware::transport::Transport> = match o.transport {
                    TransportKind::Inproc => Arc::new(
                        nhi_emulator::devstack::transport::SlotTransport::new(slots.named())
                            .with_pads(pads.clone()),
                    ),
                    TransportKind::Vpcd => pcsc_transport(&reader_names)?,
                    TransportKind::Ifd => Arc::new(pcscd::Renamed::new(
                        pcsc_transport(&reader_names)?,
                        &reader_names,
                        &READERS,
                    )),
                    TransportKind::Serial => {
                        let pty = endpoints
                            .com_path()
                            .ok_or("the emulated world started no COM-port reader")?;
                        Arc::new(nhi_middleware::serial::SerialTransport::new(pty))
                    }
                };
                let transport = match &o.wrap_transport {
                    Some(w) => (w.0)(transport, &slots),
                    None => transport,
                };
                let running = nhi_middleware::start(cfg.clone(), transport.clone()).await?;
                let url = running.url.clone();
                (
                    url,
                    Some(Embedded {
                        running,
                        cfg,
                        transport,
                    }),
                )
            }
        };
        #[cfg(feature = "pcsc")]
        let _pcsc = if endpoints.vpcd.is_empty() && endpoints.ifd.is_empty() {
            None
        } else {
            Some(ReaderMonitor::start(reader_names.clone())?)
        };
        #[cfg(feature = "pcsc")]
        if let Some(m) = &_pcsc {
            // A previous world's cards must be gone from pcscd's view before this one starts.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while reader_names.iter().any(|r| !m.known(r) || m.present(r)) {
                if std::time::Instant::now() > deadline {
                    return Err(format!(
                        "pcscd still shows cards in the readers {reader_names:?} after 10 s"
                    ));
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        Ok(World {
            clock,
            dc,
            dc_api,
            factory,
            slots,
            sut: SutClient::new(&sut_url)?,
            embedded: std::sync::Mutex::new(embedded),
            partners: Default::default(),
            endpoints,
            #[cfg(feature = "pcsc")]
            _pcsc,
            reader_names,
            pads,
            apdu_log: Default::default(),
            dir,
        })
    }

    /// The pty path of the COM-port reader (serial transport).
    pub fn serial_path(&self) -> Option<&std::path::Path> {
        self.endpoints.com_path()
    }

    /// The slot of a scenario role (`hc`, `sam`, `hpc`, `spare`).
    pub fn slot(&self, role: &str) -> Result<&Slot, String> {
        STANDARD_READERS
            .iter()
            .zip(self.slots.in_order())
            .find(|(r, _)| r.role == role)
            .map(|(_, slot)| slot)
            .ok_or_else(|| format!("reader {role:?}: hc, sam, hpc or spare"))
    }

    /// The PIN pad of the reader of a scenario role (`hpc` over `--transport ifd`), if it
    /// has one: where a test "types" the PIN the middleware asks the pad for.
    pub fn pin_pad(&self, role: &str) -> Option<&nhi_emulator::reader::ifd_pin::PinPad> {
        let i = STANDARD_READERS.iter().position(|r| r.role == role)?;
        let name = self.reader_names.get(i)?;
        self.pads.iter().find(|(n, _)| n == name).map(|(_, p)| p)
    }

    /// True when the SUT is the embedded reference middleware.
    pub fn is_embedded(&self) -> bool {
        self.embedded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Stops the embedded middleware and starts it again with the same settings directory
    /// and readers (a new port: the old one may linger); the client of the new one.
    pub async fn restart_sut(&self) -> Result<SutClient, String> {
        let (cfg, transport) = {
            let mut slot = self.embedded.lock().unwrap_or_else(|p| p.into_inner());
            let old = slot
                .take()
                .ok_or("a restart needs the embedded middleware: the harness cannot restart an external SUT")?;
            old.running.stop();
            (old.cfg, old.transport)
        };
        let running = nhi_middleware::start(cfg.clone(), transport.clone()).await?;
        let client = SutClient::new(&running.url)?;
        *self.embedded.lock().unwrap_or_else(|p| p.into_inner()) = Some(Embedded {
            running,
            cfg,
            transport,
        });
        Ok(client)
    }

    /// Puts a card into a slot (replacing what is there) and, over pcscd, waits until
    /// pcscd sees it (as a person waits for the reader's light).
    /// Its APDUs go into [`World::apdu_log`].
    pub async fn insert(&self, slot: &Slot, card: Box<dyn Card>) -> Result<(), String> {
        let name = self.slots.name_of(slot, &self.reader_names)?;
        let card = self.apdu_log.wrap(&name, card);
        #[cfg(feature = "pcsc")]
        if let Some(m) = &self._pcsc {
            let atr = card.atr().to_vec();
            let before = m.changes(&name);
            slot.insert(card);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !(m.present(&name) && m.changes(&name) > before) {
                if std::time::Instant::now() > deadline {
                    return Err(format!("pcscd did not see the card inserted in {name:?} within 10 s (is pcscd running with the vpcd readers? bash ci/setup-pcsc)"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            // "Present" is announced before a slow power-up may have finished (or after one
            // that failed under load): the light is on only when a client can connect and
            // read this card's ATR.
            loop {
                let probe = m.connect_atr(&name);
                if probe.as_deref() == Ok(atr.as_slice()) {
                    return Ok(());
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!(
                        "pcscd shows a card in {name:?} but a client cannot connect to it within 10 s (last attempt: {probe:?})"
                    ));
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        slot.insert(card);
        Ok(())
    }

    /// Takes the card out of a slot and, over pcscd, waits until pcscd sees it gone (vpcd
    /// polls its readers: a call right after the removal would still find the card).
    pub async fn remove(&self, slot: &Slot) -> Result<(), String> {
        slot.remove();
        #[cfg(feature = "pcsc")]
        if let Some(m) = &self._pcsc {
            let name = self.slots.name_of(slot, &self.reader_names)?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while m.present(&name) {
                if std::time::Instant::now() > deadline {
                    return Err(format!("pcscd still shows a card in {name:?} 10 s after it was taken out (is pcscd running? bash ci/setup-pcsc)"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        Ok(())
    }

    /// Starts a second reference middleware on the same DC with a cloud SAM of
    /// `hospital_id` and no readers (the "other device" of transfer cases).
    pub async fn partner(&self, hospital_id: &str, name: &str) -> Result<SutClient, String> {
        let (file, content) = self
            .dc
            .dc
            .issue_cloud_sam(hospital_id)
            .map_err(|e| e.reason)?;
        let (client, r) = start_partner(
            &self.dc.server.url(),
            &self.dc.ca_pem,
            &file,
            &content,
            name,
        )
        .await?;
        // The partner runs as long as the world.
        self.partners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(r);
        Ok(client)
    }
}

/// A second reference middleware (no readers) on a DC with an imported cloud SAM file,
/// initialised: the "other device" of cross-institution cases. Keep the `Running` alive.
pub async fn start_partner(
    dc_url: &str,
    dc_ca_pem: &str,
    file: &str,
    content: &str,
    name: &str,
) -> Result<(SutClient, nhi_middleware::Running), String> {
    let mut cfg = nhi_middleware::Config::new(dc_url);
    cfg.listen = ([127, 0, 0, 1], 0).into();
    cfg.tls = false;
    cfg.dc_ca_pem = Some(dc_ca_pem.to_string());
    cfg.device_id = name.into();
    let r = nhi_middleware::start(cfg, Arc::new(nhi_middleware::transport::NoReaders)).await?;
    let client = SutClient::new(&r.url)?;
    let add = client
        .call(
            "POST",
            nhi_protocol::api::path::CLOUD_SAM_ADD,
            Some(serde_json::json!({ "fileName": file, "content": content })),
        )
        .await;
    if add.code() != Some(nhi_protocol::StatusCode::Success) {
        return Err(format!("partner cloud SAM import failed: {:?}", add.reply));
    }
    let init = client
        .call(
            "POST",
            nhi_protocol::api::path::INITIAL,
            Some(serde_json::json!({})),
        )
        .await;
    if init.code() != Some(nhi_protocol::StatusCode::Success) {
        return Err(format!("partner Initial failed: {:?}", init.reply));
    }
    Ok((client, r))
}
