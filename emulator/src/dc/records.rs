//! What the DC keeps about cards and visits: the marker written on a physical card and
//! the uploaded visit records (with the special code).

use super::{b64, Dc, DcError, DcResult, SamAuth};
use nhi_protocol::dc::msg::{MarkerReply, UploadEntry, UploadList, UploadReply, UploadRequest};
use nhi_protocol::ident::{roc_datetime, HcCardNo};
use nhi_protocol::StatusCode;
use rusqlite::params;

/// The marker the DC issues for a card at `now`: `M` ‖ ROC date (7) ‖ the card number's
/// last 4 digits (also what the conformance harness expects to find on the card).
pub fn marker_text(now: i64, card_no: &HcCardNo) -> String {
    let date: String = roc_datetime(now).chars().take(7).collect();
    let digits = card_no.as_str();
    let tail: String = digits
        .chars()
        .skip(digits.chars().count().saturating_sub(4))
        .collect();
    format!("M{date}{tail}")
}

impl Dc {
    /// The marker bytes the DC wants written on a physical card:
    /// `M` ‖ ROC date (7) ‖ the card number's last 4 digits.
    pub fn marker(&self, sid: &str, hc_id: &str) -> DcResult<MarkerReply> {
        self.session(&*self.db()?, sid)?;
        let card_no = HcCardNo::parse(hc_id)
            .map_err(|e| DcError::new(StatusCode::ParamFormat2, e.to_string()))?;
        Ok(MarkerReply {
            marker: b64(marker_text(self.now(), &card_no).as_bytes()),
        })
    }

    /// Upload of a visit record with the special code.
    pub fn upload(&self, r: &UploadRequest) -> DcResult<UploadReply> {
        let code = &r.special_code;
        if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DcError::new(
                StatusCode::ParamFormat2,
                "specialCode must be 4 letters or digits",
            ));
        }
        if let Some(t) = &r.visit_time {
            super::offline::check_upload_window(t, self.now())?;
        }
        let c = self.db()?;
        let hid = self.check_sam_signature(&c, &r.auth)?;
        c.execute(
            "INSERT INTO uploads(hospital_id, special_code, hc_id, hpc_id, body, at) VALUES (?1,?2,?3,?4,?5,?6)",
            params![hid, code, r.hc_id, r.hpc_id, r.visit.to_string(), self.now()],
        )?;
        Ok(UploadReply {
            upload_id: c.last_insert_rowid(),
        })
    }

    /// Uploads of the signing SAM's institution.
    pub fn uploads(&self, auth: &SamAuth) -> DcResult<UploadList> {
        let c = self.db()?;
        let hid = self.check_sam_signature(&c, auth)?;
        let mut st = c.prepare("SELECT id, special_code, hc_id, hpc_id, at FROM uploads WHERE hospital_id = ?1 ORDER BY id")?;
        let uploads = st
            .query_map([hid], |r| {
                Ok(UploadEntry {
                    upload_id: r.get(0)?,
                    special_code: r.get(1)?,
                    hc_id: r.get(2)?,
                    hpc_id: r.get(3)?,
                    at: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(UploadList { uploads })
    }
}
