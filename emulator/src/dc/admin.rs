//! The DC's administration, used by the emulator's control plane and the harness (never
//! served on the DC's own port): institution standing, certificate revocation, time.

use super::{Dc, DcError, DcResult};
use nhi_protocol::dc::msg::{CertSerial, TimeReply};
use nhi_protocol::ident::roc_datetime;
use nhi_protocol::StatusCode;
use rusqlite::params;

/// The institution whose standing changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HospitalChanged {
    /// Hospital id.
    pub hospital_id: String,
}

impl Dc {
    /// Changes an institution's standing; each `None` leaves that part as it is.
    pub fn set_hospital(
        &self,
        id: &str,
        suspended: Option<bool>,
        revoked: Option<bool>,
        contract_to: Option<i64>,
    ) -> DcResult<HospitalChanged> {
        let n = self.db()?.execute(
            "UPDATE hospitals SET suspended = COALESCE(?2, suspended), revoked = COALESCE(?3, revoked), contract_to = COALESCE(?4, contract_to) WHERE id = ?1",
            params![id, suspended.map(i64::from), revoked.map(i64::from), contract_to],
        )?;
        if n == 0 {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("no institution {id}"),
            ));
        }
        Ok(HospitalChanged {
            hospital_id: id.to_string(),
        })
    }

    /// Revokes a certificate by serial (hex as x509 prints it).
    pub fn revoke_cert(&self, serial: &str) -> DcResult<CertSerial> {
        self.db()?.execute(
            "INSERT OR REPLACE INTO revoked_certs(serial, at) VALUES (?1, ?2)",
            params![serial, self.now()],
        )?;
        Ok(CertSerial {
            serial: serial.to_string(),
        })
    }

    /// Time service.
    pub fn time(&self) -> TimeReply {
        let now = self.now();
        TimeReply {
            server_date_time: roc_datetime(now),
            unix: now,
        }
    }
}
