//! The visit over the HC data-area paths of the 6.0 Web API (`/api/hc/v1/Insurance`,
//! `Visit`, `Medical`, `PublicHealth`): sequence number, treatment write, prescriptions with
//! their signatures, and the reads of what was written.
//!
//! The legacy API numbers a visit first (`hisGetSeqNumber256`) and writes its diagnoses
//! after (`hisWriteTreatmentCode`); the 6.0 path writes a visit whole, diagnosis included,
//! and numbers it then. So the number is taken as the card will give it (the next after
//! its last, `nhi_protocol`'s rule) and kept in the session; the treatment write makes the
//! 6.0 visit write, which must come back with that very number (else another program wrote
//! a visit in between: 5023).

use crate::codes::{self, from_status, Legacy, Target};
use crate::service::{
    call_error, get, hc_basic, hpc_basic, layout_error, with_session, LegacyResult, Session,
};
use crate::visit_layout::{self as vl, InputError};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::apdu::hc_areas::next_seq;
use nhi_protocol::apdu::hc_items::ItemKind;
use nhi_protocol::api::hc_areas::{InsuranceReply, VisitWriteReply};
use nhi_protocol::api::reply::{ReaderTimeReply, SignatureReply};
use nhi_protocol::api::{path, Method};
use nhi_protocol::StatusCode;
use serde_json::json;

/// The visit `hisGetSeqNumber256` numbered and the treatment write will record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberedVisit {
    /// Visit date-time, ROC `YYYMMDDhhmmss`.
    pub time: String,
    /// The sequence number handed to HIS code.
    pub seq: String,
}

/// Bad input from HIS code: 6018, and the reason on stderr (the legacy API cannot carry it).
fn input_error(e: InputError) -> Legacy {
    eprintln!("csHis: {}", e.0);
    codes::BAD_PARAMETER
}

/// `GET Hc/Insurance`: the insurance header and the visits, newest first.
pub(crate) fn insurance(s: &Session) -> LegacyResult<InsuranceReply> {
    get(&s.client, Method::Get, path::HC_INSURANCE, None, Target::Hc)
}

/// The insurance area, or `None` when the service answers 1301 for it after the HC's basic
/// data was read: a cloud SAM cannot open a physical HC's data areas (they need a physical
/// SAM), so registration fields from them stay blank as the 6.0 service cannot give them.
pub(crate) fn insurance_if_readable(s: &Session) -> LegacyResult<Option<InsuranceReply>> {
    let (code, v) = s
        .client
        .call(Method::Get, path::HC_INSURANCE, None)
        .map_err(call_error)?;
    match code {
        StatusCode::Success => serde_json::from_value(v)
            .map(Some)
            .map_err(|_| codes::BAD_REPLY),
        StatusCode::SamMode2 => Ok(None),
        other => Err(from_status(other, Target::Hc)),
    }
}

/// The ID number and birthday HIS code passed must be the card holder's (5020).
pub(crate) fn same_person(s: &Session, id: &str, birth: &str) -> LegacyResult<()> {
    let hc = hc_basic(s)?;
    if hc.id_no == id.trim() && hc.birthday == birth.trim() {
        Ok(())
    } else {
        Err(codes::NOT_SAME_PERSON)
    }
}

fn signature(s: &Session, p: &str, service_type: &str, target: Target) -> LegacyResult<Vec<u8>> {
    let r: SignatureReply = get(
        &s.client,
        Method::Post,
        p,
        Some(json!({ "serviceType": service_type })),
        target,
    )?;
    B64.decode(&r.signature).map_err(|_| codes::BAD_REPLY)
}

/// Which sequence-number function answers: 1.37's 296 bytes or the older 1.9's 167.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqReply {
    /// `hisGetSeqNumber256`.
    Full,
    /// `hisGetSeqNumber` (no 補卡註記 argument: a normal visit, `1`).
    Old,
}

/// 1.37 `hisGetSeqNumber256`: numbers the visit and signs it with the SAM; 296 bytes.
pub fn seq_number_256(treat_item: &str, baby: &str, after_check: &str) -> LegacyResult<Vec<u8>> {
    seq_number(treat_item, baby, after_check, SeqReply::Full)
}

/// 1.37, or 1.9 `hisGetSeqNumber` (167 bytes), as `reply` says.
pub fn seq_number(
    treat_item: &str,
    baby: &str,
    after_check: &str,
    reply: SeqReply,
) -> LegacyResult<Vec<u8>> {
    vl::check_seq_inputs(treat_item, baby, after_check).map_err(input_error)?;
    if !vl::counts_a_visit(treat_item) {
        // The 6.0 visit write always counts a visit: an item that must not has no path.
        return Err(codes::NOT_SUPPORTED);
    }
    with_session(|s| {
        let ins = insurance(s)?;
        if ins.visits_left == 0 {
            return Err(codes::VISITS_USED_UP);
        }
        let seq = next_seq(&ins.last_seq_no).map_err(|_| codes::BAD_REPLY)?;
        let now: ReaderTimeReply =
            get(&s.client, Method::Get, path::READER_TIME, None, Target::Sam)?;
        let sig: SignatureReply = get(
            &s.client,
            Method::Post,
            path::SAM_SIGNATURE,
            Some(json!({ "serviceType": treat_item })),
            Target::Sam,
        )?;
        let sig_bytes = B64.decode(&sig.signature).map_err(|_| codes::BAD_REPLY)?;
        let time = now.server_date_time;
        let same_day = vl::same_day(&ins.visits, &time, &sig.hospital_id);
        let (h, sam) = (&sig.hospital_id, &sig.sam_id);
        let out = match reply {
            SeqReply::Full => vl::seq256(&time, &seq, h, &sig_bytes, sam, same_day),
            SeqReply::Old => vl::seq_old(&time, &seq, h, &sig_bytes, sam),
        }
        .map_err(layout_error)?;
        s.visit = Some(NumberedVisit { time, seq });
        Ok(out)
    })
}

/// 1.16 `hisWriteTreatmentCode`: writes the numbered visit with its diagnoses (`POST
/// Hc/Visit`); returns what goes to `pBufferDocID`: the HPC holder's ID number and a NUL,
/// or a lone NUL when no HPC is verified.
pub fn write_treatment_code(
    date_time: &str,
    id: &str,
    birth: &str,
    data: &[u8],
) -> LegacyResult<Vec<u8>> {
    write_treatment(date_time, id, birth, data, (0, 0))
}

/// 1.47 `hisWriteTreatmentData`: as 1.16 with the amounts after the diagnoses: the
/// outpatient fee and co-payment go into the 6.0 visit write; inpatient amounts have no
/// place there (3599).
pub fn write_treatment_data(
    date_time: &str,
    id: &str,
    birth: &str,
    data: &[u8],
) -> LegacyResult<Vec<u8>> {
    let a = crate::records::treatment_amounts(data).map_err(|e| input_error(InputError(e)))?;
    if a.inpatient {
        eprintln!("csHis: inpatient amounts have no field in the 6.0 visit write");
        return Err(codes::NOT_SUPPORTED);
    }
    write_treatment(date_time, id, birth, data, (a.fee, a.copay))
}

/// The visit write of 1.16 and 1.47 with the outpatient fee and co-payment.
fn write_treatment(
    date_time: &str,
    id: &str,
    birth: &str,
    data: &[u8],
    (fee, copay): (u32, u32),
) -> LegacyResult<Vec<u8>> {
    vl::check_visit_time(date_time).map_err(input_error)?;
    let (diagnosis, diagnosis2) = vl::treatment_diagnoses(data).map_err(input_error)?;
    with_session(|s| {
        let visit = match &s.visit {
            Some(v) if v.time == date_time => v.clone(),
            _ => return Err(codes::VISIT_NOT_FOUND),
        };
        same_person(s, id, birth)?;
        let mut body = json!({
            "visitTime": visit.time, "diagnosis": diagnosis,
            "fee": fee.to_string(), "copay": copay.to_string(),
        });
        if let Some(d2) = diagnosis2 {
            body["diagnosis2"] = json!(d2);
        }
        let (code, v) = s
            .client
            .call(Method::Post, path::HC_VISIT, Some(body))
            .map_err(call_error)?;
        match code {
            StatusCode::Success => {}
            // The middleware's and the DC's "no visits left" (see protocol/docs/DC.md).
            StatusCode::ParamFormat3 => return Err(codes::VISITS_USED_UP),
            other => return Err(from_status(other, Target::Hc)),
        }
        let written: VisitWriteReply = serde_json::from_value(v).map_err(|_| codes::BAD_REPLY)?;
        s.visit = None;
        if written.seq_no != visit.seq {
            eprintln!(
                "csHis: the card numbered the visit {} (hisGetSeqNumber256 gave {}): another program wrote a visit in between",
                written.seq_no, visit.seq
            );
            return Err(codes::VISIT_WRITE_FAILED);
        }
        let mut doc = match hpc_basic(s) {
            Ok(h) => h.id_no.into_bytes(),
            Err(_) => Vec::new(),
        };
        doc.push(0);
        Ok(doc)
    })
}

/// Whether a prescription write answers signatures (1.48/1.49) or not (1.45).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// One 40-byte HC signature per prescription.
    Yes,
    /// Nothing but the code.
    No,
}

/// 1.49 `hisWriteMultiPrescriptSign` (and 1.45 `hisWriteMultiPrescript` without the
/// signatures): each 61-byte prescription into the medical area (`POST Hc/Medical`, kind
/// `outpatientRx`; needs the HPC verified), each answered by a 40-byte signature from the
/// HC (`POST Hc/Signature/Hc`).
pub fn write_prescriptions(
    date_time: &str,
    id: &str,
    birth: &str,
    data: &[u8],
    count: usize,
    signed: Signed,
) -> LegacyResult<Vec<u8>> {
    vl::check_visit_time(date_time).map_err(input_error)?;
    let rx = vl::prescriptions(data, count, date_time).map_err(input_error)?;
    with_session(|s| {
        same_person(s, id, birth)?;
        if !insurance(s)?
            .visits
            .iter()
            .any(|v| v.visit_time == date_time)
        {
            return Err(codes::VISIT_NOT_FOUND);
        }
        let mut signatures = Vec::with_capacity(count * vl::PRESCRIPTION_SIGNATURE_LEN);
        for text in rx {
            let (code, _) = s
                .client
                .call(
                    Method::Post,
                    path::HC_MEDICAL,
                    Some(json!({ "kind": ItemKind::OutpatientRx, "text": text })),
                )
                .map_err(call_error)?;
            if !code.is_success() {
                return Err(from_status(code, Target::Hc));
            }
            if signed == Signed::Yes {
                let sig = signature(s, path::HC_SIGNATURE, "01", Target::Hc)?;
                signatures.extend(vl::prescription_signature(&sig).map_err(layout_error)?);
            }
        }
        Ok(signatures)
    })
}

/// 1.38 `hisGetRegisterBasic2`: 9 bytes.
pub fn register_basic2() -> LegacyResult<Vec<u8>> {
    with_session(|s| vl::register_basic2(&insurance(s)?).map_err(layout_error))
}

/// 1.14 `hisGetLastSeqNum`: 17 bytes; a card with no visit yet: 5022 (no such record).
pub fn last_seq_num() -> LegacyResult<Vec<u8>> {
    with_session(|s| {
        vl::last_seq(&insurance(s)?)
            .map_err(layout_error)?
            .ok_or(codes::VISIT_NOT_FOUND)
    })
}
