//! The HC's protected data areas over a [`Link`] (protocol/docs/APDU.md, "HC data areas"):
//! opening them with the SAM's proof, reading the insurance header, visit records and item
//! areas, and the visit write-back.

use super::Link;
use crate::error::Fail;
use nhi_protocol::apdu::hc_areas::{
    self as areas, AreaItem, InsuranceHeader, VisitEntry, VisitRecord, SW_AREA_FULL,
    SW_NO_VISITS_LEFT, TAG_INSURANCE,
};
use nhi_protocol::apdu::{cmd, tag, Sw};
use nhi_protocol::StatusCode;

/// The card's challenge and chip id, for the SAM's area proof.
pub fn challenge(link: &mut dyn Link) -> Result<(Vec<u8>, Vec<u8>), Fail> {
    let ch = link.send(&cmd::get_challenge(areas::AREA_CHALLENGE_LEN as u8))?;
    let chip = link.send(&cmd::get_data(tag::CARD_ID))?;
    if !ch.is_ok() || !chip.is_ok() {
        return Err(Fail::new(
            StatusCode::HcMode2,
            format!(
                "HC challenge for its areas answered {} / {}",
                ch.sw, chip.sw
            ),
        ));
    }
    Ok((chip.data, ch.data))
}

/// The SAM's proof for a card's challenge (the SAM must be verified with the DC).
pub fn sam_proof(sam: &mut dyn Link, chip: &[u8], challenge: &[u8]) -> Result<Vec<u8>, Fail> {
    let r = sam.send(&areas::sam_area_proof(chip, challenge))?;
    if !r.is_ok() {
        return Err(Fail::new(
            StatusCode::SamMode2,
            format!("the SAM refused the HC area proof ({})", r.sw),
        ));
    }
    Ok(r.data)
}

/// Opens the card's protected areas with the SAM's proof.
pub fn open(link: &mut dyn Link, proof: &[u8]) -> Result<(), Fail> {
    let r = link.send(&areas::open_areas(proof))?;
    match r.sw {
        Sw::OK => Ok(()),
        Sw::NOT_FOUND => Err(Fail::new(
            StatusCode::HcMode2,
            "this HC has no protected data areas (6A82)",
        )),
        sw => Err(Fail::new(
            StatusCode::HcMode2,
            format!("the HC refused the SAM's area proof ({sw})"),
        )),
    }
}

fn read(link: &mut dyn Link, apdu: &[u8], what: &str) -> Result<Vec<u8>, Fail> {
    let r = link.send(apdu)?;
    if !r.is_ok() {
        return Err(Fail::new(
            StatusCode::HcMode2,
            format!("reading the HC's {what} answered {}", r.sw),
        ));
    }
    Ok(r.data)
}

/// The insurance header and the visit records, newest first.
pub fn insurance(link: &mut dyn Link) -> Result<(InsuranceHeader, Vec<VisitRecord>), Fail> {
    let bytes = read(link, &cmd::get_data(TAG_INSURANCE), "insurance data")?;
    let h = InsuranceHeader::decode(&bytes)
        .map_err(|e| Fail::new(StatusCode::HcMode2, format!("insurance data: {e}")))?;
    let visits = (1..=h.records)
        .map(|n| {
            let b = read(link, &areas::read_visit(n), "visit record")?;
            VisitRecord::decode(&b)
                .map_err(|e| Fail::new(StatusCode::HcMode2, format!("visit record {n}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((h, visits))
}

/// Writes a visit; the card's new sequence number.
pub fn write_visit(link: &mut dyn Link, entry: &VisitEntry) -> Result<String, Fail> {
    let bytes = entry
        .encode()
        .map_err(|e| Fail::new(StatusCode::ParamFormat1, e.to_string()))?;
    let r = link.send(&areas::append_visit(&bytes))?;
    match r.sw {
        Sw::OK => String::from_utf8(r.data)
            .ok()
            .filter(|s| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| Fail::new(StatusCode::HcMode2, "the HC's sequence number is garbled")),
        Sw(SW_NO_VISITS_LEFT) => Err(Fail::new(
            StatusCode::ParamFormat3,
            "the HC has no visits left: the card must be updated (6A84)",
        )),
        sw => Err(Fail::new(
            StatusCode::HcMode2,
            format!("the HC refused the visit write ({sw})"),
        )),
    }
}

/// An item area (`tag` medical or public health).
pub fn items(link: &mut dyn Link, tag: u8) -> Result<Vec<AreaItem>, Fail> {
    let bytes = read(link, &cmd::get_data(tag), "item area")?;
    areas::decode_items(&bytes).map_err(|e| Fail::new(StatusCode::HcMode2, e.to_string()))
}

/// Appends an item to its area.
pub fn add_item(link: &mut dyn Link, item: &AreaItem) -> Result<(), Fail> {
    let apdu =
        areas::append_item(item).map_err(|e| Fail::new(StatusCode::ParamFormat2, e.to_string()))?;
    let r = link.send(&apdu)?;
    match r.sw {
        Sw::OK => Ok(()),
        Sw(SW_AREA_FULL) => Err(Fail::new(
            StatusCode::ParamFormat3,
            "the HC's area is full (6A84)",
        )),
        sw => Err(Fail::new(
            StatusCode::HcMode2,
            format!("the HC refused the item ({sw})"),
        )),
    }
}
