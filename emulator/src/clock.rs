//! The virtual clock. Cores never read the OS clock; they are handed a [`Clock`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A source of "now" in unix seconds.
pub trait Clock: Send + Sync {
    /// Current instant, unix seconds.
    fn now(&self) -> i64;
}

/// A clock that can be set and advanced by the control plane. Frozen ([`VirtualClock::at`]):
/// it moves only when told to, so runs are reproducible. Live ([`VirtualClock::live`]): it
/// follows the wall clock plus an offset that set / advance change.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    base: Arc<AtomicI64>,
    live: bool,
}

impl VirtualClock {
    /// A frozen clock standing at `unix_secs`.
    pub fn at(unix_secs: i64) -> VirtualClock {
        VirtualClock {
            base: Arc::new(AtomicI64::new(unix_secs)),
            live: false,
        }
    }
    /// A clock following the wall clock (offset 0).
    pub fn live() -> VirtualClock {
        VirtualClock {
            base: Arc::new(AtomicI64::new(0)),
            live: true,
        }
    }
    /// Sets the instant.
    pub fn set(&self, unix_secs: i64) {
        let sys = if self.live { SystemClock.now() } else { 0 };
        self.base.store(unix_secs - sys, Ordering::SeqCst);
    }
    /// Moves forward (or back, with a negative value) and returns the new instant.
    pub fn advance(&self, secs: i64) -> i64 {
        self.base.fetch_add(secs, Ordering::SeqCst);
        self.now()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> i64 {
        let b = self.base.load(Ordering::SeqCst);
        if self.live {
            SystemClock.now() + b
        } else {
            b
        }
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

    #[test]
    fn live_clock_follows_the_wall_clock_with_an_offset() {
        let c = VirtualClock::live();
        let wall = SystemClock.now();
        assert!((c.now() - wall).abs() <= 1);
        c.advance(3600);
        assert!((c.now() - wall - 3600).abs() <= 1);
        c.set(1_000);
        assert!((c.now() - 1_000).abs() <= 1);
    }
}
