//! The whole stack in one process for developers without readers (`nhi-emu dev`): the
//! world of a world file (DC, cards in their slots) with no vpcd and no pty, the reference
//! middleware reaching those slots by function calls ([`transport`]), and the console on
//! the control address.

pub mod transport;

use crate::card::CardRng;
use crate::console::Console;
use crate::control::{CardSpec, Control};
use crate::fixtures::{CardFactory, Fixtures};
use crate::reader::pin_pad::PinPad;
use crate::world::{standard_reader, World, WorldConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The Web API's usual address (seed 004).
pub const WEB_API: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 5066);

/// What `nhi-emu dev` starts.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// The world (a world file as `nhi-emu up` reads it).
    pub world: WorldConfig,
    /// Where the middleware's Web API listens (HTTPS).
    pub web_api: SocketAddr,
    /// Where the middleware keeps its settings (None: in memory).
    pub middleware_state: Option<PathBuf>,
}

impl DevOptions {
    /// A dev stack that shares the machine with others (tests, scripts): every listener on
    /// a free loopback port, the DC's database in `dir`, the clock frozen at the pilot's
    /// epoch so that cards and signatures come out the same on every run.
    pub fn loopback(dir: &Path) -> DevOptions {
        let any_port: SocketAddr = (std::net::Ipv4Addr::LOCALHOST, 0).into();
        DevOptions {
            world: WorldConfig {
                control: Some(any_port),
                dc: any_port,
                db: dir.join("dc.db"),
                frozen_at: Some(crate::clock::PILOT_EPOCH),
                ..WorldConfig::default()
            },
            web_api: any_port,
            middleware_state: None,
        }
    }
}

/// A running dev stack; dropping it stops everything.
pub struct DevStack {
    /// The emulated world (DC, readers and their cards).
    pub world: World,
    /// The reference middleware.
    pub middleware: Arc<nhi_middleware::Running>,
    /// The control API and the console.
    pub console: crate::http::Server,
    /// COM-port slots of the world file left out (no pty in `dev`).
    pub com_skipped: usize,
    /// The PIN pads, by the name of their reader's slot ([`dev_pads`]).
    pub pads: Vec<(String, PinPad)>,
    transport: transport::SlotTransport,
}

impl Drop for DevStack {
    /// A PIN entry in progress ends (as timed out) instead of holding a thread.
    fn drop(&mut self) {
        self.transport.stop();
    }
}

/// The PIN pads of the dev stack: those of the world file's `[[ifd]]` readers with
/// `pin_pad = true` (the same pads `nhi-emu up --ifd` has), or else one on each card
/// reader a PIN is typed for — the standard HC and HPC readers, and the slots the world
/// file starts with an HC or an HPC in (seed 004: the HPC's dedicated reader takes its
/// PIN; the HC's PIN is the person's, typed on the pad rather than into the HIS).
pub fn dev_pads(world: &World, cfg: &WorldConfig) -> Vec<(String, PinPad)> {
    if !world.pads.is_empty() {
        return world.pads.clone();
    }
    let standard: Vec<&str> = ["hc", "hpc"]
        .into_iter()
        .filter_map(|role| standard_reader(role).ok().map(|r| r.name))
        .collect();
    cfg.slot
        .iter()
        .filter(|s| {
            standard.contains(&s.reader.as_str())
                || matches!(s.card, Some(CardSpec::Hc | CardSpec::Hpc))
        })
        .map(|s| (s.reader.clone(), PinPad::new()))
        .collect()
}

impl DevStack {
    /// Starts the world without OS reader endpoints, the middleware over the slots and
    /// the control API with the console on the world's control address.
    pub async fn start(
        opts: DevOptions,
        fixtures: Arc<Fixtures>,
        factory: Arc<CardFactory>,
    ) -> Result<DevStack, String> {
        let mut cfg = opts.world;
        let console_addr = cfg
            .control
            .take()
            .ok_or("dev needs a control address for the console (the world file's `control`)")?;
        cfg.serve_vpcd = false;
        cfg.com_over_slots = false;
        cfg.com_port = None;
        let com_skipped = std::mem::take(&mut cfg.com).len();
        let world = World::start(&cfg, fixtures.clone(), factory.clone()).await?;

        let mut mw = nhi_middleware::Config::new(&world.dc.server.url());
        mw.listen = opts.web_api;
        mw.dc_ca_pem = Some(world.dc.ca_pem.clone());
        mw.state_dir = opts.middleware_state;
        mw.device_id = "nhi-emu-dev".into();
        let pads = dev_pads(&world, &cfg);
        let slots = transport::SlotTransport::new(world.readers.clone()).with_pads(pads.clone());
        let middleware = Arc::new(
            nhi_middleware::start(mw, Arc::new(slots.clone()))
                .await
                .map_err(|e| format!("middleware: {e}"))?,
        );

        let control = Control {
            slots: world.readers.clone(),
            factory,
            fixtures,
            clock: world.clock.clone(),
            dc: Some(world.dc.dc.clone()),
            dc_endpoint: Some((world.dc.server.url(), world.dc.ca_pem.clone())),
            // As `up`: live card randomness unless the clock is frozen.
            card_rng: match cfg.frozen_at {
                Some(_) => CardRng::Deterministic,
                None => CardRng::Live,
            },
            announce_wait: Vec::new(),
            pads: pads.clone(),
            apdu_log: Default::default(),
        };
        let console = Console::new(control.clone(), Some(middleware.clone()))?;
        let app = crate::control::http::router_with_console(control, console);
        let console = crate::http::serve(
            console_addr,
            app,
            None,
            tokio::sync::watch::channel(false).1,
        )
        .await
        .map_err(|e| format!("control API and console on {console_addr}: {e}"))?;
        Ok(DevStack {
            world,
            middleware,
            console,
            com_skipped,
            pads,
            transport: slots,
        })
    }

    /// The console page's URL.
    pub fn console_url(&self) -> String {
        format!("{}{}/", self.console.url(), crate::console::BASE)
    }
}
