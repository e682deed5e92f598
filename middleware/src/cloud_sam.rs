//! Cloud SAMs in the settings store: import from a `.SAM` file, list, remove. The file is
//! `hospitalId(10) + samId(12) + ".SAM"`, its content `base64(json).base64(mac)`.

use crate::error::{reply, Fail, OpResult};
use crate::settings::{CloudSam, Secret, Store};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::api::reply::{CloudSamEntry, CloudSamListReply, Empty, SamIdReply};
use nhi_protocol::api::request::CloudSamAddRequest;
use nhi_protocol::StatusCode;
use serde::Deserialize;

/// The JSON inside a cloud SAM file (the MAC after it is the DC's and not checked here).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileBody {
    sam_id: String,
    hospital_id: String,
    hospital_name: String,
    hospital_short_name: String,
    secret: Secret,
}

fn bad(why: impl Into<String>) -> Fail {
    Fail::new(StatusCode::CloudSamFileFormat, why)
}

/// True when `name` is `hospitalId(10) + samId(12) + ".SAM"`. Bytes, not `str` slices: a
/// multibyte character across byte 10 must be refused, not panic.
fn name_ok(stem: Option<&str>) -> bool {
    stem.map(str::as_bytes).is_some_and(|s| {
        s.len() == 22
            && s.iter()
                .take(10)
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            && s.iter().skip(10).all(u8::is_ascii_digit)
    })
}

/// Parses a cloud SAM file; `check_name`: refuse a file name of the wrong shape.
pub fn parse_file(name: &str, content: &str, check_name: bool) -> Result<CloudSam, Fail> {
    let stem = name.strip_suffix(".SAM");
    let named = name_ok(stem);
    if !named && check_name {
        return Err(bad("file name must be hospitalId(10) + samId(12) + .SAM"));
    }
    let (b, _mac) = content
        .trim()
        .split_once('.')
        .ok_or_else(|| bad("not a cloud SAM file"))?;
    let json = B64.decode(b).map_err(|_| bad("not a cloud SAM file"))?;
    let f: FileBody = serde_json::from_slice(&json).map_err(|e| {
        if e.is_data() {
            bad(format!("cloud SAM file: {e}"))
        } else {
            bad("not a cloud SAM file")
        }
    })?;
    if named && stem != Some(&format!("{}{}", f.hospital_id, f.sam_id)) {
        return Err(bad(
            "file name does not match the file's hospitalId and samId",
        ));
    }
    Ok(CloudSam {
        sam_id: f.sam_id,
        hospital_id: f.hospital_id,
        hospital_name: f.hospital_name,
        hospital_short_name: f.hospital_short_name,
        secret: f.secret,
    })
}

/// `CloudSam/Add`: imports (or replaces) a cloud SAM.
pub fn add(store: &mut Store, req: &CloudSamAddRequest, check_name: bool) -> OpResult {
    let sam = parse_file(&req.file_name, &req.content, check_name)?;
    store.cloud_sams.retain(|c| c.sam_id != sam.sam_id);
    let r = SamIdReply {
        sam_id: sam.sam_id.clone(),
        hospital_id: sam.hospital_id.clone(),
    };
    store.cloud_sams.push(sam);
    store
        .save()
        .map_err(|e| Fail::new(StatusCode::DcUndefined, e))?;
    reply(&r)
}

/// `CloudSam/Get`: the imported cloud SAMs, never their secrets.
pub fn list(store: &Store) -> OpResult {
    reply(&CloudSamListReply {
        cloud_sams: store
            .cloud_sams
            .iter()
            .map(|c| CloudSamEntry {
                sam_id: c.sam_id.clone(),
                hospital_id: c.hospital_id.clone(),
                hospital_name: c.hospital_name.clone(),
                hospital_short_name: c.hospital_short_name.clone(),
            })
            .collect(),
        store_error: store.store_error.clone(),
    })
}

/// `CloudSam/Remove`.
pub fn remove(store: &mut Store, sam_id: &str) -> OpResult {
    let before = store.cloud_sams.len();
    store.cloud_sams.retain(|c| c.sam_id != sam_id);
    if before == store.cloud_sams.len() {
        return Err(Fail::new(
            StatusCode::CloudSamNotFound,
            format!("no cloud SAM {sam_id}"),
        ));
    }
    store
        .save()
        .map_err(|e| Fail::new(StatusCode::DcUndefined, e))?;
    reply(&Empty {})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(sam: &str, hid: &str) -> String {
        let j = serde_json::json!({ "samId": sam, "hospitalId": hid, "hospitalName": "測試",
            "hospitalShortName": "測", "secret": "c2VjcmV0" });
        format!("{}.AAAA", B64.encode(j.to_string()))
    }

    #[test]
    fn parses_a_file_and_refuses_bad_names_without_panicking() {
        let c = content("901000000047", "7777777777");
        let s = parse_file("7777777777901000000047.SAM", &c, true).unwrap();
        assert_eq!(s.sam_id, "901000000047");
        assert_eq!(s.secret.expose(), "c2VjcmV0");
        let bad_name = parse_file("aaaaaaaaa€aaaaaaaaaa.SAM", &c, true).unwrap_err();
        assert_eq!(bad_name.code, StatusCode::CloudSamFileFormat);
        let other = parse_file("7777777777901000000048.SAM", &c, true).unwrap_err();
        assert_eq!(other.code, StatusCode::CloudSamFileFormat);
        assert!(parse_file("x.SAM", &c, false).is_ok());
        assert!(!format!("{s:?}").contains("c2VjcmV0"), "secret redacted");
    }
}
