//! Persisted settings: cloud SAMs (encrypted for this user on this machine), the default
//! PC/SC reader, the CORS whitelist, the last device. One JSON file in the state directory.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use nhi_protocol::StatusCode;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A secret that never shows in `Debug` output (logs, panics).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

/// A cloud SAM as imported from its `.SAM` file (its `Debug` redacts the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudSam {
    /// SAM id.
    pub sam_id: String,
    /// Hospital id.
    pub hospital_id: String,
    /// Institution name.
    pub hospital_name: String,
    /// Short name.
    pub hospital_short_name: String,
    /// The SAM secret (base64) — only ever stored encrypted.
    #[serde(default)]
    pub secret: Secret,
    /// Its COM port number (see [`assign_comports`]); None only until assigned.
    #[serde(default)]
    pub comport: Option<u16>,
}

/// Gives every cloud SAM without one a COM port number: the smallest number from 1 that no
/// other imported cloud SAM holds. Seed 004 lists a Comport per cloud SAM, 「主要用於相容
///性元件」, and shows COM2/COM3 and COM2/COM1 for two SAMs; it does not say how numbers are
/// chosen. Ours are kept with the SAM in the store, so a SAM keeps its number across
/// restarts and re-imports, and a removed SAM's number is reused by the next import. Stores
/// written before the column existed get numbers when loaded, in list order.
pub fn assign_comports(sams: &mut [CloudSam]) {
    for i in 0..sams.len() {
        if sams.get(i).is_some_and(|s| s.comport.is_none()) {
            let free = (1..=u16::MAX).find(|n| sams.iter().all(|s| s.comport != Some(*n)));
            if let Some(s) = sams.get_mut(i) {
                s.comport = free;
            }
        }
    }
}

/// What identifies "this user on this machine": the key of the cloud SAM store is
/// derived from it, so a copied store is useless elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyContext {
    /// Machine id (`/etc/machine-id`).
    pub machine: String,
    /// User (uid and name).
    pub user: String,
}

impl KeyContext {
    /// The context of the running process.
    pub fn local() -> KeyContext {
        let machine = std::fs::read_to_string("/etc/machine-id")
            .or_else(|_| std::fs::read_to_string("/var/lib/dbus/machine-id"))
            .unwrap_or_else(|_| "no-machine-id".into());
        // An unset USER still leaves the uid to tell users apart.
        let user = format!("{}:{}", std::env::var("USER").unwrap_or_default(), uid());
        KeyContext {
            machine: machine.trim().to_string(),
            user,
        }
    }

    fn key(&self) -> Result<LessSafeKey, String> {
        let k = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            b"nhi-middleware cloud SAM store v1",
        );
        let tag = aws_lc_rs::hmac::sign(&k, format!("{}\n{}", self.machine, self.user).as_bytes());
        UnboundKey::new(&AES_256_GCM, tag.as_ref())
            .map(LessSafeKey::new)
            .map_err(|e| e.to_string())
    }

    /// Encrypts the cloud SAM list.
    pub fn seal(&self, sams: &[CloudSam]) -> Result<String, String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|e| e.to_string())?;
        let mut buf = serde_json::to_vec(sams).map_err(|e| e.to_string())?;
        self.key()?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .map_err(|e| e.to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(B64.encode(out))
    }

    /// Decrypts the cloud SAM list; fails for another user or machine.
    pub fn open(&self, sealed: &str) -> Result<Vec<CloudSam>, String> {
        let raw = B64.decode(sealed).map_err(|e| e.to_string())?;
        if raw.len() < NONCE_LEN + 16 {
            return Err("cloud SAM store truncated".into());
        }
        let (n, ct) = raw.split_at(NONCE_LEN);
        let mut buf = ct.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(n).map_err(|e| e.to_string())?;
        let plain = self
            .key()?
            .open_in_place(nonce, Aad::empty(), &mut buf)
            .map_err(|_| "cloud SAM store belongs to another user or machine".to_string())?;
        serde_json::from_slice(plain).map_err(|e| e.to_string())
    }
}

fn uid() -> u32 {
    // The owner of /proc/self is the running user. Without /proc (not Linux) the key is
    // still bound to the machine id and USER, so 0 is a usable default, not a disguise.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The settings file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Encrypted cloud SAM list.
    #[serde(default)]
    pub cloud_sams_sealed: Option<String>,
    /// Default PC/SC reader.
    #[serde(default)]
    pub default_reader: Option<String>,
    /// 「不使用」 chosen (RemoveDefault): with a cloud SAM no PC/SC reader is used, so
    /// physical cards are not read (seed 004: 使用雲端安全模組可以不使用讀卡機,相關實體
    /// 卡片功能將無法運作). Never chosen (false, the default): any reader is used.
    #[serde(default)]
    pub pcsc_off: bool,
    /// CORS whitelist (host names).
    #[serde(default)]
    pub cors_hosts: Vec<String>,
    /// Last device connected.
    #[serde(default)]
    pub last_device: Option<String>,
}

/// Which setting a save is for: it decides the status code when the save fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The imported cloud SAMs (`CloudSam/Add`, `CloudSam/Remove`).
    CloudSams,
    /// The default PC/SC reader (`PcscReaderReader/SetDefault`, `RemoveDefault`, `AutoDetect`).
    DefaultReader,
    /// The CORS whitelist (`Cors/Add`, `Cors/Remove`).
    Cors,
}

impl Setting {
    /// Seed 004 has no status code for "the local settings could not be written"; these are
    /// our choices, each the nearest code of the function's own group, never a DC code:
    /// - cloud SAMs: 1610 「雲端安全模組檔案格式錯誤」 — the store is the encrypted cloud-SAM
    ///   file (「加密儲存至本機使用者專屬組態資料中」) and it could not be written;
    /// - default reader: 1199 「PCSC 發生其它錯誤」 — the "other error" of the PC/SC reader
    ///   functions this setting belongs to;
    /// - CORS: the seed has no CORS code, and 1704–1706 「參數格式異常」 would blame the
    ///   caller's input. We answer 1799 「DC 端未定義錯誤」, the seed's one "undefined error"
    ///   code, as for a panicking handler; its "DC 端" does not fit, and this is the only
    ///   settings save that uses it.
    pub fn failure_code(self) -> StatusCode {
        match self {
            Setting::CloudSams => StatusCode::CloudSamFileFormat,
            Setting::DefaultReader => StatusCode::PcscOther,
            Setting::Cors => StatusCode::DcUndefined,
        }
    }
}

/// Settings plus where they live and how cloud SAMs are sealed.
#[derive(Debug, Clone)]
pub struct Store {
    path: Option<PathBuf>,
    ctx: KeyContext,
    /// Current settings.
    pub settings: Settings,
    /// Decrypted cloud SAMs.
    pub cloud_sams: Vec<CloudSam>,
    /// Why the sealed cloud SAM list could not be opened, if it could not.
    pub store_error: Option<String>,
}

impl Store {
    /// Loads from `dir/settings.json` (in memory only when `dir` is None).
    pub fn load(dir: Option<PathBuf>, ctx: KeyContext) -> Store {
        let path = dir.map(|d| d.join("settings.json"));
        // No file yet is the normal first start; an unreadable one is reported and replaced
        // by defaults (the middleware must start to be repaired through its settings API).
        // A malformed one is first moved aside, so the next save cannot destroy what the
        // user had in it.
        let settings: Settings = match path.as_ref().map(|p| (p, std::fs::read(p))) {
            None => Settings::default(),
            Some((_, Err(e))) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Some((_, Err(e))) => {
                tracing::warn!(error = %e, "settings unreadable; starting with defaults");
                Settings::default()
            }
            Some((p, Ok(b))) => serde_json::from_slice(&b).unwrap_or_else(|e| {
                let kept = p.with_extension("json.malformed");
                match std::fs::rename(p, &kept) {
                    Ok(()) => tracing::warn!(error = %e, kept = %kept.display(),
                        "settings file malformed; kept aside, starting with defaults"),
                    Err(r) => tracing::warn!(error = %e, rename = %r,
                        "settings file malformed and could not be kept aside; starting with defaults"),
                }
                Settings::default()
            }),
        };
        let (cloud_sams, store_error) = match &settings.cloud_sams_sealed {
            Some(s) => match ctx.open(s) {
                Ok(mut v) => {
                    assign_comports(&mut v);
                    (v, None)
                }
                Err(e) => (Vec::new(), Some(e)),
            },
            None => (Vec::new(), None),
        };
        Store {
            path,
            ctx,
            settings,
            cloud_sams,
            store_error,
        }
    }

    /// Writes the settings for a settings function, failing with that function's code (see
    /// [`Setting::failure_code`]).
    pub fn save_for(&mut self, what: Setting) -> Result<(), crate::error::Fail> {
        self.save()
            .map_err(|e| crate::error::Fail::new(what.failure_code(), e))
    }

    /// Writes the settings so that a crash (kill -9, power loss) at any instant leaves
    /// either the old or the new file, never a torn one: write a temp file (mode 0600),
    /// fsync it, rename it over the old file, fsync the directory.
    pub fn save(&mut self) -> Result<(), String> {
        self.settings.cloud_sams_sealed = if self.cloud_sams.is_empty() {
            None
        } else {
            Some(self.ctx.seal(&self.cloud_sams)?)
        };
        let Some(p) = &self.path else { return Ok(()) };
        let body = serde_json::to_vec_pretty(&self.settings).map_err(|e| e.to_string())?;
        write_atomically(p, &body)
    }
}

/// Replaces `path` with `body` atomically and durably (see [`Store::save`]).
fn write_atomically(path: &std::path::Path, body: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(d) = dir {
        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
    }
    let tmp = path.with_extension("tmp");
    fn err(p: &std::path::Path) -> impl Fn(std::io::Error) -> String + '_ {
        move |e| format!("{}: {e}", p.display())
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(err(&tmp))?;
    f.write_all(body).map_err(err(&tmp))?;
    f.sync_all().map_err(err(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err(path))?;
    // The rename itself is durable only once the directory is synced. Unix only: Windows
    // cannot open a directory as a file (it journals the rename's metadata itself), and
    // trying made every settings save fail there (caught by the Windows build under Wine).
    #[cfg(unix)]
    if let Some(d) = dir {
        std::fs::File::open(d)
            .and_then(|d| d.sync_all())
            .map_err(err(d))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sam() -> CloudSam {
        CloudSam {
            sam_id: "901000000047".into(),
            hospital_id: "7777777777".into(),
            hospital_name: "測試機構".into(),
            hospital_short_name: "測試".into(),
            secret: "c2VjcmV0".into(),
            comport: Some(1),
        }
    }

    #[test]
    fn comports_are_the_smallest_free_numbers_and_kept() {
        let with = |id: &str, c: Option<u16>| CloudSam {
            sam_id: id.into(),
            comport: c,
            ..sam()
        };
        let mut v = vec![with("a", None), with("b", Some(1)), with("c", None)];
        assign_comports(&mut v);
        let got: Vec<_> = v.iter().map(|s| s.comport).collect();
        assert_eq!(got, vec![Some(2), Some(1), Some(3)]);
    }

    #[test]
    fn store_copied_to_another_user_or_machine_is_useless() {
        let here = KeyContext {
            machine: "m1".into(),
            user: "alice:1000".into(),
        };
        let sealed = here.seal(&[sam()]).unwrap();
        assert!(!sealed.contains("901000000047"));
        assert_eq!(here.open(&sealed).unwrap(), vec![sam()]);
        let other_user = KeyContext {
            machine: "m1".into(),
            user: "bob:1001".into(),
        };
        let other_machine = KeyContext {
            machine: "m2".into(),
            user: "alice:1000".into(),
        };
        assert!(other_user.open(&sealed).is_err());
        assert!(other_machine.open(&sealed).is_err());
    }

    #[test]
    fn settings_persist_and_reload() {
        let dir = std::env::temp_dir().join(format!("nhi-mw-settings-{}", std::process::id()));
        let ctx = KeyContext {
            machine: "m".into(),
            user: "u".into(),
        };
        let mut s = Store::load(Some(dir.clone()), ctx.clone());
        s.cloud_sams.push(sam());
        s.settings.cors_hosts.push("www.nhi.gov.tw".into());
        s.save().unwrap();
        let raw = std::fs::read_to_string(dir.join("settings.json")).unwrap();
        assert!(!raw.contains("c2VjcmV0"), "secret never in clear");
        let back = Store::load(Some(dir.clone()), ctx);
        assert_eq!(back.cloud_sams, vec![sam()]);
        let elsewhere = Store::load(
            Some(dir.clone()),
            KeyContext {
                machine: "x".into(),
                user: "u".into(),
            },
        );
        assert!(elsewhere.cloud_sams.is_empty() && elsewhere.store_error.is_some());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_malformed_settings_file_is_kept_aside_not_overwritten() {
        let dir = std::env::temp_dir().join(format!("nhi-mw-malformed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = br#"{"cors_hosts": ["www.nhi.gov.tw"], oops"#;
        std::fs::write(dir.join("settings.json"), bad).unwrap();
        let ctx = KeyContext {
            machine: "m".into(),
            user: "u".into(),
        };
        let mut s = Store::load(Some(dir.clone()), ctx);
        assert!(s.settings.cors_hosts.is_empty(), "defaults");
        s.save().unwrap();
        let kept = std::fs::read(dir.join("settings.json.malformed")).unwrap();
        assert_eq!(kept, bad, "what the user had survives the next save");
        std::fs::remove_dir_all(dir).ok();
    }
}
