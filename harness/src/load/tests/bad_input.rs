use std::path::Path;

use super::{fixture_dir, load_err};
use crate::error::InputError;

/// Asserts the error's file name, resource and key, printing the whole error otherwise.
fn assert_names(error: &InputError, file_name: &str, resource: Option<&str>, key: Option<&str>) {
    let actual_file = error.file.file_name().and_then(|f| f.to_str());
    assert_eq!(
        (actual_file, error.resource.as_deref(), error.key.as_deref()),
        (Some(file_name), resource, key),
        "error: {error}"
    );
    let first = error.message.chars().next().unwrap_or(' ');
    assert!(
        !first.is_uppercase(),
        "messages are lowercase fragments: {error}"
    );
}

fn bad(case: &str) -> InputError {
    load_err(fixture_dir("bad").join(case))
}

#[test]
fn a_directory_without_manifests_is_rejected_naming_the_directory() {
    let error = bad("no-manifests");
    assert_names(&error, "no-manifests", None, None);
    assert!(
        error.message.contains("no kubernetes manifests")
            || error.message.contains("no Kubernetes manifests"),
        "{error}"
    );
}

#[test]
fn a_missing_directory_is_rejected_naming_the_directory() {
    let error = load_err(fixture_dir("bad").join("does-not-exist"));
    assert_names(&error, "does-not-exist", None, None);
    assert!(error.message.contains("does not exist"), "{error}");
}

#[test]
fn invalid_yaml_is_rejected_naming_the_file_and_line() {
    let error = bad("invalid-yaml");
    assert_names(&error, "echo-service.yaml", None, None);
    assert!(error.message.contains("line 10"), "{error}");
}

#[test]
fn a_volume_referencing_a_missing_config_map_is_rejected_naming_the_volume() {
    let error = bad("missing-configmap");
    assert_names(
        &error,
        "prometheus-deployment.yaml",
        Some("Deployment/prometheus-deployment"),
        Some("spec.template.spec.volumes[config-volume].configMap.name"),
    );
    assert!(error.message.contains("`prometheus-konfig`"), "{error}");
}

#[test]
fn bad_base64_in_a_secret_is_rejected_without_showing_the_value() {
    let error = bad("bad-base64");
    assert_names(
        &error,
        "grafana-secret.yaml",
        Some("Secret/grafana-secret"),
        Some("data.password"),
    );
    assert!(
        !error.to_string().contains("YWRta"),
        "the secret value leaked: {error}"
    );
    assert!(error.message.contains("base64"), "{error}");
}

#[test]
fn an_unknown_duration_is_rejected_naming_the_rule_key() {
    let error = bad("unknown-duration");
    assert_names(
        &error,
        "prometheus-config.yaml",
        Some("ConfigMap/prometheus-config"),
        Some("rules.yaml: groups[0].rules[0].for"),
    );
    assert!(error.message.contains("`1 minute`"), "{error}");
}

#[test]
fn a_rule_file_not_in_the_config_map_is_rejected_naming_the_rule_files_entry() {
    let error = bad("missing-rule-file");
    assert_names(
        &error,
        "prometheus-config.yaml",
        Some("ConfigMap/prometheus-config"),
        Some("prometheus.yaml: rule_files[0]"),
    );
    assert!(
        error.message.contains("/etc/prometheus/alerts.yaml"),
        "{error}"
    );
    assert!(
        error.message.contains("/etc/prometheus/rules.yaml"),
        "should list what is mounted: {error}"
    );
}

#[test]
fn a_secret_key_ref_to_a_missing_key_is_rejected_naming_the_reference() {
    let error = bad("missing-secret-key");
    assert_names(
        &error,
        "prometheus-deployment.yaml",
        Some("Deployment/prometheus-deployment"),
        Some("spec.template.spec.containers[grafana].env[GF_SECURITY_ADMIN_PASSWORD].valueFrom.secretKeyRef.key"),
    );
    assert!(error.message.contains("`admin-password`"), "{error}");
    assert!(
        error.message.contains("password, username"),
        "should list the keys: {error}"
    );
}

#[test]
fn a_secret_key_ref_to_a_missing_secret_is_rejected_naming_the_reference() {
    let error = bad("missing-secret");
    assert_names(
        &error,
        "prometheus-deployment.yaml",
        Some("Deployment/prometheus-deployment"),
        Some("spec.template.spec.containers[grafana].env[GF_SECURITY_ADMIN_USER].valueFrom.secretKeyRef.name"),
    );
    assert!(error.message.contains("`grafana-secret`"), "{error}");
}

#[test]
fn a_route_to_an_undefined_receiver_is_rejected_naming_the_key() {
    let error = bad("undefined-receiver");
    assert_names(
        &error,
        "alertmanager-secret.yaml",
        Some("Secret/alertmanager-secret"),
        Some("alertmanager.yaml: route.receiver"),
    );
    assert!(
        error.message.contains("`pager`") && error.message.contains("slack-notifications"),
        "{error}"
    );
    assert!(
        !error.to_string().contains("hooks.slack.com"),
        "the webhook leaked: {error}"
    );
}

#[test]
fn manifests_without_a_prometheus_container_are_rejected() {
    let error = bad("no-prometheus");
    assert_names(&error, "no-prometheus", None, None);
    assert!(
        error.message.contains("no container runs prometheus"),
        "{error}"
    );
}

#[test]
fn manifests_without_an_alertmanager_container_are_rejected() {
    let error = bad("no-alertmanager");
    assert_names(&error, "no-alertmanager", None, None);
    assert!(
        error.message.contains("no container runs alertmanager"),
        "{error}"
    );
}

#[test]
fn every_bad_fixture_is_covered_by_a_test() {
    let dir = fixture_dir("bad");
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let source = include_str!("bad_input.rs");
    let uncovered: Vec<&String> = cases
        .iter()
        .filter(|c| !source.contains(&format!("bad(\"{c}\")")))
        .collect();
    assert!(
        uncovered.is_empty(),
        "fixtures without a test: {uncovered:?} (in {})",
        Path::new(&dir).display()
    );
}
