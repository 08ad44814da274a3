//! Rules a test adds to the manifests' Prometheus: an extra rule file, loaded like the others.

use std::path::Path;

use super::prometheus::parse_rule_file;
use crate::error::InputError;
use crate::spec::{ComponentConfig, FileContent, MountedFile, Origin, StackSpec};

/// Adds the rule file `yaml` (Prometheus's rule file format) to the stack's Prometheus as
/// `<config dir>/<name>`, listed in `rule_files`. Bad rules are rejected as bad input
/// naming `name`.
///
/// The file is the Prometheus component's, not a document of the manifests the spec keeps:
/// lint checks it with the other rule files, and the kube backend applies it as a file the
/// harness's caller added (in the ConfigMap of its directory, or a ConfigMap of its own).
pub fn add_rule_file(spec: &mut StackSpec, name: &str, yaml: &str) -> Result<(), InputError> {
    if name.is_empty() || name.contains('/') {
        return Err(InputError::new(
            name,
            "an extra rule file's name must be a plain file name, e.g. extra-rules.yaml",
        ));
    }
    let prometheus = spec
        .components
        .iter_mut()
        .find(|c| matches!(c.config, ComponentConfig::Prometheus(_)))
        .ok_or_else(|| InputError::new(&spec.dir, "no container runs prometheus"))?;
    let ComponentConfig::Prometheus(config) = &mut prometheus.config else {
        unreachable!("found by kind")
    };
    let dir = config
        .config_path
        .rsplit_once('/')
        .map(|(d, _)| d)
        .unwrap_or("");
    let path = format!("{dir}/{name}");
    if prometheus.files.iter().any(|f| f.path == path) {
        return Err(InputError::new(
            name,
            format!("{path} is already mounted in the prometheus container; choose another name"),
        ));
    }
    let file = MountedFile {
        path: path.clone(),
        content: FileContent::Plain(yaml.to_string()),
        origin: Origin {
            file: Path::new(name).to_path_buf(),
            resource: "extra rules (added by the harness's caller)".to_string(),
            key: Some(name.to_string()),
        },
    };
    let rule_file = parse_rule_file(&file)?;
    config.rule_files.push(rule_file);
    if let Some(root) = config.config.as_mapping_mut() {
        let entry = root
            .entry("rule_files".into())
            .or_insert_with(|| serde_yaml::Value::Sequence(Vec::new()));
        if let Some(list) = entry.as_sequence_mut() {
            list.push(path.into());
        }
    }
    prometheus.files.push(file);
    Ok(())
}
