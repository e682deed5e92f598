//! Faulty cards for negative tests: a card without the NHI application and a card whose
//! application answers nothing useful. A real card that fails or garbles one command is a
//! [`Tampered`](super::tampered::Tampered); the forged HC (right format, wrong keys) is in
//! `fixtures.rs`.

use super::{status, Card, CardKind};
use nhi_protocol::apdu::{sw, Command, ATR_HC, ATR_HPC};

/// How the card misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No NHI application: SELECT answers `6A 82`.
    NoApplet,
    /// The application selects, then every command answers `6F 00`.
    Broken,
}

/// A faulty card with the ATR of an HC or an HPC.
#[derive(Debug, Clone)]
pub struct Faulty {
    kind: CardKind,
    fault: Fault,
    selected: bool,
}

impl Faulty {
    /// A faulty card that looks like `kind` (HC or HPC) from its ATR.
    pub fn new(kind: CardKind, fault: Fault) -> Faulty {
        Faulty {
            kind,
            fault,
            selected: false,
        }
    }
}

impl Card for Faulty {
    fn atr(&self) -> &'static [u8] {
        if self.kind == CardKind::Hpc {
            ATR_HPC
        } else {
            ATR_HC
        }
    }
    fn reset(&mut self) {
        self.selected = false;
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        let Ok(c) = Command::parse(apdu) else {
            return status(sw::WRONG_LENGTH);
        };
        match (self.fault, c.ins) {
            (Fault::NoApplet, 0xA4) => status(sw::NOT_FOUND),
            (Fault::NoApplet, _) => status(sw::CONDITIONS_NOT_SATISFIED),
            (Fault::Broken, 0xA4) => {
                self.selected = true;
                status(sw::OK)
            }
            (Fault::Broken, _) => status(0x6F00),
        }
    }
    fn kind(&self) -> CardKind {
        self.kind
    }
    fn label(&self) -> String {
        format!("faulty {:?} ({:?})", self.kind, self.fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_answer_as_documented() {
        let mut a = Faulty::new(CardKind::Hc, Fault::NoApplet);
        assert_eq!(a.handle(&nhi_protocol::apdu::select_hc()), vec![0x6A, 0x82]);
        let mut b = Faulty::new(CardKind::Hpc, Fault::Broken);
        assert_eq!(b.atr(), ATR_HPC);
        assert_eq!(b.handle(&nhi_protocol::apdu::select_hc()), vec![0x90, 0x00]);
        assert_eq!(b.handle(nhi_protocol::apdu::GET_BASIC), vec![0x6F, 0x00]);
        assert_eq!(b.handle(&[1]), vec![0x67, 0x00]);
    }
}
