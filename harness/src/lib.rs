//! `nhi-harness`: the conformance harness (`nhi-conform`) for implementations of the NHI
//! control software 6.0 Web API, and the 500-case pilot replay of seed 000.

pub mod bench;
pub mod cells;
pub mod check;
pub mod client;
pub mod mutants;
pub mod pilot;
pub mod report;
pub mod scenario;
pub mod sweep;
pub mod token;
pub mod truth;
pub mod world;
