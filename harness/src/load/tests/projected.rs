//! Projected volumes (`fixtures/manifests/projected/`) and their bad inputs; the helpers
//! here serve the `envFrom` tests too.

use std::path::Path;

use super::{fixture_dir, load_err, load_ok};
use crate::error::InputError;
use crate::spec::{ComponentKind, ComponentSpec, FileContent, StackSpec};

/// The projected variant copied into a temp dir, with `from` replaced by `to` in its
/// Deployment.
pub(super) fn projected_with(from: &str, to: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = fixture_dir("projected");
    for entry in std::fs::read_dir(&source).expect("the projected fixture") {
        let path = entry.expect("an entry").path();
        let mut text = std::fs::read_to_string(&path).expect("a text file");
        if path.file_name() == Some("prometheus-deployment.yaml".as_ref()) {
            assert!(text.contains(from), "`{from}` is not in {}", path.display());
            text = text.replace(from, to);
        }
        std::fs::write(dir.path().join(path.file_name().unwrap()), text).expect("written");
    }
    let path = dir.path().to_path_buf();
    (dir, path)
}

/// The projected variant, with `from` replaced by `to` in its Deployment, loaded.
pub(super) fn loaded_with(from: &str, to: &str) -> StackSpec {
    let (_dir, path) = projected_with(from, to);
    load_ok(path)
}

/// Asserts the projected variant, with `from` replaced by `to` in its Deployment, is rejected
/// naming the Deployment and `key`; returns the error.
pub(super) fn rejected_at(from: &str, to: &str, key: &str) -> InputError {
    let (_dir, path) = projected_with(from, to);
    let error = load_err(path);
    assert_eq!(
        (
            error.file.file_name(),
            error.resource.as_deref(),
            error.key.as_deref()
        ),
        (
            Some(Path::new("prometheus-deployment.yaml").as_os_str()),
            Some("Deployment/prometheus-deployment"),
            Some(key)
        ),
        "{error}"
    );
    error
}

#[test]
fn a_projected_volume_merges_the_files_of_its_config_map_sources() {
    let spec = load_ok(fixture_dir("projected"));
    let prometheus = spec.prometheus();
    assert_eq!(prometheus.config_path, "/etc/prometheus/prometheus.yaml");
    let rules: Vec<&str> = prometheus
        .alert_rules()
        .map(|(_, r)| r.alert.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(rules, vec!["DeadMansSwitch"]);
}

#[test]
fn a_projected_secret_source_is_named_by_name_and_carries_alertmanagers_config() {
    let spec = load_ok(fixture_dir("projected"));
    let alertmanager = spec.alertmanager();
    assert_eq!(alertmanager.route_receiver, "slack-notifications");
    let slack = &alertmanager
        .receiver("slack-notifications")
        .expect("the seed's receiver")
        .slack;
    assert_eq!(slack.len(), 1, "{slack:?}");
}

#[test]
fn a_projected_source_naming_a_missing_secret_is_rejected_naming_the_source() {
    let error = rejected_at(
        "name: alertmanager-secret",
        "name: alertmanager-sekret",
        "spec.template.spec.volumes[alertmanager-files].projected.sources[0].secret.name",
    );
    assert!(error.message.contains("`alertmanager-sekret`"), "{error}");
}

#[test]
fn a_projected_item_naming_a_missing_key_is_rejected_naming_the_item() {
    let error = rejected_at(
        "key: rules.yaml",
        "key: rulez.yaml",
        "spec.template.spec.volumes[prometheus-files].projected.sources[2].configMap.items[rulez.yaml].key",
    );
    assert!(
        error.message.contains("rules.yaml"),
        "lists the keys: {error}"
    );
}

/// Each file of `component` under `dir`: its path, the resource it came from and whether it
/// is secret.
fn files_under<'s>(component: &'s ComponentSpec, dir: &str) -> Vec<(&'s str, &'s str, bool)> {
    component
        .files
        .iter()
        .filter(|f| f.path.starts_with(dir))
        .map(|f| {
            let secret = matches!(f.content, FileContent::Secret(_));
            (f.path.as_str(), f.origin.resource.as_str(), secret)
        })
        .collect()
}

fn component(spec: &StackSpec, kind: ComponentKind) -> &ComponentSpec {
    spec.component(kind).expect("the component")
}

/// Prometheus's two files, as the projected variant mounts them.
const PROMETHEUS_FILES: [(&str, &str, bool); 2] = [
    (
        "/etc/prometheus/prometheus.yaml",
        "ConfigMap/prometheus-config",
        false,
    ),
    (
        "/etc/prometheus/rules.yaml",
        "ConfigMap/prometheus-config",
        false,
    ),
];

#[test]
fn a_projected_volume_merges_the_files_of_its_config_map_and_secret_sources() {
    let spec = loaded_with(
        "              - secret:\n                  name: alertmanager-secret\n",
        "              - secret:\n                  name: alertmanager-secret\n              - configMap:\n                  name: prometheus-config\n                  items:\n                    - key: rules.yaml\n                      path: extra/rules.yaml\n",
    );
    assert_eq!(
        files_under(component(&spec, ComponentKind::Alertmanager), "/etc/"),
        vec![
            (
                "/etc/alertmanager/alertmanager.yaml",
                "Secret/alertmanager-secret",
                true
            ),
            (
                "/etc/alertmanager/extra/rules.yaml",
                "ConfigMap/prometheus-config",
                false
            ),
        ]
    );
    assert_eq!(spec.alertmanager().route_receiver, "slack-notifications");
}

/// Asserts Prometheus still sees just its two files when its projected volume also has
/// `source` (YAML of one `sources[]` entry).
fn prometheus_files_are_unchanged_with(source: &str) {
    let downward = "              - downwardAPI:\n";
    let spec = loaded_with(downward, &format!("{source}{downward}"));
    let prometheus = component(&spec, ComponentKind::Prometheus);
    assert_eq!(files_under(prometheus, "/"), PROMETHEUS_FILES);
}

#[test]
fn downward_api_and_service_account_token_sources_add_no_files() {
    prometheus_files_are_unchanged_with(
        "              - serviceAccountToken:\n                  path: token\n                  expirationSeconds: 3600\n",
    );
}

#[test]
fn a_projected_volume_with_only_a_downward_api_source_mounts_nothing() {
    let spec = loaded_with(
        "          configMap:\n            name: grafana-config\n",
        "          projected:\n            sources:\n              - downwardAPI:\n                  items:\n                    - path: labels\n                      fieldRef:\n                        fieldPath: metadata.labels\n",
    );
    assert_eq!(
        files_under(component(&spec, ComponentKind::Grafana), "/"),
        []
    );
    assert!(spec.grafana().expect("grafana").datasources.is_empty());
}

#[test]
fn an_optional_projected_source_naming_a_missing_config_map_is_left_out() {
    prometheus_files_are_unchanged_with(
        "              - configMap:\n                  name: nowhere\n                  optional: true\n",
    );
}
