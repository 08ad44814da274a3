//! Files that are no manifests, and YAML no component reads: refused naming the file (and
//! the resource and key where there is one) before they cost time or memory, never a panic.

use std::path::Path;

use super::{load_err, seed_dir};
use crate::error::InputError;

/// A temp dir holding `files` (name, bytes).
fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("written");
    }
    dir
}

/// The seed in a temp dir, with `from` replaced by `to` in `file`.
fn seed_changed(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for entry in std::fs::read_dir(seed_dir()).expect("the seed") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a name");
        let mut text = std::fs::read_to_string(&path).expect("a text file");
        if name == file {
            assert!(text.contains(from), "`{from}` is not in {file}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(dir.path().join(name), text).expect("written");
    }
    dir
}

/// Loads `dir`, which must be refused naming `file` (its name), `resource` and `key`, with
/// a message holding `wanted`.
#[track_caller]
fn refused(
    dir: &Path,
    file: &str,
    resource: Option<&str>,
    key: Option<&str>,
    wanted: &str,
) -> InputError {
    let error = load_err(dir.to_path_buf());
    assert_eq!(
        (
            error.file.file_name().and_then(|f| f.to_str()),
            error.resource.as_deref(),
            error.key.as_deref()
        ),
        (Some(file), resource, key),
        "{error}"
    );
    assert!(
        error.message.contains(wanted),
        "`{wanted}` is not in: {error}"
    );
    assert!(
        !error.message.starts_with(char::is_uppercase),
        "messages are lowercase fragments: {error}"
    );
    error
}

/// Nine levels of nine aliases: 387 million strings from a few hundred bytes.
fn billion_laughs(indent: &str) -> String {
    let mut text = format!("{indent}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let aliases = vec![format!("*a{}", level - 1); 9].join(", ");
        text.push_str(&format!("{indent}a{level}: &a{level} [{aliases}]\n"));
    }
    text
}

#[test]
fn a_yaml_bomb_is_refused_naming_the_file_before_it_is_expanded() {
    let bomb = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n{}",
        billion_laughs("  ")
    );
    let dir = dir_with(&[("bomb.yaml", bomb.as_bytes())]);
    refused(
        dir.path(),
        "bomb.yaml",
        None,
        None,
        "more than 1000000 values once its aliases",
    );
}

#[test]
fn a_yaml_bomb_in_a_config_a_config_map_holds_is_refused_naming_the_resource_and_key() {
    let bomb = billion_laughs("    ");
    let dir = seed_changed(
        "prometheus-config.yaml",
        "  rules.yaml: |\n",
        &format!("  rules.yaml: |\n{bomb}"),
    );
    refused(
        dir.path(),
        "prometheus-config.yaml",
        Some("ConfigMap/prometheus-config"),
        Some("rules.yaml"),
        "more than 1000000 values once its aliases",
    );
}

#[test]
fn a_file_larger_than_16_mib_is_refused_naming_it_without_reading_it_all() {
    let line = b"# a comment line, over and over, as a log or a data dump would be\n";
    let huge: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(16 * 1024 * 1024 + 1)
        .collect();
    let dir = dir_with(&[("huge.yaml", &huge)]);
    refused(dir.path(), "huge.yaml", None, None, "larger than 16 MiB");
}

#[test]
fn a_device_named_yaml_is_refused_instead_of_read_forever() {
    let dir = dir_with(&[]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.yaml")).expect("a link");
    refused(dir.path(), "zero.yaml", None, None, "not a regular file");
}

#[test]
fn a_symbolic_link_loop_is_refused_naming_the_link() {
    let dir = seed_changed("echo-service.yaml", "", "");
    std::os::unix::fs::symlink(".", dir.path().join("loop")).expect("a link");
    refused(dir.path(), "loop", None, None, "a symbolic link loop");
}

#[test]
fn links_that_lead_nowhere_or_round_in_a_circle_are_refused_naming_them() {
    let dir = dir_with(&[]);
    std::os::unix::fs::symlink("b.yaml", dir.path().join("a.yaml")).expect("a link");
    std::os::unix::fs::symlink("a.yaml", dir.path().join("b.yaml")).expect("a link");
    refused(dir.path(), "a.yaml", None, None, "round in a circle");
    let dir = dir_with(&[]);
    std::os::unix::fs::symlink("gone.yaml", dir.path().join("a.yaml")).expect("a link");
    refused(dir.path(), "a.yaml", None, None, "leads nowhere");
}

#[test]
fn bytes_that_are_not_utf8_are_refused_naming_the_file() {
    let dir = dir_with(&[("logo.yaml", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")]);
    refused(dir.path(), "logo.yaml", None, None, "not UTF-8 text");
    let dir = dir_with(&[("latin-1.yaml", b"kind: ConfigMap\ndata:\n  a: caf\xe9\n")]);
    refused(dir.path(), "latin-1.yaml", None, None, "another encoding");
}

#[test]
fn text_saved_as_utf16_is_refused_saying_so() {
    let utf16: Vec<u8> = "kind: Service\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let dir = dir_with(&[("service.yaml", &utf16)]);
    refused(dir.path(), "service.yaml", None, None, "saved as UTF-16");
}

#[test]
fn yaml_nested_too_deep_is_refused_saying_so() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let dir = dir_with(&[("deep.yaml", deep.as_bytes())]);
    refused(
        dir.path(),
        "deep.yaml",
        None,
        None,
        "nested more than 128 levels",
    );
}

#[test]
fn a_key_written_twice_is_refused_saying_to_keep_one() {
    let dir = seed_changed(
        "echo-deployment.yaml",
        "          image: echo_server:latest\n",
        "          image: echo_server:latest\n          image: echo_server:v2\n",
    );
    let error = refused(
        dir.path(),
        "echo-deployment.yaml",
        None,
        None,
        "keep one of them",
    );
    assert!(error.message.contains("\"image\""), "{error}");
}

#[test]
fn a_mapping_as_a_key_in_a_config_is_refused_where_it_made_the_plan_panic() {
    // Found by the property test: YAML reads `{a: 1}: x`, serde_yaml cannot write it back,
    // and the plan, which rewrites the config, panicked.
    let dir = seed_changed(
        "prometheus-config.yaml",
        "      evaluation_interval: 15s\n",
        "      evaluation_interval: 15s\n      external_labels: {{a: 1}: x}\n",
    );
    refused(
        dir.path(),
        "prometheus-config.yaml",
        Some("ConfigMap/prometheus-config"),
        Some("prometheus.yaml: global.external_labels"),
        "a key here is a mapping",
    );
}

#[test]
fn a_key_that_is_no_text_in_a_manifest_is_refused_naming_resource_and_key() {
    let dir = seed_changed(
        "echo-service.yaml",
        "    app: echo\n",
        "    app: echo\n    [a, b]: c\n",
    );
    refused(
        dir.path(),
        "echo-service.yaml",
        Some("Service/echo-service"),
        Some("spec.selector"),
        "a key here is a list",
    );
}

#[test]
fn a_document_that_is_a_list_or_text_is_refused_saying_what_it_is() {
    let dir = dir_with(&[("list.yaml", b"- kind: Service\n- kind: ConfigMap\n")]);
    refused(dir.path(), "list.yaml", None, None, "a document is a list");
    let dir = dir_with(&[("text.yaml", b"just some words\n")]);
    refused(dir.path(), "text.yaml", None, None, "a document is text");
}

#[test]
fn a_kind_or_a_name_that_is_a_number_is_refused_saying_so() {
    let dir = dir_with(&[("number.yaml", b"kind: 12\nmetadata: {name: x}\n")]);
    refused(
        dir.path(),
        "number.yaml",
        None,
        Some("kind"),
        "`kind` is a number (12)",
    );
    let dir = seed_changed("echo-service.yaml", "name: echo-service", "name: 42");
    refused(
        dir.path(),
        "echo-service.yaml",
        Some("Service"),
        Some("metadata.name"),
        "`metadata.name` is a number (42); a name is text",
    );
}

#[test]
fn a_misspelt_kind_is_refused_with_the_kind_meant_and_kinds_of_their_own_are_left_alone() {
    let dir = seed_changed(
        "prometheus-deployment.yaml",
        "kind: Deployment",
        "kind: Deploymnet",
    );
    refused(
        dir.path(),
        "prometheus-deployment.yaml",
        Some("Deploymnet/prometheus-deployment"),
        Some("kind"),
        "did you mean `Deployment`?",
    );
    let dir = seed_changed("echo-service.yaml", "kind: Service", "kind: service");
    refused(
        dir.path(),
        "echo-service.yaml",
        Some("service/echo-service"),
        Some("kind"),
        "did you mean `Service`?",
    );
    for kind in ["APIService", "Node", "Role", "Ingress", "ServiceMonitor"] {
        assert_eq!(super::super::inventory::misspelt_kind(kind), None, "{kind}");
    }
}

#[test]
fn a_value_of_the_wrong_type_in_a_resource_is_refused_at_its_key_with_containers_by_name() {
    let dir = seed_changed(
        "echo-deployment.yaml",
        "image: echo_server:latest",
        "image: 2",
    );
    refused(
        dir.path(),
        "echo-deployment.yaml",
        Some("Deployment/echo-deployment"),
        Some("spec.template.spec.containers[echo-server].image"),
        "invalid type: integer `2`, expected a string",
    );
    let dir = seed_changed("echo-service.yaml", "port: 80", "port: \"abc\"");
    refused(
        dir.path(),
        "echo-service.yaml",
        Some("Service/echo-service"),
        Some("spec.ports[0].port"),
        "invalid type: string \"abc\", expected u16",
    );
}

#[test]
fn a_config_map_with_a_spec_is_refused_as_a_kind_written_wrong() {
    let dir = seed_changed(
        "prometheus-deployment.yaml",
        "kind: Deployment",
        "kind: ConfigMap",
    );
    refused(
        dir.path(),
        "prometheus-deployment.yaml",
        Some("ConfigMap/prometheus-deployment"),
        Some("spec"),
        "so `kind` is wrong: a `spec.template` is a Deployment's",
    );
}

#[test]
fn a_config_map_key_that_is_a_number_is_refused_naming_it() {
    let dir = seed_changed(
        "grafana-config.yaml",
        "  prometheus-datasource.yaml: |",
        "  1: |",
    );
    refused(
        dir.path(),
        "grafana-config.yaml",
        Some("ConfigMap/grafana-config"),
        Some("data"),
        "every key name must be text, and `1` is not: quote it",
    );
}

#[test]
fn a_config_map_value_that_is_a_number_or_a_boolean_is_refused_saying_to_quote_it() {
    for (written, what) in [("500", "number"), ("true", "boolean")] {
        let dir = seed_changed(
            "grafana-config.yaml",
            "\ndata:\n",
            &format!("\ndata:\n  max_series: {written}\n"),
        );
        refused(
            dir.path(),
            "grafana-config.yaml",
            Some("ConfigMap/grafana-config"),
            Some("data.max_series"),
            &format!(
                "`{written}` is a {what}, and a ConfigMap's data values must be strings \
                 (Kubernetes refuses it): quote it, `max_series: \"{written}\"`"
            ),
        );
    }
}

#[test]
fn a_secret_mounted_as_a_config_map_volume_is_refused_saying_how_to_mount_a_secret() {
    let dir = seed_changed(
        "prometheus-deployment.yaml",
        "name: prometheus-config",
        "name: grafana-secret",
    );
    refused(
        dir.path(),
        "prometheus-deployment.yaml",
        Some("Deployment/prometheus-deployment"),
        Some("spec.template.spec.volumes[config-volume].configMap.name"),
        "; `grafana-secret` is a Secret: mount it with `secret: {secretName: grafana-secret}`",
    );
}
