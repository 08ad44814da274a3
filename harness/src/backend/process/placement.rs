//! The process backend's placement: a free 127.0.0.1 port for every container port, and a
//! work dir holding each component's files at their in-container paths.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::plan::Placement;
use crate::spec::{ComponentSpec, StackSpec};

/// Ports and paths for every component of a stack run as local processes.
#[derive(Debug)]
pub struct ProcessPlacement {
    ports: BTreeMap<(String, u16), u16>,
    reservations: BTreeMap<(String, u16), TcpListener>,
    /// Each pod's own loopback address, when the stack uses Kubernetes discovery.
    pod_hosts: BTreeMap<String, std::net::Ipv4Addr>,
    /// The pods' ports bound on their own addresses, each with the port it forwards to.
    pod_ports: Vec<(TcpListener, std::net::SocketAddr)>,
    workdir: tempfile::TempDir,
}

impl ProcessPlacement {
    /// Reserves a free port for every container port, and makes the work dir.
    pub fn new(spec: &StackSpec) -> Result<Self> {
        super::stale::reap_stale_workdirs(&std::env::temp_dir());
        let workdir = tempfile::Builder::new()
            .prefix("firedrill-")
            .tempdir()
            .map_err(|e| Error::io("creating the stack's work dir", e))?;
        super::stale::claim(workdir.path())
            .map_err(|e| Error::io("writing the work dir's owner", e))?;
        let mut ports = BTreeMap::new();
        let mut reservations = BTreeMap::new();
        for component in &spec.components {
            let container_ports: Vec<u16> = if component.ports.is_empty() {
                crate::backend::container_port(component)
                    .into_iter()
                    .collect()
            } else {
                component.ports.clone()
            };
            for port in &container_ports {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .map_err(|e| Error::io("reserving a free port on 127.0.0.1", e))?;
                let host_port = listener
                    .local_addr()
                    .map_err(|e| Error::io("reading a reserved port", e))?
                    .port();
                ports.insert((component.name.clone(), *port), host_port);
                reservations.insert((component.name.clone(), *port), listener);
            }
        }
        let mut pod_hosts = BTreeMap::new();
        let mut pod_ports = Vec::new();
        if crate::plan::uses_kubernetes_discovery(spec) {
            let mut pods: Vec<&str> = spec.components.iter().map(|c| c.pod.as_str()).collect();
            pods.sort_unstable();
            pods.dedup();
            for pod in pods {
                let forwards: Vec<(u16, u16)> = ports
                    .iter()
                    .filter(|((component, _), _)| {
                        spec.components
                            .iter()
                            .any(|c| &c.name == component && c.pod == pod)
                    })
                    .map(|((_, port), host_port)| (*port, *host_port))
                    .collect();
                let container_ports: Vec<u16> = forwards.iter().map(|(p, _)| *p).collect();
                let (ip, listeners) = super::forward::bind_pod(&container_ports).map_err(|e| {
                    Error::io(format!("giving pod {pod} a loopback address of its own"), e)
                })?;
                pod_hosts.insert(pod.to_string(), ip);
                for (listener, (_, host_port)) in listeners.into_iter().zip(&forwards) {
                    let target = std::net::SocketAddr::from(([127, 0, 0, 1], *host_port));
                    pod_ports.push((listener, target));
                }
            }
        }
        Ok(Self {
            ports,
            reservations,
            pod_hosts,
            pod_ports,
            workdir,
        })
    }

    /// The pods' ports on their own addresses, to forward (see [`super::forward`]).
    pub(crate) fn take_pod_ports(&mut self) -> Vec<(TcpListener, std::net::SocketAddr)> {
        std::mem::take(&mut self.pod_ports)
    }

    /// The 127.0.0.1 port standing for a component's container port.
    pub fn host_port(&self, component: &str, container_port: u16) -> Option<u16> {
        self.ports
            .get(&(component.to_string(), container_port))
            .copied()
    }

    /// The work dir (removed on drop unless kept).
    pub fn workdir(&self) -> &Path {
        self.workdir.path()
    }

    /// The root under which a component's in-container paths live.
    pub fn root_of(&self, component: &str) -> PathBuf {
        self.workdir.path().join(component).join("root")
    }

    /// Releases the reserved ports just before the components bind them.
    pub(crate) fn release_ports(&mut self) {
        self.reservations.clear();
    }

    /// The listener reserving `component`'s container `port`, for a component served inside
    /// firedrill: it keeps the port, so no other program can take it in between.
    pub(crate) fn take_reservation(&mut self, component: &str, port: u16) -> Option<TcpListener> {
        self.reservations.remove(&(component.to_string(), port))
    }

    pub(crate) fn into_workdir(self) -> tempfile::TempDir {
        self.workdir
    }
}

impl Placement for ProcessPlacement {
    fn peer_address(&self, _from: &ComponentSpec, to: &ComponentSpec, port: u16) -> String {
        match self.host_port(&to.name, port) {
            Some(host_port) => format!("127.0.0.1:{host_port}"),
            None => format!("127.0.0.1:{port}"),
        }
    }

    fn harness_host(&self, _from: &ComponentSpec) -> String {
        "127.0.0.1".to_string()
    }

    fn pod_host(&self, _from: &ComponentSpec, pod: &str) -> Option<String> {
        self.pod_hosts.get(pod).map(ToString::to_string)
    }

    fn file_path(&self, component: &ComponentSpec, path: &str) -> String {
        let relative = path.trim_start_matches('/');
        self.root_of(&component.name)
            .join(relative)
            .to_string_lossy()
            .into_owned()
    }
}
