//! The HC's protected data areas (insurance, medical, public health) and the visit
//! write-back: the layouts and commands of `nhi_protocol::apdu::hc_areas`
//! (protocol/docs/APDU.md, "HC data areas"). Basic data stays in [`super::hc`]; everything
//! here answers `69 82` until a SAM's area proof opened the areas (until reset).

use super::{ok, status};
use crate::crypto::{ct_eq, hmac256};
use nhi_protocol::apdu::hc_areas::{
    self as areas, AreaItem, InsuranceHeader, VisitEntry, VisitRecord, ITEM_AREA_MAX,
    SW_NO_VISITS_LEFT, TAG_INSURANCE, TAG_MEDICAL, TAG_PUBLIC_HEALTH, VISIT_SLOTS,
};
use nhi_protocol::apdu::{ins, sw, Command};
use std::collections::VecDeque;

/// True for the commands [`HcAreas::exec`] answers (a card without areas refuses them).
pub fn is_area_command(c: &Command<'_>) -> bool {
    matches!(
        (c.ins, c.p1, c.p2),
        (ins::EXTERNAL_AUTHENTICATE, 0, 0)
            | (
                ins::GET_DATA,
                TAG_INSURANCE | TAG_MEDICAL | TAG_PUBLIC_HEALTH,
                0
            )
            | (areas::INS_READ_RECORD, _, areas::READ_RECORD_BY_NUMBER)
            | (
                areas::INS_APPEND_RECORD,
                TAG_INSURANCE | TAG_MEDICAL | TAG_PUBLIC_HEALTH,
                0
            )
    )
}

/// The protected areas of one HC.
#[derive(Debug, Clone)]
pub struct HcAreas {
    header: InsuranceHeader,
    /// Newest first.
    visits: VecDeque<VisitRecord>,
    medical: Vec<AreaItem>,
    public_health: Vec<AreaItem>,
    open: bool,
}

impl HcAreas {
    /// A freshly issued card: no visits, [`areas::VISITS_PER_CARD`] visits left, empty item
    /// areas; `identity_status` and `valid_until` come from the issuer.
    pub fn issued(identity_status: &str, valid_until: &str) -> HcAreas {
        HcAreas {
            header: InsuranceHeader {
                insurer: "01".into(),
                identity_status: identity_status.into(),
                valid_until: valid_until.into(),
                major_illness: Vec::new(),
                visits_left: areas::VISITS_PER_CARD,
                last_seq: "0000".into(),
                newborn: 0,
                newborn_birthday: "0000000".into(),
                total_fee: 0,
                total_copay: 0,
                records: 0,
            },
            visits: VecDeque::new(),
            medical: Vec::new(),
            public_health: Vec::new(),
            open: false,
        }
    }

    /// Sets the visits left, as an issuer's card update does (控卡 / 更新).
    pub fn allow_visits(&mut self, n: u8) {
        self.header.visits_left = n;
    }

    /// The insurance header.
    pub fn header(&self) -> &InsuranceHeader {
        &self.header
    }
    /// The visit records, newest first.
    pub fn visits(&self) -> impl Iterator<Item = &VisitRecord> {
        self.visits.iter()
    }
    /// Closes the areas (card reset).
    pub fn close(&mut self) {
        self.open = false;
    }

    /// Handles the area commands; `None` for any other command. `key` is the card's
    /// diversified key, `challenge` its last GET CHALLENGE answer (used once by the proof).
    pub fn exec(
        &mut self,
        c: &Command<'_>,
        key: &[u8; 32],
        challenge: &mut Option<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        let r = match (c.ins, c.p1, c.p2) {
            (ins::EXTERNAL_AUTHENTICATE, 0, 0) => self.open_with(c.data, key, challenge.take()),
            (ins::GET_DATA, TAG_INSURANCE | TAG_MEDICAL | TAG_PUBLIC_HEALTH, 0) => {
                self.guard(|a| a.read_area(c.p1))
            }
            (areas::INS_READ_RECORD, n, areas::READ_RECORD_BY_NUMBER) => {
                self.guard(|a| a.read_visit(n))
            }
            (areas::INS_APPEND_RECORD, TAG_INSURANCE, 0) => self.guard(|a| a.write_visit(c.data)),
            (areas::INS_APPEND_RECORD, TAG_MEDICAL | TAG_PUBLIC_HEALTH, 0) => {
                self.guard(|a| a.append_item(c.p1, c.data))
            }
            _ => return None,
        };
        Some(r)
    }

    fn guard(&mut self, f: impl FnOnce(&mut HcAreas) -> Vec<u8>) -> Vec<u8> {
        if self.open {
            f(self)
        } else {
            status(sw::SECURITY_NOT_SATISFIED)
        }
    }

    /// `00 82 00 00 20 proof`: `HMAC(Kcard, "areas" ‖ cardChallenge)` opens the areas.
    fn open_with(&mut self, proof: &[u8], key: &[u8; 32], ch: Option<Vec<u8>>) -> Vec<u8> {
        if proof.len() != 32 {
            return status(sw::WRONG_LENGTH);
        }
        let Some(ch) = ch.filter(|c| c.len() == areas::AREA_CHALLENGE_LEN) else {
            return status(sw::CONDITIONS_NOT_SATISFIED);
        };
        if ct_eq(&hmac256(key, &[areas::AREA_PROOF_LABEL, &ch]), proof) {
            self.open = true;
            status(sw::OK)
        } else {
            status(0x6300)
        }
    }

    fn read_area(&self, tag: u8) -> Vec<u8> {
        let bytes = match tag {
            TAG_INSURANCE => self.header.encode(),
            TAG_MEDICAL => areas::encode_items(&self.medical),
            _ => areas::encode_items(&self.public_health),
        };
        match bytes {
            Ok(b) => ok(&b),
            Err(_) => status(sw::MEMORY_FAILURE),
        }
    }

    fn read_visit(&self, n: u8) -> Vec<u8> {
        let Some(r) = usize::from(n)
            .checked_sub(1)
            .and_then(|i| self.visits.get(i))
        else {
            return status(sw::NOT_FOUND);
        };
        match r.encode() {
            Ok(b) => ok(&b),
            Err(_) => status(sw::MEMORY_FAILURE),
        }
    }

    /// The visit write: new sequence number, record in front, the oldest dropped past
    /// [`VISIT_SLOTS`], visits left decremented, totals added; answers the sequence number.
    fn write_visit(&mut self, data: &[u8]) -> Vec<u8> {
        let Ok(entry) = VisitEntry::decode(data) else {
            return status(sw::WRONG_DATA);
        };
        if self.header.visits_left == 0 {
            return status(SW_NO_VISITS_LEFT);
        }
        let Ok(seq) = areas::next_seq(&self.header.last_seq) else {
            return status(sw::MEMORY_FAILURE);
        };
        let h = &mut self.header;
        h.total_fee = h.total_fee.saturating_add(entry.fee);
        h.total_copay = h.total_copay.saturating_add(entry.copay);
        h.visits_left -= 1;
        h.last_seq = seq.clone();
        self.visits.push_front(VisitRecord {
            seq: seq.clone(),
            entry,
        });
        self.visits.truncate(VISIT_SLOTS);
        // At most VISIT_SLOTS (6) records: always fits a byte.
        self.header.records = self.visits.len() as u8;
        ok(seq.as_bytes())
    }

    fn append_item(&mut self, tag: u8, data: &[u8]) -> Vec<u8> {
        let Ok(mut items) = areas::decode_items(data) else {
            return status(sw::WRONG_DATA);
        };
        let (Some(item), true) = (items.pop(), items.is_empty()) else {
            return status(sw::WRONG_DATA);
        };
        if item.kind.area() != tag {
            return status(sw::WRONG_DATA);
        }
        let area = if tag == TAG_MEDICAL {
            &mut self.medical
        } else {
            &mut self.public_health
        };
        let used: usize = area.iter().map(|i| 2 + i.text.len()).sum();
        if used + data.len() > ITEM_AREA_MAX {
            return status(areas::SW_AREA_FULL);
        }
        area.push(item);
        status(sw::OK)
    }
}
