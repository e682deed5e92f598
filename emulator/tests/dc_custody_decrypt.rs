//! Seed 002's file decryption through authenticated staff roles over HTTP: the form, the
//! supervisor's approval, the decryption window's run, the requester's download; every
//! refusal; the audit table and the monthly report (endpoint and `nhi-emu dc audit-report`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_emulator::clock::{VirtualClock, PILOT_EPOCH};
use nhi_emulator::dc::{self, DcConfig};
use nhi_emulator::fixtures::Fixtures;
use nhi_protocol::dc::path;
use nhi_protocol::StatusCode::{self, *};
use serde_json::{json, Value};

const CLERK_CHEN: &str = "TEST-staff-clerk-chen-3b1f0c2a";
const CLERK_WU: &str = "TEST-staff-clerk-wu-9d4e61b7";
const CHIEF_LIN: &str = "TEST-staff-chief-lin-52c8a0e3";
const CHIEF_HUANG: &str = "TEST-staff-chief-huang-e7a2d915";
const WINDOW_LEE: &str = "TEST-staff-window-lee-a91e3f20";

struct T {
    http: reqwest::Client,
    base: String,
    _run: dc::Running,
    dir: std::path::PathBuf,
}

impl T {
    async fn new() -> T {
        let dir = std::env::temp_dir().join(format!("nhi-dc-decrypt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let l = dc::Launch {
            listen: ([127, 0, 0, 1], 0).into(),
            db: dir.join("dc.db"),
            tls: false,
            seed: 1,
        };
        let clock = VirtualClock::at(PILOT_EPOCH);
        let run = dc::launch(&l, &Fixtures::demo().unwrap(), clock, DcConfig::default())
            .await
            .unwrap();
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        T {
            http: reqwest::Client::new(),
            base: run.server.url(),
            _run: run,
            dir,
        }
    }

    /// POSTs as `token` (None: no Authorization header) and asserts the status code.
    async fn call(&self, token: Option<&str>, p: &str, body: Value, want: StatusCode) -> Value {
        let mut rq = self.http.post(format!("{}{p}", self.base)).json(&body);
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        let v: Value = rq.send().await.unwrap().json().await.unwrap();
        assert_eq!(v["statusCode"], want.code(), "{p} {body}: {v}");
        v
    }

    /// POSTs `body` as `token` and asserts the staff step is refused (`ParamFormat3`), its
    /// message naming `detail` where one is given.
    async fn refused(&self, token: &str, p: &str, body: &Value, detail: Option<&str>) -> Value {
        let v = self.call(Some(token), p, body.clone(), ParamFormat3).await;
        if let Some(d) = detail {
            says(&v, d);
        }
        v
    }

    async fn des(&self, card: &str) -> String {
        let body = json!({ "cardId": card, "requester": "clerk-chen" });
        let v = self
            .call(None, path::ADMIN_EXTERNAL_ID_DES, body, Success)
            .await;
        v["idNoDes"].as_str().unwrap().to_string()
    }
}

/// Asserts that a reply's message names `detail`.
fn says(v: &Value, detail: &str) {
    assert!(v["message"].as_str().unwrap().contains(detail), "{v}");
}

fn form(csv: &str) -> Value {
    json!({
        "reason": "為提供執行醫療查核業務,申請檔案批次解密處理",
        "legalBasis": "全民健康保險法第 80 條",
        "caseNo": "C-115-0042",
        "fileName": "sel_hp_c001_10011.txt",
        "csv": csv,
        "column": 2,
        "delivery": "download",
        "wantedDate": "2026-11-09"
    })
}

#[tokio::test]
async fn decryption_goes_requester_supervisor_window_and_is_audited() {
    let t = T::new().await;
    let (a, b) = (t.des("900000000001").await, t.des("900000000711").await);
    let csv = format!("1,{a},門診\n2,{b},\"住診, 急診\"\n3,{a},門診\n");

    // Authentication, role, form refusals.
    for token in [None, Some("TEST-staff-nobody-000000")] {
        t.call(token, path::DECRYPT_REQUEST, form(&csv), DcSession)
            .await;
    }
    let role = Some("role refused");
    t.refused(WINDOW_LEE, path::DECRYPT_REQUEST, &form(&csv), role)
        .await;
    for (field, value, want, detail) in [
        ("legalBasis", json!(" "), ParamFormat1, None),
        ("wantedDate", json!("2026/11/09"), ParamFormat3, None),
        ("csv", json!("1\n"), ParamFormat3, Some("csv row 1")),
        ("fileName", json!("../etc/passwd"), ParamFormat3, None),
    ] {
        let mut f = form(&csv);
        f[field] = value;
        let v = t
            .call(Some(CLERK_CHEN), path::DECRYPT_REQUEST, f, want)
            .await;
        if let Some(d) = detail {
            says(&v, d);
        }
    }

    // Filed: PB + ROC year + month + number.
    let filed = t
        .call(Some(CLERK_CHEN), path::DECRYPT_REQUEST, form(&csv), Success)
        .await;
    let no = filed["requestNo"].as_str().unwrap().to_string();
    let at = filed["requestedAt"].as_i64().unwrap();
    let (y, m) = dc::audit::taipei_year_month(at).unwrap();
    assert_eq!(&no, &format!("PB{:03}{m:02}0001", y - 1911));
    assert_eq!(filed["supervisor"], "chief-lin");
    let req = json!({ "requestNo": no });

    // Unapproved cannot run; nothing to download; only clerk-chen's supervisor approves.
    for (token, p, detail) in [
        (WINDOW_LEE, path::DECRYPT_RUN, Some("not approved")),
        (CLERK_CHEN, path::DECRYPT_DOWNLOAD, None),
        (CHIEF_HUANG, path::DECRYPT_APPROVE, Some("chief-lin")),
        (CLERK_CHEN, path::DECRYPT_APPROVE, role),
    ] {
        t.refused(token, p, &req, detail).await;
    }
    // A supervisor's own request: not approvable by themselves.
    let own = t
        .call(Some(CHIEF_LIN), path::DECRYPT_REQUEST, form(&csv), Success)
        .await;
    let own_req = json!({ "requestNo": own["requestNo"] });
    let own_detail = Some("own request");
    t.refused(CHIEF_LIN, path::DECRYPT_APPROVE, &own_req, own_detail)
        .await;

    // Approved once; the supervisor does not run it, the window runs it once.
    t.call(Some(CHIEF_LIN), path::DECRYPT_APPROVE, req.clone(), Success)
        .await;
    t.refused(CHIEF_LIN, path::DECRYPT_APPROVE, &req, None)
        .await;
    t.refused(CHIEF_LIN, path::DECRYPT_RUN, &req, role).await;
    let ran = t
        .call(Some(WINDOW_LEE), path::DECRYPT_RUN, req.clone(), Success)
        .await;
    assert_eq!(ran["rows"], 3);
    t.refused(WINDOW_LEE, path::DECRYPT_RUN, &req, None).await;

    // Only the requester downloads; the column is plaintext, the rest unchanged.
    t.refused(CLERK_WU, path::DECRYPT_DOWNLOAD, &req, None)
        .await;
    let d = t
        .call(
            Some(CLERK_CHEN),
            path::DECRYPT_DOWNLOAD,
            req.clone(),
            Success,
        )
        .await;
    assert_eq!(
        d["csv"],
        "1,A123456789,門診\n2,F221000017,\"住診, 急診\"\n3,A123456789,門診\n"
    );
    assert_eq!(d["fileName"], "sel_hp_c001_10011.txt");
    t.refused(CLERK_WU, path::DECRYPT_SHOW, &req, None).await;
    let s = t
        .call(Some(CHIEF_LIN), path::DECRYPT_SHOW, req.clone(), Success)
        .await;
    assert_eq!(
        (&s["state"], &s["runBy"]),
        (&json!("downloaded"), &json!("window-lee"))
    );

    // The audit table: every step, by whom, in which role.
    let c = rusqlite::Connection::open(t.dir.join("dc.db")).unwrap();
    let mut st = c
        .prepare(
            "SELECT actor, role, action, rows FROM crypto_audit WHERE request_no = ?1 ORDER BY id",
        )
        .unwrap();
    let rows: Vec<(String, String, String, Option<i64>)> = st
        .query_map([&no], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let want = [
        ("clerk-chen", "requester", "request", None),
        ("chief-lin", "supervisor", "approve", None),
        ("window-lee", "window", "decrypt run", Some(3)),
        ("clerk-chen", "requester", "download", Some(3)),
    ];
    let got: Vec<_> = rows
        .iter()
        .map(|(a, r, x, n)| (a.as_str(), r.as_str(), x.as_str(), *n))
        .collect();
    assert_eq!(got, want);

    // The monthly report: endpoint (supervisors, the window) and CLI, the seed's columns.
    let month = format!("{y}-{m:02}");
    for (token, month) in [(CLERK_CHEN, month.as_str()), (CHIEF_LIN, "2026-13")] {
        let body = json!({ "month": month });
        t.refused(token, path::DECRYPT_AUDIT_REPORT, &body, None)
            .await;
    }
    let r = t
        .call(
            Some(CHIEF_LIN),
            path::DECRYPT_AUDIT_REPORT,
            json!({ "month": month }),
            Success,
        )
        .await;
    let lines = r["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{r}");
    assert_eq!(lines[0]["requester"], "陳○君 (clerk-chen)");
    assert_eq!(lines[0]["fileName"], "sel_hp_c001_10011.txt");
    assert_eq!(lines[0]["rows"], 3);
    assert_eq!(lines[0]["requestNo"], json!(no));
    assert!(lines[0]["downloadedAt"].is_string(), "{r}");

    let (html, csv_out) = (t.dir.join("r.html"), t.dir.join("r.csv"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-emu"))
        .args(["dc", "audit-report", "--month", &month, "--db"])
        .arg(t.dir.join("dc.db"))
        .arg("--html")
        .arg(&html)
        .arg("--csv")
        .arg(&csv_out)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv_out).unwrap();
    let mut it = text.lines();
    assert_eq!(
        it.next().unwrap(),
        "申請人,解密需求檔案名稱,解密檔案筆數,執行時間,檔案下載時間,執行備註(需求單編號)"
    );
    let line = it.next().unwrap();
    assert!(
        line.starts_with("陳○君 (clerk-chen),sel_hp_c001_10011.txt,3,"),
        "{line}"
    );
    assert!(line.ends_with(&format!(",{no}")), "{line}");
    assert!(it.next().is_none());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("解密記錄稽核報表") && page.contains(&format!("<td>{no}</td>")));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi-emu"))
        .args(["dc", "audit-report", "--month", "2026-11", "--db"])
        .arg(t.dir.join("dc.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // Neither the file nor its plaintext is in the clear on disk.
    for e in std::fs::read_dir(&t.dir).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().contains("dc.db") {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !bytes.windows(10).any(|w| w == b"F221000017"),
                "{}",
                p.display()
            );
        }
    }
}
