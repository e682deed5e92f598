//! The OpenAPI 3.1 document of the 6.0 Web API (generated with utoipa's builders from one
//! table of endpoints) and the Swagger UI under `/api/swagger/` (assets vendored into the
//! binary: nothing is fetched at build or run time).

use nhi_protocol::api::path;
use nhi_protocol::StatusCode;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    ResponseBuilder, Tag,
};

/// One endpoint: method, path, tag, summary, request body fields (name, description).
pub struct Endpoint {
    /// HTTP method.
    pub method: &'static str,
    /// Path.
    pub path: &'static str,
    /// Group.
    pub tag: &'static str,
    /// What it does (the console manual's function name).
    pub summary: &'static str,
    /// Required string fields of the JSON body.
    pub body: &'static [(&'static str, &'static str)],
}

const fn ep(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    body: &'static [(&'static str, &'static str)],
) -> Endpoint {
    Endpoint {
        method,
        path,
        tag,
        summary,
        body,
    }
}

const SERVICE: &[(&str, &str)] = &[("serviceType", "2-character service type, e.g. \"01\"")];

/// Every endpoint the reference middleware serves (a test calls each one).
pub const ENDPOINTS: &[Endpoint] = &[
    ep(
        "GET",
        path::STATUS,
        "common",
        "Device status and modes",
        &[],
    ),
    ep(
        "POST",
        path::INITIAL,
        "common",
        "連接裝置 Initialise the devices (optional deviceName)",
        &[],
    ),
    ep(
        "POST",
        path::FINALIZE,
        "common",
        "中斷裝置 Release the devices",
        &[],
    ),
    ep(
        "GET",
        path::VERSION,
        "common",
        "取得版本編號 Version numbers",
        &[],
    ),
    ep(
        "GET",
        path::READER_TIME,
        "common",
        "取得讀卡機時間 Reader time (reader clock, or the DC's for a cloud SAM)",
        &[],
    ),
    ep(
        "GET",
        path::CALL_LOG,
        "common",
        "API call log (time, path, status code, duration)",
        &[],
    ),
    ep(
        "DELETE",
        path::CALL_LOG,
        "common",
        "Clear the API call log",
        &[],
    ),
    ep(
        "POST",
        path::SAM_VERIFY,
        "sam",
        "驗證安全模組 Verify the SAM with the DC (mode 1 → 2)",
        &[],
    ),
    ep(
        "DELETE",
        path::SAM_LOGOUT,
        "sam",
        "SAM 登出 Logout (cascades to HPC and HC)",
        &[],
    ),
    ep(
        "GET",
        path::SAM_BASIC,
        "sam",
        "SAM 基本資料 Basic data",
        &[],
    ),
    ep(
        "POST",
        path::SAM_SIGNATURE,
        "sam",
        "安全模組簽章 SAM signature",
        SERVICE,
    ),
    ep(
        "POST",
        path::HPC_VERIFY,
        "hpc",
        "醫事人員卡驗證 PIN Verify the HPC PIN (mode 2 → 3)",
        &[("pin", "6–8 digits")],
    ),
    ep(
        "POST",
        path::HPC_MOBILE,
        "hpc",
        "驗證醫事人員行動憑證 Mobile HCA login",
        &[("credential", "mobile HCA credential")],
    ),
    ep(
        "GET",
        path::HPC_BASIC,
        "hpc",
        "醫事人員卡基本資料 HPC basic data",
        &[],
    ),
    ep(
        "POST",
        path::HPC_SIGNATURE,
        "hpc",
        "醫事人員簽章 HPC signature",
        SERVICE,
    ),
    ep(
        "POST",
        path::HPC_PIN,
        "hpc",
        "設定 PIN 碼 Set the HPC PIN",
        &[("newPin", "6–8 digits")],
    ),
    ep(
        "PUT",
        path::HPC_PIN,
        "hpc",
        "重設 PIN 碼 Reset the HPC PIN with the PUK",
        &[("puk", "8 digits"), ("newPin", "6–8 digits")],
    ),
    ep(
        "DELETE",
        path::HPC_LOGOUT,
        "hpc",
        "HPC / mobile HCA logout",
        &[],
    ),
    ep(
        "POST",
        path::HC_VIRTUAL_VERIFY,
        "hc",
        "驗證虛擬健保卡 Verify a virtual HC (QR token)",
        &[("token", "QR token text")],
    ),
    ep(
        "POST",
        path::HC_VIRTUAL_READ,
        "hc",
        "讀取虛擬健保卡基本資料 Read a virtual HC without consuming the token",
        &[("token", "QR token text")],
    ),
    ep(
        "GET",
        path::HC_BASIC,
        "hc",
        "健保卡基本資料 HC basic data (physical or verified virtual)",
        &[],
    ),
    ep(
        "POST",
        path::HC_SIGNATURE,
        "hc",
        "健保卡簽章 HC signature",
        SERVICE,
    ),
    ep(
        "POST",
        path::HPC_HC_SIGNATURE,
        "hc",
        "三卡簽章 Three-card signature",
        SERVICE,
    ),
    ep(
        "GET",
        path::HC_PIN,
        "hc",
        "健保卡 PIN 狀態 Is a PIN set (physical HC)",
        &[],
    ),
    ep(
        "POST",
        path::HC_PIN,
        "hc",
        "健保卡驗證 PIN Verify the HC PIN",
        &[("pin", "6–8 digits")],
    ),
    ep(
        "PUT",
        path::HC_PIN,
        "hc",
        "健保卡設定 PIN Set the HC PIN",
        &[("pin", "6–8 digits")],
    ),
    ep(
        "DELETE",
        path::HC_PIN,
        "hc",
        "健保卡清除 PIN Clear the HC PIN",
        &[],
    ),
    ep("DELETE", path::HC_LOGOUT, "hc", "健保卡登出 HC logout", &[]),
    ep(
        "POST",
        path::HC_TRANSFER_EXPORT,
        "hc",
        "轉移虛擬健保卡 匯出 Export the verified virtual HC",
        &[],
    ),
    ep(
        "POST",
        path::HC_TRANSFER_IMPORT,
        "hc",
        "轉移虛擬健保卡 匯入 Import a transfer code",
        &[("transferCode", "code from the exporting device")],
    ),
    ep(
        "POST",
        path::HC_MARKER,
        "hc",
        "實體健保卡更新註記 Marker update (physical HC)",
        &[],
    ),
    ep(
        "GET",
        path::CLOUD_SAM_GET,
        "settings",
        "雲端安全模組 List imported cloud SAMs",
        &[],
    ),
    ep(
        "POST",
        path::CLOUD_SAM_ADD,
        "settings",
        "匯入雲端安全模組 Import a cloud SAM file",
        &[
            ("fileName", "the .SAM file's name"),
            ("content", "the file's content"),
        ],
    ),
    ep(
        "POST",
        path::CLOUD_SAM_REMOVE,
        "settings",
        "移除雲端安全模組 Remove a cloud SAM",
        &[("samId", "SAM id")],
    ),
    ep("GET", path::PCSC_READERS, "settings", "PC/SC readers", &[]),
    ep(
        "GET",
        path::PCSC_GET_DEFAULT,
        "settings",
        "Default PC/SC reader",
        &[],
    ),
    ep(
        "POST",
        path::PCSC_SET_DEFAULT,
        "settings",
        "Set the default PC/SC reader",
        &[("readerName", "reader name")],
    ),
    ep(
        "POST",
        path::PCSC_REMOVE_DEFAULT,
        "settings",
        "Remove the default PC/SC reader",
        &[],
    ),
    ep(
        "POST",
        path::PCSC_AUTODETECT,
        "settings",
        "Detect the reader holding a card",
        &[],
    ),
    ep(
        "GET",
        path::CORS_GET,
        "settings",
        "CORS whitelist (saved, and active since start)",
        &[],
    ),
    ep(
        "POST",
        path::CORS_ADD,
        "settings",
        "Add a host to the CORS whitelist (applies after restart)",
        &[("hostName", "host name, e.g. www.nhi.gov.tw")],
    ),
    ep(
        "POST",
        path::CORS_REMOVE,
        "settings",
        "Remove a host from the CORS whitelist",
        &[("hostName", "host name")],
    ),
];

fn method(m: &str) -> HttpMethod {
    match m {
        "GET" => HttpMethod::Get,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Post,
    }
}

/// The OpenAPI document.
pub fn document() -> OpenApi {
    let codes: Vec<String> = StatusCode::ALL
        .iter()
        .map(|c| c.code().to_string())
        .collect();
    let table: String = StatusCode::ALL
        .iter()
        .map(|c| format!("- `{}` {} ({})\n", c.code(), c.zh(), c.en()))
        .collect();
    let reply = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "Every reply carries `statusCode` (one of the 64 codes of the console manual) and, on failure, `message`; the function's fields follow.\n\n{table}"
        )))
        .property(
            "statusCode",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(codes)),
        )
        .required("statusCode")
        .property(
            "message",
            ObjectBuilder::new().schema_type(Type::String),
        )
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(true)))
        .build();
    let mut paths = PathsBuilder::new();
    for e in ENDPOINTS {
        let mut op = OperationBuilder::new()
            .summary(Some(e.summary))
            .tag(e.tag)
            .operation_id(Some(format!(
                "{}{}",
                e.method.to_lowercase(),
                e.path.replace(['/', '-'], "_")
            )))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("Handled: see statusCode")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Reply")))
                            .build(),
                    ),
            )
            .response(
                "400",
                ResponseBuilder::new()
                    .description("Malformed request (statusCode 1704–1706)")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Reply")))
                            .build(),
                    ),
            );
        if !e.body.is_empty() {
            let mut o = ObjectBuilder::new().schema_type(Type::Object);
            for (name, desc) in e.body {
                o = o
                    .property(
                        *name,
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .description(Some(*desc)),
                    )
                    .required(*name);
            }
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(o)).build(),
                    )
                    .required(Some(utoipa::openapi::Required::True))
                    .build(),
            ));
        }
        paths = paths.path(e.path, PathItem::new(method(e.method), op.build()));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("NHI card-reader control software 6.0 Web API (nhi-emu reference middleware)")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("The Web API of the 健保卡讀卡機控制軟體 6.0 console manual, served on https://localhost:5066. Status codes as the manual lists them.")),
        )
        .paths(paths.build())
        .components(Some(ComponentsBuilder::new().schema("Reply", reply).build()))
        .tags(Some(
            ["common", "sam", "hpc", "hc", "settings"]
                .into_iter()
                .map(Tag::new)
                .collect::<Vec<_>>(),
        ))
        .build()
}

/// The Swagger UI (at `/api/swagger/`) and the document (at `/api/swagger/openapi.json`).
pub fn swagger() -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/api/swagger").url("/api/swagger/openapi.json", document())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_endpoint_is_in_the_document_with_its_method() {
        let doc = serde_json::to_value(super::document()).unwrap();
        for e in super::ENDPOINTS {
            let item = &doc["paths"][e.path][e.method.to_lowercase()];
            assert!(item.is_object(), "{} {}", e.method, e.path);
            for (f, _) in e.body {
                assert!(
                    item["requestBody"]["content"]["application/json"]["schema"]["properties"][f]
                        .is_object(),
                    "{} {} body {f}",
                    e.method,
                    e.path
                );
            }
        }
        let codes = doc["components"]["schemas"]["Reply"]["properties"]["statusCode"]["enum"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(codes, 64);
    }
}
