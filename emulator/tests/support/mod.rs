//! Helpers shared by the emulator's integration tests.

pub mod dc_https;
pub mod dev_stack;
