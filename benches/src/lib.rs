//! Shared fixtures of the benches.

use nhi_emulator::clock::PILOT_EPOCH;
use nhi_emulator::token::TokenIssuer;
use nhi_protocol::ident::{HcCardNo, IdNo, IdentityStatus, RocDate, Sex};
use nhi_protocol::token::{Payload, TokenAlg};

/// Issue instant used by the benches: the pilot epoch.
pub const AT: u32 = PILOT_EPOCH as u32;
// The pilot epoch fits a token's u32 timestamp (checked when this compiles).
const _: () = assert!(AT as i64 == PILOT_EPOCH);

/// The demo person's payload, issued at [`AT`].
pub fn payload() -> Result<Payload, String> {
    Ok(Payload {
        card_no: HcCardNo::parse("900000000001").map_err(|e| e.to_string())?,
        id_no: IdNo::parse("A123456789").map_err(|e| e.to_string())?,
        name: "王小明".into(),
        birthday: RocDate::parse("0800101").map_err(|e| e.to_string())?,
        sex: Sex::Male,
        identity_status: IdentityStatus::General,
        issued_at: AT,
        serial: 1,
        valid_until: AT + 86_400,
    })
}

/// An issuer and a token of the demo person.
pub fn token(alg: TokenAlg) -> Result<(TokenIssuer, String), String> {
    let issuer = TokenIssuer::test()?;
    let t = issuer.issue(&payload()?, alg)?;
    Ok((issuer, t))
}
pub mod alternatives;
#[cfg(feature = "pcsc")]
pub mod ifd;
#[cfg(feature = "pcsc")]
pub mod vpcd;
