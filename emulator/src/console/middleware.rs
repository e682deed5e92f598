//! The middleware whose status panel and call log the console shows: the reference
//! middleware of this process (`nhi-emu dev`), read directly, or a middleware in another
//! process (`nhi-emu up --middleware URL`), read over HTTP(S) through its console feed —
//! our own extension of the reference middleware (`nhi_middleware::console_feed`, not part
//! of the 6.0 Web API). A middleware without the feed (another vendor's) is "not available
//! from this middleware", never a broken page.

use nhi_middleware::console_feed::{self, Feed};
use nhi_middleware::Running;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a Web API call from the console may take (an HPC PIN entry waits up to the
/// pad's time-out, 30 s).
const WEB_API_TIMEOUT: Duration = Duration::from_secs(40);
/// How long the console waits for another process's feed.
const FEED_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the console cannot show a middleware's status and calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedError {
    /// The middleware answers, but has no console feed (not the reference middleware).
    NotAvailable(String),
    /// The middleware does not answer.
    Unreachable(String),
}

impl FeedError {
    /// The kind the page tells apart (`not-available`, `unreachable`).
    pub fn kind(&self) -> &'static str {
        match self {
            FeedError::NotAvailable(_) => "not-available",
            FeedError::Unreachable(_) => "unreachable",
        }
    }
    /// What the page says.
    pub fn reason(&self) -> &str {
        match self {
            FeedError::NotAvailable(r) | FeedError::Unreachable(r) => r,
        }
    }
}

#[derive(Clone)]
enum Link {
    InProcess(Arc<Running>),
    Remote,
}

/// A middleware the console shows and calls.
#[derive(Clone)]
pub struct Middleware {
    link: Link,
    url: String,
    /// HTTPS client of its Web API.
    web_api: reqwest::Client,
}

impl Middleware {
    /// The middleware of this process: its own self-signed certificate is trusted.
    pub fn in_process(m: Arc<Running>) -> Result<Middleware, String> {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(WEB_API_TIMEOUT);
        if let Some(pem) = m.cert_pem() {
            let cert = reqwest::Certificate::from_pem(pem.as_bytes())
                .map_err(|e| format!("middleware certificate: {e}"))?;
            b = b.add_root_certificate(cert);
        }
        Ok(Middleware {
            url: m.url.clone(),
            link: Link::InProcess(m),
            web_api: b.build().map_err(|e| format!("Web API client: {e}"))?,
        })
    }

    /// A middleware in another process on this machine, e.g. `https://127.0.0.1:5066`.
    /// Only a loopback address is accepted: a 6.0 middleware's certificate is self-signed
    /// and made afresh at each start, so the console cannot verify it and accepts it —
    /// which is safe only for a connection that never leaves this machine.
    pub fn remote(url: &str) -> Result<Middleware, String> {
        let parsed =
            reqwest::Url::parse(url).map_err(|e| format!("middleware URL {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(format!("middleware URL {url:?}: http or https"));
        }
        let loopback = parsed.host_str().is_some_and(|h| {
            // An IPv6 host comes in brackets.
            let h = h.trim_start_matches('[').trim_end_matches(']');
            h.eq_ignore_ascii_case("localhost")
                || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        });
        if !loopback {
            return Err(format!(
                "middleware URL {url:?}: the console reaches only a middleware on this machine \
                 (127.0.0.1, ::1 or localhost)"
            ));
        }
        // The TLS provider, in case nothing in this process has chosen it yet.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let web_api = reqwest::Client::builder()
            .use_rustls_tls()
            .danger_accept_invalid_certs(true)
            .timeout(WEB_API_TIMEOUT)
            .build()
            .map_err(|e| format!("Web API client: {e}"))?;
        Ok(Middleware {
            link: Link::Remote,
            url: url.trim_end_matches('/').to_string(),
            web_api,
        })
    }

    /// The Web API's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTPS client of the Web API.
    pub fn web_api(&self) -> &reqwest::Client {
        &self.web_api
    }

    /// The status and the calls numbered above `after`, newest first.
    pub async fn feed(&self, after: u64) -> Result<Feed, FeedError> {
        match &self.link {
            Link::InProcess(m) => Ok(m.console_feed(after).await),
            Link::Remote => self.remote_feed(after).await,
        }
    }

    async fn remote_feed(&self, after: u64) -> Result<Feed, FeedError> {
        let url = format!("{}{}?after={after}", self.url, console_feed::PATH);
        let r = self
            .web_api
            .get(&url)
            .timeout(FEED_TIMEOUT)
            .send()
            .await
            .map_err(|e| {
                FeedError::Unreachable(format!("無法連線 cannot reach the middleware: {e}"))
            })?;
        if !r.status().is_success() {
            return Err(FeedError::NotAvailable(format!(
                "此控制軟體不提供 not available from this middleware: {} answers {} (the \
                 console feed is an extension of nhi-emu's reference middleware)",
                console_feed::PATH,
                r.status()
            )));
        }
        r.json::<Feed>().await.map_err(|e| {
            FeedError::NotAvailable(format!(
                "此控制軟體不提供 not available from this middleware: {} is not a console \
                 feed ({e})",
                console_feed::PATH
            ))
        })
    }
}
