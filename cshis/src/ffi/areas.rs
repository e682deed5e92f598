//! The data-area exports beyond the visit: critical illness, treatment records, the medical
//! area's record kinds, vaccinations, organ donation and their writes. Every pointer goes
//! through `super`'s checked helpers.

use super::visit::id_field;
use super::{c_bytes, c_str, get_short, guard, put_fixed, put_short, rc};
use super::{with_buffer, with_buffer_for};
use super::{Buf, Len, Str};
use crate::areas as a;
use crate::codes::{self, Legacy};
use crate::records as rec;
use crate::service::LegacyResult;
use crate::visit_layout::PRESCRIPTION_LEN;
use nhi_protocol::apdu::hc_items::ItemKind;

/// `pBufferDocID`: "at least 11 bytes" (ID number 10 and a NUL).
const DOC_ID_MIN: usize = 11;
/// Widest allergy name accepted: 40 bytes (the card's field), space-padded by VB.
const ALLERGY_MAX: usize = rec::ALLERGY_LEN;

exports! {
    /// 1.33 讀取重大傷病註記資料: 114 bytes, or 138 (ICD-10-CM) for a buffer that holds them.
    fn hisGetCriticalIllness(buf: Buf, len: Len) = with_buffer_for(buf, len, a::critical_illness);
    /// 1.8 讀取就醫資料需HPC卡的部份: 372 bytes, or 540 (ICD-10-CM).
    fn hisGetTreatmentNeedHPC(buf: Buf, len: Len) = with_buffer_for(buf, len, a::treatment_need_hpc);
    /// 1.5 讀取就醫資料不需HPC卡的部份: 498 bytes.
    fn hisGetTreatmentNoNeedHPC(buf: Buf, len: Len) = with_buffer(buf, len, a::treatment_no_need_hpc);
    /// 1.11 讀取預防接種資料: 40 × 35 bytes.
    fn hisGetInoculateData(buf: Buf, len: Len) = with_buffer(buf, len, a::vaccinations);
    /// 1.12 讀取器官捐贈資料: 1 byte.
    fn hisGetOrganDonate(buf: Buf, len: Len) = with_buffer(buf, len, a::organ_donation);
}

/// 1.50 讀取重大傷病註記資料身分比對: as 1.33 for the holder of that ID and birthday.
#[no_mangle]
pub extern "system" fn hisGetCriticalIllnessID(id: Str, birth: Str, buf: Buf, len: Len) -> i32 {
    guard(|| match (id_field(id), id_field(birth)) {
        (Ok(i), Ok(b)) => with_buffer_for(buf, len, |cap| a::critical_illness_id(&i, &b, cap)),
        (Err(Legacy(c)), _) | (_, Err(Legacy(c))) => c,
    })
}

ranged_reads! {
    /// 1.42 讀取就醫資料-長期處方箋: 44 bytes each.
    ItemKind::LongTermRx, rec::LONG_TERM_LEN =>
    fn hisReadPrescriptLongTerm(buf: Buf, len: Len, start: i32, end: i32, count: Len);
    /// 1.43 讀取就醫資料-重要醫令: 36 bytes each.
    ItemKind::ImportantOrder, rec::IMPORTANT_LEN =>
    fn hisReadPrescriptHVE(buf: Buf, len: Len, start: i32, end: i32, count: Len);
    /// 1.44 讀取就醫資料-過敏藥物: 40 bytes each.
    ItemKind::Allergy, rec::ALLERGY_LEN =>
    fn hisReadPrescriptAllergic(buf: Buf, len: Len, start: i32, end: i32, count: Len);
}

/// One of 1.10's four blocks: `slots` records of `width` bytes, the unused ones blank.
fn block(kind: ItemKind, width: usize, slots: usize) -> LegacyResult<Vec<u8>> {
    let last = i32::try_from(slots).map_err(|_| codes::BAD_PARAMETER)?;
    let (mut b, _) = a::read_medical(kind, width, 1, last)?;
    b.resize(width * slots, b' ');
    Ok(b)
}

/// 1.10 讀取處方箋作業: outpatient 60 × 61, long-term 30 × 44, important orders 10 × 36 and
/// allergies 3 × 40, each block padded with blanks. Every buffer is checked before any is
/// written: one too small gets 6018 and its length set to what it needs.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn hisReadPrescription(
    out_buf: Buf,
    out_len: Len,
    long_buf: Buf,
    long_len: Len,
    important_buf: Buf,
    important_len: Len,
    allergy_buf: Buf,
    allergy_len: Len,
) -> i32 {
    guard(|| {
        rc((|| {
            let blocks = [
                (
                    out_buf,
                    out_len,
                    ItemKind::OutpatientRx,
                    PRESCRIPTION_LEN,
                    60,
                ),
                (
                    long_buf,
                    long_len,
                    ItemKind::LongTermRx,
                    rec::LONG_TERM_LEN,
                    30,
                ),
                (
                    important_buf,
                    important_len,
                    ItemKind::ImportantOrder,
                    rec::IMPORTANT_LEN,
                    10,
                ),
                (
                    allergy_buf,
                    allergy_len,
                    ItemKind::Allergy,
                    rec::ALLERGY_LEN,
                    3,
                ),
            ];
            let mut too_small = false;
            for (b, l, _, width, slots) in blocks {
                if b.is_null() {
                    return Err(codes::BAD_PARAMETER);
                }
                let need = i16::try_from(width * slots).map_err(|_| codes::BAD_PARAMETER)?;
                if get_short(l)? < need {
                    put_short(l, need);
                    too_small = true;
                }
            }
            if too_small {
                return Err(codes::BAD_PARAMETER);
            }
            let mut data = Vec::with_capacity(blocks.len());
            for (_, _, kind, width, slots) in blocks {
                data.push(block(kind, width, slots)?);
            }
            for ((b, l, ..), d) in blocks.into_iter().zip(data) {
                let r = with_buffer(b, l, || Ok(d));
                if r != codes::OK.0 {
                    return Err(Legacy(r));
                }
            }
            Ok(codes::OK.0)
        })())
    })
}

/// 1.20 過敏藥物寫入作業: one drug allergy (its name, ≤ 40 bytes of Big5); `pBufferDocID`
/// gets the HPC holder's ID number and a NUL.
#[no_mangle]
pub extern "system" fn hisWriteAllergicMedicines(
    id: Str,
    birth: Str,
    data: Str,
    doc_id: Buf,
) -> i32 {
    guard(|| {
        rc((|| {
            if doc_id.is_null() {
                return Err(codes::BAD_PARAMETER);
            }
            let (i, b) = (id_field(id)?, id_field(birth)?);
            let name = c_bytes(data, ALLERGY_MAX)?;
            let doc = a::write_allergy(&i, &b, &name)?;
            Ok(put_fixed(doc_id, &doc, DOC_ID_MIN))
        })())
    })
}

/// 1.21 同意器官捐贈及安寧緩和醫療註記寫入作業: the one-character mark.
#[no_mangle]
pub extern "system" fn hisWriteOrganDonate(id: Str, birth: Str, mark: Str) -> i32 {
    guard(|| {
        rc((|| {
            let (i, b) = (id_field(id)?, id_field(birth)?);
            a::write_organ_donation(&i, &b, &c_str(mark, 1)?)?;
            Ok(codes::OK.0)
        })())
    })
}

/// 1.26 預防接種資料寫入作業: vaccine kind (≤ 6) and lot number (≤ 12).
#[no_mangle]
pub extern "system" fn hisWriteInoculateData(id: Str, birth: Str, item: Str, package: Str) -> i32 {
    guard(|| {
        rc((|| {
            let (i, b) = (id_field(id)?, id_field(birth)?);
            let kind = c_str(item, 16)?;
            let lot = c_str(package, 16)?;
            a::write_vaccination(&i, &b, kind.trim(), lot.trim())?;
            Ok(codes::OK.0)
        })())
    })
}
