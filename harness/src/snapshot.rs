//! The Slack payloads a stack delivered, in a stable form to snapshot and review: what a
//! change to a template, a rule's annotations or a route does to the messages shows as a
//! diff of text.
//!
//! ```no_run
//! # async fn example(stack: firedrill::Stack) {
//! // after the delivered checks passed:
//! let yaml = firedrill::snapshot::normalised_payloads(&stack).await;
//! // insta::assert_snapshot!("slack_payloads", yaml);
//! # let _ = yaml;
//! # }
//! ```
//!
//! Each payload is the JSON body Alertmanager posted, with what changes from run to run
//! replaced by a placeholder:
//!
//! - times (RFC 3339, and Go's `2006-01-02 15:04:05.999 -0700 MST` that templates print
//!   with `{{ .StartsAt }}`) by `[time]`, and a numeric `ts` by `[ts]`;
//! - URLs whose host is an address, `localhost`, a bare host name (Alertmanager's external
//!   URL is built from the machine's or container's name) or that carry a port, by
//!   `scheme://[host]` and the rest of the URL: `http://[host]/#/alerts?receiver=x`;
//! - 16-hex-digit alert fingerprints by `[fingerprint]`;
//! - the manifests' secrets by `<redacted>`.
//!
//! The request path (the mock's own, redacted), the headers (they name Alertmanager's
//! version) and arrival times are left out. Alertmanager fixes the order of alerts within a
//! message but not the order in which groups and receivers are notified, so the payloads are
//! sorted by their normalised text; repeated deliveries are kept.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use crate::backend::RunningStack;
use crate::secret::{redact_secrets, SecretString};
use crate::slack::SlackMessage;

/// The stack's recorded Slack payloads, normalised (`normalise_payloads`) and redacted of
/// the manifests' secrets, as YAML (multi-line texts as block scalars, so a diff shows the
/// lines that changed).
pub async fn normalised_payloads(stack: &RunningStack) -> String {
    normalised_payloads_of(stack, &stack.slack().messages().await)
}

/// [`normalised_payloads`] of messages already read from the stack's mock.
pub(crate) fn normalised_payloads_of(stack: &RunningStack, messages: &[SlackMessage]) -> String {
    let secrets = stack.plan().spec.secrets();
    let secret_refs: Vec<&SecretString> = secrets.iter().collect();
    redact_secrets(&payloads_yaml(messages), &secret_refs)
}

/// [`normalise_payloads`] as YAML.
pub(crate) fn payloads_yaml(messages: &[SlackMessage]) -> String {
    serde_yaml::to_string(&normalise_payloads(messages)).expect("JSON values always serialize")
}

/// Each message's body with its volatile parts replaced (see the module's documentation),
/// sorted by its normalised text.
pub(crate) fn normalise_payloads(messages: &[SlackMessage]) -> Vec<Value> {
    let mut bodies: Vec<(String, Value)> = messages
        .iter()
        .map(|message| {
            let body = normalise_value(None, &message.body);
            (body.to_string(), body)
        })
        .collect();
    bodies.sort_by(|a, b| a.0.cmp(&b.0));
    bodies.into_iter().map(|(_, body)| body).collect()
}

fn normalise_value(key: Option<&str>, value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(normalise_text(text)),
        Value::Number(_) if key == Some("ts") => Value::String("[ts]".into()),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| normalise_value(key, v)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalise_value(Some(k), v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a valid pattern"))
}

/// `text` with times, run-specific URL hosts and fingerprints replaced by placeholders.
pub(crate) fn normalise_text(text: &str) -> String {
    static TIME: OnceLock<Regex> = OnceLock::new();
    static URL: OnceLock<Regex> = OnceLock::new();
    static FINGERPRINT: OnceLock<Regex> = OnceLock::new();
    let time = regex(
        &TIME,
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z| ?[+-]\d{2}:?\d{2}( [A-Z]{2,5})?)?( m=[+-]\d+\.\d+)?",
    );
    let url = regex(
        &URL,
        r#"(?i)\b([a-z][a-z0-9+.-]*://)(\[[0-9a-f:.]+\]|[^/\s|<>()\[\]'`:?#"*,;]+)(:\d+)?"#,
    );
    let fingerprint = regex(&FINGERPRINT, r"\b[0-9a-f]{16}\b");
    let text = time.replace_all(text, "[time]");
    let text = url.replace_all(&text, |caps: &regex::Captures<'_>| {
        let host = &caps[2];
        let local = caps.get(3).is_some()
            || host.starts_with('[')
            || !host.contains('.')
            || host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::Ipv4Addr>().is_ok()
            || host.to_ascii_lowercase().ends_with(".localhost");
        if local {
            format!("{}[host]", &caps[1])
        } else {
            caps[0].to_string()
        }
    });
    fingerprint.replace_all(&text, "[fingerprint]").into_owned()
}

/// What comparing payloads with a snapshot file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SnapshotMatch {
    /// The file holds exactly these payloads.
    Same,
    /// The file was written (it was missing, or differed, and an update was asked for).
    Recorded,
    /// There is no such file.
    Missing,
    /// The file holds other payloads: a unified diff from the file to these.
    Differs(String),
}

/// Compares `live` (payloads as [`normalised_payloads`] prints them) with the snapshot file
/// at `path`; with `update`, writes `live` there when it is missing or differs.
pub(crate) fn compare_with_file(
    path: &std::path::Path,
    live: &str,
    update: bool,
) -> std::io::Result<SnapshotMatch> {
    let recorded = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if recorded.as_deref() == Some(live) {
        return Ok(SnapshotMatch::Same);
    }
    if update {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, live)?;
        return Ok(SnapshotMatch::Recorded);
    }
    Ok(match recorded {
        None => SnapshotMatch::Missing,
        Some(recorded) => SnapshotMatch::Differs(
            similar::TextDiff::from_lines(recorded.as_str(), live)
                .unified_diff()
                .context_radius(3)
                .header("snapshot", "delivered")
                .to_string(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;
    use std::time::{Duration, UNIX_EPOCH};

    fn message(seq: usize, body: Value) -> SlackMessage {
        SlackMessage {
            seq,
            received_at: UNIX_EPOCH + Duration::from_secs(seq as u64),
            path: "/slack/<redacted>".into(),
            headers: BTreeMap::new(),
            body,
            answered: 200,
            answered_after: None,
        }
    }

    #[test]
    fn alertmanagers_external_url_is_the_same_on_every_backend() {
        for url in [
            "http://vm:46759/#/alerts?receiver=slack",
            "http://3f2a1b9c0d1e:9093/#/alerts?receiver=slack",
            "http://127.0.0.1:9093/#/alerts?receiver=slack",
            "http://[::1]:9093/#/alerts?receiver=slack",
        ] {
            assert_eq!(
                normalise_text(&format!("[FIRING:1] x | {url}")),
                "[FIRING:1] x | http://[host]/#/alerts?receiver=slack"
            );
        }
    }

    #[test]
    fn public_urls_are_kept() {
        let text = "<https://runbooks.example.com/dead-mans-switch|runbook> https://grafana.example.org/d/x";
        assert_eq!(normalise_text(text), text);
    }

    #[test]
    fn times_and_fingerprints_become_placeholders() {
        assert_eq!(
            normalise_text(
                "since 2026-11-25 13:18:25.802 +0000 UTC m=+1.5 (2026-11-25T13:18:25.8Z), id 6e6c3f4a1b2c3d4e"
            ),
            "since [time] ([time]), id [fingerprint]"
        );
        assert_eq!(normalise_text("took 2026 ms"), "took 2026 ms");
    }

    #[test]
    fn payloads_are_sorted_and_their_ts_replaced() {
        let messages = [
            message(1, json!({"text": "b", "attachments": [{"ts": 1795612707}]})),
            message(2, json!({"text": "a", "attachments": []})),
        ];
        let payloads = normalise_payloads(&messages);
        assert_eq!(payloads[0], json!({"text": "a", "attachments": []}));
        assert_eq!(
            payloads[1],
            json!({"text": "b", "attachments": [{"ts": "[ts]"}]})
        );
    }

    #[test]
    fn the_yaml_shows_a_multi_line_text_line_by_line() {
        let yaml = payloads_yaml(&[message(1, json!({"text": "\n*Alert:* x\n *a:* `b`\n\n"}))]);
        assert!(yaml.contains("\n    *Alert:* x\n     *a:* `b`\n"), "{yaml}");
    }

    #[test]
    fn a_snapshot_that_differs_shows_the_changed_line_and_is_rewritten_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t").join("test-0.yaml");
        let before = "- text: |-\n    one\n    two\n";
        let after = "- text: |-\n    one\n    three\n";
        assert_eq!(
            compare_with_file(&path, before, false).unwrap(),
            SnapshotMatch::Missing
        );
        assert!(!path.exists(), "nothing is written unless asked");
        assert_eq!(
            compare_with_file(&path, before, true).unwrap(),
            SnapshotMatch::Recorded
        );
        assert_eq!(
            compare_with_file(&path, before, false).unwrap(),
            SnapshotMatch::Same
        );
        let SnapshotMatch::Differs(diff) = compare_with_file(&path, after, false).unwrap() else {
            panic!("a changed line must differ");
        };
        assert!(
            diff.contains("--- snapshot")
                && diff.contains("+++ delivered")
                && diff.contains("-    two")
                && diff.contains("+    three"),
            "{diff}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }
}
