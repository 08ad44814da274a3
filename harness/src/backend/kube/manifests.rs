//! What the kube backend applies: every document of the manifest directory (as the loader
//! read it, kept in the spec) as it is, in the run's namespace, with only the plan's changes
//! (ConfigMap and Secret keys whose effective content differs: the Slack URL, scaled
//! durations), image overrides, files the harness's caller added (in a ConfigMap of their
//! own), and the Slack recorder the stack's Alertmanager posts to. The Namespace comes
//! first. Every change is listed.
//!
//! Cluster-scoped objects (a ClusterRole for Prometheus, say) cannot live in the namespace:
//! they are applied owned by it (an `ownerReference` to the run's Namespace), so Kubernetes'
//! garbage collector deletes them with it, also after a killed run's namespace is reaped.
//! ServiceAccount subjects of role bindings follow their ServiceAccount into the namespace.

use std::collections::BTreeMap;

use base64::Engine;
use serde_yaml::{Mapping, Value};

use super::placement::{KubePlacement, RECORDER_NAME, RECORDER_PORT, RECORDER_TARGET_PORT};
use crate::backend::images::ImageChoice;
use crate::error::{Error, Result};
use crate::plan::{Change, StackPlan};
use crate::spec::{ComponentKind, FileContent};

/// The ConfigMap holding files the harness's caller added (extra rule files).
pub const EXTRA_FILES: &str = "firedrill-extra-files";

/// One document to apply, and where it came from.
#[derive(Debug, Clone)]
pub struct AppliedDocument {
    /// The document, as applied.
    pub value: Value,
    /// The manifest file, or `firedrill` for what the harness adds.
    pub source: String,
}

impl AppliedDocument {
    /// `Kind/name`.
    pub fn resource(&self) -> String {
        format!(
            "{}/{}",
            self.value["kind"].as_str().unwrap_or("?"),
            self.value["metadata"]["name"].as_str().unwrap_or("?")
        )
    }

    /// Its pod spec: a bare Pod's `spec`, a workload's `spec.template.spec`.
    pub fn pod_spec(&self) -> &Value {
        if self.value["kind"].as_str() == Some("Pod") {
            &self.value["spec"]
        } else {
            &self.value["spec"]["template"]["spec"]
        }
    }

    /// Its pod spec, to change ([`Self::pod_spec`]); `None` where the document has none.
    pub fn pod_spec_mut(&mut self) -> Option<&mut Value> {
        let is_pod = self.value["kind"].as_str() == Some("Pod");
        let spec = self.value.get_mut("spec")?;
        if is_pod {
            Some(spec)
        } else {
            spec.get_mut("template")?.get_mut("spec")
        }
    }
}

/// Every document to apply, Namespace first, and the changes they make.
pub fn documents(
    plan: &StackPlan,
    placement: &KubePlacement,
    images: &ImageChoice,
    recorder_image: &str,
    labels: &BTreeMap<String, String>,
    skip: &[ComponentKind],
) -> Result<(Vec<AppliedDocument>, Vec<Change>)> {
    let mut changes = Vec::new();
    let namespace = placement.namespace();
    let mut out = vec![AppliedDocument {
        value: namespace_document(namespace, labels),
        source: "firedrill".to_string(),
    }];
    for document in &plan.spec.manifests.documents {
        let source = document.file.display().to_string();
        for value in expand_lists(&document.value) {
            out.push(AppliedDocument {
                value,
                source: source.clone(),
            });
        }
    }
    // The manifests' own Namespaces are replaced by the run's: everything goes there.
    out.retain(|document| {
        let theirs =
            document.source != "firedrill" && document.value["kind"].as_str() == Some("Namespace");
        if theirs {
            changes.push(Change {
                component: document.resource(),
                file: document.source.clone(),
                key: "document".to_string(),
                reason: "namespace",
                from: document.resource(),
                to: format!("<not applied: the run's namespace {namespace} replaces it>"),
            });
        }
        !theirs
    });
    let accounts: Vec<String> = out
        .iter()
        .filter(|d| d.value["kind"].as_str() == Some("ServiceAccount"))
        .filter_map(|d| d.value["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    for document in out.iter_mut().skip(1) {
        if is_cluster_scoped(&document.value) {
            changes.push(Change {
                component: document.resource(),
                file: document.source.clone(),
                key: "metadata.ownerReferences".to_string(),
                reason: "namespace",
                from: "<absent>".to_string(),
                to: format!("Namespace/{namespace} (deleted with the run's namespace)"),
            });
        } else {
            set_namespace(document, namespace, &mut changes);
        }
        set_subject_namespaces(document, namespace, &accounts, &mut changes);
    }
    apply_file_changes(plan, &mut out, &mut changes)?;
    apply_images(plan, images, &mut out, &mut changes);
    apply_args(plan, &mut out);
    remove_skipped(plan, skip, &mut out, &mut changes);
    remove_left_out(plan, &mut out);
    out.push(AppliedDocument {
        value: recorder_deployment(namespace, recorder_image),
        source: "firedrill".to_string(),
    });
    out.push(AppliedDocument {
        value: recorder_service(namespace),
        source: "firedrill".to_string(),
    });
    changes.push(Change {
        component: RECORDER_NAME.to_string(),
        file: "resources".to_string(),
        key: format!("Deployment/{RECORDER_NAME}, Service/{RECORDER_NAME}"),
        reason: "slack mock",
        from: "<absent>".to_string(),
        to: format!("{recorder_image} on port {RECORDER_PORT}"),
    });
    Ok((out, changes))
}

fn namespace_document(namespace: &str, labels: &BTreeMap<String, String>) -> Value {
    let labels: Mapping = labels
        .iter()
        .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str())))
        .collect();
    let mut metadata = Mapping::new();
    metadata.insert("name".into(), namespace.into());
    metadata.insert("labels".into(), Value::Mapping(labels));
    let mut doc = Mapping::new();
    doc.insert("apiVersion".into(), "v1".into());
    doc.insert("kind".into(), "Namespace".into());
    doc.insert("metadata".into(), Value::Mapping(metadata));
    Value::Mapping(doc)
}

/// A `List`'s items, or the document itself.
pub(crate) fn expand_lists(value: &Value) -> Vec<Value> {
    if value["kind"].as_str() == Some("List") {
        if let Some(items) = value["items"].as_sequence() {
            return items.clone();
        }
    }
    vec![value.clone()]
}

/// Whether Kubernetes' API definitions (k8s-openapi's types) make the document's kind
/// cluster-scoped. Kinds they do not know (custom resources) count as namespaced here; when
/// applying, the cluster's own discovery decides, and such an object is owned by the
/// namespace all the same.
pub(crate) fn is_cluster_scoped(document: &Value) -> bool {
    use k8s_openapi::api::{
        admissionregistration::v1 as admission, core::v1 as core, networking::v1 as networking,
        node::v1 as node, rbac::v1 as rbac, scheduling::v1 as scheduling, storage::v1 as storage,
    };
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
    use k8s_openapi::Resource;
    use std::any::TypeId;

    fn scope<K: Resource>() -> (&'static str, &'static str, bool)
    where
        K::Scope: 'static,
    {
        let cluster = TypeId::of::<K::Scope>() == TypeId::of::<k8s_openapi::ClusterResourceScope>();
        (K::API_VERSION, K::KIND, cluster)
    }
    let known = [
        scope::<rbac::ClusterRole>(),
        scope::<rbac::ClusterRoleBinding>(),
        scope::<scheduling::PriorityClass>(),
        scope::<storage::StorageClass>(),
        scope::<storage::CSIDriver>(),
        scope::<core::PersistentVolume>(),
        scope::<core::Node>(),
        scope::<networking::IngressClass>(),
        scope::<node::RuntimeClass>(),
        scope::<admission::MutatingWebhookConfiguration>(),
        scope::<admission::ValidatingWebhookConfiguration>(),
        scope::<apiextensions::CustomResourceDefinition>(),
    ];
    let kind = document["kind"].as_str().unwrap_or_default();
    let api_version = document["apiVersion"].as_str().unwrap_or_default();
    // The group decides, not the version (rbac.authorization.k8s.io/v1beta1 is the same kind).
    let group = |v: &str| {
        v.rsplit_once('/')
            .map(|(g, _)| g.to_string())
            .unwrap_or_default()
    };
    known
        .iter()
        .any(|(v, k, cluster)| *cluster && *k == kind && group(v) == group(api_version))
}

/// ServiceAccount subjects of a RoleBinding or ClusterRoleBinding that name one of the
/// manifests' own `accounts` name the run's namespace instead: the ServiceAccount is there
/// now. Subjects naming accounts the manifests do not define (`kube-system`'s) stay.
fn set_subject_namespaces(
    document: &mut AppliedDocument,
    namespace: &str,
    accounts: &[String],
    changes: &mut Vec<Change>,
) {
    let kind = document.value["kind"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
        return;
    }
    let resource = document.resource();
    let Some(subjects) = document
        .value
        .get_mut("subjects")
        .and_then(Value::as_sequence_mut)
    else {
        return;
    };
    for (i, subject) in subjects.iter_mut().enumerate() {
        if subject["kind"].as_str() != Some("ServiceAccount")
            || !subject["name"]
                .as_str()
                .is_some_and(|name| accounts.iter().any(|a| a == name))
        {
            continue;
        }
        let Some(subject) = subject.as_mapping_mut() else {
            continue;
        };
        let before = subject
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        if before.is_none() && kind == "RoleBinding" {
            continue; // the binding's own namespace, which is the run's
        }
        subject.insert("namespace".into(), namespace.into());
        changes.push(Change {
            component: resource.clone(),
            file: document.source.clone(),
            key: format!("subjects[{i}].namespace"),
            reason: "namespace",
            from: before.unwrap_or_else(|| "<absent>".to_string()),
            to: namespace.to_string(),
        });
    }
}

fn set_namespace(document: &mut AppliedDocument, namespace: &str, changes: &mut Vec<Change>) {
    let resource = document.resource();
    let Some(metadata) = document
        .value
        .get_mut("metadata")
        .and_then(Value::as_mapping_mut)
    else {
        return;
    };
    let before = metadata
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("<absent>")
        .to_string();
    metadata.insert("namespace".into(), namespace.into());
    changes.push(Change {
        component: resource,
        file: document.source.clone(),
        key: "metadata.namespace".to_string(),
        reason: "namespace",
        from: before,
        to: namespace.to_string(),
    });
}

/// Writes every planned file whose content differs from the manifests' back into the
/// ConfigMap or Secret key it came from; files the harness's caller added go into
/// [`EXTRA_FILES`], mounted where the plan puts them.
fn apply_file_changes(
    plan: &StackPlan,
    documents: &mut Vec<AppliedDocument>,
    changes: &mut Vec<Change>,
) -> Result<()> {
    let mut extra: Vec<(String, String, String, String)> = Vec::new();
    for component in &plan.components {
        for file in &component.files {
            // A file the plan itself added (the start-up gate's rules) is mounted like one
            // the harness's caller added, by its file name; one mounted from the manifests
            // goes back where it came from.
            let (key, found) = match component.spec.file(&file.path) {
                Some(mounted) => {
                    let Some(key) = &mounted.origin.key else {
                        continue;
                    };
                    let found = documents
                        .iter_mut()
                        .find(|d| d.resource() == mounted.origin.resource);
                    (key.clone(), found)
                }
                None => (file_name(&file.path).to_string(), None),
            };
            let key = &key;
            match found {
                Some(document) => {
                    let original = component
                        .spec
                        .file(&file.path)
                        .map(|m| m.content.expose().to_string())
                        .unwrap_or_default();
                    if same_content(file.content.expose(), &original) {
                        continue;
                    }
                    set_key(document, key, &file.content);
                }
                None => {
                    if let Some(store) =
                        add_beside_a_sibling(documents, component, &file.path, &file.content)
                    {
                        changes.push(Change {
                            component: component.spec.name.clone(),
                            file: file.path.clone(),
                            key: format!("{store} {}", file_name(&file.path)),
                            reason: "added file",
                            from: "<absent>".to_string(),
                            to: format!("mounted at {}", file.path),
                        });
                        continue;
                    }
                    let slot = format!("{}-{}", component.spec.name, sanitize(key));
                    extra.push((
                        component.spec.origin.resource.clone(),
                        component.spec.origin.key.clone().unwrap_or_default(),
                        file.path.clone(),
                        slot.clone(),
                    ));
                    changes.push(Change {
                        component: component.spec.name.clone(),
                        file: file.path.clone(),
                        key: format!("ConfigMap/{EXTRA_FILES} {slot}"),
                        reason: "added file",
                        from: "<absent>".to_string(),
                        to: format!("mounted at {}", file.path),
                    });
                    extra_configmap(documents, &slot, file.content.expose());
                }
            }
        }
    }
    for (workload, container, path, slot) in extra {
        mount_extra(documents, &workload, &container, &path, &slot).ok_or_else(|| {
            Error::start(
                &container,
                format!("cannot mount {path} into container {container} of {workload}"),
                "add the file to a ConfigMap of the manifests instead",
            )
        })?;
    }
    Ok(())
}

/// Whether a planned file says the same as the manifests' (equal text, or equal YAML: the
/// plan writes a config it parsed back in its own layout, which is no change).
fn same_content(planned: &str, original: &str) -> bool {
    planned == original
        || matches!(
            (
                serde_yaml::from_str::<Value>(planned),
                serde_yaml::from_str::<Value>(original),
            ),
            (Ok(a), Ok(b)) if a == b
        )
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("")
}

/// Adds a file the harness's caller added to the ConfigMap or Secret a file of the same
/// directory comes from, when that store is mounted whole (no `items`) as a plain volume
/// at that directory: a file cannot be mounted into another volume's read-only mount.
/// Returns the store (`ConfigMap/name`).
fn add_beside_a_sibling(
    documents: &mut [AppliedDocument],
    component: &crate::plan::ComponentPlan,
    path: &str,
    content: &FileContent,
) -> Option<String> {
    let dir = parent(path);
    let name = file_name(path);
    let sibling = component.spec.files.iter().find(|f| {
        f.path != path
            && parent(&f.path) == dir
            && f.origin.key.as_deref() == Some(file_name(&f.path))
            && documents.iter().any(|d| d.resource() == f.origin.resource)
    })?;
    let store = sibling.origin.resource.clone();
    let (store_kind, store_name) = store.split_once('/')?;
    let workload = documents
        .iter()
        .find(|d| d.resource() == component.spec.origin.resource)?;
    let source_key = if store_kind == "Secret" {
        "secret"
    } else {
        "configMap"
    };
    let name_key = if store_kind == "Secret" {
        "secretName"
    } else {
        "name"
    };
    let volumes = workload.pod_spec()["volumes"].as_sequence()?;
    let whole = volumes.iter().any(|v| {
        v[source_key][name_key].as_str() == Some(store_name) && v[source_key].get("items").is_none()
    });
    if !whole {
        return None;
    }
    let document = documents.iter_mut().find(|d| d.resource() == store)?;
    if document.value["data"].get(name).is_some()
        || document.value["stringData"].get(name).is_some()
    {
        return None;
    }
    set_key(document, name, content);
    Some(store)
}

fn sanitize(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn set_key(document: &mut AppliedDocument, key: &str, content: &FileContent) {
    let value = &mut document.value;
    if value["kind"].as_str() == Some("Secret") {
        let in_string_data = value["stringData"].get(key).is_some();
        let Some(map) = value.as_mapping_mut() else {
            return;
        };
        if in_string_data {
            if let Some(Value::Mapping(data)) = map.get_mut("stringData") {
                data.insert(key.into(), content.expose().into());
            }
        } else {
            let encoded = base64::engine::general_purpose::STANDARD.encode(content.expose());
            let data = map
                .entry("data".into())
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            if let Value::Mapping(data) = data {
                data.insert(key.into(), encoded.into());
            }
        }
    } else if let Some(map) = value.as_mapping_mut() {
        let data = map
            .entry("data".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Value::Mapping(data) = data {
            data.insert(key.into(), content.expose().into());
        }
    }
}

fn extra_configmap(documents: &mut Vec<AppliedDocument>, slot: &str, text: &str) {
    let existing = documents
        .iter_mut()
        .find(|d| d.resource() == format!("ConfigMap/{EXTRA_FILES}"));
    let document = match existing {
        Some(d) => d,
        None => {
            let namespace = documents[0].value["metadata"]["name"].clone();
            let mut metadata = Mapping::new();
            metadata.insert("name".into(), EXTRA_FILES.into());
            metadata.insert("namespace".into(), namespace);
            let mut doc = Mapping::new();
            doc.insert("apiVersion".into(), "v1".into());
            doc.insert("kind".into(), "ConfigMap".into());
            doc.insert("metadata".into(), Value::Mapping(metadata));
            doc.insert("data".into(), Value::Mapping(Mapping::new()));
            documents.push(AppliedDocument {
                value: Value::Mapping(doc),
                source: "firedrill".to_string(),
            });
            documents.last_mut().expect("just pushed")
        }
    };
    if let Some(Value::Mapping(data)) = document.value.get_mut("data") {
        data.insert(slot.into(), text.into());
    }
}

fn mount_extra(
    documents: &mut [AppliedDocument],
    workload: &str,
    container: &str,
    path: &str,
    slot: &str,
) -> Option<()> {
    let document = documents.iter_mut().find(|d| d.resource() == workload)?;
    let pod = document.pod_spec_mut()?.as_mapping_mut()?;
    let volumes = pod
        .entry("volumes".into())
        .or_insert_with(|| Value::Sequence(Vec::new()))
        .as_sequence_mut()?;
    if !volumes
        .iter()
        .any(|v| v["name"].as_str() == Some(EXTRA_FILES))
    {
        let volume: Value = serde_yaml::from_str(&format!(
            "{{name: {EXTRA_FILES}, configMap: {{name: {EXTRA_FILES}}}}}"
        ))
        .ok()?;
        volumes.push(volume);
    }
    let containers = pod.get_mut("containers")?.as_sequence_mut()?;
    let target = containers
        .iter_mut()
        .find(|c| c["name"].as_str() == Some(container))?
        .as_mapping_mut()?;
    let mounts = target
        .entry("volumeMounts".into())
        .or_insert_with(|| Value::Sequence(Vec::new()))
        .as_sequence_mut()?;
    let mut mount = Mapping::new();
    mount.insert("name".into(), EXTRA_FILES.into());
    mount.insert("mountPath".into(), path.into());
    mount.insert("subPath".into(), slot.into());
    mounts.push(Value::Mapping(mount));
    Some(())
}

/// Replaces each container's image by its override or prefixed reference.
fn apply_images(
    plan: &StackPlan,
    images: &ImageChoice,
    documents: &mut [AppliedDocument],
    changes: &mut Vec<Change>,
) {
    for component in &plan.components {
        let resolved = images.image_for(&component.spec);
        if resolved.reference == component.spec.image {
            continue;
        }
        let Some(container) = component.spec.origin.key.as_deref() else {
            continue;
        };
        let deployment = component.spec.origin.resource.clone();
        let Some(document) = documents.iter_mut().find(|d| d.resource() == deployment) else {
            continue;
        };
        let containers = document
            .pod_spec_mut()
            .and_then(|pod| pod.get_mut("containers"))
            .and_then(Value::as_sequence_mut);
        for c in containers.into_iter().flatten() {
            if c["name"].as_str() == Some(container) {
                c["image"] = Value::from(resolved.reference.clone());
                changes.push(Change {
                    component: component.spec.name.clone(),
                    file: deployment.clone(),
                    key: format!("containers[{container}].image"),
                    reason: "image",
                    from: component.spec.image.clone(),
                    to: resolved.reference.clone(),
                });
            }
        }
    }
}

/// Writes each container's planned args where they differ from the manifests' (flags the
/// time scale sets, listed by the plan): `command[1..]` then `args` in the manifests, so a
/// container with `args` gets the planned ones after its `command[1..]`, one with only a
/// `command` gets `command[0]` then the planned args.
fn apply_args(plan: &StackPlan, documents: &mut [AppliedDocument]) {
    for component in &plan.components {
        if component.args == component.spec.args {
            continue;
        }
        let Some(container) = component.spec.origin.key.as_deref() else {
            continue;
        };
        let workload = &component.spec.origin.resource;
        let Some(document) = documents.iter_mut().find(|d| &d.resource() == workload) else {
            continue;
        };
        let containers = document
            .pod_spec_mut()
            .and_then(|pod| pod.get_mut("containers"))
            .and_then(Value::as_sequence_mut);
        for c in containers.into_iter().flatten() {
            if c["name"].as_str() != Some(container) {
                continue;
            }
            let command: Vec<Value> = c["command"].as_sequence().cloned().unwrap_or_default();
            let args: Vec<Value> = component
                .args
                .iter()
                .map(|a| Value::from(a.as_str()))
                .collect();
            let Some(map) = c.as_mapping_mut() else {
                continue;
            };
            if map.contains_key("args") || command.is_empty() {
                let after_executable = command.len().saturating_sub(1);
                map.insert(
                    "args".into(),
                    Value::Sequence(args[after_executable.min(args.len())..].to_vec()),
                );
            } else {
                let mut new_command = vec![command[0].clone()];
                new_command.extend(args);
                map.insert("command".into(), Value::Sequence(new_command));
            }
        }
    }
}

/// Takes the containers the plan leaves out (reload sidecars: listed among its changes) out
/// of their pods.
fn remove_left_out(plan: &StackPlan, documents: &mut [AppliedDocument]) {
    for left_out in &plan.spec.left_out {
        remove_container(documents, &left_out.origin.resource, &left_out.container);
    }
}

/// Takes `container` out of the pod template of `workload`; whether it was there to take.
fn remove_container(documents: &mut [AppliedDocument], workload: &str, container: &str) -> bool {
    let Some(document) = documents.iter_mut().find(|d| d.resource() == workload) else {
        return false;
    };
    let Some(containers) = document
        .pod_spec_mut()
        .and_then(|pod| pod.get_mut("containers"))
        .and_then(Value::as_sequence_mut)
    else {
        return false;
    };
    containers.retain(|c| c["name"].as_str() != Some(container));
    true
}

/// Takes the containers of components left out by explicit opt-out out of their pods.
fn remove_skipped(
    plan: &StackPlan,
    skip: &[ComponentKind],
    documents: &mut [AppliedDocument],
    changes: &mut Vec<Change>,
) {
    for component in &plan.components {
        let kind = component.spec.kind();
        if !skip.contains(&kind) {
            continue;
        }
        let Some(container) = component.spec.origin.key.as_deref() else {
            continue;
        };
        let workload = &component.spec.origin.resource;
        if remove_container(documents, workload, container) {
            changes.push(Change {
                component: component.spec.name.clone(),
                file: workload.clone(),
                key: format!("containers[{container}]"),
                reason: "skipped",
                from: component.spec.image.clone(),
                to: format!("<removed: --skip {kind}>"),
            });
        }
    }
}

fn recorder_deployment(namespace: &str, image: &str) -> Value {
    let text = format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {RECORDER_NAME}
  namespace: {namespace}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {RECORDER_NAME}}}
  template:
    metadata:
      labels: {{app: {RECORDER_NAME}}}
    spec:
      containers:
        - name: recorder
          image: "{image}"
          imagePullPolicy: IfNotPresent
          command: ["/firedrill"]
          args: ["slack-recorder", "--listen", "0.0.0.0:{RECORDER_TARGET_PORT}"]
          ports: [{{containerPort: {RECORDER_TARGET_PORT}, protocol: TCP}}]
"#
    );
    serde_yaml::from_str(&text).expect("the recorder's Deployment is valid YAML")
}

fn recorder_service(namespace: &str) -> Value {
    let text = format!(
        r#"apiVersion: v1
kind: Service
metadata:
  name: {RECORDER_NAME}
  namespace: {namespace}
spec:
  selector: {{app: {RECORDER_NAME}}}
  ports: [{{port: {RECORDER_PORT}, targetPort: {RECORDER_TARGET_PORT}, protocol: TCP}}]
"#
    );
    serde_yaml::from_str(&text).expect("the recorder's Service is valid YAML")
}

/// The documents as `firedrill render --backend kube` prints them: YAML, `---` between
/// them. Secret values never show: a key the harness changed shows its content with
/// credential-like keys and the manifests' secrets redacted, any other shows `<redacted>`.
pub fn render_yaml(plan: &StackPlan, documents: &[AppliedDocument]) -> String {
    let mut out = String::new();
    for document in documents {
        let mut value = document.value.clone();
        if value["kind"].as_str() == Some("Secret") {
            redact_secret_document(plan, &mut value);
        }
        out.push_str("---\n");
        out.push_str(&format!("# from {}\n", document.source));
        out.push_str(&serde_yaml::to_string(&value).unwrap_or_default());
    }
    plan.spec.redact(&out)
}

fn redact_secret_document(plan: &StackPlan, value: &mut Value) {
    let resource = format!(
        "Secret/{}",
        value["metadata"]["name"].as_str().unwrap_or_default()
    );
    let mut changed_keys: Vec<String> = Vec::new();
    for component in &plan.components {
        for file in &component.files {
            let Some(mounted) = component.spec.file(&file.path) else {
                continue;
            };
            if mounted.origin.resource == resource
                && !same_content(file.content.expose(), mounted.content.expose())
            {
                changed_keys.extend(mounted.origin.key.clone());
            }
        }
    }
    for section in ["data", "stringData"] {
        let Some(Value::Mapping(data)) = value.get_mut(section) else {
            continue;
        };
        for (key, v) in data.iter_mut() {
            let key = key.as_str().unwrap_or_default();
            if changed_keys.iter().any(|k| k == key) {
                let text = match v.as_str() {
                    Some(s) if section == "data" => base64::engine::general_purpose::STANDARD
                        .decode(s)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_default(),
                    Some(s) => s.to_string(),
                    None => String::new(),
                };
                *v = Value::from(format!(
                    "<base64 of:>\n{}",
                    crate::secret::redact_secret_keys(&text)
                ));
            } else {
                *v = Value::from(crate::secret::SecretString::REDACTED);
            }
        }
    }
}
