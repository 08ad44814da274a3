//! What Alertmanager's Slack integration sends for a group of alerts, rendered by
//! Alertmanager's own template engine (`amtool template render`, Alertmanager ≥ 0.25), from
//! the slack configs as the running Alertmanager loaded them (`/api/v2/status`, defaults
//! filled in), and the comparison with a request the Slack mock received.
//!
//! Compared exactly: every field a slack config renders (`channel`, `username`,
//! `icon_emoji`, `icon_url`, and the attachment's `title`, `title_link`, `pretext`, `text`,
//! `fallback`, `callback_id`, `footer`, `color`, `image_url`, `thumb_url`, `fields`).
//! Normalised: the external URL (Alertmanager derives it from its host name, which the
//! harness does not know: any text stands for it), the fractional seconds of printed
//! times (the API gives milliseconds, Alertmanager holds nanoseconds), and a field
//! Alertmanager cut short with `…` (it truncates titles and texts to Slack's limits).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value as Json;
use serde_yaml::Value;

use crate::clients::AmAlert;
use crate::plan::StackPlan;
use crate::slack::SlackMessage;

/// Stands for the external URL in rendered text.
const EXTERNAL_URL: &str = "http://firedrill-external-url.invalid";
/// Separates the fields rendered in one `amtool` call.
const SEPARATOR: &str = "\u{1e}firedrill-field\u{1e}";

/// Top-level fields of Slack's request and their keys in a slack config.
const REQUEST_FIELDS: [&str; 4] = ["channel", "username", "icon_emoji", "icon_url"];
/// Fields of the one attachment Alertmanager sends.
const ATTACHMENT_FIELDS: [&str; 10] = [
    "title",
    "title_link",
    "pretext",
    "text",
    "fallback",
    "callback_id",
    "footer",
    "color",
    "image_url",
    "thumb_url",
];

/// One alert of a notification, as Alertmanager's template data carries it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DataAlert {
    /// `firing` or `resolved`.
    pub(crate) status: &'static str,
    /// Its labels.
    pub(crate) labels: BTreeMap<String, String>,
    /// Its annotations.
    pub(crate) annotations: BTreeMap<String, String>,
    /// `startsAt`, RFC 3339.
    #[serde(rename = "startsAt")]
    pub(crate) starts_at: String,
    /// `endsAt`: the zero time while firing (Alertmanager clears it when it flushes).
    #[serde(rename = "endsAt")]
    pub(crate) ends_at: String,
    /// `generatorURL`.
    #[serde(rename = "generatorURL")]
    pub(crate) generator_url: String,
    /// `fingerprint`.
    pub(crate) fingerprint: String,
}

impl DataAlert {
    /// The zero time, as Go writes it.
    pub(crate) const ZERO_TIME: &'static str = "0001-01-01T00:00:00Z";

    /// The alert as a firing member of a notification.
    pub(crate) fn firing(alert: &AmAlert) -> Self {
        Self {
            status: "firing",
            labels: alert.labels.clone(),
            annotations: alert.annotations.clone(),
            starts_at: alert.starts_at.clone(),
            ends_at: Self::ZERO_TIME.to_string(),
            generator_url: alert.generator_url.clone(),
            fingerprint: alert.fingerprint.clone(),
        }
    }

    /// The alert as a resolved member, resolved at `ends_at` (RFC 3339).
    pub(crate) fn resolved(alert: &AmAlert, ends_at: String) -> Self {
        Self {
            status: "resolved",
            ends_at,
            ..Self::firing(alert)
        }
    }

    /// The `alertname` label.
    pub(crate) fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }
}

/// Alertmanager's template data for one notification (`template.Data`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TemplateData {
    receiver: String,
    status: &'static str,
    alerts: Vec<DataAlert>,
    #[serde(rename = "groupLabels")]
    group_labels: BTreeMap<String, String>,
    #[serde(rename = "commonLabels")]
    common_labels: BTreeMap<String, String>,
    #[serde(rename = "commonAnnotations")]
    common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    external_url: &'static str,
}

impl TemplateData {
    /// The data of a notification of `receiver` for a group with `group_labels` carrying
    /// `alerts`, as Alertmanager builds it: the receiver name regex-quoted, the status
    /// firing while any alert fires, the labels and annotations every alert shares.
    pub(crate) fn new(
        receiver: &str,
        group_labels: &BTreeMap<String, String>,
        alerts: Vec<DataAlert>,
    ) -> Self {
        let common = |get: fn(&DataAlert) -> &BTreeMap<String, String>| {
            let mut common = alerts.first().map(get).cloned().unwrap_or_default();
            for alert in alerts.iter().skip(1) {
                common.retain(|k, v| get(alert).get(k) == Some(v));
            }
            common
        };
        Self {
            receiver: quote_meta(receiver),
            status: if alerts.iter().any(|a| a.status == "firing") {
                "firing"
            } else {
                "resolved"
            },
            group_labels: group_labels.clone(),
            common_labels: common(|a| &a.labels),
            common_annotations: common(|a| &a.annotations),
            alerts,
            external_url: EXTERNAL_URL,
        }
    }

    /// The alerts it carries.
    pub(crate) fn alerts(&self) -> &[DataAlert] {
        &self.alerts
    }

    /// `firing` or `resolved`.
    pub(crate) fn status(&self) -> &'static str {
        self.status
    }
}

/// Go's `regexp.QuoteMeta`, which Alertmanager applies to the receiver's name.
fn quote_meta(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted
}

/// The rendered fields of one slack config: `(path in the request, text)`.
pub(crate) type Rendered = Vec<(String, String)>;

/// Renders slack configs with `amtool template render`.
pub(crate) struct SlackRenderer {
    amtool: PathBuf,
    /// Alertmanager's files at their in-container paths, under this root.
    root: tempfile::TempDir,
    /// `--template.glob` values: the defaults (where the amtool build keeps them in a
    /// file) and the config's `templates`.
    globs: Vec<String>,
}

impl SlackRenderer {
    /// A renderer for the plan's Alertmanager: its files (template files among them) are
    /// written under a temporary root, and its `templates` globs point there.
    pub(crate) fn new(plan: &StackPlan) -> Result<Self, String> {
        let amtool = crate::tools::find_renderer()?;
        let root = tempfile::Builder::new()
            .prefix("firedrill-render-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory for templates: {e}"))?;
        let spec = plan.spec.alertmanager();
        let component = plan
            .components
            .iter()
            .find(|c| c.spec.kind() == crate::spec::ComponentKind::Alertmanager)
            .ok_or("the plan has no alertmanager")?;
        for file in &component.files {
            let target = root.path().join(file.path.trim_start_matches('/'));
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
            }
            std::fs::write(&target, file.content.expose())
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        }
        let mut globs = crate::tools::default_templates(&amtool)
            .into_iter()
            .collect::<Vec<_>>();
        let config_dir = Path::new(&spec.config_path)
            .parent()
            .unwrap_or(Path::new("/"))
            .to_path_buf();
        for glob in spec
            .config
            .get("templates")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let in_container = config_dir.join(glob);
            let relative = in_container.strip_prefix("/").unwrap_or(&in_container);
            globs.push(root.path().join(relative).display().to_string());
        }
        if globs.is_empty() {
            // amtool requires one glob; this one matches nothing.
            globs.push(root.path().join("no-templates-*").display().to_string());
        }
        Ok(Self {
            amtool,
            root,
            globs,
        })
    }

    /// What `config` (a slack config as Alertmanager loaded it) renders for `data`: one
    /// `amtool` run for all fields. A template error is Alertmanager's own error message.
    pub(crate) async fn render(
        &self,
        config: &Value,
        data: &TemplateData,
    ) -> Result<Rendered, String> {
        let mut paths = Vec::new();
        let mut templates = Vec::new();
        for key in REQUEST_FIELDS {
            paths.push(key.to_string());
            templates.push(template_of(config, key));
        }
        for key in ATTACHMENT_FIELDS {
            paths.push(format!("attachments[0].{key}"));
            templates.push(template_of(config, key));
        }
        for (i, field) in config
            .get("fields")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for key in ["title", "value"] {
                paths.push(format!("attachments[0].fields[{i}].{key}"));
                templates.push(template_of(field, key));
            }
        }
        let data_file = self.root.path().join("firedrill-data.json");
        let json = serde_json::to_vec(data).map_err(|e| e.to_string())?;
        std::fs::write(&data_file, json).map_err(|e| format!("cannot write template data: {e}"))?;
        let mut command = tokio::process::Command::new(&self.amtool);
        command.args(["template", "render"]);
        for glob in &self.globs {
            command.arg(format!("--template.glob={glob}"));
        }
        command
            .arg(format!("--template.text={}", templates.join(SEPARATOR)))
            .arg(format!("--template.data={}", data_file.display()));
        let output = command
            .output()
            .await
            .map_err(|e| format!("cannot run {}: {e}", self.amtool.display()))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!(
                "alertmanager's template engine fails on this group: {}",
                stderr.trim().trim_start_matches("amtool: error: ")
            ));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let texts: Vec<&str> = stdout.split(SEPARATOR).collect();
        if texts.len() != paths.len() {
            return Err(format!(
                "amtool rendered {} fields, expected {} (a template prints the separator?)",
                texts.len(),
                paths.len()
            ));
        }
        Ok(paths
            .into_iter()
            .zip(texts.into_iter().map(str::to_string))
            .collect())
    }
}

/// A config's template for `key` (empty when absent).
fn template_of(config: &Value, key: &str) -> String {
    config
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// `Ok` when `message` is exactly what `expected` renders (see the module docs for what is
/// normalised); else the first difference, named by its path in the request.
pub(crate) fn compare(expected: &Rendered, message: &SlackMessage) -> Result<(), String> {
    for (path, want) in expected {
        let got = field(&message.body, path);
        if !same_text(want, got) {
            return Err(format!(
                "{path} is {:?}, alertmanager renders {:?}",
                shorten(got),
                shorten(want)
            ));
        }
    }
    Ok(())
}

/// The string at `path` (`attachments[0].fields[1].title`), empty when absent, as
/// Alertmanager omits empty fields.
fn field<'a>(body: &'a Json, path: &str) -> &'a str {
    let mut value = body;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        value = match value.get(key) {
            Some(v) => v,
            None => return "",
        };
        if let Some(i) = index {
            value = match value.get(i) {
                Some(v) => v,
                None => return "",
            };
        }
    }
    value.as_str().unwrap_or_default()
}

/// Whether `got` is `want` with the external URL standing for any text and fractional
/// seconds of times ignored; or `want` cut short with `…`, as Alertmanager truncates long
/// titles and texts to what Slack accepts.
fn same_text(want: &str, got: &str) -> bool {
    if let Some(kept) = got.strip_suffix('…') {
        if want.chars().count() > got.chars().count()
            && same_text_exactly(
                &want.chars().take(kept.chars().count()).collect::<String>(),
                kept,
            )
        {
            return true;
        }
    }
    same_text_exactly(want, got)
}

fn same_text_exactly(want: &str, got: &str) -> bool {
    let want = without_fractional_seconds(want);
    let got = without_fractional_seconds(got);
    let mut parts = want.split(EXTERNAL_URL);
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = got.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// `12:54:23.461750247` → `12:54:23`: a clock time's fraction dropped.
fn without_fractional_seconds(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let is_clock = |at: usize| {
        at >= 8
            && bytes[at - 8..at].iter().enumerate().all(|(k, b)| {
                if k == 2 || k == 5 {
                    *b == b':'
                } else {
                    b.is_ascii_digit()
                }
            })
    };
    while i < bytes.len() {
        if bytes[i] == b'.' && is_clock(i) && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            continue;
        }
        let c = text[i..].chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn shorten(text: &str) -> String {
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn alert(name: &str, summary: &str) -> DataAlert {
        DataAlert {
            status: "firing",
            labels: labels(&[("alertname", name), ("severity", "info")]),
            annotations: labels(&[("summary", summary)]),
            starts_at: "2026-11-25T12:54:23.461Z".into(),
            ends_at: DataAlert::ZERO_TIME.into(),
            generator_url: "http://prometheus/graph".into(),
            fingerprint: "4d774f9d1e7e42d9".into(),
        }
    }

    #[test]
    fn the_data_holds_what_alertmanager_derives_from_the_group() {
        let mut resolved = alert("B", "b");
        resolved.status = "resolved";
        let data = TemplateData::new(
            "slack.notifications",
            &labels(&[("severity", "info")]),
            vec![alert("A", "a"), resolved],
        );
        assert_eq!(data.receiver, r"slack\.notifications");
        assert_eq!(data.status, "firing");
        assert_eq!(data.common_labels, labels(&[("severity", "info")]));
        assert!(data.common_annotations.is_empty());
        let all_resolved = TemplateData::new("r", &BTreeMap::new(), vec![]);
        assert_eq!(all_resolved.status, "resolved");
    }

    #[test]
    fn the_external_url_stands_for_any_text_and_fractions_of_seconds_are_ignored() {
        let want = format!("{EXTERNAL_URL}/#/alerts?receiver=slack at 12:54:23.461 +0000 UTC");
        assert!(same_text(
            &want,
            "http://vm:9093/#/alerts?receiver=slack at 12:54:23.461750247 +0000 UTC"
        ));
        assert!(!same_text(
            &want,
            "http://vm:9093/#/alerts?receiver=pager at 12:54:23 +0000 UTC"
        ));
        assert!(same_text("exact", "exact"));
        assert!(same_text("a long text", "a lo…"));
        assert!(!same_text("a long text", "a la…"));
        assert!(!same_text("exact", "exact and more"));
        assert!(!same_text("", "something"));
        assert_eq!(
            without_fractional_seconds("v1.2 at 01:02:03.5"),
            "v1.2 at 01:02:03"
        );
    }

    #[test]
    fn a_field_is_found_by_its_path_and_an_absent_one_is_empty() {
        let body = serde_json::json!({
            "channel": "#alerts",
            "attachments": [{"text": "hi", "fields": [{"title": "t", "value": "v"}]}]
        });
        assert_eq!(field(&body, "channel"), "#alerts");
        assert_eq!(field(&body, "attachments[0].text"), "hi");
        assert_eq!(field(&body, "attachments[0].fields[0].value"), "v");
        assert_eq!(field(&body, "attachments[0].title"), "");
        assert_eq!(field(&body, "username"), "");
    }
}
