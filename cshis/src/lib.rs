//! The legacy csHis.dll card API — the compatibility component the 6.0 control software
//! ships for HIS programs written against the older reader API (seed 004: every cloud SAM
//! has a Comport 「主要用於相容性元件」) — implemented over the 6.0 Web API of any
//! implementation. Functions, buffer layouts and return codes, with their sources:
//! protocol/docs/CSHIS.md.
//!
//! A pure core ([`codes`], [`layout`], [`visit_layout`], [`records`], [`config`]), a
//! blocking client ([`client`]), the functions with their session ([`service`], the visit
//! in [`visit`], the other data areas in [`areas`]) and the one unsafe module, the exported
//! boundary ([`ffi`]).
// The library is named as HIS code loads it (`csHis.dll`).
#![allow(non_snake_case)]

pub mod areas;
pub mod client;
pub mod codes;
pub mod config;
pub mod ffi;
pub mod layout;
pub mod records;
pub mod service;
pub mod visit;
pub mod visit_layout;
