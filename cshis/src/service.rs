//! The legacy functions in safe Rust: each one 6.0 Web API call or a few, answered with a
//! legacy code or the bytes of a legacy buffer. The session — which device `csOpenCom`
//! selected — lives here; `ffi` only moves bytes across the boundary.

use crate::client::{typed, CallError, Client};
use crate::codes::{self, from_sam_verify_status, from_status, Legacy, Target};
use crate::config::{self, Config};
use crate::layout::{self, HpcField};
use nhi_protocol::api::reply::{
    CloudSamListReply, DeviceKind, DevicesReply, HcBasicReply, HcPinStatusReply, HpcBasicReply,
    ReaderTimeReply, SamBasicReply, StatusReply,
};
use nhi_protocol::api::{path, Method};
use nhi_protocol::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Mutex;

/// An opened port: the service and the device behind the COM number.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) client: Client,
    /// The name `Initial` took: a cloud SAM id or a reader.
    device: String,
    /// The visit `hisGetSeqNumber256` numbered, until its treatment is written.
    pub(crate) visit: Option<crate::visit::NumberedVisit>,
}

static SESSION: Mutex<Option<Session>> = Mutex::new(None);

/// Result of a legacy function: a value, or the legacy code to return.
pub type LegacyResult<T> = Result<T, Legacy>;

pub(crate) fn call_error(e: CallError) -> Legacy {
    match e {
        CallError::Unreachable(_) => codes::READER_TIMEOUT,
        CallError::BadReply(_) => codes::BAD_REPLY,
    }
}

/// Bad settings: 3597, and the reason on stderr — the legacy API has no way to carry it,
/// and whoever set up `csHis.ini` reads it there (a console HIS, or a test).
fn config_error(why: String) -> Legacy {
    eprintln!("csHis: {why}");
    codes::CONFIG
}

/// A reply that does not fit its legacy layout: 3598, and which field on stderr.
pub(crate) fn layout_error(e: layout::LayoutError) -> Legacy {
    eprintln!("csHis: {e}");
    codes::BAD_REPLY
}

/// One call on the open session's card `target`: the typed reply on 0000, else the mapped
/// legacy code.
pub(crate) fn get<T: DeserializeOwned>(
    c: &Client,
    m: Method,
    p: &str,
    body: Option<Value>,
    target: Target,
) -> LegacyResult<T> {
    let (code, v) = c.call(m, p, body).map_err(call_error)?;
    if !code.is_success() {
        return Err(from_status(code, target));
    }
    typed(v).map_err(call_error)
}

/// Runs `f` with the open session; before `csOpenCom`, 4000 (the port is not open).
pub(crate) fn with_session<T>(f: impl FnOnce(&mut Session) -> LegacyResult<T>) -> LegacyResult<T> {
    let mut guard = SESSION.lock().unwrap_or_else(|p| p.into_inner());
    match guard.as_mut() {
        Some(s) => f(s),
        None => Err(codes::READER_TIMEOUT),
    }
}

/// `COM<n+1>` for `csOpenCom(n)`: the SDK's sample says `0:COM1, 1:COM2, …`.
pub fn com_name(port: i32) -> LegacyResult<String> {
    let n = port
        .checked_add(1)
        .filter(|n| *n >= 1)
        .ok_or(codes::BAD_PARAMETER)?;
    Ok(format!("COM{n}"))
}

/// 1.31 `csOpenCom`: selects the device `csHis.ini` names for `COM<port+1>`, else the cloud
/// SAM whose Comport it is, else the reader of that name holding a SAM, and initialises the
/// service with it.
pub fn open(port: i32, dirs: &[PathBuf]) -> LegacyResult<()> {
    let com = com_name(port)?;
    let cfg: Config = config::load(dirs).map_err(config_error)?;
    let client = Client::new(&cfg).map_err(config_error)?;
    let device = match cfg.ports.get(&com) {
        Some(name) => name.clone(),
        None => find_device(&client, &com)?,
    };
    let status: StatusReply = get(&client, Method::Get, path::STATUS, None, Target::Sam)?;
    if status.initialized && status.device_name != device {
        let (code, _) = client
            .call(Method::Post, path::FINALIZE, Some(json!({})))
            .map_err(call_error)?;
        if !code.is_success() {
            return Err(from_status(code, Target::Sam));
        }
    }
    if !(status.initialized && status.device_name == device) {
        let (code, _) = client
            .call(
                Method::Post,
                path::INITIAL,
                Some(json!({ "deviceName": device })),
            )
            .map_err(call_error)?;
        if !code.is_success() {
            return Err(from_status(code, Target::Sam));
        }
    }
    *SESSION.lock().unwrap_or_else(|p| p.into_inner()) = Some(Session {
        client,
        device,
        visit: None,
    });
    Ok(())
}

fn find_device(c: &Client, com: &str) -> LegacyResult<String> {
    let sams: CloudSamListReply = get(c, Method::Get, path::CLOUD_SAM_GET, None, Target::Sam)?;
    if let Some(s) = sams.cloud_sams.iter().find(|s| {
        s.comport
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(com))
    }) {
        return Ok(s.sam_id.clone());
    }
    let devices: DevicesReply = get(c, Method::Get, path::DEVICES, None, Target::Sam)?;
    devices
        .devices
        .into_iter()
        .find(|d| d.kind == DeviceKind::Physical && d.device_name.eq_ignore_ascii_case(com))
        .map(|d| d.device_name)
        // No device on that port: the real component cannot open it either.
        .ok_or(codes::READER_TIMEOUT)
}

/// 1.32 `csCloseCom`: forgets the port. The 6.0 service stays initialised: other programs
/// (a browser page, another HIS window) may be using it.
pub fn close() -> LegacyResult<()> {
    SESSION.lock().unwrap_or_else(|p| p.into_inner()).take();
    Ok(())
}

/// 2.1 `csVerifySAMDC`.
pub fn verify_sam() -> LegacyResult<()> {
    with_session(|s| {
        let (code, _) = s
            .client
            .call(Method::Post, path::SAM_VERIFY, Some(json!({})))
            .map_err(call_error)?;
        if code.is_success() {
            Ok(())
        } else {
            Err(from_sam_verify_status(code))
        }
    })
}

pub(crate) fn hc_basic(s: &Session) -> LegacyResult<HcBasicReply> {
    get(&s.client, Method::Get, path::HC_BASIC, None, Target::Hc)
}

/// 1.1 `hisGetBasicData`: 72 bytes.
pub fn basic_data() -> LegacyResult<Vec<u8>> {
    with_session(|s| layout::basic_data(&hc_basic(s)?).map_err(layout_error))
}

/// 1.2 `hisGetRegisterBasic`: 78 bytes (basic data and the insurance area).
pub fn register_basic() -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        let hc = hc_basic(s)?;
        let ins = crate::visit::insurance_if_readable(s)?;
        layout::register_basic(&hc, ins.as_ref()).map_err(layout_error)
    })
}

/// 2.2 `csGetHospID`: the SAM's hospital id, 10 bytes.
pub fn hospital_id() -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        let r: SamBasicReply = get(&s.client, Method::Get, path::SAM_BASIC, None, Target::Sam)?;
        layout::fixed("hospital id", &r.hospital_id, 10).map_err(layout_error)
    })
}

/// 1.34 `csGetDateTime`: ROC `YYYMMDDhhmmss`, 13 bytes.
pub fn date_time() -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        let r: ReaderTimeReply = get(&s.client, Method::Get, path::READER_TIME, None, Target::Sam)?;
        layout::fixed("date-time", &r.server_date_time, 13).map_err(layout_error)
    })
}

pub(crate) fn hpc_basic(s: &Session) -> LegacyResult<HpcBasicReply> {
    get(&s.client, Method::Get, path::HPC_BASIC, None, Target::Hpc)
}

/// 1.35 `csGetCardNo`: 1 SAM id, 2 HC card number (12 bytes each), 3 HPC card id.
pub fn card_no(card_type: i16) -> LegacyResult<Vec<u8>> {
    with_session(|s| match card_type {
        1 => {
            let r: SamBasicReply = get(&s.client, Method::Get, path::SAM_BASIC, None, Target::Sam)?;
            layout::fixed("SAM id", &r.sam_id, 12).map_err(layout_error)
        }
        2 => layout::fixed("card number", &hc_basic(s)?.card_id, 12).map_err(layout_error),
        3 => layout::hpc_field(&hpc_basic(s)?, HpcField::SerialNo).map_err(layout_error),
        _ => Err(codes::BAD_PARAMETER),
    })
}

/// 4.5–4.8 `hpcGetHPCSN`, `…SSN`, `…CNAME`, `…ENAME`.
pub fn hpc(field: HpcField) -> LegacyResult<Vec<u8>> {
    with_session(|s| layout::hpc_field(&hpc_basic(s)?, field).map_err(layout_error))
}

/// The 6.0 status (`Status` answers in any mode).
fn status(s: &Session) -> LegacyResult<StatusReply> {
    get(&s.client, Method::Get, path::STATUS, None, Target::Sam)
}

/// 1.15 `hisGetCardStatus(CardType)`: the mode of the SAM (1), HC (2) or HPC (3) — 0 none,
/// 1 present, 2 verified, 3 (HPC) PIN verified: the legacy status values are the same
/// steps the 6.0 mode model names.
pub fn card_status(card_type: i16) -> LegacyResult<i32> {
    with_session(|s| {
        let st = status(s)?;
        let mode = match card_type {
            1 => st.sam.mode,
            2 => st.hc.mode,
            3 => st.hpc.mode,
            _ => return Err(codes::BAD_PARAMETER),
        };
        Ok(i32::from(mode))
    })
}

/// 4.1 `hpcGetHPCStatus`: the HPC's mode, as [`card_status`] gives it.
pub fn hpc_status() -> LegacyResult<i16> {
    with_session(|s| Ok(i16::from(status(s)?.hpc.mode)))
}

/// 1.36 `csISSetPIN`: 1 when the HC has a PIN set, 0 when not.
pub fn is_pin_set() -> LegacyResult<i32> {
    with_session(|s| {
        let r: HcPinStatusReply = get(&s.client, Method::Get, path::HC_PIN, None, Target::Hc)?;
        Ok(i32::from(r.pin_set))
    })
}

/// A call whose success has no fields: 0000 → 0, else the mapped code.
pub(crate) fn plain(s: &Session, m: Method, p: &str, target: Target) -> LegacyResult<()> {
    let body = matches!(m, Method::Post | Method::Put).then(|| json!({}));
    let (code, _) = s.client.call(m, p, body).map_err(call_error)?;
    if code.is_success() {
        Ok(())
    } else {
        Err(from_status(code, target))
    }
}

/// 1.27 `csVerifyHCPIN`: `POST Hc/Pin` without a PIN: the middleware asks the HC
/// reader's pad (a service or reader without a pad refuses the body: 1704 → 6018; cancel,
/// time-out or a wrong PIN on the pad: 1514 → 5102).
pub fn verify_hc_pin_on_pad() -> LegacyResult<()> {
    with_session(|s| plain(s, Method::Post, path::HC_PIN, Target::Hc))
}

/// 1.28 `csInputHCPIN`: `PUT Hc/Pin` without a PIN: the new HC PIN typed twice on the HC
/// reader's pad (a PIN already set must be verified first: 1511 → 5105; without a pad 1704
/// → 6018; a confirmation that differs, cancel or time-out 1514 → 5102).
pub fn set_hc_pin_on_pad() -> LegacyResult<()> {
    with_session(|s| plain(s, Method::Put, path::HC_PIN, Target::Hc))
}

/// 4.2 `hpcVerifyHPCPIN`: `POST Verification/Hpc` without a PIN: the middleware asks the
/// HPC reader's pad (cancel or time-out on the pad: 1410 → 5102).
pub fn verify_hpc_pin_on_pad() -> LegacyResult<()> {
    with_session(|s| plain(s, Method::Post, path::HPC_VERIFY, Target::Hpc))
}

/// 4.3 `hpcInputHPCPIN`: `POST Hpc/Pin` without a new PIN: the middleware has it typed
/// twice on the HPC reader's pad (the current PIN is the one verified before: HPC mode 3,
/// else 4042); without a pad 1704 → 6018.
pub fn change_hpc_pin_on_pad() -> LegacyResult<()> {
    with_session(|s| plain(s, Method::Post, path::HPC_PIN, Target::Hpc))
}

/// 4.4 `hpcUnlockHPC`: `PUT Hpc/Pin` without PUK and new PIN: the middleware has the PUK
/// and then the new PIN twice typed on the HPC reader's pad (without a pad 1704 → 6018; a
/// wrong PUK, a confirmation that differs, cancel or time-out 1410 → 5102).
pub fn unlock_hpc_on_pad() -> LegacyResult<()> {
    with_session(|s| plain(s, Method::Put, path::HPC_PIN, Target::Hpc))
}

/// 1.29 `csDisableHCPIN`.
pub fn disable_hc_pin() -> LegacyResult<()> {
    with_session(|s| plain(s, Method::Delete, path::HC_PIN, Target::Hc))
}

/// 1.30 `csUpdateHCContents`, 1.40 `csUpdateHCNoReset`: the 6.0 marker update.
pub fn update_hc() -> LegacyResult<()> {
    with_session(|s| plain(s, Method::Post, path::HC_MARKER, Target::Hc))
}

/// 1.52 `csSoftwareReset(iType)`: 0 reader (re-initialise the device), 1 SAM, 2 HPC, 3 HC
/// (log the card out).
pub fn software_reset(kind: i32) -> LegacyResult<()> {
    with_session(|s| match kind {
        0 => {
            plain(s, Method::Post, path::FINALIZE, Target::Sam)?;
            let (code, _) = s
                .client
                .call(
                    Method::Post,
                    path::INITIAL,
                    Some(json!({ "deviceName": s.device })),
                )
                .map_err(call_error)?;
            match code {
                StatusCode::Success => Ok(()),
                other => Err(from_status(other, Target::Sam)),
            }
        }
        1 => plain(s, Method::Delete, path::SAM_LOGOUT, Target::Sam),
        2 => plain(s, Method::Delete, path::HPC_LOGOUT, Target::Hpc),
        3 => plain(s, Method::Delete, path::HC_LOGOUT, Target::Hc),
        _ => Err(codes::BAD_PARAMETER),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn com_numbers_are_zero_based() {
        assert_eq!(com_name(0), Ok("COM1".into()));
        assert_eq!(com_name(4), Ok("COM5".into()));
        assert_eq!(com_name(-1), Err(codes::BAD_PARAMETER));
        assert_eq!(com_name(i32::MAX), Err(codes::BAD_PARAMETER));
    }
}
