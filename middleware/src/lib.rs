//! `nhi-middleware`: a reference implementation of the NHI card-reader control software
//! 6.0 Web API. It reaches cards only through a [`transport::Transport`] (PC/SC with the
//! `pcsc` feature, or one an embedder supplies) and the DC only over HTTPS.

pub mod api;
pub mod calllog;
pub mod cards;
pub mod cloud_sam;
pub mod console_feed;
pub mod cors;
pub mod dc_client;
pub mod device;
pub mod error;
pub mod mutants;
pub mod openapi;
pub mod pinpad;
pub mod serial;
pub mod settings;
pub mod transport;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How to run the middleware.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address (default 127.0.0.1:5066).
    pub listen: SocketAddr,
    /// Serve HTTPS (default) or plain HTTP (tests).
    pub tls: bool,
    /// DC base URL.
    pub dc_url: String,
    /// PEM of the CA that signed the DC's certificate.
    pub dc_ca_pem: Option<String>,
    /// Timeout of one DC request.
    pub dc_timeout: Duration,
    /// Where settings live (None: in memory).
    pub state_dir: Option<PathBuf>,
    /// Key context of the cloud SAM store.
    pub key_context: settings::KeyContext,
    /// Planted faults.
    pub mutants: mutants::Mutants,
    /// This installation's device id (for transfers and mobile HCA).
    pub device_id: String,
}

impl Config {
    /// Defaults for a DC URL.
    pub fn new(dc_url: &str) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 5066)),
            tls: true,
            dc_url: dc_url.to_string(),
            dc_ca_pem: None,
            dc_timeout: Duration::from_secs(5),
            state_dir: None,
            key_context: settings::KeyContext::local(),
            mutants: mutants::Mutants::none(),
            device_id: "nhi-middleware".into(),
        }
    }
}

/// A running middleware.
pub struct Running {
    /// Bound address.
    pub addr: SocketAddr,
    /// Base URL.
    pub url: String,
    call_log: calllog::CallLog,
    device: Arc<tokio::sync::Mutex<device::Device>>,
    cert_pem: Option<String>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").field("url", &self.url).finish()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Running {
    /// Stops serving.
    pub fn stop(&self) {
        self.task.abort();
    }

    /// The PEM of the self-signed HTTPS certificate (None over plain HTTP), so that an
    /// embedder can call its own middleware over verified TLS.
    pub fn cert_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// The API call log, for an embedder that shows it (reading it logs no call).
    pub fn call_log(&self) -> &calllog::CallLog {
        &self.call_log
    }

    /// The fields `GET Status` answers (without logging a call), or, when an operation
    /// holds the device longer than `wait` (an HPC PIN entry, a slow DC), why not.
    pub async fn status(&self, wait: Duration) -> Result<serde_json::Value, String> {
        console_feed::status(&self.device, wait).await
    }

    /// What a console shows: the status and the calls numbered above `after`
    /// (console_feed.rs), read without logging a call.
    pub async fn console_feed(&self, after: u64) -> console_feed::Feed {
        console_feed::feed(&self.call_log, &self.device, after).await
    }
}

/// The TLS acceptor of a fresh self-signed localhost certificate, and that certificate's
/// PEM (an embedder calling its own middleware trusts it).
fn tls_acceptor() -> Result<(tokio_rustls::TlsAcceptor, String), String> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut p =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(|e| e.to_string())?;
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "nhi-middleware (localhost)");
    let cert = p.self_signed(&key).map_err(|e| e.to_string())?;
    let certs = vec![cert.der().clone()];
    let pk = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| e.to_string())?;
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, pk)
        .map_err(|e| e.to_string())?;
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(cfg)), cert.pem()))
}

/// Starts the Web API on `cfg.listen` with cards reached through `transport`.
pub async fn start(
    cfg: Config,
    transport: Arc<dyn transport::Transport>,
) -> Result<Running, String> {
    let dc = dc_client::DcClient::new(
        &cfg.dc_url,
        cfg.dc_ca_pem.as_deref(),
        cfg.dc_timeout,
        cfg.mutants.clone(),
    )?;
    let store = settings::Store::load(cfg.state_dir.clone(), cfg.key_context.clone());
    let cors_hosts = Arc::new(store.settings.cors_hosts.clone());
    let device = device::Device::new(
        transport,
        dc,
        store,
        cfg.mutants.clone(),
        cfg.device_id.clone(),
    );
    let device = Arc::new(tokio::sync::Mutex::new(device));
    let call_log = calllog::CallLog::default();
    let state = api::AppState {
        device: device.clone(),
        log: call_log.clone(),
        cors_hosts,
        mutants: cfg.mutants.clone(),
    };
    let app = api::router(state).merge(console_feed::routes(call_log.clone(), device.clone()));
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| format!("listen {}: {e}", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let url = format!("{}://{}", if cfg.tls { "https" } else { "http" }, addr);
    let mut cert_pem = None;
    let task = if cfg.tls {
        let (acc, pem) = tls_acceptor()?;
        cert_pem = Some(pem);
        tokio::spawn(async move {
            use hyper_util::rt::{TokioExecutor, TokioIo};
            loop {
                let Ok((s, _)) = listener.accept().await else {
                    // EMFILE and the like: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                };
                let _ = s.set_nodelay(true);
                let acc = acc.clone();
                let svc = hyper_util::service::TowerToHyperService::new(app.clone());
                tokio::spawn(async move {
                    if let Ok(t) = acc.accept(s).await {
                        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(t), svc)
                            .await;
                    }
                });
            }
        })
    } else {
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        })
    };
    Ok(Running {
        addr,
        url,
        call_log,
        device,
        cert_pem,
        task,
    })
}
