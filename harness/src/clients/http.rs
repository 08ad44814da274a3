//! The plumbing every client shares: base URL, timeout, GET, and turning answers into
//! values or [`ClientError`]s.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::{body_snippet, ClientError, Endpoint};
use crate::secret::SecretString;

/// The per-request timeout unless `with_timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A base URL plus a reqwest client with a per-request timeout.
#[derive(Debug, Clone)]
pub(crate) struct HttpBase {
    base_url: String,
    http: reqwest::Client,
    timeout: Duration,
}

/// Basic-auth credentials for one request.
pub(crate) struct BasicAuth<'a> {
    pub user: &'a str,
    pub password: &'a SecretString,
}

/// A status and body, read in full, with the endpoint they answer.
pub(crate) struct RawResponse {
    pub endpoint: Endpoint,
    pub status: reqwest::StatusCode,
    pub body: String,
}

impl HttpBase {
    pub(crate) fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            http,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `GET base + path`, with query parameters and optional basic auth.
    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        auth: Option<BasicAuth<'_>>,
    ) -> Result<RawResponse, ClientError> {
        let (url, endpoint) = self.url_and_endpoint("GET", path);
        let mut request = self.http.get(&url).timeout(self.timeout);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(auth) = auth {
            request = request.basic_auth(auth.user, Some(auth.password.expose()));
        }
        self.send(endpoint, request).await
    }

    /// `POST base + path` with `body` and the given headers.
    pub(crate) async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<RawResponse, ClientError> {
        let (url, endpoint) = self.url_and_endpoint("POST", path);
        let mut request = self.http.post(&url).timeout(self.timeout).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(endpoint, request).await
    }

    /// The full URL of `path`, and the endpoint an error names (method and path only).
    pub(crate) fn url_and_endpoint(&self, method: &'static str, path: &str) -> (String, Endpoint) {
        let url = format!("{}{}", self.base_url, path);
        let endpoint = Endpoint {
            method,
            path: url::Url::parse(&url)
                .map(|parsed| parsed.path().to_string())
                .unwrap_or_else(|_| path.to_string()),
        };
        (url, endpoint)
    }

    /// Sends `request` and reads the answer in full.
    async fn send(
        &self,
        endpoint: Endpoint,
        request: reqwest::RequestBuilder,
    ) -> Result<RawResponse, ClientError> {
        let response = request
            .send()
            .await
            .map_err(|error| ClientError::transport(endpoint.clone(), error, self.timeout))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|error| ClientError::transport(endpoint.clone(), error, self.timeout))?;
        Ok(RawResponse {
            endpoint,
            status,
            body,
        })
    }

    /// Whether `GET path` answers 2xx; a refused connection is "not ready", not an error.
    pub(crate) async fn probe_ready(&self, path: &str) -> Result<bool, ClientError> {
        match self.get(path, &[], None).await {
            Ok(response) => Ok(response.status.is_success()),
            Err(error) if error.is_connect_failure() => Ok(false),
            Err(error) => Err(error),
        }
    }
}

/// Prometheus's response envelope (also what Grafana's datasource proxy passes through).
#[derive(Deserialize)]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    #[serde(rename = "errorType", default)]
    error_type: String,
    #[serde(default)]
    error: String,
}

impl RawResponse {
    /// The body as JSON of type `T`, if the status is 2xx.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        if !self.status.is_success() {
            return Err(self.status_error());
        }
        serde_json::from_str(&self.body).map_err(|error| self.decode_error(error.to_string()))
    }

    /// Nothing, if the status is 2xx; else the status and the start of the body.
    pub(crate) fn success(&self) -> Result<(), ClientError> {
        if self.status.is_success() {
            Ok(())
        } else {
            Err(self.status_error())
        }
    }

    /// The body as text, if the status is 2xx.
    pub(crate) fn text(self) -> Result<String, ClientError> {
        if !self.status.is_success() {
            return Err(self.status_error());
        }
        Ok(self.body)
    }

    /// The `data` of a Prometheus API envelope; `status: error` becomes [`ClientError::Api`].
    pub(crate) fn prometheus_data<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        let envelope = serde_json::from_str::<Envelope<serde_json::Value>>(&self.body);
        let envelope = match envelope {
            Ok(envelope) => envelope,
            Err(_) if !self.status.is_success() => return Err(self.status_error()),
            Err(error) => return Err(self.decode_error(error.to_string())),
        };
        if envelope.status != "success" {
            return Err(ClientError::Api {
                endpoint: self.endpoint.clone(),
                status: self.status.as_u16(),
                error_type: envelope.error_type,
                message: envelope.error,
            });
        }
        if !self.status.is_success() {
            return Err(self.status_error());
        }
        let data = envelope
            .data
            .ok_or_else(|| self.decode_error("no `data` in a successful answer".into()))?;
        serde_json::from_value(data).map_err(|error| self.decode_error(error.to_string()))
    }

    pub(crate) fn decode_error(&self, reason: String) -> ClientError {
        ClientError::Decode {
            endpoint: self.endpoint.clone(),
            reason,
            body: body_snippet(&self.body),
        }
    }

    fn status_error(&self) -> ClientError {
        ClientError::Status {
            endpoint: self.endpoint.clone(),
            status: self.status.as_u16(),
            body: body_snippet(&self.body),
        }
    }
}

/// Percent-encodes one URL path segment (everything but RFC 3986 unreserved characters).
pub(crate) fn encode_path_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_slash_on_the_base_url_is_dropped() {
        assert_eq!(
            HttpBase::new("http://localhost:9090/").base_url(),
            "http://localhost:9090"
        );
        assert_eq!(
            HttpBase::new("http://localhost:9090").base_url(),
            "http://localhost:9090"
        );
    }

    #[test]
    fn a_path_segment_is_percent_encoded() {
        assert_eq!(encode_path_segment("Prometheus"), "Prometheus");
        assert_eq!(encode_path_segment("my ds/ü"), "my%20ds%2F%C3%BC");
    }
}
