//! Offline visits (seed 001: "in some places, the network is not very good"; home care
//! without Internet, data downloaded in advance; "upload within 24 hours"): a visit
//! recorded without a network carries its visit time, and the DC accepts its upload only
//! within 24 hours of the visit. protocol/docs/DC.md, "Offline visits".

use super::DcError;
use chrono::NaiveDateTime;
use nhi_protocol::StatusCode;

/// How long after an offline visit its upload is accepted.
pub const UPLOAD_WINDOW_SECS: i64 = 24 * 3600;

/// Taiwan time is UTC+8 (no daylight saving).
const TAIWAN_OFFSET_SECS: i64 = 8 * 3600;

/// The Unix instant of a ROC `yyyMMddHHmmss` (Taiwan time); None when malformed.
pub fn roc_datetime_to_unix(s: &str) -> Option<i64> {
    if s.len() != 13 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = s.split_at(3);
    let year: i32 = year.parse().ok()?;
    let t =
        NaiveDateTime::parse_from_str(&format!("{}{rest}", year + 1911), "%Y%m%d%H%M%S").ok()?;
    Some(t.and_utc().timestamp() - TAIWAN_OFFSET_SECS)
}

/// Accepts an upload of a visit at `visit_time` when it is not in the future and at most
/// [`UPLOAD_WINDOW_SECS`] old: malformed 1704, future or too late 1706.
pub fn check_upload_window(visit_time: &str, now: i64) -> Result<(), DcError> {
    let at = roc_datetime_to_unix(visit_time).ok_or_else(|| {
        DcError::new(
            StatusCode::ParamFormat1,
            format!("visitTime {visit_time:?}: ROC yyyMMddHHmmss"),
        )
    })?;
    if at > now {
        return Err(DcError::new(
            StatusCode::ParamFormat3,
            "visitTime is in the future",
        ));
    }
    if now - at > UPLOAD_WINDOW_SECS {
        return Err(DcError::new(
            StatusCode::ParamFormat3,
            "offline visit uploaded more than 24 hours after the visit",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nhi_protocol::ident::roc_datetime;

    #[test]
    fn roc_times_round_trip_and_garbage_is_none() {
        let t = 1_764_000_000;
        assert_eq!(roc_datetime_to_unix(&roc_datetime(t)), Some(t));
        assert_eq!(roc_datetime_to_unix("1151301000000"), None);
        assert_eq!(roc_datetime_to_unix("11511300930"), None);
        assert_eq!(roc_datetime_to_unix("11511３0093000"), None);
    }

    #[test]
    fn the_window_is_24_hours_and_not_the_future() {
        let now = 1_764_000_000;
        let at = |d: i64| roc_datetime(now - d);
        assert!(check_upload_window(&at(0), now).is_ok());
        assert!(check_upload_window(&at(UPLOAD_WINDOW_SECS), now).is_ok());
        let late = check_upload_window(&at(UPLOAD_WINDOW_SECS + 1), now).unwrap_err();
        assert_eq!(late.code, StatusCode::ParamFormat3);
        let future = check_upload_window(&at(-60), now).unwrap_err();
        assert_eq!(future.code, StatusCode::ParamFormat3);
        let bad = check_upload_window("yesterday", now).unwrap_err();
        assert_eq!(bad.code, StatusCode::ParamFormat1);
    }
}
