//! The readers as the device sees them: which card is bound in which reader, keeping the
//! mode state in step when cards come and go, and sending APDUs.

use super::{Device, SamUse};
use crate::cards::Link;
use crate::error::{transport_fail, Fail};
use crate::transport::{Connection, TransportError};
use nhi_protocol::apdu::{CardKind, Response};
use nhi_protocol::mode::{self, HcKind, HpcKind, Operation as Op, Outcome};
use nhi_protocol::StatusCode;

/// A card the device has connected to.
pub(super) struct BoundCard {
    pub(super) kind: CardKind,
    pub(super) conn: Box<dyn Connection>,
    /// Card number / HPC id / SAM id once read.
    pub(super) id: Option<String>,
}

/// Runs blocking reader I/O (a serial reader may take 1.5 s to answer) without stalling
/// the async runtime. `Device::run` is async and holds the device lock across card I/O,
/// which must stay in order; `block_in_place` keeps the call on this thread (no `'static`
/// move of the connection, as `spawn_blocking` would need) and lets the runtime hand this
/// worker's other tasks to another worker meanwhile. A current-thread runtime (an embedder's
/// test) has no other worker to hand them to, so the call runs directly there.
pub(super) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Device {
    /// Re-reads which cards are where: drops dead connections, binds new cards.
    pub fn refresh(&mut self) {
        let dead: Vec<String> = blocking(|| {
            self.bound
                .iter_mut()
                .filter_map(|(n, b)| (!b.conn.alive()).then(|| n.clone()))
                .collect()
        });
        for n in dead {
            if let Some(b) = self.bound.remove(&n) {
                self.card_gone(&n, b.kind);
            }
        }
        let readers = match blocking(|| self.transport.readers()) {
            Ok(r) => {
                self.reader_error = None;
                r
            }
            Err(e) => {
                self.reader_error = Some(e);
                return;
            }
        };
        self.bound.retain(|n, _| readers.contains(n));
        let mut order: Vec<String> = readers;
        if let Some(d) = &self.store.settings.default_reader {
            order.sort_by_key(|n| n != d);
        }
        for r in order {
            if self.bound.contains_key(&r) {
                continue;
            }
            let conn = match blocking(|| self.transport.connect(&r)) {
                Ok(c) => c,
                Err(e) => {
                    // An empty reader is normal; a reader that fails is worth reporting
                    // when a call then finds no card (see `card`).
                    if reader_failure(&e) {
                        self.reader_error.get_or_insert(e);
                    }
                    continue;
                }
            };
            let kind = CardKind::from_atr(&conn.atr());
            self.bound.insert(
                r.clone(),
                BoundCard {
                    kind,
                    conn,
                    id: None,
                },
            );
            let inserted = match kind {
                CardKind::Hc => Op::InsertHc,
                CardKind::Hpc => Op::InsertHpc,
                _ => continue,
            };
            if self.reader_of(kind).as_deref() == Some(r.as_str()) {
                self.state = mode::transition(&self.state, inserted, Outcome::Success, None);
            }
        }
    }

    /// Mode consequences of a card leaving `reader`.
    pub(super) fn card_gone(&mut self, reader: &str, kind: CardKind) {
        match kind {
            CardKind::Hc => {
                if self.state.hc_kind == Some(HcKind::Physical)
                    || self.reader_of(CardKind::Hc).is_none()
                {
                    self.state =
                        mode::transition(&self.state, Op::RemoveHc, Outcome::Success, None);
                }
                // An HC still in another reader is now the one in use, as if just inserted:
                // it starts at mode 1 (its data not read, its PIN not verified).
                if self.reader_of(CardKind::Hc).is_some() {
                    self.state =
                        mode::transition(&self.state, Op::InsertHc, Outcome::Success, None);
                }
            }
            CardKind::Hpc => {
                self.state = mode::transition(&self.state, Op::RemoveHpc, Outcome::Success, None);
                if self.state.hpc_kind != Some(HpcKind::Mobile) {
                    self.hpc_info = None;
                }
                if self.reader_of(CardKind::Hpc).is_some() {
                    self.state =
                        mode::transition(&self.state, Op::InsertHpc, Outcome::Success, None);
                }
            }
            CardKind::Sam => {
                if matches!(&self.sam, Some(SamUse::Physical { reader: r }) if r == reader) {
                    self.sam_session = None;
                    self.state = mode::sam_removed(&self.state);
                }
            }
            CardKind::Other => {}
        }
    }

    /// Physical HC and HPC are not read: a cloud SAM and 「不使用」 chosen for the PC/SC
    /// reader (seed 004).
    pub(super) fn physical_cards_off(&self) -> bool {
        self.store.settings.pcsc_off && matches!(self.sam, Some(SamUse::Cloud(_)))
    }

    /// Whether the device uses cards of `kind` from its readers.
    fn uses(&self, kind: CardKind) -> bool {
        !(matches!(kind, CardKind::Hc | CardKind::Hpc) && self.physical_cards_off())
    }

    /// The first reader holding a card of `kind` (default reader first).
    pub(super) fn reader_of(&self, kind: CardKind) -> Option<String> {
        if !self.uses(kind) {
            return None;
        }
        let d = self.store.settings.default_reader.as_ref();
        let mut v: Vec<&String> = self
            .bound
            .iter()
            .filter(|(_, b)| b.kind == kind)
            .map(|(n, _)| n)
            .collect();
        v.sort_by_key(|n| Some(*n) != d);
        v.first().map(|s| (*s).clone())
    }

    /// Readers holding a card of `kind`, in name order.
    pub(super) fn readers_with(&self, kind: CardKind) -> Vec<String> {
        self.bound
            .iter()
            .filter(|(_, b)| b.kind == kind && self.uses(kind))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Sends an APDU to the card in `reader`; a card that vanished is unbound (and the
    /// modes follow) before the failure is returned.
    pub(super) fn xfer(&mut self, reader: &str, apdu: &[u8]) -> Result<Response, Fail> {
        let b = self
            .bound
            .get_mut(reader)
            .ok_or_else(|| Fail::code(StatusCode::NoCard))?;
        match blocking(|| b.conn.transmit(apdu)) {
            Ok(r) => Ok(Response::from_bytes(&r)),
            Err(e) => {
                let kind = b.kind;
                self.bound.remove(reader);
                self.card_gone(reader, kind);
                Err(transport_fail(e))
            }
        }
    }

    /// The card in `reader`.
    pub(super) fn at(&mut self, reader: &str) -> InReader<'_> {
        InReader {
            dev: self,
            reader: reader.to_string(),
        }
    }

    /// The card of `kind` (1102 when no reader holds one: see [`Device::why_no_card`]).
    pub(super) fn card(&mut self, kind: CardKind) -> Result<InReader<'_>, Fail> {
        let reader = self.reader_for(kind)?;
        Ok(self.at(&reader))
    }

    /// The reader holding a card of `kind` (1102 when none does).
    pub(super) fn reader_for(&self, kind: CardKind) -> Result<String, Fail> {
        self.reader_of(kind)
            .ok_or_else(|| Fail::code(StatusCode::NoCard))
    }

    /// What "no card" (1102) means where the device knows better: 1101 when physical cards
    /// are off (「不使用」 with a cloud SAM), the reader's own failure (1199, 1201, 1202) when
    /// a reader could not be read — the card may be in it. Applied to every operation's
    /// failure, whether the mode rules or a card lookup found no card.
    pub(super) fn why_no_card(&self, f: Fail) -> Fail {
        if f.code != StatusCode::NoCard {
            return f;
        }
        if self.physical_cards_off() {
            return not_in_use();
        }
        match self.reader_error.clone() {
            Some(e) if reader_failure(&e) => transport_fail(e),
            _ => f,
        }
    }

    /// The physical SAM's reader.
    pub(super) fn sam_reader(&self) -> Option<String> {
        match &self.sam {
            Some(SamUse::Physical { reader }) => Some(reader.clone()),
            _ => None,
        }
    }

    /// The physical SAM (4000 when there is none, or it was removed).
    pub(super) fn sam_card(&mut self) -> Result<SamInReader<'_>, Fail> {
        let reader = self
            .sam_reader()
            .ok_or_else(|| Fail::code(StatusCode::SamMode1))?;
        Ok(SamInReader(self.at(&reader)))
    }
}

/// 1101: physical cards are off (「不使用」 with a cloud SAM).
pub(super) fn not_in_use() -> Fail {
    Fail::new(
        StatusCode::NoReaderInUse,
        "no PC/SC reader in use (「不使用」): physical cards are not read with a cloud SAM",
    )
}

/// A failure of the reader itself (1199, 1201, 1202), as opposed to an empty reader or a
/// reader subsystem that is down.
pub(super) fn reader_failure(e: &TransportError) -> bool {
    matches!(
        e,
        TransportError::PortOpen(_) | TransportError::ReaderFailed(_) | TransportError::Other(_)
    )
}

/// The card in one reader, as a [`Link`] for the card clients.
pub(super) struct InReader<'a> {
    dev: &'a mut Device,
    reader: String,
}

impl Link for InReader<'_> {
    fn send(&mut self, apdu: &[u8]) -> Result<Response, Fail> {
        self.dev.xfer(&self.reader, apdu)
    }
}

/// The physical SAM as a [`Link`]: a SAM that is gone is 4000, not 1100.
pub(super) struct SamInReader<'a>(InReader<'a>);

impl Link for SamInReader<'_> {
    fn send(&mut self, apdu: &[u8]) -> Result<Response, Fail> {
        self.0.send(apdu).map_err(|f| {
            if f.code == StatusCode::NoCard {
                Fail::new(StatusCode::SamMode1, "SAM removed")
            } else {
                f
            }
        })
    }
}
