//! Outside the mode table: `Status`, the reader list and the default reader.

use super::Device;
use crate::cards::hc;
use crate::error::{reply, transport_fail, Fail, OpResult};
use crate::mutants::Mutant;
use crate::settings::Setting;
use nhi_protocol::apdu::CardKind;
use nhi_protocol::api::reply::{
    DeviceEntry, DeviceKind, DeviceNameReply, DevicesReply, Empty, ModeReport, ReaderNameReply,
    StatusReply,
};
use nhi_protocol::mode::{HcKind, HpcKind};
use nhi_protocol::StatusCode;

impl Device {
    /// `Status`: modes and names.
    pub fn status(&mut self) -> OpResult {
        self.refresh();
        let s = self.state;
        let pin = match s.hc_kind {
            // Unknown (null) when the card does not answer: Status reports, it never fails.
            Some(HcKind::Physical) => self
                .card(CardKind::Hc)
                .and_then(|mut c| hc::pin_status_byte(&mut c))
                .ok()
                .flatten()
                .map(|p| (p != 0, p == 2)),
            // Seed 004: a virtual card's PIN status is the DC's (set) and the 健保快易通
            // app's authorisation (verified).
            Some(HcKind::Virtual) => self.virtual_hc.as_ref().and_then(|v| v.pin),
            _ => None,
        };
        let report = |kind: Option<String>, mode: u8| ModeReport { kind, mode };
        reply(&StatusReply {
            initialized: s.initialized,
            device_name: self.device_name(),
            // No HC or HPC in any reader: the wire's "none" is the empty name.
            reader_name: self
                .reader_of(CardKind::Hc)
                .or_else(|| self.reader_of(CardKind::Hpc))
                .unwrap_or_default(),
            sam: report(s.sam_kind.map(|k| format!("{k:?}")), s.sam),
            hpc: report(self.hpc_kind_name(), s.hpc),
            hc: report(s.hc_kind.map(|k| format!("{k:?}")), s.hc),
            hc_pin_set: pin.map(|(set, _)| set),
            hc_pin_verified: pin.map(|(_, verified)| verified),
        })
    }

    /// The HPC kind as the status panel names it: seed 004's three kinds are 醫師卡
    /// (`DoctorCard`, told by its ATR), 醫事人員卡 (`Card`) and 醫事人員行動憑證 (`Mobile`).
    fn hpc_kind_name(&self) -> Option<String> {
        let kind = self.state.hpc_kind?;
        let doctor = kind == HpcKind::Card
            && self
                .reader_of(CardKind::Hpc)
                .and_then(|r| self.bound.get(&r))
                .is_some_and(|b| b.conn.atr() == nhi_protocol::apdu::ATR_DOCTOR);
        Some(if doctor {
            "DoctorCard".to_string()
        } else {
            format!("{kind:?}")
        })
    }

    /// `Name`: the connected device's name (see [`DeviceNameReply`]).
    pub fn name(&self) -> OpResult {
        reply(&DeviceNameReply {
            device_name: self.device_name(),
        })
    }

    /// `Devices`: imported cloud SAMs, then readers holding a SAM, looked at afresh (the
    /// seed's 更新裝置列表 is calling this again).
    pub fn devices(&mut self) -> OpResult {
        self.refresh();
        let cloud = self.store.cloud_sams.iter().map(|c| DeviceEntry {
            device_name: c.sam_id.clone(),
            kind: DeviceKind::Cloud,
        });
        let physical = self
            .readers_with(CardKind::Sam)
            .into_iter()
            .map(|r| DeviceEntry {
                device_name: r,
                kind: DeviceKind::Physical,
            });
        reply(&DevicesReply {
            devices: cloud.chain(physical).collect(),
        })
    }

    /// Reader names.
    pub fn readers(&self) -> Result<Vec<String>, Fail> {
        super::readers::blocking(|| self.transport.readers()).map_err(transport_fail)
    }

    /// `PcscReaderReader/SetDefault`.
    pub fn set_default_reader(&mut self, name: &str) -> OpResult {
        if !self.mutant_on(Mutant::DefaultReaderUnchecked)
            && !self.readers()?.iter().any(|r| r == name)
        {
            return Err(Fail::new(
                StatusCode::ReaderNameNotFound,
                format!("no PC/SC reader named {name:?}"),
            ));
        }
        self.store.settings.default_reader = Some(name.to_string());
        let was_off = self.physical_cards_off();
        self.store.settings.pcsc_off = false;
        self.store.save_for(Setting::DefaultReader)?;
        if was_off {
            // Cards the device ignored are seen now: the next refresh binds them anew,
            // with their mode transitions.
            self.bound
                .retain(|_, b| !matches!(b.kind, CardKind::Hc | CardKind::Hpc));
        }
        reply(&ReaderNameReply {
            reader_name: name.to_string(),
        })
    }

    /// `PcscReaderReader/GetDefault`.
    pub fn get_default_reader(&self) -> OpResult {
        match &self.store.settings.default_reader {
            None => Err(Fail::code(StatusCode::NoReaderInUse)),
            Some(d) if !self.readers()?.contains(d) => Err(Fail::new(
                StatusCode::NoDefaultReader,
                format!("default reader {d:?} is not connected"),
            )),
            Some(d) => reply(&ReaderNameReply {
                reader_name: d.clone(),
            }),
        }
    }

    /// `PcscReaderReader/AutoDetect`: the first reader holding an HC or HPC.
    pub fn autodetect_reader(&mut self) -> OpResult {
        self.refresh();
        let found = self
            .bound
            .iter()
            .find(|(_, b)| matches!(b.kind, CardKind::Hc | CardKind::Hpc))
            .map(|(n, _)| n.clone());
        match found {
            Some(n) => self.set_default_reader(&n),
            None => Err(Fail::new(
                StatusCode::AutodetectFailed,
                "no reader holds an HC or HPC",
            )),
        }
    }

    /// `PcscReaderReader/RemoveDefault`: 「不使用」 (see `Settings::pcsc_off`).
    pub fn remove_default_reader(&mut self) -> OpResult {
        self.store.settings.default_reader = None;
        self.store.settings.pcsc_off = true;
        self.store.save_for(Setting::DefaultReader)?;
        if self.physical_cards_off() {
            // The physical cards leave the device's view as if removed.
            let gone: Vec<(String, CardKind)> = self
                .bound
                .iter()
                .filter(|(_, b)| matches!(b.kind, CardKind::Hc | CardKind::Hpc))
                .map(|(n, b)| (n.clone(), b.kind))
                .collect();
            for (reader, kind) in gone {
                self.bound.remove(&reader);
                self.card_gone(&reader, kind);
            }
        }
        reply(&Empty {})
    }
}
