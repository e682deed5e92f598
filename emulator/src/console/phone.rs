//! The virtual card as the phone app shows it (seed 000): the current QR token, which the
//! DC issues and rotates every [`TOKEN_LIFETIME_SECS`], above the holder's photo. The
//! console's phone for a person is a DC phone registered and activated for that person's
//! card, so its tokens verify through the Web API like a real phone's.

use crate::control::{Refusal, StatusCode};
use crate::dc::Dc;
use crate::fixtures::{Fixtures, Person};
use nhi_protocol::token::{TokenAlg, TOKEN_LIFETIME_SECS};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// What the phone screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneScreen {
    /// The holder's ID number.
    pub id_no: String,
    /// The holder's name.
    pub name: String,
    /// The HC card number the virtual card stands for.
    pub card_no: String,
    /// The current token (what the QR code encodes; the copy button copies it).
    pub token: String,
    /// Its DC serial.
    pub serial: i64,
    /// Virtual Unix time it was issued.
    pub issued_at: i64,
    /// Seconds until the phone shows the next token.
    pub seconds_left: i64,
    /// The QR code of `token`, as an SVG document.
    pub qr_svg: String,
    /// URL of the holder's photo (the fixtures have none: a generated placeholder).
    pub photo: String,
}

/// A token on show and when it was issued.
#[derive(Debug, Clone)]
struct Shown {
    token: String,
    serial: i64,
    issued_at: i64,
}

/// The phones the console has shown, one per person, each with its current token.
#[derive(Debug, Default)]
pub struct Phones {
    shown: Mutex<HashMap<String, Shown>>,
}

/// The DC phone id of the console's phone for a card.
fn phone_id(card_no: &str) -> String {
    format!("console-{card_no}")
}

fn dc_refusal(e: crate::dc::error::DcError) -> Refusal {
    Refusal::new(
        StatusCode::CONFLICT,
        "dc-refused",
        format!(
            "the DC refused the phone's token: {} {}",
            e.code.code(),
            e.reason
        ),
    )
}

impl Phones {
    /// The screen of `key`'s phone at virtual time `now`: the token on show while it is
    /// younger than its lifetime, else a fresh one from the DC.
    pub fn screen(&self, dc: &Dc, fixtures: &Fixtures, key: &str) -> Result<PhoneScreen, Refusal> {
        let person = fixtures.person(key).map_err(|e| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                "no-person",
                format!("{e}: give an ID number or HC card number of the fixtures"),
            )
        })?;
        let now = dc.now();
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        let current = shown
            .get(&person.card_no)
            .filter(|s| (0..TOKEN_LIFETIME_SECS).contains(&(now - s.issued_at)))
            .cloned();
        let s = match current {
            Some(s) => s,
            None => {
                let phone = phone_id(&person.card_no);
                let activate = || {
                    dc.admin_activate(&phone, &person.card_no)
                        .map_err(dc_refusal)
                };
                let fresh = !shown.contains_key(&person.card_no);
                if fresh {
                    activate()?;
                }
                // A DC reset forgets the phone (1799 "phone not registered"): register it
                // again once, then ask again. A phone reported lost (1531) stays refused.
                let t = match dc.token(&phone, TokenAlg::Es256) {
                    Ok(t) => t,
                    Err(e) if !fresh && e.code == nhi_protocol::StatusCode::DcUndefined => {
                        activate()?;
                        dc.token(&phone, TokenAlg::Es256).map_err(dc_refusal)?
                    }
                    Err(e) => return Err(dc_refusal(e)),
                };
                let s = Shown {
                    token: t.token,
                    serial: t.serial,
                    issued_at: now,
                };
                shown.insert(person.card_no.clone(), s.clone());
                s
            }
        };
        drop(shown);
        screen_of(person, s, now)
    }
}

fn screen_of(person: &Person, s: Shown, now: i64) -> Result<PhoneScreen, Refusal> {
    let qr_svg = qr_svg(&s.token)?;
    Ok(PhoneScreen {
        id_no: person.id_no.clone(),
        name: person.name.clone(),
        card_no: person.card_no.clone(),
        seconds_left: (s.issued_at + TOKEN_LIFETIME_SECS - now).max(0),
        token: s.token,
        serial: s.serial,
        issued_at: s.issued_at,
        qr_svg,
        photo: format!("/console/api/photo.svg?person={}", person.id_no),
    })
}

/// The QR code of a token as SVG (error correction M, quiet zone included).
pub fn qr_svg(token: &str) -> Result<String, Refusal> {
    let code = qrcode::QrCode::with_error_correction_level(token.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "qr",
                format!("token does not fit a QR code: {e}"),
            )
        })?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(280, 280)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// A generated placeholder photo: the fixtures carry no photos, so the phone shows a
/// silhouette with the holder's first character and says it is a placeholder.
pub fn placeholder_photo(person: &Person) -> String {
    let initial: String = person.name.chars().take(1).collect();
    let initial = xml_escape(&initial);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="150" viewBox="0 0 120 150" role="img" aria-label="placeholder photo">
<rect width="120" height="150" fill="#dfe7ef"/>
<circle cx="60" cy="55" r="30" fill="#9fb3c8"/>
<path d="M15 150 C15 105 105 105 105 150 Z" fill="#9fb3c8"/>
<text x="60" y="66" font-size="30" text-anchor="middle" fill="#ffffff" font-family="sans-serif">{initial}</text>
<text x="60" y="144" font-size="10" text-anchor="middle" fill="#52667a" font-family="sans-serif">placeholder 示意</text>
</svg>"##
    )
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_document() {
        let svg = qr_svg("a.b.c").unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
    }

    #[test]
    fn the_placeholder_escapes_the_name() {
        let fx = Fixtures::demo().unwrap();
        let mut p = fx.people[0].clone();
        p.name = "<b>".into();
        let svg = placeholder_photo(&p);
        assert!(svg.contains("&lt;") && !svg.contains("<b>"), "{svg}");
    }
}
