//! Readers: slots that hold cards, and the endpoints that carry APDUs to them
//! (in-process, vpcd or our own pcscd driver for PC/SC, a COM-port reader on a pty).

pub mod fault;
pub mod ifd;
pub mod ifd_pin;
pub mod inproc;
pub mod noise;
pub mod pin_pad;
pub mod serial;
pub mod vpcd;

use crate::card::{Card, CardKind};
pub use fault::ReaderFault;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// What a slot holds.
#[derive(Default)]
pub struct SlotState {
    /// The card in the slot, if any.
    pub card: Option<Box<dyn Card>>,
    /// Counts insertions and removals; endpoints use it to notice a yank.
    pub generation: u64,
    /// The generation whose ATR a reader (pcscd) has been given: the card is visible.
    pub announced: u64,
    /// A fault of the reader this slot belongs to (the control API sets it).
    pub fault: Option<ReaderFault>,
    /// The slot belongs to the COM reader, which acts on `unplugged` in its own thread.
    pub com_served: bool,
    /// The COM reader has closed its port (it acted on `unplugged`).
    pub line_down: bool,
}

/// A reader slot shared between the control plane and an endpoint; the condition variable
/// wakes endpoints that wait for a card event (the ifd endpoint).
#[derive(Clone, Default)]
pub struct Slot(Arc<Mutex<SlotState>>, Arc<Condvar>);

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("Slot")
            .field("card", &s.card.as_ref().map(|c| c.label()))
            .field("generation", &s.generation)
            .finish()
    }
}

impl Slot {
    /// An empty slot.
    pub fn empty() -> Slot {
        Slot::default()
    }
    /// Locks the slot; a poisoned lock (a panicking holder) is recovered, not propagated.
    pub fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Inserts a card (replacing any) and powers it up fresh.
    pub fn insert(&self, mut card: Box<dyn Card>) {
        card.reset();
        let mut s = self.lock();
        s.card = Some(card);
        s.generation += 1;
        self.1.notify_all();
    }
    /// Removes the card, returning it.
    pub fn remove(&self) -> Option<Box<dyn Card>> {
        let mut s = self.lock();
        s.generation += 1;
        self.1.notify_all();
        s.card.take()
    }
    /// Waits up to `timeout` until the slot's (present, generation) differs from `known`;
    /// returns the state then.
    pub fn wait_change(&self, known: (bool, u64), timeout: Duration) -> (bool, u64) {
        let now = |s: &SlotState| (s.card.is_some(), s.generation);
        let guard = self.lock();
        let (guard, _) = self
            .1
            .wait_timeout_while(guard, timeout, |s| now(s) == known)
            .unwrap_or_else(|p| p.into_inner());
        now(&guard)
    }
    /// True when both handles are the same slot.
    pub fn same(&self, other: &Slot) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
    /// Sets or clears the reader's fault.
    pub fn set_fault(&self, fault: Option<ReaderFault>) {
        self.lock().fault = fault;
    }
    /// The reader's fault, if any.
    pub fn fault(&self) -> Option<ReaderFault> {
        self.lock().fault
    }
    /// Waits (up to 2 s) until the endpoint has acted on the slot's fault: a COM reader's
    /// port is gone when unplugged and back otherwise, so the next client finds it so.
    pub async fn fault_settled(&self) {
        let settled = || {
            let s = self.lock();
            !s.com_served || s.line_down == (s.fault == Some(ReaderFault::Unplugged))
        };
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        while !settled() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    /// True when a card is in the slot.
    pub fn is_present(&self) -> bool {
        self.lock().card.is_some()
    }
    /// Kind and label of the card in the slot.
    pub fn describe(&self) -> Option<(CardKind, String)> {
        self.lock().card.as_ref().map(|c| (c.kind(), c.label()))
    }
    /// The generation counter.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }
    /// True when the card now in the slot has been announced to the reader subsystem.
    pub fn is_announced(&self) -> bool {
        let s = self.lock();
        s.card.is_some() && s.announced == s.generation
    }
    /// Sends one APDU to the card; None when the slot is empty.
    pub fn transmit(&self, apdu: &[u8]) -> Option<Vec<u8>> {
        self.exchange(|_| true, apdu)
    }
    /// Sends one APDU to the card when `current(generation)` says it is still the card the
    /// caller connected to; None when it is not, when the slot is empty, or when the person
    /// pulls the card out during the command ([`Card::pulled`]): the card leaves the slot
    /// unanswered, and waiters hear of it.
    pub fn exchange(&self, current: impl FnOnce(u64) -> bool, apdu: &[u8]) -> Option<Vec<u8>> {
        let mut s = self.lock();
        if !current(s.generation) {
            return None;
        }
        let card = s.card.as_mut()?;
        let reply = card.handle(apdu);
        if card.pulled() {
            s.card = None;
            s.generation += 1;
            self.1.notify_all();
            return None;
        }
        Some(reply)
    }
    /// The ATR of the card, after a reset; None when empty.
    pub fn power_on(&self) -> Option<Vec<u8>> {
        let mut s = self.lock();
        s.card.as_mut().map(|c| {
            c.reset();
            c.atr().to_vec()
        })
    }
}

/// A named reader slot, as a PC/SC reader or a COM-port slot would be seen.
#[derive(Debug, Clone)]
pub struct NamedSlot {
    /// Reader name as clients see it.
    pub name: String,
    /// The slot.
    pub slot: Slot,
}
