//! Seed 002's decryption of a file (「本局業務承辦人員可申透電子表單經其主管同意後，由加解密
//! 專責窗口提供解密資料」): the requester files the form (附圖三 資料提供需求單: reason and
//! legal basis, file, column, delivery, wanted date), their supervisor approves, the
//! decryption window runs it — one column of a CSV file, IDs in the secure-DES hex of
//! [`super::secure_des`] — and the requester downloads. Each step is done by an
//! authenticated staff user ([`super::staff`]) and written to the audit table
//! ([`super::audit`]). The file and its plaintext are sealed at rest like every field.

use super::audit::{self, Event};
use super::protect::mask_name;
use super::secure_des::SecureDes;
use super::staff::{Role, Staff, StaffUser};
use super::store::next_counter;
use super::{Dc, DcError, DcResult};
use nhi_protocol::dc::msg::{
    AuditReport, DecryptApproved, DecryptFileRequest, DecryptFiled, DecryptRan, DecryptStatus,
    DecryptedFile, Delivery,
};
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection, OptionalExtension};

/// Longest file name accepted.
const MAX_FILE_NAME: usize = 100;

fn refuse(reason: impl Into<String>) -> DcError {
    DcError::new(StatusCode::ParamFormat3, reason)
}

/// The staff user behind a bearer token (1703 without a valid one).
pub fn staff(bearer: Option<&str>) -> DcResult<&'static StaffUser> {
    Staff::test()?.authenticate(bearer)
}

/// A stored form.
struct Form {
    requester: String,
    unit: String,
    supervisor: String,
    reason: String,
    legal_basis: String,
    file_name: String,
    column: u32,
    wanted_date: String,
    approved_by: Option<String>,
    run_by: Option<String>,
    rows: Option<u64>,
    output: Option<Vec<u8>>,
    downloaded: bool,
}

fn form(c: &Connection, request_no: &str) -> DcResult<Form> {
    c.query_row(
        "SELECT requester, unit, supervisor, reason, legal_basis, file_name, column_no, wanted_date,
                approved_by, run_by, rows, output, downloaded_at IS NOT NULL
         FROM decrypt_files WHERE request_no = ?1",
        [request_no],
        |r| {
            Ok(Form {
                requester: r.get(0)?,
                unit: r.get(1)?,
                supervisor: r.get(2)?,
                reason: r.get(3)?,
                legal_basis: r.get(4)?,
                file_name: r.get(5)?,
                column: r.get(6)?,
                wanted_date: r.get(7)?,
                approved_by: r.get(8)?,
                run_by: r.get(9)?,
                rows: r.get(10)?,
                output: r.get(11)?,
                downloaded: r.get(12)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| refuse(format!("no decryption request {request_no}")))
}

/// The CSV's records; every one must have `column` (1-based). Errors name the row.
fn records(csv_text: &str, column: u32) -> DcResult<Vec<csv::StringRecord>> {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut out = Vec::new();
    for (i, r) in rd.records().enumerate() {
        let r = r.map_err(|e| refuse(format!("csv row {}: {e}", i + 1)))?;
        if r.len() < column as usize {
            return Err(refuse(format!(
                "csv row {}: {} column(s), the ID is column {column}",
                i + 1,
                r.len()
            )));
        }
        out.push(r);
    }
    if out.is_empty() {
        return Err(DcError::new(
            StatusCode::ParamFormat1,
            "csv: the file is empty",
        ));
    }
    Ok(out)
}

/// The CSV with `column` decrypted; a cell that is not a secure-DES ID names its row.
fn decrypt_column(des: &SecureDes, csv_text: &str, column: u32) -> DcResult<(String, u64)> {
    let rows = records(csv_text, column)?;
    let idx = column as usize - 1;
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, r) in rows.iter().enumerate() {
        let mut fields: Vec<String> = r.iter().map(str::to_string).collect();
        let plain = des
            .decrypt_hex(fields[idx].trim())
            .map_err(|e| refuse(format!("csv row {}, column {column}: {e}", i + 1)))?;
        fields[idx] = plain;
        w.write_record(&fields)
            .map_err(|e| DcError::internal(e.to_string()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| DcError::internal(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| DcError::internal(e.to_string()))?;
    Ok((text, rows.len() as u64))
}

fn check_form(r: &DecryptFileRequest) -> DcResult<()> {
    for (name, v) in [("reason", &r.reason), ("legalBasis", &r.legal_basis)] {
        if v.trim().is_empty() {
            return Err(DcError::new(
                StatusCode::ParamFormat1,
                format!("{name} is required (需求原因及適用法條)"),
            ));
        }
    }
    let f = &r.file_name;
    if f.is_empty() || f.len() > MAX_FILE_NAME || f.contains(['/', '\\']) || f.starts_with('.') {
        return Err(refuse(format!(
            "fileName {f:?}: a plain file name of 1–{MAX_FILE_NAME} bytes"
        )));
    }
    if r.column == 0 {
        return Err(refuse("column is 1-based (第1欄 is 1)"));
    }
    chrono::NaiveDate::parse_from_str(&r.wanted_date, "%Y-%m-%d")
        .map_err(|e| refuse(format!("wantedDate {:?}: YYYY-MM-DD ({e})", r.wanted_date)))?;
    records(&r.csv, r.column).map(drop)
}

/// 需求編號: `PB`, ROC year, month, number within the month (seed 002: PB101080060).
fn request_no(c: &Connection, now: i64) -> DcResult<String> {
    let (year, month) = audit::taipei_year_month(now)?;
    let prefix = format!("PB{:03}{month:02}", year - 1911);
    let n = next_counter(c, &format!("decrypt {prefix}"))?;
    Ok(format!("{prefix}{n:04}"))
}

fn who(u: &StaffUser) -> String {
    format!("{} ({})", mask_name(&u.name), u.user)
}

/// A form's requester as the audit table and the report show them.
fn requester_shown(no: &str, user: &str) -> DcResult<String> {
    Staff::test()?
        .by_name(user)
        .map(who)
        .ok_or_else(|| DcError::internal(format!("{no}: requester {user} is not staff")))
}

impl Dc {
    /// `Decrypt/Request`: a requester files the form.
    pub fn decrypt_file_request(
        &self,
        u: &StaffUser,
        r: &DecryptFileRequest,
    ) -> DcResult<DecryptFiled> {
        u.must_be(Role::Requester)?;
        check_form(r)?;
        let supervisor = u
            .supervisor
            .clone()
            .ok_or_else(|| DcError::internal(format!("requester {} has no supervisor", u.user)))?;
        let now = self.now();
        let sealed = self
            .internal
            .seal("decrypt input", &r.csv)
            .map_err(DcError::internal)?;
        let mut db = self.db()?;
        let tx = db.transaction()?;
        let no = request_no(&tx, now)?;
        let delivery = match r.delivery {
            Delivery::Download => "download",
        };
        tx.execute(
            "INSERT INTO decrypt_files(request_no, requester, unit, supervisor, reason, legal_basis,
                case_no, file_name, column_no, delivery, wanted_date, input, requested_at)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
            params![
                no, u.user, u.unit, supervisor, r.reason, r.legal_basis, r.case_no, r.file_name,
                r.column, delivery, r.wanted_date, sealed, now
            ],
        )?;
        let me = who(u);
        let ev = Event::new(u, Role::Requester, "request").on(&no, &me, &r.file_name);
        audit::record(&tx, now, &ev)?;
        tx.commit()?;
        Ok(DecryptFiled {
            request_no: no,
            supervisor,
            requested_at: now,
        })
    }

    /// `Decrypt/Approve`: the requester's supervisor, never the requester.
    pub fn decrypt_file_approve(&self, u: &StaffUser, no: &str) -> DcResult<DecryptApproved> {
        u.must_be(Role::Supervisor)?;
        let c = self.db()?;
        let f = form(&c, no)?;
        if f.requester == u.user {
            return Err(refuse(format!(
                "{no}: a requester cannot approve their own request"
            )));
        }
        if f.supervisor != u.user {
            return Err(refuse(format!(
                "{no}: only the requester's supervisor ({}) approves",
                f.supervisor
            )));
        }
        if f.approved_by.is_some() {
            return Err(refuse(format!("{no}: already approved")));
        }
        let now = self.now();
        c.execute(
            "UPDATE decrypt_files SET approved_by = ?2, approved_at = ?3 WHERE request_no = ?1",
            params![no, u.user, now],
        )?;
        let requester = requester_shown(no, &f.requester)?;
        let ev = Event::new(u, Role::Supervisor, "approve").on(no, &requester, &f.file_name);
        audit::record(&c, now, &ev)?;
        Ok(DecryptApproved {
            request_no: no.to_string(),
            approved_by: u.user.clone(),
            approved_at: now,
        })
    }

    /// `Decrypt/Run`: the decryption window decrypts the column of an approved form.
    pub fn decrypt_file_run(&self, u: &StaffUser, no: &str) -> DcResult<DecryptRan> {
        u.must_be(Role::Window)?;
        let c = self.db()?;
        let f = form(&c, no)?;
        if f.approved_by.is_none() {
            return Err(refuse(format!(
                "{no}: not approved by the requester's supervisor"
            )));
        }
        if f.run_by.is_some() {
            return Err(refuse(format!("{no}: already run")));
        }
        let input: Vec<u8> = c.query_row(
            "SELECT input FROM decrypt_files WHERE request_no = ?1",
            [no],
            |r| r.get(0),
        )?;
        let csv_text = self
            .internal
            .open("decrypt input", &input)
            .map_err(DcError::internal)?;
        let des = SecureDes::from_external_key(&self.secrets.field_key_external);
        let (plain, rows) = decrypt_column(&des, &csv_text, f.column)?;
        let sealed = self
            .internal
            .seal("decrypt output", &plain)
            .map_err(DcError::internal)?;
        let now = self.now();
        c.execute(
            "UPDATE decrypt_files SET run_by = ?2, run_at = ?3, rows = ?4, output = ?5 WHERE request_no = ?1",
            params![no, u.user, now, rows, sealed],
        )?;
        let requester = requester_shown(no, &f.requester)?;
        let ev = Event::new(u, Role::Window, "decrypt run")
            .on(no, &requester, &f.file_name)
            .rows(rows);
        audit::record(&c, now, &ev)?;
        Ok(DecryptRan {
            request_no: no.to_string(),
            rows,
            run_at: now,
        })
    }

    /// `Decrypt/Download`: the requester takes the decrypted file (every download audited).
    pub fn decrypt_file_download(&self, u: &StaffUser, no: &str) -> DcResult<DecryptedFile> {
        u.must_be(Role::Requester)?;
        let c = self.db()?;
        let f = form(&c, no)?;
        if f.requester != u.user {
            return Err(refuse(format!(
                "{no}: only its requester downloads the file"
            )));
        }
        let (Some(output), Some(rows)) = (f.output, f.rows) else {
            return Err(refuse(format!(
                "{no}: not run by the decryption window yet"
            )));
        };
        let csv = self
            .internal
            .open("decrypt output", &output)
            .map_err(DcError::internal)?;
        let now = self.now();
        c.execute(
            "UPDATE decrypt_files SET downloaded_at = COALESCE(downloaded_at, ?2) WHERE request_no = ?1",
            params![no, now],
        )?;
        let me = who(u);
        let ev = Event::new(u, Role::Requester, "download")
            .on(no, &me, &f.file_name)
            .rows(rows);
        audit::record(&c, now, &ev)?;
        Ok(DecryptedFile {
            request_no: no.to_string(),
            file_name: f.file_name,
            rows,
            csv,
        })
    }

    /// `Decrypt/AuditReport`: the month's report, for supervisors and the window.
    pub fn decrypt_audit_report(&self, u: &StaffUser, month: &str) -> DcResult<AuditReport> {
        if !(u.roles.contains(&Role::Supervisor) || u.roles.contains(&Role::Window)) {
            return Err(refuse(format!(
                "role refused: {} is neither a supervisor nor the window",
                u.user
            )));
        }
        audit::report(&*self.db()?, month)
    }

    /// `Decrypt/Show`: the form and its state, to its requester, its supervisor or the
    /// window.
    pub fn decrypt_file_show(&self, u: &StaffUser, no: &str) -> DcResult<DecryptStatus> {
        let c = self.db()?;
        let f = form(&c, no)?;
        let allowed =
            f.requester == u.user || f.supervisor == u.user || u.roles.contains(&Role::Window);
        if !allowed {
            return Err(refuse(format!(
                "role refused: {no} is shown to its requester, their supervisor and the window"
            )));
        }
        let state = match (&f.approved_by, &f.run_by, f.downloaded) {
            (_, _, true) => "downloaded",
            (_, Some(_), false) => "run",
            (Some(_), None, false) => "approved",
            (None, None, false) => "requested",
        };
        Ok(DecryptStatus {
            request_no: no.to_string(),
            requester: f.requester,
            unit: f.unit,
            supervisor: f.supervisor,
            reason: f.reason,
            legal_basis: f.legal_basis,
            file_name: f.file_name,
            column: f.column,
            delivery: Delivery::Download,
            wanted_date: f.wanted_date,
            state: state.to_string(),
            approved_by: f.approved_by,
            run_by: f.run_by,
            rows: f.rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_column_is_decrypted_the_rest_kept() {
        let des = SecureDes::from_external_key(&[3; 32]);
        let a = des.encrypt_hex("A123456789").unwrap();
        let b = des.encrypt_hex("B223456780").unwrap();
        let text = format!("1,{a},\"x, y\"\n2,{b},z\n");
        let (out, rows) = decrypt_column(&des, &text, 2).unwrap();
        assert_eq!(rows, 2);
        assert_eq!(out, "1,A123456789,\"x, y\"\n2,B223456780,z\n");
        let e = decrypt_column(&des, &format!("1,{a}\n2,nothex\n"), 2).unwrap_err();
        assert!(e.reason.contains("csv row 2, column 2"), "{e}");
        let e = decrypt_column(&des, "1\n", 2).unwrap_err();
        assert!(e.reason.contains("csv row 1"), "{e}");
        assert_eq!(
            decrypt_column(&des, "", 1).unwrap_err().code,
            StatusCode::ParamFormat1
        );
    }
}
