//! The `pad` step: a person at the PIN pad of a role's ifd reader, who knows what to type
//! before the middleware asks. The step arms the emulated pad (`POST /pads` with `next`);
//! the pad does it as soon as the next PIN entry starts, so the call after the step — which
//! blocks while the pad asks — finds the PIN typed, the entry cancelled or timed out.
//!
//! `pad = { type = "000000" }` types a PIN and OK; `type = ["654321", "654321"]` types
//! several (a new PIN and its confirmation); `cancel = true`, `timeout = true`. `reader` is
//! a role (default `hpc`, seed 004's dedicated HPC reader).

use super::vars::Vars;
use crate::bench::Bench;
use nhi_emulator::control::pad::PadPress;
use nhi_emulator::control::Command;
use nhi_emulator::reader::ifd_pin::PadAction;
use nhi_emulator::world::{standard_ifd_slot_names, STANDARD_READERS};
use serde::Deserialize;

/// `pad` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PadStep {
    /// Reader role whose pad it is.
    #[serde(default = "hpc")]
    pub reader: String,
    /// PINs typed, each ended with OK (`${var}` allowed).
    #[serde(rename = "type", default)]
    pub typed: Option<Pins>,
    /// Press Cancel (after any typed PINs).
    #[serde(default)]
    pub cancel: bool,
    /// Let the entry time out.
    #[serde(default)]
    pub timeout: bool,
}

/// One PIN or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Pins {
    /// `type = "000000"`.
    One(String),
    /// `type = ["654321", "654321"]`.
    Several(Vec<String>),
}

fn hpc() -> String {
    "hpc".into()
}

impl PadStep {
    /// The step as the control API's pad press (keys `PIN#PIN#…`), checked: at least one
    /// action, PINs of digits only.
    pub fn press(&self, vars: &Vars) -> Result<PadPress, String> {
        let pins = match &self.typed {
            None => Vec::new(),
            Some(Pins::One(p)) => vec![p.clone()],
            Some(Pins::Several(p)) => p.clone(),
        };
        let mut keys = String::new();
        for p in &pins {
            let p = vars.subst(p)?;
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("pad: PIN {p:?} must be digits"));
            }
            keys.push_str(&p);
            keys.push('#');
        }
        if keys.is_empty() && !self.cancel && !self.timeout {
            return Err("pad: needs `type`, `cancel` or `timeout`".into());
        }
        Ok(PadPress {
            reader: ifd_slot_name(&self.reader)?,
            keys: (!keys.is_empty()).then_some(keys),
            cancel: self.cancel,
            timeout: self.timeout,
            next: true,
        })
    }

    /// Arms the pad of the step's reader.
    pub async fn run(&self, bench: Bench<'_>, vars: &Vars) -> Result<(), String> {
        let press = self.press(vars)?;
        match bench {
            Bench::Local(w) => {
                let pad = w.pin_pad(&self.reader).ok_or_else(|| {
                    format!(
                        "pad: the {} reader has no PIN pad (pad steps need `transports = [\"ifd\"]`)",
                        self.reader
                    )
                })?;
                press
                    .actions()
                    .into_iter()
                    .try_for_each(|a: PadAction| pad.arm(a).map(|_| ()))
            }
            Bench::Remote(r) => r.send(Command::Pad(press)).await.map(|_| ()),
        }
    }
}

/// The PC/SC name of a role's slot on the standard ifd readers (pads are named by it).
fn ifd_slot_name(role: &str) -> Result<String, String> {
    let i = STANDARD_READERS
        .iter()
        .position(|r| r.role == role)
        .ok_or_else(|| format!("pad: reader {role:?}: hc, sam, hpc or spare"))?;
    standard_ifd_slot_names()
        .get(i)
        .cloned()
        .ok_or_else(|| format!("pad: no ifd slot for reader {role:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(toml_text: &str) -> PadStep {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn steps_become_armed_pad_presses() {
        let v = Vars::default();
        let p = step("type = [\"654321\", \"654321\"]").press(&v).unwrap();
        assert_eq!(p.keys.as_deref(), Some("654321#654321#"));
        assert_eq!(p.reader, "NHI IFD 2 01 00");
        assert!(p.next && !p.cancel && !p.timeout);
        let p = step("type = \"000000\"\ncancel = true").press(&v).unwrap();
        assert_eq!(
            p.actions(),
            [PadAction::Keys("000000#".into()), PadAction::Cancel]
        );
        assert!(step("").press(&v).unwrap_err().contains("needs `type`"));
        assert!(step("type = \"12a\"")
            .press(&v)
            .unwrap_err()
            .contains("digits"));
        assert!(step("reader = \"x\"\ntimeout = true")
            .press(&v)
            .unwrap_err()
            .contains("hc, sam, hpc or spare"));
        assert!(toml::from_str::<PadStep>("keys = \"1\"").is_err());
    }
}
