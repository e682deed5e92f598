//! The CORS whitelist: which entries `Cors/Add` accepts, and which origins they allow.
//! Seed 004: 「控制軟體元件預設僅允許 localhost 呼叫 API。若要外部網站呼叫 API,網站名稱需要
//! 加入白名單」; the add dialog says 「僅需輸入主機名稱,例如 www.nhi.gov.tw」, while the
//! seed's own list shows the entry `https://www.nhi.gov.tw`. Both forms are accepted.

use crate::error::Fail;
use nhi_protocol::StatusCode;

/// Is `s` a DNS host name or IPv4 address (letters, digits, `-`, `.`; no empty label)?
fn is_host(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Checks a `Cors/Add` / `Cors/Remove` entry: a host name (`www.nhi.gov.tw`) or an origin
/// (`https://www.nhi.gov.tw`, `http://his.example:8080`) with no path. Anything else is
/// 1706 參數格式異常, the code the middleware gives an out-of-range value.
pub fn check_entry(entry: &str) -> Result<(), Fail> {
    let bad = || {
        Fail::new(
            StatusCode::ParamFormat3,
            "hostName: a host name such as www.nhi.gov.tw, or an origin such as https://www.nhi.gov.tw",
        )
    };
    let rest = match entry.split_once("://") {
        None => return if is_host(entry) { Ok(()) } else { Err(bad()) },
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") =>
        {
            rest
        }
        Some(_) => return Err(bad()),
    };
    let (host, port) = match rest.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let port_ok = port.is_none_or(|p| {
        p.parse::<u16>().is_ok_and(|n| n > 0) && p.bytes().all(|b| b.is_ascii_digit())
    });
    if is_host(host) && port_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// The host of an origin `scheme://host[:port]` (http or https, nothing after the port);
/// None for anything else: `null`, a path or query, credentials (`localhost@evil.com`), a
/// port that is not a number (`localhost:5066.evil`), a trailing-dot name. An IPv6 host
/// comes back bracketed (`[::1]`).
fn origin_host(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (inner, after) = v6.split_once(']')?;
            if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
                return None;
            }
            // Nothing may follow the bracket but a port.
            let port = match after {
                "" => None,
                a => Some(a.strip_prefix(':')?),
            };
            (format!("[{inner}]"), port)
        }
        None => match rest.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (rest.to_string(), None),
        },
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    (port_ok && (host.starts_with('[') || is_host(&host))).then_some(host)
}

/// Does the whitelist allow `origin`? Localhost always; a host-name entry allows that host
/// on any scheme and port, an origin entry that exact origin. An origin that is not a
/// well-formed `scheme://host[:port]` is never allowed, whatever it starts with.
pub fn origin_allowed(origin: &str, hosts: &[String], any: bool) -> bool {
    if any {
        return true;
    }
    let Some(host) = origin_host(origin) else {
        return false;
    };
    ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|l| l.eq_ignore_ascii_case(&host))
        || hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&host) || h.eq_ignore_ascii_case(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_and_origins_are_accepted_malformed_entries_are_1706() {
        for ok in [
            "www.nhi.gov.tw",
            "https://www.nhi.gov.tw",
            "http://his.example:8080",
            "10.0.0.1",
        ] {
            assert!(check_entry(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "https://bad host/",
            "https://www.nhi.gov.tw/",
            "ftp://x.tw",
            "https://",
            "a..b",
            "https://x.tw:0",
            "https://x.tw:99999",
            "https://x.tw:+80",
            "中.tw",
        ] {
            assert_eq!(
                check_entry(bad).unwrap_err().code,
                StatusCode::ParamFormat3,
                "{bad}"
            );
        }
    }

    #[test]
    fn an_origin_entry_allows_that_origin_only() {
        let hosts = vec!["https://www.nhi.gov.tw".to_string()];
        assert!(origin_allowed("https://www.nhi.gov.tw", &hosts, false));
        assert!(!origin_allowed("http://www.nhi.gov.tw", &hosts, false));
        assert!(origin_allowed("http://localhost:3000", &[], false));
    }

    /// Look-alikes of localhost and of a whitelisted host get nothing.
    #[test]
    fn hostile_look_alike_origins_are_refused() {
        let hosts = vec!["www.nhi.gov.tw".to_string()];
        for ok in [
            "http://localhost",
            "https://localhost:65535",
            "http://127.0.0.1:3000",
            "http://[::1]:8080",
            "https://www.nhi.gov.tw",
            "https://WWW.NHI.GOV.TW:8443",
        ] {
            assert!(origin_allowed(ok, &hosts, false), "{ok}");
        }
        for bad in [
            "https://localhost.evil.com",
            "http://localhost:5066.evil",
            "http://localhost:",
            "http://localhost:0",
            "http://localhost.",
            "http://evillocalhost",
            "https://127.0.0.1.nip.io",
            "http://127.0.0.1:80@evil.com",
            "http://localhost@evil.com",
            "http://[::1].evil.com",
            "http://[::1]evil",
            "null",
            "file://",
            "https://evil.com/localhost",
            "localhost",
            "",
            "https://www.nhi.gov.tw.evil.com",
            "https://evil-www.nhi.gov.tw",
            "https://www.nhi.gov.tw/x",
            "ftp://www.nhi.gov.tw",
        ] {
            assert!(!origin_allowed(bad, &hosts, false), "{bad}");
        }
    }
}
