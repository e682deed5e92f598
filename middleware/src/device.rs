//! The device: readers, SAM, HPC and HC with the mode rules of seed 004 (taken from
//! `nhi_protocol::mode`), talking to cards through a [`Transport`] and to the DC over HTTPS.

use crate::dc_client::DcClient;
use crate::fail::{Fail, OpResult};
use crate::mutants::{Mutant, Mutants};
use crate::settings::{CloudSam, Store};
use crate::transport::{Connection, Transport, TransportError};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::apdu::{self, split_response, AID_HPC, AID_SAM, ATR_HC, ATR_HPC, ATR_SAM};
use nhi_protocol::basic::BasicData;
use nhi_protocol::mode::{
    self, AutoStep, HcKind, HpcKind, Operation as Op, Outcome, SamKind, State,
};
use nhi_protocol::StatusCode as S;
use rand::RngCore;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What kind of card a reader holds, from its ATR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// NHI IC card.
    Hc,
    /// Health professional card.
    Hpc,
    /// SAM.
    Sam,
    /// Something else.
    Other,
}

fn kind_of(atr: &[u8]) -> Kind {
    if atr == ATR_HC {
        Kind::Hc
    } else if atr == ATR_HPC {
        Kind::Hpc
    } else if atr == ATR_SAM {
        Kind::Sam
    } else {
        Kind::Other
    }
}

struct Bound {
    kind: Kind,
    conn: Box<dyn Connection>,
    /// Card number / HPC id / SAM id once read.
    id: Option<String>,
}

/// The SAM in use.
#[derive(Debug, Clone)]
enum SamUse {
    Physical { reader: String },
    Cloud(CloudSam),
}

/// SAM identity.
#[derive(Debug, Clone, Default)]
struct SamInfo {
    sam_id: String,
    hospital_id: String,
    name: String,
    short_name: String,
}

/// HPC identity (card or mobile HCA).
#[derive(Debug, Clone, Default)]
struct HpcInfo {
    card_id: String,
    id_no: String,
    name: String,
    name_en: String,
}

/// The verified virtual HC.
#[derive(Debug, Clone)]
struct VirtualHc {
    fields: Value,
    card_id: String,
    id_no: String,
    serial: u64,
}

/// The device behind the Web API.
pub struct Device {
    transport: Arc<dyn Transport>,
    dc: DcClient,
    mutants: Mutants,
    /// Mode state (nhi-protocol's model).
    pub state: State,
    bound: BTreeMap<String, Bound>,
    /// Why the last look at the readers failed (reported when no device is found).
    reader_error: Option<TransportError>,
    sam: Option<SamUse>,
    sam_info: SamInfo,
    sam_session: Option<String>,
    hpc_info: Option<HpcInfo>,
    hca_session: Option<String>,
    virtual_hc: Option<VirtualHc>,
    /// Settings store.
    pub store: Store,
    device_id: String,
}

fn sw_of(r: &[u8]) -> u16 {
    split_response(r).map(|(_, s)| s).unwrap_or(0x6F00)
}

fn data_of(r: &[u8]) -> &[u8] {
    split_response(r).map(|(d, _)| d).unwrap_or(&[])
}

fn transport_fail(e: TransportError) -> Fail {
    match e {
        TransportError::NoCard | TransportError::Removed => Fail::new(S::NoCard, e.to_string()),
        TransportError::UnknownReader(_) => Fail::new(S::ReaderNameNotFound, e.to_string()),
        TransportError::PortOpen(_) => Fail::new(S::ComportOpen, e.to_string()),
        TransportError::ReaderFailed(_) => Fail::new(S::ReaderOperation, e.to_string()),
        TransportError::NoService(_) | TransportError::Other(_) => {
            Fail::new(S::PcscOther, e.to_string())
        }
    }
}

fn b64(v: &[u8]) -> String {
    B64.encode(v)
}

/// Checks a PIN's shape: digits only (1704) of 6–8 characters (1705).
pub fn check_pin(pin: &str) -> Result<(), Fail> {
    if pin.is_empty() || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Fail::new(S::ParamFormat1, "PIN must be digits"));
    }
    if !(6..=8).contains(&pin.len()) {
        return Err(Fail::new(S::ParamFormat2, "PIN must be 6 to 8 digits"));
    }
    Ok(())
}

/// Checks a service type: two digits (1705 wrong length, 1704 otherwise).
pub fn check_service_type(t: &str) -> Result<(), Fail> {
    if t.len() != 2 {
        return Err(Fail::new(
            S::ParamFormat2,
            "serviceType must be 2 characters",
        ));
    }
    if !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Fail::new(
            S::ParamFormat1,
            "serviceType must be letters or digits",
        ));
    }
    Ok(())
}

impl Device {
    /// A device on `transport`, talking to `dc`.
    pub fn new(
        transport: Arc<dyn Transport>,
        dc: DcClient,
        store: Store,
        mutants: Mutants,
        device_id: String,
    ) -> Device {
        Device {
            transport,
            dc,
            mutants,
            state: State::default(),
            bound: BTreeMap::new(),
            reader_error: None,
            sam: None,
            sam_info: SamInfo::default(),
            sam_session: None,
            hpc_info: None,
            hca_session: None,
            virtual_hc: None,
            store,
            device_id,
        }
    }

    fn m(&self, m: Mutant) -> bool {
        self.mutants.on(m)
    }

    // ---------- readers ----------

    /// Re-reads which cards are where: drops dead connections, binds new cards.
    pub fn refresh(&mut self) {
        let dead: Vec<String> = self
            .bound
            .iter_mut()
            .filter_map(|(n, b)| (!b.conn.alive()).then(|| n.clone()))
            .collect();
        for n in dead {
            if let Some(b) = self.bound.remove(&n) {
                self.card_gone(&n, b.kind);
            }
        }
        let readers = match self.transport.readers() {
            Ok(r) => {
                self.reader_error = None;
                r
            }
            Err(e) => {
                self.reader_error = Some(e);
                return;
            }
        };
        self.bound.retain(|n, _| readers.contains(n));
        let mut order: Vec<String> = readers;
        if let Some(d) = &self.store.settings.default_reader {
            order.sort_by_key(|n| n != d);
        }
        for r in order {
            if self.bound.contains_key(&r) {
                continue;
            }
            let Ok(conn) = self.transport.connect(&r) else {
                continue;
            };
            let kind = kind_of(&conn.atr());
            self.bound.insert(
                r.clone(),
                Bound {
                    kind,
                    conn,
                    id: None,
                },
            );
            match kind {
                Kind::Hc if self.reader_of(Kind::Hc).as_deref() == Some(r.as_str()) => {
                    self.state =
                        mode::transition(&self.state, Op::InsertHc, Outcome::Success, None);
                }
                Kind::Hpc if self.reader_of(Kind::Hpc).as_deref() == Some(r.as_str()) => {
                    self.state =
                        mode::transition(&self.state, Op::InsertHpc, Outcome::Success, None);
                }
                _ => {}
            }
        }
    }

    fn card_gone(&mut self, reader: &str, kind: Kind) {
        match kind {
            Kind::Hc => {
                if self.state.hc_kind == Some(HcKind::Physical)
                    || self.reader_of(Kind::Hc).is_none()
                {
                    self.state =
                        mode::transition(&self.state, Op::RemoveHc, Outcome::Success, None);
                }
            }
            Kind::Hpc => {
                self.state = mode::transition(&self.state, Op::RemoveHpc, Outcome::Success, None);
                if self.state.hpc_kind != Some(HpcKind::Mobile) {
                    self.hpc_info = None;
                }
            }
            Kind::Sam => {
                if matches!(&self.sam, Some(SamUse::Physical { reader: r }) if r == reader) {
                    self.sam_session = None;
                    self.state = mode::sam_removed(&self.state);
                }
            }
            Kind::Other => {}
        }
    }

    /// The first reader holding a card of `kind` (default reader first).
    fn reader_of(&self, kind: Kind) -> Option<String> {
        let d = self.store.settings.default_reader.clone();
        let mut v: Vec<&String> = self
            .bound
            .iter()
            .filter(|(_, b)| b.kind == kind)
            .map(|(n, _)| n)
            .collect();
        v.sort_by_key(|n| Some((*n).clone()) != d);
        v.first().map(|s| (*s).clone())
    }

    fn xfer(&mut self, reader: &str, apdu: &[u8]) -> Result<Vec<u8>, Fail> {
        let b = self
            .bound
            .get_mut(reader)
            .ok_or_else(|| Fail::code(S::NoCard))?;
        match b.conn.transmit(apdu) {
            Ok(r) => Ok(r),
            Err(e) => {
                let kind = b.kind;
                self.bound.remove(reader);
                self.card_gone(reader, kind);
                Err(transport_fail(e))
            }
        }
    }

    /// Sends an APDU to the card of `kind`.
    fn card(&mut self, kind: Kind, apdu: &[u8]) -> Result<Vec<u8>, Fail> {
        let reader = self.reader_of(kind).ok_or_else(|| Fail::code(S::NoCard))?;
        self.xfer(&reader, apdu)
    }

    fn sam_reader(&self) -> Option<String> {
        match &self.sam {
            Some(SamUse::Physical { reader }) => Some(reader.clone()),
            _ => None,
        }
    }

    fn sam_apdu(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Fail> {
        let r = self.sam_reader().ok_or_else(|| Fail::code(S::SamMode1))?;
        self.xfer(&r, apdu).map_err(|f| {
            if f.code == S::NoCard {
                Fail::new(S::SamMode1, "SAM removed")
            } else {
                f
            }
        })
    }

    fn random8(&self) -> [u8; 8] {
        let mut r = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut r);
        r
    }

    // ---------- the mode machinery ----------

    async fn begin(&mut self, op: Op) -> Result<(), Fail> {
        self.refresh();
        let pre = if self.m(Mutant::NoInitCheck) && !self.state.initialized && op != Op::Initial {
            let mut s = self.state;
            s.initialized = true;
            mode::precheck(&s, op)
        } else if self.m(Mutant::DoubleInitOk) && op == Op::Initial && self.state.initialized {
            return Err(Fail::new(S::Success, "already"));
        } else {
            mode::precheck(&self.state, op)
        };
        let steps = match pre {
            Ok(s) => s,
            Err(S::SamMode2) if self.m(Mutant::AutoVerifyPhysicalSam) => {
                self.sam_verify_inner().await?;
                self.state.sam = 2;
                mode::precheck(&self.state, op).map_err(Fail::code)?
            }
            Err(S::HpcMode3) if self.m(Mutant::ThreeCardWithoutHpc) && op == Op::HpcHcSignature => {
                Vec::new()
            }
            Err(S::SamMode2) if self.m(Mutant::NoInitCheck) && !self.state.initialized => {
                return Err(Fail::code(S::SamMode1))
            }
            Err(c) => return Err(Fail::code(c)),
        };
        for step in steps {
            match step {
                AutoStep::CloudSamVerify => self.sam_verify_inner().await.map_err(|f| {
                    if f.code == S::DcConnection
                        || f.code.code().starts_with("13")
                        || f.code.code().starts_with("17")
                    {
                        f
                    } else {
                        Fail::new(S::SamMode2, f.message)
                    }
                })?,
                AutoStep::HpcAuthenticate => self.card_auth(Kind::Hpc)?,
                AutoStep::HcAuthenticate => self.card_auth(Kind::Hc)?,
            }
            self.state = mode::apply_step(&self.state, step);
        }
        Ok(())
    }

    fn end(&mut self, op: Op, r: &OpResult) {
        let outcome = match r {
            Ok(_) => Outcome::Success,
            Err(f) => Outcome::Failure(f.code),
        };
        let skip = matches!(
            (
                op,
                self.m(Mutant::ExportKeepsHc),
                self.m(Mutant::HcLogoutNoop),
                self.m(Mutant::HpcLogoutNoop),
                self.m(Mutant::LogoutNoCascade)
            ),
            (Op::HcTransferExport, true, _, _, _)
                | (Op::HcLogout, _, true, _, _)
                | (Op::HpcLogout, _, _, true, _)
        );
        if skip {
            return;
        }
        if op == Op::SamLogout && self.m(Mutant::LogoutNoCascade) && r.is_ok() {
            self.state.sam = 1;
            return;
        }
        let kind = self.sam.as_ref().map(|s| match s {
            SamUse::Physical { .. } => SamKind::Physical,
            SamUse::Cloud(_) => SamKind::Cloud,
        });
        self.state = mode::transition(&self.state, op, outcome, kind);
    }

    /// Runs an operation under the mode rules.
    pub async fn run(&mut self, op: Op, body: &Value) -> OpResult {
        match self.begin(op).await {
            Ok(()) => {}
            Err(f) if f.code == S::Success => return Ok(json!({})),
            Err(f) => return Err(f),
        }
        let mut r = self.exec(op, body).await;
        if matches!(&r, Err(f) if f.code == S::DcSession)
            && matches!(self.sam, Some(SamUse::Cloud(_)))
            && op != Op::SamVerify
        {
            // A cloud SAM is verified automatically (seed 004): renew the DC session once.
            if self.sam_verify_inner().await.is_ok() {
                r = self.exec(op, body).await;
            }
        }
        self.end(op, &r);
        r
    }

    fn is_test_sam(&self) -> bool {
        self.sam_info.sam_id.starts_with('9')
    }

    /// SAM ↔ card authentication (mode 1 → 2 of an HPC or HC), with the 1003 check.
    fn card_auth(&mut self, kind: Kind) -> Result<(), Fail> {
        let reader = self.reader_of(kind).ok_or_else(|| Fail::code(S::NoCard))?;
        let (aid, fail_select, fail_auth) = match kind {
            Kind::Hc => (apdu::AID_HC, S::HcMode1, S::HcMode2),
            _ => (AID_HPC, S::HpcMode1, S::HpcMode2),
        };
        let r = self.xfer(&reader, &apdu::build(0, 0xA4, 4, 0, aid, None))?;
        match sw_of(&r) {
            0x9000 => {}
            0x6A82 => {
                return Err(Fail::new(
                    S::SelectAppletFailed,
                    "the card has no NHI application (SELECT answered 6A82)",
                ))
            }
            sw => return Err(Fail::new(fail_select, format!("SELECT answered {sw:04X}"))),
        }
        let id = match kind {
            Kind::Hc => {
                let r = self.xfer(&reader, apdu::GET_BASIC)?;
                let b = BasicData::decode(data_of(&r))
                    .map_err(|e| Fail::new(fail_select, e.to_string()))?;
                b.card_no.to_string()
            }
            _ => {
                let r = self.xfer(&reader, &[0, 0xCA, 0x13, 0, 0])?;
                let d = data_of(&r);
                if d.len() < 70 {
                    return Err(Fail::new(fail_select, "HPC basic data unreadable"));
                }
                let info = HpcInfo {
                    card_id: String::from_utf8_lossy(&d[0..20]).trim().to_string(),
                    id_no: String::from_utf8_lossy(&d[20..30]).trim().to_string(),
                    name: nhi_protocol::basic::decode_name(&d[30..50]).unwrap_or_default(),
                    name_en: String::from_utf8_lossy(&d[50..70]).trim().to_string(),
                };
                let id = info.card_id.clone();
                self.hpc_info = Some(info);
                id
            }
        };
        if kind == Kind::Hc
            && !self.m(Mutant::MixTestProduction)
            && id.starts_with('9') != self.is_test_sam()
        {
            return Err(Fail::code(S::TestProductionMixed));
        }
        if let Some(b) = self.bound.get_mut(&reader) {
            b.id = Some(id);
        }
        if self.sam_reader().is_none() {
            // A cloud SAM has no chip to check the card against; the DC vouches for it.
            return Ok(());
        }
        let ch = self.sam_apdu(&[0, 0x84, 0, 0, 8])?;
        if sw_of(&ch) != 0x9000 {
            return Err(Fail::new(fail_auth, "SAM challenge failed"));
        }
        let resp = self.xfer(&reader, &apdu::build(0, 0x88, 0, 0, data_of(&ch), Some(0)))?;
        let chip = self.xfer(&reader, &[0, 0xCA, 0x12, 0, 0])?;
        let mut data = data_of(&chip).to_vec();
        data.extend_from_slice(data_of(&resp));
        let r = self.sam_apdu(&apdu::build(0x80, 0x82, 1, 0, &data, None))?;
        if sw_of(&r) != 0x9000 {
            return Err(Fail::new(
                fail_auth,
                "card authentication with the SAM failed",
            ));
        }
        Ok(())
    }

    fn sam_session(&self) -> Result<String, Fail> {
        self.sam_session
            .clone()
            .ok_or_else(|| Fail::code(S::SamMode2))
    }

    /// SAM ↔ DC mutual authentication (physical SAM card or cloud SAM secret).
    async fn sam_verify_inner(&mut self) -> Result<(), Fail> {
        let cloud = matches!(self.sam, Some(SamUse::Cloud(_)));
        let ch = self.dc.call("/api/v1/Sam/Challenge", json!({ "samId": self.sam_info.sam_id, "hospitalId": self.sam_info.hospital_id, "cloud": cloud })).await?;
        let dc_random = B64
            .decode(ch["dcRandom"].as_str().unwrap_or_default())
            .map_err(|_| Fail::code(S::DcUndefined))?;
        let (sam_random, mac) = match self.sam.clone() {
            Some(SamUse::Physical { .. }) => {
                let r = self.sam_apdu(&apdu::build(0x80, 0x88, 0, 0, &dc_random, Some(0)))?;
                match sw_of(&r) {
                    0x9000 if data_of(&r).len() == 40 => {
                        (data_of(&r)[..8].to_vec(), data_of(&r)[8..].to_vec())
                    }
                    0x6983 => {
                        return Err(Fail::new(
                            S::SamMode2,
                            "SAM locked after repeated failed authentications",
                        ))
                    }
                    sw => return Err(Fail::new(S::SamMode2, format!("SAM answered {sw:04X}"))),
                }
            }
            Some(SamUse::Cloud(c)) => {
                let secret = B64
                    .decode(&c.secret)
                    .map_err(|_| Fail::code(S::CloudSamFileFormat))?;
                let sam_random = self.random8();
                let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
                let mac =
                    aws_lc_rs::hmac::sign(&k, &[&b"SAM"[..], &dc_random, &sam_random].concat());
                (sam_random.to_vec(), mac.as_ref().to_vec())
            }
            None => return Err(Fail::code(S::SamMode1)),
        };
        let v = self
            .dc
            .call("/api/v1/Sam/Verify", json!({ "challengeId": ch["challengeId"], "samRandom": b64(&sam_random), "samMac": b64(&mac) }))
            .await?;
        if self.sam_reader().is_some() {
            let proof = B64
                .decode(v["proof"].as_str().unwrap_or_default())
                .map_err(|_| Fail::code(S::DcUndefined))?;
            let r = self.sam_apdu(&apdu::build(0x80, 0x82, 0, 0, &proof, None))?;
            if sw_of(&r) != 0x9000 {
                return Err(Fail::new(
                    S::SamMode2,
                    format!("SAM refused the DC proof ({:04X})", sw_of(&r)),
                ));
            }
        }
        self.sam_info.name = v["hospitalName"].as_str().unwrap_or_default().to_string();
        self.sam_info.short_name = v["hospitalShortName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.sam_session = v["samSession"].as_str().map(str::to_string);
        Ok(())
    }

    /// Signs with the SAM (card PSO, or the DC for a cloud SAM).
    async fn sam_sign(&mut self, data: &[u8]) -> Result<Vec<u8>, Fail> {
        if self.sam_reader().is_some() {
            let r = self.sam_apdu(&apdu::build_extended(0x80, 0x2A, 0x9E, 0x9A, data, Some(0)))?;
            if sw_of(&r) != 0x9000 {
                return Err(Fail::new(
                    S::SamMode2,
                    format!("SAM signature refused ({:04X})", sw_of(&r)),
                ));
            }
            Ok(data_of(&r).to_vec())
        } else {
            let v = self
                .dc
                .call(
                    "/api/v1/CloudSam/Sign",
                    json!({ "samSession": self.sam_session()?, "data": b64(data) }),
                )
                .await?;
            B64.decode(v["signature"].as_str().unwrap_or_default())
                .map_err(|_| Fail::code(S::DcUndefined))
        }
    }

    /// Token payload fields: SAM decryption (physical) or the DC (cloud).
    async fn decrypt_token(&mut self, token: &str) -> Result<Value, Fail> {
        let parts = nhi_protocol::token::split(token).map_err(Fail::code)?;
        if self.sam_reader().is_some() {
            let data = [&parts.iv[..], &parts.ciphertext[..]].concat();
            let r = self.sam_apdu(&apdu::build(0x80, 0xD0, 0, 0, &data, Some(0)))?;
            if sw_of(&r) != 0x9000 {
                return Err(Fail::new(S::TokenShape, "SAM could not decrypt the token"));
            }
            let p = nhi_protocol::token::Payload::decode(data_of(&r)).map_err(Fail::code)?;
            Ok(
                json!({ "cardId": p.card_no.as_str(), "idNo": p.id_no.as_str(), "name": p.name, "birthday": p.birthday.to_string(),
                       "sex": p.sex.code().to_string(), "identityStatus": p.identity_status.code().to_string(), "serial": p.serial }),
            )
        } else {
            self.dc
                .call(
                    "/api/v1/CloudSam/Decrypt",
                    json!({ "samSession": self.sam_session()?, "token": token }),
                )
                .await
        }
    }

    fn check_token_format(&self, token: &str) -> Result<(), Fail> {
        match nhi_protocol::token::split(token) {
            Ok(_) => Ok(()),
            Err(S::TokenFormat) if self.m(Mutant::TokenFormatAs1522) => {
                Err(Fail::code(S::TokenShape))
            }
            Err(c) => Err(Fail::code(c)),
        }
    }

    fn basic_fields(v: &Value) -> Value {
        json!({ "cardId": v["cardId"], "idNo": v["idNo"], "name": v["name"], "birthday": v["birthday"], "sex": v["sex"], "identityStatus": v["identityStatus"] })
    }

    fn str_field<'a>(body: &'a Value, k: &str) -> Result<&'a str, Fail> {
        body.get(k).and_then(Value::as_str).ok_or_else(|| {
            Fail::new(
                S::ParamFormat1,
                format!("field {k:?} missing or not a string"),
            )
        })
    }

    // ---------- operations ----------

    async fn exec(&mut self, op: Op, body: &Value) -> OpResult {
        match op {
            Op::Initial => {
                self.initial(body.get("deviceName").and_then(Value::as_str))
                    .await
            }
            Op::Finalize => {
                self.sam = None;
                self.sam_session = None;
                self.hca_session = None;
                self.virtual_hc = None;
                self.hpc_info = None;
                self.bound.clear();
                Ok(json!({}))
            }
            Op::Version => Ok(json!({
                "fileVersion": env!("CARGO_PKG_VERSION"),
                "longVersion": if self.m(Mutant::WrongLongVersion) { "5000" } else { "6000" },
                "shortVersion": "60",
                "location": std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
            })),
            Op::ReaderTime => {
                // A reader with its own clock (a COM reader holding the physical SAM)
                // answers itself; otherwise (PC/SC, cloud SAM) the DC's time is used.
                if let Some(r) = self.sam_reader() {
                    if let Some(t) = self.transport.reader_time(&r) {
                        let t = t.map_err(transport_fail)?;
                        return Ok(
                            json!({ "serverDateTime": nhi_protocol::ident::roc_datetime(t), "source": "reader" }),
                        );
                    }
                }
                let v = self.dc.call("/api/v1/Time", json!({})).await?;
                Ok(json!({ "serverDateTime": v["serverDateTime"] }))
            }
            Op::SamVerify => {
                self.sam_verify_inner().await?;
                Ok(
                    json!({ "samId": self.sam_info.sam_id, "hospitalId": self.sam_info.hospital_id }),
                )
            }
            Op::SamLogout => {
                self.sam_session = None;
                self.hca_session = None;
                self.virtual_hc = None;
                if let Some(r) = self.sam_reader() {
                    // Power-cycling is not in the trait: re-selecting drops nothing, so the
                    // next signature needs a fresh DC authentication through mode 2 anyway.
                    let _ = self.xfer(&r, &apdu::build(0, 0xA4, 4, 0, AID_SAM, None));
                }
                Ok(json!({}))
            }
            Op::SamBasic => Ok(json!({
                "samId": self.sam_info.sam_id, "hospitalId": self.sam_info.hospital_id,
                "hospitalName": if matches!(self.sam, Some(SamUse::Physical { .. })) { Value::Null } else { json!(self.sam_info.name) },
                "hospitalShortName": if matches!(self.sam, Some(SamUse::Physical { .. })) { Value::Null } else { json!(self.sam_info.short_name) },
            })),
            Op::SamSignature => {
                let t = Self::str_field(body, "serviceType")?;
                check_service_type(t)?;
                let cr = self.random8();
                let data = [
                    &cr[..],
                    t.as_bytes(),
                    self.sam_info.hospital_id.as_bytes(),
                    self.sam_info.sam_id.as_bytes(),
                ]
                .concat();
                let sig = self.sam_sign(&data).await?;
                let mut v = json!({ "signature": b64(&sig), "clientRandom": b64(&cr), "samId": self.sam_info.sam_id, "hospitalId": self.sam_info.hospital_id, "serviceType": t });
                if self.m(Mutant::SignatureNoClientRandom) {
                    v.as_object_mut().map(|o| o.remove("clientRandom"));
                }
                Ok(v)
            }
            Op::HpcVerifyPin => self.hpc_verify_pin(body).await,
            Op::HpcLogout => Ok(json!({})),
            Op::MobileHcaVerify => {
                let cred = Self::str_field(body, "credential")?;
                let r = self.dc.call("/api/v1/MobileHca/Login", json!({ "samSession": self.sam_session()?, "credential": cred, "deviceId": self.device_id })).await;
                let v = match r {
                    Err(f)
                        if f.code == S::MobileHcaHospitalMismatch
                            && self.m(Mutant::HcaHospitalIgnored) =>
                    {
                        return Ok(json!({}));
                    }
                    r => r?,
                };
                self.hca_session = v["hcaSession"].as_str().map(str::to_string);
                self.hpc_info = Some(HpcInfo {
                    card_id: v["hpcId"].as_str().unwrap_or_default().into(),
                    id_no: v["idNo"].as_str().unwrap_or_default().into(),
                    name: v["name"].as_str().unwrap_or_default().into(),
                    name_en: String::new(),
                });
                Ok(json!({ "hpcId": v["hpcId"] }))
            }
            Op::MobileHcaLogout => {
                if let Some(s) = self.hca_session.take() {
                    self.dc
                        .call("/api/v1/MobileHca/Logout", json!({ "hcaSession": s }))
                        .await?;
                }
                self.hpc_info = None;
                Ok(json!({}))
            }
            Op::HpcBasic => {
                let i = self.hpc_info.clone().unwrap_or_default();
                Ok(
                    json!({ "cardId": i.card_id, "idNo": i.id_no, "cName": i.name, "eName": i.name_en }),
                )
            }
            Op::HpcSignature => {
                let t = Self::str_field(body, "serviceType")?;
                check_service_type(t)?;
                let cr = self.random8();
                let i = self.hpc_info.clone().unwrap_or_default();
                let data = [
                    &cr[..],
                    t.as_bytes(),
                    self.sam_info.hospital_id.as_bytes(),
                    self.sam_info.sam_id.as_bytes(),
                    i.card_id.as_bytes(),
                ]
                .concat();
                let sig = self.hpc_sign(&data).await?;
                Ok(
                    json!({ "signature": b64(&sig), "clientRandom": b64(&cr), "samId": self.sam_info.sam_id, "hospitalId": self.sam_info.hospital_id,
                           "serviceType": t, "hpcId": i.card_id, "hpcIdNo": i.id_no }),
                )
            }
            Op::HpcSetPin => {
                if self.state.hpc_kind == Some(HpcKind::Mobile) {
                    return Err(Fail::code(S::HpcUnsupported));
                }
                let pin = Self::str_field(body, "newPin")?;
                check_pin(pin)?;
                let r = self.card(
                    Kind::Hpc,
                    &apdu::build(0, 0x24, 1, 0x10, pin.as_bytes(), None),
                )?;
                match sw_of(&r) {
                    0x9000 => Ok(json!({})),
                    sw => Err(Fail::new(
                        S::HpcPinFailed,
                        format!("card refused the new PIN ({sw:04X})"),
                    )),
                }
            }
            Op::HpcResetPin => {
                let puk = Self::str_field(body, "puk")?;
                let pin = Self::str_field(body, "newPin")?;
                if puk.len() != 8 || !puk.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Fail::new(S::ParamFormat2, "PUK must be 8 digits"));
                }
                check_pin(pin)?;
                let r = self.card(
                    Kind::Hpc,
                    &apdu::build(0, 0x2C, 0, 0x10, format!("{puk}{pin}").as_bytes(), None),
                )?;
                match sw_of(&r) {
                    0x9000 => Ok(json!({})),
                    0x6983 => Err(Fail::new(S::HpcPinFailed, "PUK blocked")),
                    sw if sw & 0xFFF0 == 0x63C0 => Err(Fail::new(
                        S::HpcPinFailed,
                        format!("wrong PUK, {} tries left", sw & 0xF),
                    )),
                    sw => Err(Fail::new(
                        S::HpcPinFailed,
                        format!("card answered {sw:04X}"),
                    )),
                }
            }
            Op::HcVirtualVerify => self.hc_virtual_verify(body).await,
            Op::HcVirtualReadBasic => {
                let token = Self::str_field(body, "token")?.to_string();
                self.check_token_format(&token)?;
                let path = if self.m(Mutant::ReadBasicConsumesToken) {
                    "/api/v1/VirtualCard/Verify"
                } else {
                    "/api/v1/VirtualCard/Inspect"
                };
                self.dc
                    .call(
                        path,
                        json!({ "samSession": self.sam_session()?, "token": token }),
                    )
                    .await?;
                let v = self.decrypt_token(&token).await?;
                Ok(Self::basic_fields(&v))
            }
            Op::HcLogout => {
                self.virtual_hc = None;
                Ok(json!({}))
            }
            Op::HcBasic => self.hc_basic(),
            Op::HcSignature => self.hc_signature(body, false).await,
            Op::HpcHcSignature => self.hc_signature(body, true).await,
            Op::HcPinStatus | Op::HcPinVerify | Op::HcPinSet | Op::HcPinClear => {
                self.hc_pin(op, body)
            }
            Op::HcTransferExport => {
                let Some(v) = self
                    .virtual_hc
                    .clone()
                    .filter(|_| self.state.hc_kind == Some(HcKind::Virtual))
                else {
                    return Err(Fail::code(S::VirtualHcOnly));
                };
                let r = self
                    .dc
                    .call(
                        "/api/v1/VirtualCard/Transfer/Export",
                        json!({ "samSession": self.sam_session()?, "cardId": v.card_id }),
                    )
                    .await?;
                if !self.m(Mutant::ExportKeepsHc) {
                    self.virtual_hc = None;
                }
                Ok(json!({ "transferCode": r["transferCode"] }))
            }
            Op::HcTransferImport => {
                let code = Self::str_field(body, "transferCode")?;
                let r = self.dc.call("/api/v1/VirtualCard/Transfer/Import", json!({ "samSession": self.sam_session()?, "transferCode": code, "deviceId": self.device_id })).await;
                let v = match r {
                    Err(f)
                        if f.code == S::TransferOtherHospital
                            && self.m(Mutant::SkipTransferHospitalCheck) =>
                    {
                        return Ok(json!({}))
                    }
                    r => r?,
                };
                self.virtual_hc = Some(VirtualHc {
                    fields: Self::basic_fields(&v),
                    card_id: v["cardId"].as_str().unwrap_or_default().into(),
                    id_no: v["idNo"].as_str().unwrap_or_default().into(),
                    serial: 0,
                });
                Ok(Self::basic_fields(&v))
            }
            Op::HcMarkerUpdate => {
                if self.state.hc_kind == Some(HcKind::Virtual) {
                    return if self.m(Mutant::MarkerOnVirtual) {
                        Ok(json!({}))
                    } else {
                        Err(Fail::code(S::PhysicalHcOnly))
                    };
                }
                let hc_id = self.hc_id()?;
                let v = self
                    .dc
                    .call(
                        "/api/v1/Hc/Marker",
                        json!({ "samSession": self.sam_session()?, "hcId": hc_id }),
                    )
                    .await?;
                let marker = B64
                    .decode(v["marker"].as_str().unwrap_or_default())
                    .map_err(|_| Fail::code(S::DcUndefined))?;
                let r = self.card(Kind::Hc, &apdu::build(0, 0xD6, 0, 0, &marker, None))?;
                if sw_of(&r) != 0x9000 {
                    return Err(Fail::new(
                        S::ReaderOperation,
                        format!("marker write answered {:04X}", sw_of(&r)),
                    ));
                }
                Ok(json!({ "marker": String::from_utf8_lossy(&marker) }))
            }
            Op::InsertHc | Op::RemoveHc | Op::InsertHpc | Op::RemoveHpc => Ok(json!({})),
        }
    }

    async fn initial(&mut self, device: Option<&str>) -> OpResult {
        self.refresh();
        let cloud =
            |s: &Self, id: &str| s.store.cloud_sams.iter().find(|c| c.sam_id == id).cloned();
        let sam_readers: Vec<String> = self
            .bound
            .iter()
            .filter(|(_, b)| b.kind == Kind::Sam)
            .map(|(n, _)| n.clone())
            .collect();
        let pick = match device {
            Some(d) => {
                if let Some(c) = cloud(self, d) {
                    SamUse::Cloud(c)
                } else if sam_readers.iter().any(|r| r == d) {
                    SamUse::Physical {
                        reader: d.to_string(),
                    }
                } else {
                    return Err(Fail::new(S::NoDevice, format!("no device named {d:?}")));
                }
            }
            None => {
                let last = self.store.settings.last_device.clone();
                let from_last = last.as_deref().and_then(|l| {
                    cloud(self, l).map(SamUse::Cloud).or_else(|| {
                        sam_readers
                            .iter()
                            .find(|r| *r == l)
                            .map(|r| SamUse::Physical { reader: r.clone() })
                    })
                });
                match from_last
                    .or_else(|| self.store.cloud_sams.first().cloned().map(SamUse::Cloud))
                    .or_else(|| {
                        sam_readers
                            .first()
                            .map(|r| SamUse::Physical { reader: r.clone() })
                    }) {
                    Some(p) => p,
                    None => {
                        // A COM port that does not open (1201) or a reader that fails
                        // (1202) says more than "no device".
                        return Err(match self.reader_error.clone() {
                            Some(
                                e @ (TransportError::PortOpen(_) | TransportError::ReaderFailed(_)),
                            ) => transport_fail(e),
                            _ => Fail::new(
                                S::NoDevice,
                                "no cloud SAM imported and no SAM in any reader",
                            ),
                        });
                    }
                }
            }
        };
        match &pick {
            SamUse::Physical { reader } => {
                let reader = reader.clone();
                let r = self.xfer(&reader, &apdu::build(0, 0xA4, 4, 0, AID_SAM, None))?;
                if sw_of(&r) != 0x9000 {
                    return Err(Fail::new(
                        S::SelectAppletFailed,
                        "SAM application not found",
                    ));
                }
                let r = self.xfer(&reader, &[0, 0xCA, 0x14, 0, 0])?;
                let d = data_of(&r);
                if d.len() != 22 {
                    return Err(Fail::new(S::SamMode1, "SAM info unreadable"));
                }
                self.sam_info = SamInfo {
                    sam_id: String::from_utf8_lossy(&d[..12]).into(),
                    hospital_id: String::from_utf8_lossy(&d[12..]).into(),
                    ..SamInfo::default()
                };
                self.store.settings.last_device = Some(reader);
            }
            SamUse::Cloud(c) => {
                self.sam_info = SamInfo {
                    sam_id: c.sam_id.clone(),
                    hospital_id: c.hospital_id.clone(),
                    name: c.hospital_name.clone(),
                    short_name: c.hospital_short_name.clone(),
                };
                self.store.settings.last_device = Some(c.sam_id.clone());
            }
        }
        self.sam = Some(pick);
        let _ = self.store.save();
        Ok(json!({ "deviceName": self.device_name() }))
    }

    fn device_name(&self) -> String {
        match &self.sam {
            Some(SamUse::Physical { reader }) => reader.clone(),
            Some(SamUse::Cloud(c)) => c.sam_id.clone(),
            None => String::new(),
        }
    }

    async fn hpc_verify_pin(&mut self, body: &Value) -> OpResult {
        let pin = Self::str_field(body, "pin")?;
        if !self.m(Mutant::PinFormatUnchecked) {
            check_pin(pin)?;
        }
        let r = self.card(
            Kind::Hpc,
            &apdu::build(0, 0x20, 0, 0x10, pin.as_bytes(), None),
        )?;
        match sw_of(&r) {
            0x9000 => {}
            0x6983 => {
                return Err(Fail::new(
                    S::HpcPinFailed,
                    "PIN blocked after 3 wrong tries; reset it with the PUK",
                ))
            }
            sw if sw & 0xFFF0 == 0x63C0 => {
                if self.m(Mutant::PinFailureAsSuccess) {
                    return Ok(json!({}));
                }
                return Err(Fail::new(
                    S::HpcPinFailed,
                    format!("wrong PIN, {} tries left", sw & 0xF),
                ));
            }
            sw => {
                return Err(Fail::new(
                    S::HpcPinFailed,
                    format!("card answered {sw:04X}"),
                ))
            }
        }
        if !self.m(Mutant::NoCertCheck) {
            let cert = self.read_hpc_cert()?;
            self.dc
                .call(
                    "/api/v1/Hca/CertStatus",
                    json!({ "samSession": self.sam_session()?, "certificate": b64(&cert) }),
                )
                .await?;
        }
        Ok(json!({}))
    }

    fn read_hpc_cert(&mut self) -> Result<Vec<u8>, Fail> {
        let mut cert = Vec::new();
        loop {
            let off = cert.len();
            if off > 0x7FFF {
                return Err(Fail::new(S::HpcMode3, "certificate too long"));
            }
            let r = self.card(Kind::Hpc, &[0, 0xB0, (off >> 8) as u8, off as u8, 0])?;
            match sw_of(&r) {
                0x9000 if !data_of(&r).is_empty() => cert.extend_from_slice(data_of(&r)),
                _ => break,
            }
            if data_of(&r).len() < 256 {
                break;
            }
        }
        if cert.is_empty() {
            return Err(Fail::new(S::HcaCertNoIssuer, "no certificate on the card"));
        }
        Ok(cert)
    }

    async fn hpc_sign(&mut self, data: &[u8]) -> Result<Vec<u8>, Fail> {
        if self.state.hpc_kind == Some(HpcKind::Mobile) {
            let s = self
                .hca_session
                .clone()
                .ok_or_else(|| Fail::code(S::DcSession))?;
            let v = self
                .dc
                .call(
                    "/api/v1/MobileHca/Sign",
                    json!({ "hcaSession": s, "data": b64(data) }),
                )
                .await
                .map_err(|f| {
                    if f.code == S::DcConnection {
                        Fail::new(S::HcaSignatureTimeout, f.message)
                    } else {
                        f
                    }
                })?;
            return B64
                .decode(v["signature"].as_str().unwrap_or_default())
                .map_err(|_| Fail::code(S::HcaSignatureInvalid));
        }
        let r = self.card(
            Kind::Hpc,
            &apdu::build_extended(0, 0x2A, 0x9E, 0x9A, data, Some(0)),
        )?;
        match sw_of(&r) {
            0x9000 if data_of(&r).len() == 256 => Ok(data_of(&r).to_vec()),
            0x6982 => Err(Fail::code(S::HpcMode3)),
            sw => Err(Fail::new(
                S::HcaSignatureInvalid,
                format!("HPC signature failed ({sw:04X})"),
            )),
        }
    }

    async fn hc_virtual_verify(&mut self, body: &Value) -> OpResult {
        let token = Self::str_field(body, "token")?.to_string();
        self.check_token_format(&token)?;
        let r = self
            .dc
            .call(
                "/api/v1/VirtualCard/Verify",
                json!({ "samSession": self.sam_session()?, "token": token }),
            )
            .await;
        match r {
            Ok(_) => {}
            Err(f) if f.code == S::TokenTimedOut && self.m(Mutant::AcceptStaleToken) => {}
            Err(f) if f.code == S::TokenCountExceeded && self.m(Mutant::IgnoreCountLimit) => {}
            Err(f) if f.code == S::TestProductionMixed && self.m(Mutant::MixTestProduction) => {}
            Err(f) => return Err(f),
        }
        let v = self.decrypt_token(&token).await?;
        let card_id = v["cardId"].as_str().unwrap_or_default().to_string();
        if !self.m(Mutant::MixTestProduction) && card_id.starts_with('9') != self.is_test_sam() {
            return Err(Fail::code(S::TestProductionMixed));
        }
        self.virtual_hc = Some(VirtualHc {
            fields: Self::basic_fields(&v),
            id_no: v["idNo"].as_str().unwrap_or_default().into(),
            card_id,
            serial: v["serial"].as_u64().unwrap_or(0),
        });
        Ok(Self::basic_fields(&v))
    }

    fn hc_id(&self) -> Result<String, Fail> {
        if self.state.hc_kind == Some(HcKind::Virtual) {
            return self
                .virtual_hc
                .as_ref()
                .map(|v| v.card_id.clone())
                .ok_or_else(|| Fail::code(S::NoCard));
        }
        let r = self
            .reader_of(Kind::Hc)
            .ok_or_else(|| Fail::code(S::NoCard))?;
        self.bound
            .get(&r)
            .and_then(|b| b.id.clone())
            .ok_or_else(|| Fail::code(S::HcMode2))
    }

    fn hc_basic(&mut self) -> OpResult {
        if self.state.hc_kind == Some(HcKind::Virtual) {
            let v = self
                .virtual_hc
                .clone()
                .ok_or_else(|| Fail::code(S::NoCard))?;
            let mut f = v.fields;
            if self.m(Mutant::VirtualHasIssueDate) {
                f["dateIssue"] = json!("1080101");
            }
            return Ok(f);
        }
        let r = self.card(Kind::Hc, apdu::GET_BASIC)?;
        let b = BasicData::decode(data_of(&r)).map_err(|e| Fail::new(S::HcMode2, e.to_string()))?;
        let name = if self.m(Mutant::BasicNameTruncated) {
            b.name.chars().take(1).collect()
        } else {
            b.name.clone()
        };
        Ok(
            json!({ "cardId": b.card_no.as_str(), "idNo": b.id_no.as_str(), "name": name, "birthday": b.birthday.to_string(),
                   "sex": b.sex.code().to_string(), "dateIssue": b.issue_date.map(|d| d.to_string()) }),
        )
    }

    async fn hc_signature(&mut self, body: &Value, three: bool) -> OpResult {
        let t = Self::str_field(body, "serviceType")?.to_string();
        check_service_type(&t)?;
        let cr = self.random8();
        let hc_id = self.hc_id()?;
        let (hc_part, hc_id_no) = if self.state.hc_kind == Some(HcKind::Virtual) {
            let v = self
                .virtual_hc
                .clone()
                .ok_or_else(|| Fail::code(S::NoCard))?;
            (v.serial.to_be_bytes().to_vec(), v.id_no)
        } else {
            let r = self.card(
                Kind::Hc,
                &apdu::build(0, 0x88, 0, 1, &[&cr[..], t.as_bytes()].concat(), Some(0)),
            )?;
            match sw_of(&r) {
                0x9000 => {}
                0x6982 => return Err(Fail::code(S::HcPinNotVerified)),
                sw => {
                    return Err(Fail::new(
                        if three { S::HcMode3 } else { S::HcMode2 },
                        format!("HC signature failed ({sw:04X})"),
                    ))
                }
            }
            let basic = self.card(Kind::Hc, apdu::GET_BASIC)?;
            let id_no = BasicData::decode(data_of(&basic))
                .map(|b| b.id_no.to_string())
                .unwrap_or_default();
            (data_of(&r).to_vec(), id_no)
        };
        let data = [&hc_part[..], &cr[..], t.as_bytes(), hc_id.as_bytes()].concat();
        let mut v = json!({ "clientRandom": b64(&cr), "samId": self.sam_info.sam_id, "hospitalId": self.sam_info.hospital_id,
                            "serviceType": t, "hcId": hc_id, "hcIdNo": hc_id_no });
        if three {
            let i = self.hpc_info.clone().unwrap_or_default();
            let data = [&data[..], i.card_id.as_bytes()].concat();
            let sig = self.hpc_sign(&data).await.map_err(|f| {
                if f.code == S::HpcMode3 {
                    f
                } else {
                    Fail::new(S::HcMode3, f.message)
                }
            })?;
            v["signature"] = json!(b64(&sig));
            v["hpcId"] = json!(i.card_id);
            v["hpcIdNo"] = json!(i.id_no);
        } else {
            v["signature"] = json!(b64(&self.sam_sign(&data).await?));
        }
        Ok(v)
    }

    fn hc_pin(&mut self, op: Op, body: &Value) -> OpResult {
        if self.state.hc_kind == Some(HcKind::Virtual) {
            return if self.m(Mutant::VirtualPinAllowed) {
                Ok(json!({}))
            } else {
                Err(Fail::code(S::VirtualNoPin))
            };
        }
        let st = self.card(Kind::Hc, &[0, 0xCA, 0x16, 0, 0])?;
        let (status, tries) = match data_of(&st) {
            [s, t] => (*s, *t),
            _ => return Err(Fail::new(S::HcMode2, "PIN status unreadable")),
        };
        let (set, verified, blocked) = (status != 0, status == 2, status == 3);
        match op {
            Op::HcPinStatus => Ok(
                json!({ "pinSet": set, "pinVerified": verified, "pinBlocked": blocked, "triesLeft": tries }),
            ),
            Op::HcPinVerify => {
                let pin = Self::str_field(body, "pin")?;
                check_pin(pin)?;
                if !set {
                    return Err(Fail::code(S::HcNoPinSet));
                }
                if verified {
                    return Err(Fail::code(S::HcPinAlreadyVerified));
                }
                let r = self.card(Kind::Hc, &apdu::build(0, 0x20, 0, 1, pin.as_bytes(), None))?;
                match sw_of(&r) {
                    0x9000 => Ok(json!({})),
                    0x6983 => Err(Fail::new(S::HcPinFailed, "HC PIN blocked")),
                    sw => Err(Fail::new(
                        S::HcPinFailed,
                        format!("wrong HC PIN, {} tries left", sw & 0xF),
                    )),
                }
            }
            Op::HcPinSet => {
                let pin = Self::str_field(body, "pin")?;
                check_pin(pin)?;
                if set && !verified {
                    return Err(Fail::code(S::HcPinNotVerified));
                }
                let r = self.card(Kind::Hc, &apdu::build(0, 0x24, 0, 1, pin.as_bytes(), None))?;
                match sw_of(&r) {
                    0x9000 => Ok(json!({})),
                    sw => Err(Fail::new(
                        S::HcPinFailed,
                        format!("card refused the PIN ({sw:04X})"),
                    )),
                }
            }
            _ => {
                if !set {
                    return Err(Fail::code(S::HcNoPinSet));
                }
                if !verified {
                    return Err(Fail::code(S::HcPinNotVerified));
                }
                let r = self.card(Kind::Hc, &[0, 0x26, 0, 1])?;
                if sw_of(&r) != 0x9000 {
                    return Err(Fail::new(
                        S::HcPinDisableFailed,
                        format!("card answered {:04X}", sw_of(&r)),
                    ));
                }
                Ok(json!({}))
            }
        }
    }

    // ---------- status and settings (outside the mode table) ----------

    /// `Status`: modes and names.
    pub fn status(&mut self) -> Value {
        self.refresh();
        let s = self.state;
        let kind = |k: Option<String>| k.map_or(Value::Null, Value::String);
        let pin = if s.hc_kind == Some(HcKind::Physical) {
            self.card(Kind::Hc, &[0, 0xCA, 0x16, 0, 0])
                .ok()
                .map(|r| data_of(&r).first().copied().unwrap_or(0))
        } else {
            None
        };
        json!({
            "initialized": s.initialized,
            "deviceName": self.device_name(),
            "readerName": self.reader_of(Kind::Hc).or_else(|| self.reader_of(Kind::Hpc)).unwrap_or_default(),
            "sam": { "kind": kind(s.sam_kind.map(|k| format!("{k:?}"))), "mode": s.sam },
            "hpc": { "kind": kind(s.hpc_kind.map(|k| format!("{k:?}"))), "mode": s.hpc },
            "hc": { "kind": kind(s.hc_kind.map(|k| format!("{k:?}"))), "mode": s.hc },
            "hcPinSet": pin.map(|p| p != 0),
            "hcPinVerified": pin.map(|p| p == 2),
        })
    }

    /// Reader names.
    pub fn readers(&self) -> Result<Vec<String>, Fail> {
        self.transport.readers().map_err(transport_fail)
    }

    /// `PcscReaderReader/SetDefault`.
    pub fn set_default_reader(&mut self, name: &str) -> OpResult {
        if !self.m(Mutant::DefaultReaderUnchecked) && !self.readers()?.iter().any(|r| r == name) {
            return Err(Fail::new(
                S::ReaderNameNotFound,
                format!("no PC/SC reader named {name:?}"),
            ));
        }
        self.store.settings.default_reader = Some(name.to_string());
        self.store.save().map_err(|e| Fail::new(S::PcscOther, e))?;
        Ok(json!({ "readerName": name }))
    }

    /// `PcscReaderReader/GetDefault`.
    pub fn get_default_reader(&self) -> OpResult {
        match &self.store.settings.default_reader {
            None => Err(Fail::code(S::NoReaderInUse)),
            Some(d) if !self.readers()?.contains(d) => Err(Fail::new(
                S::NoDefaultReader,
                format!("default reader {d:?} is not connected"),
            )),
            Some(d) => Ok(json!({ "readerName": d })),
        }
    }

    /// `PcscReaderReader/AutoDetect`: the first reader holding an HC or HPC.
    pub fn autodetect_reader(&mut self) -> OpResult {
        self.refresh();
        let found = self
            .bound
            .iter()
            .find(|(_, b)| matches!(b.kind, Kind::Hc | Kind::Hpc))
            .map(|(n, _)| n.clone());
        match found {
            Some(n) => self.set_default_reader(&n),
            None => Err(Fail::new(
                S::AutodetectFailed,
                "no reader holds an HC or HPC",
            )),
        }
    }

    /// `PcscReaderReader/RemoveDefault`.
    pub fn remove_default_reader(&mut self) -> OpResult {
        self.store.settings.default_reader = None;
        self.store.save().map_err(|e| Fail::new(S::PcscOther, e))?;
        Ok(json!({}))
    }

    /// `CloudSam/Add {fileName, content}`.
    pub fn cloud_sam_add(&mut self, body: &Value) -> OpResult {
        let name = Self::str_field(body, "fileName")?;
        let content = Self::str_field(body, "content")?;
        let bad = |why: &str| Fail::new(S::CloudSamFileFormat, why.to_string());
        let stem = name.strip_suffix(".SAM");
        // Bytes, not `str` slices: a multibyte character across byte 10 must be refused, not panic.
        let name_ok = stem.map(str::as_bytes).is_some_and(|s| {
            s.len() == 22
                && s[..10]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                && s[10..].iter().all(u8::is_ascii_digit)
        });
        if !name_ok && !self.m(Mutant::CloudSamNameUnchecked) {
            return Err(bad("file name must be hospitalId(10) + samId(12) + .SAM"));
        }
        let (b, _mac) = content
            .trim()
            .split_once('.')
            .ok_or_else(|| bad("not a cloud SAM file"))?;
        let json_bytes = B64.decode(b).map_err(|_| bad("not a cloud SAM file"))?;
        let v: Value =
            serde_json::from_slice(&json_bytes).map_err(|_| bad("not a cloud SAM file"))?;
        let f = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| bad(&format!("field {k} missing")))
        };
        let sam = CloudSam {
            sam_id: f("samId")?,
            hospital_id: f("hospitalId")?,
            hospital_name: f("hospitalName")?,
            hospital_short_name: f("hospitalShortName")?,
            secret: f("secret")?,
        };
        if name_ok && stem != Some(&format!("{}{}", sam.hospital_id, sam.sam_id)) {
            return Err(bad(
                "file name does not match the file's hospitalId and samId",
            ));
        }
        self.store.cloud_sams.retain(|c| c.sam_id != sam.sam_id);
        self.store.cloud_sams.push(sam.clone());
        self.store
            .save()
            .map_err(|e| Fail::new(S::DcUndefined, e))?;
        Ok(json!({ "samId": sam.sam_id, "hospitalId": sam.hospital_id }))
    }

    /// `CloudSam/Get`.
    pub fn cloud_sam_list(&self) -> Value {
        let list: Vec<Value> = self
            .store
            .cloud_sams
            .iter()
            .map(|c| json!({ "samId": c.sam_id, "hospitalId": c.hospital_id, "hospitalName": c.hospital_name, "hospitalShortName": c.hospital_short_name }))
            .collect();
        json!({ "cloudSams": list, "storeError": self.store.store_error })
    }

    /// `CloudSam/Remove {samId}`.
    pub fn cloud_sam_remove(&mut self, sam_id: &str) -> OpResult {
        let before = self.store.cloud_sams.len();
        self.store.cloud_sams.retain(|c| c.sam_id != sam_id);
        if before == self.store.cloud_sams.len() {
            return Err(Fail::new(
                S::CloudSamNotFound,
                format!("no cloud SAM {sam_id}"),
            ));
        }
        self.store
            .save()
            .map_err(|e| Fail::new(S::DcUndefined, e))?;
        Ok(json!({}))
    }

    /// The DC client (for the reader-time fallback and tests).
    pub fn dc(&self) -> &DcClient {
        &self.dc
    }
}
