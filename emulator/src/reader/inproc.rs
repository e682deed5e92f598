//! The in-process endpoint: a reader that is just a function call.

use super::Slot;

/// Why an in-process transmit failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InprocError {
    /// No card in the slot.
    #[error("no card in the reader")]
    NoCard,
    /// The card was removed or replaced since it was powered on.
    #[error("card removed")]
    Removed,
}

/// A connection to a slot, bound to the card that was there when it connected.
#[derive(Debug, Clone)]
pub struct InprocConnection {
    slot: Slot,
    generation: u64,
}

impl InprocConnection {
    /// Connects (powers on) the card in `slot`; returns the ATR.
    pub fn connect(slot: &Slot) -> Result<(InprocConnection, Vec<u8>), InprocError> {
        let atr = slot.power_on().ok_or(InprocError::NoCard)?;
        Ok((
            InprocConnection {
                slot: slot.clone(),
                generation: slot.generation(),
            },
            atr,
        ))
    }
    /// True while the card this connection powered on is still in the slot.
    pub fn is_alive(&self) -> bool {
        let s = self.slot.lock();
        s.generation == self.generation && s.card.is_some()
    }
    /// Sends one APDU; fails with `Removed` if the card was yanked since connecting.
    pub fn transmit(&self, apdu: &[u8]) -> Result<Vec<u8>, InprocError> {
        self.slot
            .exchange(|g| g == self.generation, apdu)
            .ok_or(InprocError::Removed)
    }
}
