//! The Slack mock as a recorder other hosts read back: where Alertmanager cannot reach the
//! harness (a pod in a cluster), a [`super::SlackMock`] runs beside it (`firedrill slack-recorder`)
//! and answers `GET` [`RECORDED_PATH`] with every request it recorded, with its arrival time.
//! The harness's own mock mirrors it ([`super::SlackMock::mirror`]), so checks, evidence and
//! artifacts (with their redaction) are the same as on every backend.

use std::time::{Duration, SystemTime};

use base64::Engine;
use wiremock::http::{HeaderMap, HeaderName, HeaderValue, Method};
use wiremock::Request;

/// Where a recorder lists what it recorded; `?from=N` skips the first N.
pub const RECORDED_PATH: &str = "/__firedrill/recorded";

/// Where a recorder is told to fail the next requests (`POST`, a [`SlackFault`] as JSON).
pub const FAULT_PATH: &str = "/__firedrill/fault";

/// One recorded request, as a recorder lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedRequest {
    /// Arrival time, nanoseconds since the Unix epoch.
    pub received_at_ns: u128,
    /// The method (`POST`).
    pub method: String,
    /// The URL as the recorder saw it.
    pub url: String,
    /// Every header, in order (values lossily as text).
    pub headers: Vec<(String, String)>,
    /// The body, base64.
    pub body: String,
    /// The HTTP status the recorder answered (200 from recorders that never fail).
    #[serde(default = "ok_status")]
    pub answered: u16,
    /// How long the recorder held its answer back (a slow Slack), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_after_ms: Option<u64>,
}

fn ok_status() -> u16 {
    200
}

impl RecordedRequest {
    /// The listing form of a request the recorder answered at `received_at`.
    pub fn of(
        received_at: SystemTime,
        request: &Request,
        answered: u16,
        answered_after: Option<Duration>,
    ) -> Self {
        Self {
            received_at_ns: received_at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
            method: request.method.to_string(),
            url: request.url.to_string(),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: base64::engine::general_purpose::STANDARD.encode(&request.body),
            answered,
            answered_after_ms: answered_after.map(|d| d.as_millis() as u64),
        }
    }

    /// The request and its arrival time, as the harness's mock records it; `None` when the
    /// listing is malformed.
    pub fn into_request(self) -> Option<(SystemTime, Request, u16, Option<Duration>)> {
        let received_at =
            SystemTime::UNIX_EPOCH + Duration::from_nanos(u64::try_from(self.received_at_ns).ok()?);
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            );
        }
        let request = Request {
            url: self.url.parse().ok()?,
            method: Method::from_bytes(self.method.as_bytes()).ok()?,
            headers,
            body: base64::engine::general_purpose::STANDARD
                .decode(&self.body)
                .ok()?,
        };
        Some((
            received_at,
            request,
            self.answered,
            self.answered_after_ms.map(Duration::from_millis),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::RecordedRequest;
    use crate::slack::SlackMock;
    use std::time::Duration;

    #[test]
    fn a_listed_request_comes_back_with_its_method_url_headers_body_and_arrival_time() {
        let at = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_nanos(1_700_000_000_123_456_789);
        let mut headers = wiremock::http::HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        let request = wiremock::Request {
            url: "http://recorder:8080/slack/global".parse().unwrap(),
            method: wiremock::http::Method::POST,
            headers,
            body: b"{\"text\":\"hi\"}".to_vec(),
        };
        let listed: RecordedRequest = serde_json::from_value(
            serde_json::to_value(RecordedRequest::of(
                at,
                &request,
                503,
                Some(Duration::from_millis(1500)),
            ))
            .unwrap(),
        )
        .unwrap();
        let (back_at, back, answered, after) = listed.into_request().unwrap();
        assert_eq!(after, Some(Duration::from_millis(1500)));
        assert_eq!(back_at, at);
        assert_eq!(answered, 503);
        assert_eq!(back.url, request.url);
        assert_eq!(back.method, request.method);
        assert_eq!(back.headers, request.headers);
        assert_eq!(back.body, request.body);
    }

    #[tokio::test]
    async fn a_mirror_sees_what_the_recorder_received_with_its_arrival_time() {
        let recorder = SlackMock::start().await;
        let mirror = SlackMock::start().await;
        mirror.mirror(recorder.uri());
        let client = reqwest::Client::new();
        let sent = client
            .post(format!("{}/slack/global", recorder.uri()))
            .header("content-type", "application/json")
            .body(r##"{"channel":"#alerts","text":"hello"}"##)
            .send()
            .await
            .unwrap();
        assert!(sent.status().is_success());

        let at_recorder = recorder.messages().await;
        let mirrored = mirror.messages().await;
        assert_eq!(mirrored.len(), 1, "{mirrored:?}");
        assert_eq!(at_recorder.len(), 1);
        assert_eq!(mirrored[0].to_json(), at_recorder[0].to_json());
        assert_eq!(
            mirror.messages().await.len(),
            1,
            "nothing is mirrored twice"
        );
    }
}
