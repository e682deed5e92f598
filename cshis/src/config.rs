//! Where the 6.0 Web API is: `NHI_CSHIS_URL` / `NHI_CSHIS_CA` in the environment, else a
//! `csHis.ini` beside the DLL (or, failing that, beside the program), else the real
//! product's address `https://localhost:5066`.
//!
//! ```ini
//! [csHis]
//! ; base URL of the control software 6.0 Web API
//! url = https://localhost:5066
//! ; PEM of the CA that signed its certificate (optional: without it, only a loopback
//! ; service's self-signed certificate is accepted, as the real product ships one)
//! ca = C:\NHI\service-ca.pem
//! ; seconds to wait for a reply (the DC behind a SAM verification can be slow)
//! timeout = 60
//! ; a reader for a COM port (cloud SAMs have their Comport; a physical reader's 6.0
//! ; device name is not a COM number)
//! com2 = NHI Reader 1 SAM
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The real product's address.
pub const DEFAULT_URL: &str = "https://localhost:5066";
/// The settings file's name.
pub const INI_NAME: &str = "csHis.ini";
/// Reply wait when none is set: a SAM verification goes to the DC and back.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The component's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Base URL of the 6.0 Web API, without a trailing slash.
    pub url: String,
    /// CA certificate (PEM file) to verify the service with.
    pub ca: Option<PathBuf>,
    /// Reply timeout.
    pub timeout: Duration,
    /// `COM<n>` → the 6.0 device name `csOpenCom` opens for it (`comN = name` lines).
    pub ports: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            url: DEFAULT_URL.into(),
            ca: None,
            timeout: DEFAULT_TIMEOUT,
            ports: BTreeMap::new(),
        }
    }
}

/// Parses `csHis.ini` text: `key = value` lines; `[section]`, `;` and `#` lines ignored.
pub fn parse_ini(text: &str) -> Result<Config, String> {
    let mut c = Config::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with([';', '#', '[']) {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| format!("{INI_NAME} line {}: expected key = value", n + 1))?;
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "url" => c.url = check_url(v)?,
            "ca" => c.ca = Some(PathBuf::from(v)),
            "timeout" => {
                let s: u64 = v
                    .parse()
                    .map_err(|_| format!("{INI_NAME}: timeout {v:?} is not whole seconds"))?;
                c.timeout = Duration::from_secs(s);
            }
            other => match other.strip_prefix("com").map(str::parse::<u16>) {
                Some(Ok(n)) if n >= 1 && !v.is_empty() => {
                    c.ports.insert(format!("COM{n}"), v.to_string());
                }
                _ => {
                    return Err(format!(
                        "{INI_NAME}: unknown key {other:?} (url, ca, timeout, com1, com2, …)"
                    ))
                }
            },
        }
    }
    Ok(c)
}

fn check_url(v: &str) -> Result<String, String> {
    if !(v.starts_with("https://") || v.starts_with("http://")) {
        return Err(format!("url {v:?} must start with https:// or http://"));
    }
    Ok(v.trim_end_matches('/').to_string())
}

/// Loads the settings: the environment overrides the ini file found in `dirs` (first hit).
pub fn load(dirs: &[PathBuf]) -> Result<Config, String> {
    let ini = dirs.iter().map(|d| d.join(INI_NAME)).find(|p| p.is_file());
    let mut c = match ini {
        Some(p) => read(&p)?,
        None => Config::default(),
    };
    if let Ok(u) = std::env::var("NHI_CSHIS_URL") {
        c.url = check_url(&u)?;
    }
    if let Ok(ca) = std::env::var("NHI_CSHIS_CA") {
        c.ca = Some(PathBuf::from(ca));
    }
    Ok(c)
}

fn read(p: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    parse_ini(&text).map_err(|e| format!("{}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_keys_and_errors() {
        let c = parse_ini("[csHis]\n; c\nurl = https://127.0.0.1:9/\nca = x.pem\ntimeout = 5\n")
            .unwrap();
        assert_eq!(c.url, "https://127.0.0.1:9");
        assert_eq!(c.ca, Some(PathBuf::from("x.pem")));
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert!(parse_ini("url = ftp://x").unwrap_err().contains("https://"));
        assert!(parse_ini("port = 1").unwrap_err().contains("unknown key"));
        assert!(parse_ini("timeout = soon").is_err());
        assert!(parse_ini("url").is_err());
        let p = parse_ini("COM2 = NHI Reader 1 SAM\n").unwrap();
        assert_eq!(p.ports["COM2"], "NHI Reader 1 SAM");
        assert!(parse_ini("com0 = x").is_err());
        assert!(parse_ini("com2 =").is_err());
        assert_eq!(parse_ini("").unwrap(), Config::default());
    }
}
