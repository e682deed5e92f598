//! The OpenAPI 3.1 document of the 6.0 Web API (generated with utoipa's builders from
//! nhi-protocol's table of endpoints) and the Swagger UI under `/api/swagger/` (assets vendored into the
//! binary: nothing is fetched at build or run time).

use nhi_protocol::api::{Method, Tag as Group};
use nhi_protocol::StatusCode;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    ResponseBuilder, Tag,
};

/// Every endpoint the reference middleware serves: nhi-protocol's table (a test calls each).
pub use nhi_protocol::api::ENDPOINTS;

fn method(m: Method) -> HttpMethod {
    match m {
        Method::Get => HttpMethod::Get,
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Delete => HttpMethod::Delete,
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
            .tag(e.tag.as_str())
            .operation_id(Some(format!(
                "{}{}",
                e.method.as_str().to_lowercase(),
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
            for f in e.body {
                o = o
                    .property(
                        f.name,
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .description(Some(f.what)),
                    )
                    .required(f.name);
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
            Group::ALL
                .into_iter()
                .map(|g| Tag::new(g.as_str()))
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
            let item = &doc["paths"][e.path][e.method.as_str().to_lowercase()];
            assert!(item.is_object(), "{} {}", e.method, e.path);
            for f in e.body.iter().map(|f| f.name) {
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
