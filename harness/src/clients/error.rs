//! What a client call can fail with: always naming the endpoint, never a credential.

use std::error::Error as _;
use std::fmt;

/// How many characters of a response body an error keeps.
pub const BODY_SNIPPET_CHARS: usize = 500;

/// The request an error is about: method and URL path only (no query string, no
/// credentials), e.g. `GET /api/v1/query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: &'static str,
    /// The URL path, e.g. `/api/v1/query`.
    pub path: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// A failed call to Prometheus, Alertmanager or Grafana.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request never got an HTTP answer (connection refused, timeout, bad URL).
    #[error("{endpoint}: cannot reach the server: {reason}")]
    Transport {
        /// The request.
        endpoint: Endpoint,
        /// The transport failure, flattened into one lowercase-ish line.
        reason: String,
        /// Whether the server refused the connection (nothing listens yet).
        connect_failed: bool,
    },
    /// The server answered with a non-success HTTP status.
    #[error("{endpoint}: http status {status}: {body}")]
    Status {
        /// The request.
        endpoint: Endpoint,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// A Prometheus-style API answered `{"status":"error", "errorType", "error"}`.
    #[error("{endpoint}: api error {error_type}: {message}")]
    Api {
        /// The request.
        endpoint: Endpoint,
        /// The HTTP status code.
        status: u16,
        /// `errorType`, e.g. `bad_data`.
        error_type: String,
        /// `error`, the API's own explanation.
        message: String,
    },
    /// The request could not be put into the form the endpoint takes (nothing was sent).
    #[error("{endpoint}: cannot encode the request: {reason}")]
    Encode {
        /// The request.
        endpoint: Endpoint,
        /// What could not be encoded.
        reason: String,
    },
    /// The answer was not the documented shape.
    #[error("{endpoint}: unexpected response: {reason}; body: {body}")]
    Decode {
        /// The request.
        endpoint: Endpoint,
        /// What did not fit.
        reason: String,
        /// The start of the response body.
        body: String,
    },
}

impl ClientError {
    /// The request the error is about.
    pub fn endpoint(&self) -> &Endpoint {
        match self {
            ClientError::Transport { endpoint, .. }
            | ClientError::Status { endpoint, .. }
            | ClientError::Api { endpoint, .. }
            | ClientError::Encode { endpoint, .. }
            | ClientError::Decode { endpoint, .. } => endpoint,
        }
    }

    /// The HTTP status, when the server answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } | ClientError::Api { status, .. } => Some(*status),
            ClientError::Transport { .. }
            | ClientError::Encode { .. }
            | ClientError::Decode { .. } => None,
        }
    }

    /// Whether nothing accepted the connection (the component is not up yet).
    pub fn is_connect_failure(&self) -> bool {
        matches!(
            self,
            ClientError::Transport {
                connect_failed: true,
                ..
            }
        )
    }

    pub(crate) fn transport(
        endpoint: Endpoint,
        error: reqwest::Error,
        timeout: std::time::Duration,
    ) -> Self {
        let connect_failed = error.is_connect();
        let reason = if error.is_timeout() {
            format!("timed out after {timeout:?}")
        } else {
            describe_chain(&error.without_url())
        };
        ClientError::Transport {
            endpoint,
            reason,
            connect_failed,
        }
    }
}

/// The error and its sources on one line, joined by `: `.
fn describe_chain(error: &reqwest::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// At most [`BODY_SNIPPET_CHARS`] characters of `body`, ending in `...` when cut.
pub(crate) fn body_snippet(body: &str) -> String {
    let body = body.trim();
    if body.chars().count() <= BODY_SNIPPET_CHARS {
        return body.to_string();
    }
    let mut cut: String = body.chars().take(BODY_SNIPPET_CHARS - 3).collect();
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_body_is_cut_to_five_hundred_characters() {
        let snippet = body_snippet(&"é".repeat(2_000));
        assert_eq!(snippet.chars().count(), BODY_SNIPPET_CHARS);
        assert!(snippet.ends_with("..."));
        assert_eq!(body_snippet("  short  "), "short");
    }

    #[test]
    fn an_error_names_method_and_path() {
        let err = ClientError::Status {
            endpoint: Endpoint {
                method: "GET",
                path: "/api/v1/query".into(),
            },
            status: 503,
            body: "service unavailable".into(),
        };
        assert_eq!(
            err.to_string(),
            "GET /api/v1/query: http status 503: service unavailable"
        );
        assert_eq!(err.status(), Some(503));
    }
}
