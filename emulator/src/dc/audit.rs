//! The audit table of seed 002's decryption flow (「建立完整的加解密函式使用紀錄，透過這些
//! 紀錄產製各種使用紀錄及表報」) and the monthly report generated from it (附圖四 醫療資訊系統
//! 解密記錄稽核報表: 申請人, 解密需求檔案名稱, 解密檔案筆數, 執行時間, 檔案下載時間, 執行備註
//! (需求單編號)), as JSON, CSV and HTML. Months and times are Taipei's (UTC+8), dates ROC.

use super::staff::{Role, StaffUser};
use super::{DcError, DcResult};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone};
use nhi_protocol::dc::msg::{AuditReport, AuditReportRow};
use nhi_protocol::StatusCode;
use rusqlite::{params, Connection};

/// One audited event: who, in which role, did what, to which request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    actor: &'a str,
    role: Role,
    action: &'static str,
    request_no: Option<&'a str>,
    requester: Option<&'a str>,
    file_name: Option<&'a str>,
    rows: Option<u64>,
}

impl<'a> Event<'a> {
    /// `actor` acting as `role` did `action`.
    pub fn new(actor: &'a StaffUser, role: Role, action: &'static str) -> Event<'a> {
        Event {
            actor: &actor.user,
            role,
            action,
            request_no: None,
            requester: None,
            file_name: None,
            rows: None,
        }
    }

    /// … on a request (its number, its requester as the report shows them, its file).
    pub fn on(mut self, request_no: &'a str, requester: &'a str, file: &'a str) -> Event<'a> {
        self.request_no = Some(request_no);
        self.requester = Some(requester);
        self.file_name = Some(file);
        self
    }

    /// … touching `rows` rows.
    pub fn rows(mut self, rows: u64) -> Event<'a> {
        self.rows = Some(rows);
        self
    }
}

/// Writes an event.
pub fn record(c: &Connection, at: i64, e: &Event<'_>) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO crypto_audit(at, actor, role, action, request_no, requester, file_name, rows)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
        params![
            at,
            e.actor,
            e.role.as_str(),
            e.action,
            e.request_no,
            e.requester,
            e.file_name,
            e.rows
        ],
    )
    .map(drop)
}

fn taipei() -> DcResult<FixedOffset> {
    FixedOffset::east_opt(8 * 3600).ok_or_else(|| DcError::internal("UTC+8 offset"))
}

fn at_taipei(t: i64) -> DcResult<DateTime<FixedOffset>> {
    let tz = taipei()?;
    tz.timestamp_opt(t, 0)
        .single()
        .ok_or_else(|| DcError::internal(format!("time {t} out of range")))
}

/// (year, month) in Taipei of a unix time.
pub fn taipei_year_month(t: i64) -> DcResult<(i32, u32)> {
    let d = at_taipei(t)?;
    Ok((d.year(), d.month()))
}

/// ROC date and time, `115/11/05 14:03`.
pub fn roc_minute(t: i64) -> DcResult<String> {
    let d = at_taipei(t)?;
    Ok(format!(
        "{:03}/{}",
        d.year() - 1911,
        d.format("%m/%d %H:%M")
    ))
}

fn roc_date(d: NaiveDate) -> String {
    format!("{:03}/{}", d.year() - 1911, d.format("%m/%d"))
}

/// `[start, end)` unix seconds of a `YYYY-MM` month in Taipei, and its ROC period text.
pub fn month_range(month: &str) -> DcResult<(i64, i64, String)> {
    let bad = || {
        DcError::new(
            StatusCode::ParamFormat3,
            format!("month {month:?}: YYYY-MM"),
        )
    };
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    if month.len() != 7 {
        return Err(bad());
    }
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(bad)?;
    let last = next.pred_opt().ok_or_else(bad)?;
    let tz = taipei()?;
    let start = |d: NaiveDate| -> DcResult<i64> {
        let dt = d.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
        Ok(tz
            .from_local_datetime(&dt)
            .single()
            .ok_or_else(bad)?
            .timestamp())
    };
    let period = format!("{}~{}", roc_date(first), roc_date(last));
    Ok((start(first)?, start(next)?, period))
}

/// The month's report: one line per decryption run, with the first download of its file.
pub fn report(c: &Connection, month: &str) -> DcResult<AuditReport> {
    let (from, to, period) = month_range(month)?;
    let mut st = c.prepare(
        "SELECT r.at, r.requester, r.file_name, r.rows, r.request_no,
                (SELECT MIN(d.at) FROM crypto_audit d
                  WHERE d.action = 'download' AND d.request_no = r.request_no)
         FROM crypto_audit r
         WHERE r.action = 'decrypt run' AND r.at >= ?1 AND r.at < ?2 ORDER BY r.id",
    )?;
    type Raw = (
        i64,
        Option<String>,
        Option<String>,
        Option<u64>,
        Option<String>,
        Option<i64>,
    );
    let raw = st
        .query_map(params![from, to], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<Vec<Raw>, _>>()?;
    let mut lines = Vec::new();
    for (at, requester, file, rows, no, downloaded) in raw {
        // A run event is written with all of these (decrypt_files.rs); one without is not ours.
        let (Some(requester), Some(file_name), Some(rows), Some(request_no)) =
            (requester, file, rows, no)
        else {
            return Err(DcError::internal(format!(
                "audit: a decryption run at {at} lacks its request fields"
            )));
        };
        lines.push(AuditReportRow {
            requester,
            file_name,
            rows,
            run_at: roc_minute(at)?,
            downloaded_at: downloaded.map(roc_minute).transpose()?,
            request_no,
        });
    }
    Ok(AuditReport {
        month: month.to_string(),
        period,
        lines,
    })
}

/// The report's column titles, the seed's.
pub const COLUMNS: [&str; 6] = [
    "申請人",
    "解密需求檔案名稱",
    "解密檔案筆數",
    "執行時間",
    "檔案下載時間",
    "執行備註(需求單編號)",
];

fn cells(l: &AuditReportRow) -> [String; 6] {
    [
        l.requester.clone(),
        l.file_name.clone(),
        l.rows.to_string(),
        l.run_at.clone(),
        l.downloaded_at
            .clone()
            .unwrap_or_else(|| NOT_DOWNLOADED.to_string()),
        l.request_no.clone(),
    ]
}

/// The download cell of a file not downloaded yet.
pub const NOT_DOWNLOADED: &str = "未下載";

/// The report as CSV: the seed's titles, then one row per line.
pub fn to_csv(r: &AuditReport) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(|e| e.to_string())?;
    for l in &r.lines {
        w.write_record(cells(l)).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// The report as a standalone HTML page (附圖四's layout: title, period, table).
pub fn to_html(r: &AuditReport, made_on: &str) -> String {
    use html_escape::encode_text as esc;
    let head: String = COLUMNS
        .iter()
        .map(|c| format!("<th>{}</th>", esc(c)))
        .collect();
    let body: String = r
        .lines
        .iter()
        .map(|l| {
            let tds: String = cells(l)
                .iter()
                .map(|c| format!("<td>{}</td>", esc(c)))
                .collect();
            format!("<tr>{tds}</tr>\n")
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-Hant\"><head><meta charset=\"utf-8\"><title>醫療資訊系統解密記錄稽核報表 {month}</title></head>\n<body>\n<h1>醫療資訊系統解密記錄稽核報表</h1>\n<p>執行時間：{period}　製表日期：{made}　筆數：{n}</p>\n<table border=\"1\">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n</body></html>\n",
        month = esc(&r.month),
        period = esc(&r.period),
        made = esc(made_on),
        n = r.lines.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_taipei_months_in_roc_dates() {
        let (from, to, period) = month_range("2026-11").unwrap();
        assert_eq!(period, "115/11/01~115/11/30");
        assert_eq!(from, 1_793_491_200 - 8 * 3600);
        assert_eq!(to - from, 30 * 86_400);
        assert_eq!(roc_minute(from).unwrap(), "115/11/01 00:00");
        assert_eq!(taipei_year_month(from - 1).unwrap(), (2026, 10));
        for bad in ["2026-13", "2026-1", "26-11", "2026-11-01", ""] {
            assert!(month_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_and_html_carry_the_seeds_columns() {
        let r = AuditReport {
            month: "2026-11".into(),
            period: "115/11/01~115/11/30".into(),
            lines: vec![AuditReportRow {
                requester: "陳○君 (clerk-chen)".into(),
                file_name: "a<b>.csv".into(),
                rows: 98,
                run_at: "115/11/05 10:00".into(),
                downloaded_at: None,
                request_no: "PB1151100001".into(),
            }],
        };
        let csv = to_csv(&r).unwrap();
        let mut it = csv.lines();
        assert_eq!(it.next().unwrap(), COLUMNS.join(","));
        assert_eq!(
            it.next().unwrap(),
            "陳○君 (clerk-chen),a<b>.csv,98,115/11/05 10:00,未下載,PB1151100001"
        );
        let html = to_html(&r, "115/11/30");
        assert!(html.contains("<td>a&lt;b&gt;.csv</td>") && html.contains("<th>申請人</th>"));
    }
}
