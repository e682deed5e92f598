//! The executable mode model of seed 004 ("可執行狀態").
//!
//! The control software tracks whether it is initialised and three modes:
//! SAM 0 absent / 1 present / 2 verified with the DC; HPC 0 absent / 1 present /
//! 2 verified / 3 PIN verified (mobile HCA goes straight 0 → 3); HC 0 absent /
//! 1 present / 2 verified / 3 verified together with the HPC.
//!
//! [`TABLE`] is the seed's per-function table; [`precheck`] says which automatic steps an
//! implementation must try before an operation (or which status code it must return), and
//! [`transition`] is the pure `(state, operation, outcome) -> state` function.

use crate::StatusCode;
use serde::{Deserialize, Serialize};

/// Which SAM is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SamKind {
    /// A SAM card in a reader; never verified automatically (failures lock it).
    Physical,
    /// A cloud SAM file; verified automatically when an operation needs mode 2.
    Cloud,
}

/// Which kind of HC the current HC mode refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HcKind {
    /// A card in a reader.
    Physical,
    /// A QR token.
    Virtual,
}

/// Which kind of health-professional credential the HPC mode refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HpcKind {
    /// An HPC in a reader.
    Card,
    /// A mobile HCA session.
    Mobile,
}

/// The device state of the control software.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Initialised (Initial called, Finalize not yet).
    pub initialized: bool,
    /// SAM mode 0/1/2.
    pub sam: u8,
    /// SAM kind when one is loaded.
    pub sam_kind: Option<SamKind>,
    /// HPC mode 0..3.
    pub hpc: u8,
    /// HPC kind when mode > 0.
    pub hpc_kind: Option<HpcKind>,
    /// HC mode 0..3.
    pub hc: u8,
    /// HC kind when mode > 0.
    pub hc_kind: Option<HcKind>,
    /// A physical HPC is in a reader.
    pub hpc_present: bool,
    /// A physical HC is in a reader.
    pub hc_present: bool,
}

/// Every function of seed 004 plus the card events that change modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Operation {
    /// 連接裝置 Initial.
    Initial,
    /// 中斷裝置 Finalize.
    Finalize,
    /// 取得版本編號.
    Version,
    /// 取得讀卡機時間.
    ReaderTime,
    /// 驗證安全模組 (1 → 2).
    SamVerify,
    /// SAM 登出 (2 → 1, cascades).
    SamLogout,
    /// SAM 讀取基本資料 (needs 1).
    SamBasic,
    /// 安全模組簽章 (needs 2).
    SamSignature,
    /// 醫事人員卡驗證 PIN 碼 (HPC 2 → 3).
    HpcVerifyPin,
    /// HPC 登出 (3 → 2).
    HpcLogout,
    /// 驗證醫事人員行動憑證 (0 → 3).
    MobileHcaVerify,
    /// 行動憑證登出 (3 → 0).
    MobileHcaLogout,
    /// HPC 讀取基本資料 (needs 3).
    HpcBasic,
    /// 醫事人員簽章 (needs 3).
    HpcSignature,
    /// 設定 PIN 碼 (needs 3).
    HpcSetPin,
    /// 重設 PIN 碼 with PUK (needs HPC 2).
    HpcResetPin,
    /// 驗證虛擬健保卡 (HC 0 → 2).
    HcVirtualVerify,
    /// 健保卡登出 (→ 0).
    HcLogout,
    /// 健保卡讀取基本資料 (needs 2).
    HcBasic,
    /// 健保卡簽章 (needs 2).
    HcSignature,
    /// 三卡簽章 (HPC 3, HC 2 → 3).
    HpcHcSignature,
    /// HC PIN 重新整理 (is a PIN set; needs 2).
    HcPinStatus,
    /// HC 驗證 PIN (needs 2).
    HcPinVerify,
    /// HC 設定 PIN (needs 2, PIN verified if one is set).
    HcPinSet,
    /// HC 清除 PIN (needs 2, PIN verified if one is set).
    HcPinClear,
    /// 讀取虛擬健保卡基本資料 (needs SAM 2; HC unchanged).
    HcVirtualReadBasic,
    /// 轉移虛擬健保卡 匯出 (2 → 0).
    HcTransferExport,
    /// 轉移虛擬健保卡 匯入 (0 → 2).
    HcTransferImport,
    /// 實體健保卡更新註記 (2 → 0).
    HcMarkerUpdate,
    /// Event: a physical HC is inserted.
    InsertHc,
    /// Event: the physical HC is removed.
    RemoveHc,
    /// Event: a physical HPC is inserted.
    InsertHpc,
    /// Event: the physical HPC is removed.
    RemoveHpc,
}

/// A column of the seed's table for one card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// No requirement, no change.
    Any,
    /// Needs at least this mode (the implementation tries to reach it); no change.
    AtLeast(u8),
    /// Needs `from` (tries to reach it); success moves to `to`.
    Move(u8, u8),
    /// From any mode; success moves to `to`.
    To(u8),
}

/// One row of the seed's table: needs init?, SAM, HPC, HC columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The function.
    pub op: Operation,
    /// Must be initialised (`Some(true)`), must not be (`Some(false)`), or either (`None`).
    pub init: Option<bool>,
    /// SAM column.
    pub sam: Cell,
    /// HPC (HCA) column.
    pub hpc: Cell,
    /// HC column.
    pub hc: Cell,
}

use Cell::{Any, AtLeast, Move, To};
use Operation as Op;

const fn row(op: Operation, init: Option<bool>, sam: Cell, hpc: Cell, hc: Cell) -> Row {
    Row {
        op,
        init,
        sam,
        hpc,
        hc,
    }
}

/// The seed's table ("功能項目 | 初始化 | SAM | HCA | HC"), one row per function.
pub const TABLE: &[Row] = &[
    row(Op::Initial, Some(false), Any, Any, Any),
    row(Op::Finalize, Some(true), Any, Any, Any),
    row(Op::Version, None, Any, Any, Any),
    row(Op::ReaderTime, Some(true), Any, Any, Any),
    row(Op::SamVerify, Some(true), Move(1, 2), Any, Any),
    row(Op::SamLogout, Some(true), Move(2, 1), Any, Any),
    row(Op::SamBasic, Some(true), AtLeast(1), Any, Any),
    row(Op::SamSignature, Some(true), AtLeast(2), Any, Any),
    row(Op::HpcVerifyPin, Some(true), AtLeast(2), Move(2, 3), Any),
    row(Op::HpcLogout, Some(true), AtLeast(2), Move(3, 2), Any),
    row(Op::MobileHcaVerify, Some(true), AtLeast(2), Move(0, 3), Any),
    row(Op::MobileHcaLogout, Some(true), AtLeast(2), Move(3, 0), Any),
    row(Op::HpcBasic, Some(true), AtLeast(2), AtLeast(3), Any),
    row(Op::HpcSignature, Some(true), AtLeast(2), AtLeast(3), Any),
    row(Op::HpcSetPin, Some(true), AtLeast(2), AtLeast(3), Any),
    row(Op::HpcResetPin, Some(true), AtLeast(2), AtLeast(2), Any),
    row(Op::HcVirtualVerify, Some(true), AtLeast(2), Any, Move(0, 2)),
    row(Op::HcLogout, Some(true), AtLeast(2), Any, To(0)),
    row(Op::HcBasic, Some(true), AtLeast(2), Any, AtLeast(2)),
    row(Op::HcSignature, Some(true), AtLeast(2), Any, AtLeast(2)),
    row(
        Op::HpcHcSignature,
        Some(true),
        AtLeast(2),
        AtLeast(3),
        Move(2, 3),
    ),
    row(Op::HcPinStatus, Some(true), AtLeast(2), Any, AtLeast(2)),
    row(Op::HcPinVerify, Some(true), AtLeast(2), Any, AtLeast(2)),
    row(Op::HcPinSet, Some(true), AtLeast(2), Any, AtLeast(2)),
    row(Op::HcPinClear, Some(true), AtLeast(2), Any, AtLeast(2)),
    row(Op::HcVirtualReadBasic, Some(true), AtLeast(2), Any, Any),
    row(
        Op::HcTransferExport,
        Some(true),
        AtLeast(2),
        Any,
        Move(2, 0),
    ),
    row(
        Op::HcTransferImport,
        Some(true),
        AtLeast(2),
        Any,
        Move(0, 2),
    ),
    row(Op::HcMarkerUpdate, Some(true), AtLeast(2), Any, Move(2, 0)),
];

/// The table row of an operation (None for card events).
pub fn row_of(op: Operation) -> Option<&'static Row> {
    TABLE.iter().find(|r| r.op == op)
}

/// An automatic step an implementation must try before the operation itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AutoStep {
    /// Verify the cloud SAM with the DC (1 → 2); on failure 1301 (or the DC's code).
    CloudSamVerify,
    /// Authenticate the inserted HPC with the SAM (1 → 2); on failure 1401.
    HpcAuthenticate,
    /// Authenticate the inserted physical HC with the SAM (1 → 2); on failure 1501.
    HcAuthenticate,
}

/// What an operation needs from the current state: the automatic steps to try, in order,
/// or the status code the implementation must answer without touching any card.
pub fn precheck(s: &State, op: Operation) -> Result<Vec<AutoStep>, StatusCode> {
    let Some(r) = row_of(op) else {
        return Ok(Vec::new());
    };
    match (r.init, s.initialized) {
        (Some(true), false) => return Err(StatusCode::NotInitialized),
        (Some(false), true) => return Err(StatusCode::AlreadyInitialized),
        _ => {}
    }
    let mut steps = Vec::new();
    // SAM column.
    let sam_need = match r.sam {
        AtLeast(m) | Move(m, _) => Some(m),
        _ => None,
    };
    if let Some(need) = sam_need {
        if s.sam == 0 {
            return Err(StatusCode::SamMode1);
        }
        if need == 2 && s.sam < 2 && !matches!(r.sam, Move(1, 2)) {
            match s.sam_kind {
                Some(SamKind::Cloud) => steps.push(AutoStep::CloudSamVerify),
                _ => return Err(StatusCode::SamMode2),
            }
        }
        if let Move(from, _) = r.sam {
            if s.sam != from && !(from == 1 && s.sam >= 1) {
                return Err(if from == 2 {
                    StatusCode::SamMode2
                } else {
                    StatusCode::SamMode1
                });
            }
        }
    }
    // HPC column.
    match r.hpc {
        AtLeast(3) | Move(3, _) => {
            if s.hpc == 0 {
                return Err(StatusCode::NoCard);
            }
            if s.hpc < 3 {
                return Err(StatusCode::HpcMode3);
            }
        }
        AtLeast(2) | Move(2, _) => {
            if s.hpc == 0 || !s.hpc_present && s.hpc_kind != Some(HpcKind::Card) {
                return Err(StatusCode::NoCard);
            }
            if s.hpc_kind == Some(HpcKind::Mobile) {
                return Err(StatusCode::HpcUnsupported);
            }
            if s.hpc == 1 {
                steps.push(AutoStep::HpcAuthenticate);
            }
        }
        Move(0, _) if s.hpc_kind == Some(HpcKind::Card) && s.hpc >= 2 => {
            return Err(StatusCode::HpcMode1);
        }
        _ => {}
    }
    // HC column.
    match r.hc {
        AtLeast(2) | Move(2, _) => {
            if s.hc == 0 {
                return Err(StatusCode::NoCard);
            }
            if s.hc == 1 {
                steps.push(AutoStep::HcAuthenticate);
            }
        }
        Move(0, _) if s.hc >= 1 => {
            // Deviation, documented: seed 004's row for 驗證虛擬健保卡 (and 匯入) reads
            // "0 → 2", yet the seed has no status code for "an HC is already in use", so a
            // literal reading cannot refuse the call. We accept it from HC modes 1–3 too:
            // the virtual card replaces the current HC session (scenario hc/mixing).
        }
        _ => {}
    }
    Ok(steps)
}

/// The physical SAM left its reader: SAM, HPC and HC modes drop to 0; initialisation,
/// card presence and the SAM kind stay.
pub fn sam_removed(s: &State) -> State {
    State {
        initialized: s.initialized,
        hpc_present: s.hpc_present,
        hc_present: s.hc_present,
        sam_kind: s.sam_kind,
        ..State::default()
    }
}

/// Applies an automatic step's success to the state.
pub fn apply_step(s: &State, step: AutoStep) -> State {
    let mut n = *s;
    match step {
        AutoStep::CloudSamVerify => n.sam = 2,
        AutoStep::HpcAuthenticate => n.hpc = 2,
        AutoStep::HcAuthenticate => n.hc = 2,
    }
    n
}

/// The outcome of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// `0000`.
    Success,
    /// Any other status code.
    Failure(StatusCode),
}

fn idle_hpc(n: &mut State) {
    n.hpc = u8::from(n.hpc_present);
    n.hpc_kind = n.hpc_present.then_some(HpcKind::Card);
}

fn idle_hc(n: &mut State) {
    n.hc = u8::from(n.hc_present);
    n.hc_kind = n.hc_present.then_some(HcKind::Physical);
}

/// The pure transition `(state, operation, outcome) -> state`.
///
/// `kind` fills in what kind of SAM/HC/HPC an operation brought in where the operation
/// itself does not say (Initial: which SAM was found).
pub fn transition(s: &State, op: Operation, outcome: Outcome, sam_kind: Option<SamKind>) -> State {
    let mut n = *s;
    // Card events happen whatever the outcome.
    match op {
        Op::InsertHc => {
            n.hc_present = true;
            if n.initialized && n.hc == 0 {
                n.hc = 1;
                n.hc_kind = Some(HcKind::Physical);
            }
            return n;
        }
        Op::RemoveHc => {
            n.hc_present = false;
            if n.hc_kind == Some(HcKind::Physical) {
                n.hc = 0;
                n.hc_kind = None;
            }
            return n;
        }
        Op::InsertHpc => {
            n.hpc_present = true;
            if n.initialized && n.hpc == 0 {
                n.hpc = 1;
                n.hpc_kind = Some(HpcKind::Card);
            }
            return n;
        }
        Op::RemoveHpc => {
            n.hpc_present = false;
            if n.hpc_kind == Some(HpcKind::Card) {
                n.hpc = 0;
                n.hpc_kind = None;
            }
            return n;
        }
        _ => {}
    }
    if outcome != Outcome::Success {
        return n;
    }
    match op {
        Op::Initial => {
            n.initialized = true;
            n.sam = 1;
            n.sam_kind = sam_kind;
            idle_hpc(&mut n);
            idle_hc(&mut n);
        }
        Op::Finalize => {
            n = State {
                hpc_present: s.hpc_present,
                hc_present: s.hc_present,
                ..State::default()
            };
        }
        Op::SamVerify => n.sam = 2,
        Op::SamLogout => {
            n.sam = 1;
            idle_hpc(&mut n);
            idle_hc(&mut n);
        }
        Op::HpcVerifyPin => {
            n.hpc = 3;
            n.hpc_kind = Some(HpcKind::Card);
        }
        Op::HpcLogout => n.hpc = 2,
        Op::MobileHcaVerify => {
            n.hpc = 3;
            n.hpc_kind = Some(HpcKind::Mobile);
        }
        Op::MobileHcaLogout => idle_hpc(&mut n),
        Op::HcVirtualVerify | Op::HcTransferImport => {
            n.hc = 2;
            n.hc_kind = Some(HcKind::Virtual);
        }
        Op::HcLogout | Op::HcTransferExport | Op::HcMarkerUpdate => {
            n.hc = 0;
            n.hc_kind = None;
            if op == Op::HcLogout && s.hc_kind == Some(HcKind::Physical) && s.hc_present {
                // Deviation, documented: seed 004 says 「「登出」按鈕可將健保卡狀態回到模式
                // 未置入(0)」 in its virtual-card section; it is silent about a physical
                // card still in the reader. Mode 0 is 未置入 (not inserted), and this card
                // is inserted: it goes back to 1 (present, not verified), so the next call
                // authenticates it again without re-insertion (scenario hc/physical).
                idle_hc(&mut n);
            }
        }
        Op::HpcHcSignature => n.hc = 3,
        _ => {}
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(sam_kind: SamKind) -> State {
        let s = State::default();
        let s = transition(&s, Op::InsertHc, Outcome::Success, None);
        let s = transition(&s, Op::InsertHpc, Outcome::Success, None);
        transition(&s, Op::Initial, Outcome::Success, Some(sam_kind))
    }

    /// The seed's table, cell by cell (init, SAM, HCA, HC), for the rows seed 004 prints.
    /// SamSignature, HpcSignature and HpcHcSignature are not printed (the seed cuts their
    /// tables off after the header row): their cells are our inference, pinned here too.
    #[test]
    fn table_matches_seed_004() {
        let expect: &[(Operation, &str)] = &[
            (Op::SamVerify, "init|1→2||"),
            (Op::SamLogout, "init|2→1||"),
            (Op::SamBasic, "init|1||"),
            (Op::SamSignature, "init|2||"),
            (Op::HpcVerifyPin, "init|2|2→3|"),
            (Op::HpcLogout, "init|2|3→2|"),
            (Op::MobileHcaVerify, "init|2|0→3|"),
            (Op::MobileHcaLogout, "init|2|3→0|"),
            (Op::HpcBasic, "init|2|3|"),
            (Op::HpcSignature, "init|2|3|"),
            (Op::HpcSetPin, "init|2|3|"),
            (Op::HcVirtualVerify, "init|2||0→2"),
            (Op::HcBasic, "init|2||2"),
            (Op::HcSignature, "init|2||2"),
            (Op::HpcHcSignature, "init|2|3|2→3"),
            (Op::HcPinVerify, "init|2||2"),
            (Op::HcVirtualReadBasic, "init|2||"),
            (Op::HcTransferExport, "init|2||2→0"),
            (Op::HcTransferImport, "init|2||0→2"),
            (Op::HcMarkerUpdate, "init|2||2→0"),
        ];
        let cell = |c: Cell| match c {
            Any => String::new(),
            AtLeast(m) => m.to_string(),
            Move(a, b) => format!("{a}→{b}"),
            To(b) => format!("→{b}"),
        };
        for (op, want) in expect {
            let r = row_of(*op).unwrap();
            let init = if r.init == Some(true) { "init" } else { "" };
            let got = format!("{init}|{}|{}|{}", cell(r.sam), cell(r.hpc), cell(r.hc));
            assert_eq!(&got, want, "{op:?}");
        }
        // Every function appears once.
        let mut ops: Vec<_> = TABLE.iter().map(|r| r.op).collect();
        ops.sort();
        ops.dedup();
        assert_eq!(ops.len(), TABLE.len());
    }

    #[test]
    fn init_rules() {
        let s = State::default();
        assert_eq!(precheck(&s, Op::SamVerify), Err(StatusCode::NotInitialized));
        assert_eq!(precheck(&s, Op::Version), Ok(vec![]));
        let s = ready(SamKind::Physical);
        assert_eq!(
            precheck(&s, Op::Initial),
            Err(StatusCode::AlreadyInitialized)
        );
        assert_eq!((s.sam, s.hpc, s.hc), (1, 1, 1));
        let f = transition(&s, Op::Finalize, Outcome::Success, None);
        assert!(!f.initialized && f.sam == 0 && f.hc_present);
    }

    #[test]
    fn physical_sam_is_never_auto_verified_cloud_is() {
        let s = ready(SamKind::Physical);
        assert_eq!(precheck(&s, Op::SamSignature), Err(StatusCode::SamMode2));
        assert_eq!(precheck(&s, Op::SamVerify), Ok(vec![]));
        let c = ready(SamKind::Cloud);
        assert_eq!(
            precheck(&c, Op::SamSignature),
            Ok(vec![AutoStep::CloudSamVerify])
        );
        assert_eq!(
            precheck(&c, Op::HcBasic),
            Ok(vec![AutoStep::CloudSamVerify, AutoStep::HcAuthenticate])
        );
    }

    #[test]
    fn hpc_flow_and_sam_logout_cascade() {
        let s = ready(SamKind::Physical);
        let s = transition(&s, Op::SamVerify, Outcome::Success, None);
        assert_eq!(
            precheck(&s, Op::HpcVerifyPin),
            Ok(vec![AutoStep::HpcAuthenticate])
        );
        assert_eq!(precheck(&s, Op::HpcSignature), Err(StatusCode::HpcMode3));
        let s = transition(
            &s,
            Op::HpcVerifyPin,
            Outcome::Failure(StatusCode::HpcPinFailed),
            None,
        );
        assert_eq!(s.hpc, 1);
        let s = apply_step(&s, AutoStep::HpcAuthenticate);
        let s = transition(&s, Op::HpcVerifyPin, Outcome::Success, None);
        assert_eq!(s.hpc, 3);
        let s = apply_step(&s, AutoStep::HcAuthenticate);
        let s = transition(&s, Op::HpcHcSignature, Outcome::Success, None);
        assert_eq!(s.hc, 3);
        let s = transition(&s, Op::SamLogout, Outcome::Success, None);
        assert_eq!((s.sam, s.hpc, s.hc), (1, 1, 1));
    }

    #[test]
    fn virtual_card_flow() {
        let mut s = ready(SamKind::Cloud);
        s = transition(&s, Op::RemoveHc, Outcome::Success, None);
        assert_eq!(s.hc, 0);
        assert_eq!(precheck(&s, Op::HcBasic), Err(StatusCode::NoCard));
        s.sam = 2;
        s = transition(&s, Op::HcVirtualVerify, Outcome::Success, None);
        assert_eq!((s.hc, s.hc_kind), (2, Some(HcKind::Virtual)));
        s = transition(&s, Op::HcTransferExport, Outcome::Success, None);
        assert_eq!(s.hc, 0);
        s = transition(&s, Op::HcTransferImport, Outcome::Success, None);
        assert_eq!(s.hc, 2);
        s = transition(&s, Op::HcLogout, Outcome::Success, None);
        assert_eq!((s.hc, s.hc_kind), (0, None));
    }

    #[test]
    fn mobile_hca() {
        let mut s = ready(SamKind::Cloud);
        s = transition(&s, Op::RemoveHpc, Outcome::Success, None);
        s.sam = 2;
        assert_eq!(precheck(&s, Op::MobileHcaVerify), Ok(vec![]));
        s = transition(&s, Op::MobileHcaVerify, Outcome::Success, None);
        assert_eq!((s.hpc, s.hpc_kind), (3, Some(HpcKind::Mobile)));
        assert_eq!(precheck(&s, Op::HpcResetPin), Err(StatusCode::NoCard));
        s = transition(&s, Op::MobileHcaLogout, Outcome::Success, None);
        assert_eq!(s.hpc, 0);
    }
}
