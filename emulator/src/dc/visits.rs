//! The DC's record of a virtual card's data areas (seed 001: write-back after the visit,
//! "physical and virtual"): the insurance header, the last visits and the medical and
//! public-health items, kept per card number with the same rules as the physical HC's
//! chip (nhi_protocol::apdu::hc_areas): a visit takes the next sequence number, the oldest
//! record beyond the slots is dropped, visits left count down and a card with none left is
//! refused (1706). protocol/docs/DC.md, "Visits and data areas".

use super::{Dc, DcError, DcResult};
use crate::dc::rows;
use nhi_protocol::apdu::hc_areas::{
    self as areas, AreaItem, InsuranceHeader, ItemKind, VisitEntry, VisitRecord, ITEM_AREA_MAX,
    TAG_MEDICAL, VISITS_PER_CARD, VISIT_SLOTS,
};
use nhi_protocol::api::hc_areas::{InsuranceReply, ItemsReply};
use nhi_protocol::api::reply::Empty;
use nhi_protocol::dc::msg::{AreaReadRequest, ItemAddRequest, VisitWriteReply, VisitWriteRequest};
use nhi_protocol::ident::roc_datetime;
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection, OptionalExtension};

/// The insurance counters of one card, created with the card's first visit.
struct Counters {
    visits_left: u8,
    last_seq: String,
    total_fee: u32,
    total_copay: u32,
}

fn counters(c: &Connection, card_no: &str) -> DcResult<Counters> {
    let row = c
        .query_row(
            "SELECT visits_left, last_seq, total_fee, total_copay FROM hc_insurance WHERE card_no = ?1",
            [card_no],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)),
        )
        .optional()?;
    let Some((left, last_seq, fee, copay)) = row else {
        return Ok(Counters {
            visits_left: VISITS_PER_CARD,
            last_seq: "0000".into(),
            total_fee: 0,
            total_copay: 0,
        });
    };
    let bad = |what: &str| DcError::internal(format!("hc_insurance.{what} out of range"));
    Ok(Counters {
        visits_left: u8::try_from(left).map_err(|_| bad("visits_left"))?,
        last_seq,
        total_fee: u32::try_from(fee).map_err(|_| bad("total_fee"))?,
        total_copay: u32::try_from(copay).map_err(|_| bad("total_copay"))?,
    })
}

fn visits(c: &Connection, card_no: &str) -> DcResult<Vec<VisitRecord>> {
    let mut st = c.prepare(
        "SELECT seq, at, hospital_id, diagnosis, diagnosis2, fee, copay FROM hc_visits
         WHERE card_no = ?1 ORDER BY id DESC",
    )?;
    let rows = st
        .query_map([card_no], |r| {
            Ok(VisitRecord {
                seq: r.get(0)?,
                entry: VisitEntry {
                    at: r.get(1)?,
                    institution: r.get(2)?,
                    diagnosis: r.get(3)?,
                    diagnosis2: r.get(4)?,
                    fee: r.get(5)?,
                    copay: r.get(6)?,
                },
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn area_tag(name: Option<&str>) -> DcResult<u8> {
    match name {
        Some("medical") => Ok(areas::TAG_MEDICAL),
        Some("publicHealth") => Ok(areas::TAG_PUBLIC_HEALTH),
        _ => Err(DcError::new(
            StatusCode::ParamFormat3,
            "area must be medical or publicHealth",
        )),
    }
}

fn items(c: &Connection, card_no: &str, tag: u8) -> DcResult<Vec<AreaItem>> {
    let mut st =
        c.prepare("SELECT kind, text FROM hc_items WHERE card_no = ?1 AND area = ?2 ORDER BY id")?;
    let rows = st
        .query_map(params![card_no, tag], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(k, text)| {
            let kind: ItemKind = serde_json::from_value(serde_json::Value::String(k.clone()))
                .map_err(|_| DcError::internal(format!("hc_items.kind {k:?}")))?;
            Ok(AreaItem { kind, text })
        })
        .collect()
}

impl Dc {
    /// The card row of a number, 1706 when the DC knows no such card.
    fn area_card(&self, c: &Connection, card_no: &str) -> DcResult<rows::CardRow> {
        rows::card(c, card_no)?.ok_or_else(|| {
            DcError::new(
                StatusCode::ParamFormat3,
                format!("no card {card_no} at the DC"),
            )
        })
    }

    /// `Hc/Visit/Write`: the next sequence number, the record kept, the oldest dropped.
    pub fn visit_write(&self, r: &VisitWriteRequest) -> DcResult<VisitWriteReply> {
        let mut c = self.db()?;
        let (_, hospital_id) = self.session(&c, &r.sam_session)?;
        self.area_card(&c, &r.card_id)?;
        let entry = VisitEntry {
            at: r.visit_time.clone(),
            institution: hospital_id,
            diagnosis: r.diagnosis.clone(),
            diagnosis2: r.diagnosis2.clone(),
            fee: r.fee,
            copay: r.copay,
        };
        entry
            .encode()
            .map_err(|e| DcError::new(StatusCode::ParamFormat1, e.to_string()))?;
        let k = counters(&c, &r.card_id)?;
        if k.visits_left == 0 {
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                "no visits left on this card: it must be updated",
            ));
        }
        let seq = areas::next_seq(&k.last_seq).map_err(|e| DcError::internal(e.to_string()))?;
        let left = k.visits_left - 1;
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO hc_insurance(card_no, visits_left, last_seq, total_fee, total_copay)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(card_no) DO UPDATE SET visits_left = ?2, last_seq = ?3,
               total_fee = ?4, total_copay = ?5",
            params![
                r.card_id,
                left,
                seq,
                k.total_fee.saturating_add(entry.fee),
                k.total_copay.saturating_add(entry.copay)
            ],
        )?;
        tx.execute(
            "INSERT INTO hc_visits(card_no, seq, at, hospital_id, diagnosis, diagnosis2, fee, copay, written_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                r.card_id,
                seq,
                entry.at,
                entry.institution,
                entry.diagnosis,
                entry.diagnosis2,
                entry.fee,
                entry.copay,
                self.now()
            ],
        )?;
        tx.execute(
            "DELETE FROM hc_visits WHERE card_no = ?1 AND id NOT IN
               (SELECT id FROM hc_visits WHERE card_no = ?1 ORDER BY id DESC LIMIT ?2)",
            params![r.card_id, VISIT_SLOTS],
        )?;
        tx.commit()?;
        Ok(VisitWriteReply {
            seq_no: seq,
            visits_left: left,
        })
    }

    /// `Hc/Insurance`: the header as the card would hold it and the visits, newest first.
    pub fn insurance(&self, r: &AreaReadRequest) -> DcResult<InsuranceReply> {
        let c = self.db()?;
        self.session(&c, &r.sam_session)?;
        let card = self.area_card(&c, &r.card_id)?;
        let k = counters(&c, &r.card_id)?;
        let visits = visits(&c, &r.card_id)?;
        let h = InsuranceHeader {
            insurer: "01".into(),
            identity_status: card.identity_status,
            valid_until: roc_datetime(card.valid_until).chars().take(7).collect(),
            major_illness: Vec::new(),
            visits_left: k.visits_left,
            last_seq: k.last_seq,
            newborn: 0,
            newborn_birthday: "0000000".into(),
            total_fee: k.total_fee,
            total_copay: k.total_copay,
            // At most VISIT_SLOTS (6) rows are kept.
            records: visits.len() as u8,
        };
        Ok(InsuranceReply::new(&h, &visits))
    }

    /// `Hc/Items`: one item area.
    pub fn area_items(&self, r: &AreaReadRequest) -> DcResult<ItemsReply> {
        let c = self.db()?;
        self.session(&c, &r.sam_session)?;
        self.area_card(&c, &r.card_id)?;
        let tag = area_tag(r.area.as_deref())?;
        Ok(ItemsReply {
            items: items(&c, &r.card_id, tag)?,
        })
    }

    /// `Hc/Items/Add`: an item into its area, refused (1706) when the area is full.
    pub fn area_item_add(&self, r: &ItemAddRequest) -> DcResult<Empty> {
        let c = self.db()?;
        self.session(&c, &r.sam_session)?;
        self.area_card(&c, &r.card_id)?;
        let bytes = r
            .item
            .encode()
            .map_err(|e| DcError::new(StatusCode::ParamFormat2, e.to_string()))?;
        let tag = r.item.kind.area();
        let used: usize = items(&c, &r.card_id, tag)?
            .iter()
            .map(|i| 2 + i.text.len())
            .sum();
        if used + bytes.len() > ITEM_AREA_MAX {
            let area = if tag == TAG_MEDICAL {
                "medical"
            } else {
                "public-health"
            };
            return Err(DcError::new(
                StatusCode::ParamFormat3,
                format!("the {area} area is full"),
            ));
        }
        let kind =
            serde_json::to_value(r.item.kind).map_err(|e| DcError::internal(e.to_string()))?;
        let kind = kind
            .as_str()
            .ok_or_else(|| DcError::internal("item kind is not a string"))?
            .to_string();
        c.execute(
            "INSERT INTO hc_items(card_no, area, kind, text, written_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.card_id, tag, kind, r.item.text, self.now()],
        )?;
        Ok(Empty {})
    }
}
