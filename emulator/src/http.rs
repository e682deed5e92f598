//! A small HTTP(S) server shell shared by the DC and the control API: axum app, optional
//! rustls, and a switch that refuses connections (the DC's "refused connection" fault).

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Builds a TLS acceptor from PEM certificate chain and key.
pub fn tls_acceptor(cert_pem: &str, key_pem: &str) -> Result<TlsAcceptor, String> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let certs = rustls_pemfile::certs(&mut cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let key = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .map_err(|e| e.to_string())?
        .ok_or("no private key in PEM")?;
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// True when it speaks TLS.
    pub tls: bool,
    /// While true, open connections are dropped and new ones reset at once.
    pub refuse: watch::Receiver<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Base URL, e.g. `https://127.0.0.1:4443`.
    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.addr
        )
    }
    /// Stops accepting (open connections finish on their own).
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The reply to a handler that panicked: HTTP 500 with a JSON body, so a client always gets an
/// answer (hyper would otherwise drop the connection). The seed defines no status code for an
/// internal fault; 1799 (DC 端未定義錯誤, "undefined error") is the nearest.
pub fn panic_reply(err: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let what = nhi_cli::panic_text(err.as_ref());
    tracing::error!(panic = %what, "handler panicked");
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(serde_json::json!({
            "statusCode": nhi_protocol::StatusCode::DcUndefined.code(),
            "error": "internal",
            "message": format!("internal error: the handler panicked ({what})"),
        })),
    )
        .into_response()
}

/// Pause after a failed `accept` (EMFILE and the like) so the loop backs off instead of spinning.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// Binds `addr` and serves `app` on it; a panicking handler gets [`panic_reply`].
/// While `refuse` is true, open connections are dropped and new ones reset at once (the
/// "DC unreachable" fault: pooled keep-alive connections die too).
pub async fn serve(
    addr: SocketAddr,
    app: Router,
    tls: Option<TlsAcceptor>,
    refuse: watch::Receiver<bool>,
) -> std::io::Result<Server> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let r2 = refuse.clone();
    let is_tls = tls.is_some();
    let app = app.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        panic_reply,
    ));
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            };
            if *r2.borrow() {
                let _ = socket2::SockRef::from(&stream).set_linger(Some(std::time::Duration::ZERO));
                drop(stream);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let svc = TowerToHyperService::new(app.clone());
            let tls = tls.clone();
            let mut cut = r2.clone();
            tokio::spawn(async move {
                let builder = Builder::new(TokioExecutor::new());
                let serve = async {
                    match tls {
                        Some(acc) => {
                            if let Ok(s) = acc.accept(stream).await {
                                let _ = builder.serve_connection(TokioIo::new(s), svc).await;
                            }
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                        }
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = async {
                        // A dropped sender means "never refuse".
                        if cut.wait_for(|refused| *refused).await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    } => {}
                }
            });
        }
    });
    Ok(Server {
        addr,
        tls: is_tls,
        refuse,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_gets_json_and_the_server_keeps_serving() {
        let app = Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    let v: Vec<u8> = Vec::new();
                    #[allow(clippy::indexing_slicing)]
                    let b = v[usize::from(v.is_empty())];
                    b.to_string()
                }),
            )
            .route("/ok", axum::routing::get(|| async { "ok" }));
        let (_tx, rx) = watch::channel(false);
        let server = serve(([127, 0, 0, 1], 0).into(), app, None, rx)
            .await
            .unwrap();
        let base = format!("http://{}", server.addr);
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let r = reqwest::get(format!("{base}/boom")).await.unwrap();
        assert_eq!(r.status(), 500);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["statusCode"], "1799", "{v}");
        let r = reqwest::get(format!("{base}/ok")).await.unwrap();
        assert_eq!(r.text().await.unwrap(), "ok");
    }
}
