//! The faults the mock DC can be told to inject (by the emulator's control API or the
//! harness), with the 6.0 status a middleware should answer each with.

use serde::{Deserialize, Serialize};

/// A DC fault kind; on the wire its camelCase name (`http5xx`, `dropSession`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// Added latency before the reply, `ms` milliseconds.
    Latency,
    /// HTTP 503 with 1702 (→ the middleware's 1702).
    Http5xx,
    /// Connections reset, open ones dropped (→ 1700).
    Refuse,
    /// 1703: the DC forgot the session.
    DropSession,
    /// The reply body trickles, `ms` per 16 bytes (→ the middleware's time-out, 1700).
    SlowBody,
    /// HTTP 404 with 1701.
    UnknownCommand,
    /// 1799.
    Undefined,
    /// HTTP 429 with a JSON body that has no status code, as a rate limiter in front of
    /// the DC answers (→ the middleware's 1702: the HTTP status is all it has).
    TooManyRequests,
    /// HTTP 200 with a JSON body that has no status code (→ 1799: a reply the middleware
    /// cannot read).
    NoStatus,
}

impl FaultKind {
    /// Every kind, in the order documented.
    pub const ALL: [FaultKind; 9] = [
        FaultKind::Latency,
        FaultKind::Http5xx,
        FaultKind::Refuse,
        FaultKind::DropSession,
        FaultKind::SlowBody,
        FaultKind::UnknownCommand,
        FaultKind::Undefined,
        FaultKind::TooManyRequests,
        FaultKind::NoStatus,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Latency => "latency",
            FaultKind::Http5xx => "http5xx",
            FaultKind::Refuse => "refuse",
            FaultKind::DropSession => "dropSession",
            FaultKind::SlowBody => "slowBody",
            FaultKind::UnknownCommand => "unknownCommand",
            FaultKind::Undefined => "undefined",
            FaultKind::TooManyRequests => "tooManyRequests",
            FaultKind::NoStatus => "noStatus",
        }
    }

    /// From the wire name; the error names the known kinds.
    pub fn parse(s: &str) -> Result<FaultKind, String> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("fault kind {s:?}: one of {}", known.join(", "))
            })
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<FaultKind, String> {
        FaultKind::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_parse() {
        for k in FaultKind::ALL {
            let j = serde_json::to_string(&k).unwrap();
            assert_eq!(j, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<FaultKind>(&j).unwrap(), k);
            assert_eq!(FaultKind::parse(k.as_str()), Ok(k));
        }
        let e = FaultKind::parse("meteor").unwrap_err();
        assert!(e.contains("meteor") && e.contains("slowBody"), "{e}");
    }
}
