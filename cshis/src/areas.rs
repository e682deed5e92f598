//! The HC's data areas beyond the visit itself, over the 6.0 paths `GET Hc/Insurance`,
//! `GET/POST Hc/Medical` and `GET/POST Hc/PublicHealth`: critical illnesses, the treatment
//! records, the medical area's record kinds, vaccinations and organ donation, and their
//! legacy writes. Layouts: [`crate::records`].

use crate::codes::{self, from_status, Target};
use crate::records::{self as rec, CodeForm};
use crate::service::{get, hpc_basic, layout_error, with_session, LegacyResult, Session};
use crate::visit::{insurance, same_person};
use nhi_protocol::apdu::hc_items::ItemKind;
use nhi_protocol::api::hc_areas::ItemsReply;
use nhi_protocol::api::reply::{ReaderTimeReply, SamBasicReply, StatusReply};
use nhi_protocol::api::{path, Method};
use serde_json::json;

/// HPC mode 3 (PIN verified): the legacy functions "needing the HPC" ask for it before they
/// read (SDK samples: 「前置作業：完成醫師卡 PIN 碼驗證」), though the 6.0 insurance read
/// does not; else 4042.
fn hpc_verified(s: &Session) -> LegacyResult<()> {
    let st: StatusReply = get(&s.client, Method::Get, path::STATUS, None, Target::Sam)?;
    if st.hpc.mode >= 3 {
        Ok(())
    } else {
        Err(codes::HPC_PIN_NOT_VERIFIED)
    }
}

/// 1.33 `hisGetCriticalIllness`: 114 bytes, or 138 (ICD-10-CM codes) when the buffer holds
/// them. A code the packed form cannot hold answers the 138 bytes (too small: 6018, `*len`
/// 138).
pub fn critical_illness(capacity: usize) -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        hpc_verified(s)?;
        illness(s, capacity)
    })
}

fn illness(s: &Session, capacity: usize) -> LegacyResult<Vec<u8>> {
    let codes = insurance(s)?.major_illness;
    let form = CodeForm::for_capacity(capacity, CodeForm::Icd10Cm.illness_len());
    rec::critical_illness(&codes, form)
        .or_else(|_| rec::critical_illness(&codes, CodeForm::Icd10Cm))
        .map_err(layout_error)
}

/// 1.50 `hisGetCriticalIllnessID`: as 1.33 for the card holder whose ID number and
/// birthday HIS code passes (else 5020), with no HPC.
pub fn critical_illness_id(id: &str, birth: &str, capacity: usize) -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        same_person(s, id, birth)?;
        illness(s, capacity)
    })
}

/// 1.8 `hisGetTreatmentNeedHPC`: critical illnesses and six visits' diagnoses, 372 bytes
/// or 540 (ICD-10-CM) as for 1.33.
pub fn treatment_need_hpc(capacity: usize) -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        hpc_verified(s)?;
        let ins = insurance(s)?;
        let form = CodeForm::for_capacity(capacity, CodeForm::Icd10Cm.need_hpc_len());
        rec::treatment_need_hpc(&ins, form)
            .or_else(|_| rec::treatment_need_hpc(&ins, CodeForm::Icd10Cm))
            .map_err(layout_error)
    })
}

/// 1.5 `hisGetTreatmentNoNeedHPC`: 498 bytes.
pub fn treatment_no_need_hpc() -> LegacyResult<Vec<u8>> {
    with_session(|s| rec::treatment_no_need_hpc(&insurance(s)?).map_err(layout_error))
}

fn items(s: &Session, p: &str, target: Target) -> LegacyResult<ItemsReply> {
    get(&s.client, Method::Get, p, None, target)
}

/// The medical area's items of `kind` `start..=end` (1-based, in the order written), each
/// as a `width`-byte record, and how many (1.41–1.44). The medical area needs the HPC
/// verified: 1402 → 4042.
pub fn read_medical(
    kind: ItemKind,
    width: usize,
    start: i32,
    end: i32,
) -> LegacyResult<(Vec<u8>, i16)> {
    let (Ok(first), Ok(last)) = (usize::try_from(start), usize::try_from(end)) else {
        return Err(codes::BAD_PARAMETER);
    };
    if first == 0 || last < first {
        return Err(codes::BAD_PARAMETER);
    }
    with_session(|s| {
        let all = items(s, path::HC_MEDICAL, Target::Hpc)?;
        let mut out = Vec::new();
        let mut n: i16 = 0;
        let of_kind = all.items.iter().filter(|i| i.kind == kind);
        for item in of_kind.skip(first - 1).take(last - first + 1) {
            out.extend(rec::item_record("medical item", &item.text, width).map_err(layout_error)?);
            n += 1;
        }
        Ok((out, n))
    })
}

/// The public-health area's items (no HPC needed).
fn public_health(s: &Session) -> LegacyResult<ItemsReply> {
    items(s, path::HC_PUBLIC_HEALTH, Target::Hc)
}

/// 1.11 `hisGetInoculateData`: the 40 vaccination slots of 35 bytes (1400), in the order
/// written, the unused ones blank.
pub fn vaccinations() -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        let all = public_health(s)?;
        let mut out = Vec::with_capacity(rec::VACCINATION_SLOTS * rec::VACCINATION_LEN);
        let v = all.items.iter().filter(|i| i.kind == ItemKind::Vaccination);
        for item in v.take(rec::VACCINATION_SLOTS) {
            let r = rec::item_record("vaccination", &item.text, rec::VACCINATION_LEN);
            out.extend(r.map_err(layout_error)?);
        }
        out.resize(rec::VACCINATION_SLOTS * rec::VACCINATION_LEN, b' ');
        Ok(out)
    })
}

/// 1.12 `hisGetOrganDonate`: 1 byte, the newest organ-donation mark as written by 1.21;
/// blank when the card has none.
pub fn organ_donation() -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        let all = public_health(s)?;
        let newest = all
            .items
            .iter()
            .rev()
            .find(|i| i.kind == ItemKind::OrganDonation);
        match newest {
            None => Ok(vec![b' ']),
            Some(i) => rec::item_record("organ donation", &i.text, 1).map_err(layout_error),
        }
    })
}

fn add(s: &Session, p: &str, kind: ItemKind, text: &str, target: Target) -> LegacyResult<()> {
    let (code, _) = s
        .client
        .call(Method::Post, p, Some(json!({ "kind": kind, "text": text })))
        .map_err(crate::service::call_error)?;
    if code.is_success() {
        Ok(())
    } else {
        Err(from_status(code, target))
    }
}

/// 1.20 `hisWriteAllergicMedicines`: one drug allergy (its name, at most 40 bytes of Big5)
/// into the medical area (HPC verified: 4042); returns `pBufferDocID`: the HPC holder's ID
/// number and a NUL.
pub fn write_allergy(id: &str, birth: &str, name: &[u8]) -> LegacyResult<Vec<u8>> {
    let (text, _, had_errors) = encoding_rs::BIG5.decode(name);
    let text = text.trim_end();
    if had_errors || text.is_empty() || name.len() > rec::ALLERGY_LEN {
        eprintln!("csHis: pDataWrite must be a drug name of 1-40 bytes of Big5");
        return Err(codes::BAD_PARAMETER);
    }
    with_session(|s| {
        same_person(s, id, birth)?;
        add(s, path::HC_MEDICAL, ItemKind::Allergy, text, Target::Hpc)?;
        let mut doc = hpc_basic(s)?.id_no.into_bytes();
        doc.push(0);
        Ok(doc)
    })
}

/// 1.21 `hisWriteOrganDonate`: the one-character mark into the public-health area.
pub fn write_organ_donation(id: &str, birth: &str, mark: &str) -> LegacyResult<()> {
    if mark.len() != 1 || !mark.bytes().all(|b| b.is_ascii_alphanumeric()) {
        eprintln!("csHis: pOrganDonate must be one letter or digit");
        return Err(codes::BAD_PARAMETER);
    }
    with_session(|s| {
        same_person(s, id, birth)?;
        add(
            s,
            path::HC_PUBLIC_HEALTH,
            ItemKind::OrganDonation,
            mark,
            Target::Hc,
        )
    })
}

/// 1.26 `hisWriteInoculateData`: a vaccination (kind ≤ 6, lot ≤ 12) dated by the reader and
/// recorded for the SAM's hospital, as the 35-byte record 1.11 reads back.
pub fn write_vaccination(id: &str, birth: &str, kind: &str, lot: &str) -> LegacyResult<()> {
    let fits = |v: &str, max: usize| !v.is_empty() && v.len() <= max && v.is_ascii();
    if !fits(kind, 6) || !(lot.is_empty() || fits(lot, 12)) {
        eprintln!("csHis: pItem must be 1-6 and pPackageNumber at most 12 ASCII characters");
        return Err(codes::BAD_PARAMETER);
    }
    with_session(|s| {
        same_person(s, id, birth)?;
        let now: ReaderTimeReply =
            get(&s.client, Method::Get, path::READER_TIME, None, Target::Sam)?;
        let sam: SamBasicReply = get(&s.client, Method::Get, path::SAM_BASIC, None, Target::Sam)?;
        let date = now
            .server_date_time
            .get(..7)
            .ok_or(codes::BAD_REPLY)?
            .to_string();
        let text = rec::vaccination(kind, &date, &sam.hospital_id, lot).map_err(layout_error)?;
        add(
            s,
            path::HC_PUBLIC_HEALTH,
            ItemKind::Vaccination,
            &text,
            Target::Hc,
        )
    })
}
