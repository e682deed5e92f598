//! `nhi-emulator`: software models of the NHI card world.
//!
//! Pure cores ([`card`], [`token`], [`clock`]) and the fixtures and test keys ([`keys`])
//! they are built from. I/O shells (readers, DC, control API) live in their own modules;
//! [`world`] puts them together, for `nhi-emu up` and for the conformance harness.

pub mod card;
pub mod clock;
pub mod console;
pub mod control;
pub mod crypto;
pub mod dc;
pub mod devstack;
pub mod events;
pub mod fixtures;
pub mod http;
pub mod keys;
pub mod pki;
pub mod reader;
pub mod token;
pub mod world;

/// The old name of [`keys`] (the DC and the benches still use it).
pub use keys as material;
