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

mod app_image;
mod archive;
mod cleanup;
mod containers;
mod engine;
mod images;
mod network;
mod placement;

pub use images::{
    missing_image_hint, override_var, ImageChoice, ImageSource, ResolvedImage, PREFIX_VAR,
};
pub use placement::{DockerPlacement, HARNESS_HOST};

pub(crate) use cleanup::DockerStack;

use std::time::Instant;

use containers::ContainerRun;

use super::flags::override_flags;
use super::running::StackHandle;
use super::{readiness_of, AppEndpoint, Endpoints, RunningStack, Skipped, StartOptions, WaitFor};
use crate::error::{Error, Result};
use crate::plan::{Change, StackPlan};
use crate::slack::SlackMock;
use crate::spec::ComponentKind;

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
    let mut changes: Vec<Change> = Vec::new();
    for component in &mut plan.components {
        if component.spec.kind() != ComponentKind::Alertmanager {
            continue;
        }
        let name = component.spec.name.clone();
        let mut record = |key: &str, from: String, to: String| {
            changes.push(Change {
                component: name.clone(),
                file: "args".to_string(),
                key: key.to_string(),
                reason: "backend",
                from,
                to,
            })
        };
        component.args = override_flags(
            &component.args,
            &[("--cluster.listen-address", String::new())],
            &mut record,
        );
    }
    plan.changes.extend(changes);
}

/// What each component runs, and the components left out.
fn container_runs(
    plan: &StackPlan,
    placement: &DockerPlacement,
    images: &ImageChoice,
    options: &StartOptions,
) -> (Vec<ContainerRun>, Vec<Skipped>) {
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for component in &plan.components {
        let spec = &component.spec;
        let kind = spec.kind();
        if options.skips(kind) {
            skipped.push(Skipped {
                kind,
                reason: format!("left out by explicit opt-out (--skip {kind})"),
            });
            continue;
        }
        let ports = if spec.ports.is_empty() {
            super::container_port(spec).into_iter().collect()
        } else {
            spec.ports.clone()
        };
        runs.push(ContainerRun {
            component: spec.name.clone(),
            kind,
            name: placement
                .container_name(&spec.name)
                .expect("the placement names every component")
                .to_string(),
            image: images.image_for(spec),
            cmd: (!component.args.is_empty()).then(|| component.args.clone()),
            env: spec
                .env
                .iter()
                .map(|e| (e.name.clone(), e.value.clone()))
                .collect(),
            ports,
            files: component.files.clone(),
        });
    }
    (runs, skipped)
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

/// Pulls or builds the images, creates the network and containers, starts them and waits
/// until each is ready. Whatever was created is removed again if anything fails.
pub(crate) async fn start(
    mut plan: StackPlan,
    placement: DockerPlacement,
    slack: SlackMock,
    options: &StartOptions,
) -> Result<RunningStack> {
    let images = ImageChoice::from_env()?;
    let docker = engine::connect().await?;
    let reaped = network::reap_orphans(&docker).await;
    if !reaped.is_empty() {
        tracing::info!(removed = ?reaped, "removed what dead firedrill runs left behind");
    }
    backend_changes(&mut plan, &placement);
    let (runs, skipped) = container_runs(&plan, &placement, &images, options);
    for run in &runs {
        containers::ensure_image(&docker, run).await?;
    }

    let labels = network::run_labels(placement.run_id(), options.keep);
    let mut stack = DockerStack::new(
        docker.clone(),
        placement.run_id(),
        placement.network(),
        options.keep,
    );
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
        containers::start(&docker, run).await?;
    }

    let timeout = super::process::start_timeout()?;
    let mut urls: Vec<(String, ComponentKind, String)> = Vec::new();
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
        let readiness = readiness_in_container(run.kind);
        let outcome = tokio::select! {
            waited = readiness.wait(&address, timeout, || Ok(())) => waited,
            how = containers::exited(&docker, &run.name) => Err(super::NotReady::Exited(how)),
        };
        if let Err(not_ready) = outcome {
            let log = containers::logs(&docker, &run.name).await;
            let tail: Vec<&str> = log.lines().collect();
            let tail = tail[tail.len().saturating_sub(20)..].join("\n");
            return Err(Error::start(
                &run.component,
                format!(
                    "container {} (image {}) {not_ready}; last lines of its log:\n{}",
                    run.name,
                    run.image.reference,
                    plan.spec.redact(&tail)
                ),
                "read the log above; FIREDRILL_START_TIMEOUT (seconds) raises the deadline; FIREDRILL_KEEP=1 keeps the containers to inspect",
            ));
        }
        urls.push((run.component.clone(), run.kind, format!("http://{address}")));
    }

    let url_of = |kind: ComponentKind| {
        urls.iter()
            .find(|(_, k, _)| *k == kind)
            .map(|(_, _, url)| url.clone())
    };
    let endpoints = Endpoints {
        prometheus: url_of(ComponentKind::Prometheus).expect("a stack has Prometheus"),
        alertmanager: url_of(ComponentKind::Alertmanager).expect("a stack has Alertmanager"),
        grafana: url_of(ComponentKind::Grafana),
        apps: urls
            .iter()
            .filter(|(_, k, _)| *k == ComponentKind::App)
            .map(|(name, _, url)| AppEndpoint {
                name: name.clone(),
                url: url.clone(),
            })
            .collect(),
    };
    Ok(RunningStack {
        backend: "docker",
        plan,
        endpoints,
        slack,
        skipped,
        prometheus_started,
        handle: StackHandle::Docker(stack),
        seen_alerts: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{render, BackendKind};
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
        container_runs(&plan, &placement, &ImageChoice::default(), options)
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
        let mut reader = tar::Archive::new(archive.as_slice());
        let paths: Vec<String> = reader
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(paths.contains(&"etc/prometheus/prometheus.yaml".to_string()));
        assert!(paths.contains(&"etc/prometheus/rules.yaml".to_string()));
    }
}
