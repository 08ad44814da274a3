//! A running Docker stack, and the guarantee that it is removed: on [`DockerStack::shutdown`],
//! on drop (a test that ends or panics, a run interrupted with Ctrl-C, a start that fails
//! half-way), and — for a harness killed outright — by the reaper at the next start.

use std::collections::HashMap;
use std::time::Duration;

use futures::future::join_all;
use testcontainers::bollard::query_parameters::{
    ListContainersOptions, RemoveContainerOptions, StopContainerOptions,
};

use super::containers::is_not_found;
use super::network::LABEL_RUN;
use crate::backend::discovery::FollowedDiscovery;
use crate::backend::images::{connect, Docker};
use crate::backend::Fault;
use crate::plan::PlannedFile;
use crate::spec::FileContent;

/// How long removing a run's containers and network may take.
const REMOVE_TIMEOUT: Duration = Duration::from_secs(60);

/// The containers and network of one run. Dropping it removes them (unless kept): the
/// removal runs on a thread of its own with its own runtime and engine connection, so it
/// works whatever runtime (or none) is dropping it, also while a test panics.
pub(crate) struct DockerStack {
    docker: Docker,
    run_id: String,
    network: String,
    /// (component, container name), in creation order.
    containers: Vec<(String, String)>,
    /// The emulated Kubernetes discovery, following the pods faults stop.
    discovery: std::sync::Mutex<FollowedDiscovery>,
    /// The stand-ins a `fail` fault started in place of containers, until a restart removes
    /// them.
    stand_ins: std::sync::Mutex<Vec<String>>,
    keep: bool,
    removed: bool,
}

impl std::fmt::Debug for DockerStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerStack")
            .field("network", &self.network)
            .field("containers", &self.containers)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl DockerStack {
    /// Guards a run before anything of it exists.
    pub(crate) fn new(docker: Docker, run_id: &str, network: &str, keep: bool) -> Self {
        Self {
            docker,
            run_id: run_id.to_string(),
            network: network.to_string(),
            containers: Vec::new(),
            discovery: std::sync::Mutex::default(),
            keep,
            removed: false,
            stand_ins: std::sync::Mutex::default(),
        }
    }

    /// Records a container just before it is created.
    pub(crate) fn record_container(&mut self, component: &str, name: &str) {
        self.containers
            .push((component.to_string(), name.to_string()));
    }

    /// Follows the run's emulated Kubernetes discovery (see [`FollowedDiscovery`]).
    pub(crate) fn follow_discovery(&mut self, followed: FollowedDiscovery) {
        self.discovery = std::sync::Mutex::new(followed);
    }

    /// Notes that `fault` was done to `containers` (shown names), and rewrites the discovery
    /// files in Prometheus's container when a pod left or came back; says which.
    pub(crate) async fn follow_fault(
        &self,
        containers: &[String],
        fault: Fault,
    ) -> std::result::Result<Option<String>, String> {
        let Some((rewrites, said)) = self
            .discovery
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .after(containers, fault)
        else {
            return Ok(None);
        };
        for rewrite in rewrites {
            let Some(container) = self.container_of(&rewrite.component) else {
                continue;
            };
            let file = PlannedFile {
                path: rewrite.path.clone(),
                content: FileContent::Plain(rewrite.text),
            };
            super::containers::copy_in(&self.docker, container, &[file])
                .await
                .map_err(|e| format!("cannot rewrite the discovery file {}: {e}", rewrite.path))?;
        }
        Ok(Some(said))
    }

    /// The engine the run is on.
    pub(crate) fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Records a stand-in container as there (`true`) or removed (`false`), for the commands
    /// that remove a kept run.
    pub(crate) fn record_stand_in(&self, name: &str, there: bool) {
        let mut stand_ins = self
            .stand_ins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stand_ins.retain(|s| s != name);
        if there {
            stand_ins.push(name.to_string());
        }
    }

    /// Whether a stand-in container named `name` answers in place of another.
    pub(crate) fn has_stand_in(&self, name: &str) -> bool {
        self.stand_ins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|s| s == name)
    }

    /// The run's network.
    pub(crate) fn network(&self) -> &str {
        &self.network
    }

    /// The labels of everything the run creates (a stand-in a fault starts too).
    pub(crate) fn labels(&self) -> HashMap<String, String> {
        super::network::run_labels(&self.run_id, self.keep)
    }

    /// The container of a component.
    pub(crate) fn container_of(&self, component: &str) -> Option<&str> {
        self.containers
            .iter()
            .find(|(c, _)| c == component)
            .map(|(_, name)| name.as_str())
    }

    /// Every container of a component's pods, as (shown name, container name): its first
    /// pod's under the component's name, its further replicas' as `component@pod`.
    pub(crate) fn containers_of(&self, component: &str) -> Vec<(&str, &str)> {
        self.containers
            .iter()
            .filter(|(c, _)| {
                c == component
                    || c.strip_prefix(component)
                        .is_some_and(|rest| rest.starts_with('@'))
            })
            .map(|(c, name)| (c.as_str(), name.as_str()))
            .collect()
    }

    /// Every container's output so far, as (component, text).
    pub(crate) async fn logs(&self) -> Vec<(String, String)> {
        let fetches = self.containers.iter().map(|(component, name)| async {
            (
                component.clone(),
                super::containers::logs(&self.docker, name).await,
            )
        });
        join_all(fetches).await
    }

    /// Stops every container (SIGTERM, SIGKILL after 5 s), then removes them and the network
    /// unless the run is kept.
    pub(crate) async fn shutdown(mut self) {
        let stops = self.containers.iter().map(|(_, name)| {
            let options = StopContainerOptions {
                t: Some(5),
                ..Default::default()
            };
            self.docker.stop_container(name, Some(options))
        });
        let _ = tokio::time::timeout(Duration::from_secs(15), join_all(stops)).await;
        if !self.keep {
            remove_run(&self.docker, &self.run_id, &self.network).await;
            self.removed = true;
        }
    }

    /// The commands that remove a kept run by hand.
    pub(crate) fn removal_commands(&self) -> String {
        let stand_ins = self.stand_ins.lock().map(|s| s.clone()).unwrap_or_default();
        let names: Vec<&str> = self
            .containers
            .iter()
            .map(|(_, n)| n.as_str())
            .chain(stand_ins.iter().map(String::as_str))
            .collect();
        let mut commands = String::new();
        if !names.is_empty() {
            commands.push_str(&format!("docker rm -f {}; ", names.join(" ")));
        }
        commands.push_str(&format!("docker network rm {}", self.network));
        commands
    }
}

impl Drop for DockerStack {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        if self.keep {
            eprintln!(
                "firedrill: kept the containers and network of run {} (FIREDRILL_KEEP); remove them with: {}",
                self.run_id,
                self.removal_commands()
            );
            return;
        }
        let run_id = self.run_id.clone();
        let network = self.network.clone();
        let commands = self.removal_commands();
        let what = format!("run {}", self.run_id);
        crate::backend::handle::teardown_on_own_thread(
            "firedrill-docker-cleanup",
            async move {
                match connect().await {
                    Ok(docker) => remove_run(&docker, &run_id, &network).await,
                    Err(e) => eprintln!(
                        "firedrill: could not remove run {run_id}: {e}; remove it with `docker rm -f $(docker ps -aq --filter label={LABEL_RUN}={run_id}); docker network rm {network}`"
                    ),
                }
            },
            |e| {
                eprintln!(
                    "firedrill: could not start removing {what}: {e}; remove it with: {commands}"
                )
            },
        );
    }
}

/// Force-removes every container labelled with the run (also one whose creation was
/// interrupted before the harness recorded it), then the network.
async fn remove_run(docker: &Docker, run_id: &str, network: &str) {
    let removal = async {
        let filters = HashMap::from([("label".to_string(), vec![format!("{LABEL_RUN}={run_id}")])]);
        let listed = docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .unwrap_or_default();
        let removals = listed
            .into_iter()
            .filter_map(|c| c.id)
            .map(|id| async move {
                let options = RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                };
                if let Err(e) = docker.remove_container(&id, Some(options)).await {
                    if !is_not_found(&e) {
                        eprintln!("firedrill: could not remove container {id}: {e}");
                    }
                }
            });
        join_all(removals).await;
        if let Err(e) = docker.remove_network(network).await {
            if !is_not_found(&e) {
                eprintln!("firedrill: could not remove network {network}: {e}; remove it with `docker network rm {network}`");
            }
        }
    };
    if tokio::time::timeout(REMOVE_TIMEOUT, removal).await.is_err() {
        eprintln!(
            "firedrill: removing run {run_id} took over {}s; check `docker ps -a --filter label={LABEL_RUN}={run_id}` and `docker network ls`",
            REMOVE_TIMEOUT.as_secs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_run_prints_the_exact_commands_that_remove_it() {
        let docker = Docker::connect_with_http(
            "http://127.0.0.1:9",
            1,
            testcontainers::bollard::API_DEFAULT_VERSION,
        )
        .expect("a client is made without connecting");
        let mut stack = DockerStack::new(docker, "run-1", "run-1", true);
        stack.record_container("prometheus", "run-1-prometheus");
        stack.record_container("alertmanager", "run-1-alertmanager");
        assert_eq!(
            stack.removal_commands(),
            "docker rm -f run-1-prometheus run-1-alertmanager; docker network rm run-1"
        );
        stack.record_stand_in("run-1-alertmanager-stand-in", true);
        assert_eq!(
            stack.removal_commands(),
            "docker rm -f run-1-prometheus run-1-alertmanager run-1-alertmanager-stand-in; docker network rm run-1"
        );
        stack.record_stand_in("run-1-alertmanager-stand-in", false);
        assert!(!stack.removal_commands().contains("stand-in"));
        stack.removed = true;
    }
}
