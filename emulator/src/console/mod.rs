//! The developer's console: a web page served by the emulator (`nhi-emu dev` and
//! `nhi-emu up` alike) that shows the readers and their cards, inserts, removes and swaps
//! them, shows the virtual card as the phone does (QR code, countdown, photo), moves the
//! virtual clock, arms DC faults and — when the reference middleware runs in the same
//! process — shows its status panel and API call log and takes the HPC PIN.
//!
//! Every asset is compiled into the binary ([`assets`]); the page talks only to the JSON
//! routes of [`api`] under `/console/api/` (emulator/docs/CONSOLE.md).

mod api;
mod assets;
pub mod phone;

use crate::control::Control;
use axum::Router;
use std::sync::Arc;

/// Where the console lives on the control server.
pub const BASE: &str = "/console";

/// What the console shows and drives.
#[derive(Clone)]
pub struct Console {
    /// The emulator's control vocabulary (readers, clock, faults).
    pub control: Control,
    /// The middleware running in this process, if any.
    pub middleware: Option<Arc<nhi_middleware::Running>>,
    /// HTTPS client of that middleware (trusting its self-signed certificate).
    web_api: Option<reqwest::Client>,
    phones: Arc<phone::Phones>,
}

impl Console {
    /// A console over `control` alone (`nhi-emu up`: the middleware is another program).
    pub fn without_middleware(control: Control) -> Console {
        Console {
            control,
            middleware: None,
            web_api: None,
            phones: Arc::default(),
        }
    }

    /// A console over `control`, with the middleware of this process when there is one.
    pub fn new(
        control: Control,
        middleware: Option<Arc<nhi_middleware::Running>>,
    ) -> Result<Console, String> {
        let web_api = match &middleware {
            None => None,
            Some(m) => {
                let mut b = reqwest::Client::builder()
                    .use_rustls_tls()
                    .timeout(std::time::Duration::from_secs(30));
                if let Some(pem) = m.cert_pem() {
                    let cert = reqwest::Certificate::from_pem(pem.as_bytes())
                        .map_err(|e| format!("middleware certificate: {e}"))?;
                    b = b.add_root_certificate(cert);
                }
                Some(b.build().map_err(|e| format!("Web API client: {e}"))?)
            }
        };
        Ok(Console {
            control,
            middleware,
            web_api,
            phones: Arc::default(),
        })
    }
}

/// The console's routes (page, assets, JSON API), to merge into the control router.
pub fn router(c: Console) -> Router {
    Router::new().merge(assets::routes()).merge(api::routes(c))
}
