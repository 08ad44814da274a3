//! One recorded Slack webhook delivery and what can be read from it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use serde_json::{json, Value};

use crate::secret::redact_path;
use crate::time::{rfc3339_millis, unix_millis};

/// Request headers never recorded, because they carry credentials.
pub const DROPPED_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// A POST the Slack mock received.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackMessage {
    /// 1-based position in order of arrival.
    pub seq: usize,
    /// When the mock answered it (the harness's clock; wiremock stamps no arrival time).
    pub received_at: SystemTime,
    /// The request path, redacted by `redact_path`.
    pub path: String,
    /// The request headers, names lowercased, without `DROPPED_HEADERS`; repeated
    /// headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body as JSON, or a JSON string holding the raw body if it is not JSON.
    pub body: Value,
    /// The HTTP status the mock answered: 200, unless it was told to fail
    /// ([`crate::SlackMock::fail_next`]); only an accepted message is delivered.
    pub answered: u16,
    /// How long the mock held its answer back, when it was told to be slow
    /// ([`crate::SlackFault::slow`]).
    pub answered_after: Option<std::time::Duration>,
}

/// Whether a notification announces a firing or a resolved alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationStatus {
    /// `[FIRING:n] ...`
    Firing,
    /// `[RESOLVED] ...`
    Resolved,
}

impl NotificationStatus {
    /// `firing` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Firing => "firing",
            NotificationStatus::Resolved => "resolved",
        }
    }
}

impl fmt::Display for NotificationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SlackMessage {
    /// Records a request the mock answered at `received_at`.
    pub(crate) fn from_request(
        seq: usize,
        received_at: SystemTime,
        request: &wiremock::Request,
        answered: u16,
        answered_after: Option<std::time::Duration>,
    ) -> Self {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in request.headers.iter() {
            let name = name.as_str().to_ascii_lowercase();
            if DROPPED_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name)
                .and_modify(|joined| {
                    joined.push_str(", ");
                    joined.push_str(&value);
                })
                .or_insert(value);
        }
        let body = serde_json::from_slice(&request.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&request.body).into_owned()));
        let path = match request.url.query() {
            Some(query) => format!("{}?{query}", request.url.path()),
            None => request.url.path().to_string(),
        };
        Self {
            seq,
            received_at,
            path: redact_path(&path),
            headers,
            body,
            answered,
            answered_after,
        }
    }

    /// Whether the mock accepted it (a 2xx answer), as Slack would have posted it.
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.answered)
    }

    /// The top-level `channel`, e.g. `#alerts`.
    pub fn channel(&self) -> Option<&str> {
        self.body.get("channel").and_then(Value::as_str)
    }

    /// The top-level `username`.
    pub fn username(&self) -> Option<&str> {
        self.body.get("username").and_then(Value::as_str)
    }

    fn attachment_fields<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.body
            .get("attachments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(move |attachment| attachment.get(field).and_then(Value::as_str))
    }

    /// The top-level `text` (if any) followed by every `attachments[].text`.
    pub fn texts(&self) -> Vec<&str> {
        self.body
            .get("text")
            .and_then(Value::as_str)
            .into_iter()
            .chain(self.attachment_fields("text"))
            .collect()
    }

    /// Every `attachments[].title`.
    pub fn titles(&self) -> Vec<&str> {
        self.attachment_fields("title").collect()
    }

    /// Firing or resolved, guessed from the first title (or else text) that starts with
    /// Alertmanager's default `[FIRING:n]` / `[RESOLVED]` prefix, case-insensitively.
    ///
    /// A heuristic: a receiver with a custom title template may say neither, and then this
    /// is `None`.
    pub fn status(&self) -> Option<NotificationStatus> {
        self.titles()
            .into_iter()
            .chain(self.texts())
            .find_map(|line| {
                let line = line.trim_start().to_ascii_uppercase();
                if line.starts_with("[FIRING") {
                    Some(NotificationStatus::Firing)
                } else if line.starts_with("[RESOLVED") {
                    Some(NotificationStatus::Resolved)
                } else {
                    None
                }
            })
    }

    /// `received_at` in milliseconds since the Unix epoch.
    pub fn received_at_unix_ms(&self) -> u64 {
        unix_millis(self.received_at)
    }

    /// The artifact form: `seq`, `received_at` (RFC 3339, UTC), `received_at_unix_ms`,
    /// `path`, `headers`, `body`.
    pub fn to_json(&self) -> Value {
        json!({
            "seq": self.seq,
            "received_at": rfc3339_millis(self.received_at),
            "received_at_unix_ms": self.received_at_unix_ms(),
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
            "answered": self.answered,
            "answered_after_ms": self.answered_after.map(|d| d.as_millis() as u64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn message(body: Value) -> SlackMessage {
        SlackMessage {
            seq: 1,
            received_at: UNIX_EPOCH + Duration::from_millis(1_624_183_205_123),
            path: "/services/T000/<redacted>/<redacted>".into(),
            headers: BTreeMap::new(),
            body,
            answered: 200,
            answered_after: None,
        }
    }

    #[test]
    fn texts_put_the_top_level_text_before_attachment_texts() {
        let msg = message(json!({
            "text": "top",
            "attachments": [{"title": "a", "text": "one"}, {"title": "b"}, {"text": "two"}]
        }));
        assert_eq!(msg.texts(), vec!["top", "one", "two"]);
        assert_eq!(msg.titles(), vec!["a", "b"]);
    }

    #[test]
    fn the_status_is_read_from_alertmanagers_default_title() {
        let firing = message(json!({"attachments": [{"title": "[FIRING:1] DeadMansSwitch"}]}));
        let resolved = message(json!({"attachments": [{"title": "[RESOLVED] DeadMansSwitch"}]}));
        let custom = message(json!({"attachments": [{"title": "DeadMansSwitch is on"}]}));
        assert_eq!(firing.status(), Some(NotificationStatus::Firing));
        assert_eq!(
            resolved.status().map(NotificationStatus::as_str),
            Some("resolved")
        );
        assert_eq!(custom.status(), None);
    }

    #[test]
    fn a_body_that_is_not_an_object_has_no_channel_or_texts() {
        let msg = message(Value::String("payload=raw".into()));
        assert_eq!(msg.channel(), None);
        assert!(msg.texts().is_empty());
        assert_eq!(msg.status(), None);
    }

    #[test]
    fn the_artifact_form_carries_both_time_formats() {
        let json = message(json!({"text": "x"})).to_json();
        assert_eq!(json["received_at"], "2021-06-20T10:00:05.123Z");
        assert_eq!(json["received_at_unix_ms"], 1_624_183_205_123_u64);
        assert_eq!(json["seq"], 1);
    }
}
