//! Service discovery that needs a Kubernetes API server. A scrape job with
//! `kubernetes_sd_configs` finds its targets by asking the cluster's API; the process and
//! Docker backends have no cluster, so such a job could only ever find nothing. They refuse
//! it before anything starts; the kube backend runs it as written.

use crate::error::{InputError, Result};
use crate::spec::{ComponentKind, StackSpec};

/// The discovery mechanisms that ask a Kubernetes API server.
const CLUSTER_DISCOVERY: &[&str] = &["kubernetes_sd_configs"];

/// One scrape job that discovers its targets through the cluster's API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClusterDiscovery {
    /// `scrape_configs[1]`.
    pub(crate) path: String,
    /// The job's `job_name`.
    pub(crate) job: String,
    /// `kubernetes_sd_configs`.
    pub(crate) mechanism: &'static str,
}

impl ClusterDiscovery {
    /// The key inside the config file.
    pub(crate) fn key(&self) -> String {
        format!("{}.{}", self.path, self.mechanism)
    }
}

/// Every scrape job of the manifests' Prometheus that discovers targets through the cluster.
pub(crate) fn cluster_discovery(spec: &StackSpec) -> Vec<ClusterDiscovery> {
    if spec.component(ComponentKind::Prometheus).is_none() {
        return Vec::new();
    }
    let jobs = spec
        .prometheus()
        .config
        .get("scrape_configs")
        .and_then(serde_yaml::Value::as_sequence);
    let mut found = Vec::new();
    for (i, job) in jobs.into_iter().flatten().enumerate() {
        for mechanism in CLUSTER_DISCOVERY {
            if job.get(*mechanism).is_some() {
                found.push(ClusterDiscovery {
                    path: format!("scrape_configs[{i}]"),
                    job: job
                        .get("job_name")
                        .and_then(serde_yaml::Value::as_str)
                        .unwrap_or("?")
                        .to_string(),
                    mechanism,
                });
            }
        }
    }
    found
}

/// `Err` naming the first job that needs a cluster, for a backend (`process`, `docker`)
/// that has none.
pub(crate) fn require_no_cluster_discovery(spec: &StackSpec, backend: &str) -> Result<()> {
    let Some(first) = cluster_discovery(spec).into_iter().next() else {
        return Ok(());
    };
    let prometheus = spec.prometheus();
    let origin = spec
        .component(ComponentKind::Prometheus)
        .and_then(|c| c.file(&prometheus.config_path))
        .map(|f| f.origin.clone())
        .expect("the loader gives Prometheus's config file an origin");
    let key = match &origin.key {
        Some(outer) => format!("{outer}: {}", first.key()),
        None => first.key(),
    };
    Err(InputError::new(
        &origin.file,
        format!(
            "scrape job `{job}` discovers its targets through the Kubernetes API \
             ({mechanism}), and the {backend} backend has no cluster to ask: run it with \
             `--backend kube`, or give the job `static_configs` naming the Service",
            job = first.job,
            mechanism = first.mechanism,
        ),
    )
    .resource(&origin.resource)
    .key(key)
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::seed_manifests;
    use crate::load::load_dir;

    fn seed_with_kubernetes_discovery() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(seed_manifests()).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
        let config = dir.path().join("prometheus-config.yaml");
        let text = std::fs::read_to_string(&config).unwrap().replace(
            "        static_configs:\n          - targets: ['echo-service:80']",
            "        kubernetes_sd_configs:\n          - role: endpoints",
        );
        assert!(text.contains("kubernetes_sd_configs"), "the seed changed");
        std::fs::write(&config, text).unwrap();
        dir
    }

    #[test]
    fn the_seed_discovers_nothing_through_the_cluster() {
        let spec = load_dir(&seed_manifests()).unwrap();
        assert_eq!(cluster_discovery(&spec), Vec::new());
        require_no_cluster_discovery(&spec, "process").unwrap();
    }

    #[test]
    fn a_job_with_kubernetes_discovery_is_refused_naming_file_resource_key_and_what_to_do() {
        let dir = seed_with_kubernetes_discovery();
        let spec = load_dir(dir.path()).unwrap();
        let found = cluster_discovery(&spec);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].job, "echo");
        let error = require_no_cluster_discovery(&spec, "docker")
            .unwrap_err()
            .to_string();
        for part in [
            "prometheus-config.yaml",
            "ConfigMap/prometheus-config",
            "scrape_configs[1].kubernetes_sd_configs",
            "`echo`",
            "docker backend",
            "--backend kube",
        ] {
            assert!(error.contains(part), "{part} missing from: {error}");
        }
    }
}
