//! The pod templates of the manifests (Deployments, StatefulSets, DaemonSets, bare Pods),
//! with their namespace: what a Service's selector can match.

use std::collections::BTreeMap;

use crate::spec::manifests::resources::{Metadata, PodSpec};
use crate::spec::manifests::Inventory;

/// Kubernetes's namespace for resources that name none.
pub(crate) const DEFAULT_NAMESPACE: &str = "default";

/// A resource's namespace.
pub(crate) fn namespace_of(metadata: &Metadata) -> &str {
    metadata
        .namespace
        .as_deref()
        .filter(|ns| !ns.is_empty())
        .unwrap_or(DEFAULT_NAMESPACE)
}

/// One pod template.
pub(crate) struct PodTemplate<'a> {
    /// `Deployment/echo-deployment`, `Pod/debug`.
    pub resource: &'a str,
    /// The workload's (or Pod's) namespace.
    pub namespace: &'a str,
    /// The labels a Service's selector is matched against.
    pub labels: &'a BTreeMap<String, String>,
    /// Its containers.
    pub spec: &'a PodSpec,
}

impl PodTemplate<'_> {
    /// Whether `selector` (non-empty) selects these pods.
    pub fn selected_by(&self, selector: &BTreeMap<String, String>) -> bool {
        !selector.is_empty() && selector.iter().all(|(k, v)| self.labels.get(k) == Some(v))
    }

    /// `app=echo,tier=web`, or `no labels`.
    pub fn labels_text(&self) -> String {
        if self.labels.is_empty() {
            return "no labels".to_string();
        }
        labels_text(self.labels)
    }
}

/// `k=v,k2=v2`.
pub(crate) fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Every pod template, workloads first, in manifest order.
pub(crate) fn pod_templates(inventory: &Inventory) -> Vec<PodTemplate<'_>> {
    let workloads = inventory.workloads.iter().map(|w| PodTemplate {
        resource: &w.resource,
        namespace: namespace_of(&w.manifest.metadata),
        labels: &w.manifest.spec.template.metadata.labels,
        spec: &w.manifest.spec.template.spec,
    });
    let pods = inventory.pods.iter().map(|p| PodTemplate {
        resource: &p.resource,
        namespace: namespace_of(&p.manifest.metadata),
        labels: &p.manifest.metadata.labels,
        spec: &p.manifest.spec,
    });
    workloads.chain(pods).collect()
}
