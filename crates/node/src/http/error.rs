//! Error responses: `{"error": {"code": "...", "message": "..."}}` with the
//! status of the [`NodeError`].

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use veris_core::api::{ErrorBody, ErrorInfo};

use crate::error::NodeError;

/// The error code of a response, for the metrics middleware.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// A [`NodeError`] on its way to becoming an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub NodeError);

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code();
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error: ErrorInfo {
                code: code.into(),
                message: self.0.to_string(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was never read, so this connection cannot
            // carry another request; say so, or a client may reuse it and
            // see its next request fail.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response.extensions_mut().insert(ErrorCode(code));
        response
    }
}

/// The body of a request that matched no route.
pub async fn not_found() -> ApiError {
    ApiError(NodeError::BadRequest(
        "no such endpoint (see the API in the README)".into(),
    ))
}
