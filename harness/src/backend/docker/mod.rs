//! The Docker backend: the stack as the manifests describe it — the images they name, each
//! component in its own container, on a Docker network of its own — checked by the same
//! checks as every backend.
//!
//! The engine is driven through the bollard client that testcontainers re-exports, negotiated
//! down to the engine's API version: testcontainers 0.28's own container API speaks Docker API
//! 1.53 only, which a Docker 20.10 engine (API 1.41) refuses. Configs are copied into the
//! containers (no bind mounts, so a remote engine works too), ports are published on
//! 127.0.0.1, Alertmanager reaches the Slack mock through `host.docker.internal`.
//!
//! Cleanup: everything a run creates carries the labels `firedrill.run`, `firedrill.pid` and
//! `firedrill.host`. Dropping the running stack force-removes every container labelled with
//! its run, then its network, on a thread of its own (so it works from any runtime, while a
//! test panics, and when Ctrl-C drops the verify future). A harness killed outright leaves
//! them behind; the next start on the same host removes runs whose owner process is dead.
//! `FIREDRILL_KEEP=1` keeps them and prints the `docker rm -f ...; docker network rm ...`
//! that removes them.

mod cleanup;
mod containers;
mod network;
mod placement;

pub(crate) use placement::DockerPlacement;

pub(crate) use cleanup::DockerStack;

use std::time::Instant;

use futures::future::BoxFuture;

use containers::ContainerRun;

use super::discovery::{container_name, FollowedDiscovery};
use super::images::{connect, ImageChoice};
use super::{
    readiness_of, Backend, Fault, Launched, LaunchedComponent, StackHandle, StartOptions, WaitFor,
};
use crate::error::{Error, Result};
use crate::plan::{ComponentPlan, StackPlan};
use crate::slack::SlackMock;
use crate::spec::{ComponentKind, StackSpec};

/// The Docker backend.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DockerBackend;

impl Backend for DockerBackend {
    type Placement = DockerPlacement;

    fn place(&self, spec: &StackSpec, _options: &StartOptions) -> Result<DockerPlacement> {
        Ok(DockerPlacement::new(spec))
    }

    fn refuse_fault(
        &self,
        _spec: &StackSpec,
        component: &crate::spec::ComponentSpec,
        fault: Fault,
        _options: &StartOptions,
    ) -> std::result::Result<(), String> {
        match fault {
            Fault::Fail(status)
                if component.ports.is_empty() && super::container_port(component).is_none() =>
            {
                Err(format!(
                    "{}: its container declares no containerPort for a stand-in to answer {status} on",
                    fault.cannot("docker", &component.name)
                ))
            }
            _ => Ok(()),
        }
    }

    fn adjust(
        &self,
        plan: &mut StackPlan,
        placement: &DockerPlacement,
        _options: &StartOptions,
    ) -> Result<()> {
        backend_changes(plan, placement);
        Ok(())
    }

    async fn start_recorder(&self) -> Result<SlackMock> {
        start_slack_mock().await
    }

    async fn launch<'a>(
        &'a self,
        plan: &'a StackPlan,
        placement: DockerPlacement,
        components: Vec<&'a ComponentPlan>,
        _slack: &'a SlackMock,
        options: &'a StartOptions,
    ) -> Result<Launched> {
        start(plan, placement, components, options).await
    }
}

impl StackHandle for DockerStack {
    fn logs(&self) -> BoxFuture<'_, Vec<(String, String)>> {
        Box::pin(DockerStack::logs(self))
    }

    fn exited<'a>(&'a self, component: &'a str) -> BoxFuture<'a, String> {
        Box::pin(async move {
            match self.container_of(component) {
                Some(name) => containers::exited(self.docker(), name).await,
                None => format!("{component} has no container in this run"),
            }
        })
    }

    fn start_hint(&self) -> &'static str {
        "read the log above; FIREDRILL_START_TIMEOUT (seconds) raises the deadline; FIREDRILL_KEEP=1 keeps the containers to inspect"
    }

    fn fault<'a>(
        &'a self,
        component: &'a str,
        fault: Fault,
    ) -> BoxFuture<'a, std::result::Result<String, String>> {
        Box::pin(async move {
            // Every pod of the component, as on Kubernetes.
            let pods = self.containers_of(component);
            if pods.is_empty() {
                return Err(format!("{component} has no container in this run"));
            }
            let docker = self.docker();
            let image = match fault {
                Fault::Fail(_) => Some(stand_in_image(docker).await?),
                _ => None,
            };
            let mut done = Vec::new();
            let shown: Vec<String> = pods.iter().map(|(shown, _)| shown.to_string()).collect();
            for (shown, name) in pods {
                let stand_in = containers::stand_in_name(name);
                if fault != Fault::Restart && self.has_stand_in(&stand_in) {
                    return Err(format!(
                        "{shown} is already replaced by container {stand_in}: restart it first"
                    ));
                }
                done.push(match (fault, &image) {
                    (Fault::Fail(status), Some(image)) => {
                        let labels = self.labels();
                        let network = self.network();
                        // Recorded before it exists: a kept run's removal names it.
                        self.record_stand_in(&stand_in, true);
                        containers::stand_in(docker, network, &labels, image, shown, name, status)
                            .await?
                    }
                    (Fault::Restart, _) => {
                        // What answered in its place goes first, its ports freed.
                        let removed = containers::remove_stand_in(docker, name).await?;
                        self.record_stand_in(&stand_in, false);
                        let started = containers::fault(docker, shown, name, fault).await?;
                        if removed {
                            format!("container {stand_in} removed; {started}")
                        } else {
                            started
                        }
                    }
                    _ => containers::fault(docker, shown, name, fault).await?,
                });
            }
            if let Some(said) = self.follow_fault(&shown, fault).await? {
                done.push(said);
            }
            Ok(done.join("; "))
        })
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(DockerStack::shutdown(*self))
    }
}

/// Firedrill's own image, which a stand-in runs (`firedrill stand-in`), in the engine: built
/// from the `firedrill` executable when missing or stale, as the seed's app image is.
async fn stand_in_image(docker: &super::images::Docker) -> std::result::Result<String, String> {
    let (image, buildable) = super::images::harness_image();
    let present = super::images::ensure_built(docker, &image, buildable)
        .await
        .map_err(|e| format!("cannot build firedrill's image {image} for a stand-in: {e}"))?;
    if !present {
        return Err(format!(
            "firedrill's image {image} ({}) is not in the engine: pull it, or unset {} so that \
             firedrill builds its own",
            super::images::HARNESS_IMAGE_VAR,
            super::images::HARNESS_IMAGE_VAR
        ));
    }
    Ok(image)
}

/// Starts the Slack mock on every interface (`0.0.0.0`, a free port), so that containers
/// reach it through the host's gateway address.
pub async fn start_slack_mock() -> Result<SlackMock> {
    let listener = std::net::TcpListener::bind("0.0.0.0:0")
        .map_err(|e| Error::io("binding the Slack mock on 0.0.0.0", e))?;
    Ok(SlackMock::start_on(listener).await)
}

/// The flags the Docker backend sets itself, applied to the plan's args and listed as
/// changes (reason `backend`): Alertmanager runs without clustering
/// (`--cluster.listen-address=`), so that it notifies at once instead of waiting ~10 s for
/// gossip to settle, and stacks never find each other.
pub fn backend_changes(plan: &mut StackPlan, _placement: &DockerPlacement) {
    crate::backend::flags::apply_overrides(plan, |component| {
        if component.spec.kind() == ComponentKind::Alertmanager {
            vec![("--cluster.listen-address", String::new())]
        } else {
            Vec::new()
        }
    });
}

/// What each component runs: a container per pod (one, unless its workload runs several).
fn container_runs(
    plan: &StackPlan,
    components: &[&ComponentPlan],
    placement: &DockerPlacement,
    images: &ImageChoice,
) -> Vec<ContainerRun> {
    let mut runs = Vec::new();
    for component in components {
        let spec = &component.spec;
        let ports = if spec.ports.is_empty() {
            super::container_port(spec).into_iter().collect()
        } else {
            spec.ports.clone()
        };
        let pods = crate::plan::replica_pods(&plan.spec, &spec.pod);
        for replica in 0..placement.replicas(&spec.name) {
            // The first pod is the component (its logs, its faults); the others are named
            // after their pods.
            let shown = pods.get(replica).map_or_else(
                || spec.name.clone(),
                |pod| container_name(&spec.name, replica, &pod.name),
            );
            runs.push(ContainerRun {
                component: shown,
                kind: spec.kind(),
                replica,
                name: placement
                    .replica_container(&spec.name, replica)
                    .expect("the placement names every pod of every component"),
                alias: placement.service_alias(&spec.name),
                image: images.image_for(spec),
                cmd: (!component.args.is_empty()).then(|| component.args.clone()),
                env: spec
                    .env
                    .iter()
                    .map(|e| (e.name.clone(), e.value.clone()))
                    .collect(),
                ports: ports.clone(),
                files: component.files.clone(),
            });
        }
    }
    runs
}

/// How the harness tells a container is ready: as on every backend, except that an app is
/// up once it answers HTTP at all (Docker's port forwarder accepts TCP before it listens).
fn readiness_in_container(kind: ComponentKind) -> WaitFor {
    match readiness_of(kind) {
        WaitFor::Tcp => WaitFor::HttpAnyStatus {
            path: "/".to_string(),
        },
        other => other,
    }
}

/// Pulls or builds the images, creates the network and containers and starts them;
/// readiness is awaited by the caller. Whatever was created is removed again if anything
/// fails (the returned handle, or the guard dropped with the error, removes it).
async fn start(
    plan: &StackPlan,
    placement: DockerPlacement,
    components: Vec<&ComponentPlan>,
    options: &StartOptions,
) -> Result<Launched> {
    let images = ImageChoice::from_env()?;
    let docker = connect().await?;
    let reaped = network::reap_orphans(&docker).await;
    if !reaped.is_empty() {
        tracing::info!(removed = ?reaped, "removed what dead firedrill runs left behind");
    }
    let runs = container_runs(plan, &components, &placement, &images);
    for run in runs.iter().filter(|run| run.replica == 0) {
        containers::ensure_image(&docker, run).await?;
    }

    let labels = network::run_labels(placement.run_id(), options.keep);
    let mut stack = DockerStack::new(
        docker.clone(),
        placement.run_id(),
        placement.network(),
        options.keep,
    );
    stack.follow_discovery(FollowedDiscovery::of(&plan.spec, &components));
    network::create_network(&docker, placement.network(), &labels).await?;
    for run in &runs {
        stack.record_container(&run.component, &run.name);
        containers::create(&docker, run, placement.network(), &labels).await?;
    }
    let mut prometheus_started = Instant::now();
    for run in &runs {
        if run.kind == ComponentKind::Prometheus {
            prometheus_started = Instant::now();
        }
        containers::start(&docker, run, placement.network(), &labels).await?;
    }

    let mut launched: Vec<LaunchedComponent> = Vec::new();
    for run in &runs {
        let ports = containers::published_ports(&docker, run).await?;
        // The first port is the component's main one (see `container_runs`).
        let main_port = *run.ports.first().ok_or_else(|| {
            Error::start(
                &run.component,
                "the container declares no containerPort",
                format!(
                    "add `ports: [{{containerPort: N}}]` to it in {}",
                    plan.spec.dir.display()
                ),
            )
        })?;
        let address = format!("127.0.0.1:{}", ports[&main_port]);
        if run.replica > 0 {
            if let Some(first) = launched.last_mut() {
                first.replicas.push(address);
            }
            continue;
        }
        launched.push(LaunchedComponent {
            name: run.component.clone(),
            kind: run.kind,
            address,
            probe: readiness_in_container(run.kind),
            what: format!("container {} (image {}) ", run.name, run.image.reference),
            replicas: Vec::new(),
        });
    }
    Ok(Launched {
        handle: Box::new(stack),
        components: launched,
        prometheus_started,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{render, BackendKind, Skipped};
    use crate::load::load_dir;
    use crate::spec::StackSpec;
    use std::collections::HashMap;
    use std::path::Path;

    fn seed() -> StackSpec {
        load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests")).unwrap()
    }

    fn runs(options: &StartOptions) -> (Vec<ContainerRun>, Vec<Skipped>) {
        let spec = seed();
        let placement = DockerPlacement::with_run_id(&spec, "run");
        let mut plan = crate::plan::plan(&spec, &placement, 41234, options.plan);
        backend_changes(&mut plan, &placement);
        let (components, skipped) = crate::backend::seam::split_skipped(&plan, options);
        let runs = container_runs(&plan, &components, &placement, &ImageChoice::default());
        (runs, skipped)
    }

    #[test]
    fn alertmanager_runs_without_clustering_and_the_change_is_listed_as_the_backends() {
        let plan = render(&seed(), &StartOptions::new(BackendKind::Docker)).unwrap();
        let alertmanager = plan.component("alertmanager").unwrap();
        assert!(
            alertmanager
                .args
                .contains(&"--cluster.listen-address=".to_string()),
            "{:?}",
            alertmanager.args
        );
        let change = plan
            .changes
            .iter()
            .find(|c| c.key == "--cluster.listen-address")
            .expect("the flag is in the change list");
        assert_eq!(
            (
                change.component.as_str(),
                change.reason,
                change.file.as_str()
            ),
            ("alertmanager", "backend", "args")
        );
    }

    #[test]
    fn each_component_runs_its_manifest_image_with_its_args_env_ports_and_files() {
        let (runs, skipped) = runs(&StartOptions::new(BackendKind::Docker));
        assert!(skipped.is_empty());
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "run-echo-server",
                "run-prometheus",
                "run-alertmanager",
                "run-grafana"
            ]
        );
        let app = &runs[0];
        assert_eq!(app.image.reference, "echo_server:latest");
        assert_eq!(app.cmd, None, "no args: the image's own CMD runs");
        assert_eq!(app.ports, vec![8081]);
        let prometheus = &runs[1];
        assert_eq!(prometheus.image.reference, "prom/prometheus:v2.27.1");
        let cmd = prometheus.cmd.clone().unwrap();
        assert!(cmd.contains(&"--config.file=/etc/prometheus/prometheus.yaml".to_string()));
        assert!(prometheus
            .files
            .iter()
            .any(|f| f.path == "/etc/prometheus/rules.yaml"));
        let grafana = &runs[3];
        assert_eq!(grafana.ports, vec![3000], "Grafana's default port");
        assert!(grafana
            .env
            .iter()
            .any(|(name, _)| name == "GF_SECURITY_ADMIN_PASSWORD"));
    }

    #[test]
    fn a_skipped_grafana_gets_no_container() {
        let options = StartOptions::new(BackendKind::Docker).with_skip(ComponentKind::Grafana);
        let (runs, skipped) = runs(&options);
        assert!(runs.iter().all(|r| r.kind != ComponentKind::Grafana));
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].kind, ComponentKind::Grafana);
    }

    #[test]
    fn a_container_publishes_its_ports_on_loopback_only_and_reaches_the_harness_by_host_gateway() {
        let (runs, _) = runs(&StartOptions::new(BackendKind::Docker));
        let labels = HashMap::from([("firedrill.run".to_string(), "run".to_string())]);
        let body = containers::create_body(&runs[1], "run", &labels);
        let host = body.host_config.unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("run"));
        assert_eq!(
            host.extra_hosts,
            Some(vec!["host.docker.internal:host-gateway".to_string()])
        );
        let bindings = host.port_bindings.unwrap();
        let binding = bindings["9090/tcp"].as_ref().unwrap();
        assert_eq!(binding[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(body.labels.unwrap()["firedrill.run"], "run");
        assert_eq!(body.image.as_deref(), Some("prom/prometheus:v2.27.1"));
    }

    #[test]
    fn an_app_is_ready_once_it_answers_http_not_when_the_port_forwarder_accepts() {
        assert_eq!(
            readiness_in_container(ComponentKind::App),
            WaitFor::HttpAnyStatus {
                path: "/".to_string()
            }
        );
        assert_eq!(
            readiness_in_container(ComponentKind::Prometheus),
            WaitFor::http("/-/ready")
        );
    }

    #[test]
    fn the_files_are_packed_at_their_in_container_paths() {
        let (runs, _) = runs(&StartOptions::new(BackendKind::Docker));
        let archive = containers::files_archive(&runs[1].files).unwrap();
        let paths = crate::backend::images::entry_paths(&archive);
        assert!(paths.contains(&"etc/prometheus/prometheus.yaml".to_string()));
        assert!(paths.contains(&"etc/prometheus/rules.yaml".to_string()));
    }

    #[test]
    fn each_replica_runs_a_container_sharing_the_alias_its_peers_reach_it_by() {
        let spec = load_dir(
            &crate::fixtures::repository_root()
                .join("fixtures/manifests/corpus/working/replicated-pod-discovery/manifests"),
        )
        .unwrap();
        let placement = DockerPlacement::with_run_id(&spec, "run");
        let options = StartOptions::new(BackendKind::Docker);
        let plan = crate::plan::plan(&spec, &placement, 41234, options.plan);
        let (components, _) = crate::backend::seam::split_skipped(&plan, &options);
        let runs = container_runs(&plan, &components, &placement, &ImageChoice::default());
        let echo: Vec<&ContainerRun> = runs
            .iter()
            .filter(|r| r.name.starts_with("run-echo-server"))
            .collect();
        assert_eq!(echo.len(), 3, "{runs:#?}");
        assert_eq!(
            echo[0].component, "echo-server",
            "the first is the component"
        );
        let pod = &crate::plan::replica_pods(&spec, "echo-deployment")[1].name;
        assert_eq!(echo[1].component, format!("echo-server@{pod}"));
        let labels = HashMap::new();
        for run in &echo {
            let body = containers::create_body(run, "run", &labels);
            let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
            assert_eq!(
                endpoints["run"].aliases,
                Some(vec!["run-echo-server-service".to_string()])
            );
        }
        let prometheus = runs
            .iter()
            .find(|r| r.kind == ComponentKind::Prometheus)
            .unwrap();
        assert!(containers::create_body(prometheus, "run", &labels)
            .networking_config
            .is_none());
    }

    #[test]
    fn a_stand_in_takes_the_replaced_containers_names_and_published_ports_and_the_runs_labels() {
        let inspected: testcontainers::bollard::models::ContainerInspectResponse =
            serde_json::from_value(serde_json::json!({
                "Id": "0123456789abcdef0123",
                "HostConfig": {"PortBindings": {
                    "8081/tcp": [{"HostIp": "127.0.0.1", "HostPort": "41234"}],
                }},
                "NetworkSettings": {"Networks": {"run": {
                    "Aliases": ["run-echo-server-service", "0123456789ab"],
                }}},
            }))
            .unwrap();
        let stand_in = containers::StandIn::of("run-echo-server", "run", &inspected);
        assert_eq!(stand_in.name, "run-echo-server-stand-in");
        assert_eq!(
            stand_in.aliases,
            vec!["run-echo-server", "run-echo-server-service"],
            "its container name and its aliases, not the replaced container's id"
        );
        let labels = HashMap::from([("firedrill.run".to_string(), "run".to_string())]);
        let body = stand_in.create_body("firedrill-harness:0.1.0", 503, "run", &labels);
        assert_eq!(body.entrypoint, Some(vec!["/firedrill".to_string()]));
        assert_eq!(
            body.cmd.unwrap().join(" "),
            "stand-in --listen 0.0.0.0:8081 --status 503"
        );
        assert_eq!(body.labels.unwrap()["firedrill.run"], "run");
        let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(
            endpoints["run"].aliases.as_deref(),
            Some(&stand_in.aliases[..])
        );
        let host = body.host_config.unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("run"));
        let binding = &host.port_bindings.unwrap()["8081/tcp"].clone().unwrap()[0];
        assert_eq!(
            (binding.host_ip.as_deref(), binding.host_port.as_deref()),
            (Some("127.0.0.1"), Some("41234")),
            "published where the replaced container was"
        );
    }
}
