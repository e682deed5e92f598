//! Runs scenarios: each in a fresh world (or against a running emulator), step by step,
//! recording every checked call.

use super::call_log::SeenCalls;
use super::format::{Action, Call, Device, Scenario, ScriptedEvent, Step};
use super::vars::{subset, Vars};
use super::{CallResult, ScenarioResult, StepAt};
use crate::bench::{Bench, RemoteEmulator};
use crate::check::Check;
use crate::client::{Exchange, SutClient};
use crate::truth::{operation, Truth};
use crate::world::{World, WorldOptions};
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::ident::SamId;
use serde_json::{json, Value};
use std::sync::Arc;

/// Options of a scenario run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// World settings.
    pub world: WorldOptions,
    /// Only scenarios with this tag.
    pub tag: Option<String>,
    /// Partition `(i, n)`: run scenarios whose index % n == i - 1.
    pub partition: Option<(usize, usize)>,
    /// Show a progress bar on the terminal.
    pub progress: bool,
}

/// The devices and state one scenario runs with.
struct Runner<'a> {
    bench: Bench<'a>,
    sut: SutClient,
    fixtures: &'a Fixtures,
    factory: &'a CardFactory,
    vars: Vars,
    /// What the world knows about the cards in play: every successful reply is checked
    /// against it.
    truth: Truth<'a>,
    /// The partner device, started at the first `partner_call` (kept running with it).
    partner: Option<(SutClient, nhi_middleware::Running)>,
    /// The calls made to the SUT, for checking its call log.
    seen: SeenCalls,
}

/// A string field of a scripted event's reply; missing means the emulator broke its word.
fn text_field(reply: &Value, event: &str, field: &str) -> Result<String, String> {
    reply[field]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{event} answered without `{field}`: {reply}"))
}

impl Runner<'_> {
    /// Runs step `n` (1-based).
    async fn step(
        &mut self,
        n: usize,
        step: &Step,
        out: &mut Vec<CallResult>,
    ) -> Result<(), String> {
        let (b, f, k) = (self.bench, self.fixtures, self.factory);
        match &step.action {
            Action::Insert(i) => {
                b.insert(k, f, &i.reader, &i.card, i.person.as_deref())
                    .await?;
                self.truth.inserted(&i.card, i.person.as_deref());
                Ok(())
            }
            Action::Remove(role) => b.remove(role).await,
            Action::Clock(secs) => b.advance_clock(*secs).await,
            Action::Fault(fault) => b.arm_fault(fault).await,
            Action::FaultClear => b.clear_faults().await,
            Action::Restart => {
                self.sut = b.restart_sut().await?;
                // A new process: its call log starts again.
                self.seen = SeenCalls::default();
                Ok(())
            }
            Action::ReaderFault(r) => b.reader_fault(&r.reader, r.fault).await,
            Action::Event(e) => self.event(e).await,
            Action::Pad(p) => p.run(b, &self.vars).await,
            Action::Call(call) => {
                let at = StepAt {
                    step: n,
                    cells: step.cells.clone(),
                };
                self.call(at, call, out).await
            }
        }
    }

    /// A scripted event; what it hands out goes into variables.
    async fn event(&mut self, e: &ScriptedEvent) -> Result<(), String> {
        let (b, f, k) = (self.bench, self.fixtures, self.factory);
        match e {
            ScriptedEvent::VirtualCard(v) => {
                let body = json!({ "person": v.person, "phone": v.phone, "tokenOnly": v.token_only,
                            "pinAuthorized": v.pin_authorized });
                let r = b.scripted(k, f, "virtual-card", body).await?;
                let token = text_field(&r, "virtual-card", "token")?;
                self.truth.token(&v.person, &token)?;
                self.vars.set(&v.var, token);
            }
            ScriptedEvent::Standing(s) => {
                let body = json!({ "hospital": s.hospital, "suspended": s.suspended,
                                   "revoked": s.revoked, "contractExpired": s.contract_expired });
                b.scripted(k, f, "standing", body).await?;
            }
            ScriptedEvent::CloudSamFile(c) => {
                let r = b
                    .scripted(k, f, "cloud-sam", json!({ "hospital": c.hospital }))
                    .await?;
                for field in ["fileName", "content"] {
                    let v = text_field(&r, "cloud-sam", field)?;
                    self.vars.set(format!("{}.{field}", c.var), v);
                }
            }
            ScriptedEvent::HcaCredential(h) => {
                let body = json!({ "hpc": h.hpc, "hospital": h.hospital });
                let r = b.scripted(k, f, "hca-credential", body).await?;
                let credential = text_field(&r, "hca-credential", "credential")?;
                self.truth.mobile_holder(&h.hpc);
                self.vars.set(&h.var, credential);
            }
            ScriptedEvent::RevokeCert(hpc) => {
                b.scripted(k, f, "revoke-cert", json!({ "hpc": hpc }))
                    .await?;
            }
            ScriptedEvent::Guardian(g) => {
                let body =
                    json!({ "dependant": g.dependant, "phone": g.phone, "revoke": g.revoke });
                let r = b.scripted(k, f, "guardian", body).await?;
                match (&g.var, g.revoke) {
                    (Some(var), false) => {
                        let token = text_field(&r, "guardian", "token")?;
                        // The dependant's virtual card is in play, on the guardian's phone.
                        self.truth.token(&g.dependant, &token)?;
                        self.vars.set(var, token);
                    }
                    (None, false) => return Err("guardian: a grant needs `as`".into()),
                    (_, true) => {}
                }
            }
            ScriptedEvent::LosePhone(phone) => {
                b.scripted(k, f, "lost-phone", json!({ "phone": phone }))
                    .await?;
            }
        }
        Ok(())
    }

    /// The partner device: reference middleware of another test institution with that
    /// institution's cloud SAM, started on first use.
    async fn partner(&mut self) -> Result<SutClient, String> {
        if let Some((client, _)) = &self.partner {
            return Ok(client.clone());
        }
        let (b, f, k) = (self.bench, self.fixtures, self.factory);
        // A test institution other than the scenarios' own (7777777777).
        let other = f
            .hospitals
            .iter()
            .find(|h| SamId::parse(&h.sam_id).is_ok_and(|s| s.is_test()) && h.id != "7777777777")
            .or_else(|| f.hospitals.get(1))
            .ok_or("no second institution for the partner device")?;
        let file = b
            .scripted(k, f, "cloud-sam", json!({ "hospital": other.id }))
            .await?;
        let (url, ca) = b.dc();
        let (client, running) = crate::world::start_partner(
            &url,
            &ca,
            &text_field(&file, "cloud-sam", "fileName")?,
            &text_field(&file, "cloud-sam", "content")?,
            "partner",
        )
        .await?;
        self.partner = Some((client.clone(), running));
        Ok(client)
    }

    /// A call, `repeat` times, each checked against the expectation and the reply checks.
    async fn call(
        &mut self,
        at: StepAt,
        c: &Call,
        out: &mut Vec<CallResult>,
    ) -> Result<(), String> {
        let client = match c.device {
            Device::Sut | Device::Dc => self.sut.clone(),
            Device::Partner => self.partner().await?,
        };
        let body = c.body.as_ref().map(|b| self.vars.to_json(b)).transpose()?;
        let origin = c.origin.as_ref().map(|(o, _)| o.as_str());
        for _ in 0..c.repeat {
            // Where the APDUs of this call start in the bench's log (u64::MAX asks for no
            // records, only the number the next APDU gets).
            let mark = self.bench.apdus_since(u64::MAX).await.map(|p| p.next);
            let x = match c.device {
                Device::Dc => super::dc_call::send(&self.bench, &c.path, body.clone()).await?,
                _ => {
                    client
                        .call_from(&c.method, &c.path, body.clone(), origin)
                        .await
                }
            };
            let mut notes = self.reply_notes(c, &x)?;
            if c.device == Device::Sut {
                notes.extend(self.seen.after_call(&c.method, &c.path, &x));
                if x.code() == Some(nhi_protocol::StatusCode::Success) {
                    notes.extend(self.card_effects(&c.method, &c.path));
                }
            }
            if c.device == Device::Dc && x.code() == Some(nhi_protocol::StatusCode::Success) {
                super::dc_call::follow(&mut self.truth, &c.path, body.as_ref(), &x.reply);
            }
            if x.code() == Some(nhi_protocol::StatusCode::Success) {
                if let Some(op) = operation(&c.method, &c.path) {
                    notes.extend(self.truth.check(op, body.as_ref(), &x.reply));
                }
            }
            let mut check = Check::of(at.clone(), &x, &c.expect, notes);
            match c.device {
                Device::Partner => check.request = format!("partner: {}", check.request),
                Device::Dc => check.request = format!("dc: {}", check.request),
                Device::Sut => {}
            }
            if !check.pass {
                self.attach_apdus(&mut check, mark).await;
            }
            out.push(check);
        }
        Ok(())
    }

    /// What a successful call should have left on the cards, where the harness can look:
    /// `POST Hc/Marker` writes the marker the DC issued for that card (seed 004 實體健保卡
    /// 更新註記).
    fn card_effects(&self, method: &str, call_path: &str) -> Vec<String> {
        if (method, call_path) != ("POST", nhi_protocol::api::path::HC_MARKER) {
            return Vec::new();
        }
        match self.bench.hc_marker() {
            None => Vec::new(),
            Some(Err(e)) => vec![e],
            Some(Ok((on_card, want))) if on_card == want.as_bytes() => Vec::new(),
            Some(Ok((on_card, want))) => vec![format!(
                "the HC's marker record holds {:?}, the DC issued {want:?}",
                String::from_utf8_lossy(&on_card)
            )],
        }
    }

    /// Puts the APDUs the cards answered since `mark` into a failed check's evidence (the
    /// card side of its wirelog); a log that cannot be read is said in the note.
    async fn attach_apdus(
        &self,
        check: &mut crate::scenario::CallResult,
        mark: Result<u64, String>,
    ) {
        let page = match mark {
            Ok(m) => self.bench.apdus_since(m).await,
            Err(e) => Err(e),
        };
        let Some(evidence) = check.evidence.as_mut() else {
            return;
        };
        let trouble = match page {
            Ok(p) => {
                evidence.apdus = p.records;
                (p.dropped > 0).then(|| {
                    format!(
                        "{} APDUs of the call fell out of the emulator's log",
                        p.dropped
                    )
                })
            }
            Err(e) => Some(format!("no APDU log: {e}")),
        };
        if let Some(t) = trouble {
            let note = match &check.note {
                Some(n) => format!("{n}; {t}"),
                None => t,
            };
            check.fail(note);
        }
    }

    /// What is wrong with the reply beyond its status code (CORS, fields, absent fields,
    /// fields to save); saves the variables it can.
    fn reply_notes(&mut self, c: &Call, x: &Exchange) -> Result<Vec<String>, String> {
        let mut note = Vec::new();
        if let Some((o, Some(allowed))) = &c.origin {
            let got = x.allow_origin.as_deref() == Some(o.as_str())
                || x.allow_origin.as_deref() == Some("*");
            if got != *allowed {
                note.push(format!(
                    "CORS for origin {o}: expected {}, got Access-Control-Allow-Origin {:?}",
                    if *allowed { "allowed" } else { "refused" },
                    x.allow_origin
                ));
            }
        }
        for (k, v) in c.fields.iter().flatten() {
            let want = self.vars.to_json(v)?;
            match x.reply.get(k) {
                Some(got) if subset(&want, got) => {}
                Some(got) => note.push(format!("{k}: expected {want}, got {got}")),
                None => note.push(format!("{k}: expected {want}, got nothing")),
            }
        }
        for k in &c.absent {
            if let Some(v) = x.reply.get(k).filter(|v| !v.is_null()) {
                note.push(format!("{k} must be absent, got {v}"));
            }
        }
        for (var, field) in &c.save {
            match x.reply.get(field) {
                Some(Value::String(s)) => self.vars.set(var, s.as_str()),
                Some(v) => self.vars.set(var, v.to_string()),
                None => note.push(format!("{field} (to save as {var}) is missing")),
            }
        }
        Ok(note)
    }
}

/// Runs one scenario in a fresh world.
pub async fn run_one(
    s: &Scenario,
    fixtures: &Fixtures,
    factory: Arc<CardFactory>,
    o: &WorldOptions,
) -> ScenarioResult {
    let mut res = ScenarioResult {
        id: s.id.clone(),
        title: s.title.clone(),
        requirement: s.requirement.clone(),
        pass: false,
        error: None,
        calls: Vec::new(),
    };
    if let Err(e) = run_steps(s, fixtures, factory, o, &mut res.calls).await {
        res.error = Some(e);
        return res;
    }
    res.pass = res.calls.iter().all(|c| c.pass);
    res
}

/// Sets up the bench (a running emulator with `--emulator URL`, or a fresh in-process
/// world) and runs the steps; Err is a set-up error or a step that could not be done.
async fn run_steps(
    s: &Scenario,
    fixtures: &Fixtures,
    factory: Arc<CardFactory>,
    o: &WorldOptions,
    calls: &mut Vec<CallResult>,
) -> Result<(), String> {
    let mut o = o.clone();
    o.pin_pads = s.steps.iter().any(|st| matches!(st.action, Action::Pad(_)));
    if let Some(ms) = s.dc_timeout_ms {
        o.dc_timeout = std::time::Duration::from_millis(ms);
    }
    if let Some(secs) = s.com_clock_drift {
        o.com_clock_drift = secs;
    }
    let remote;
    let world;
    let (bench, sut) = match &o.emulator {
        Some(url) => {
            remote = RemoteEmulator::connect(url).await?;
            let sut = o
                .sut
                .as_deref()
                .ok_or("--emulator needs --sut: the emulator's readers are reached by your SUT")?;
            // An external SUT keeps its state between scenarios: back to a clean bench.
            remote.reset(o.start).await?;
            (Bench::Remote(&remote), SutClient::new(sut)?)
        }
        None => {
            world = World::start(fixtures, factory.clone(), &o).await?;
            (Bench::Local(&world), world.sut.clone())
        }
    };
    if o.sut.is_some() {
        reset_sut(&sut).await?;
    }
    let mut r = Runner {
        bench,
        sut,
        fixtures,
        factory: &factory,
        vars: Vars::default(),
        truth: Truth::new(fixtures, &factory),
        partner: None,
        seen: SeenCalls::default(),
    };
    for (i, st) in s.steps.iter().enumerate() {
        r.step(i + 1, st, calls)
            .await
            .map_err(|e| format!("step {}: {e}", i + 1))?;
    }
    Ok(())
}

/// Puts an external SUT back to its initial state through its own API: devices released,
/// imported cloud SAMs removed, no default reader, an empty CORS whitelist. A listing
/// without its list is an error: the reset could not be done.
pub async fn reset_sut(sut: &SutClient) -> Result<(), String> {
    use nhi_protocol::api::path;
    let list = |x: &Exchange, field: &str| -> Result<Vec<Value>, String> {
        x.reply[field].as_array().cloned().ok_or_else(|| {
            format!(
                "reset: {} answered without `{field}`: {}",
                x.request, x.reply
            )
        })
    };
    sut.call("POST", path::FINALIZE, None).await;
    let sams = sut.call("GET", path::CLOUD_SAM_GET, None).await;
    for s in list(&sams, "cloudSams")? {
        if let Some(id) = s["samId"].as_str() {
            sut.call("POST", path::CLOUD_SAM_REMOVE, Some(json!({ "samId": id })))
                .await;
        }
    }
    sut.call("POST", path::PCSC_REMOVE_DEFAULT, None).await;
    let cors = sut.call("GET", path::CORS_GET, None).await;
    for h in list(&cors, "hosts")? {
        if let Some(h) = h.as_str() {
            sut.call("POST", path::CORS_REMOVE, Some(json!({ "hostName": h })))
                .await;
        }
    }
    Ok(())
}

/// Selects and runs scenarios (one world each, in order).
pub async fn run_all(all: &[Scenario], o: &RunOptions) -> Result<Vec<ScenarioResult>, String> {
    let fixtures = super::fixtures()?;
    let factory = Arc::new(CardFactory::test()?);
    let mut out = Vec::new();
    let selected: Vec<&Scenario> = all
        .iter()
        .filter(|s| o.tag.as_ref().is_none_or(|t| s.tags.contains(t)))
        .filter(|s| s.applies_to(o.world.transport, o.world.sut.is_some()))
        .enumerate()
        .filter(|(i, _)| o.partition.is_none_or(|(k, n)| i % n == k - 1))
        .map(|(_, s)| s)
        .collect();
    let bar = if o.progress {
        indicatif::ProgressBar::new(selected.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} scenarios {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    for s in selected {
        bar.set_message(s.id.clone());
        out.push(run_one(s, &fixtures, factory.clone(), &o.world).await);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(out)
}
