//! Every file a Prometheus or Alertmanager config names must be mounted into its container:
//! the harness only has the files the manifests' volumes provide.

use serde_yaml::Value;

use super::paths;
use super::yaml_node::error_at;
use crate::error::InputError;
use crate::spec::file_refs::{file_refs, ConfigFormat};
use crate::spec::{FileContent, MountedFile};

/// Checks every file reference of `config` (the parsed `config_file`, at `config_path`):
/// a plain path must be a mounted file; a glob may match nothing (as in Prometheus and
/// Alertmanager), and the `file_sd_configs` files it matches must be lists of target groups.
pub(crate) fn check_file_refs(
    config: &Value,
    format: ConfigFormat,
    config_path: &str,
    config_file: &MountedFile,
    files: &[MountedFile],
    component: &str,
) -> Result<(), InputError> {
    let is_secret = matches!(config_file.content, FileContent::Secret(_));
    for found in file_refs(config, format) {
        let path = paths::join(paths::parent(config_path), &found.written);
        if found.glob {
            if found.targets {
                for file in files.iter().filter(|f| paths::glob_matches(&path, &f.path)) {
                    check_target_file(file)?;
                }
            }
            continue;
        }
        if files.iter().any(|f| f.path == path) {
            continue;
        }
        let mounted: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let message = if is_secret {
            format!(
                "the file it names is not mounted into the {component} container (mounted: {}); \
                 mount it from a ConfigMap or Secret or fix the path (the path is not shown \
                 because it comes from a Secret)",
                crate::error::list_or_none(&mounted)
            )
        } else {
            let file_name = path.rsplit('/').next().unwrap_or(&path);
            format!(
                "file `{path}` is not mounted into the {component} container (mounted: {}); \
                 add a key `{file_name}` to the ConfigMap or Secret mounted at `{}` or fix the path",
                crate::error::list_or_none(&mounted),
                paths::parent(&path)
            )
        };
        return Err(error_at(&config_file.origin, &found.key, message));
    }
    Ok(())
}

/// A `file_sd_configs` file: a list of `{targets: [...], labels: {...}}` (YAML or JSON).
fn check_target_file(file: &MountedFile) -> Result<(), InputError> {
    super::yaml_size::check_expanded_size(file.content.expose())
        .map_err(|why| error_at(&file.origin, "", why))?;
    let parsed: Result<Value, _> = serde_yaml::from_str(file.content.expose());
    if let Some(odd) = parsed.as_ref().ok().and_then(super::yaml_node::odd_key) {
        return Err(error_at(&file.origin, &odd.path, odd.message()));
    }
    let valid = match &parsed {
        Ok(Value::Sequence(groups)) => groups
            .iter()
            .all(|g| g.get("targets").is_some_and(Value::is_sequence)),
        Ok(Value::Null) => true,
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(error_at(
            &file.origin,
            "",
            "not a file_sd_configs file: expected a list of `{targets: [host:port, ...], labels: {...}}`",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretString;
    use crate::spec::Origin;

    fn mounted(path: &str, key: &str, content: FileContent) -> MountedFile {
        MountedFile {
            path: path.to_string(),
            content,
            origin: Origin {
                file: "alertmanager-secret.yaml".into(),
                resource: "Secret/alertmanager-secret".to_string(),
                key: Some(key.to_string()),
            },
        }
    }

    fn check(config: &str, format: ConfigFormat, files: &[MountedFile]) -> Result<(), InputError> {
        let value: Value = serde_yaml::from_str(config).unwrap();
        check_file_refs(
            &value,
            format,
            &files[0].path,
            &files[0],
            files,
            "the component",
        )
    }

    #[test]
    fn a_template_glob_matching_a_mounted_file_or_nothing_loads() {
        let config = "templates: ['/etc/alertmanager/*.tmpl', 'none/*.tmpl']\n";
        let files = [
            mounted(
                "/etc/alertmanager/alertmanager.yaml",
                "alertmanager.yaml",
                FileContent::Secret(SecretString::new(config)),
            ),
            mounted(
                "/etc/alertmanager/my.tmpl",
                "my.tmpl",
                FileContent::Plain(String::new()),
            ),
        ];
        check(config, ConfigFormat::Alertmanager, &files).unwrap();
    }

    #[test]
    fn a_file_key_naming_an_unmounted_file_is_rejected_naming_file_resource_and_key() {
        let config = "receivers:\n- name: r\n  webhook_configs:\n  - http_config: {bearer_token_file: /etc/alertmanager/token}\n";
        let files = [mounted(
            "/etc/alertmanager/alertmanager.yaml",
            "alertmanager.yaml",
            FileContent::Secret(SecretString::new(config)),
        )];
        let error = check(config, ConfigFormat::Alertmanager, &files).unwrap_err();
        assert_eq!(
            (
                error.file.to_str(),
                error.resource.as_deref(),
                error.key.as_deref()
            ),
            (
                Some("alertmanager-secret.yaml"),
                Some("Secret/alertmanager-secret"),
                Some("alertmanager.yaml: receivers[0].webhook_configs[0].http_config.bearer_token_file")
            ),
            "{error}"
        );
        assert!(
            error
                .message
                .starts_with("the file it names is not mounted")
                && error
                    .message
                    .contains("/etc/alertmanager/alertmanager.yaml")
                && !error.message.contains("/etc/alertmanager/token"),
            "a Secret's values stay out of messages: {error}"
        );
    }

    #[test]
    fn a_relative_file_key_is_resolved_against_the_config_dir_and_named_when_missing() {
        let config = "scrape_configs:\n- job_name: a\n  tls_config: {ca_file: certs/ca.pem}\n";
        let files = [mounted(
            "/etc/prometheus/prometheus.yaml",
            "prometheus.yaml",
            FileContent::Plain(config.to_string()),
        )];
        let error = check(config, ConfigFormat::Prometheus, &files).unwrap_err();
        assert_eq!(
            error.key.as_deref(),
            Some("prometheus.yaml: scrape_configs[0].tls_config.ca_file")
        );
        assert!(
            error
                .message
                .contains("file `/etc/prometheus/certs/ca.pem` is not mounted")
                && error.message.contains("add a key `ca.pem`"),
            "{error}"
        );

        let mut with_ca = files.to_vec();
        with_ca.push(mounted(
            "/etc/prometheus/certs/ca.pem",
            "ca.pem",
            FileContent::Plain("pem".into()),
        ));
        check(config, ConfigFormat::Prometheus, &with_ca).unwrap();
    }

    #[test]
    fn a_file_sd_file_that_is_not_a_list_of_target_groups_is_rejected_naming_its_key() {
        let config = "scrape_configs:\n- job_name: a\n  file_sd_configs: [{files: ['/etc/prometheus/*.json']}]\n";
        let files = [
            mounted(
                "/etc/prometheus/prometheus.yaml",
                "prometheus.yaml",
                FileContent::Plain(config.to_string()),
            ),
            mounted(
                "/etc/prometheus/targets.json",
                "targets.json",
                FileContent::Plain("{\"targets\": [\"a:1\"]}".into()),
            ),
        ];
        let error = check(config, ConfigFormat::Prometheus, &files).unwrap_err();
        assert_eq!(error.key.as_deref(), Some("targets.json"), "{error}");
        assert!(error.message.contains("file_sd_configs"), "{error}");
    }
}
