//! Where a scenario's devices live: an in-process [`World`], or a running `nhi-emu up`
//! driven through its control API (`--emulator URL`). Scenario steps go through [`Bench`]
//! and do not care which.

use crate::world::{World, READER_HC, READER_HPC, READER_SAM, READER_SPARE};
use nhi_emulator::dc::Fault;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use serde_json::{json, Value};

/// The reader name of a scenario role.
pub fn reader_of(role: &str) -> Result<&'static str, String> {
    match role {
        "hc" => Ok(READER_HC),
        "sam" => Ok(READER_SAM),
        "hpc" => Ok(READER_HPC),
        "spare" => Ok(READER_SPARE),
        o => Err(format!("reader {o:?}: hc, sam, hpc or spare")),
    }
}

/// A running `nhi-emu up`, reached through its control API.
#[derive(Debug, Clone)]
pub struct RemoteEmulator {
    control: String,
    http: reqwest::Client,
    /// The emulator's DC base URL.
    pub dc_url: String,
    /// PEM of the CA the DC's certificate chains to.
    pub dc_ca: String,
}

impl RemoteEmulator {
    /// Connects to a control API and asks it where its DC is.
    pub async fn connect(control: &str) -> Result<RemoteEmulator, String> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let control = control.trim_end_matches('/').to_string();
        let v: Value = http
            .get(format!("{control}/dc"))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "emulator control API unreachable at {control} (is `nhi-emu up` running?): {e}"
                )
            })?
            .json()
            .await
            .map_err(|e| format!("{control}/dc: {e}"))?;
        let (Some(url), Some(ca)) = (v["url"].as_str(), v["caPem"].as_str()) else {
            return Err(format!("{control}/dc: the emulator runs no DC ({v})"));
        };
        Ok(RemoteEmulator {
            dc_url: url.to_string(),
            dc_ca: ca.to_string(),
            control,
            http,
        })
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        let resp = self
            .http
            .post(format!("{}{path}", self.control))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("control API {path}: {e}"))?;
        let ok = resp.status().is_success();
        let v: Value = resp
            .json()
            .await
            .map_err(|e| format!("control API {path}: {e}"))?;
        if ok {
            Ok(v)
        } else {
            Err(format!(
                "control API {path}: {} ({})",
                v["error"].as_str().unwrap_or("error"),
                v["reason"].as_str().unwrap_or("")
            ))
        }
    }

    /// Every card out, the DC as new, the clock at `start`.
    pub async fn reset(&self, start: i64) -> Result<(), String> {
        self.post("/reset", json!({})).await?;
        self.post("/clock", json!({ "set": start }))
            .await
            .map(|_| ())
    }

    async fn delete(&self, path: &str) -> Result<(), String> {
        self.http
            .delete(format!("{}{path}", self.control))
            .send()
            .await
            .map_err(|e| format!("control API {path}: {e}"))?;
        Ok(())
    }
}

/// The devices a scenario runs on.
#[derive(Debug, Clone, Copy)]
pub enum Bench<'a> {
    /// In-process emulator and DC.
    Local(&'a World),
    /// A running `nhi-emu up`.
    Remote(&'a RemoteEmulator),
}

impl Bench<'_> {
    /// The DC's base URL and CA PEM.
    pub fn dc(&self) -> (String, String) {
        match self {
            Bench::Local(w) => (w.dc.server.url(), w.dc.ca_pem.clone()),
            Bench::Remote(r) => (r.dc_url.clone(), r.dc_ca.clone()),
        }
    }

    /// Puts a card into a role's reader.
    pub async fn insert(
        &self,
        factory: &CardFactory,
        fixtures: &Fixtures,
        role: &str,
        kind: &str,
        person: Option<&str>,
    ) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                let card = nhi_emulator::control::make_card(factory, fixtures, kind, person)?;
                let slot = w.slot(role)?.clone();
                w.insert(&slot, card).await
            }
            Bench::Remote(r) => r
                .post(
                    "/readers/insert",
                    json!({ "reader": reader_of(role)?, "card": kind, "person": person }),
                )
                .await
                .map(|_| ()),
        }
    }

    /// Takes the card out of a role's reader.
    pub async fn remove(&self, role: &str) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                w.slot(role)?.remove();
                Ok(())
            }
            Bench::Remote(r) => r
                .post("/readers/remove", json!({ "reader": reader_of(role)? }))
                .await
                .map(|_| ()),
        }
    }

    /// Moves the virtual clock forward.
    pub async fn advance_clock(&self, secs: i64) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                w.clock.advance(secs);
                Ok(())
            }
            Bench::Remote(r) => r
                .post("/clock", json!({ "advance": secs }))
                .await
                .map(|_| ()),
        }
    }

    /// Arms a DC fault.
    pub async fn arm_fault(&self, f: &Fault) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                w.dc.dc.arm_fault(f.clone());
                Ok(())
            }
            Bench::Remote(r) => r
                .post(
                    "/faults",
                    serde_json::to_value(f).map_err(|e| e.to_string())?,
                )
                .await
                .map(|_| ()),
        }
    }

    /// Disarms every DC fault.
    pub async fn clear_faults(&self) -> Result<(), String> {
        match self {
            Bench::Local(w) => {
                w.dc.dc.clear_faults(None);
                Ok(())
            }
            Bench::Remote(r) => r.delete("/faults").await,
        }
    }

    /// A scripted world event (see `nhi_emulator::scripted` and the control API's
    /// `/scripted/...`); the reply's fields.
    pub async fn scripted(
        &self,
        factory: &CardFactory,
        fixtures: &Fixtures,
        what: &str,
        body: Value,
    ) -> Result<Value, String> {
        let w = match self {
            Bench::Remote(r) => return r.post(&format!("/scripted/{what}"), body).await,
            Bench::Local(w) => w,
        };
        let s = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let b = |k: &str| body.get(k).and_then(Value::as_bool);
        use nhi_emulator::scripted as sc;
        let dc = &w.dc.dc;
        match what {
            "virtual-card" => sc::virtual_card(
                dc,
                &w.clock,
                fixtures,
                &s("person"),
                body.get("phone")
                    .and_then(Value::as_str)
                    .unwrap_or("phone-1"),
                b("tokenOnly").unwrap_or(false),
            )
            .map(|t| json!({ "token": t })),
            "standing" => {
                use nhi_emulator::clock::Clock;
                sc::standing(
                    dc,
                    w.clock.now(),
                    &s("hospital"),
                    b("suspended"),
                    b("revoked"),
                    b("contractExpired"),
                )
                .map(|()| json!({}))
            }
            "cloud-sam" => dc
                .issue_cloud_sam(&s("hospital"))
                .map(|(n, c)| json!({ "fileName": n, "content": c }))
                .map_err(|e| e.reason),
            "hca-credential" => sc::hca_credential(dc, fixtures, &s("hpc"), &s("hospital"))
                .map(|c| json!({ "credential": c })),
            "revoke-cert" => {
                sc::revoke_hpc_cert(dc, factory, fixtures, &s("hpc")).map(|()| json!({}))
            }
            "lost-phone" => dc.lost_phone(&s("phone")).map_err(|e| e.reason),
            o => Err(format!("no scripted event {o:?}")),
        }
    }
}
