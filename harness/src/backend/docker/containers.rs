//! One container per component: what it runs, creating it on the run's network with its
//! files copied in, and where the harness reaches it.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::StreamExt;
use testcontainers::bollard::body_full;
use testcontainers::bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkingConfig, PortBinding,
};
use testcontainers::bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, LogsOptions, UploadToContainerOptions,
    WaitContainerOptions,
};

use super::placement::HARNESS_HOST;
use crate::backend::images::{ensure_built, missing_image_hint, Archive, Docker, ResolvedImage};
use crate::error::{Error, Result};
use crate::plan::PlannedFile;
use crate::spec::{ComponentKind, EnvValue};

/// How long pulling one image may take.
const PULL_TIMEOUT: Duration = Duration::from_secs(300);

/// Everything needed to run one component as a container.
#[derive(Debug, Clone)]
pub(crate) struct ContainerRun {
    /// The component's name.
    pub(crate) component: String,
    /// What it is.
    pub(crate) kind: ComponentKind,
    /// Which pod of the component (0 for the first, the one faults and logs name by the
    /// component's name).
    pub(crate) replica: usize,
    /// The container's name (its host name on the run's network).
    pub(crate) name: String,
    /// The network alias it shares with the other pods of its component (where peers reach
    /// a replicated component, as a Service's name).
    pub(crate) alias: Option<String>,
    /// The image it runs.
    pub(crate) image: ResolvedImage,
    /// Its args (the image's entrypoint runs them), or the image's own CMD when `None`.
    pub(crate) cmd: Option<Vec<String>>,
    /// Its environment (secrets included: it is the container's, never printed).
    pub(crate) env: Vec<(String, EnvValue)>,
    /// Container ports to publish on 127.0.0.1.
    pub(crate) ports: Vec<u16>,
    /// Files copied in at their in-container paths.
    pub(crate) files: Vec<PlannedFile>,
}

/// Makes sure `image` is present: already there, built (the seed's app image), or pulled.
pub(crate) async fn ensure_image(docker: &Docker, run: &ContainerRun) -> Result<()> {
    let reference = &run.image.reference;
    if ensure_built(docker, reference, run.image.is_buildable_app()).await? {
        return Ok(());
    }
    let missing = |why: String| {
        Error::start(
            &run.component,
            format!("image {reference} is not present and cannot be pulled: {why}"),
            missing_image_hint(run.kind, &run.image),
        )
    };
    let pull = async {
        let options = CreateImageOptions {
            from_image: Some(reference.clone()),
            ..Default::default()
        };
        let mut stream = docker.create_image(Some(options), None, None);
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| missing(e.to_string()))?;
            if let Some(detail) = info.error_detail {
                return Err(missing(detail.message.unwrap_or_default()));
            }
        }
        Ok(())
    };
    match tokio::time::timeout(PULL_TIMEOUT, pull).await {
        Ok(result) => result,
        Err(_) => Err(missing(format!(
            "the pull did not finish within {}s",
            PULL_TIMEOUT.as_secs()
        ))),
    }
}

/// A port free on 127.0.0.1 now, for a container's published port: chosen here rather than
/// by Docker, because Docker publishes an unnamed port anew (elsewhere) each time the
/// container starts, and a container restarted on purpose must answer where it did. `None`
/// (Docker then chooses) when no port can be had.
fn free_host_port() -> Option<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()
        .map(|a| a.port())
}

/// The container's creation request.
pub(crate) fn create_body(
    run: &ContainerRun,
    network: &str,
    labels: &HashMap<String, String>,
) -> ContainerCreateBody {
    let port_key = |port: &u16| format!("{port}/tcp");
    let port_bindings = run
        .ports
        .iter()
        .map(|port| {
            (
                port_key(port),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_string()),
                    host_port: Some(free_host_port().map_or_else(String::new, |p| p.to_string())),
                }]),
            )
        })
        .collect();
    ContainerCreateBody {
        image: Some(run.image.reference.clone()),
        cmd: run.cmd.clone(),
        env: Some(
            run.env
                .iter()
                .map(|(name, value)| format!("{name}={}", value.expose()))
                .collect(),
        ),
        labels: Some(labels.clone()),
        exposed_ports: Some(run.ports.iter().map(port_key).collect()),
        networking_config: run.alias.as_ref().map(|alias| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                network.to_string(),
                EndpointSettings {
                    aliases: Some(vec![alias.clone()]),
                    ..Default::default()
                },
            )])),
        }),
        host_config: Some(HostConfig {
            network_mode: Some(network.to_string()),
            port_bindings: Some(port_bindings),
            // Docker Desktop knows host.docker.internal; Linux engines (20.10+) map it to
            // the host's gateway address, where the Slack mock listens.
            extra_hosts: Some(vec![format!("{HARNESS_HOST}:host-gateway")]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Creates the container and copies its files in (not started yet).
pub(crate) async fn create(
    docker: &Docker,
    run: &ContainerRun,
    network: &str,
    labels: &HashMap<String, String>,
) -> Result<()> {
    let failed = |what: &str, e: String| {
        Error::start(
            &run.component,
            format!("cannot {what} container {}: {e}", run.name),
            "check the engine with `docker info`; FIREDRILL_LOG=debug shows more",
        )
    };
    let options = CreateContainerOptions {
        name: Some(run.name.clone()),
        ..Default::default()
    };
    docker
        .create_container(Some(options), create_body(run, network, labels))
        .await
        .map_err(|e| failed("create", e.to_string()))?;
    if !run.files.is_empty() {
        copy_in(docker, &run.name, &run.files)
            .await
            .map_err(|e| failed("copy the config files into", e))?;
    }
    Ok(())
}

/// Copies `files` into container `name` at their paths (created or running).
pub(crate) async fn copy_in(
    docker: &Docker,
    name: &str,
    files: &[PlannedFile],
) -> std::result::Result<(), String> {
    let archive = files_archive(files).map_err(|e| format!("cannot pack the files: {e}"))?;
    let options = UploadToContainerOptions {
        path: "/".to_string(),
        ..Default::default()
    };
    docker
        .upload_to_container(name, Some(options), body_full(archive.into()))
        .await
        .map_err(|e| e.to_string())
}

/// The files as a tar archive rooted at `/`, readable by the image's (unprivileged) user.
pub(crate) fn files_archive(files: &[PlannedFile]) -> std::io::Result<Vec<u8>> {
    let mut archive = Archive::new();
    for file in files {
        archive.file(&file.path, file.content.expose().as_bytes(), 0o644)?;
    }
    archive.finish()
}

/// How many times a container is created again with other host ports when Docker has given
/// the ones chosen to another container meanwhile.
const PORT_TRIES: usize = 5;

/// Starts a created container. When Docker has meanwhile allocated a host port chosen for it
/// (with its userland proxy off, a port Docker allocates is not bound, so the kernel may offer
/// it again), the container is created again with other ports, a few times.
pub(crate) async fn start(
    docker: &Docker,
    run: &ContainerRun,
    network: &str,
    labels: &HashMap<String, String>,
) -> Result<()> {
    let mut tries = 1;
    loop {
        let error = match docker.start_container(&run.name, None).await {
            Ok(()) => return Ok(()),
            Err(e) => e.to_string(),
        };
        if !error.contains("port is already allocated") || tries >= PORT_TRIES {
            return Err(Error::start(
                &run.component,
                format!("cannot start container {}: {error}", run.name),
                "check the engine with `docker info`",
            ));
        }
        tracing::debug!(container = %run.name, %error, "a host port was taken; creating it again");
        tries += 1;
        let options = testcontainers::bollard::query_parameters::RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        docker
            .remove_container(&run.name, Some(options))
            .await
            .map_err(|e| {
                Error::start(
                    &run.component,
                    format!(
                        "cannot remove container {} to create it again: {e}",
                        run.name
                    ),
                    "check the engine with `docker info`",
                )
            })?;
        create(docker, run, network, labels).await?;
    }
}

/// The 127.0.0.1 port Docker published for each container port.
pub(crate) async fn published_ports(
    docker: &Docker,
    run: &ContainerRun,
) -> Result<BTreeMap<u16, u16>> {
    let inspected = docker
        .inspect_container(&run.name, None)
        .await
        .map_err(|e| {
            Error::start(
                &run.component,
                format!("cannot inspect container {}: {e}", run.name),
                "check `docker ps -a`",
            )
        })?;
    let map = inspected
        .network_settings
        .and_then(|s| s.ports)
        .unwrap_or_default();
    let mut ports = BTreeMap::new();
    for port in &run.ports {
        let host_port = map
            .get(&format!("{port}/tcp"))
            .and_then(|b| b.as_ref())
            .and_then(|b| {
                b.iter()
                    .find_map(|b| b.host_port.as_ref()?.parse::<u16>().ok())
            });
        match host_port {
            Some(host_port) => {
                ports.insert(*port, host_port);
            }
            None => {
                return Err(Error::start(
                    &run.component,
                    format!("container {} has no published port for {port}", run.name),
                    "check `docker port` on it",
                ))
            }
        }
    }
    Ok(ports)
}

/// Resolves once the container has stopped running, with how it ended.
pub(crate) async fn exited(docker: &Docker, name: &str) -> String {
    loop {
        let options = WaitContainerOptions {
            condition: "not-running".to_string(),
        };
        // Ends when the container stops (a non-zero exit comes as an error), or when the
        // long poll is dropped, which is no exit: the state tells which.
        let _ = docker.wait_container(name, Some(options)).next().await;
        let state = docker
            .inspect_container(name, None)
            .await
            .ok()
            .and_then(|c| c.state);
        match state {
            Some(state) if state.running == Some(true) => continue,
            Some(state) => {
                let code = state.exit_code.unwrap_or(-1);
                let oom = if state.oom_killed == Some(true) {
                    " (killed: out of memory)"
                } else {
                    ""
                };
                return format!("exited with code {code}{oom}");
            }
            None => return "is gone".to_string(),
        }
    }
}

/// The container's output so far (stdout and stderr interleaved).
pub(crate) async fn logs(docker: &Docker, name: &str) -> String {
    let options = LogsOptions {
        stdout: true,
        stderr: true,
        follow: false,
        tail: "all".to_string(),
        ..Default::default()
    };
    let mut stream = docker.logs(name, Some(options));
    let mut text = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    text
}

/// How long `docker stop` waits before it kills.
const FAULT_GRACE: Duration = Duration::from_secs(10);

/// Does `fault` to the container `name` (of `component`): `docker stop`, `kill`, `pause`,
/// `unpause`, `start` (the caller waits until it answers).
pub(crate) async fn fault(
    docker: &Docker,
    component: &str,
    name: &str,
    fault: crate::backend::Fault,
) -> std::result::Result<String, String> {
    use crate::backend::Fault;
    use testcontainers::bollard::query_parameters::{KillContainerOptions, StopContainerOptions};
    let failed = |e: testcontainers::bollard::errors::Error| format!("docker {fault} {name}: {e}");
    match fault {
        Fault::Stop => {
            let options = StopContainerOptions {
                t: Some(FAULT_GRACE.as_secs() as i32),
                ..Default::default()
            };
            docker
                .stop_container(name, Some(options))
                .await
                .map_err(failed)?;
            let how = exited(docker, name).await;
            Ok(format!(
                "{component} stopped (docker stop {name}): it {how}"
            ))
        }
        Fault::Kill => {
            docker
                .kill_container(name, Some(KillContainerOptions::default()))
                .await
                .map_err(failed)?;
            let how = exited(docker, name).await;
            Ok(format!("{component} killed (docker kill {name}): it {how}"))
        }
        Fault::Pause => {
            docker.pause_container(name).await.map_err(failed)?;
            Ok(format!(
                "{component} paused (docker pause {name}): its port accepts connections, nothing answers"
            ))
        }
        Fault::Resume => {
            docker.unpause_container(name).await.map_err(failed)?;
            Ok(format!("{component} resumed (docker unpause {name})"))
        }
        // A stand-in's work (`stand_in`), which needs the run's network and image.
        Fault::Fail(status) => Err(format!(
            "{component}: `fail {status}` starts a stand-in, it is no docker command on {name}"
        )),
        Fault::Restart => {
            docker.start_container(name, None).await.map_err(failed)?;
            Ok(format!("{component} started again (docker start {name})"))
        }
    }
}

/// How long a stand-in may take to answer at the component's published port.
const STAND_IN_DEADLINE: Duration = Duration::from_secs(30);

/// The container that answers in place of container `name` while a `fail` fault holds.
pub(crate) fn stand_in_name(name: &str) -> String {
    format!("{name}-stand-in")
}

/// What a stand-in takes over from the container it replaces: the names it is reached by on
/// the run's network (its container name and its aliases) and its published ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StandIn {
    /// The stand-in's container name.
    pub(crate) name: String,
    /// Every name the replaced container answered to on the run's network.
    pub(crate) aliases: Vec<String>,
    /// The replaced container's ports, with the 127.0.0.1 ports they were published on.
    pub(crate) ports: BTreeMap<u16, Option<String>>,
}

impl StandIn {
    /// Reads what the stand-in for container `name` takes over, from its inspection.
    pub(crate) fn of(
        name: &str,
        network: &str,
        inspected: &testcontainers::bollard::models::ContainerInspectResponse,
    ) -> Self {
        let id = inspected.id.as_deref().unwrap_or_default();
        let mut aliases = vec![name.to_string()];
        let configured = inspected
            .network_settings
            .as_ref()
            .and_then(|s| s.networks.as_ref())
            .and_then(|n| n.get(network))
            .and_then(|e| e.aliases.clone())
            .unwrap_or_default();
        for alias in configured {
            // Docker adds the short container id: it names the replaced container only.
            if !id.starts_with(&alias) && !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        let ports = inspected
            .host_config
            .as_ref()
            .and_then(|h| h.port_bindings.as_ref())
            .map(|bindings| {
                bindings
                    .iter()
                    .filter_map(|(key, binding)| {
                        let port = key.strip_suffix("/tcp")?.parse::<u16>().ok()?;
                        let host_port = binding
                            .as_ref()
                            .and_then(|b| b.first())
                            .and_then(|b| b.host_port.clone())
                            .filter(|p| !p.is_empty());
                        Some((port, host_port))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            name: stand_in_name(name),
            aliases,
            ports,
        }
    }

    /// The stand-in's creation request: firedrill's image running `firedrill stand-in` on
    /// every port, under the replaced container's names, its ports published where its were.
    pub(crate) fn create_body(
        &self,
        image: &str,
        status: u16,
        network: &str,
        labels: &HashMap<String, String>,
    ) -> ContainerCreateBody {
        let mut cmd = vec!["stand-in".to_string()];
        for port in self.ports.keys() {
            cmd.extend(["--listen".to_string(), format!("0.0.0.0:{port}")]);
        }
        cmd.extend(["--status".to_string(), status.to_string()]);
        let port_key = |port: &u16| format!("{port}/tcp");
        ContainerCreateBody {
            image: Some(image.to_string()),
            entrypoint: Some(vec!["/firedrill".to_string()]),
            cmd: Some(cmd),
            labels: Some(labels.clone()),
            exposed_ports: Some(self.ports.keys().map(port_key).collect()),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    network.to_string(),
                    EndpointSettings {
                        aliases: Some(self.aliases.clone()),
                        ..Default::default()
                    },
                )])),
            }),
            host_config: Some(HostConfig {
                network_mode: Some(network.to_string()),
                port_bindings: Some(
                    self.ports
                        .iter()
                        .map(|(port, host_port)| {
                            (
                                port_key(port),
                                Some(vec![PortBinding {
                                    host_ip: Some("127.0.0.1".to_string()),
                                    host_port: Some(host_port.clone().unwrap_or_default()),
                                }]),
                            )
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// Stops container `name` (of `component`) and starts a stand-in answering `status` to every
/// request in its place, from firedrill's own `image`: on the run's `network` under the
/// container's name and aliases (so Prometheus's scrapes and a Service's alias reach it), on
/// its ports, published where its were, labelled as the run's (so teardown and the reaper
/// remove it). Returns once the stand-in answers at the first published port.
pub(crate) async fn stand_in(
    docker: &Docker,
    network: &str,
    labels: &HashMap<String, String>,
    image: &str,
    component: &str,
    name: &str,
    status: u16,
) -> std::result::Result<String, String> {
    let inspected = docker
        .inspect_container(name, None)
        .await
        .map_err(|e| format!("inspecting container {name}: {e}"))?;
    let stand_in = StandIn::of(name, network, &inspected);
    if stand_in.ports.is_empty() {
        return Err(format!(
            "{component} publishes no port, so nothing can answer {status} in its place"
        ));
    }
    let stopped = fault(docker, component, name, crate::backend::Fault::Stop).await?;
    let failed = |what: &str, e: testcontainers::bollard::errors::Error| {
        format!("{what} the stand-in container {}: {e}", stand_in.name)
    };
    let options = CreateContainerOptions {
        name: Some(stand_in.name.clone()),
        ..Default::default()
    };
    docker
        .create_container(
            Some(options),
            stand_in.create_body(image, status, network, labels),
        )
        .await
        .map_err(|e| failed("creating", e))?;
    docker
        .start_container(&stand_in.name, None)
        .await
        .map_err(|e| failed("starting", e))?;
    let inspected = docker
        .inspect_container(&stand_in.name, None)
        .await
        .map_err(|e| failed("inspecting", e))?;
    let published = StandIn::of(&stand_in.name, network, &inspected);
    let first = published
        .ports
        .values()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_default();
    let address = format!("127.0.0.1:{first}");
    let answered = crate::backend::WaitFor::HttpAnyStatus {
        path: "/".to_string(),
    }
    .wait(&address, STAND_IN_DEADLINE, || Ok(()))
    .await
    .map_err(|e| {
        format!(
            "the stand-in container {} did not answer at {address}: {e}",
            stand_in.name
        )
    })?;
    let ports: Vec<String> = stand_in.ports.keys().map(u16::to_string).collect();
    Ok(format!(
        "{stopped}; container {} answers {status} to every request in its place (as {}, port{} {}), answering after {:.1} s",
        stand_in.name,
        stand_in.aliases.join(", "),
        if ports.len() == 1 { "" } else { "s" },
        ports.join(", "),
        answered.as_secs_f64()
    ))
}

/// Removes the stand-in of container `name`, if a `fail` fault started one; whether it did.
pub(crate) async fn remove_stand_in(
    docker: &Docker,
    name: &str,
) -> std::result::Result<bool, String> {
    let stand_in = stand_in_name(name);
    let options = testcontainers::bollard::query_parameters::RemoveContainerOptions {
        force: true,
        ..Default::default()
    };
    match docker.remove_container(&stand_in, Some(options)).await {
        Ok(()) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(format!("removing the stand-in container {stand_in}: {e}")),
    }
}

/// Whether the engine answered that what was asked for does not exist.
pub(crate) fn is_not_found(e: &testcontainers::bollard::errors::Error) -> bool {
    matches!(
        e,
        testcontainers::bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}
