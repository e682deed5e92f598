//! k-of-n custody of the DC master key. Seed 002: 「本程式為安全起見，金鑰密碼採多人分持
//! 方式」— the key is held by several custodians, no one of whom can use it alone.
//!
//! The master key (32 bytes) is split with Shamir's secret sharing over GF(256) from the
//! `blahaj` crate: the maintained fork of `sharks` (unmaintained since 2020), the same
//! small byte-oriented API, zeroizes shares on drop. `vsss-rs` was the alternative; its
//! generic field/group API is built for verifiable sharing of curve scalars, more than a
//! byte key needs. The field keys of [`super::protect`] (internal and external, seed 002
//! 「區分對外與對內主機採取不同金鑰」) are derived from the master key, so rotating it
//! rotates both.
//!
//! A share file names its custodian index and the key's fingerprint, never the key; a
//! checksum catches a corrupted file, and the fingerprint of the key the shares rebuild
//! catches a share altered with its checksum recomputed.

use crate::crypto::hmac256;
use crate::keys::Secrets;
use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use blahaj::{Share, Sharks};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `format` line of a share file.
const FORMAT: &str = "nhi-emu DC master key share v1";

/// Why custody failed; every variant names the file or the numbers involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustodyError {
    /// k and n out of range: (k, n).
    #[error("k-of-n: need 2 <= k <= n <= 255, got k={0} n={1}")]
    BadParams(usize, usize),
    /// Fewer shares than the threshold: (given, needed, key fingerprint).
    #[error("{0} share(s) given, key {2} needs {1} (k of n)")]
    TooFew(usize, usize, String),
    /// Shares of two different keys: (file, its key, file, its key).
    #[error("shares of different keys: {0} holds key {1}, {2} holds key {3}")]
    MixedKeys(String, String, String, String),
    /// The same custodian's share twice: (custodian, file, file).
    #[error("custodian {0}'s share given twice ({1} and {2})")]
    Duplicate(u8, String, String),
    /// A file that is not a readable, intact share: (file, why).
    #[error("{0}: {1}")]
    Corrupted(String, String),
    /// The shares rebuild a key other than the one they name (its fingerprint).
    #[error("the shares do not rebuild key {0}: at least one share was altered")]
    Inconsistent(String),
    /// A share file could not be written: (file, why).
    #[error("{0}: {1}")]
    Write(String, String),
}

/// The DC master key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.fingerprint())
    }
}

impl MasterKey {
    /// A new random key from the system's CSPRNG.
    pub fn generate() -> Result<MasterKey, String> {
        let mut k = [0u8; 32];
        SystemRandom::new()
            .fill(&mut k)
            .map_err(|e| e.to_string())?;
        Ok(MasterKey(k))
    }

    /// From raw bytes (tests and rebuilt shares).
    pub fn from_bytes(k: [u8; 32]) -> MasterKey {
        MasterKey(k)
    }

    /// 16 hex digits naming the key (SHA-256 of a label and the key): safe to print and
    /// to store next to the data it encrypts.
    pub fn fingerprint(&self) -> String {
        let mut input = b"nhi-emu DC master key fingerprint ".to_vec();
        input.extend_from_slice(&self.0);
        hex::encode(&digest(&SHA256, &input).as_ref()[..8])
    }

    /// The internal consumers' field key.
    pub fn field_key_internal(&self) -> [u8; 32] {
        hmac256(&self.0, &[b"field key internal"])
    }

    /// The external consumers' field key.
    pub fn field_key_external(&self) -> [u8; 32] {
        hmac256(&self.0, &[b"field key external"])
    }

    /// `secrets` with both field keys taken from this key.
    pub fn apply(&self, mut secrets: Secrets) -> Secrets {
        secrets.field_key_internal = self.field_key_internal();
        secrets.field_key_external = self.field_key_external();
        secrets
    }
}

/// One custodian's share, as stored in its file (TOML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareFile {
    /// [`FORMAT`].
    pub format: String,
    /// The custodian's index, 1..=n (the share's x coordinate).
    pub custodian: u8,
    /// k: shares needed to rebuild the key.
    pub threshold: u8,
    /// n: shares made.
    pub custodians: u8,
    /// The key these shares rebuild ([`MasterKey::fingerprint`]).
    pub key_fingerprint: String,
    /// The share's y bytes, hex.
    pub share: String,
    /// SHA-256 (first 8 bytes, hex) of the fields above: catches a corrupted file.
    pub checksum: String,
}

impl ShareFile {
    fn checksum_of(&self) -> String {
        let text = format!(
            "{}|{}|{}|{}|{}|{}",
            self.format,
            self.custodian,
            self.threshold,
            self.custodians,
            self.key_fingerprint,
            self.share
        );
        hex::encode(&digest(&SHA256, text.as_bytes()).as_ref()[..8])
    }

    /// The file's text: a comment for the custodian, then the fields.
    pub fn to_text(&self) -> Result<String, String> {
        let body = toml::to_string(self).map_err(|e| e.to_string())?;
        Ok(format!(
            "# nhi-emu DC master key share: custodian {} of {}; any {} shares rebuild key {}.\n# Keep this file private (mode 0600); it does not contain the key.\n{body}",
            self.custodian, self.custodians, self.threshold, self.key_fingerprint
        ))
    }

    /// Parses and checks a share file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<ShareFile, CustodyError> {
        let bad = |why: String| CustodyError::Corrupted(file.to_string(), why);
        let s: ShareFile =
            toml::from_str(text).map_err(|e| bad(format!("not a share file: {e}")))?;
        if s.format != FORMAT {
            return Err(bad(format!("format {:?}, expected {FORMAT:?}", s.format)));
        }
        if s.checksum_of() != s.checksum {
            return Err(bad("corrupted (checksum mismatch)".into()));
        }
        if s.custodian == 0 || s.custodian > s.custodians || s.threshold > s.custodians {
            return Err(bad(format!(
                "custodian {} of {} with threshold {} is impossible",
                s.custodian, s.custodians, s.threshold
            )));
        }
        let y = hex::decode(&s.share).map_err(|e| bad(format!("share: {e}")))?;
        if y.len() != 32 {
            return Err(bad(format!("share: {} bytes, expected 32", y.len())));
        }
        Ok(s)
    }

    fn to_share(&self) -> Result<Share, CustodyError> {
        let mut bytes = vec![self.custodian];
        let bad =
            |why: String| CustodyError::Corrupted(format!("custodian {}", self.custodian), why);
        bytes.extend(hex::decode(&self.share).map_err(|e| bad(e.to_string()))?);
        Share::try_from(bytes.as_slice()).map_err(|e| bad(e.to_string()))
    }
}

/// Splits `key` into `n` shares, any `k` of which rebuild it.
pub fn split(key: &MasterKey, k: usize, n: usize) -> Result<Vec<ShareFile>, CustodyError> {
    let (Ok(k8), Ok(n8)) = (u8::try_from(k), u8::try_from(n)) else {
        return Err(CustodyError::BadParams(k, n));
    };
    if k < 2 || k > n {
        return Err(CustodyError::BadParams(k, n));
    }
    let fingerprint = key.fingerprint();
    let shares: Vec<ShareFile> = Sharks(k8)
        .dealer(&key.0)
        .take(n)
        .map(|s| {
            let y: Vec<u8> = s.y.iter().map(|g| g.0).collect();
            let mut f = ShareFile {
                format: FORMAT.to_string(),
                custodian: s.x.0,
                threshold: k8,
                custodians: n8,
                key_fingerprint: fingerprint.clone(),
                share: hex::encode(y),
                checksum: String::new(),
            };
            f.checksum = f.checksum_of();
            f
        })
        .collect();
    Ok(shares)
}

/// Rebuilds the key from named shares (name, share): all of one key, no custodian twice,
/// at least k of them, and the rebuilt key must be the one they name.
pub fn combine(shares: &[(String, ShareFile)]) -> Result<MasterKey, CustodyError> {
    let Some((first_name, first)) = shares.first() else {
        return Err(CustodyError::TooFew(0, 2, "(none given)".into()));
    };
    for (i, (name, s)) in shares.iter().enumerate() {
        if s.key_fingerprint != first.key_fingerprint || s.threshold != first.threshold {
            return Err(CustodyError::MixedKeys(
                first_name.clone(),
                first.key_fingerprint.clone(),
                name.clone(),
                s.key_fingerprint.clone(),
            ));
        }
        if let Some((other, _)) = shares[..i].iter().find(|(_, o)| o.custodian == s.custodian) {
            return Err(CustodyError::Duplicate(
                s.custodian,
                other.clone(),
                name.clone(),
            ));
        }
    }
    if shares.len() < usize::from(first.threshold) {
        return Err(CustodyError::TooFew(
            shares.len(),
            usize::from(first.threshold),
            first.key_fingerprint.clone(),
        ));
    }
    let parsed = shares
        .iter()
        .map(|(_, s)| s.to_share())
        .collect::<Result<Vec<_>, _>>()?;
    let inconsistent = || CustodyError::Inconsistent(first.key_fingerprint.clone());
    let bytes = Sharks(first.threshold)
        .recover(&parsed)
        .map_err(|_| inconsistent())?;
    let key = MasterKey(bytes.try_into().map_err(|_| inconsistent())?);
    if key.fingerprint() != first.key_fingerprint {
        return Err(inconsistent());
    }
    Ok(key)
}

/// Reads share files (each must be private: mode 0600 or stricter) and rebuilds the key.
pub fn combine_files(paths: &[PathBuf]) -> Result<MasterKey, CustodyError> {
    let shares = paths
        .iter()
        .map(|p| {
            let name = p.display().to_string();
            let text = read_private(p).map_err(|why| CustodyError::Corrupted(name.clone(), why))?;
            Ok((name.clone(), ShareFile::parse(&name, &text)?))
        })
        .collect::<Result<Vec<_>, CustodyError>>()?;
    combine(&shares)
}

/// Writes one file per custodian into `dir` (created if needed), each mode 0600 and
/// never over an existing file; returns the paths.
pub fn write_shares(dir: &Path, shares: &[ShareFile]) -> Result<Vec<PathBuf>, CustodyError> {
    let werr = |p: &Path, e: &dyn std::fmt::Display| {
        CustodyError::Write(p.display().to_string(), e.to_string())
    };
    std::fs::create_dir_all(dir).map_err(|e| werr(dir, &e))?;
    let mut out = Vec::new();
    for s in shares {
        let p = dir.join(format!(
            "share-{}-custodian-{}-of-{}.toml",
            s.key_fingerprint, s.custodian, s.custodians
        ));
        let text = s.to_text().map_err(|e| werr(&p, &e))?;
        write_private(&p, &text).map_err(|e| werr(&p, &e))?;
        out.push(p);
    }
    Ok(out)
}

fn write_private(p: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(p)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

fn read_private(p: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(p).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "readable by group or others (mode {mode:04o}); a share must be 0600 (chmod 600 {})",
                p.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    std::fs::read_to_string(p).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(v: &[ShareFile], idx: &[usize]) -> Vec<(String, ShareFile)> {
        idx.iter()
            .map(|&i| (format!("f{i}"), v[i].clone()))
            .collect()
    }

    #[test]
    fn any_k_shares_rebuild_the_key_fewer_do_not() {
        let key = MasterKey::from_bytes([9; 32]);
        let s = split(&key, 3, 5).unwrap();
        assert_eq!(s.len(), 5);
        assert!(s.iter().all(|f| f.key_fingerprint == key.fingerprint()));
        assert!(!s[0].to_text().unwrap().contains(&hex::encode([9u8; 32])));
        for idx in [[0, 1, 2], [4, 2, 0], [1, 3, 4]] {
            assert_eq!(combine(&named(&s, &idx)).unwrap(), key);
        }
        assert!(matches!(
            combine(&named(&s, &[0, 1])),
            Err(CustodyError::TooFew(2, 3, _))
        ));
        assert!(matches!(
            combine(&named(&s, &[0, 1, 1])),
            Err(CustodyError::Duplicate(2, _, _))
        ));
    }

    #[test]
    fn mixed_corrupted_and_altered_shares_are_named() {
        let a = split(&MasterKey::from_bytes([1; 32]), 2, 3).unwrap();
        let b = split(&MasterKey::from_bytes([2; 32]), 2, 3).unwrap();
        let mixed = vec![
            ("a".to_string(), a[0].clone()),
            ("b".to_string(), b[1].clone()),
        ];
        let e = combine(&mixed).unwrap_err().to_string();
        assert!(
            e.contains("different keys") && e.contains('a') && e.contains('b'),
            "{e}"
        );

        let text = a[0].to_text().unwrap();
        let flipped = text.replacen(
            &a[0].share[..2],
            if &a[0].share[..2] == "00" { "01" } else { "00" },
            1,
        );
        let e = ShareFile::parse("x.toml", &flipped)
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml") && e.contains("checksum"), "{e}");

        let mut altered = a[1].clone();
        altered.share = hex::encode([0x55; 32]);
        altered.checksum = altered.checksum_of();
        let e = combine(&[("a0".into(), a[0].clone()), ("a1".into(), altered)]).unwrap_err();
        assert!(matches!(e, CustodyError::Inconsistent(_)), "{e}");
        assert!(split(&MasterKey::from_bytes([1; 32]), 1, 3).is_err());
        assert!(split(&MasterKey::from_bytes([1; 32]), 4, 3).is_err());
        assert!(split(&MasterKey::from_bytes([1; 32]), 2, 256).is_err());
    }

    #[test]
    fn field_keys_follow_the_master_key() {
        let a = MasterKey::from_bytes([1; 32]);
        let b = MasterKey::from_bytes([2; 32]);
        assert_ne!(a.field_key_internal(), a.field_key_external());
        assert_ne!(a.field_key_internal(), b.field_key_internal());
        let s = a.apply(Secrets::test());
        assert_eq!(s.field_key_external, a.field_key_external());
        assert!(!format!("{a:?}").contains("0101"));
    }
}
