//! Sorting documents into the resources the harness reads; other kinds are ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::stores;
use crate::error::InputError;
use crate::spec::manifests::resources::{PodManifest, PodTemplate};
use crate::spec::manifests::{DataStore, Document, Inventory, Located};

const WORKLOAD_KINDS: [&str; 3] = ["Deployment", "StatefulSet", "DaemonSet"];

/// Sorts the documents (a `List`'s items included).
pub(super) fn sort(documents: &[Document]) -> Result<Inventory, InputError> {
    let mut inventory = Inventory::default();
    for document in documents {
        add(&mut inventory, &document.file, &document.value)?;
    }
    Ok(inventory)
}

fn add(inventory: &mut Inventory, file: &Path, value: &Value) -> Result<(), InputError> {
    let Some(kind) = value.get("kind").and_then(Value::as_str) else {
        return Err(InputError::new(
            file,
            "a document has no `kind`; every document must be a Kubernetes resource (or remove it)",
        ));
    };
    if kind == "List" {
        let items = value
            .get("items")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        return items.iter().try_for_each(|item| add(inventory, file, item));
    }
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            InputError::new(file, format!("a {kind} has no `metadata.name`; name it"))
                .resource(kind)
                .key("metadata.name")
        })?;
    let resource = format!("{kind}/{name}");
    match kind {
        kind if WORKLOAD_KINDS.contains(&kind) => {
            let manifest = typed(file, &resource, value)?;
            inventory.workloads.push(Located {
                file: file.to_path_buf(),
                resource,
                manifest,
            });
        }
        "Pod" => {
            let manifest = typed(file, &resource, value)?;
            inventory.pods.push(Located {
                file: file.to_path_buf(),
                resource,
                manifest,
            });
        }
        "ReplicaSet" | "Job" | "CronJob" => {
            // Lenient: these were never read; a template that does not parse is skipped.
            let spec = match kind {
                "CronJob" => value
                    .get("spec")
                    .and_then(|s| s.get("jobTemplate"))
                    .and_then(|j| j.get("spec")),
                _ => value.get("spec"),
            };
            let template = spec
                .and_then(|s| s.get("template"))
                .and_then(|t| serde_yaml::from_value::<PodTemplate>(t.clone()).ok());
            if let Some(template) = template {
                let mut metadata = template.metadata;
                metadata.namespace = value
                    .get("metadata")
                    .and_then(|m| m.get("namespace"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                inventory.pods.push(Located {
                    file: file.to_path_buf(),
                    resource,
                    manifest: PodManifest {
                        metadata,
                        spec: template.spec,
                    },
                });
            }
        }
        "Service" => {
            let manifest = typed(file, &resource, value)?;
            inventory.services.push(Located {
                file: file.to_path_buf(),
                resource,
                manifest,
            });
        }
        "ConfigMap" => insert_unique(
            &mut inventory.config_maps,
            stores::config_map(file, name, value)?,
            name,
        )?,
        "Secret" => insert_unique(
            &mut inventory.secrets,
            stores::secret(file, name, value)?,
            name,
        )?,
        _ => {}
    }
    Ok(())
}

fn typed<T: DeserializeOwned>(file: &Path, resource: &str, value: &Value) -> Result<T, InputError> {
    serde_yaml::from_value(value.clone()).map_err(|e| {
        InputError::new(
            file,
            format!("not a valid resource: {e}; compare it with the Kubernetes API reference"),
        )
        .resource(resource)
    })
}

fn insert_unique(
    stores: &mut BTreeMap<String, DataStore>,
    store: DataStore,
    name: &str,
) -> Result<(), InputError> {
    // Names are unique per namespace and kind, as in Kubernetes.
    let key = stores::store_key(&store.namespace, name);
    if let Some(first) = stores.get(&key) {
        return Err(InputError::new(
            &store.file,
            format!(
                "resource {} is defined twice in namespace `{}` (also in {}); keep one",
                store.resource,
                store.namespace,
                first.file.display()
            ),
        )
        .resource(&store.resource));
    }
    stores.insert(key, store);
    Ok(())
}
