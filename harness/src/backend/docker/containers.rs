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
        Fault::Fail(status) => Err(Fault::Fail(status).cannot("docker", component)),
        Fault::Restart => {
            docker.start_container(name, None).await.map_err(failed)?;
            Ok(format!("{component} started again (docker start {name})"))
        }
    }
}
