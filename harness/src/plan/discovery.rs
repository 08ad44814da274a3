//! Service discovery that needs a Kubernetes API server. A scrape job (or an Alertmanager
//! entry) with `kubernetes_sd_configs` finds its targets by asking the cluster's API: the
//! kube backend runs it as written; the process and Docker backends, which have no cluster,
//! hand Prometheus what it would find instead ([`super::kubernetes_sd`]).

use crate::spec::{ComponentKind, StackSpec};

/// The discovery mechanisms that ask a Kubernetes API server.
const CLUSTER_DISCOVERY: &[&str] = &["kubernetes_sd_configs"];

/// Whether Prometheus finds anything (a scrape job, an Alertmanager) through the cluster's
/// API: a backend without a cluster then gives each pod an address of its own.
pub(crate) fn uses_kubernetes_discovery(spec: &StackSpec) -> bool {
    if spec.component(ComponentKind::Prometheus).is_none() {
        return false;
    }
    let config = &spec.prometheus().config;
    let in_list = |list: Option<&serde_yaml::Value>| {
        list.and_then(serde_yaml::Value::as_sequence)
            .into_iter()
            .flatten()
            .any(|entry| CLUSTER_DISCOVERY.iter().any(|m| entry.get(*m).is_some()))
    };
    in_list(config.get("scrape_configs"))
        || in_list(config.get("alerting").and_then(|a| a.get("alertmanagers")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::seed_manifests;
    use crate::load::load_dir;
    use crate::plan::{plan, Placement, PlanOptions};
    use crate::spec::ComponentSpec;

    fn repo(path: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(path)
    }

    /// A backend's placement in miniature: each pod at `10.0.0.<n>`.
    struct Pods;

    impl Placement for Pods {
        fn peer_address(&self, _from: &ComponentSpec, to: &ComponentSpec, port: u16) -> String {
            format!("{}:{port}", to.name)
        }
        fn harness_host(&self, _from: &ComponentSpec) -> String {
            "harness".into()
        }
        fn file_path(&self, _component: &ComponentSpec, path: &str) -> String {
            path.to_string()
        }
        fn pod_host(&self, _from: &ComponentSpec, pod: &str, replica: usize) -> Option<String> {
            Some(match replica {
                0 => format!("{pod}.pod"),
                r => format!("{pod}-{r}.pod"),
            })
        }
    }

    fn discovery_file(manifests: &std::path::Path) -> (serde_json::Value, String, Vec<String>) {
        let spec = load_dir(manifests).unwrap();
        let plan = plan(&spec, &Pods, 41234, PlanOptions::default());
        let prometheus = plan
            .components
            .iter()
            .find(|c| c.spec.kind() == ComponentKind::Prometheus)
            .unwrap();
        let file = prometheus
            .files
            .iter()
            .find(|f| {
                f.path
                    .starts_with("/etc/prometheus/firedrill-kubernetes-sd/")
            })
            .expect("an emulated discovery file");
        let config = prometheus
            .files
            .iter()
            .find(|f| f.path.ends_with("prometheus.yaml") || f.path.ends_with("prometheus.yml"))
            .map(|f| f.content.expose().to_string())
            .unwrap_or_default();
        let changes = plan.changes.iter().map(ToString::to_string).collect();
        (
            serde_json::from_str(file.content.expose()).unwrap(),
            config,
            changes,
        )
    }

    #[test]
    fn the_seed_discovers_nothing_through_the_cluster() {
        let spec = load_dir(&seed_manifests()).unwrap();
        assert!(!uses_kubernetes_discovery(&spec));
    }

    #[test]
    fn an_endpoints_job_gets_the_echo_pod_behind_its_service_with_the_labels_its_relabelling_reads()
    {
        let dir = repo("fixtures/manifests/kubernetes-discovery");
        assert!(uses_kubernetes_discovery(&load_dir(&dir).unwrap()));
        let (groups, config, changes) = discovery_file(&dir);
        let groups = groups.as_array().unwrap();
        let echo: Vec<&serde_json::Value> = groups
            .iter()
            .filter(|g| g["labels"]["__meta_kubernetes_service_name"] == "echo-service")
            .collect();
        assert_eq!(echo.len(), 1, "{groups:#?}");
        let labels = &echo[0]["labels"];
        assert_eq!(
            echo[0]["targets"][0], "echo-deployment.pod:8081",
            "{echo:#?}"
        );
        for (name, value) in [
            ("__meta_kubernetes_namespace", "default"),
            ("__meta_kubernetes_endpoints_name", "echo-service"),
            ("__meta_kubernetes_endpoint_ready", "true"),
            ("__meta_kubernetes_endpoint_address_target_kind", "Pod"),
            ("__meta_kubernetes_pod_ip", "echo-deployment.pod"),
            ("__meta_kubernetes_pod_container_name", "echo-server"),
            ("__meta_kubernetes_pod_container_port_number", "8081"),
            ("__meta_kubernetes_pod_controller_kind", "ReplicaSet"),
        ] {
            assert_eq!(labels[name], value, "{name}: {labels:#?}");
        }
        assert!(
            config.contains("/etc/prometheus/firedrill-kubernetes-sd/")
                && !config.contains("kubernetes_sd_configs"),
            "{config}"
        );
        assert!(
            changes
                .iter()
                .any(|c| c.contains("scrape_configs[1].kubernetes_sd_configs[0]")
                    && c.contains("role endpoints")),
            "{changes:#?}"
        );
    }

    #[test]
    fn a_pod_job_sees_every_declared_port_and_the_annotations_sanitised() {
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(repo("fixtures/manifests/kubernetes-discovery")).unwrap() {
            let path = entry.unwrap().path();
            let mut text = std::fs::read_to_string(&path).unwrap();
            if path.ends_with("prometheus-config.yaml") {
                text = text.replace("- role: endpoints", "- role: pod");
            }
            if path.ends_with("echo-deployment.yaml") {
                text = text.replacen(
                    "      labels:\n",
                    "      annotations:\n        prometheus.io/scrape: \"true\"\n      labels:\n",
                    1,
                );
            }
            std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
        }
        let (groups, _, _) = discovery_file(dir.path());
        let groups = groups.as_array().unwrap();
        let echo = groups
            .iter()
            .find(|g| g["labels"]["__meta_kubernetes_pod_container_name"] == "echo-server")
            .unwrap_or_else(|| panic!("no echo container target: {groups:#?}"));
        assert_eq!(echo["targets"][0], "echo-deployment.pod:8081");
        assert_eq!(
            echo["labels"]["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "true",
            "{echo:#?}"
        );
        assert_eq!(
            echo["labels"]["__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape"],
            "true"
        );
        // Prometheus's own pod is found too, each of its containers' ports a target.
        assert!(
            groups
                .iter()
                .any(|g| g["labels"]["__meta_kubernetes_pod_container_port_number"] == "9090"),
            "{groups:#?}"
        );
    }

    #[test]
    fn each_replica_of_a_deployment_is_a_target_of_its_own_with_its_pods_name_and_address() {
        let dir = repo("fixtures/manifests/corpus/working/replicated-pod-discovery/manifests");
        let (groups, _, changes) = discovery_file(&dir);
        let echo: Vec<&serde_json::Value> = groups
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["labels"]["__meta_kubernetes_pod_container_name"] == "echo-server")
            .collect();
        let pods: std::collections::BTreeSet<&str> = echo
            .iter()
            .map(|g| g["labels"]["__meta_kubernetes_pod_name"].as_str().unwrap())
            .collect();
        let addresses: std::collections::BTreeSet<&str> = echo
            .iter()
            .map(|g| g["targets"][0].as_str().unwrap())
            .collect();
        assert_eq!((echo.len(), pods.len()), (3, 3), "{echo:#?}");
        assert_eq!(
            addresses,
            [
                "echo-deployment.pod:8081",
                "echo-deployment-1.pod:8081",
                "echo-deployment-2.pod:8081"
            ]
            .into_iter()
            .collect(),
            "each pod at its own address"
        );
        for group in &echo {
            let labels = &group["labels"];
            assert_eq!(
                labels["__meta_kubernetes_pod_ip"],
                group["targets"][0]
                    .as_str()
                    .unwrap()
                    .trim_end_matches(":8081")
            );
            let pod = labels["__meta_kubernetes_pod_name"].as_str().unwrap();
            let replica_set = labels["__meta_kubernetes_pod_controller_name"]
                .as_str()
                .unwrap();
            assert!(pod.starts_with(&format!("{replica_set}-")), "{labels:#?}");
            assert_eq!(
                format!(
                    "echo-deployment-{}",
                    labels["__meta_kubernetes_pod_label_pod_template_hash"]
                        .as_str()
                        .unwrap()
                ),
                replica_set
            );
        }
        assert!(
            changes
                .iter()
                .any(|c| c.contains("kubernetes_sd_configs[0]") && c.contains("role pod")),
            "{changes:#?}"
        );
    }

    #[test]
    fn an_endpoints_job_finds_each_ready_replica_behind_the_service_and_a_service_job_one_target() {
        let dir = crate::plan::replicas::tests::replicated(&[(
            "prometheus-config.yaml",
            "          - role: pod\n",
            "          - role: endpoints\n          - role: service\n",
        )]);
        let (groups, _, _) = discovery_file(dir.path());
        let groups = groups.as_array().unwrap();
        let endpoints: std::collections::BTreeSet<&str> = groups
            .iter()
            .filter(|g| g["labels"]["__meta_kubernetes_endpoints_name"] == "echo-service")
            .map(|g| {
                g["labels"]["__meta_kubernetes_endpoint_address_target_name"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(endpoints.len(), 3, "one endpoint per pod: {groups:#?}");
        let services = groups
            .iter()
            .filter(|g| {
                g["labels"]["__meta_kubernetes_service_name"] == "echo-service"
                    && g["labels"]
                        .get("__meta_kubernetes_endpoints_name")
                        .is_none()
            })
            .count();
        assert_eq!(services, 1, "a Service is one target: {groups:#?}");
    }
}
