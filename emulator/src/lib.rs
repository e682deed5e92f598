//! `nhi-emulator`: software models of the NHI card world.
//!
//! Pure cores ([`card`], [`token`], [`clock`]) and the fixtures and test PKI they are
//! built from. I/O shells (readers, DC, control API) live in their own modules.

pub mod card;
pub mod clock;
pub mod control;
pub mod crypto;
pub mod dc;
pub mod fixtures;
pub mod http;
pub mod material;
pub mod pki;
pub mod reader;
pub mod scripted;
pub mod token;
