//! Fixture data (people, institutions, HPC holders) and the factory that turns it into cards.

use crate::card::hc_areas::HcAreas;
use crate::card::hpc::HpcProfile;
use crate::card::sam::SamKeys;
use crate::card::{Hc, Hpc, Sam};
use crate::crypto::{RsaPool, RsaSigner};
use crate::keys::Secrets;
use crate::pki::TestCa;
use nhi_protocol::basic::BasicData;
use nhi_protocol::ident::{HcCardNo, HospitalId, IdNo, IdentityStatus, RocDate, SamId, Sex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The demo fixture file, embedded.
pub const DEMO_TOML: &str = include_str!("../../fixtures/demo.toml");

/// A healthcare institution and its SAM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hospital {
    /// Hospital id (10).
    pub id: String,
    /// Name.
    pub name: String,
    /// Short name.
    pub short_name: String,
    /// SAM id (12; 9… test, 0… production).
    pub sam_id: String,
    /// Contract start (RFC 3339).
    pub contract_from: String,
    /// Contract end (RFC 3339).
    pub contract_to: String,
}

/// A person with an HC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// ID number.
    pub id_no: String,
    /// Name (Big5-representable).
    pub name: String,
    /// Birthday, ROC yyyMMdd.
    pub birthday: String,
    /// `M` / `F`.
    pub sex: String,
    /// HC card number (12).
    pub card_no: String,
    /// HC issue date, ROC.
    pub issue_date: String,
    /// Identity status 1/2/3/4/8.
    pub identity_status: String,
    /// HC PIN, when the holder set one.
    #[serde(default)]
    pub pin: Option<String>,
    /// The DC refuses this person's virtual-card registration (seed 001's double-ID
    /// photo or counter check): `photo-mismatch` or `second-id-mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuse_registration: Option<nhi_protocol::dc::msg::RegistrationRefusal>,
}

/// An HPC holder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HpcHolder {
    /// Card id (12–20 digits).
    pub card_id: String,
    /// ID number.
    pub id_no: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// PIN.
    pub pin: String,
    /// PUK.
    pub puk: String,
    /// Institution the holder works at.
    pub hospital_id: String,
    /// Certificate validity start (RFC 3339).
    pub cert_from: String,
    /// Certificate validity end (RFC 3339).
    pub cert_to: String,
}

/// A fixture file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fixtures {
    /// Institutions.
    #[serde(default, rename = "hospital")]
    pub hospitals: Vec<Hospital>,
    /// People with HCs.
    #[serde(default, rename = "person")]
    pub people: Vec<Person>,
    /// HPC holders.
    #[serde(default, rename = "hpc")]
    pub hpcs: Vec<HpcHolder>,
}

/// Why fixtures could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The TOML is malformed.
    #[error("fixture file: {0}")]
    Toml(#[from] toml::de::Error),
    /// A record is invalid.
    #[error("fixture {what}: {reason}")]
    Invalid {
        /// Which record.
        what: String,
        /// Why.
        reason: String,
    },
    /// No such record.
    #[error("no fixture {0}")]
    Missing(String),
}

fn invalid(what: &str, reason: impl ToString) -> FixtureError {
    FixtureError::Invalid {
        what: what.to_string(),
        reason: reason.to_string(),
    }
}

/// Parses an RFC 3339 instant to unix seconds.
pub fn rfc3339(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .map_err(|e| format!("{s:?}: {e}"))
}

impl Fixtures {
    /// The embedded demo world.
    pub fn demo() -> Result<Fixtures, FixtureError> {
        Fixtures::parse(DEMO_TOML)
    }

    /// Parses and validates a fixture file.
    pub fn parse(text: &str) -> Result<Fixtures, FixtureError> {
        let f: Fixtures = toml::from_str(text)?;
        for p in &f.people {
            p.basic().map_err(|e| invalid(&p.id_no, e))?;
        }
        for h in &f.hospitals {
            SamId::parse(&h.sam_id).map_err(|e| invalid(&h.id, e))?;
            HospitalId::parse(&h.id).map_err(|e| invalid(&h.id, e))?;
            rfc3339(&h.contract_from)
                .and(rfc3339(&h.contract_to))
                .map_err(|e| invalid(&h.id, e))?;
        }
        for h in &f.hpcs {
            nhi_protocol::ident::HpcId::parse(&h.card_id).map_err(|e| invalid(&h.card_id, e))?;
            rfc3339(&h.cert_from)
                .and(rfc3339(&h.cert_to))
                .map_err(|e| invalid(&h.card_id, e))?;
        }
        Ok(f)
    }

    /// Finds a person by ID number or card number.
    pub fn person(&self, key: &str) -> Result<&Person, FixtureError> {
        self.people
            .iter()
            .find(|p| p.id_no == key || p.card_no == key)
            .ok_or_else(|| FixtureError::Missing(format!("person {key}")))
    }
    /// Finds an HPC holder by card id or ID number.
    pub fn hpc(&self, key: &str) -> Result<&HpcHolder, FixtureError> {
        self.hpcs
            .iter()
            .find(|p| p.card_id == key || p.id_no == key)
            .ok_or_else(|| FixtureError::Missing(format!("hpc {key}")))
    }
    /// Finds an institution by hospital id or SAM id.
    pub fn hospital(&self, key: &str) -> Result<&Hospital, FixtureError> {
        self.hospitals
            .iter()
            .find(|h| h.id == key || h.sam_id == key)
            .ok_or_else(|| FixtureError::Missing(format!("hospital {key}")))
    }
}

impl Person {
    /// The basic data of this person's HC.
    pub fn basic(&self) -> Result<BasicData, String> {
        let b = BasicData {
            card_no: HcCardNo::parse(&self.card_no).map_err(|e| e.to_string())?,
            name: self.name.clone(),
            id_no: IdNo::parse(&self.id_no).map_err(|e| e.to_string())?,
            birthday: RocDate::parse(&self.birthday).map_err(|e| e.to_string())?,
            sex: Sex::parse(&self.sex).map_err(|e| e.to_string())?,
            issue_date: Some(RocDate::parse(&self.issue_date).map_err(|e| e.to_string())?),
        };
        b.encode().map_err(|e| e.to_string())?;
        IdentityStatus::parse(&self.identity_status).map_err(|e| e.to_string())?;
        Ok(b)
    }
    /// Identity status.
    pub fn status(&self) -> Result<IdentityStatus, String> {
        IdentityStatus::parse(&self.identity_status)
            .map_err(|e| format!("person {}: {e}", self.id_no))
    }

    /// The virtual-card token payload of this person (its HC's basic data and status).
    pub fn payload(
        &self,
        issued_at: u32,
        serial: u32,
        valid_until: u32,
    ) -> Result<nhi_protocol::token::Payload, String> {
        let b = self.basic()?;
        Ok(nhi_protocol::token::Payload {
            card_no: b.card_no,
            id_no: b.id_no,
            name: b.name,
            birthday: b.birthday,
            sex: b.sex,
            identity_status: self.status()?,
            issued_at,
            serial,
            valid_until,
        })
    }
}

/// Builds cards from fixtures with the test key material.
pub struct CardFactory {
    secrets: Secrets,
    ca: TestCa,
    signers: RsaPool,
}

impl std::fmt::Debug for CardFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardFactory")
    }
}

impl CardFactory {
    /// Loads the test CA and parses the RSA key pool once.
    pub fn test() -> Result<CardFactory, String> {
        let signers = RsaPool::load()?;
        Ok(CardFactory {
            secrets: Secrets::test(),
            ca: TestCa::load()?,
            signers,
        })
    }

    /// The test secrets.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }
    /// The test CA.
    pub fn ca(&self) -> &TestCa {
        &self.ca
    }

    fn signer_for(&self, id: &str) -> Result<(Arc<RsaSigner>, &'static [u8]), String> {
        let (signer, der) = self.signers.for_identity(id);
        Ok((Arc::clone(signer), der))
    }

    /// The master a card number belongs to (9… test, else production).
    fn master(&self, test: bool) -> &[u8; 32] {
        if test {
            &self.secrets.card_master_test
        } else {
            &self.secrets.card_master_production
        }
    }

    /// An HC for a person.
    pub fn hc(&self, p: &Person) -> Result<Hc, String> {
        let basic = p.basic()?;
        let test = basic.card_no.is_test();
        // The card's validity (ours): ten years from issue.
        let issued = basic
            .issue_date
            .ok_or_else(|| format!("{}: a physical HC needs an issue date", basic.card_no))?;
        let valid_until = format!(
            "{:03}{:02}{:02}",
            issued.year + 10,
            issued.month,
            issued.day
        );
        let areas = HcAreas::issued(&p.identity_status, &valid_until);
        Hc::new(basic, self.master(test), p.pin.clone())
            .map(|c| c.with_areas(areas))
            .map_err(|e| e.to_string())
    }

    /// A forged HC: the person's data, keys from a master the NHI never issued.
    pub fn hc_forged(&self, p: &Person) -> Result<Hc, String> {
        Hc::new(p.basic()?, &[0x5A; 32], p.pin.clone()).map_err(|e| e.to_string())
    }

    /// A forged HPC: the holder's data, keys from a master the NHI never issued.
    pub fn hpc_forged(&self, h: &HpcHolder) -> Result<Hpc, String> {
        self.hpc_keyed(h, 1, &[0x5A; 32])
    }

    /// The certificate serial of a holder's card: distinct per card id.
    pub fn hpc_serial(h: &HpcHolder) -> u64 {
        h.card_id.bytes().fold(0u64, |a, b| {
            a.wrapping_mul(10)
                .wrapping_add(u64::from(b.wrapping_sub(b'0')))
        }) & 0x7FFF_FFFF_FFFF_FFFF
    }

    /// An HPC for a holder; `serial` numbers its certificate.
    pub fn hpc(&self, h: &HpcHolder, serial: u64) -> Result<Hpc, String> {
        self.hpc_keyed(h, serial, self.master(true))
    }

    fn hpc_keyed(&self, h: &HpcHolder, serial: u64, master: &[u8; 32]) -> Result<Hpc, String> {
        let (signer, der) = self.signer_for(&h.card_id)?;
        let cert = self.ca.issue_hpc(
            &h.card_id,
            &h.name,
            der,
            rfc3339(&h.cert_from)?,
            rfc3339(&h.cert_to)?,
            serial,
        )?;
        let profile = HpcProfile {
            card_id: h.card_id.clone(),
            id_no: h.id_no.clone(),
            name: h.name.clone(),
            name_en: h.name_en.clone(),
            pin: h.pin.clone(),
            puk: h.puk.clone(),
            test: true,
        };
        Hpc::new(profile, master, signer, cert)
    }

    /// The physical SAM of an institution.
    pub fn sam(&self, h: &Hospital) -> Result<Sam, String> {
        let test = SamId::parse(&h.sam_id)
            .map_err(|e| e.to_string())?
            .is_test();
        let keys = SamKeys {
            dc_auth: SamKeys::dc_auth_key(&self.secrets.dc_sam_master, &h.sam_id),
            card_master: *self.master(test),
            token_payload: self.secrets.token_payload_key,
        };
        let (signer, _) = self.signer_for(&h.sam_id)?;
        Ok(Sam::new(&h.sam_id, &h.id, keys, signer))
    }

    /// The public key (PKCS#1 DER) a card's signatures verify with.
    pub fn public_key_for(&self, id: &str) -> Result<Vec<u8>, String> {
        Ok(self.signer_for(id)?.0.public_key_der())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fixtures_are_valid() {
        let f = Fixtures::demo().unwrap();
        assert!(f.people.len() >= 5 && f.hpcs.len() == 3 && f.hospitals.len() == 3);
        for p in &f.people {
            assert!(IdNo::parse_strict(&p.id_no).is_ok(), "{}", p.id_no);
        }
        assert_eq!(f.person("A123456789").unwrap().name, "王小明");
        assert!(f.person("Z999999999").is_err());
        assert!(Fixtures::parse("[[person]]\nid_no = 1").is_err());
    }
}
