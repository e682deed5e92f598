//! World events a test script asks for — a phone activating a virtual card, an
//! institution's standing changing, a cloud SAM file or mobile HCA credential being issued,
//! a certificate revoked, a phone lost — done on the DC directly. The harness applies them
//! in-process; the control API (`POST /scripted/{event}`) offers the same to a harness in
//! another process. [`Event`] is the one vocabulary of both.

use crate::clock::{Clock, VirtualClock};
use crate::control::CardSpec;
use crate::dc::Dc;
use crate::fixtures::{CardFactory, Fixtures};
use nhi_protocol::token::TokenAlg;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The phone a virtual card is activated on when a script names none.
pub const DEFAULT_PHONE: &str = "phone-1";

/// A scripted world event. On the wire: the event's name is the last path segment of
/// `POST /scripted/{event}`, its fields the JSON body (camelCase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// Activates a phone for a person (unless `token_only`), moves the clock one second on
    /// and returns a fresh ES256 QR token of that phone: `{ token }`.
    #[serde(rename_all = "camelCase")]
    VirtualCard {
        /// Fixture key of the person (ID or card number).
        person: String,
        /// The phone; none: [`DEFAULT_PHONE`].
        #[serde(default)]
        phone: Option<String>,
        /// Only a new token of an already activated phone.
        #[serde(default)]
        token_only: Option<bool>,
        /// The holder authorises the app with the PIN (健保快易通), or withdraws it; none:
        /// as it was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pin_authorized: Option<bool>,
    },
    /// Sets an institution's standing; unset flags stay as they are: `{}`.
    #[serde(rename_all = "camelCase")]
    Standing {
        /// Hospital id.
        hospital: String,
        /// Suspended by the NHI.
        #[serde(default)]
        suspended: Option<bool>,
        /// Contract revoked.
        #[serde(default)]
        revoked: Option<bool>,
        /// Contract end one second in the past (true) or ten years ahead (false).
        #[serde(default)]
        contract_expired: Option<bool>,
    },
    /// Issues a cloud SAM file of an institution: `{ fileName, content }`.
    CloudSam {
        /// Hospital id.
        hospital: String,
    },
    /// A mobile HCA credential of an HPC holder for an institution: `{ credential }`.
    HcaCredential {
        /// HPC card id or ID number of the holder.
        hpc: String,
        /// Hospital id.
        hospital: String,
    },
    /// Revokes the certificate on an HPC holder's card: `{}`.
    RevokeCert {
        /// HPC card id or ID number of the holder.
        hpc: String,
    },
    /// Reports a phone lost: the DC's reply.
    LostPhone {
        /// The phone.
        phone: String,
    },
    /// Seed 001 guardians: delegates a dependant's card to a guardian's active phone (as a
    /// counter would, the dependant's physical card read) and returns a fresh ES256 token
    /// of the dependant on that phone, `{ token }`; with `revoke`, ends the delegation:
    /// `{}`.
    #[serde(rename_all = "camelCase")]
    Guardian {
        /// Fixture key of the dependant (ID or card number).
        dependant: String,
        /// The guardian's phone; none: [`DEFAULT_PHONE`].
        #[serde(default)]
        phone: Option<String>,
        /// Revoke instead of grant.
        #[serde(default)]
        revoke: Option<bool>,
    },
}

/// Why a scripted event could not be read or done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// No event of that name.
    Unknown(String),
    /// The body does not fit the event (names the field).
    BadBody(String),
    /// The DC (or the fixtures) refused it.
    Refused(String),
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::Unknown(name) => {
                write!(f, "no scripted event {name:?}: {}", Event::NAMES.join(", "))
            }
            EventError::BadBody(e) | EventError::Refused(e) => f.write_str(e),
        }
    }
}

impl Event {
    /// The events' names, as in `POST /scripted/{name}`.
    pub const NAMES: [&'static str; 7] = [
        "virtual-card",
        "standing",
        "cloud-sam",
        "hca-credential",
        "revoke-cert",
        "lost-phone",
        "guardian",
    ];

    /// The event's name (`virtual-card`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Event::VirtualCard { .. } => "virtual-card",
            Event::Standing { .. } => "standing",
            Event::CloudSam { .. } => "cloud-sam",
            Event::HcaCredential { .. } => "hca-credential",
            Event::RevokeCert { .. } => "revoke-cert",
            Event::LostPhone { .. } => "lost-phone",
            Event::Guardian { .. } => "guardian",
        }
    }

    /// Reads an event from its name and its JSON body (an object of its fields).
    pub fn from_parts(name: &str, body: Value) -> Result<Event, EventError> {
        if !Event::NAMES.contains(&name) {
            return Err(EventError::Unknown(name.to_string()));
        }
        let Value::Object(mut fields) = body else {
            return Err(EventError::BadBody(format!(
                "{name}: a JSON object body is required"
            )));
        };
        fields.insert("event".into(), Value::String(name.to_string()));
        serde_json::from_value(Value::Object(fields))
            .map_err(|e| EventError::BadBody(format!("{name}: {e}")))
    }

    /// The event's JSON body (its fields, without the name).
    pub fn body(&self) -> Result<Value, String> {
        let mut v = serde_json::to_value(self).map_err(|e| format!("{}: {e}", self.name()))?;
        if let Value::Object(fields) = &mut v {
            fields.remove("event");
        }
        Ok(v)
    }

    /// Does the event on the DC; the reply's fields.
    pub fn apply(
        &self,
        dc: &Dc,
        clock: &VirtualClock,
        factory: &CardFactory,
        fixtures: &Fixtures,
    ) -> Result<Value, EventError> {
        let done = match self {
            Event::VirtualCard {
                person,
                phone,
                token_only,
                pin_authorized,
            } => {
                let phone = phone.as_deref().unwrap_or(DEFAULT_PHONE);
                let token_only = token_only.unwrap_or(false);
                virtual_card(dc, clock, fixtures, person, phone, token_only).and_then(|t| {
                    if let Some(a) = pin_authorized {
                        dc.admin_pin_authorize(phone, *a).map_err(|e| e.reason)?;
                    }
                    Ok(json!({ "token": t }))
                })
            }
            Event::Standing {
                hospital,
                suspended,
                revoked,
                contract_expired,
            } => standing(
                dc,
                clock.now(),
                hospital,
                *suspended,
                *revoked,
                *contract_expired,
            )
            .map(|()| json!({})),
            Event::CloudSam { hospital } => dc
                .issue_cloud_sam(hospital)
                .map(|(n, content)| json!({ "fileName": n, "content": content }))
                .map_err(|e| e.reason),
            Event::HcaCredential { hpc, hospital } => {
                hca_credential(dc, fixtures, hpc, hospital).map(|c| json!({ "credential": c }))
            }
            Event::RevokeCert { hpc } => {
                revoke_hpc_cert(dc, factory, fixtures, hpc).map(|()| json!({}))
            }
            Event::LostPhone { phone } => dc
                .phone_lost(phone)
                .map_err(|e| e.reason)
                .and_then(|r| serde_json::to_value(r).map_err(|e| e.to_string())),
            Event::Guardian {
                dependant,
                phone,
                revoke,
            } => {
                let phone = phone.as_deref().unwrap_or(DEFAULT_PHONE);
                guardian(
                    dc,
                    clock,
                    fixtures,
                    dependant,
                    phone,
                    revoke.unwrap_or(false),
                )
            }
        };
        done.map_err(EventError::Refused)
    }
}

/// Activates a phone for a person (unless `token_only`), moves the clock one second on
/// and returns a fresh ES256 QR token of that phone.
pub fn virtual_card(
    dc: &Dc,
    clock: &VirtualClock,
    fixtures: &Fixtures,
    person: &str,
    phone: &str,
    token_only: bool,
) -> Result<String, String> {
    let p = fixtures.person(person).map_err(|e| e.to_string())?;
    if !token_only {
        dc.admin_activate(phone, &p.card_no).map_err(|e| e.reason)?;
    }
    clock.advance(1);
    let t = dc
        .token(phone, TokenAlg::Es256)
        .map_err(|e| format!("token: {}", e.reason))?;
    Ok(t.token)
}

/// Grants (and hands out a dependant's token) or revokes a guardian delegation.
pub fn guardian(
    dc: &Dc,
    clock: &VirtualClock,
    fixtures: &Fixtures,
    dependant: &str,
    phone: &str,
    revoke: bool,
) -> Result<Value, String> {
    let card = fixtures
        .person(dependant)
        .map_err(|e| e.to_string())?
        .card_no
        .clone();
    if revoke {
        dc.guardian_revoke(phone, &card).map_err(|e| e.reason)?;
        return Ok(json!({}));
    }
    dc.admin_guardian_grant(phone, &card)
        .map_err(|e| e.reason)?;
    clock.advance(1);
    let t = dc
        .guardian_token(phone, &card, TokenAlg::Es256)
        .map_err(|e| format!("guardian token: {}", e.reason))?;
    Ok(json!({ "token": t.token }))
}

/// Sets an institution's standing; `contract_expired` puts the contract end one second in
/// the past (or ten years ahead when false).
pub fn standing(
    dc: &Dc,
    now: i64,
    hospital: &str,
    suspended: Option<bool>,
    revoked: Option<bool>,
    contract_expired: Option<bool>,
) -> Result<(), String> {
    let to = contract_expired.map(|e| if e { now - 1 } else { now + 10 * 365 * 86_400 });
    dc.set_hospital(hospital, suspended, revoked, to)
        .map(|_| ())
        .map_err(|e| e.reason)
}

/// A mobile HCA credential of an HPC holder for an institution.
pub fn hca_credential(
    dc: &Dc,
    fixtures: &Fixtures,
    hpc: &str,
    hospital: &str,
) -> Result<String, String> {
    let holder = fixtures.hpc(hpc).map_err(|e| e.to_string())?;
    let cred = nhi_protocol::dc::msg::HcaCredential {
        hospital_id: hospital.to_string(),
        hpc_id: holder.card_id.clone(),
        id_no: holder.id_no.clone(),
        name: holder.name.clone(),
    };
    Ok(dc.hca_issue(&cred).map_err(|e| e.reason)?.credential)
}

/// Revokes the certificate on an HPC holder's card (read from a card made like theirs).
pub fn revoke_hpc_cert(
    dc: &Dc,
    factory: &CardFactory,
    fixtures: &Fixtures,
    hpc: &str,
) -> Result<(), String> {
    let mut card = CardSpec::Hpc.make(factory, fixtures, Some(hpc))?;
    let serial = crate::control::hpc_cert_serial(card.as_mut()).ok_or("certificate unreadable")?;
    dc.revoke_cert(&serial).map(|_| ()).map_err(|e| e.reason)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn events_read_from_name_and_body_and_write_back_the_same_body() {
        let e = Event::from_parts(
            "virtual-card",
            json!({ "person": "A123456789", "phone": null, "tokenOnly": true }),
        )
        .unwrap();
        assert_eq!(
            e,
            Event::VirtualCard {
                person: "A123456789".into(),
                phone: None,
                token_only: Some(true),
                pin_authorized: None,
            }
        );
        assert_eq!(e.name(), "virtual-card");
        assert_eq!(
            e.body().unwrap(),
            json!({ "person": "A123456789", "phone": null, "tokenOnly": true })
        );
        let s = Event::from_parts(
            "standing",
            json!({ "hospital": "1", "contractExpired": false }),
        )
        .unwrap();
        assert_eq!(Event::from_parts(s.name(), s.body().unwrap()).unwrap(), s);
    }

    #[test]
    fn unknown_events_and_missing_fields_are_errors() {
        assert!(matches!(
            Event::from_parts("meteor", json!({})),
            Err(EventError::Unknown(_))
        ));
        let Err(EventError::BadBody(e)) = Event::from_parts("cloud-sam", json!({})) else {
            panic!("a missing field must be refused");
        };
        assert!(e.contains("hospital"), "{e}");
        assert!(matches!(
            Event::from_parts("lost-phone", json!("phone-1")),
            Err(EventError::BadBody(_))
        ));
    }
}
