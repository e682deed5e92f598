//! Public client programs for Taiwan's NHI IC card (HC), as the byte sequences their
//! source sends (nothing here is invented: every APDU is copied from the file named above
//! it), and each program's own reading of the replies. Shared by the in-process test
//! (`clients.rs`) and the real-pcscd test (`clients_pcsc.rs`).
//!
//! A program talks to a card through `send`: C-APDU in, R-APDU (data ‖ SW1 SW2) out.

use nhi_protocol::apdu::split_response;
use nhi_protocol::basic::decode_name;

/// One command of a public program and the status word the real card answers.
pub struct Sent {
    /// Program and function that sends it.
    pub by: &'static str,
    /// The bytes, as in the source.
    pub apdu: &'static [u8],
}

/// The fields every program decodes from the 57-byte basic data.
#[derive(Debug, PartialEq, Eq)]
pub struct Basic {
    pub card_no: String,
    pub name: String,
    pub id_no: String,
    pub birthday: String,
    pub sex: String,
    pub issue_date: String,
}

fn ascii(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|e| e.to_string())
}

/// The 57-byte record as the programs below slice it (same offsets in all of them).
pub fn decode_basic(d: &[u8]) -> Result<Basic, String> {
    if d.len() < 57 {
        return Err(format!("basic data of {} bytes", d.len()));
    }
    Ok(Basic {
        card_no: ascii(&d[..12])?,
        name: decode_name(&d[12..32]).map_err(|e| e.to_string())?,
        id_no: ascii(&d[32..42])?,
        birthday: ascii(&d[42..49])?,
        sex: ascii(&d[49..50])?,
        issue_date: ascii(&d[50..57])?,
    })
}

/// Sends `apdu`, fails unless the card answers `90 00` (what every program checks).
fn fire(send: &mut dyn FnMut(&[u8]) -> Vec<u8>, apdu: &[u8]) -> Result<Vec<u8>, String> {
    let r = send(apdu);
    match split_response(&r) {
        Some((data, 0x9000)) => Ok(data.to_vec()),
        Some((_, sw)) => Err(format!("{} → {sw:04X}", hex::encode_upper(apdu))),
        None => Err(format!("{} → no status word", hex::encode_upper(apdu))),
    }
}

// ---------------------------------------------------------------------------------------
// 1. Inndy/twnhi-smartcard-agent, hccard.py (HealthInsuranceSmartcardClient), driven by
//    server.py (GetBasic, EnCrypt, H_Sign) and complicated_sam_hc_auth.py (sam_hc_auth).
// ---------------------------------------------------------------------------------------

/// hccard.py `select_applet`.
pub const TWNHI_SELECT: &[u8] = &[
    0x00, 0xA4, 0x04, 0x00, 0x10, 0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x11, 0x00,
];
/// hccard.py `select_sam_applet`.
pub const TWNHI_SELECT_SAM_APPLET: &[u8] = &[
    0x00, 0xA4, 0x04, 0x00, 0x10, 0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x31, 0x00,
];
/// hccard.py `get_basic`: `[0, 0xca, 0x11, 0, 2, 0, 0, 0]`.
pub const TWNHI_GET_BASIC: &[u8] = &[0, 0xca, 0x11, 0, 2, 0, 0, 0];
/// hccard.py `get_hc_card_data`: `[0, 0xca, 0x24, 0, 2, 0, 0, 0]`.
pub const TWNHI_GET_CARD_DATA: &[u8] = &[0, 0xca, 0x24, 0, 2, 0, 0, 0];
/// hccard.py `get_hc_card_id`: `[0, 0xca, 0, 0, 2, 0, 0, 0]`.
pub const TWNHI_GET_CARD_ID: &[u8] = &[0, 0xca, 0, 0, 2, 0, 0, 0];
/// hccard.py `get_random`: `[0, 0x84, 0, 0, 8]`.
pub const TWNHI_GET_RANDOM: &[u8] = &[0, 0x84, 0, 0, 8];

/// hccard.py `muauth_hc_dc_sam`: `00 82 11 12 20` ‖ the DC's 32-byte challenge ‖ `10`.
pub fn twnhi_muauth(challenge: &[u8; 32]) -> Vec<u8> {
    let mut v = vec![0x00, 0x82, 0x11, 0x12, 0x20];
    v.extend_from_slice(challenge);
    v.push(0x10);
    v
}

/// server.py `get_basic_data` (the `GetBasic` command): the basic fields without the issue
/// date, then the first character of the card data.
pub fn twnhi_get_basic(send: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Result<String, String> {
    fire(send, TWNHI_SELECT)?;
    let d = fire(send, TWNHI_GET_BASIC)?;
    let b = decode_basic(&d)?;
    let card_data = ascii(&fire(send, TWNHI_GET_CARD_DATA)?)?;
    let first = card_data.chars().next().ok_or("empty card data")?;
    Ok(format!(
        "{},{},{},{},{},{first}",
        b.card_no, b.id_no, b.name, b.birthday, b.sex
    ))
}

/// server.py `EnCrypt`: the card id (12 ASCII) keys the password encryption.
pub fn twnhi_card_id(send: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Result<String, String> {
    fire(send, TWNHI_SELECT)?;
    ascii(&fire(send, TWNHI_GET_CARD_ID)?)
}

/// complicated_sam_hc_auth.py `sam_hc_auth` (the `H_Sign` command), card side: card id and
/// random go to the DC (asserted 12 and 8 bytes), the DC's challenge comes back, the card
/// answers it (checked to be 16 bytes). `dc_challenge` stands in for the DC.
pub fn twnhi_sam_hc_auth(
    send: &mut dyn FnMut(&[u8]) -> Vec<u8>,
    dc_challenge: &[u8; 32],
) -> Result<(String, Vec<u8>, Vec<u8>), String> {
    fire(send, TWNHI_SELECT)?;
    let hcid = fire(send, TWNHI_GET_CARD_ID)?;
    let rnd = fire(send, TWNHI_GET_RANDOM)?;
    if hcid.len() != 12 || rnd.len() != 8 {
        return Err(format!(
            "hcid {} bytes, random {} bytes",
            hcid.len(),
            rnd.len()
        ));
    }
    let response = fire(send, &twnhi_muauth(dc_challenge))?;
    if response.len() != 16 {
        return Err(format!(
            "Invalid data length from SAM signing: {}",
            response.len()
        ));
    }
    Ok((ascii(&hcid)?, rnd, response))
}

// ---------------------------------------------------------------------------------------
// 2. windperson/TaiwanHealthCardDemo, TaiwanHealthCardDemo/Program.cs: pcsc-sharp
//    `CommandApdu(IsoCase.Case4Short, ActiveProtocol)` with the 15-byte AID and Le = 0x00.
// ---------------------------------------------------------------------------------------

/// Program.cs `selectApdu` as pcsc-sharp serialises Case4Short over T=1 (CLA INS P1 P2 Lc
/// data Le, `CommandApdu.ToArray`); the HC's ATR offers T=1 only.
pub const WINDPERSON_SELECT: &[u8] = &[
    0x00, 0xA4, 0x04, 0x00, 0x0F, 0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x11, 0x00,
];
/// Program.cs `readProfileApdu` (data `00 00`, Le `00`) over T=1.
pub const WINDPERSON_READ_PROFILE: &[u8] = &[0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00, 0x00];

/// Main(): SELECT, then read the profile. (pcsc-sharp refuses `Le = 0x00` on a case-4
/// command over T=0, `CommandApdu.Le`, so the program only runs over T=1, which is what
/// the HC's ATR offers.)
pub fn windperson_main(send: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Result<Basic, String> {
    fire(send, WINDPERSON_SELECT)?;
    decode_basic(&fire(send, WINDPERSON_READ_PROFILE)?)
}

// ---------------------------------------------------------------------------------------
// 3. magiclen/tw-nhi-icc-service, src/card/mod.rs (APDU_SELECT, APDU_READ) and
//    src/card/nhi_card_basic.rs (NHICardBasic::from_raw); a 59-byte receive buffer.
// ---------------------------------------------------------------------------------------

/// src/card/mod.rs `APDU_SELECT`.
pub const MAGICLEN_SELECT: &[u8] =
    b"\x00\xA4\x04\x00\x10\xD1\x58\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x11\x00";
/// src/card/mod.rs `APDU_READ`.
pub const MAGICLEN_READ: &[u8] = b"\x00\xCA\x11\x00\x02\x00\x00";

/// `update_nhi_cards`: SELECT must answer exactly `[144, 0]`; the read's reply (data and
/// status word, at most 59 bytes) goes to `from_raw`, which reads the first 57 bytes.
pub fn magiclen_update(send: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Result<Basic, String> {
    let r = send(MAGICLEN_SELECT);
    if r != [144, 0] {
        return Err(format!("unsupported reader: {}", hex::encode_upper(&r)));
    }
    let r = send(MAGICLEN_READ);
    if r.len() > 59 {
        return Err(format!("{} bytes overflow the 59-byte buffer", r.len()));
    }
    decode_basic(&r)
}

// ---------------------------------------------------------------------------------------
// 4. The `icope_tool` card module (pyscard; the code index does not name its repository):
//    `READ_BASIC`, then `GET_RESPONSE + [sw2]` when `sw1 == 0x61` (`_read_from_reader`).
//    Its `SELECT_NHI_AID` is malformed (see protocol/docs/CLIENTS.md) and its answer is
//    ignored: the program was tested on a new-generation card, which needs no SELECT.
// ---------------------------------------------------------------------------------------

/// `SELECT_NHI_AID` as written in the source: 16 AID bytes `D1 58 00 00 01 00 00 00` +
/// `00 00 00 00 00 00 00 11` (not the NHI AID, whose last two bytes are `11 00`).
pub const ICOPE_SELECT_NHI_AID: &[u8] = &[
    0x00, 0xA4, 0x04, 0x00, 0x10, 0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x11,
];

/// `READ_BASIC = [0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00]`.
pub const ICOPE_READ_BASIC: &[u8] = &[0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00];
/// `GET_RESPONSE = [0x00, 0xC0, 0x00, 0x00]  # + Le`.
pub const ICOPE_GET_RESPONSE: &[u8] = &[0x00, 0xC0, 0x00, 0x00];

/// The read step: `61 xx` is followed by GET RESPONSE with Le = xx; then `90 00` expected.
pub fn icope_read(send: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Result<Basic, String> {
    let mut r = send(ICOPE_READ_BASIC);
    if let [0x61, left] = r[..] {
        r = send(&[ICOPE_GET_RESPONSE, &[left]].concat());
    }
    match split_response(&r) {
        Some((data, 0x9000)) => decode_basic(data),
        other => Err(format!("READ basic data failed: {other:?}")),
    }
}

/// `_read_from_reader`: two attempts of best-effort SELECT (reply not looked at) + read.
pub fn icope_read_from_reader(send: &mut dyn FnMut(&[u8]) -> Vec<u8>) -> Result<Basic, String> {
    let mut last = String::new();
    for _attempt in 1..=2 {
        send(ICOPE_SELECT_NHI_AID);
        match icope_read(send) {
            Ok(b) => return Ok(b),
            Err(e) => last = e,
        }
    }
    Err(format!("NOT_NHI_CARD ({last})"))
}

/// Every distinct command the programs above send to the HC and expect `90 00` from
/// (the tally of CLIENTS.md; the mutual authentication and GET RESPONSE need a preceding
/// command and are counted by the tests themselves).
pub const HC_COMMANDS: &[Sent] = &[
    Sent {
        by: "twnhi select_applet / magiclen APDU_SELECT",
        apdu: TWNHI_SELECT,
    },
    Sent {
        by: "twnhi select_sam_applet",
        apdu: TWNHI_SELECT_SAM_APPLET,
    },
    Sent {
        by: "twnhi get_basic",
        apdu: TWNHI_GET_BASIC,
    },
    Sent {
        by: "twnhi get_hc_card_data",
        apdu: TWNHI_GET_CARD_DATA,
    },
    Sent {
        by: "twnhi get_hc_card_id",
        apdu: TWNHI_GET_CARD_ID,
    },
    Sent {
        by: "twnhi get_random",
        apdu: TWNHI_GET_RANDOM,
    },
    Sent {
        by: "windperson selectApdu",
        apdu: WINDPERSON_SELECT,
    },
    Sent {
        by: "windperson readProfileApdu",
        apdu: WINDPERSON_READ_PROFILE,
    },
    Sent {
        by: "magiclen APDU_READ / icope READ_BASIC",
        apdu: MAGICLEN_READ,
    },
];
