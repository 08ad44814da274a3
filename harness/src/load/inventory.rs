//! Sorting documents into the resources the harness reads; other kinds are ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::stores;
use crate::error::InputError;
use crate::spec::manifests::resources::{PodManifest, PodTemplate, WorkloadManifest, WorkloadSpec};
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

/// The kinds the harness reads (others are left alone), for "did you mean".
const READ_KINDS: [&str; 11] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Pod",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Service",
    "ConfigMap",
    "Secret",
    "List",
];

fn add(inventory: &mut Inventory, file: &Path, value: &Value) -> Result<(), InputError> {
    if !value.is_mapping() {
        return Err(InputError::new(
            file,
            format!(
                "a document is {}, not a Kubernetes resource (a mapping with `kind`, `metadata` \
                 and the rest); give each resource a document of its own, separated by `---`, \
                 or remove it",
                describe(value)
            ),
        ));
    }
    let kind = match value.get("kind") {
        Some(Value::String(kind)) => kind.as_str(),
        None | Some(Value::Null) => return Err(InputError::new(
            file,
            "a document has no `kind`; every document must be a Kubernetes resource (or remove it)",
        )
        .key("kind")),
        Some(other) => {
            return Err(InputError::new(
                file,
                format!(
                    "`kind` is {}; it must be text naming a kind, e.g. `kind: Deployment`",
                    describe(other)
                ),
            )
            .key("kind"))
        }
    };
    if let Some(known) = misspelt_kind(kind) {
        let name = value
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        return Err(InputError::new(
            file,
            format!(
                "kind `{kind}` is no kind Kubernetes knows; did you mean `{known}`? (a kind \
                 firedrill does not read is left out, and this resource with it)"
            ),
        )
        .resource(format!("{kind}/{name}"))
        .key("kind"));
    }
    if kind == "List" {
        let items = value
            .get("items")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        return items.iter().try_for_each(|item| add(inventory, file, item));
    }
    let name = match value.get("metadata").and_then(|m| m.get("name")) {
        Some(Value::String(name)) => name.as_str(),
        None | Some(Value::Null) => {
            return Err(
                InputError::new(file, format!("a {kind} has no `metadata.name`; name it"))
                    .resource(kind)
                    .key("metadata.name"),
            )
        }
        Some(other) => {
            return Err(InputError::new(
                file,
                format!(
                    "`metadata.name` is {}; a name is text: quote it (`name: \"42\"`) or \
                     write a name",
                    describe(other)
                ),
            )
            .resource(kind)
            .key("metadata.name"))
        }
    };
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
            // A bare Pod runs as a workload of one pod, its own name and no controller.
            let pod: PodManifest = typed(file, &resource, value)?;
            inventory.workloads.push(Located {
                file: file.to_path_buf(),
                resource,
                manifest: WorkloadManifest {
                    metadata: pod.metadata.clone(),
                    spec: WorkloadSpec {
                        replicas: Some(1),
                        template: PodTemplate {
                            metadata: pod.metadata,
                            spec: pod.spec,
                        },
                    },
                },
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

/// The kind firedrill reads that `kind` is a slip of (`deployment`, `Deploymnet`); never a
/// kind of its own: short kinds Kubernetes has (`Node`, `Role`) are near `Pod` and `Job`.
pub(super) fn misspelt_kind(kind: &str) -> Option<&'static str> {
    if READ_KINDS.contains(&kind) {
        return None;
    }
    if let Some(known) = READ_KINDS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(kind))
    {
        return Some(known);
    }
    if kind.chars().count() < 6 {
        return None;
    }
    // Two edits at most: `APIService`, a kind of its own, is three from `Service`.
    crate::error::suggest::nearest_within(kind, READ_KINDS, 2)
}

/// What a value is, for a message: `a list`, `a number (42)`, ...
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "empty".to_string(),
        Value::Bool(flag) => format!("a boolean ({flag})"),
        Value::Number(number) => format!("a number ({number})"),
        Value::String(_) => "text".to_string(),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a mapping".to_string(),
        Value::Tagged(tagged) => format!("a value tagged `{}`", tagged.tag),
    }
}

fn typed<T: DeserializeOwned>(file: &Path, resource: &str, value: &Value) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let error = InputError::new(
            file,
            format!(
                "not a valid resource: {}; compare it with the Kubernetes API reference",
                e.inner()
            ),
        )
        .resource(resource);
        match key_of(value, e.path()) {
            key if key.is_empty() => error,
            key => error.key(key),
        }
    })
}

/// The key `path` leads to in `value`, list items by their `name` where they have one
/// (`spec.template.spec.containers[echo-server].image`), as the loader's other keys are.
fn key_of(value: &Value, path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;

    let mut key = String::new();
    let mut at = Some(value);
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                at = at.and_then(|v| v.get(index));
                match at.and_then(|item| item.get("name")).and_then(Value::as_str) {
                    Some(name) => key.push_str(&format!("[{name}]")),
                    None => key.push_str(&format!("[{index}]")),
                }
            }
            Segment::Map { key: name } | Segment::Enum { variant: name } => {
                at = at.and_then(|v| v.get(name.as_str()));
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(name);
            }
            Segment::Unknown => break,
        }
    }
    key
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
