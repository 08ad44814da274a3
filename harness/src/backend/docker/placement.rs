//! The Docker backend's placement: every component a container named after the run, on the
//! run's own network, reaching its peers by container name and the harness through
//! `host.docker.internal`. Files keep their in-container paths: they are copied there.

use std::collections::BTreeMap;

use crate::plan::Placement;
use crate::spec::{ComponentSpec, StackSpec};

/// The host name containers reach the harness's host by: native on Docker Desktop, mapped to
/// `host-gateway` on Linux engines (each container gets that host entry).
pub const HARNESS_HOST: &str = "host.docker.internal";

/// Container and network names for one run of a stack.
#[derive(Debug, Clone)]
pub struct DockerPlacement {
    run_id: String,
    containers: BTreeMap<String, String>,
    /// How many pods each replicated component runs (absent: one).
    replicas: BTreeMap<String, usize>,
    /// Each pod's components (by workload name) with their container ports: each container
    /// is one of its own on the network, so a pod's port is reached at its container.
    pods: BTreeMap<String, Vec<(String, Vec<u16>)>>,
}

impl DockerPlacement {
    /// Names for a new run: `firedrill-<pid>-<n>-<random>`, unique on this engine even when
    /// several harnesses (or several stacks of one test binary) share it.
    pub fn new(spec: &StackSpec) -> Self {
        Self::with_run_id(spec, &crate::backend::owner::new_run_name())
    }

    /// Names for a run with a given id (deterministic, for tests).
    pub fn with_run_id(spec: &StackSpec, run_id: &str) -> Self {
        let containers = spec
            .components
            .iter()
            .map(|c| (c.name.clone(), format!("{run_id}-{}", c.name)))
            .collect();
        let replicas = spec
            .components
            .iter()
            .map(|c| (c.name.clone(), crate::plan::replica_count(spec, &c.pod)))
            .filter(|(_, n)| *n > 1)
            .collect();
        let mut pods: BTreeMap<String, Vec<(String, Vec<u16>)>> = BTreeMap::new();
        for c in &spec.components {
            pods.entry(c.pod.clone())
                .or_default()
                .push((c.name.clone(), c.ports.clone()));
        }
        Self {
            run_id: run_id.to_string(),
            containers,
            replicas,
            pods,
        }
    }

    /// How many pods of a component run (1 unless its workload runs several).
    pub(crate) fn replicas(&self, component: &str) -> usize {
        self.replicas.get(component).copied().unwrap_or(1)
    }

    /// The container of pod `replica` of a component: the component's own container for the
    /// first, `<its container>-<replica>` for the others.
    pub(crate) fn replica_container(&self, component: &str, replica: usize) -> Option<String> {
        let first = self.container_name(component)?;
        match replica {
            0 => Some(first.to_string()),
            r if r < self.replicas(component) => Some(format!("{first}-{r}")),
            _ => None,
        }
    }

    /// The network alias every container of a replicated component shares (what its peers
    /// reach it at, as a Service's name); `None` for a component running one pod.
    pub(crate) fn service_alias(&self, component: &str) -> Option<String> {
        (self.replicas(component) > 1)
            .then(|| self.container_name(component))
            .flatten()
            .map(|first| format!("{first}-service"))
    }

    /// The run's id, which names its network and prefixes its containers.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The run's Docker network.
    pub fn network(&self) -> &str {
        &self.run_id
    }

    /// The container (and host name on the run's network) of a component.
    pub fn container_name(&self, component: &str) -> Option<&str> {
        self.containers.get(component).map(String::as_str)
    }
}

impl Placement for DockerPlacement {
    /// The component's container, or the network alias its pods share where it runs several.
    fn peer_address(&self, _from: &ComponentSpec, to: &ComponentSpec, port: u16) -> String {
        let host = self
            .service_alias(&to.name)
            .or_else(|| self.container_name(&to.name).map(str::to_string))
            .unwrap_or_else(|| to.name.clone());
        format!("{host}:{port}")
    }

    fn harness_host(&self, _from: &ComponentSpec) -> String {
        HARNESS_HOST.to_string()
    }

    /// The pod's first container that declares a port (else its first): its name on the
    /// run's network stands for the pod's IP.
    fn pod_host(&self, _from: &ComponentSpec, pod: &str, replica: usize) -> Option<String> {
        let members = self.pods.get(pod)?;
        let (main, _) = members
            .iter()
            .find(|(_, ports)| !ports.is_empty())
            .or_else(|| members.first())?;
        self.replica_container(main, replica)
    }

    /// The container of the pod that declares `port` (else the pod's host).
    fn pod_address(
        &self,
        from: &ComponentSpec,
        pod: &str,
        replica: usize,
        port: u16,
    ) -> Option<String> {
        let owner = self
            .pods
            .get(pod)?
            .iter()
            .find(|(_, ports)| ports.contains(&port))
            .and_then(|(name, _)| self.replica_container(name, replica));
        let host = owner.or_else(|| self.pod_host(from, pod, replica))?;
        Some(format!("{host}:{port}"))
    }

    fn spread(&self, to: &ComponentSpec) -> Option<String> {
        let pods = self.replicas(&to.name);
        (pods > 1).then(|| {
            format!(
                "a network alias of its {pods} containers, which Docker's DNS answers with all \
                 their addresses shuffled: connections spread across the pods, and a client \
                 keeping its connection stays on one pod, as with kube-proxy"
            )
        })
    }

    fn file_path(&self, _component: &ComponentSpec, path: &str) -> String {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_dir;
    use crate::plan::{plan, PlanOptions};
    use crate::spec::ComponentKind;
    use std::path::Path;

    fn repo(path: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
    }

    fn seed() -> StackSpec {
        load_dir(&repo("manifests")).expect("the seed's manifests load")
    }

    fn renamed() -> StackSpec {
        load_dir(&repo("fixtures/manifests/renamed")).expect("the renamed manifests load")
    }

    fn file_text(plan: &crate::plan::StackPlan, component: &str, path: &str) -> String {
        plan.component(component)
            .and_then(|c| c.files.iter().find(|f| f.path == path))
            .map(|f| f.content.expose().to_string())
            .unwrap_or_else(|| panic!("{component} has no planned file {path}"))
    }

    #[test]
    fn every_component_of_the_seed_gets_a_container_named_after_the_run() {
        let spec = seed();
        let placement = DockerPlacement::with_run_id(&spec, "firedrill-1-0-abcdef");
        assert_eq!(placement.network(), "firedrill-1-0-abcdef");
        for component in &spec.components {
            assert_eq!(
                placement.container_name(&component.name),
                Some(format!("firedrill-1-0-abcdef-{}", component.name).as_str())
            );
        }
    }

    #[test]
    fn two_runs_never_share_a_network_name() {
        let spec = seed();
        let a = DockerPlacement::new(&spec);
        let b = DockerPlacement::new(&spec);
        assert_ne!(a.network(), b.network());
        assert!(a
            .network()
            .starts_with(&format!("firedrill-{}-", std::process::id())));
    }

    #[test]
    fn peers_are_reached_by_container_name_and_files_keep_their_in_container_paths() {
        let spec = seed();
        let placement = DockerPlacement::with_run_id(&spec, "run");
        let prometheus = spec.component(ComponentKind::Prometheus).unwrap();
        let app = spec.component(ComponentKind::App).unwrap();
        assert_eq!(
            placement.peer_address(prometheus, app, 8081),
            "run-echo-server:8081"
        );
        assert_eq!(placement.harness_host(prometheus), "host.docker.internal");
        assert_eq!(
            placement.file_path(prometheus, "/etc/prometheus/rules.yaml"),
            "/etc/prometheus/rules.yaml"
        );
    }

    #[test]
    fn the_seeds_scrape_target_and_alertmanager_point_at_their_containers() {
        let spec = seed();
        let placement = DockerPlacement::with_run_id(&spec, "run");
        let plan = plan(&spec, &placement, 41234, PlanOptions::default());
        let config = file_text(&plan, "prometheus", "/etc/prometheus/prometheus.yaml");
        assert!(config.contains("run-echo-server:8081"), "{config}");
        assert!(config.contains("run-alertmanager:9093"), "{config}");
        assert!(config.contains("run-prometheus:9090"), "{config}");
        assert!(!config.contains("echo-service:80"), "{config}");
        assert!(
            config.contains("/etc/prometheus/rules.yaml"),
            "rule files keep their path: {config}"
        );
        let changed = |key_part: &str, to: &str| {
            plan.changes
                .iter()
                .any(|c| c.key.contains(key_part) && c.to == to && c.reason == "address")
        };
        assert!(
            changed("scrape_configs", "run-echo-server:8081"),
            "{:#?}",
            plan.changes
        );
        assert!(
            changed("alerting", "run-alertmanager:9093"),
            "{:#?}",
            plan.changes
        );
        assert!(
            !plan.changes.iter().any(|c| c.reason == "path"),
            "no path changes on docker: {:#?}",
            plan.changes
        );
    }

    #[test]
    fn grafanas_datasource_points_at_the_prometheus_container() {
        let spec = seed();
        let placement = DockerPlacement::with_run_id(&spec, "run");
        let plan = plan(&spec, &placement, 41234, PlanOptions::default());
        let grafana = spec.component(ComponentKind::Grafana).unwrap();
        let path = &grafana.files[0].path;
        let datasources = file_text(&plan, &grafana.name, path);
        assert!(
            datasources.contains("http://run-prometheus:9090"),
            "{datasources}"
        );
    }

    #[test]
    fn alertmanagers_slack_urls_point_at_the_mock_on_the_harness_host() {
        let spec = seed();
        let placement = DockerPlacement::with_run_id(&spec, "run");
        let plan = plan(&spec, &placement, 41234, PlanOptions::default());
        assert_eq!(plan.slack_base, "http://host.docker.internal:41234");
        let config = file_text(&plan, "alertmanager", "/etc/alertmanager/alertmanager.yaml");
        assert!(
            config.contains("http://host.docker.internal:41234/slack/"),
            "the Slack URL points at the mock"
        );
    }

    #[test]
    fn the_renamed_manifests_resolve_their_service_and_localhost_addresses_to_containers() {
        let spec = renamed();
        let placement = DockerPlacement::with_run_id(&spec, "run");
        let plan = plan(&spec, &placement, 41234, PlanOptions::default());
        let config = file_text(&plan, "prom", "/etc/prom/prom.yml");
        assert!(
            config.contains("run-web:8081"),
            "web:8080 → the app container: {config}"
        );
        assert!(config.contains("run-notifier:9093"), "{config}");
        let grafana = spec.component(ComponentKind::Grafana).unwrap();
        let datasources = file_text(&plan, &grafana.name, &grafana.files[0].path);
        assert!(
            datasources.contains("http://run-prom:9090"),
            "{datasources}"
        );
        let notifier = file_text(&plan, "notifier", "/etc/notifier/am.yml");
        assert!(notifier.contains("http://host.docker.internal:41234/slack/"));
    }

    #[test]
    fn each_replica_is_a_container_of_its_own_and_peers_reach_them_by_a_shared_alias() {
        let spec = load_dir(&repo(
            "fixtures/manifests/corpus/working/replicated-pod-discovery/manifests",
        ))
        .unwrap();
        let placement = DockerPlacement::with_run_id(&spec, "run");
        let prometheus = spec.component(ComponentKind::Prometheus).unwrap();
        let echo = spec.component_named("echo-server").unwrap();
        assert_eq!(placement.replicas("echo-server"), 3);
        let containers: Vec<Option<String>> = (0..4)
            .map(|r| placement.replica_container("echo-server", r))
            .collect();
        assert_eq!(
            containers,
            [
                Some("run-echo-server".to_string()),
                Some("run-echo-server-1".to_string()),
                Some("run-echo-server-2".to_string()),
                None
            ]
        );
        assert_eq!(
            placement.pod_address(prometheus, "echo-deployment", 2, 8081),
            Some("run-echo-server-2:8081".to_string())
        );
        assert_eq!(
            placement.peer_address(prometheus, echo, 8081),
            "run-echo-server-service:8081"
        );
        assert_eq!(placement.service_alias("prometheus"), None);
        assert_eq!(
            placement.peer_address(echo, prometheus, 9090),
            "run-prometheus:9090"
        );
    }
}
