//! Projected volumes and `envFrom` (`fixtures/manifests/projected/`), and their bad inputs.

use std::path::Path;

use super::{fixture_dir, load_err, load_ok};
use crate::error::InputError;
use crate::spec::{EnvValue, StackSpec};

/// The projected variant copied into a temp dir, with `from` replaced by `to` in its
/// Deployment.
fn projected_with(from: &str, to: &str) -> (tempfile::TempDir, std::path::PathBuf) {
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

fn key_of(error: &InputError) -> &str {
    error.key.as_deref().unwrap_or_default()
}

fn in_deployment(error: &InputError) {
    assert_eq!(
        (error.file.file_name(), error.resource.as_deref()),
        (
            Some(Path::new("prometheus-deployment.yaml").as_os_str()),
            Some("Deployment/prometheus-deployment")
        ),
        "{error}"
    );
}

fn grafana_env<'s>(spec: &'s StackSpec, name: &str) -> Option<&'s EnvValue> {
    spec.component(crate::spec::ComponentKind::Grafana)
        .expect("grafana")
        .env_var(name)
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
fn grafanas_credentials_come_from_env_from_with_its_prefix_and_stay_secret() {
    let spec = load_ok(fixture_dir("projected"));
    let grafana = spec.grafana().expect("grafana");
    assert_eq!(grafana.admin_user, "projected-admin");
    assert_eq!(grafana.admin_password.expose(), "envfrom-s3cret-pass");
    assert!(
        matches!(
            grafana_env(&spec, "GF_SECURITY_ADMIN_PASSWORD"),
            Some(EnvValue::Secret(_))
        ),
        "a Secret's value stays secret in the env"
    );
    assert!(
        !format!("{spec:?}").contains("envfrom-s3cret"),
        "the password leaked into Debug output"
    );
}

#[test]
fn an_explicit_env_entry_wins_over_env_from() {
    let (_dir, path) = projected_with(
        "          envFrom:\n",
        "          env:\n            - name: GF_SECURITY_ADMIN_USER\n              value: explicit\n          envFrom:\n",
    );
    let spec = load_ok(path);
    assert_eq!(spec.grafana().expect("grafana").admin_user, "explicit");
    let users = spec
        .component(crate::spec::ComponentKind::Grafana)
        .expect("grafana")
        .env
        .iter()
        .filter(|v| v.name == "GF_SECURITY_ADMIN_USER")
        .count();
    assert_eq!(users, 1, "one variable per name");
}

#[test]
fn env_from_a_missing_secret_is_rejected_naming_the_reference() {
    let (_dir, path) = projected_with("name: grafana-admin", "name: grafana-admins");
    let error = load_err(path);
    in_deployment(&error);
    assert_eq!(
        key_of(&error),
        "spec.template.spec.containers[grafana].envFrom[0].secretRef.name"
    );
    assert!(error.message.contains("`grafana-admins`"), "{error}");
    assert!(
        error
            .message
            .ends_with("one of: alertmanager-secret, grafana-admin"),
        "lists the Secrets: {error}"
    );
}

#[test]
fn an_optional_env_from_a_missing_config_map_is_left_out() {
    let (_dir, path) = projected_with(
        "          envFrom:\n",
        "          envFrom:\n            - configMapRef:\n                name: nowhere\n                optional: true\n",
    );
    let spec = load_ok(path);
    assert_eq!(
        spec.grafana().expect("grafana").admin_user,
        "projected-admin"
    );
}

#[test]
fn a_projected_source_naming_a_missing_secret_is_rejected_naming_the_source() {
    let (_dir, path) = projected_with("name: alertmanager-secret", "name: alertmanager-sekret");
    let error = load_err(path);
    in_deployment(&error);
    assert_eq!(
        key_of(&error),
        "spec.template.spec.volumes[alertmanager-files].projected.sources[0].secret.name"
    );
    assert!(error.message.contains("`alertmanager-sekret`"), "{error}");
}

#[test]
fn a_projected_item_naming_a_missing_key_is_rejected_naming_the_item() {
    let (_dir, path) = projected_with("key: rules.yaml", "key: rulez.yaml");
    let error = load_err(path);
    in_deployment(&error);
    assert_eq!(
        key_of(&error),
        "spec.template.spec.volumes[prometheus-files].projected.sources[2].configMap.items[rulez.yaml].key"
    );
    assert!(
        error.message.contains("rules.yaml"),
        "lists the keys: {error}"
    );
}
