//! `POST /pads`: a person at an ifd reader's PIN pad — types digits (`#` = OK), presses
//! Cancel (the entry ends with `64 01`) or lets it time out (`64 00`); with no action, the
//! pad's state. The pads are those of `[[ifd]]` readers with `pin_pad = true` (in `nhi-emu
//! dev` without them: the HC and the HPC reader's), named by the reader's card slot.

use super::{Control, Refusal, StatusCode};
use crate::reader::ifd_pin::PadAction;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What the person does at the pad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadPress {
    /// The card slot of the reader with the pad.
    pub reader: String,
    /// Digits to type, `#` for OK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<String>,
    /// Press Cancel.
    #[serde(default)]
    pub cancel: bool,
    /// Let the entry time out now.
    #[serde(default)]
    pub timeout: bool,
    /// Do it when the pad next asks for a PIN (now, if it is asking).
    #[serde(default)]
    pub next: bool,
}

impl PadPress {
    /// The actions, in the order a person does them: keys, then Cancel, then time-out.
    pub fn actions(&self) -> Vec<PadAction> {
        let keys = self.keys.clone().map(PadAction::Keys);
        let cancel = self.cancel.then_some(PadAction::Cancel);
        let timeout = self.timeout.then_some(PadAction::TimeOut);
        [keys, cancel, timeout].into_iter().flatten().collect()
    }
}

impl Control {
    /// Presses keys on a pad; the reply is the pad's state after them.
    pub fn pad(&self, p: &PadPress) -> Result<Value, Refusal> {
        let pad = self
            .pads
            .iter()
            .find(|(name, _)| *name == p.reader)
            .map(|(_, pad)| pad)
            .ok_or_else(|| {
                Refusal::new(
                    StatusCode::NOT_FOUND,
                    "no-reader",
                    format!("no PIN pad on reader {:?}", p.reader),
                )
            })?;
        let refused = |e: String| Refusal::new(StatusCode::CONFLICT, "refused", e);
        let mut status = pad.status();
        for action in p.actions() {
            status = if p.next {
                pad.arm(action)
            } else {
                pad.act(action)
            }
            .map_err(refused)?;
        }
        Ok(json!({ "reader": p.reader, "pad": status }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{CardFactory, Fixtures};
    use crate::reader::ifd_pin::PinPad;
    use std::sync::Arc;

    fn control(pad: &PinPad) -> Control {
        Control {
            slots: Vec::new(),
            factory: Arc::new(CardFactory::test().unwrap()),
            fixtures: Arc::new(Fixtures::demo().unwrap()),
            clock: crate::clock::VirtualClock::live(),
            dc: None,
            dc_endpoint: None,
            card_rng: crate::card::CardRng::Live,
            announce_wait: Vec::new(),
            pads: vec![("pad reader".into(), pad.clone())],
            apdu_log: Default::default(),
        }
    }

    fn press(reader: &str, keys: Option<&str>, cancel: bool) -> PadPress {
        PadPress {
            reader: reader.into(),
            keys: keys.map(str::to_string),
            cancel,
            timeout: false,
            next: false,
        }
    }

    #[test]
    fn pads_are_found_by_reader_and_refuse_keys_with_no_entry() {
        let pad = PinPad::new();
        let c = control(&pad);
        let state = c.pad(&press("pad reader", None, false)).unwrap();
        assert_eq!(state["pad"]["waiting"], false);
        assert_eq!(
            c.pad(&press("other", None, false)).unwrap_err().error,
            "no-reader"
        );
        let r = c.pad(&press("pad reader", Some("12"), false)).unwrap_err();
        assert_eq!((r.status, r.error), (StatusCode::CONFLICT, "refused"));
        assert!(c.pad(&press("pad reader", None, true)).is_err());
        // With `next`, the keys wait for the pad to ask.
        let armed = PadPress {
            next: true,
            ..press("pad reader", Some("123456#"), true)
        };
        let state = c.pad(&armed).unwrap();
        assert_eq!(
            (&state["pad"]["armed"], &state["pad"]["waiting"]),
            (&json!(true), &json!(false))
        );
        let bad = PadPress {
            next: true,
            ..press("pad reader", Some("12*"), false)
        };
        assert!(c.pad(&bad).unwrap_err().reason.contains("key '*'"));
    }
}
