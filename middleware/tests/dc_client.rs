//! The middleware's DC client against wiremock, one test per fault shape: each maps to its
//! 6.0 code within the configured time-out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nhi_middleware::dc_client::DcClient;
use nhi_middleware::mutants::Mutants;
use nhi_protocol::dc::msg::{Empty, TimeReply};
use nhi_protocol::dc::path as dc_path;
use nhi_protocol::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn client_for(server: &MockServer, timeout_ms: u64) -> DcClient {
    DcClient::new(
        &server.uri(),
        None,
        Duration::from_millis(timeout_ms),
        Mutants::none(),
    )
    .unwrap()
}

async fn answer(t: ResponseTemplate) -> Result<serde_json::Value, nhi_middleware::error::Fail> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(dc_path::TIME))
        .respond_with(t)
        .mount(&server)
        .await;
    client_for(&server, 500)
        .await
        .call(dc_path::TIME, &Empty {})
        .await
}

#[tokio::test]
async fn success_passes_the_reply_through() {
    let v = answer(
        ResponseTemplate::new(200).set_body_json(json!({ "statusCode": "0000", "unix": 5 })),
    )
    .await
    .unwrap();
    assert_eq!(v["unix"], 5);
}

#[tokio::test]
async fn typed_replies_name_a_missing_field_1799() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "statusCode": "0000", "message": "OK", "unix": 5 })),
        )
        .mount(&server)
        .await;
    let c = client_for(&server, 500).await;
    let e = c
        .call::<_, TimeReply>(dc_path::TIME, &Empty {})
        .await
        .unwrap_err();
    assert_eq!(e.code, StatusCode::DcUndefined);
    assert!(e.message.contains("serverDateTime"), "{}", e.message);
}

#[tokio::test]
async fn a_missing_message_is_the_codes_own_text() {
    let e = answer(ResponseTemplate::new(200).set_body_json(json!({ "statusCode": "1703" })))
        .await
        .unwrap_err();
    assert_eq!(e.code, StatusCode::DcSession);
    assert_eq!(e.message, StatusCode::DcSession.en());
}

#[tokio::test]
async fn http_5xx_is_1702() {
    for status in [500, 502, 503] {
        let e = answer(ResponseTemplate::new(status).set_body_string("down"))
            .await
            .unwrap_err();
        assert_eq!(e.code, StatusCode::DcHttp, "HTTP {status}");
    }
}

#[tokio::test]
async fn dc_codes_pass_through() {
    for code in ["1703", "1302", "1521", "1707"] {
        let e = answer(
            ResponseTemplate::new(200).set_body_json(json!({ "statusCode": code, "message": "x" })),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code.code(), code);
    }
    let e = answer(ResponseTemplate::new(404).set_body_json(json!({ "statusCode": "1701" })))
        .await
        .unwrap_err();
    assert_eq!(e.code, StatusCode::DcUnknownCommand);
}

#[tokio::test]
async fn unreadable_replies_are_1799_or_1702() {
    let e = answer(ResponseTemplate::new(200).set_body_string("<html>"))
        .await
        .unwrap_err();
    assert_eq!(e.code, StatusCode::DcUndefined);
    let e = answer(ResponseTemplate::new(200).set_body_json(json!({ "no": "code" })))
        .await
        .unwrap_err();
    assert_eq!(e.code, StatusCode::DcUndefined);
    let e = answer(ResponseTemplate::new(404).set_body_string("not found"))
        .await
        .unwrap_err();
    assert_eq!(e.code, StatusCode::DcHttp);
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_1700_within_bounded_time() {
    let t = Instant::now();
    let e = answer(
        ResponseTemplate::new(200)
            .set_body_json(json!({ "statusCode": "0000" }))
            .set_delay(Duration::from_secs(3)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, StatusCode::DcConnection);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "no hang beyond the time-out: {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn refused_connection_is_1700_and_recovery_works() {
    // A port nobody listens on (wiremock pools its servers, so a dropped one still answers).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let uri = format!("http://127.0.0.1:{port}");
    let c = DcClient::new(&uri, None, Duration::from_millis(500), Mutants::none()).unwrap();
    let e = c
        .call::<_, serde_json::Value>(dc_path::TIME, &Empty {})
        .await
        .unwrap_err();
    assert_eq!(e.code, StatusCode::DcConnection);
    // A DC that comes back is used again.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "statusCode": "0000" })))
        .mount(&server)
        .await;
    let c = client_for(&server, 500).await;
    assert!(c
        .call::<_, serde_json::Value>(dc_path::TIME, &Empty {})
        .await
        .is_ok());
}
