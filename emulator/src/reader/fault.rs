//! Faults of the reader hardware, as a person pulling a cable or a failing reader causes
//! them; set through the control API (`POST /readers/fault`). What each fault looks like
//! depends on the endpoint that carries the reader (emulator/docs/CONTROL.md, "Reader
//! faults"):
//!
//! | fault       | in-process                    | COM reader (pty)                   | vpcd            |
//! |-------------|-------------------------------|------------------------------------|-----------------|
//! | `unplugged` | reader leaves the list (1100) | the port vanishes (1201)           | not carried     |
//! | `failing`   | every call fails (1199)       | reader goes silent (1202)          | not carried     |
//! | `garbling`  | not carried                   | every reply corrupted (1202)       | not carried     |
//! | `noisy`     | not carried                   | troubles a host recovers from (noise.rs) | not carried |
//! | `slow`      | not carried                   | every reply 300 ms late (0000)     | not carried     |
//!
//! vpcd readers are defined by pcscd's configuration and never leave its list, and the
//! vsmartcard driver reports every failure as a communication error (a removed card to the
//! middleware), so it carries none of them; the codes in brackets are what the reference
//! middleware answers. The in-process endpoint is devstack/transport.rs.

use serde::{Deserialize, Serialize};

/// A reader fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReaderFault {
    /// The reader is disconnected from the computer.
    Unplugged,
    /// The reader is connected but does not work.
    Failing,
    /// The reader answers, but its replies arrive corrupted (a bad cable).
    Garbling,
    /// A noisy line: each request meets one recoverable trouble in turn — a corrupted
    /// request, a corrupted reply, a reader that lost the sequence (reader/noise.rs).
    Noisy,
    /// A slow reader: every reply leaves 300 ms after the request (a card that signs
    /// slowly behind a 115 200 baud line); a host that waits as long as the protocol says
    /// sees nothing wrong.
    Slow,
}

impl ReaderFault {
    /// Every fault, for help texts.
    pub const ALL: [ReaderFault; 5] = [
        ReaderFault::Unplugged,
        ReaderFault::Failing,
        ReaderFault::Garbling,
        ReaderFault::Noisy,
        ReaderFault::Slow,
    ];

    /// The wire name (`unplugged`, `failing`, `garbling`).
    pub fn name(self) -> &'static str {
        match self {
            ReaderFault::Unplugged => "unplugged",
            ReaderFault::Failing => "failing",
            ReaderFault::Garbling => "garbling",
            ReaderFault::Noisy => "noisy",
            ReaderFault::Slow => "slow",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for f in ReaderFault::ALL {
            let j = serde_json::to_value(f).unwrap();
            assert_eq!(j, serde_json::json!(f.name()));
            assert_eq!(serde_json::from_value::<ReaderFault>(j).unwrap(), f);
        }
        assert!(serde_json::from_value::<ReaderFault>(serde_json::json!("melted")).is_err());
    }
}
