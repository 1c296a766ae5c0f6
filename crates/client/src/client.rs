//! The client itself: options, URL building, and response handling with
//! size limits. The endpoints are in [`crate::models`] and [`crate::calls`].

use std::io::Read;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::{RequestBuilder, Response};
use serde::de::DeserializeOwned;
use veris_core::api::ErrorBody;

use crate::error::ClientError;

/// Largest error body read from a node; the rest is dropped.
const MAX_ERROR_BYTES: u64 = 64 << 10;

/// Timeouts and response size limits of a [`Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// Whole-request timeout, from connecting to the last body byte.
    pub timeout: Duration,
    /// Timeout for establishing the TCP connection.
    pub connect_timeout: Duration,
    /// Largest JSON response accepted (model lists, inference responses).
    pub max_response_bytes: u64,
    /// Largest model file uploaded or downloaded.
    pub max_model_bytes: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 64 << 20,
            max_model_bytes: 1 << 30,
        }
    }
}

/// A blocking client for one node's HTTP API.
///
/// Do not create or use it from inside an async runtime (it runs its own).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::blocking::Client,
    base: Url,
    options: ClientOptions,
}

impl Client {
    /// A client for the node at `base_url` (e.g. `http://127.0.0.1:7878`),
    /// with [`ClientOptions::default`].
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        Client::with_options(base_url, ClientOptions::default())
    }

    /// A client for the node at `base_url` with the given options.
    pub fn with_options(base_url: &str, options: ClientOptions) -> Result<Client, ClientError> {
        let invalid = |reason: &str| ClientError::InvalidUrl {
            url: base_url.chars().take(200).collect(),
            reason: reason.into(),
        };
        let base = Url::parse(base_url).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(invalid("expected an absolute URL with a host"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(invalid("a node URL has no query or fragment"));
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("veris-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Transport)?;
        Ok(Client { http, base, options })
    }

    /// The node's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The URL of an endpoint; each segment is percent-encoded as needed.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // `with_options` refused URLs that cannot be a base, so this succeeds.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub(crate) fn http(&self) -> &reqwest::blocking::Client {
        &self.http
    }

    /// Sends a request; a non-success status becomes [`ClientError::Api`].
    pub(crate) fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        let response = request.send().map_err(ClientError::Transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = read_limited(response, MAX_ERROR_BYTES, "error body").unwrap_or_default();
        Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(ErrorBody { error }) => ClientError::Api {
                status: status.as_u16(),
                code: error.code,
                message: error.message,
            },
            Err(_) => {
                let text = String::from_utf8_lossy(&body);
                let text: String = text.trim().chars().take(200).collect();
                ClientError::Api {
                    status: status.as_u16(),
                    code: "http".into(),
                    message: if text.is_empty() {
                        status.canonical_reason().unwrap_or("error").into()
                    } else {
                        text
                    },
                }
            }
        })
    }

    /// Sends a request and decodes its JSON response under the size limit.
    pub(crate) fn json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        what: &'static str,
    ) -> Result<T, ClientError> {
        let response = self.send(request)?;
        let body = read_limited(response, self.options.max_response_bytes, what)?;
        serde_json::from_slice(&body).map_err(|source| ClientError::Decode { what, source })
    }
}

/// Reads a whole response body, refusing more than `limit` bytes.
pub(crate) fn read_limited(response: Response, limit: u64, what: &'static str) -> Result<Vec<u8>, ClientError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(ClientError::TooLarge { what, limit });
    }
    let mut body = Vec::new();
    response
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(ClientError::Body)?;
    if body.len() as u64 > limit {
        return Err(ClientError::TooLarge { what, limit });
    }
    Ok(body)
}
