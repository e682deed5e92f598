//! The visit's exports: sequence number, treatment and prescription writes, the reads of
//! what was written, and the PIN functions that go to the reader's pad. Every pointer goes
//! through `super`'s checked helpers.

use super::{c_bytes, c_str, code, get_short, guard, in_bytes, put_fixed, rc};
use super::{with_buffer, with_buffer_of};
use super::{Buf, Len, Str};
use crate::codes::{self, Legacy};
use crate::service;
use crate::visit as v;
use crate::visit_layout::{
    MAX_PRESCRIPTIONS, PRESCRIPTION_LEN, PRESCRIPTION_SIGNATURE_LEN, SEQ256_LEN, SEQ_OLD_LEN,
};
use nhi_protocol::apdu::hc_items::ItemKind;

/// Widest `pDateTime`, `pPatientID`, `pPatientBirthDate` accepted: the manual's 14, 11 and
/// 8 bytes with their NUL, and VB's fixed-length strings that pad them with spaces.
const ID_FIELD_MAX: usize = 16;
/// Widest `hisWriteTreatmentCode` `pDataWrite` (54 bytes in the manual, space-padded).
const TREATMENT_DATA_MAX: usize = 256;
/// `pBufferDocID`: "at least 11 bytes" (ID number 10 and a NUL).
const DOC_ID_MIN: usize = 11;

/// `pDateTime`, `pPatientID` or `pPatientBirthDate`, its padding trimmed.
pub(super) fn id_field(p: Str) -> Result<String, Legacy> {
    Ok(c_str(p, ID_FIELD_MAX)?.trim().to_string())
}

/// 1.37 取得就醫序號新版 (296 bytes). `cTreatAfterCheck` is one character (the manual
/// does not promise a NUL after it): exactly one byte is read.
#[no_mangle]
pub extern "system" fn hisGetSeqNumber256(
    treat_item: Str,
    baby_treat: Str,
    after_check: Str,
    buf: Buf,
    len: Len,
) -> i32 {
    guard(|| {
        let inputs = (|| {
            let item = c_str(treat_item, 2)?;
            let baby = c_str(baby_treat, 1)?;
            let after =
                String::from_utf8(in_bytes(after_check, 1)?).map_err(|_| codes::BAD_PARAMETER)?;
            Ok::<_, Legacy>((item, baby, after))
        })();
        let (item, baby, after) = match inputs {
            Ok(i) => i,
            Err(Legacy(c)) => return c,
        };
        with_buffer_of(buf, len, SEQ256_LEN, || {
            v::seq_number_256(&item, &baby, &after)
        })
    })
}

/// 1.9 取得就醫序號 (the older form, 167 bytes): as 1.37 for a normal visit (補卡註記 1).
#[no_mangle]
pub extern "system" fn hisGetSeqNumber(
    treat_item: Str,
    baby_treat: Str,
    buf: Buf,
    len: Len,
) -> i32 {
    guard(|| {
        let inputs = (|| Ok::<_, Legacy>((c_str(treat_item, 2)?, c_str(baby_treat, 1)?)))();
        match inputs {
            Ok((item, baby)) => with_buffer_of(buf, len, SEQ_OLD_LEN, || {
                v::seq_number(&item, &baby, "1", v::SeqReply::Old)
            }),
            Err(Legacy(c)) => c,
        }
    })
}

/// 1.16 就醫診療資料寫入作業: writes the visit numbered by `hisGetSeqNumber256`;
/// `pBufferDocID` gets the HPC holder's ID number and a NUL (a lone NUL without an HPC).
#[no_mangle]
pub extern "system" fn hisWriteTreatmentCode(
    date_time: Str,
    id: Str,
    birth: Str,
    data: Str,
    doc_id: Buf,
) -> i32 {
    guard(|| treatment(date_time, id, birth, data, doc_id, v::write_treatment_code))
}

/// 1.47 就醫診療資料及費用寫入作業: as 1.16 with the visit's amounts after the diagnoses.
#[no_mangle]
pub extern "system" fn hisWriteTreatmentData(
    date_time: Str,
    id: Str,
    birth: Str,
    data: Str,
    doc_id: Buf,
) -> i32 {
    guard(|| treatment(date_time, id, birth, data, doc_id, v::write_treatment_data))
}

/// `visit::write_treatment_code` or `…_data`: (date-time, ID, birthday, data) → `pBufferDocID`.
type TreatmentWrite = fn(&str, &str, &str, &[u8]) -> Result<Vec<u8>, Legacy>;

/// The treatment writes' common boundary: inputs checked, `pBufferDocID` filled.
fn treatment(
    date_time: Str,
    id: Str,
    birth: Str,
    data: Str,
    doc_id: Buf,
    write: TreatmentWrite,
) -> i32 {
    rc((|| {
        if doc_id.is_null() {
            return Err(codes::BAD_PARAMETER);
        }
        let (t, i, b) = (id_field(date_time)?, id_field(id)?, id_field(birth)?);
        let d = c_bytes(data, TREATMENT_DATA_MAX)?;
        let doc = write(&t, &i, &b, &d)?;
        Ok(put_fixed(doc_id, &doc, DOC_ID_MIN))
    })())
}

/// The prescription writes' inputs: date-time, ID, birthday, `n` × 61 bytes.
type RxInputs = (String, String, String, Vec<u8>, usize);

fn prescription_inputs(
    date_time: Str,
    id: Str,
    birth: Str,
    data: Str,
    count: i16,
) -> Result<RxInputs, Legacy> {
    let n = match usize::try_from(count) {
        Ok(n) if (1..=MAX_PRESCRIPTIONS).contains(&n) => n,
        _ => return Err(codes::BAD_PARAMETER),
    };
    let (t, i, b) = (id_field(date_time)?, id_field(id)?, id_field(birth)?);
    let d = in_bytes(data, n * PRESCRIPTION_LEN)?;
    Ok((t, i, b, d, n))
}

fn prescriptions_signed(
    date_time: Str,
    id: Str,
    birth: Str,
    data: Str,
    count: i16,
    buf: Buf,
    len: Len,
) -> i32 {
    match prescription_inputs(date_time, id, birth, data, count) {
        Ok((t, i, b, d, n)) => with_buffer_of(buf, len, n * PRESCRIPTION_SIGNATURE_LEN, || {
            v::write_prescriptions(&t, &i, &b, &d, n, v::Signed::Yes)
        }),
        Err(Legacy(c)) => c,
    }
}

/// Writes `count` prescriptions without signatures (1.18, 1.45).
fn prescriptions_unsigned(date_time: Str, id: Str, birth: Str, data: Str, count: i16) -> i32 {
    rc((|| {
        let (t, i, b, d, n) = prescription_inputs(date_time, id, birth, data, count)?;
        v::write_prescriptions(&t, &i, &b, &d, n, v::Signed::No)?;
        Ok(codes::OK.0)
    })())
}

/// 1.18 處方箋寫入作業: one 61-byte prescription, no signature.
#[no_mangle]
pub extern "system" fn hisWritePrescription(date_time: Str, id: Str, birth: Str, data: Str) -> i32 {
    guard(|| prescriptions_unsigned(date_time, id, birth, data, 1))
}

/// 1.45 多筆處方箋寫入作業: as 1.49 without the signatures.
#[no_mangle]
pub extern "system" fn hisWriteMultiPrescript(
    date_time: Str,
    id: Str,
    birth: Str,
    data: Str,
    count: Len,
) -> i32 {
    guard(|| match get_short(count) {
        Ok(n) => prescriptions_unsigned(date_time, id, birth, data, n),
        Err(Legacy(c)) => c,
    })
}

/// 1.48 處方箋寫入作業-回傳簽章: one 61-byte prescription, one 40-byte signature.
#[no_mangle]
pub extern "system" fn hisWritePrescriptionSign(
    date_time: Str,
    id: Str,
    birth: Str,
    data: Str,
    buf: Buf,
    len: Len,
) -> i32 {
    guard(|| prescriptions_signed(date_time, id, birth, data, 1, buf, len))
}

/// 1.49 多筆處方箋寫入作業-回傳簽章: `*iWriteCount` prescriptions of 61 bytes, 40 bytes
/// of signature each.
#[no_mangle]
pub extern "system" fn hisWriteMultiPrescriptSign(
    date_time: Str,
    id: Str,
    birth: Str,
    data: Str,
    count: Len,
    buf: Buf,
    len: Len,
) -> i32 {
    guard(|| match get_short(count) {
        Ok(n) => prescriptions_signed(date_time, id, birth, data, n, buf, len),
        Err(Legacy(c)) => c,
    })
}

exports! {
    /// 1.38 掛號或報到時讀取有效卡期限及就醫次數資料 (9 bytes).
    fn hisGetRegisterBasic2(buf: Buf, len: Len) = with_buffer(buf, len, v::register_basic2);
    /// 1.14 讀取最近一次就醫序號 (17 bytes).
    fn hisGetLastSeqNum(buf: Buf, len: Len) = with_buffer(buf, len, v::last_seq_num);
    /// 1.27 驗證健保IC卡之PIN值: the PIN is typed on the reader's pad (no PIN in the body).
    fn csVerifyHCPIN() = code(service::verify_hc_pin_on_pad());
    /// 1.28 輸入新的健保IC卡PIN值: the new PIN is typed twice on the HC reader's pad.
    fn csInputHCPIN() = code(service::set_hc_pin_on_pad());
    /// 4.4 解開鎖住的醫事人員卡: the PUK, then the new PIN twice, typed on the HPC reader's pad.
    fn hpcUnlockHPC() = code(service::unlock_hpc_on_pad());
    /// 4.3 輸入新的醫事人員卡之PIN值: the new PIN is typed twice on the HPC reader's pad.
    fn hpcInputHPCPIN() = code(service::change_hpc_pin_on_pad());
    /// 4.2 檢查醫事人員卡之PIN值: the PIN is typed on the HPC reader's pad.
    fn hpcVerifyHPCPIN() = code(service::verify_hpc_pin_on_pad());
}

ranged_reads! {
    /// 1.41 讀取就醫資料-門診處方箋: records `start..=end` (1-based, in the order written),
    /// 61 bytes each; `*count` gets how many.
    ItemKind::OutpatientRx, PRESCRIPTION_LEN =>
    fn hisReadPrescriptMain(buf: Buf, len: Len, start: i32, end: i32, count: Len);
}
