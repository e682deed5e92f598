//! Seed 002's decryption of a file through authenticated roles (附圖三 資料提供需求單):
//! the requester files the form, the requester's supervisor approves, the decryption window
//! (加解密專責窗口) runs it, the requester downloads; audited and reported monthly (附圖四).
//! Every call carries `Authorization: Bearer <staff token>`. protocol/docs/DC.md,
//! "Decryption of files".

use serde::{Deserialize, Serialize};

/// `Decrypt/Request`: the form (資料提供需求單) for one CSV file with one encrypted ID
/// column (IDs in the secure-DES hex of `Admin/ExternalIdDes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptFileRequest {
    /// 需求原因: why the plaintext is needed (non-blank).
    pub reason: String,
    /// 適用法條: the legal basis (non-blank).
    pub legal_basis: String,
    /// 案件編號, when the request serves a case.
    #[serde(default)]
    pub case_no: Option<String>,
    /// 解密需求檔案名稱: the file's name (a plain file name, ≤ 100 bytes).
    pub file_name: String,
    /// The file, CSV text (資料條件: 檔案以,為分隔符號), no header row.
    pub csv: String,
    /// 資料欄位: the 1-based column holding the encrypted ID (「第2欄ID欄位解密」 is 2).
    pub column: u32,
    /// 提供方式: how the data is handed out.
    pub delivery: Delivery,
    /// 希望完成日: the wanted date, `YYYY-MM-DD`.
    pub wanted_date: String,
}

/// 提供方式: how the decryption window hands out the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Delivery {
    /// 電子表單通知下載: the requester downloads it (`Decrypt/Download`).
    Download,
}

/// `Decrypt/Request` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptFiled {
    /// 需求編號: `PB` + ROC year (3) + month (2) + number in the month (4), e.g.
    /// `PB1151100001`.
    pub request_no: String,
    /// The supervisor who must approve (通知主管).
    pub supervisor: String,
    /// 申請日期, unix seconds.
    pub requested_at: i64,
}

/// `Decrypt/Approve`, `Decrypt/Run`, `Decrypt/Download`, `Decrypt/Show`: one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptRequestNo {
    /// 需求編號.
    pub request_no: String,
}

/// `Decrypt/Approve` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptApproved {
    /// 需求編號.
    pub request_no: String,
    /// Who approved.
    pub approved_by: String,
    /// Unix seconds.
    pub approved_at: i64,
}

/// `Decrypt/Run` reply (承辦人處理資訊).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptRan {
    /// 需求編號.
    pub request_no: String,
    /// 資料筆數: rows decrypted.
    pub rows: u64,
    /// 完成日期, unix seconds.
    pub run_at: i64,
}

/// `Decrypt/Download` reply: the file with the column in plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptedFile {
    /// 需求編號.
    pub request_no: String,
    /// The file's name as requested.
    pub file_name: String,
    /// Rows.
    pub rows: u64,
    /// The CSV with the column decrypted.
    pub csv: String,
}

/// `Decrypt/Show` reply: the form and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptStatus {
    /// 需求編號.
    pub request_no: String,
    /// 申請人員.
    pub requester: String,
    /// 申請單位.
    pub unit: String,
    /// 通知主管.
    pub supervisor: String,
    /// 需求原因.
    pub reason: String,
    /// 適用法條.
    pub legal_basis: String,
    /// 解密需求檔案名稱.
    pub file_name: String,
    /// 資料欄位 (1-based).
    pub column: u32,
    /// 提供方式.
    pub delivery: Delivery,
    /// 希望完成日.
    pub wanted_date: String,
    /// `requested`, `approved`, `run` or `downloaded`.
    pub state: String,
    /// Who approved, when approved.
    pub approved_by: Option<String>,
    /// Who ran it (the window), when run.
    pub run_by: Option<String>,
    /// 資料筆數, when run.
    pub rows: Option<u64>,
}

/// `Decrypt/AuditReport` request: one calendar month (Taipei time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReportRequest {
    /// `YYYY-MM`.
    pub month: String,
}

/// One line of the monthly decryption audit report (附圖四 解密記錄稽核報表).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReportRow {
    /// 申請人: the requester's name, masked (seed 002's rule), and user id.
    pub requester: String,
    /// 解密需求檔案名稱.
    pub file_name: String,
    /// 解密檔案筆數.
    pub rows: u64,
    /// 執行時間: ROC date and time (Taipei) of the run.
    pub run_at: String,
    /// 檔案下載時間: of the first download; None while not downloaded.
    pub downloaded_at: Option<String>,
    /// 執行備註(需求單編號).
    pub request_no: String,
}

/// `Decrypt/AuditReport` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// `YYYY-MM`.
    pub month: String,
    /// 執行時間 range, ROC dates (`115/11/01~115/11/30`).
    pub period: String,
    /// One line per run in the month, in run order.
    pub lines: Vec<AuditReportRow>,
}
