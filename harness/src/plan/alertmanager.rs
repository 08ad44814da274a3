//! Alertmanager's effective configuration: every Slack URL pointed at the mock, the root
//! route's timers and `resolve_timeout` scaled, `templates` and every `*_file` key pointed at
//! where the backend puts the files.

use serde_yaml::{Mapping, Value};

use super::changes::{Change, ChangeLog};
use super::file_refs::translate_file_refs;
use super::time_scale::{mapping_mut, scale_key};
use super::{Placement, PlannedFile};
use crate::secret::SecretString;
use crate::spec::file_refs::ConfigFormat;
use crate::spec::{AlertmanagerSpec, ComponentSpec, FileContent};
use crate::time::PromDuration;

/// The rewritten config file. `slack_base` is the mock's base URL as Alertmanager reaches it.
pub(crate) fn plan_alertmanager(
    me: &ComponentSpec,
    alertmanager: &AlertmanagerSpec,
    placement: &dyn Placement,
    slack_base: &str,
    scale: f64,
    changes: &mut Vec<Change>,
) -> PlannedFile {
    let mut config = alertmanager.config.clone();
    let mut log = ChangeLog {
        component: &me.name,
        file: &alertmanager.config_path,
        changes,
    };
    if let Some(root) = config.as_mapping_mut() {
        let global = mapping_mut(root, "global");
        scale_key(
            global,
            "resolve_timeout",
            "global",
            scale,
            Some(PromDuration::from_secs(300)),
            &mut log,
        );
        point_at_mock(
            global,
            "slack_api_url",
            "global",
            &format!("{slack_base}/slack/global"),
            &mut log,
        );

        if let Some(route) = root.get_mut("route").and_then(Value::as_mapping_mut) {
            scale_route(route, "route", scale, true, &mut log);
        }

        if let Some(receivers) = root.get_mut("receivers").and_then(Value::as_sequence_mut) {
            for (i, receiver) in receivers.iter_mut().enumerate() {
                let name = receiver
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("receiver")
                    .to_string();
                let Some(slack_configs) = receiver
                    .get_mut("slack_configs")
                    .and_then(Value::as_sequence_mut)
                else {
                    continue;
                };
                for (j, slack) in slack_configs.iter_mut().enumerate() {
                    let Some(slack) = slack.as_mapping_mut() else {
                        continue;
                    };
                    let path = format!("receivers[{i}].slack_configs[{j}]");
                    let url = format!("{slack_base}/slack/{}/{j}", url_segment(&name));
                    point_at_mock(slack, "api_url", &path, &url, &mut log);
                }
            }
        }
    }
    translate_file_refs(
        &mut config,
        ConfigFormat::Alertmanager,
        me,
        placement,
        &mut log,
    );
    PlannedFile {
        path: alertmanager.config_path.clone(),
        content: FileContent::Secret(SecretString::new(
            serde_yaml::to_string(&config)
                .expect("a value the loader read serializes: it refuses keys that do not"),
        )),
    }
}

/// Replaces `key` (or `key_file`) with the mock's URL; a Slack config with neither keeps
/// using the global URL, which points at the mock too.
fn point_at_mock(
    map: &mut Mapping,
    key: &str,
    path: &str,
    mock_url: &str,
    log: &mut ChangeLog<'_>,
) {
    let file_key = format!("{key}_file");
    let had_file = map.remove(file_key.as_str()).is_some();
    if map.contains_key(key) || had_file || key == "slack_api_url" {
        let from = if map.contains_key(key) || had_file {
            SecretString::REDACTED.to_string()
        } else {
            "<absent>".to_string()
        };
        let shown_key = if had_file { file_key.as_str() } else { key };
        log.record(format!("{path}.{shown_key}"), "slack mock", from, mock_url);
        map.insert(Value::from(key), Value::from(mock_url));
    }
}

fn scale_route(route: &mut Mapping, path: &str, scale: f64, root: bool, log: &mut ChangeLog<'_>) {
    let defaults = |secs| root.then_some(PromDuration::from_secs(secs));
    scale_key(route, "group_wait", path, scale, defaults(30), log);
    scale_key(route, "group_interval", path, scale, defaults(300), log);
    scale_key(
        route,
        "repeat_interval",
        path,
        scale,
        defaults(4 * 3600),
        log,
    );
    if let Some(children) = route.get_mut("routes").and_then(Value::as_sequence_mut) {
        for (i, child) in children.iter_mut().enumerate() {
            if let Some(child) = child.as_mapping_mut() {
                scale_route(child, &format!("{path}.routes[{i}]"), scale, false, log);
            }
        }
    }
}

fn url_segment(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
