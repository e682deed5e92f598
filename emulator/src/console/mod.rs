//! The developer's console: a web page served by the emulator (`nhi-emu dev` and
//! `nhi-emu up` alike) that shows the readers and their cards, inserts, removes and swaps
//! them, shows the virtual card as the phone does (QR code, countdown, photo), moves the
//! virtual clock, arms DC faults, pops up the HPC reader's PIN pad when the middleware asks
//! for the PIN ([`pad`]) and shows the middleware's status panel and API call log — the
//! reference middleware of this process, or one in another process ([`middleware`]).
//!
//! Every asset is compiled into the binary ([`assets`]); the page talks only to the JSON
//! routes of [`api`] under `/console/api/` (emulator/docs/CONSOLE.md).

mod api;
mod assets;
pub mod middleware;
mod pad;
mod people;
pub mod phone;

use crate::control::Control;
use axum::Router;
use middleware::Middleware;
use std::sync::Arc;

/// Where the console lives on the control server.
pub const BASE: &str = "/console";

/// What the console shows and drives.
#[derive(Clone)]
pub struct Console {
    /// The emulator's control vocabulary (readers, clock, faults, PIN pads).
    pub control: Control,
    /// The middleware whose status and call log it shows, if any.
    pub middleware: Option<Middleware>,
    phones: Arc<phone::Phones>,
}

impl Console {
    /// A console over `control` alone (`nhi-emu up` without `--middleware`).
    pub fn without_middleware(control: Control) -> Console {
        Console {
            control,
            middleware: None,
            phones: Arc::default(),
        }
    }

    /// A console over `control`, with the middleware of this process when there is one.
    pub fn new(
        control: Control,
        middleware: Option<Arc<nhi_middleware::Running>>,
    ) -> Result<Console, String> {
        Ok(Console {
            control,
            middleware: middleware.map(Middleware::in_process).transpose()?,
            phones: Arc::default(),
        })
    }

    /// A console over `control` showing the middleware of another process at `url`
    /// (`nhi-emu up --middleware https://127.0.0.1:5066`).
    pub fn with_remote_middleware(control: Control, url: &str) -> Result<Console, String> {
        Ok(Console {
            control,
            middleware: Some(Middleware::remote(url)?),
            phones: Arc::default(),
        })
    }
}

/// The console's routes (page, assets, JSON API), to merge into the control router.
pub fn router(c: Console) -> Router {
    Router::new().merge(assets::routes()).merge(api::routes(c))
}
