//! A card the person pulls out of its reader in the middle of an operation: it answers every
//! command until the first one with a given INS, and is gone before answering that one —
//! the reader reports the card removed, as a real reader does when the contacts open during
//! a command. It makes "a card removed mid-operation" a scenario step instead of a race
//! (the middleware checks which cards are in at the start of each call).

use super::{Card, CardKind, CardRng};

/// A real card that leaves its reader at the first command with `ins`.
pub struct PulledAt {
    inner: Box<dyn Card>,
    ins: u8,
    pulled: bool,
}

impl std::fmt::Debug for PulledAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PulledAt")
            .field("card", &self.inner.label())
            .field("ins", &self.ins)
            .field("pulled", &self.pulled)
            .finish()
    }
}

impl PulledAt {
    /// `inner`, pulled out at its first command with `ins`.
    pub fn new(inner: Box<dyn Card>, ins: u8) -> PulledAt {
        PulledAt {
            inner,
            ins,
            pulled: false,
        }
    }
}

impl Card for PulledAt {
    fn atr(&self) -> &'static [u8] {
        self.inner.atr()
    }
    fn reset(&mut self) {
        self.inner.reset();
    }
    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        if apdu.get(1) == Some(&self.ins) {
            self.pulled = true;
            // Never delivered: the slot drops a pulled card before answering.
            return Vec::new();
        }
        self.inner.handle(apdu)
    }
    fn kind(&self) -> CardKind {
        self.inner.kind()
    }
    fn label(&self) -> String {
        self.inner.label()
    }
    fn reseed(&mut self, source: CardRng) {
        self.inner.reseed(source);
    }
    fn pulled(&self) -> bool {
        self.pulled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{CardFactory, Fixtures};
    use crate::reader::Slot;
    use nhi_protocol::apdu::ins;

    #[test]
    fn the_card_leaves_its_slot_at_the_named_command_unanswered() {
        let f = Fixtures::demo().unwrap();
        let sam = CardFactory::test().unwrap().sam(&f.hospitals[0]).unwrap();
        let slot = Slot::empty();
        slot.insert(Box::new(PulledAt::new(
            Box::new(sam),
            ins::EXTERNAL_AUTHENTICATE,
        )));
        let generation = slot.generation();
        // Other commands are answered as the real card answers them.
        let select = slot
            .transmit(&[0x00, ins::SELECT, 0x04, 0x00, 0x00])
            .unwrap();
        assert!(select.len() >= 2);
        assert!(slot.is_present());
        // The named one is not answered: the card is gone, the slot's generation moved on.
        assert_eq!(
            slot.transmit(&[0x80, ins::EXTERNAL_AUTHENTICATE, 0x00, 0x00, 0x00]),
            None
        );
        assert!(!slot.is_present());
        assert_eq!(slot.generation(), generation + 1);
    }

    #[test]
    fn a_connection_to_the_pulled_card_sees_it_removed() {
        let f = Fixtures::demo().unwrap();
        let hc = CardFactory::test().unwrap().hc(&f.people[0]).unwrap();
        let slot = Slot::empty();
        slot.insert(Box::new(PulledAt::new(Box::new(hc), ins::READ_BINARY)));
        let (conn, _atr) = crate::reader::inproc::InprocConnection::connect(&slot).unwrap();
        assert!(conn.is_alive());
        assert!(conn
            .transmit(&[0x00, ins::READ_BINARY, 0x00, 0x00, 0x00])
            .is_err());
        assert!(!conn.is_alive());
    }
}
