//! Kubernetes service discovery without a cluster. A scrape job (or an Alertmanager entry)
//! with `kubernetes_sd_configs` asks the cluster's API for its targets; the process and
//! Docker backends have none, so they hand the real Prometheus what that discovery would
//! find for the manifests' own objects instead, as a `file_sd_configs` file: the same
//! targets, with the `__meta_kubernetes_*` labels Prometheus documents for each role, so
//! that the job's own `relabel_configs` decide what is scraped and with which labels, as in
//! a cluster.
//!
//! - `pod`: a target per declared port of each container of each pod the manifests run (each
//!   replica of a Deployment or StatefulSet, see [`super::replicas`]; one of a DaemonSet),
//!   and a port-less one for a container that declares none.
//! - `service`: a target per port of each Service, at its cluster DNS name.
//! - `endpoints` and `endpointslice`: a target per Service port and pod the Service selects
//!   (at the pod's address and the resolved target port), with the Service's and the pod's
//!   labels, and one for every other declared port of those pods.
//! - `node` and `ingress` find nothing here: the job gets an empty file, a listed change
//!   naming it.
//!
//! Each pod has an address of its own (the backend's: a loopback address of its own on the
//! process backend, its container's name on Docker) where its declared ports answer, so an
//! address the relabelling rewrites (`prometheus.io/port`) reaches the pod as in a cluster.
//! `namespaces` is honoured; label `selectors` with `=`, `==`, `!=` and existence are;
//! field selectors and set-based ones are not, and such an entry finds nothing, saying so.

use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value};

use super::changes::ChangeLog;
use super::replicas::namespace_of;
use super::{Placement, PlannedFile};
use crate::spec::manifests::resources::{Container, Metadata, PortRef, ServiceManifest};
use crate::spec::manifests::Located;
use crate::spec::{ComponentSpec, FileContent, StackSpec};

/// Where the emulated discovery files go, inside Prometheus's container.
const SD_DIR: &str = "/etc/prometheus/firedrill-kubernetes-sd";

/// Whether `path` (in-container) is a file the emulated discovery planned.
pub(crate) fn is_emulated(path: &str) -> bool {
    path.strip_prefix(SD_DIR)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// One emulated target: its address and labels.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Target {
    /// `__address__`.
    pub(crate) address: String,
    /// The `__meta_kubernetes_*` labels.
    pub(crate) labels: BTreeMap<String, String>,
}

/// A pod the manifests run, as discovery sees it.
struct Pod<'a> {
    /// The workload's name (what the placement knows the pod by).
    workload: String,
    /// Which of the workload's pods (0 for the first).
    replica: usize,
    name: String,
    namespace: String,
    metadata: &'a Metadata,
    containers: &'a [Container],
    controller: Option<(String, String)>,
    /// Labels the controller adds to the pods it creates (`pod-template-hash`, ...), which
    /// a `labelmap` of the pod's labels picks up as it does in a cluster.
    added_labels: BTreeMap<String, String>,
    /// The host at which Prometheus reaches it.
    host: String,
}

/// Prometheus's label name sanitising: every character outside `[a-zA-Z0-9_]` becomes `_`.
pub(crate) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn labels_of(
    out: &mut BTreeMap<String, String>,
    prefix: &str,
    labels: &BTreeMap<String, String>,
    what: &str,
) {
    for (name, value) in labels {
        let name = sanitize(name);
        out.insert(format!("{prefix}_{what}_{name}"), value.clone());
        out.insert(format!("{prefix}_{what}present_{name}"), "true".to_string());
    }
}

/// The pods the manifests run: each pod of each workload (a bare Pod is a workload of one).
fn pods<'a>(spec: &'a StackSpec, me: &ComponentSpec, placement: &dyn Placement) -> Vec<Pod<'a>> {
    let inventory = &spec.manifests.inventory;
    let mut pods = Vec::new();
    for workload in &inventory.workloads {
        let name = &workload.manifest.metadata.name;
        for (replica, identity) in super::replicas::pods(spec, name).into_iter().enumerate() {
            let Some(host) = placement.pod_host(me, name, replica) else {
                continue;
            };
            pods.push(Pod {
                workload: name.clone(),
                replica,
                name: identity.name,
                namespace: identity.namespace,
                metadata: &workload.manifest.spec.template.metadata,
                containers: &workload.manifest.spec.template.spec.containers,
                controller: identity.controller,
                added_labels: identity.added_labels,
                host,
            });
        }
    }
    pods
}

fn pod_labels(pod: &Pod<'_>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let p = "__meta_kubernetes_pod";
    labels.insert("__meta_kubernetes_namespace".into(), pod.namespace.clone());
    labels.insert(format!("{p}_name"), pod.name.clone());
    labels.insert(format!("{p}_ip"), pod.host.clone());
    labels.insert(format!("{p}_host_ip"), pod.host.clone());
    labels.insert(format!("{p}_node_name"), "firedrill".into());
    labels.insert(format!("{p}_ready"), "true".into());
    labels.insert(format!("{p}_phase"), "Running".into());
    labels.insert(
        format!("{p}_uid"),
        format!("firedrill-{}-{}", pod.namespace, pod.name),
    );
    let mut pod_labels = pod.metadata.labels.clone();
    pod_labels.extend(pod.added_labels.clone());
    labels_of(&mut labels, p, &pod_labels, "label");
    labels_of(&mut labels, p, &pod.metadata.annotations, "annotation");
    if let Some((kind, name)) = &pod.controller {
        labels.insert(format!("{p}_controller_kind"), kind.clone());
        labels.insert(format!("{p}_controller_name"), name.clone());
    }
    labels
}

fn container_labels(
    labels: &mut BTreeMap<String, String>,
    container: &Container,
    port: Option<&crate::spec::manifests::resources::ContainerPort>,
) {
    let p = "__meta_kubernetes_pod_container";
    labels.insert(format!("{p}_name"), container.name.clone());
    labels.insert(format!("{p}_image"), container.image.clone());
    labels.insert(format!("{p}_init"), "false".into());
    if let Some(port) = port {
        labels.insert(
            format!("{p}_port_name"),
            port.name.clone().unwrap_or_default(),
        );
        labels.insert(format!("{p}_port_number"), port.container_port.to_string());
        labels.insert(
            format!("{p}_port_protocol"),
            port.protocol.clone().unwrap_or_else(|| "TCP".into()),
        );
    }
}

fn pod_targets(pod: &Pod<'_>, me: &ComponentSpec, placement: &dyn Placement) -> Vec<Target> {
    let base = pod_labels(pod);
    let mut targets = Vec::new();
    for container in pod.containers {
        if container.ports.is_empty() {
            let mut labels = base.clone();
            container_labels(&mut labels, container, None);
            targets.push(Target {
                address: pod.host.clone(),
                labels,
            });
        }
        for port in &container.ports {
            let mut labels = base.clone();
            container_labels(&mut labels, container, Some(port));
            targets.push(Target {
                address: address(pod, me, placement, port.container_port),
                labels,
            });
        }
    }
    targets
}

fn address(pod: &Pod<'_>, me: &ComponentSpec, placement: &dyn Placement, port: u16) -> String {
    placement
        .pod_address(me, &pod.workload, pod.replica, port)
        .unwrap_or_else(|| format!("{}:{port}", pod.host))
}

fn service_labels(service: &Located<ServiceManifest>) -> BTreeMap<String, String> {
    let metadata = &service.manifest.metadata;
    let p = "__meta_kubernetes_service";
    let mut labels = BTreeMap::new();
    labels.insert("__meta_kubernetes_namespace".into(), namespace_of(metadata));
    labels.insert(format!("{p}_name"), metadata.name.clone());
    labels.insert(format!("{p}_type"), "ClusterIP".into());
    labels_of(&mut labels, p, &metadata.labels, "label");
    labels_of(&mut labels, p, &metadata.annotations, "annotation");
    labels
}

fn selects(service: &ServiceManifest, pod: &Pod<'_>) -> bool {
    !service.spec.selector.is_empty()
        && namespace_of(&service.metadata) == pod.namespace
        && service
            .spec
            .selector
            .iter()
            .all(|(k, v)| pod.metadata.labels.get(k) == Some(v))
}

fn service_targets(spec: &StackSpec, me: &ComponentSpec, placement: &dyn Placement) -> Vec<Target> {
    let mut targets = Vec::new();
    for service in &spec.manifests.inventory.services {
        let metadata = &service.manifest.metadata;
        let dns = format!("{}.{}.svc", metadata.name, namespace_of(metadata));
        for port in &service.manifest.spec.ports {
            let mut labels = service_labels(service);
            let p = "__meta_kubernetes_service";
            labels.insert(
                format!("{p}_port_name"),
                port.name.clone().unwrap_or_default(),
            );
            labels.insert(format!("{p}_port_number"), port.port.to_string());
            labels.insert(
                format!("{p}_port_protocol"),
                port.protocol.clone().unwrap_or_else(|| "TCP".into()),
            );
            let logical = format!("{dns}:{}", port.port);
            let address = super::addresses::resolve(spec, me, &logical)
                .map(|r| placement.peer_address(me, r.component, r.port))
                .unwrap_or(logical);
            targets.push(Target { address, labels });
        }
    }
    targets
}

/// `endpoints` (`slice` false) or `endpointslice` (true).
fn endpoint_targets(
    pods: &[Pod<'_>],
    spec: &StackSpec,
    slice: bool,
    me: &ComponentSpec,
    placement: &dyn Placement,
) -> Vec<Target> {
    let mut targets = Vec::new();
    for service in &spec.manifests.inventory.services {
        let backing: Vec<&Pod<'_>> = pods
            .iter()
            .filter(|pod| selects(&service.manifest, pod))
            .collect();
        for pod in backing {
            let mut bound = Vec::new();
            for port in &service.manifest.spec.ports {
                // The target port: a number, or a container port's name (the loader checked
                // that the pod declares it); absent means the Service's own port.
                let found = pod.containers.iter().find_map(|c| {
                    c.ports
                        .iter()
                        .find(|cp| match &port.target_port {
                            Some(PortRef::Name(name)) => cp.name.as_deref() == Some(name),
                            Some(PortRef::Number(n)) => cp.container_port == *n,
                            None => cp.container_port == port.port,
                        })
                        .map(|cp| (c, cp))
                });
                let number = match (&port.target_port, found) {
                    (_, Some((_, cp))) => cp.container_port,
                    (Some(PortRef::Number(n)), None) => *n,
                    (None, None) => port.port,
                    (Some(PortRef::Name(_)), None) => continue,
                };
                let mut labels = service_labels(service);
                labels.extend(pod_labels(pod));
                if let Some((container, cp)) = found {
                    container_labels(&mut labels, container, Some(cp));
                    bound.push((container.name.clone(), cp.container_port));
                }
                let name = service.manifest.metadata.name.clone();
                let port_name = port.name.clone().unwrap_or_default();
                let protocol = port.protocol.clone().unwrap_or_else(|| "TCP".into());
                if slice {
                    let p = "__meta_kubernetes_endpointslice";
                    labels.insert(format!("{p}_name"), format!("{name}-firedrill"));
                    labels_of(&mut labels, p, &service.manifest.metadata.labels, "label");
                    labels.insert(format!("{p}_address_type"), "IPv4".into());
                    labels.insert(format!("{p}_address_target_kind"), "Pod".into());
                    labels.insert(format!("{p}_address_target_name"), pod.name.clone());
                    labels.insert(format!("{p}_endpoint_conditions_ready"), "true".into());
                    labels.insert(format!("{p}_port"), number.to_string());
                    labels.insert(format!("{p}_port_name"), port_name);
                    labels.insert(format!("{p}_port_protocol"), protocol);
                } else {
                    let p = "__meta_kubernetes_endpoint";
                    labels.insert("__meta_kubernetes_endpoints_name".into(), name);
                    labels_of(
                        &mut labels,
                        "__meta_kubernetes_endpoints",
                        &service.manifest.metadata.labels,
                        "label",
                    );
                    labels.insert(format!("{p}_ready"), "true".into());
                    labels.insert(format!("{p}_node_name"), "firedrill".into());
                    labels.insert(format!("{p}_address_target_kind"), "Pod".into());
                    labels.insert(format!("{p}_address_target_name"), pod.name.clone());
                    labels.insert(format!("{p}_port_name"), port_name);
                    labels.insert(format!("{p}_port_protocol"), protocol);
                }
                targets.push(Target {
                    address: address(pod, me, placement, number),
                    labels,
                });
            }
            // Every other declared port of the pod, with the pod's and the Service's labels.
            for container in pod.containers {
                for cp in &container.ports {
                    if bound.contains(&(container.name.clone(), cp.container_port)) {
                        continue;
                    }
                    let mut labels = service_labels(service);
                    labels.extend(pod_labels(pod));
                    container_labels(&mut labels, container, Some(cp));
                    let name = service.manifest.metadata.name.clone();
                    if slice {
                        labels.insert(
                            "__meta_kubernetes_endpointslice_name".into(),
                            format!("{name}-firedrill"),
                        );
                    } else {
                        labels.insert("__meta_kubernetes_endpoints_name".into(), name);
                    }
                    targets.push(Target {
                        address: address(pod, me, placement, cp.container_port),
                        labels,
                    });
                }
            }
        }
    }
    targets
}

/// One term of a label selector: `key=value` (`equal`), `key!=value`, `key` (exists, `value`
/// `None`) or `!key`.
#[derive(Debug, Clone)]
struct Term {
    key: String,
    value: Option<String>,
    equal: bool,
}

impl Term {
    fn new(key: &str, value: Option<&str>, equal: bool) -> Self {
        Self {
            key: key.trim().to_string(),
            value: value.map(|v| v.trim().to_string()),
            equal,
        }
    }
}

/// A label selector of `selectors[].label`: `key=value`, `key==value`, `key!=value`, `key`,
/// `!key`, comma-separated; `None` for what this emulation does not read (set-based).
fn label_selector(text: &str) -> Option<Vec<Term>> {
    let mut terms = Vec::new();
    for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if term.contains(" in ") || term.contains(" notin ") || term.contains('(') {
            return None;
        }
        if let Some((k, v)) = term.split_once("!=") {
            terms.push(Term::new(k, Some(v), false));
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            terms.push(Term::new(k, Some(v), true));
        } else if let Some(k) = term.strip_prefix('!') {
            terms.push(Term::new(k, None, false));
        } else {
            terms.push(Term::new(term, None, true));
        }
    }
    Some(terms)
}

fn matches_selector(terms: &[Term], labels: &BTreeMap<String, String>) -> bool {
    terms.iter().all(|t| match &t.value {
        Some(v) => (labels.get(&t.key) == Some(v)) == t.equal,
        None => labels.contains_key(&t.key) == t.equal,
    })
}

/// What one `kubernetes_sd_configs` entry finds here, or why it finds nothing.
fn discover(
    spec: &StackSpec,
    me: &ComponentSpec,
    placement: &dyn Placement,
    config: &Mapping,
    own_namespace: &str,
) -> Result<Vec<Target>, String> {
    let role = config.get("role").and_then(Value::as_str).unwrap_or("");
    let namespaces: Option<Vec<String>> = config.get("namespaces").map(|n| {
        let mut names: Vec<String> = n
            .get("names")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        if n.get("own_namespace").and_then(Value::as_bool) == Some(true) {
            names.push(own_namespace.to_string());
        }
        names
    });
    let namespaces = namespaces.filter(|names| !names.is_empty());
    let mut selectors: Vec<(String, Vec<Term>)> = Vec::new();
    for selector in config
        .get("selectors")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        if selector.get("field").is_some() {
            return Err("its field selectors are not emulated".to_string());
        }
        let Some(label) = selector.get("label").and_then(Value::as_str) else {
            continue;
        };
        let terms = label_selector(label)
            .ok_or_else(|| format!("its set-based label selector `{label}` is not emulated"))?;
        let role = selector
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or(role)
            .to_string();
        selectors.push((role, terms));
    }
    let pods = pods(spec, me, placement);
    let targets = match role {
        "pod" => pods
            .iter()
            .flat_map(|pod| pod_targets(pod, me, placement))
            .collect(),
        "service" => service_targets(spec, me, placement),
        "endpoints" => endpoint_targets(&pods, spec, false, me, placement),
        "endpointslice" => endpoint_targets(&pods, spec, true, me, placement),
        "node" | "ingress" => {
            return Err(format!(
                "role {role} finds nothing without a cluster (the manifests run no {role}s)"
            ))
        }
        other => return Err(format!("role `{other}` is not one Prometheus knows")),
    };
    Ok(targets
        .into_iter()
        .filter(|t| {
            namespaces.as_ref().is_none_or(|names| {
                t.labels
                    .get("__meta_kubernetes_namespace")
                    .is_some_and(|ns| names.contains(ns))
            })
        })
        .filter(|t| {
            selectors.iter().all(|(role, terms)| {
                // A selector filters the objects of its role by their labels.
                let prefix = match role.as_str() {
                    "pod" => "__meta_kubernetes_pod_label_",
                    "service" => "__meta_kubernetes_service_label_",
                    "endpoints" => "__meta_kubernetes_endpoints_label_",
                    "endpointslice" => "__meta_kubernetes_endpointslice_label_",
                    _ => return true,
                };
                let labels: BTreeMap<String, String> = t
                    .labels
                    .iter()
                    .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone())))
                    .collect();
                // Selector keys are written unsanitised.
                let sanitized: Vec<Term> = terms
                    .iter()
                    .map(|t| Term {
                        key: sanitize(&t.key),
                        ..t.clone()
                    })
                    .collect();
                matches_selector(&sanitized, &labels)
            })
        })
        .collect())
}

/// Replaces `owner`'s `kubernetes_sd_configs` (a scrape job, or an Alertmanager entry at
/// `path`) with a `file_sd_configs` file holding what they would discover; the file is added
/// to `files`. Every change is logged; an entry that finds nothing here says why.
pub(crate) fn emulate(
    spec: &StackSpec,
    me: &ComponentSpec,
    owner: &mut Mapping,
    path: &str,
    placement: &dyn Placement,
    log: &mut ChangeLog<'_>,
    files: &mut Vec<PlannedFile>,
) {
    let Some(configs) = owner.remove("kubernetes_sd_configs") else {
        return;
    };
    let own_namespace = spec
        .manifests
        .inventory
        .workloads
        .iter()
        .find(|w| w.manifest.metadata.name == me.pod)
        .map_or_else(
            || "default".to_string(),
            |w| namespace_of(&w.manifest.metadata),
        );
    let mut targets = Vec::new();
    for (i, config) in configs.as_sequence().into_iter().flatten().enumerate() {
        let key = format!("{path}.kubernetes_sd_configs[{i}]");
        let Some(config) = config.as_mapping() else {
            continue;
        };
        let role = config.get("role").and_then(Value::as_str).unwrap_or("?");
        match discover(spec, me, placement, config, &own_namespace) {
            Ok(found) => {
                log.record(
                    key,
                    "kubernetes discovery",
                    format!("role {role}"),
                    format!(
                        "{} target{} the manifests' objects give, with their \
                         __meta_kubernetes_* labels",
                        found.len(),
                        if found.len() == 1 { "" } else { "s" }
                    ),
                );
                targets.extend(found);
            }
            Err(why) => log.record(
                key,
                "kubernetes discovery",
                format!("role {role}"),
                format!("nothing: {why}"),
            ),
        }
    }
    let file = format!(
        "{SD_DIR}/{}.json",
        path.replace(['[', ']', '.'], "_").trim_matches('_')
    );
    let groups: Vec<serde_json::Value> = targets
        .iter()
        .map(|t| serde_json::json!({"targets": [t.address], "labels": t.labels}))
        .collect();
    let text = serde_json::to_string_pretty(&groups).expect("targets serialize");
    files.push(PlannedFile::rewritten(&file, FileContent::Plain(text)));
    // In-container, as the manifests' own paths are: the file references are translated
    // for the backend after this.
    let seen = file.clone();
    let mut sd = Mapping::new();
    sd.insert(
        "files".into(),
        Value::Sequence(vec![Value::String(seen.clone())]),
    );
    let list = owner
        .entry("file_sd_configs".into())
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if let Some(list) = list.as_sequence_mut() {
        list.push(Value::Mapping(sd));
    }
    log.record(
        format!("{path}.file_sd_configs"),
        "kubernetes discovery",
        "<absent>",
        format!("[{{files: [{seen}]}}]: what kubernetes_sd_configs would find"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_are_sanitised_as_prometheus_does() {
        assert_eq!(sanitize("prometheus.io/scrape"), "prometheus_io_scrape");
        assert_eq!(sanitize("app.kubernetes.io/name"), "app_kubernetes_io_name");
    }

    #[test]
    fn equality_inequality_and_existence_selectors_are_read_and_set_based_ones_are_not() {
        let terms = label_selector("app=echo, tier!=db,monitored,!legacy").unwrap();
        let labels: BTreeMap<String, String> = [("app", "echo"), ("monitored", "yes")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(matches_selector(&terms, &labels));
        let mut legacy = labels.clone();
        legacy.insert("legacy".into(), "1".into());
        assert!(!matches_selector(&terms, &legacy));
        assert!(label_selector("app in (a, b)").is_none());
    }
}
