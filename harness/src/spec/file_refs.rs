//! The files a Prometheus or Alertmanager config names: Alertmanager's `templates`, the
//! `file_sd_configs` files, and every `*_file` key (`bearer_token_file`, `password_file`,
//! `credentials_file`, `tls_config.ca_file`, ...), wherever it sits in the config.
//!
//! Shared by the loader (every named file must be mounted) and the planner (every path is
//! pointed at where the backend puts the file). `rule_files` are not listed here: they are
//! parsed as rules and handled with them.

use serde_yaml::Value;

/// Files Kubernetes itself puts in every pod (the service account's token and CA), with no
/// volume in the manifests: neither a mounted file nor bad input. They exist on the kube
/// backend only; elsewhere a scrape that needs them fails and says so.
const KUBERNETES_PROVIDED: [&str; 2] = [
    "/var/run/secrets/kubernetes.io/",
    "/run/secrets/kubernetes.io/",
];

/// Which config a file reference is in: the two name their files under different keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigFormat {
    /// Prometheus's main config.
    Prometheus,
    /// Alertmanager's config.
    Alertmanager,
}

/// One file reference inside a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileRef {
    /// Where it sits (`receivers[0].webhook_configs[0].http_config.tls_config.ca_file`).
    pub key: String,
    /// The path as written: absolute, or relative to the config file's directory.
    pub written: String,
    /// A `*`/`?` glob (`templates`, `file_sd_configs` files): it may match nothing.
    pub glob: bool,
    /// The files hold scrape targets (`file_sd_configs`), which are addresses.
    pub targets: bool,
}

/// Every file reference in `root`, in document order.
pub(crate) fn file_refs(root: &Value, format: ConfigFormat) -> Vec<FileRef> {
    let mut refs = Vec::new();
    let mut copy = root.clone();
    rewrite_file_refs(&mut copy, format, &mut |r| {
        refs.push(r.clone());
        None
    });
    refs
}

/// Calls `visit` with every file reference in `root`; a returned path replaces the written one.
pub(crate) fn rewrite_file_refs(
    root: &mut Value,
    format: ConfigFormat,
    visit: &mut dyn FnMut(&FileRef) -> Option<String>,
) {
    walk(root, "", format, visit);
}

fn walk(
    value: &mut Value,
    path: &str,
    format: ConfigFormat,
    visit: &mut dyn FnMut(&FileRef) -> Option<String>,
) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map.iter_mut() {
                let Some(key) = key.as_str() else {
                    continue;
                };
                let child_path = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                let top = path.is_empty();
                let in_file_sd = path
                    .rsplit('.')
                    .next()
                    .is_some_and(|last| last.starts_with("file_sd_configs["));
                if top && format == ConfigFormat::Prometheus && is_rules_key(key) {
                    continue;
                }
                if (top && format == ConfigFormat::Alertmanager && key == "templates")
                    || (in_file_sd && key == "files")
                {
                    visit_list(child, &child_path, in_file_sd, visit);
                } else if key.ends_with("_file") && child.is_string() {
                    if !is_excluded(format, path, key) {
                        visit_one(child, child_path, false, false, visit);
                    }
                } else {
                    walk(child, &child_path, format, visit);
                }
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, &format!("{path}[{i}]"), format, visit);
            }
        }
        Value::Tagged(tagged) => walk(&mut tagged.value, path, format, visit),
        _ => {}
    }
}

/// Keys whose files are not plain references: rule files (parsed and planned as rules) and
/// scrape config files (configs of their own).
fn is_rules_key(key: &str) -> bool {
    key == "rule_files" || key == "scrape_config_files"
}

/// Keys ending in `_file` that name no input file: Prometheus's query log (an output) and
/// Alertmanager's Slack URL files (replaced by the Slack mock's URL).
fn is_excluded(format: ConfigFormat, parent: &str, key: &str) -> bool {
    match format {
        ConfigFormat::Prometheus => key == "query_log_file",
        ConfigFormat::Alertmanager => {
            key == "slack_api_url_file"
                || (key == "api_url_file" && parent.contains("slack_configs["))
        }
    }
}

fn visit_list(
    list: &mut Value,
    path: &str,
    targets: bool,
    visit: &mut dyn FnMut(&FileRef) -> Option<String>,
) {
    let Some(items) = list.as_sequence_mut() else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        if item.is_string() {
            visit_one(item, format!("{path}[{i}]"), true, targets, visit);
        }
    }
}

fn visit_one(
    value: &mut Value,
    key: String,
    glob: bool,
    targets: bool,
    visit: &mut dyn FnMut(&FileRef) -> Option<String>,
) {
    let Some(written) = value.as_str() else {
        return;
    };
    if KUBERNETES_PROVIDED.iter().any(|p| written.starts_with(p)) {
        return;
    }
    let found = FileRef {
        key,
        written: written.to_string(),
        glob,
        targets,
    };
    if let Some(replacement) = visit(&found) {
        *value = Value::from(replacement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_account_files_kubernetes_provides_are_no_file_reference() {
        let found = refs(
            "scrape_configs:\n- job_name: k\n  bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token\n  tls_config:\n    ca_file: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n",
            ConfigFormat::Prometheus,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    fn refs(yaml: &str, format: ConfigFormat) -> Vec<(String, String, bool)> {
        let value: Value = serde_yaml::from_str(yaml).unwrap();
        file_refs(&value, format)
            .into_iter()
            .map(|r| (r.key, r.written, r.glob))
            .collect()
    }

    #[test]
    fn alertmanager_templates_and_every_file_key_are_references_but_slack_url_files_are_not() {
        let found = refs(
            "global:\n  slack_api_url_file: /s/url\n  http_config:\n    tls_config: {ca_file: /etc/am/ca.pem}\n\
             templates: ['/etc/am/*.tmpl', 'extra.tmpl']\n\
             receivers:\n- name: r\n  slack_configs:\n  - api_url_file: /s/url2\n    http_config: {bearer_token_file: /etc/am/token}\n\
             \x20 webhook_configs:\n  - url_file: /etc/am/hook\n",
            ConfigFormat::Alertmanager,
        );
        let expected = vec![
            (
                "global.http_config.tls_config.ca_file".to_string(),
                "/etc/am/ca.pem".to_string(),
                false,
            ),
            ("templates[0]".into(), "/etc/am/*.tmpl".into(), true),
            ("templates[1]".into(), "extra.tmpl".into(), true),
            (
                "receivers[0].slack_configs[0].http_config.bearer_token_file".into(),
                "/etc/am/token".into(),
                false,
            ),
            (
                "receivers[0].webhook_configs[0].url_file".into(),
                "/etc/am/hook".into(),
                false,
            ),
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn prometheus_file_sd_files_and_auth_files_are_references_but_rule_files_and_the_query_log_are_not(
    ) {
        let value: Value = serde_yaml::from_str(
            "global: {query_log_file: /prometheus/q.log}\n\
             rule_files: ['/etc/p/*.yaml']\n\
             scrape_configs:\n- job_name: a\n  bearer_token_file: /etc/p/token\n  basic_auth: {username: u, password_file: /etc/p/pw}\n  \
             file_sd_configs:\n  - files: ['/etc/p/sd/*.json']\n",
        )
        .unwrap();
        let found = file_refs(&value, ConfigFormat::Prometheus);
        let shown: Vec<(&str, &str, bool, bool)> = found
            .iter()
            .map(|r| (r.key.as_str(), r.written.as_str(), r.glob, r.targets))
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    "scrape_configs[0].bearer_token_file",
                    "/etc/p/token",
                    false,
                    false
                ),
                (
                    "scrape_configs[0].basic_auth.password_file",
                    "/etc/p/pw",
                    false,
                    false
                ),
                (
                    "scrape_configs[0].file_sd_configs[0].files[0]",
                    "/etc/p/sd/*.json",
                    true,
                    true
                ),
            ]
        );
    }

    #[test]
    fn a_rewritten_reference_replaces_the_written_path_and_nothing_else() {
        let mut value: Value =
            serde_yaml::from_str("templates: ['/etc/am/*.tmpl']\nroute: {receiver: r}\n").unwrap();
        rewrite_file_refs(&mut value, ConfigFormat::Alertmanager, &mut |r| {
            Some(format!("/work{}", r.written))
        });
        assert_eq!(
            serde_yaml::to_string(&value).unwrap(),
            "templates:\n- /work/etc/am/*.tmpl\nroute:\n  receiver: r\n"
        );
    }
}
