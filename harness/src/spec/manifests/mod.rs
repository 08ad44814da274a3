//! The manifests as the loader read them, kept with the stack they describe: every YAML
//! document (what the kube backend applies), and the resources the harness reads sorted by
//! kind (what [`crate::lint`] looks at beyond the spec: namespaces, port names, bare Pods).
//! The directory is read once, by [`crate::load`]; nothing after it reads it again.

pub(crate) mod resources;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde_yaml::Value;

use self::resources::{PodManifest, ServiceManifest, WorkloadManifest};
use super::{FileContent, Origin};

/// Everything read from the manifest directory.
pub(crate) struct Manifests {
    /// Every non-empty document of every `.yaml`/`.yml` file, in path order, as written
    /// (a `List` is one document).
    pub documents: Vec<Document>,
    /// The resources the harness reads, sorted by kind.
    pub inventory: Inventory,
}

impl fmt::Debug for Manifests {
    /// The documents hold Secrets' data as written: only their number is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manifests")
            .field("documents", &self.documents.len())
            .field("inventory", &self.inventory)
            .finish()
    }
}

/// One non-empty YAML document and the file it came from.
#[derive(Debug)]
pub(crate) struct Document {
    /// The manifest file.
    pub file: PathBuf,
    /// The parsed document.
    pub value: Value,
}

/// A resource with the file it came from.
#[derive(Debug)]
pub(crate) struct Located<T> {
    /// The manifest file.
    pub file: PathBuf,
    /// `Kind/name`.
    pub resource: String,
    /// The resource.
    pub manifest: T,
}

/// Every resource the harness reads.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    /// Deployments (and StatefulSets/DaemonSets), in file order.
    pub workloads: Vec<Located<WorkloadManifest>>,
    /// Bare Pods, and the pod templates of ReplicaSets, Jobs and CronJobs, in file order
    /// (only linted, as what a Service may select: the harness runs the workloads above).
    pub pods: Vec<Located<PodManifest>>,
    /// Services, in file order.
    pub services: Vec<Located<ServiceManifest>>,
    /// ConfigMaps by `namespace/name` (names are unique per namespace).
    pub config_maps: BTreeMap<String, DataStore>,
    /// Secrets by `namespace/name`.
    pub secrets: BTreeMap<String, DataStore>,
}

/// A ConfigMap or a Secret, decoded.
#[derive(Debug)]
pub(crate) struct DataStore {
    /// `ConfigMap/name` or `Secret/name`.
    pub resource: String,
    /// `metadata.namespace` (`default` when absent).
    pub namespace: String,
    /// The manifest file.
    pub file: PathBuf,
    /// Key → content (Secret values are [`FileContent::Secret`]).
    pub entries: BTreeMap<String, FileContent>,
}

impl DataStore {
    /// Where a key of this store comes from.
    pub fn origin(&self, key: &str) -> Origin {
        Origin {
            file: self.file.clone(),
            resource: self.resource.clone(),
            key: Some(key.to_string()),
        }
    }

    /// The key names, for messages (`a, b`), or `no keys`.
    pub fn key_list(&self) -> String {
        if self.entries.is_empty() {
            return "it has no keys".to_string();
        }
        let keys: Vec<&str> = self.entries.keys().map(String::as_str).collect();
        format!("its keys: {}", keys.join(", "))
    }
}
