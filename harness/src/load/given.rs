//! Secrets the manifests reference but do not hold (created with `kubectl create secret`, by a
//! sealed-secrets controller, by CI), given from files instead: `--secret
//! [NAMESPACE/]NAME:KEY=FILE`. Each becomes a Secret of the manifests, read like theirs (a
//! mounted file, an env var), applied by the kube backend, its values never printed.
//!
//! References are checked all at once: every Secret or ConfigMap the workloads need and
//! nobody holds is named in one error, with the flag that gives a Secret.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde_yaml::{Mapping, Value};

use super::stores::store_key;
use crate::error::InputError;
use crate::spec::manifests::{Document, Inventory};

/// One key of a Secret the manifests do not hold, its value read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenSecret {
    /// The Secret's namespace (`default` unless given).
    pub namespace: String,
    /// The Secret's name.
    pub name: String,
    /// The key.
    pub key: String,
    /// The file holding the value (read as it is: no trailing newline is removed).
    pub file: PathBuf,
}

impl GivenSecret {
    /// A key of Secret `name` in namespace `default`, from `file`.
    pub fn new(name: impl Into<String>, key: impl Into<String>, file: impl Into<PathBuf>) -> Self {
        Self {
            namespace: "default".to_string(),
            name: name.into(),
            key: key.into(),
            file: file.into(),
        }
    }

    /// The same, in namespace `namespace`.
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }
}

impl fmt::Display for GivenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace != "default" {
            write!(f, "{}/", self.namespace)?;
        }
        write!(f, "{}:{}={}", self.name, self.key, self.file.display())
    }
}

impl FromStr for GivenSecret {
    type Err = String;

    /// `[NAMESPACE/]NAME:KEY=FILE`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "`{text}`: {why}; write [NAMESPACE/]NAME:KEY=FILE, e.g. \
                 monitoring/alertmanager-slack:url=./slack-url.txt"
            )
        };
        let (reference, file) = text.split_once('=').ok_or_else(|| bad("no =FILE"))?;
        let (secret, key) = reference
            .split_once(':')
            .ok_or_else(|| bad("no :KEY after the Secret's name"))?;
        let (namespace, name) = match secret.split_once('/') {
            Some((namespace, name)) => (namespace, name),
            None => ("default", secret),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        };
        if !valid(namespace) || !valid(name) {
            return Err(bad("the namespace and name are Kubernetes names"));
        }
        if !valid(key) {
            return Err(bad("the key holds letters, digits, `-`, `_` and `.` only"));
        }
        if file.is_empty() {
            return Err(bad("the file is empty"));
        }
        Ok(Self {
            namespace: namespace.to_string(),
            name: name.to_string(),
            key: key.to_string(),
            file: PathBuf::from(file),
        })
    }
}

/// The given keys as Secret documents (one per Secret), to read with the manifests'. A
/// Secret the manifests hold already is bad input: the manifests stay the source of truth.
pub(crate) fn documents(
    given: &[GivenSecret],
    manifests: &[Document],
) -> Result<Vec<Document>, InputError> {
    let mut secrets: BTreeMap<(String, String), (PathBuf, Mapping)> = BTreeMap::new();
    for secret in given {
        let held = manifests.iter().find(|d| {
            d.value.get("kind").and_then(Value::as_str) == Some("Secret")
                && d.value
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Value::as_str)
                    == Some(secret.name.as_str())
                && super::stores::namespace_of(&d.value) == secret.namespace
        });
        if let Some(held) = held {
            return Err(InputError::new(
                &held.file,
                format!(
                    "--secret {}: the manifests hold Secret/{} in namespace `{}` already; give \
                     only Secrets they reference and do not hold",
                    secret.name, secret.name, secret.namespace
                ),
            )
            .resource(format!("Secret/{}", secret.name)));
        }
        let value = std::fs::read_to_string(&secret.file).map_err(|e| {
            InputError::new(
                &secret.file,
                format!(
                    "--secret {}:{}: cannot read the file ({e})",
                    secret.name, secret.key
                ),
            )
        })?;
        let entry = secrets
            .entry((secret.namespace.clone(), secret.name.clone()))
            .or_insert_with(|| (secret.file.clone(), Mapping::new()));
        if entry.1.contains_key(secret.key.as_str()) {
            return Err(InputError::new(
                &secret.file,
                format!(
                    "--secret {}:{} is given twice; give each key once",
                    secret.name, secret.key
                ),
            ));
        }
        entry.1.insert(secret.key.clone().into(), value.into());
    }
    Ok(secrets
        .into_iter()
        .map(|((namespace, name), (file, data))| {
            let mut metadata = Mapping::new();
            metadata.insert("name".into(), name.into());
            metadata.insert("namespace".into(), namespace.into());
            let mut document = Mapping::new();
            document.insert("apiVersion".into(), "v1".into());
            document.insert("kind".into(), "Secret".into());
            document.insert("metadata".into(), Value::Mapping(metadata));
            document.insert("stringData".into(), Value::Mapping(data));
            Document {
                file,
                value: Value::Mapping(document),
            }
        })
        .collect())
}

/// Every Secret and ConfigMap a workload needs (a volume, `envFrom`, a key reference, none
/// of them optional) that no manifest holds in the pod's namespace, in one error.
pub(crate) fn require_every_store(inventory: &Inventory) -> Result<(), InputError> {
    // Each missing store, with every place that needs it.
    let mut missing: Vec<(String, Vec<String>)> = Vec::new();
    let mut first_file = None;
    for workload in &inventory.workloads {
        let namespace = workload
            .manifest
            .metadata
            .namespace
            .as_deref()
            .unwrap_or("default");
        let spec = &workload.manifest.spec.template.spec;
        let mut needs: Vec<(&str, &str, String)> = Vec::new();
        for volume in &spec.volumes {
            if let Some(s) = volume.secret.as_ref().filter(|s| !s.optional) {
                needs.push(("Secret", &s.secret_name, format!("volume {}", volume.name)));
            }
            if let Some(c) = volume.config_map.as_ref().filter(|c| !c.optional) {
                needs.push(("ConfigMap", &c.name, format!("volume {}", volume.name)));
            }
            for source in volume.projected.iter().flat_map(|p| &p.sources) {
                if let Some(s) = source.secret.as_ref().filter(|s| !s.optional) {
                    needs.push(("Secret", &s.name, format!("volume {}", volume.name)));
                }
                if let Some(c) = source.config_map.as_ref().filter(|c| !c.optional) {
                    needs.push(("ConfigMap", &c.name, format!("volume {}", volume.name)));
                }
            }
        }
        for container in &spec.containers {
            for from in &container.env_from {
                if let Some(r) = from.secret_ref.as_ref().filter(|r| !r.optional) {
                    needs.push((
                        "Secret",
                        &r.name,
                        format!("container {} envFrom", container.name),
                    ));
                }
                if let Some(r) = from.config_map_ref.as_ref().filter(|r| !r.optional) {
                    needs.push((
                        "ConfigMap",
                        &r.name,
                        format!("container {} envFrom", container.name),
                    ));
                }
            }
            for var in &container.env {
                let Some(from) = &var.value_from else {
                    continue;
                };
                if let Some(r) = from.secret_key_ref.as_ref().filter(|r| !r.optional) {
                    needs.push((
                        "Secret",
                        &r.name,
                        format!("container {} env {}", container.name, var.name),
                    ));
                }
                if let Some(r) = from.config_map_key_ref.as_ref().filter(|r| !r.optional) {
                    needs.push((
                        "ConfigMap",
                        &r.name,
                        format!("container {} env {}", container.name, var.name),
                    ));
                }
            }
        }
        for (kind, name, by) in needs {
            let stores = if kind == "Secret" {
                &inventory.secrets
            } else {
                &inventory.config_maps
            };
            // A store of another namespace is the namespace mistake the loader names itself.
            let anywhere = stores
                .values()
                .any(|s| s.resource.split_once('/').map(|(_, n)| n) == Some(name));
            if stores.contains_key(&store_key(namespace, name)) || anywhere {
                continue;
            }
            let store = format!("{kind} `{name}` (namespace {namespace})");
            let user = format!("{} {by}", workload.resource);
            match missing.iter_mut().find(|(s, _)| *s == store) {
                Some((_, users)) => users.push(user),
                None => missing.push((store, vec![user])),
            }
            first_file.get_or_insert_with(|| workload.file.clone());
        }
    }
    // One is named where it is referenced, with the key and what there is (the volume's or
    // env's own error); several at once here.
    if missing.len() < 2 {
        return Ok(());
    }
    let secrets = missing.iter().any(|(m, _)| m.starts_with("Secret"));
    let listed: Vec<String> = missing
        .iter()
        .map(|(store, users)| format!("{store}, for {}", users.join(", ")))
        .collect();
    Err(InputError::new(
        first_file.unwrap_or_default(),
        format!(
            "the workloads need {} Secrets and ConfigMaps that no manifest holds: {}; add them{}",
            missing.len(),
            listed.join("; "),
            if secrets {
                ", or give each Secret created outside the manifests with --secret \
                 [NAMESPACE/]NAME:KEY=FILE (once per key)"
            } else {
                ""
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_secret_reads_namespace_name_key_and_file_and_says_how_to_write_it_otherwise() {
        let given: GivenSecret = "monitoring/alertmanager-slack:url=./slack.txt"
            .parse()
            .unwrap();
        assert_eq!(
            given,
            GivenSecret::new("alertmanager-slack", "url", "./slack.txt").in_namespace("monitoring")
        );
        let plain: GivenSecret = "grafana-secret:admin-password=/run/pw".parse().unwrap();
        assert_eq!(plain.namespace, "default");
        assert_eq!(plain.to_string(), "grafana-secret:admin-password=/run/pw");
        for bad in [
            "no-key=./f",
            "name:key",
            "name:key=",
            "a b:key=f",
            "name:k/y=f",
        ] {
            let error = bad.parse::<GivenSecret>().unwrap_err();
            assert!(
                error.contains("[NAMESPACE/]NAME:KEY=FILE"),
                "{bad}: {error}"
            );
        }
    }
}
