//! Request and reply bodies of the DC calls ([`crate::dc::path`]), with the exact JSON field
//! names. Every reply also carries `statusCode` and `message` (added by the server, read
//! by the client from the same object); the types here are the call-specific fields.
//! Both directions derive `Serialize` and `Deserialize` so server and client share them.

mod card_life;
mod decrypt_files;
mod guardian;
mod hca;
mod passbook;
mod privacy;
mod records;
mod registration;
mod sam;
mod secure_des;
mod virtual_card;
mod visits;

pub use card_life::*;
pub use decrypt_files::*;
pub use guardian::*;
pub use hca::*;
pub use passbook::*;
pub use privacy::*;
pub use records::*;
pub use registration::*;
pub use sam::*;
pub use secure_des::*;
pub use virtual_card::*;
pub use visits::*;

use crate::StatusCode;
use serde::{Deserialize, Serialize};

/// What every DC reply carries, success or not. A client reads this first and, on
/// [`StatusCode::Success`], the call's reply type from the same JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The 6.0 status code.
    pub status_code: StatusCode,
    /// A reason for people (`OK` on success). Optional when read: a DC that omits it is
    /// still understood by its code (empty here).
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_names_are_the_wire_names() {
        let r: ActivateRequest = serde_json::from_value(json!({
            "samId": "s", "hospitalId": "h", "clientRandom": "c", "serviceType": "01",
            "signature": "g", "phoneId": "p", "hcId": "x", "extra": 1 }))
        .unwrap();
        assert_eq!((r.auth.sam_id.as_str(), r.hc_id.as_str()), ("s", "x"));
        let v = serde_json::to_value(VerifiedToken {
            payload: PayloadFields {
                card_id: "c".into(),
                id_no: "i".into(),
                name: "n".into(),
                birthday: "b".into(),
                sex: "M".into(),
                identity_status: "0".into(),
                serial: 7,
            },
            uses: 1,
            guardian_card_id: None,
            pin_set: true,
            pin_authorized: false,
        })
        .unwrap();
        assert_eq!(v["cardId"], "c");
        assert!(v.get("guardianCardId").is_none(), "{v}");
        assert_eq!(v["identityStatus"], "0");
        assert_eq!(v["uses"], 1);
        assert_eq!(
            (&v["pinSet"], &v["pinAuthorized"]),
            (&json!(true), &json!(false))
        );
        let u = serde_json::to_value(UploadEntry {
            upload_id: 1,
            special_code: "AB12".into(),
            hc_id: "h".into(),
            hpc_id: None,
            at: 0,
        })
        .unwrap();
        assert!(u["hpcId"].is_null() && u.get("hpcId").is_some());
        let reg: RegisterRequest =
            serde_json::from_value(json!({"phoneId": "p", "cardNo": "c", "idNo": "i"})).unwrap();
        assert!(reg.photo_check && reg.counter_check);
        let reply = json!({ "statusCode": "1703", "message": "SAM session expired" });
        let st: Status = serde_json::from_value(reply).unwrap();
        assert_eq!(st.status_code, StatusCode::DcSession);
    }
}
