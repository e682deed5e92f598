//! The HC's item areas: the medical area (醫療專區: prescriptions, important orders, drug
//! allergies) and the public-health area (衛生行政專區: vaccinations, organ-donation and
//! hospice consent), as lists of `kind(1) len(1) text` items (ours; protocol/docs/APDU.md,
//! "HC data areas"). Re-exported by [`super::hc_areas`].

use super::build;
use super::cmd::CLA_ISO;
use super::hc_areas::{AreaError, INS_APPEND_RECORD, TAG_MEDICAL, TAG_PUBLIC_HEALTH};

/// Status word of an item that does not fit its area any more (ours; the same ISO "not
/// enough memory space").
pub const SW_AREA_FULL: u16 = 0x6A84;
/// Bytes an item area (medical, public health) may hold.
pub const ITEM_AREA_MAX: usize = 250;

fn field(field: &'static str, why: &'static str) -> AreaError {
    AreaError::Field { field, why }
}

/// What an item of the medical or public-health area is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemKind {
    /// Medical: outpatient prescription (門診處方).
    OutpatientRx,
    /// Medical: long-term prescription (長期處方).
    LongTermRx,
    /// Medical: important order (重要醫令).
    ImportantOrder,
    /// Medical: drug allergy (過敏藥物).
    Allergy,
    /// Public health: vaccination (預防接種).
    Vaccination,
    /// Public health: organ-donation consent (器官捐贈).
    OrganDonation,
    /// Public health: hospice / palliative-care consent (安寧緩和醫療).
    Hospice,
}

impl ItemKind {
    const ALL: [ItemKind; 7] = [
        ItemKind::OutpatientRx,
        ItemKind::LongTermRx,
        ItemKind::ImportantOrder,
        ItemKind::Allergy,
        ItemKind::Vaccination,
        ItemKind::OrganDonation,
        ItemKind::Hospice,
    ];
    /// Its byte in the area.
    pub fn code(self) -> u8 {
        match self {
            ItemKind::OutpatientRx => b'O',
            ItemKind::LongTermRx => b'L',
            ItemKind::ImportantOrder => b'I',
            ItemKind::Allergy => b'A',
            ItemKind::Vaccination => b'V',
            ItemKind::OrganDonation => b'D',
            ItemKind::Hospice => b'H',
        }
    }
    /// From its byte.
    pub fn from_code(c: u8) -> Option<ItemKind> {
        Self::ALL.into_iter().find(|k| k.code() == c)
    }
    /// The area holding this kind.
    pub fn area(self) -> u8 {
        match self {
            ItemKind::OutpatientRx
            | ItemKind::LongTermRx
            | ItemKind::ImportantOrder
            | ItemKind::Allergy => TAG_MEDICAL,
            ItemKind::Vaccination | ItemKind::OrganDonation | ItemKind::Hospice => {
                TAG_PUBLIC_HEALTH
            }
        }
    }
}

/// One item of the medical or public-health area.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AreaItem {
    /// What it is.
    pub kind: ItemKind,
    /// Its text (UTF-8, 1–100 bytes), e.g. `"A01AB09 Penicillin"`.
    pub text: String,
}

impl AreaItem {
    /// `kind 1 ‖ len 1 ‖ text`.
    pub fn encode(&self) -> Result<Vec<u8>, AreaError> {
        let t = self.text.as_bytes();
        if t.is_empty() || t.len() > 100 {
            return Err(field("text", "must be 1 to 100 bytes"));
        }
        let mut v = vec![self.kind.code(), t.len() as u8];
        v.extend_from_slice(t);
        Ok(v)
    }
}

/// Encodes a whole item area.
pub fn encode_items(items: &[AreaItem]) -> Result<Vec<u8>, AreaError> {
    let mut v = Vec::new();
    for i in items {
        v.extend(i.encode()?);
    }
    Ok(v)
}

/// Decodes an item area (GET DATA [`TAG_MEDICAL`] / [`TAG_PUBLIC_HEALTH`]).
pub fn decode_items(mut b: &[u8]) -> Result<Vec<AreaItem>, AreaError> {
    let mut out = Vec::new();
    while let [code, len, rest @ ..] = b {
        let kind = ItemKind::from_code(*code).ok_or(field("kind", "unknown item kind"))?;
        let n = usize::from(*len);
        if rest.len() < n || n == 0 {
            return Err(field("text", "length past the end"));
        }
        let (text, tail) = rest.split_at(n);
        let text = String::from_utf8(text.to_vec()).map_err(|_| field("text", "not UTF-8"))?;
        out.push(AreaItem { kind, text });
        b = tail;
    }
    if !b.is_empty() {
        return Err(field("item", "truncated"));
    }
    Ok(out)
}

/// APPEND RECORD of an item into its area.
pub fn append_item(item: &AreaItem) -> Result<Vec<u8>, AreaError> {
    Ok(build(
        CLA_ISO,
        INS_APPEND_RECORD,
        item.kind.area(),
        0,
        &item.encode()?,
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_and_truncation_is_an_error() {
        let items = vec![
            AreaItem {
                kind: ItemKind::Allergy,
                text: "盤尼西林 Penicillin".into(),
            },
            AreaItem {
                kind: ItemKind::LongTermRx,
                text: "Metformin 500mg".into(),
            },
        ];
        let b = encode_items(&items).unwrap();
        assert_eq!(decode_items(&b).unwrap(), items);
        assert!(decode_items(&b[..b.len() - 1]).is_err());
        assert!(decode_items(&[b'Z', 1, b'x']).is_err());
    }
}
