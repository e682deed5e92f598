//! The device behind the Web API: readers, SAM, HPC and HC under the mode rules of seed 004
//! (taken from `nhi_protocol::mode`), talking to cards through a [`Transport`] and to the
//! DC over HTTPS. This file is the mode gate and the dispatch of operations to handlers:
//! the SAM in [`sam`], the HPC in [`hpc`], the HC in [`hc`], status and reader settings
//! in [`status`]; reader binding in [`readers`].

mod hc;
mod hc_areas;
mod hpc;
mod readers;
mod sam;
mod status;

use crate::dc_client::DcClient;
use crate::error::{reply, Fail, OpResult};
use crate::mutants::{Gate, Mutants};
use crate::settings::{CloudSam, Store};
use crate::transport::{Transport, TransportError};
use nhi_protocol::api::reply::{Empty, VersionReply, VirtualHcBasicReply};
use nhi_protocol::mode::{self, Operation as Op, Outcome, SamKind, State};
use nhi_protocol::StatusCode;
use rand::RngCore;
use readers::BoundCard;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

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
#[derive(Debug, Clone)]
struct HpcInfo {
    card_id: String,
    id_no: String,
    name: String,
    name_en: String,
}

/// The verified virtual HC.
#[derive(Debug, Clone)]
struct VirtualHc {
    basic: VirtualHcBasicReply,
    card_id: String,
    id_no: String,
    serial: u64,
    /// PIN set and app-authorised, as the DC said at verification (None: an imported card,
    /// whose PIN status no DC reply gave).
    pin: Option<(bool, bool)>,
}

/// The device behind the Web API.
pub struct Device {
    transport: Arc<dyn Transport>,
    dc: DcClient,
    mutants: Mutants,
    /// Mode state (nhi-protocol's model).
    pub state: State,
    bound: BTreeMap<String, BoundCard>,
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

/// `Version`'s `fileVersion`: seed 004 shows 「檔案版本編號 (FileVersion): 1.2.0.1」, the
/// 4-part file version of the executable (「目前元件執行檔的版本編號」). Ours is the crate's
/// major.minor.patch plus a fourth part 0 (no build number is kept; the seed does not say
/// what its fourth part counts).
pub const FILE_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION_MAJOR"),
    ".",
    env!("CARGO_PKG_VERSION_MINOR"),
    ".",
    env!("CARGO_PKG_VERSION_PATCH"),
    ".0"
);

/// Checks a PIN's shape: digits only (1704) of 6–8 characters (1705).
pub fn check_pin(pin: &str) -> Result<(), Fail> {
    if pin.is_empty() || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Fail::new(StatusCode::ParamFormat1, "PIN must be digits"));
    }
    if !(6..=8).contains(&pin.len()) {
        return Err(Fail::new(
            StatusCode::ParamFormat2,
            "PIN must be 6 to 8 digits",
        ));
    }
    Ok(())
}

/// Checks a service type: two digits (1705 wrong length, 1704 otherwise).
pub fn check_service_type(t: &str) -> Result<(), Fail> {
    if t.len() != 2 {
        return Err(Fail::new(
            StatusCode::ParamFormat2,
            "serviceType must be 2 characters",
        ));
    }
    if !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Fail::new(
            StatusCode::ParamFormat1,
            "serviceType must be letters or digits",
        ));
    }
    Ok(())
}

/// 8 fresh random bytes (the client random of a signature).
fn random8() -> [u8; 8] {
    let mut r = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut r);
    r
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

    /// Is this planted fault on? (Hooks that must sit inside a procedure.)
    fn mutant_on(&self, m: crate::mutants::Mutant) -> bool {
        self.mutants.on(m)
    }

    // ---------- the mode gate ----------

    /// The mode rules before `op`: refuse, or run the automatic steps. `Ok(false)` means
    /// answer 0000 without running the operation.
    async fn begin(&mut self, op: Op) -> Result<bool, Fail> {
        self.refresh();
        let steps = match self.mutants.precheck(&self.state, op) {
            Gate::Steps(s) => s,
            Gate::Refuse(c) => return Err(Fail::code(c)),
            Gate::Succeed => return Ok(false),
            Gate::VerifySamFirst => {
                self.sam_verify_inner().await?;
                self.state.sam = 2;
                mode::precheck(&self.state, op).map_err(Fail::code)?
            }
        };
        for step in steps {
            match step {
                mode::AutoStep::CloudSamVerify => self.sam_verify_inner().await.map_err(|f| {
                    if f.code == StatusCode::DcConnection
                        || f.code.code().starts_with("13")
                        || f.code.code().starts_with("17")
                    {
                        f
                    } else {
                        Fail::new(StatusCode::SamMode2, f.message)
                    }
                })?,
                mode::AutoStep::HpcAuthenticate => self.hpc_authenticate()?,
                mode::AutoStep::HcAuthenticate => self.hc_authenticate()?,
            }
            self.state = mode::apply_step(&self.state, step);
        }
        Ok(true)
    }

    /// The mode rules after `op`.
    fn end(&mut self, op: Op, r: &OpResult) {
        if let Some(s) = self.mutants.transition(&self.state, op, r.is_ok()) {
            self.state = s;
            return;
        }
        let outcome = match r {
            Ok(_) => Outcome::Success,
            Err(f) => Outcome::Failure(f.code),
        };
        let kind = self.sam.as_ref().map(|s| match s {
            SamUse::Physical { .. } => SamKind::Physical,
            SamUse::Cloud(_) => SamKind::Cloud,
        });
        self.state = mode::transition(&self.state, op, outcome, kind);
    }

    /// Runs an operation under the mode rules.
    pub async fn run(&mut self, op: Op, body: &Value) -> OpResult {
        self.run_checked(op, body)
            .await
            .map_err(|f| self.why_no_card(f))
    }

    async fn run_checked(&mut self, op: Op, body: &Value) -> OpResult {
        if !self.begin(op).await? {
            return reply(&Empty {});
        }
        let mut r = self.exec(op, body).await;
        if matches!(&r, Err(f) if f.code == StatusCode::DcSession)
            && matches!(self.sam, Some(SamUse::Cloud(_)))
            && op != Op::SamVerify
        {
            // A cloud SAM is verified automatically (seed 004): renew the DC session once.
            if self.sam_verify_inner().await.is_ok() {
                r = self.exec(op, body).await;
            }
        }
        let r = self.mutants.after_exec(op, self.state.hc_kind, r);
        self.end(op, &r);
        r
    }

    /// One operation, the mode rules passed.
    async fn exec(&mut self, op: Op, body: &Value) -> OpResult {
        match op {
            Op::Initial => self.initial(body).await,
            Op::Finalize => {
                self.sam = None;
                self.sam_session = None;
                self.hca_session = None;
                self.virtual_hc = None;
                self.hpc_info = None;
                self.bound.clear();
                reply(&Empty {})
            }
            Op::Version => reply(&VersionReply {
                file_version: FILE_VERSION.into(),
                long_version: "6000".into(),
                short_version: "60".into(),
                // Informational only: a path that cannot be told is reported as empty.
                location: std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            }),
            Op::ReaderTime => self.reader_time().await,
            Op::SamVerify => self.sam_verify().await,
            Op::SamLogout => self.sam_logout(),
            Op::SamBasic => self.sam_basic(),
            Op::SamSignature => self.sam_signature(body).await,
            Op::HpcVerifyPin => self.hpc_verify_pin(body).await,
            Op::HpcLogout => reply(&Empty {}),
            Op::MobileHcaVerify => self.mobile_hca_verify(body).await,
            Op::MobileHcaLogout => self.mobile_hca_logout().await,
            Op::HpcBasic => self.hpc_basic(),
            Op::HpcSignature => self.hpc_signature(body).await,
            Op::HpcSetPin => self.hpc_set_pin(body),
            Op::HpcResetPin => self.hpc_reset_pin(body),
            Op::HcVirtualVerify => self.hc_virtual_verify(body).await,
            Op::HcVirtualReadBasic => self.hc_virtual_read_basic(body).await,
            Op::HcLogout => {
                self.virtual_hc = None;
                reply(&Empty {})
            }
            Op::HcBasic => self.hc_basic(),
            Op::HcSignature => self.hc_signature(body, false).await,
            Op::HpcHcSignature => self.hc_signature(body, true).await,
            Op::HcPinStatus | Op::HcPinVerify | Op::HcPinSet | Op::HcPinClear => {
                self.hc_pin(op, body)
            }
            Op::HcTransferExport => self.hc_transfer_export().await,
            Op::HcTransferImport => self.hc_transfer_import(body).await,
            Op::HcMarkerUpdate => self.hc_marker_update().await,
            Op::InsertHc | Op::RemoveHc | Op::InsertHpc | Op::RemoveHpc => reply(&Empty {}),
        }
    }

    /// The DC session of the verified SAM (1301 without one).
    fn sam_session(&self) -> Result<String, Fail> {
        self.sam_session
            .clone()
            .ok_or_else(|| Fail::code(StatusCode::SamMode2))
    }

    /// The DC client (for the reader-time fallback and tests).
    pub fn dc(&self) -> &DcClient {
        &self.dc
    }
}
