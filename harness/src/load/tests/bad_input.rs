use std::path::PathBuf;

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

/// `fixtures/manifests/bad/<case>/manifests`, loaded: refused.
fn bad(case: &str) -> InputError {
    load_err(fixture_dir("bad").join(case).join("manifests"))
}

#[test]
fn a_directory_without_manifests_is_rejected_naming_the_directory() {
    let error = bad("no-manifests");
    assert_names(&error, "manifests", None, None);
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
    assert_names(&error, "manifests", None, None);
    assert!(
        error.message.contains("no container runs prometheus"),
        "{error}"
    );
}

#[test]
fn manifests_without_an_alertmanager_container_are_rejected() {
    let error = bad("no-alertmanager");
    assert_names(&error, "manifests", None, None);
    assert!(
        error.message.contains("no container runs alertmanager"),
        "{error}"
    );
}

/// Every case's message, as its `expect.yaml` gives it, from the loader itself (the e2e test
/// `bad_input` checks the command's exit code and output for every case). A case whose
/// `expect.yaml` makes files at run time (`make`) is left to that test and the unit tests of
/// `broken_files`.
#[test]
fn every_bad_fixture_is_refused_with_the_message_its_expect_yaml_gives() {
    let dir = fixture_dir("bad");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    for case in cases {
        let path = case.join("expect.yaml");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expect: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if expect.get("make").is_some() {
            continue;
        }
        let message = expect
            .get("message")
            .and_then(serde_yaml::Value::as_str)
            .unwrap_or_else(|| panic!("{}: no `message`", path.display()));
        let error = load_err(case.join("manifests")).to_string();
        assert!(
            error.contains(message),
            "{}: `{message}` is not in: {error}",
            case.display()
        );
    }
}
