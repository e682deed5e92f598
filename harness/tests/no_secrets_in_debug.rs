#![allow(clippy::unwrap_used, clippy::expect_used)]
//! No secret in any `Debug` output: request bodies carrying a PIN, PUK, token, credential,
//! transfer code or cloud-SAM file, and the middleware's settings with a cloud SAM secret,
//! print without it (a `{:?}` in a log line or a panic message must not leak it).

use nhi_middleware::settings::{CloudSam, KeyContext, Store};
use nhi_protocol::api::request::*;

const SECRET: &str = "86420975";

#[test]
fn request_bodies_with_secrets_debug_without_them() {
    let s = || SECRET.to_string();
    let shown = [
        format!("{:?}", PinRequest { pin: s() }),
        format!("{:?}", NewPinRequest { new_pin: s() }),
        format!(
            "{:?}",
            ResetPinRequest {
                puk: s(),
                new_pin: s()
            }
        ),
        format!("{:?}", TokenRequest { token: s() }),
        format!("{:?}", CredentialRequest { credential: s() }),
        format!("{:?}", TransferImportRequest { transfer_code: s() }),
        format!(
            "{:?}",
            CloudSamAddRequest {
                file_name: "x.SAM".into(),
                content: s()
            }
        ),
    ];
    for d in shown {
        assert!(!d.contains(SECRET), "secret in Debug output: {d}");
    }
}

#[test]
fn settings_store_debugs_without_the_cloud_sam_secret() {
    let mut store = Store::load(
        None,
        KeyContext {
            machine: "m".into(),
            user: "u".into(),
        },
    );
    store.cloud_sams.push(CloudSam {
        sam_id: "901000000047".into(),
        hospital_id: "7777777777".into(),
        hospital_name: "測試".into(),
        hospital_short_name: "測試".into(),
        secret: SECRET.into(),
        comport: Some(1),
    });
    let d = format!("{store:?}");
    assert!(!d.contains(SECRET), "secret in Debug output: {d}");
}
