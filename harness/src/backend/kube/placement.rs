//! The kube backend's placement: the manifests' own Services and `localhost` (containers of
//! one pod), in a namespace of the run's own; the Slack recorder is a Service there too.

use crate::plan::Placement;
use crate::spec::{ComponentSpec, ServiceSpec, StackSpec};

/// The Slack recorder's Deployment and Service in the run's namespace.
pub const RECORDER_NAME: &str = "firedrill-slack-recorder";
/// The recorder Service's port (Alertmanager posts to `http://RECORDER_NAME:80/...`).
pub const RECORDER_PORT: u16 = 80;
/// The port the recorder listens on in its pod.
pub const RECORDER_TARGET_PORT: u16 = 8080;

/// Names for one run of a stack in a cluster.
#[derive(Debug, Clone)]
pub struct KubePlacement {
    namespace: String,
    services: Vec<ServiceSpec>,
}

impl KubePlacement {
    /// A new run: the namespace `firedrill-<pid>-<n>-<random>`.
    pub fn new(spec: &StackSpec) -> Self {
        Self::with_namespace(spec, &crate::backend::owner::new_run_name())
    }

    /// A run in a given namespace (deterministic, for tests).
    pub fn with_namespace(spec: &StackSpec, namespace: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            services: spec.services.clone(),
        }
    }

    /// The run's namespace (also its run id).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

impl Placement for KubePlacement {
    /// The address as the manifests would write it in any namespace: `localhost` within a
    /// pod, else the first Service that selects `to`'s pod and forwards to `port`.
    fn peer_address(&self, from: &ComponentSpec, to: &ComponentSpec, port: u16) -> String {
        if from.pod == to.pod {
            return format!("localhost:{port}");
        }
        let selects = |service: &ServiceSpec| {
            !service.selector.is_empty()
                && service
                    .selector
                    .iter()
                    .all(|(k, v)| to.pod_labels.get(k) == Some(v))
        };
        self.services
            .iter()
            .filter(|s| selects(s))
            .find_map(|s| {
                s.ports
                    .iter()
                    .find(|p| p.target_port == port)
                    .map(|p| format!("{}:{}", s.name, p.port))
            })
            .unwrap_or_else(|| format!("{}:{port}", to.name))
    }

    fn harness_host(&self, _from: &ComponentSpec) -> String {
        RECORDER_NAME.to_string()
    }

    fn file_path(&self, _component: &ComponentSpec, path: &str) -> String {
        path.to_string()
    }

    fn cluster_namespace(&self) -> Option<&str> {
        Some(&self.namespace)
    }
}
