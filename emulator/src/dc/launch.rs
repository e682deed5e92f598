//! Starting a DC server: open the database, seed it, serve the API over HTTP(S).

use super::{api, store, Dc, DcConfig};
use crate::fixtures::Fixtures;
use std::sync::Arc;

/// How to start a DC server.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Listen address (127.0.0.1 unless told otherwise).
    pub listen: std::net::SocketAddr,
    /// SQLite file.
    pub db: std::path::PathBuf,
    /// HTTPS (test-CA certificate) or plain HTTP.
    pub tls: bool,
    /// Seed of the DC's random numbers (challenges, session ids).
    pub seed: u64,
}

/// A running DC: the server and the rules behind it.
#[derive(Debug)]
pub struct Running {
    /// The HTTP(S) server.
    pub server: crate::http::Server,
    /// The DC.
    pub dc: Arc<Dc>,
    /// The test CA certificate (PEM) clients must trust for HTTPS.
    pub ca_pem: String,
}

/// Opens the database, seeds it and serves the DC API. The clock is the DC's time; who
/// moves it (the emulator's control API, the harness) holds another handle to it.
pub async fn launch(
    l: &Launch,
    fixtures: &Fixtures,
    clock: crate::clock::VirtualClock,
    cfg: DcConfig,
) -> Result<Running, String> {
    let conn = store::open(&l.db).map_err(|e| format!("{}: {e}", l.db.display()))?;
    let dc = Arc::new(Dc::new(conn, Arc::new(clock), fixtures, cfg, l.seed)?);
    let ca = crate::pki::TestCa::load()?;
    let tls = if l.tls {
        let (cert, key) = ca.issue_tls(&["localhost", "127.0.0.1"])?;
        Some(crate::http::tls_acceptor(&cert, &key)?)
    } else {
        None
    };
    let app = api::router(api::ApiState { dc: dc.clone() });
    let server = crate::http::serve(l.listen, app, tls, dc.refuse.subscribe())
        .await
        .map_err(|e| format!("listen {}: {e}", l.listen))?;
    Ok(Running {
        server,
        dc,
        ca_pem: ca.cert_pem(),
    })
}
