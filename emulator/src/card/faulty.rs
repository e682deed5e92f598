//! Faulty cards for negative tests: a card without the NHI application, a card whose
//! application answers nothing useful, and a [`Tampered`] real card that fails one
//! command (a signature that does not come out, a PIN that will not clear, a missing
//! certificate). The forged HC (right format, wrong keys) is in `fixtures.rs`.

use super::{status, Card, CardKind, CardRng};
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

/// A real card that answers one command with a failure status word.
pub struct Tampered {
    inner: Box<dyn Card>,
    ins: u8,
    p2: Option<u8>,
    sw: u16,
    what: &'static str,
}

impl std::fmt::Debug for Tampered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tampered")
            .field("card", &self.inner.label())
            .field("what", &self.what)
            .finish()
    }
}

impl Tampered {
    /// `inner`, except that commands with `ins` (and `p2`, when given) answer `sw`.
    pub fn new(
        inner: Box<dyn Card>,
        ins: u8,
        p2: Option<u8>,
        sw: u16,
        what: &'static str,
    ) -> Tampered {
        Tampered {
            inner,
            ins,
            p2,
            sw,
            what,
        }
    }
}

impl Card for Tampered {
    fn atr(&self) -> &'static [u8] {
        self.inner.atr()
    }
    fn reset(&mut self) {
        self.inner.reset();
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        match Command::parse(apdu) {
            Ok(c) if c.ins == self.ins && self.p2.is_none_or(|p| p == c.p2) => status(self.sw),
            _ => self.inner.handle(apdu),
        }
    }
    fn kind(&self) -> CardKind {
        self.inner.kind()
    }
    fn label(&self) -> String {
        format!("{} ({})", self.inner.label(), self.what)
    }
    fn reseed(&mut self, source: CardRng) {
        self.inner.reseed(source);
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
