//! nhi-ifd: a pcsc-lite IFD handler (API v3) whose readers are served by nhi-emu.
//!
//! pcscd loads `libnhi_ifd.so` once for every `reader.conf.d` entry naming it; each entry's
//! DEVICENAME is the `HOST:PORT` of one emulated reader (a card slot and a SAM slot). The
//! driver's polling thread blocks in the emulator until a card event, so inserts and
//! removals reach `SCardGetStatusChange` clients at once. See README.md for the wire format.
//!
//! `unsafe` is confined to [`ffi`], the C boundary; everything else is safe Rust.
#![deny(unsafe_code)]

pub mod driver;
pub mod ffi;
pub mod link;
pub mod pinpad;
pub mod wire;
