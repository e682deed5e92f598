//! The cloud-SAM file the DC issues and a middleware imports (CloudSam/Add):
//! name `hospitalId(10) + samId(12) + ".SAM"`, content `b64(json) "." b64(mac)` with
//! `mac = HMAC(dcMaster, "cloud-sam-file" ‖ json)` (the DC's key; see [`super::signed`]).

use super::signed::{SignedBlob, CLOUD_SAM_LABEL};
use serde::{Deserialize, Serialize};

/// Length of the hospital id part of the file name.
const HOSPITAL_LEN: usize = 10;
/// Length of the SAM id part of the file name.
const SAM_LEN: usize = 12;
/// File name suffix.
pub const SUFFIX: &str = ".SAM";

/// Why a cloud-SAM file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudSamError {
    /// The name is not `hospitalId(10) + samId(12) + .SAM`.
    #[error("file name must be hospitalId(10) + samId(12) + .SAM")]
    FileName,
    /// The content is not `b64(json).b64(mac)` with the cloud-SAM fields.
    #[error("not a cloud SAM file: {0}")]
    Content(String),
    /// The name does not match the content's ids.
    #[error("file name does not match the file's hospitalId and samId")]
    NameMismatch,
}

/// The ids a well-formed file name carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudSamName {
    /// Hospital id (10 ASCII letters, digits or `_`).
    pub hospital_id: String,
    /// SAM id (12 digits).
    pub sam_id: String,
}

impl CloudSamName {
    /// Parses `hospitalId + samId + .SAM`, checked on bytes (a multibyte character is
    /// refused, never sliced).
    pub fn parse(name: &str) -> Result<CloudSamName, CloudSamError> {
        let stem = name
            .strip_suffix(SUFFIX)
            .ok_or(CloudSamError::FileName)?
            .as_bytes();
        if stem.len() != HOSPITAL_LEN + SAM_LEN {
            return Err(CloudSamError::FileName);
        }
        let (h, s) = stem.split_at(HOSPITAL_LEN);
        let hospital_ok = h.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if !hospital_ok || !s.iter().all(u8::is_ascii_digit) {
            return Err(CloudSamError::FileName);
        }
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| CloudSamError::FileName);
        Ok(CloudSamName {
            hospital_id: text(h)?,
            sam_id: text(s)?,
        })
    }
}

/// The JSON body of a cloud-SAM file. Fields in alphabetical order: the DC's historic
/// encoding (a sorted JSON map), so files issued before and after are byte-identical.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudSamFile {
    /// Hospital id.
    pub hospital_id: String,
    /// Institution name.
    pub hospital_name: String,
    /// Institution short name.
    pub hospital_short_name: String,
    /// SAM id.
    pub sam_id: String,
    /// Base64 `Ksam` (the SAM's DC key): a secret.
    pub secret: String,
    /// Format version (1).
    pub version: u32,
}

impl std::fmt::Debug for CloudSamFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudSamFile")
            .field("hospital_id", &self.hospital_id)
            .field("sam_id", &self.sam_id)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl CloudSamFile {
    /// The format version this crate writes.
    pub const VERSION: u32 = 1;

    /// `hospitalId + samId + .SAM`.
    pub fn file_name(&self) -> String {
        format!("{}{}{SUFFIX}", self.hospital_id, self.sam_id)
    }

    /// The JSON body the MAC covers.
    pub fn body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// The MAC input for `body`: `"cloud-sam-file" ‖ body`.
    pub fn mac_input(body: &[u8]) -> Vec<u8> {
        SignedBlob::mac_input(CLOUD_SAM_LABEL, body)
    }

    /// The file content for a body and its MAC.
    pub fn encode(body: &[u8], mac: &[u8]) -> String {
        SignedBlob {
            body: body.to_vec(),
            mac: mac.to_vec(),
        }
        .encode()
    }

    /// Decodes the content (surrounding white space ignored): the fields and the MAC
    /// (unchecked: only the DC holds the key).
    pub fn parse_content(content: &str) -> Result<(CloudSamFile, SignedBlob), CloudSamError> {
        let blob = SignedBlob::parse(content.trim())
            .ok_or_else(|| CloudSamError::Content("not b64(json).b64(mac)".into()))?;
        let file = serde_json::from_slice(&blob.body)
            .map_err(|e| CloudSamError::Content(e.to_string()))?;
        Ok((file, blob))
    }

    /// Parses a file: name and content, and checks that they name the same SAM.
    pub fn parse(name: &str, content: &str) -> Result<(CloudSamFile, SignedBlob), CloudSamError> {
        let n = CloudSamName::parse(name)?;
        let (file, blob) = CloudSamFile::parse_content(content)?;
        if n.hospital_id != file.hospital_id || n.sam_id != file.sam_id {
            return Err(CloudSamError::NameMismatch);
        }
        Ok((file, blob))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> CloudSamFile {
        CloudSamFile {
            hospital_id: "7777777777".into(),
            hospital_name: "測試醫院".into(),
            hospital_short_name: "測試".into(),
            sam_id: "901000000047".into(),
            secret: "c2VjcmV0".into(),
            version: 1,
        }
    }

    #[test]
    fn name_is_checked_on_bytes() {
        assert_eq!(
            CloudSamName::parse("7777777777901000000047.SAM"),
            Ok(CloudSamName {
                hospital_id: "7777777777".into(),
                sam_id: "901000000047".into()
            })
        );
        for bad in [
            "aaaaaaaaa€aaaaaaaaaa.SAM",
            "7777777777901000000047.sam",
            "777777777790100000004.SAM",
            "777777777790100000004x.SAM",
            "777777777-901000000047.SAM",
        ] {
            assert_eq!(
                CloudSamName::parse(bad),
                Err(CloudSamError::FileName),
                "{bad}"
            );
        }
    }

    #[test]
    fn encode_parse_round_trip() {
        let f = file();
        let body = f.body().unwrap();
        assert!(body.starts_with(br#"{"hospitalId":"7777777777","hospitalName""#));
        let content = CloudSamFile::encode(&body, &[9; 32]);
        let (g, blob) = CloudSamFile::parse(&f.file_name(), &format!("{content}\n")).unwrap();
        assert_eq!(g, f);
        assert_eq!(blob.mac, vec![9; 32]);
        assert_eq!(
            CloudSamFile::parse("8888888888901000000047.SAM", &content).unwrap_err(),
            CloudSamError::NameMismatch
        );
        assert!(matches!(
            CloudSamFile::parse_content("eyJ9.AA=="),
            Err(CloudSamError::Content(_))
        ));
        assert!(!format!("{f:?}").contains("c2VjcmV0"));
    }
}
