//! Cloud SAMs in the settings store: import from a `.SAM` file, list, remove. The file is
//! `hospitalId(10) + samId(12) + ".SAM"`, its content `base64(json).base64(mac)`; both read
//! by `nhi_protocol::dc::cloud_sam`, the format's one source.

use crate::error::{reply, Fail, OpResult};
use crate::settings::{assign_comports, CloudSam, Secret, Setting, Store};
use nhi_protocol::api::reply::{CloudSamEntry, CloudSamListReply, Empty, SamIdReply};
use nhi_protocol::api::request::CloudSamAddRequest;
use nhi_protocol::dc::{CloudSamError, CloudSamFile, CloudSamName};
use nhi_protocol::StatusCode;

fn bad(e: CloudSamError) -> Fail {
    Fail::new(StatusCode::CloudSamFileFormat, e.to_string())
}

/// Parses a cloud SAM file (the MAC after its JSON is the DC's and not checked here);
/// `check_name`: refuse a file name of the wrong shape. A name of the right shape must
/// name the SAM inside either way.
pub fn parse_file(name: &str, content: &str, check_name: bool) -> Result<CloudSam, Fail> {
    let named = CloudSamName::parse(name);
    if check_name {
        if let Err(e) = &named {
            return Err(bad(e.clone()));
        }
    }
    let (f, _mac) = CloudSamFile::parse_content(content).map_err(bad)?;
    if let Ok(n) = named {
        if n.hospital_id != f.hospital_id || n.sam_id != f.sam_id {
            return Err(bad(CloudSamError::NameMismatch));
        }
    }
    Ok(CloudSam {
        sam_id: f.sam_id,
        hospital_id: f.hospital_id,
        hospital_name: f.hospital_name,
        hospital_short_name: f.hospital_short_name,
        secret: Secret::from(f.secret.as_str()),
        comport: None,
    })
}

/// `CloudSam/Add`: imports (or replaces) a cloud SAM; a re-imported SAM keeps its COM port.
pub fn add(store: &mut Store, req: &CloudSamAddRequest, check_name: bool) -> OpResult {
    let mut sam = parse_file(&req.file_name, &req.content, check_name)?;
    sam.comport = store
        .cloud_sams
        .iter()
        .find(|c| c.sam_id == sam.sam_id)
        .and_then(|c| c.comport);
    store.cloud_sams.retain(|c| c.sam_id != sam.sam_id);
    let r = SamIdReply {
        sam_id: sam.sam_id.clone(),
        hospital_id: sam.hospital_id.clone(),
    };
    store.cloud_sams.push(sam);
    assign_comports(&mut store.cloud_sams);
    store.save_for(Setting::CloudSams)?;
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
                comport: c.comport.map(|n| format!("COM{n}")),
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
    store.save_for(Setting::CloudSams)?;
    reply(&Empty {})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(sam: &str, hid: &str) -> String {
        let f = CloudSamFile {
            hospital_id: hid.into(),
            hospital_name: "測試".into(),
            hospital_short_name: "測".into(),
            sam_id: sam.into(),
            secret: "c2VjcmV0".into(),
            version: CloudSamFile::VERSION,
        };
        CloudSamFile::encode(&f.body().unwrap(), &[0; 3])
    }

    #[test]
    fn a_store_that_cannot_be_written_answers_1610_not_a_dc_code() {
        let dir = std::env::temp_dir().join(format!("nhi-cloud-sam-{}", std::process::id()));
        std::fs::write(&dir, b"a file, not a directory").unwrap();
        let ctx = crate::settings::KeyContext {
            machine: "m".into(),
            user: "u".into(),
        };
        let mut store = Store::load(Some(dir.clone()), ctx);
        let req = CloudSamAddRequest {
            file_name: "7777777777901000000047.SAM".into(),
            content: content("901000000047", "7777777777"),
        };
        let add = add(&mut store, &req, true).unwrap_err();
        assert_eq!(add.code, StatusCode::CloudSamFileFormat, "{}", add.message);
        let gone = remove(&mut store, "901000000047").unwrap_err();
        assert_eq!(gone.code, StatusCode::CloudSamFileFormat);
        std::fs::remove_file(&dir).unwrap();
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
        let not_a_file = parse_file("7777777777901000000047.SAM", "x", false).unwrap_err();
        assert_eq!(not_a_file.code, StatusCode::CloudSamFileFormat);
        assert!(!format!("{s:?}").contains("c2VjcmV0"), "secret redacted");
    }
}
