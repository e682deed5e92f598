//! The console's views of one person: the phone screen of their virtual card (phone.rs) and
//! the placeholder photo, both found by ID number or HC card number (`?person=`).

use super::{phone, Console};
use crate::control::{Refusal, StatusCode};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

/// `?person=`.
#[derive(Deserialize)]
pub struct PersonQuery {
    /// ID number or HC card number.
    person: String,
}

fn person_query(q: Result<Query<PersonQuery>, QueryRejection>) -> Result<String, Refusal> {
    q.map(|Query(q)| q.person).map_err(|_| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "query: ?person=<ID number or HC card number>",
        )
    })
}

/// `GET phone?person=`: the virtual card's phone screen.
pub async fn phone_screen(
    State(c): State<Console>,
    q: Result<Query<PersonQuery>, QueryRejection>,
) -> Response {
    let key = match person_query(q) {
        Ok(k) => k,
        Err(r) => return r.into_response(),
    };
    let dc = match c.control.dc() {
        Ok(dc) => dc,
        Err(r) => return r.into_response(),
    };
    match c.phones.screen(dc, &c.control.fixtures, &key) {
        Ok(s) => Json(s).into_response(),
        Err(r) => r.into_response(),
    }
}

/// `GET photo.svg?person=`: the placeholder photo.
pub async fn photo(
    State(c): State<Console>,
    q: Result<Query<PersonQuery>, QueryRejection>,
) -> Response {
    let key = match person_query(q) {
        Ok(k) => k,
        Err(r) => return r.into_response(),
    };
    match c.control.fixtures.person(&key) {
        Ok(p) => (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            phone::placeholder_photo(p),
        )
            .into_response(),
        Err(e) => Refusal::new(StatusCode::NOT_FOUND, "no-person", e).into_response(),
    }
}
