//! The NHI data center (DC) wire: paths, request and reply bodies, the signed files the DC
//! hands out, the byte layouts both sides MAC or sign, and the fault kinds of the mock DC.
//!
//! Pure: no I/O, no keys, no MAC computation. The DC (emulator/src/dc) and its clients
//! (the middleware, the harness) use these types so that a field rename is a compile error
//! on both sides. Described in protocol/docs/DC.md.

pub mod auth;
pub mod cloud_sam;
pub mod fault;
pub mod msg;
pub mod path;
pub mod signed;

pub use auth::{dc_proof_input, sam_key_input, sam_mac_input, signature_input};
pub use cloud_sam::{CloudSamError, CloudSamFile, CloudSamName};
pub use fault::FaultKind;
pub use signed::SignedBlob;
