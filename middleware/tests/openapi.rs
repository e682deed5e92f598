//! The OpenAPI document and Swagger UI are served, and the document matches the router:
//! every documented endpoint answers with a statusCode (no "no API" 404), and a path that
//! is not documented is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_middleware::openapi::ENDPOINTS;
use nhi_middleware::{start, transport::NoReaders, Config};
use serde_json::Value;
use std::sync::Arc;

#[tokio::test]
async fn document_ui_and_router_agree() {
    let mut cfg = Config::new("http://127.0.0.1:9");
    cfg.listen = ([127, 0, 0, 1], 0).into();
    cfg.tls = false;
    cfg.dc_timeout = std::time::Duration::from_millis(300);
    let r = start(cfg, Arc::new(NoReaders)).await.unwrap();
    let c = reqwest::Client::new();
    let doc: Value = c
        .get(format!("{}/api/swagger/openapi.json", r.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let ui = c
        .get(format!("{}/api/swagger/", r.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 200);
    let html = ui.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // The UI's assets are served locally.
    let css = c
        .get(format!("{}/api/swagger/swagger-ui.css", r.url))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);

    for e in ENDPOINTS {
        assert!(
            doc["paths"][e.path][e.method.as_str().to_lowercase()].is_object(),
            "{} {} missing from the served document",
            e.method,
            e.path
        );
        let m = reqwest::Method::from_bytes(e.method.as_str().as_bytes()).unwrap();
        let resp = c
            .request(m, format!("{}{}", r.url, e.path))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_ne!(resp.status(), 404, "{} {} not routed", e.method, e.path);
        let v: Value = resp.json().await.unwrap();
        assert!(v["statusCode"].is_string(), "{} {}: {v}", e.method, e.path);
    }
    let resp = c
        .get(format!("{}/api/common/v1/Nope", r.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}
