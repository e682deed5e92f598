//! `Version` answers the product's 4-part file version (seed 004 shows
//! 「檔案版本編號 (FileVersion): 1.2.0.1」), not the crate's 3-part version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_middleware::{start, transport::NoReaders, Config};
use serde_json::Value;
use std::sync::Arc;

#[tokio::test]
async fn file_version_has_four_numeric_parts() {
    let mut cfg = Config::new("http://127.0.0.1:9");
    cfg.listen = ([127, 0, 0, 1], 0).into();
    cfg.tls = false;
    cfg.dc_timeout = std::time::Duration::from_millis(300);
    let r = start(cfg, Arc::new(NoReaders)).await.unwrap();
    let v: Value = reqwest::get(format!("{}/api/common/v1/Version", r.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["statusCode"], "0000", "{v}");
    let file_version = v["fileVersion"].as_str().unwrap();
    let parts: Vec<&str> = file_version.split('.').collect();
    assert_eq!(parts.len(), 4, "{file_version}");
    assert!(
        parts.iter().all(|p| p.parse::<u32>().is_ok()),
        "{file_version}"
    );
    assert_eq!(v["longVersion"], "6000");
    assert_eq!(v["shortVersion"], "60");
}
