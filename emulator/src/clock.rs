//! The virtual clock. Cores never read the OS clock; they are handed a [`Clock`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A source of "now" in unix seconds.
pub trait Clock: Send + Sync {
    /// Current instant, unix seconds.
    fn now(&self) -> i64;
}

/// A clock that moves only when told to (set / advance): runs are reproducible.
#[derive(Debug, Clone)]
pub struct VirtualClock(Arc<AtomicI64>);

impl VirtualClock {
    /// A clock standing at `unix_secs`.
    pub fn at(unix_secs: i64) -> VirtualClock {
        VirtualClock(Arc::new(AtomicI64::new(unix_secs)))
    }
    /// Sets the instant.
    pub fn set(&self, unix_secs: i64) {
        self.0.store(unix_secs, Ordering::SeqCst);
    }
    /// Moves forward (or back, with a negative value) and returns the new instant.
    pub fn advance(&self, secs: i64) -> i64 {
        self.0.fetch_add(secs, Ordering::SeqCst) + secs
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The wall clock, for `nhi-emu up` when no virtual time is wanted.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// 2019-10-21T00:00:00+08:00, the week the pilot started collecting cases (seed 000).
pub const PILOT_EPOCH: i64 = 1_571_587_200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_when_told() {
        let c = VirtualClock::at(100);
        assert_eq!(c.now(), 100);
        assert_eq!(c.advance(61), 161);
        let shared = c.clone();
        shared.set(5);
        assert_eq!(c.now(), 5);
    }
}
