//! `nhi-protocol`: the contract of the emulated NHI card world.
//!
//! Pure data and pure functions only (no I/O, no clocks): the 64 status codes of the
//! card-reader control software 6.0, the APDU command set and ATRs, identity formats with
//! validating parsers, the 57-byte basic-data layout, the virtual-card token layout, the
//! Web API request/response types and the executable mode model of seed 004.

pub mod apdu;
pub mod api;
pub mod basic;
pub mod dc;
pub mod ident;
pub mod mode;
pub mod serial;
pub mod status;
pub mod token;

pub use status::StatusCode;
