//! Masking of personal data in the harness's own reports, the seed 002 way: national IDs
//! as `A123***789`, names as `黃○明` (`nhi_emulator::dc::protect`, the one source of the
//! rules), PINs and PUKs with every digit hidden. Applied when a report is rendered, never
//! to the values the checks compare.
//!
//! A [`Masker`] knows the names to hide (the fixtures' people and every name a reply
//! carried); national IDs are found by their shape anywhere in text. APDU hex is masked
//! too: an ID or a Big5 name inside an R-APDU is replaced by the masked one's bytes.

use crate::check::Check;
use crate::client::Exchange;
use nhi_emulator::dc::protect::{mask_id, mask_name};
use serde_json::Value;

/// Reply and request keys whose string value is a person's name.
const NAME_KEYS: &[&str] = &[
    "name",
    "cName",
    "eName",
    "holderName",
    "patientName",
    "guardianName",
    "dependantName",
];

/// Request keys whose value is a PIN or PUK.
const SECRET_KEYS: &[&str] = &["pin", "newPin", "oldPin", "puk"];

/// What to hide and how.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    /// Names, longest first (so that a name inside a longer one is not half masked).
    names: Vec<String>,
    /// National IDs seen (for the APDU hex, where the shape cannot be seen).
    ids: Vec<String>,
}

/// True for the shape of a Taiwanese national ID or resident certificate number: a
/// capital letter, then `1`, `2`, `8` or `9` (or a capital letter, old resident
/// certificates), then eight digits.
fn is_id(c: &[char]) -> bool {
    c.len() == 10
        && c[0].is_ascii_uppercase()
        && (matches!(c[1], '1' | '2' | '8' | '9') || c[1].is_ascii_uppercase())
        && c[2..].iter().all(char::is_ascii_digit)
}

/// Every national ID in `text` masked; a 10-character match inside a longer run of
/// letters and digits (a card number, a hex string) is not an ID and stays.
pub fn mask_ids(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        let window = c.get(i..i + 10);
        let boundary_before = i == 0 || !c[i - 1].is_ascii_alphanumeric();
        let boundary_after = c.get(i + 10).is_none_or(|n| !n.is_ascii_alphanumeric());
        match window {
            Some(w) if boundary_before && boundary_after && is_id(w) => {
                out.push_str(&mask_id(&w.iter().collect::<String>()));
                i += 10;
            }
            _ => {
                out.push(c[i]);
                i += 1;
            }
        }
    }
    out
}

/// A PIN or PUK with every digit hidden; other characters stay, so a format error is
/// still visible (`*******a`).
pub fn mask_secret(pin: &str) -> String {
    pin.chars()
        .map(|c| if c.is_ascii_digit() { '*' } else { c })
        .collect()
}

/// Collects the national IDs in `text` into `out`.
fn ids_in(text: &str, out: &mut Vec<String>) {
    let c: Vec<char> = text.chars().collect();
    for w in c.windows(10) {
        if is_id(w) {
            out.push(w.iter().collect());
        }
    }
}

impl Masker {
    /// A masker for these names and IDs (more are learnt with [`Masker::learn`]).
    pub fn new(
        names: impl IntoIterator<Item = String>,
        ids: impl IntoIterator<Item = String>,
    ) -> Masker {
        let mut m = Masker {
            names: names.into_iter().collect(),
            ids: ids.into_iter().collect(),
        };
        m.tidy();
        m
    }

    /// The fixtures' people and HPC holders.
    pub fn of_fixtures(f: &nhi_emulator::fixtures::Fixtures) -> Masker {
        let names = f.people.iter().map(|p| p.name.clone()).chain(
            f.hpcs
                .iter()
                .flat_map(|h| [h.name.clone(), h.name_en.clone()]),
        );
        let ids = f
            .people
            .iter()
            .map(|p| p.id_no.clone())
            .chain(f.hpcs.iter().map(|h| h.id_no.clone()));
        Masker::new(names, ids)
    }

    fn tidy(&mut self) {
        // One-character names would mask stray characters of ordinary text.
        self.names.retain(|n| n.chars().count() >= 2);
        self.names
            .sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        self.names.dedup();
        self.ids.sort();
        self.ids.dedup();
    }

    /// Learns the names (by key) and IDs (by shape) a JSON value carries.
    pub fn learn(&mut self, v: &Value) {
        match v {
            Value::Object(o) => {
                for (k, v) in o {
                    match v {
                        Value::String(s) if NAME_KEYS.contains(&k.as_str()) => {
                            self.names.push(s.trim().to_string());
                        }
                        _ => self.learn(v),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| self.learn(v)),
            Value::String(s) => ids_in(s, &mut self.ids),
            _ => {}
        }
        self.tidy();
    }

    /// Learns what an exchange carries.
    pub fn learn_exchange(&mut self, x: &Exchange) {
        self.learn(&x.body);
        self.learn(&x.reply);
    }

    /// Free text with every known name and every national ID masked.
    pub fn text(&self, s: &str) -> String {
        let mut out = mask_ids(s);
        for n in &self.names {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), &mask_name(n));
            }
        }
        out
    }

    /// A JSON value masked: names by key, PINs by key, IDs and known names in any string.
    pub fn json(&self, v: &Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| {
                        let masked = match v {
                            Value::String(s) if SECRET_KEYS.contains(&k.as_str()) => {
                                Value::String(mask_secret(s))
                            }
                            Value::String(s) if NAME_KEYS.contains(&k.as_str()) => {
                                Value::String(mask_name(s.trim()))
                            }
                            _ => self.json(v),
                        };
                        (k.clone(), masked)
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.json(v)).collect()),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }

    /// APDU hex with the known IDs (ASCII) and names (Big5) replaced by their masked
    /// forms' bytes.
    pub fn hex(&self, apdu: &str) -> String {
        let mut out = apdu.to_string();
        for id in &self.ids {
            let plain = hex::encode_upper(id.as_bytes());
            if out.contains(&plain) {
                out = out.replace(&plain, &hex::encode_upper(mask_id(id).as_bytes()));
            }
        }
        for n in &self.names {
            if let (Some(plain), Some(masked)) = (big5(n), big5(&mask_name(n))) {
                if plain.len() >= 4 && out.contains(&plain) {
                    out = out.replace(&plain, &masked);
                }
            }
        }
        out
    }

    /// Learns what a check's evidence carries.
    pub fn learn_check<At>(&mut self, c: &Check<At>) {
        if let Some(x) = &c.evidence {
            self.learn_exchange(x);
        }
    }

    /// A check masked: its request line, note and evidence.
    pub fn check<At: Clone>(&self, c: &Check<At>) -> Check<At> {
        let mut m = c.clone();
        m.request = self.text(&c.request);
        m.note = c.note.as_deref().map(|n| self.text(n));
        m.evidence = c.evidence.as_ref().map(|x| self.exchange(x));
        m
    }

    /// A failed check's exchange masked (request body, reply, APDUs).
    pub fn exchange(&self, x: &Exchange) -> Exchange {
        let mut m = x.clone();
        m.request = self.text(&x.request);
        m.body = self.json(&x.body);
        m.reply = self.json(&x.reply);
        for a in &mut m.apdus {
            a.command = self.hex(&a.command);
            a.response = self.hex(&a.response);
        }
        m
    }
}

/// The Big5 bytes of a name as the card stores them (without padding), in hex.
fn big5(name: &str) -> Option<String> {
    let field = nhi_protocol::basic::encode_name(name).ok()?;
    let end = field
        .iter()
        .rposition(|b| *b != 0 && *b != b' ')
        .map_or(0, |p| p + 1);
    field.get(..end).map(hex::encode_upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_and_names_are_masked_as_seed_002_says() {
        assert_eq!(mask_ids("idNo A123456789."), "idNo A123***789.");
        assert_eq!(mask_ids("A123456789B223456789"), "A123456789B223456789");
        assert_eq!(mask_ids("card 000012345678"), "card 000012345678");
        assert_eq!(
            mask_ids("AB12345678 and Q123000039"),
            "AB12***678 and Q123***039"
        );
        let m = Masker::new(["黃大明".to_string(), "王明".to_string()], []);
        assert_eq!(
            m.text("name: the world says 黃大明, got 王明"),
            "name: the world says 黃○明, got 王○"
        );
        assert_eq!(mask_secret("123456"), "******");
        assert_eq!(mask_secret("9999999a"), "*******a");
    }

    #[test]
    fn json_is_masked_by_key_and_by_shape_and_masking_twice_changes_nothing() {
        let mut m = Masker::default();
        let reply = json!({ "name": "陳小華", "cardId": "000012345678", "idNo": "F223456789",
                            "cName": "測試人員", "note": "陳小華 F223456789" });
        m.learn(&reply);
        let once = m.json(&reply);
        assert_eq!(
            once,
            json!({ "name": "陳○華", "cardId": "000012345678", "idNo": "F223***789",
                    "cName": "測○○員", "note": "陳○華 F223***789" })
        );
        assert_eq!(m.json(&once), once);
        assert_eq!(
            m.json(&json!({ "pin": "12345a" })),
            json!({ "pin": "*****a" })
        );
    }

    #[test]
    fn apdu_hex_loses_the_id_and_the_big5_name() {
        let m = Masker::new(["陳小華".to_string()], ["F223456789".to_string()]);
        let id = hex::encode_upper("F223456789");
        let name = big5("陳小華").unwrap();
        let r = format!("00{id}{name}9000");
        let masked = m.hex(&r);
        assert!(!masked.contains(&id) && !masked.contains(&name), "{masked}");
        assert!(masked.contains(&hex::encode_upper("F223***789")));
        assert!(masked.ends_with("9000"));
    }
}
