//! `envFrom` (`fixtures/manifests/projected/`): every key of a ConfigMap or Secret as a
//! variable, and its bad inputs.

use super::projected::{loaded_with, projected_with, rejected_at};
use super::{fixture_dir, load_ok};
use crate::spec::{ComponentKind, EnvValue, StackSpec};

/// Whether Grafana's variable `name` is secret; `None` when it is not set.
fn grafana_env_is_secret(spec: &StackSpec, name: &str) -> Option<bool> {
    let component = spec.component(ComponentKind::Grafana).expect("grafana");
    let value = component.env_var(name)?;
    Some(matches!(value, EnvValue::Secret(_)))
}

/// The projected variant's one `envFrom` entry: its Secret `grafana-admin`, with a prefix.
const SECRET_ENTRY: &str = "            - prefix: GF_SECURITY_ADMIN_\n              secretRef:\n                name: grafana-admin\n";

/// An `envFrom` entry naming [`OVERRIDES`].
const OVERRIDES_ENTRY: &str =
    "            - configMapRef:\n                name: grafana-overrides\n";

/// A ConfigMap whose keys are whole variable names (no prefix needed).
const OVERRIDES: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: grafana-overrides\ndata:\n  GF_SECURITY_ADMIN_USER: override-admin\n";

/// The projected variant whose Grafana takes these `envFrom` entries, with [`OVERRIDES`]
/// defined.
fn spec_with_env_from(entries: &[&str]) -> StackSpec {
    let (_dir, path) = projected_with(SECRET_ENTRY, &entries.concat());
    std::fs::write(path.join("grafana-overrides.yaml"), OVERRIDES).expect("written");
    load_ok(path)
}

#[test]
fn grafanas_credentials_come_from_env_from_with_its_prefix_and_stay_secret() {
    let spec = load_ok(fixture_dir("projected"));
    let grafana = spec.grafana().expect("grafana");
    assert_eq!(grafana.admin_user, "projected-admin");
    assert_eq!(grafana.admin_password.expose(), "envfrom-s3cret-pass");
    assert_eq!(
        grafana_env_is_secret(&spec, "GF_SECURITY_ADMIN_PASSWORD"),
        Some(true),
        "a Secret's value stays secret in the env"
    );
    assert!(
        !format!("{spec:?}").contains("envfrom-s3cret"),
        "the password leaked into Debug output"
    );
}

#[test]
fn an_explicit_env_entry_wins_over_env_from() {
    let spec = loaded_with(
        "          envFrom:\n",
        "          env:\n            - name: GF_SECURITY_ADMIN_USER\n              value: explicit\n          envFrom:\n",
    );
    assert_eq!(spec.grafana().expect("grafana").admin_user, "explicit");
    let users = spec
        .component(ComponentKind::Grafana)
        .expect("grafana")
        .env
        .iter()
        .filter(|v| v.name == "GF_SECURITY_ADMIN_USER")
        .count();
    assert_eq!(users, 1, "one variable per name");
}

#[test]
fn env_from_a_missing_secret_is_rejected_naming_the_reference() {
    let error = rejected_at(
        "name: grafana-admin",
        "name: grafana-admins",
        "spec.template.spec.containers[grafana].envFrom[0].secretRef.name",
    );
    assert!(error.message.contains("`grafana-admins`"), "{error}");
    assert!(
        error.message.contains(
            "one of: alertmanager-secret, grafana-admin (a Secret created outside the manifests \
             can be given with --secret [NAMESPACE/]NAME:KEY=FILE)"
        ),
        "lists the Secrets and says how to give one: {error}"
    );
}

#[test]
fn an_optional_env_from_a_missing_config_map_is_left_out() {
    let spec = loaded_with(
        "          envFrom:\n",
        "          envFrom:\n            - configMapRef:\n                name: nowhere\n                optional: true\n",
    );
    assert_eq!(
        spec.grafana().expect("grafana").admin_user,
        "projected-admin"
    );
}

#[test]
fn a_later_env_from_source_wins_over_an_earlier_one() {
    let spec = spec_with_env_from(&[SECRET_ENTRY, OVERRIDES_ENTRY]);
    assert_eq!(
        spec.grafana().expect("grafana").admin_user,
        "override-admin"
    );
    assert_eq!(
        grafana_env_is_secret(&spec, "GF_SECURITY_ADMIN_USER"),
        Some(false),
        "a ConfigMap's value is plain"
    );
    assert_eq!(
        grafana_env_is_secret(&spec, "GF_SECURITY_ADMIN_PASSWORD"),
        Some(true),
        "the Secret's other key is kept, and secret"
    );
    let spec = spec_with_env_from(&[OVERRIDES_ENTRY, SECRET_ENTRY]);
    assert_eq!(
        spec.grafana().expect("grafana").admin_user,
        "projected-admin"
    );
}

#[test]
fn env_from_a_missing_config_map_is_rejected_listing_the_config_maps() {
    let error = rejected_at(
        SECRET_ENTRY,
        &format!("{SECRET_ENTRY}            - configMapRef:\n                name: nowhere\n"),
        "spec.template.spec.containers[grafana].envFrom[1].configMapRef.name",
    );
    assert!(
        error.message.contains("no ConfigMap named `nowhere`"),
        "{error}"
    );
    assert!(
        error
            .message
            .ends_with("one of: grafana-config, prometheus-config"),
        "lists the ConfigMaps: {error}"
    );
}
