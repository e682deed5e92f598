//! A whole `nhi-emu dev` stack for integration tests (DC over HTTPS and SQLite, the
//! reference middleware over HTTPS on the in-process transport, the console), on a
//! temporary directory, with a plain client and one that trusts the Web API's certificate.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::devstack::{DevOptions, DevStack};
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use std::sync::Arc;

pub struct Bench {
    pub dev: DevStack,
    pub http: reqwest::Client,
    pub web_api: reqwest::Client,
    pub dir: std::path::PathBuf,
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts a dev stack; `name` tells its temporary directory from other tests'.
pub async fn bench(name: &str) -> Bench {
    let dir = std::env::temp_dir().join(format!("nhi-dev-stack-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dev = DevStack::start(
        DevOptions::loopback(&dir),
        Arc::new(Fixtures::demo().unwrap()),
        Arc::new(CardFactory::test().unwrap()),
    )
    .await
    .unwrap();
    let cert = reqwest::Certificate::from_pem(dev.middleware.cert_pem().unwrap().as_bytes());
    let web_api = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(cert.unwrap())
        .build()
        .unwrap();
    Bench {
        dev,
        http: reqwest::Client::new(),
        web_api,
        dir,
    }
}
