//! Scenario files (`scenarios/*.toml`, format in `scenarios/README.md`) and their runner:
//! each scenario runs in a fresh world against the SUT, step by step, and records what
//! every call answered.

use crate::bench::{Bench, RemoteEmulator};
use crate::client::{Exchange, SutClient};
use crate::world::{World, WorldOptions};
use nhi_emulator::dc::Fault;
use nhi_emulator::fixtures::{CardFactory, Fixtures};
use nhi_protocol::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable id, e.g. `hc/pin/physical`.
    pub id: String,
    /// Title.
    pub title: String,
    /// The seed text the scenario checks.
    pub seed: String,
    /// Tags for `--tag`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The embedded middleware's DC timeout for this scenario (ms), for time-out cases.
    pub dc_timeout_ms: Option<u64>,
    /// Steps.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
    /// Where it was read from.
    #[serde(skip)]
    pub file: PathBuf,
}

/// One step; exactly one action field is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Put a card in a reader: `{ reader = "hc|sam|hpc|spare", card = "hc|hpc|sam|…", person = "…" }`.
    pub insert: Option<Insert>,
    /// Take the card out of a reader (`hc`, `sam`, `hpc`, `spare`).
    pub remove: Option<String>,
    /// A Web API call on the SUT: `"POST /api/…"`.
    pub call: Option<String>,
    /// The same call on the partner device (another institution, cloud SAM).
    pub partner_call: Option<String>,
    /// Request body (strings may use `${var}`, `${var|garble}`, `${var|forge}`).
    pub body: Option<toml::Value>,
    /// Expected status code.
    pub expect: Option<String>,
    /// Instead of `expect`: any of the 64 status codes except these (a call that must get
    /// past the mode rules, whatever it then answers).
    #[serde(default)]
    pub expect_not: Vec<String>,
    /// Instead of `expect`: any one of these status codes.
    #[serde(default)]
    pub expect_one_of: Vec<String>,
    /// Mode × operation cells this call exercises (generated scenarios; see cells.rs).
    #[serde(default)]
    pub cells: Vec<String>,
    /// Expected fields of the reply (equality), after `${var}` substitution.
    pub fields: Option<toml::Table>,
    /// Fields that must be absent (or null) in the reply.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Save reply fields into variables: `{ var = "field" }`.
    pub save: Option<toml::Table>,
    /// Repeat the call this many times, each expecting `expect`.
    pub repeat: Option<u32>,
    /// Send the call with this `Origin` header.
    pub origin: Option<String>,
    /// With `origin`: whether the reply must allow that origin (CORS).
    pub cors_allowed: Option<bool>,
    /// Move the virtual clock forward by seconds.
    pub clock: Option<i64>,
    /// Arm a DC fault: `{ path = "/api/v1/", kind = "refuse|http5xx|dropSession|latency|unknownCommand|undefined", ms = 0 }`.
    pub fault: Option<Fault>,
    /// Disarm all DC faults.
    pub fault_clear: Option<bool>,
    /// A virtual card for a person with its phone activated; the QR token goes to `as`.
    pub virtual_card: Option<VirtualCard>,
    /// Institution standing at the DC: `{ hospital, suspended, revoked, contract_expired }`.
    pub standing: Option<Standing>,
    /// A cloud SAM file of an institution into variables `<as>.fileName`, `<as>.content`.
    pub cloud_sam_file: Option<Named>,
    /// A mobile HCA credential of an HPC holder into variable `as`.
    pub hca_credential: Option<HcaCredential>,
    /// Report a phone lost at the DC.
    pub lose_phone: Option<String>,
    /// Revoke the certificate on an HPC holder's card at the DC.
    pub revoke_cert: Option<String>,
}

/// `insert` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insert {
    /// Reader role.
    pub reader: String,
    /// Card kind.
    pub card: String,
    /// Fixture key.
    pub person: Option<String>,
}

/// `virtual_card` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualCard {
    /// Person (ID or card number).
    pub person: String,
    /// Phone id.
    #[serde(default = "default_phone")]
    pub phone: String,
    /// Variable for the token.
    #[serde(rename = "as")]
    pub var: String,
    /// Only issue a new token (the phone is already active).
    #[serde(default)]
    pub token_only: bool,
}

fn default_phone() -> String {
    "phone-1".into()
}

/// `standing` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standing {
    /// Hospital id.
    pub hospital: String,
    /// Suspended.
    pub suspended: Option<bool>,
    /// SAM revoked.
    pub revoked: Option<bool>,
    /// Contract ended a second ago (true) or runs ten more years (false).
    pub contract_expired: Option<bool>,
}

/// A named fixture to variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    /// Fixture key.
    pub hospital: String,
    /// Variable.
    #[serde(rename = "as")]
    pub var: String,
}

/// `hca_credential` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HcaCredential {
    /// HPC holder.
    pub hpc: String,
    /// Institution the credential is for.
    pub hospital: String,
    /// Variable.
    #[serde(rename = "as")]
    pub var: String,
}

/// A scenario file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// File.
    pub file: PathBuf,
    /// Line (1-based), when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Parses one scenario file's text.
pub fn parse(file: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let err = |line, message: String| ScenarioError {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut s: Scenario = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|sp| text[..sp.start.min(text.len())].lines().count().max(1));
        err(line, e.message().to_string())
    })?;
    s.file = file.to_path_buf();
    for (i, st) in s.steps.iter().enumerate() {
        let n = [
            st.insert.is_some(),
            st.remove.is_some(),
            st.call.is_some(),
            st.partner_call.is_some(),
            st.clock.is_some(),
            st.fault.is_some(),
            st.fault_clear.is_some(),
            st.virtual_card.is_some(),
            st.standing.is_some(),
            st.cloud_sam_file.is_some(),
            st.hca_credential.is_some(),
            st.lose_phone.is_some(),
            st.revoke_cert.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if n != 1 {
            return Err(err(None, format!("step {}: exactly one action (insert, remove, call, partner_call, clock, fault, fault_clear, virtual_card, standing, cloud_sam_file, hca_credential, lose_phone, revoke_cert), found {n}", i + 1)));
        }
        let is_call = st.call.is_some() || st.partner_call.is_some();
        let exact = st
            .expect
            .as_deref()
            .and_then(StatusCode::from_code)
            .is_some();
        let valid =
            |l: &[String]| !l.is_empty() && l.iter().all(|c| StatusCode::from_code(c).is_some());
        let forms = [exact, valid(&st.expect_not), valid(&st.expect_one_of)];
        let given = usize::from(st.expect.is_some())
            + usize::from(!st.expect_not.is_empty())
            + usize::from(!st.expect_one_of.is_empty());
        if is_call && !(given == 1 && forms.iter().any(|f| *f)) {
            return Err(err(
                None,
                format!(
                    "step {}: a call needs exactly one of `expect` (one of the 64 status codes), `expect_one_of` or `expect_not` (lists of them)",
                    i + 1
                ),
            ));
        }
        if let Some(c) = st.call.as_ref().or(st.partner_call.as_ref()) {
            if !matches!(c.split_once(' '), Some(("GET" | "POST" | "PUT" | "DELETE", p)) if p.starts_with('/'))
            {
                return Err(err(
                    None,
                    format!("step {}: call {c:?} must be \"METHOD /path\"", i + 1),
                ));
            }
        }
    }
    Ok(s)
}

/// Loads every `*.toml` under `dir` (sorted by path).
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| ScenarioError {
            file: d.clone(),
            line: None,
            message: e.to_string(),
        })?;
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| ScenarioError {
            file: f.clone(),
            line: None,
            message: e.to_string(),
        })?;
        out.push(parse(&f, &text)?);
    }
    let mut ids = HashMap::new();
    for s in &out {
        if let Some(prev) = ids.insert(s.id.clone(), s.file.clone()) {
            return Err(ScenarioError {
                file: s.file.clone(),
                line: None,
                message: format!("duplicate id {:?} (also in {})", s.id, prev.display()),
            });
        }
    }
    Ok(out)
}

/// A checked call.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CallResult {
    /// Step number (1-based).
    pub step: usize,
    /// Request line.
    pub request: String,
    /// Expected code.
    pub expected: String,
    /// Received code.
    pub got: Option<String>,
    /// Met?
    pub pass: bool,
    /// Field mismatches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Latency.
    pub ms: f64,
    /// Mode × operation cells the call exercised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<String>,
    /// Exchange, for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Exchange>,
}

/// The result of one scenario.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioResult {
    /// Scenario id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Seed reference.
    pub seed: String,
    /// All expectations held.
    pub pass: bool,
    /// Setup error (world or step), if the scenario could not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Checked calls.
    pub calls: Vec<CallResult>,
}

fn subst(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else { break };
        let inner = &rest[i + 2..i + j];
        let (name, filter) = inner.split_once('|').unwrap_or((inner, ""));
        let v = vars.get(name).cloned().unwrap_or_default();
        out.push_str(&match filter {
            "garble" => v.replace('.', ""),
            "forge" => {
                let mut parts: Vec<String> = v.split('.').map(str::to_string).collect();
                if let Some(last) = parts.last_mut() {
                    let mut b: Vec<char> = last.chars().collect();
                    let k = b.len() / 2;
                    if let Some(c) = b.get_mut(k) {
                        *c = if *c == 'A' { 'B' } else { 'A' };
                    }
                    *last = b.into_iter().collect();
                }
                parts.join(".")
            }
            _ => v,
        });
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

/// Equality, except that an expected object only needs its own keys to match.
fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|x| subset(v, x))),
        _ => want == got,
    }
}

fn to_json(v: &toml::Value, vars: &HashMap<String, String>) -> Value {
    match v {
        toml::Value::String(s) => Value::String(subst(s, vars)),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => json!(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(|x| to_json(x, vars)).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, x)| (k.clone(), to_json(x, vars)))
                .collect(),
        ),
    }
}

struct Runner<'a> {
    bench: Bench<'a>,
    sut: SutClient,
    fixtures: &'a Fixtures,
    factory: &'a CardFactory,
    vars: HashMap<String, String>,
    partner: Option<SutClient>,
    partners: Vec<nhi_middleware::Running>,
}

impl Runner<'_> {
    async fn step(&mut self, n: usize, st: &Step, out: &mut Vec<CallResult>) -> Result<(), String> {
        let (b, f, k) = (self.bench, self.fixtures, self.factory);
        if let Some(i) = &st.insert {
            return b
                .insert(k, f, &i.reader, &i.card, i.person.as_deref())
                .await;
        }
        if let Some(r) = &st.remove {
            return b.remove(r).await;
        }
        if let Some(secs) = st.clock {
            return b.advance_clock(secs).await;
        }
        if let Some(fault) = &st.fault {
            return b.arm_fault(fault).await;
        }
        if st.fault_clear.is_some() {
            return b.clear_faults().await;
        }
        if let Some(v) = &st.virtual_card {
            let r = b
                .scripted(
                    k,
                    f,
                    "virtual-card",
                    json!({ "person": v.person, "phone": v.phone, "tokenOnly": v.token_only }),
                )
                .await?;
            self.vars.insert(
                v.var.clone(),
                r["token"].as_str().unwrap_or_default().to_string(),
            );
            return Ok(());
        }
        if let Some(s) = &st.standing {
            b.scripted(k, f, "standing", json!({ "hospital": s.hospital, "suspended": s.suspended, "revoked": s.revoked, "contractExpired": s.contract_expired }))
                .await?;
            return Ok(());
        }
        if let Some(c) = &st.cloud_sam_file {
            let r = b
                .scripted(k, f, "cloud-sam", json!({ "hospital": c.hospital }))
                .await?;
            for field in ["fileName", "content"] {
                self.vars.insert(
                    format!("{}.{field}", c.var),
                    r[field].as_str().unwrap_or_default().to_string(),
                );
            }
            return Ok(());
        }
        if let Some(h) = &st.hca_credential {
            let r = b
                .scripted(
                    k,
                    f,
                    "hca-credential",
                    json!({ "hpc": h.hpc, "hospital": h.hospital }),
                )
                .await?;
            self.vars.insert(
                h.var.clone(),
                r["credential"].as_str().unwrap_or_default().to_string(),
            );
            return Ok(());
        }
        if let Some(h) = &st.revoke_cert {
            b.scripted(k, f, "revoke-cert", json!({ "hpc": h })).await?;
            return Ok(());
        }
        if let Some(phone) = &st.lose_phone {
            b.scripted(k, f, "lost-phone", json!({ "phone": phone }))
                .await?;
            return Ok(());
        }
        let (call, on_partner) = match (&st.call, &st.partner_call) {
            (Some(c), _) => (c.clone(), false),
            (_, Some(c)) => (c.clone(), true),
            _ => return Err("step without action".into()),
        };
        let client = if on_partner {
            if self.partner.is_none() {
                let other = self
                    .fixtures
                    .hospitals
                    .iter()
                    .find(|h| h.sam_id.starts_with('9') && h.id != "7777777777")
                    .or_else(|| self.fixtures.hospitals.get(1))
                    .ok_or("no second institution for the partner device")?;
                let file = b
                    .scripted(k, f, "cloud-sam", json!({ "hospital": other.id }))
                    .await?;
                let (url, ca) = b.dc();
                let (client, running) = crate::world::start_partner(
                    &url,
                    &ca,
                    file["fileName"].as_str().unwrap_or_default(),
                    file["content"].as_str().unwrap_or_default(),
                    "partner",
                )
                .await?;
                self.partners.push(running);
                self.partner = Some(client);
            }
            self.partner.clone().ok_or("partner")?
        } else {
            self.sut.clone()
        };
        let (method, path) = call.split_once(' ').ok_or("call")?;
        let body = st.body.as_ref().map(|b| to_json(b, &self.vars));
        let want = st.expect.clone().unwrap_or_default();
        for _ in 0..st.repeat.unwrap_or(1).max(1) {
            let x = client
                .call_from(method, path, body.clone(), st.origin.as_deref())
                .await;
            let mut note = Vec::new();
            if let (Some(o), Some(allowed)) = (&st.origin, st.cors_allowed) {
                let got = x.allow_origin.as_deref() == Some(o.as_str())
                    || x.allow_origin.as_deref() == Some("*");
                if got != allowed {
                    note.push(format!(
                        "CORS for origin {o}: expected {}, got Access-Control-Allow-Origin {:?}",
                        if allowed { "allowed" } else { "refused" },
                        x.allow_origin
                    ));
                }
            }
            if let Some(fields) = &st.fields {
                for (k, v) in fields {
                    let want_v = to_json(v, &self.vars);
                    if !x.reply.get(k).is_some_and(|got| subset(&want_v, got)) {
                        note.push(format!(
                            "{k}: expected {want_v}, got {}",
                            x.reply.get(k).cloned().unwrap_or(Value::Null)
                        ));
                    }
                }
            }
            for k in &st.absent {
                if x.reply.get(k).is_some_and(|v| !v.is_null()) {
                    note.push(format!("{k} must be absent, got {}", x.reply[k]));
                }
            }
            if let Some(save) = &st.save {
                for (var, field) in save {
                    if let Some(f) = field.as_str() {
                        let v = x
                            .reply
                            .get(f)
                            .map(|v| {
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .unwrap_or_default();
                        self.vars.insert(var.clone(), v);
                    }
                }
            }
            let got_in = |l: &[String]| l.iter().any(|c| x.status.as_deref() == Some(c.as_str()));
            let code_ok = if !st.expect_not.is_empty() {
                x.code().is_some() && !got_in(&st.expect_not)
            } else if !st.expect_one_of.is_empty() {
                got_in(&st.expect_one_of)
            } else {
                x.status.as_deref() == Some(want.as_str())
            };
            let pass = code_ok && note.is_empty();
            out.push(CallResult {
                step: n,
                request: format!("{}{}", if on_partner { "partner: " } else { "" }, x.request),
                expected: if !st.expect_not.is_empty() {
                    format!("not {}", st.expect_not.join("/"))
                } else if !st.expect_one_of.is_empty() {
                    format!("one of {}", st.expect_one_of.join("/"))
                } else {
                    want.clone()
                },
                cells: st.cells.clone(),
                got: x.status.clone(),
                pass,
                note: (!note.is_empty()).then(|| note.join("; ")),
                ms: x.ms,
                evidence: (!pass).then(|| x.clone()),
            });
        }
        Ok(())
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
        seed: s.seed.clone(),
        pass: false,
        error: None,
        calls: Vec::new(),
    };
    let mut o = o.clone();
    if let Some(ms) = s.dc_timeout_ms {
        o.dc_timeout = std::time::Duration::from_millis(ms);
    }
    // A running emulator (`--emulator URL`), or a fresh in-process world per scenario.
    let remote = match &o.emulator {
        Some(url) => match RemoteEmulator::connect(url).await {
            Ok(r) => Some(r),
            Err(e) => {
                res.error = Some(e);
                return res;
            }
        },
        None => None,
    };
    let world = match &remote {
        Some(_) => None,
        None => match World::start(fixtures, factory.clone(), &o).await {
            Ok(w) => Some(w),
            Err(e) => {
                res.error = Some(e);
                return res;
            }
        },
    };
    let (bench, sut) = match (&remote, &world) {
        (Some(r), _) => match o.sut.as_deref().map(SutClient::new) {
            Some(Ok(c)) => (Bench::Remote(r), c),
            Some(Err(e)) => {
                res.error = Some(e);
                return res;
            }
            None => {
                res.error = Some(
                    "--emulator needs --sut: the emulator's readers are reached by your SUT".into(),
                );
                return res;
            }
        },
        (None, Some(w)) => (Bench::Local(w), w.sut.clone()),
        (None, None) => {
            res.error = Some("no world".into());
            return res;
        }
    };
    if o.sut.is_some() {
        // An external SUT keeps its state between scenarios: back to a clean bench first.
        if let Bench::Remote(r) = bench {
            if let Err(e) = r.reset(o.start).await {
                res.error = Some(e);
                return res;
            }
        }
        reset_sut(&sut).await;
    }
    let mut r = Runner {
        bench,
        sut,
        fixtures,
        factory: &factory,
        vars: HashMap::new(),
        partner: None,
        partners: Vec::new(),
    };
    for (i, st) in s.steps.iter().enumerate() {
        if let Err(e) = r.step(i + 1, st, &mut res.calls).await {
            res.error = Some(format!("step {}: {e}", i + 1));
            return res;
        }
    }
    res.pass = res.calls.iter().all(|c| c.pass);
    res
}

/// Every status code the results provoked and checked (expected and received), with the
/// scenarios that did.
pub fn code_coverage(
    results: &[ScenarioResult],
) -> std::collections::BTreeMap<&'static str, Vec<String>> {
    let mut m: std::collections::BTreeMap<&'static str, Vec<String>> = StatusCode::ALL
        .iter()
        .map(|c| (c.code(), Vec::new()))
        .collect();
    for r in results {
        for c in &r.calls {
            if c.pass {
                if let Some(code) = StatusCode::from_code(&c.expected) {
                    let e = m.entry(code.code()).or_default();
                    if !e.contains(&r.id) {
                        e.push(r.id.clone());
                    }
                }
            }
        }
    }
    m
}

/// Demo fixtures plus the production institution the scenarios use.
pub fn fixtures() -> Result<Fixtures, String> {
    Fixtures::demo().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_files_are_reported_with_file_and_line() {
        let e = parse(
            Path::new("x.toml"),
            "id = \"a\"\ntitle = \"t\"\nseed = \"s\"\n[[step]]\ncall = 5\n",
        )
        .unwrap_err();
        assert_eq!((e.file.as_path(), e.line), (Path::new("x.toml"), Some(5)));
        assert!(e.to_string().starts_with("x.toml:5:"), "{e}");
        let e = parse(
            Path::new("y.toml"),
            "id = \"a\"\ntitle = \"t\"\nseed = \"s\"\n[[step]]\ncall = \"GET /x\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("expect"), "{e}");
        let e = parse(
            Path::new("z.toml"),
            "id = \"a\"\ntitle = \"t\"\nseed = \"s\"\n[[step]]\nclock = 1\nremove = \"hc\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("exactly one action"), "{e}");
        assert!(parse(
            Path::new("w.toml"),
            "id = \"a\"\ntitle = \"t\"\nseed = \"s\"\nbogus = 1\n[[step]]\nclock = 1\n"
        )
        .is_err());
    }

    #[test]
    fn variables_and_filters() {
        let mut v = HashMap::new();
        v.insert("t".to_string(), "AAA.BBB.CAD".to_string());
        assert_eq!(subst("x ${t} y", &v), "x AAA.BBB.CAD y");
        assert_eq!(subst("${t|garble}", &v), "AAABBBCAD");
        assert_eq!(subst("${t|forge}", &v), "AAA.BBB.CBD");
        assert_eq!(subst("${none}", &v), "");
    }
}

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

/// Puts an external SUT back to its initial state through its own API: devices released,
/// imported cloud SAMs removed, no default reader, an empty CORS whitelist.
pub async fn reset_sut(sut: &SutClient) {
    use nhi_protocol::api::path;
    sut.call("POST", path::FINALIZE, None).await;
    let sams = sut.call("GET", path::CLOUD_SAM_GET, None).await;
    for s in sams.reply["cloudSams"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        if let Some(id) = s["samId"].as_str() {
            sut.call("POST", path::CLOUD_SAM_REMOVE, Some(json!({ "samId": id })))
                .await;
        }
    }
    sut.call("POST", path::PCSC_REMOVE_DEFAULT, None).await;
    let cors = sut.call("GET", path::CORS_GET, None).await;
    for h in cors.reply["hosts"].as_array().cloned().unwrap_or_default() {
        if let Some(h) = h.as_str() {
            sut.call("POST", path::CORS_REMOVE, Some(json!({ "hostName": h })))
                .await;
        }
    }
}

/// Selects and runs scenarios (one world each, in order).
pub async fn run_all(all: &[Scenario], o: &RunOptions) -> Result<Vec<ScenarioResult>, String> {
    let fixtures = fixtures()?;
    let factory = Arc::new(CardFactory::test()?);
    let mut out = Vec::new();
    let selected: Vec<&Scenario> = all
        .iter()
        .filter(|s| o.tag.as_ref().is_none_or(|t| s.tags.contains(t)))
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

/// The terminal summary and coverage table.
pub fn summary(results: &[ScenarioResult]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let passed = results.iter().filter(|r| r.pass).count();
    let _ = writeln!(
        s,
        "scenarios: {}   passed: {passed}   failed: {}",
        results.len(),
        results.len() - passed
    );
    let mut areas: std::collections::BTreeMap<&str, (usize, usize, usize)> = Default::default();
    for r in results {
        let e = areas
            .entry(r.id.split('/').next().unwrap_or("other"))
            .or_default();
        e.0 += usize::from(r.pass);
        e.1 += 1;
        e.2 += r.calls.len();
    }
    let _ = writeln!(s, "  {:10} {:>9} {:>7}", "area", "scenarios", "checks");
    for (a, (p, t, c)) in &areas {
        let _ = writeln!(s, "  {a:10} {:>9} {c:>7}", format!("{p}/{t}"));
    }
    for r in results.iter().filter(|r| !r.pass) {
        match (&r.error, r.calls.iter().find(|c| !c.pass)) {
            (Some(e), _) => {
                let _ = writeln!(s, "FAIL {}: {e}", r.id);
            }
            (None, Some(c)) => {
                let _ = writeln!(
                    s,
                    "FAIL {}: step {} {} expected {} got {}{}",
                    r.id,
                    c.step,
                    c.request,
                    c.expected,
                    c.got.as_deref().unwrap_or("no answer"),
                    c.note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                );
            }
            _ => {}
        }
    }
    let cov = code_coverage(results);
    let reached = cov.values().filter(|v| !v.is_empty()).count();
    let _ = writeln!(s, "status codes provoked and checked: {reached}/64");
    let missing: Vec<&str> = cov
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(s, "not reached: {}", missing.join(" "));
    }
    let cells = crate::cells::coverage(results);
    let hit = cells.values().filter(|v| !v.is_empty()).count();
    let _ = writeln!(
        s,
        "mode × operation cells exercised: {hit}/{} ({:.0} %){}",
        cells.len(),
        100.0 * hit as f64 / cells.len().max(1) as f64,
        if hit < cells.len() && hit > 0 {
            format!(
                "; not: {}",
                cells
                    .iter()
                    .filter(|(_, v)| v.is_empty())
                    .map(|(k, _)| k.as_str())
                    .take(12)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            String::new()
        }
    );
    s
}
