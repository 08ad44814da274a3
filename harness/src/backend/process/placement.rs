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
    /// The 127.0.0.1 port standing for each component's container port: where peers reach
    /// it (where it listens, unless its workload runs several pods).
    ports: BTreeMap<(String, u16), u16>,
    /// Where each pod of a workload running several listens, by component and container
    /// port (replica 0 first).
    replica_ports: BTreeMap<(String, u16), Vec<u16>>,
    /// The listeners reserving the ports components listen on, by component, container port
    /// and replica.
    reservations: BTreeMap<(String, u16, usize), TcpListener>,
    /// How many pods each replicated component runs (absent: one).
    replicas: BTreeMap<String, usize>,
    /// Each pod's own loopback address (by workload and replica), when the stack uses
    /// Kubernetes discovery.
    pod_hosts: BTreeMap<(String, usize), std::net::Ipv4Addr>,
    /// The ports forwarded: each pod's on its own address, and a replicated component's
    /// port (a Service's address), each with the ports it forwards to in turn.
    forwards: Vec<(TcpListener, Vec<std::net::SocketAddr>)>,
    workdir: tempfile::TempDir,
}

/// A free port on 127.0.0.1, and the listener holding it.
fn reserve() -> Result<(TcpListener, u16)> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::io("reserving a free port on 127.0.0.1", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::io("reading a reserved port", e))?
        .port();
    Ok((listener, port))
}

impl ProcessPlacement {
    /// Reserves a free port for every container port (one per pod of a workload running
    /// several, and one for the Service-like address that spreads across them), and makes the
    /// work dir.
    pub fn new(spec: &StackSpec) -> Result<Self> {
        super::stale::reap_stale_workdirs(&std::env::temp_dir());
        let workdir = tempfile::Builder::new()
            .prefix("firedrill-")
            .tempdir()
            .map_err(|e| Error::io("creating the stack's work dir", e))?;
        super::stale::claim(workdir.path())
            .map_err(|e| Error::io("writing the work dir's owner", e))?;
        let mut ports = BTreeMap::new();
        let mut replica_ports = BTreeMap::new();
        let mut reservations = BTreeMap::new();
        let mut replicas = BTreeMap::new();
        let mut forwards = Vec::new();
        for component in &spec.components {
            let container_ports: Vec<u16> = if component.ports.is_empty() {
                crate::backend::container_port(component)
                    .into_iter()
                    .collect()
            } else {
                component.ports.clone()
            };
            let count = crate::plan::replica_count(spec, &component.pod);
            if count > 1 {
                replicas.insert(component.name.clone(), count);
            }
            for port in &container_ports {
                let (listener, host_port) = reserve()?;
                ports.insert((component.name.clone(), *port), host_port);
                if count <= 1 {
                    reservations.insert((component.name.clone(), *port, 0), listener);
                    continue;
                }
                // Several pods: each listens on a port of its own; this one spreads the
                // connections across them, as a Service's address does.
                let mut targets = Vec::new();
                let mut own = Vec::new();
                for replica in 0..count {
                    let (reserved, replica_port) = reserve()?;
                    reservations.insert((component.name.clone(), *port, replica), reserved);
                    own.push(replica_port);
                    targets.push(std::net::SocketAddr::from(([127, 0, 0, 1], replica_port)));
                }
                replica_ports.insert((component.name.clone(), *port), own);
                forwards.push((listener, targets));
            }
        }
        let mut placement = Self {
            ports,
            replica_ports,
            reservations,
            replicas,
            pod_hosts: BTreeMap::new(),
            forwards,
            workdir,
        };
        if crate::plan::uses_kubernetes_discovery(spec) {
            placement.bind_pods(spec)?;
        }
        Ok(placement)
    }

    /// Gives each pod a loopback address of its own, its containers' ports forwarded to
    /// where they listen.
    fn bind_pods(&mut self, spec: &StackSpec) -> Result<()> {
        let mut pods: Vec<&str> = spec.components.iter().map(|c| c.pod.as_str()).collect();
        pods.sort_unstable();
        pods.dedup();
        for pod in pods {
            let members: Vec<&ComponentSpec> =
                spec.components.iter().filter(|c| c.pod == pod).collect();
            for replica in 0..crate::plan::replica_count(spec, pod) {
                let forwards: Vec<(u16, u16)> = self
                    .ports
                    .keys()
                    .filter(|(component, _)| members.iter().any(|c| &c.name == component))
                    .filter_map(|(component, port)| {
                        Some((*port, self.listen_port(component, *port, replica)?))
                    })
                    .collect();
                let container_ports: Vec<u16> = forwards.iter().map(|(p, _)| *p).collect();
                let (ip, listeners) = super::forward::bind_pod(&container_ports).map_err(|e| {
                    Error::io(format!("giving pod {pod} a loopback address of its own"), e)
                })?;
                self.pod_hosts.insert((pod.to_string(), replica), ip);
                for (listener, (_, host_port)) in listeners.into_iter().zip(&forwards) {
                    let target = std::net::SocketAddr::from(([127, 0, 0, 1], *host_port));
                    self.forwards.push((listener, vec![target]));
                }
            }
        }
        Ok(())
    }

    /// The 127.0.0.1 port on which pod `replica` of a component listens for its container
    /// `port`.
    pub(crate) fn listen_port(&self, component: &str, port: u16, replica: usize) -> Option<u16> {
        let key = (component.to_string(), port);
        match self.replica_ports.get(&key) {
            Some(own) => own.get(replica).copied(),
            None if replica == 0 => self.ports.get(&key).copied(),
            None => None,
        }
    }

    /// How many pods of a component run (1 unless its workload runs several).
    pub(crate) fn replicas(&self, component: &str) -> usize {
        self.replicas.get(component).copied().unwrap_or(1)
    }

    /// The ports to forward, each with the ports it forwards to in turn (see
    /// [`super::forward`]).
    pub(crate) fn take_forwards(&mut self) -> Vec<(TcpListener, Vec<std::net::SocketAddr>)> {
        std::mem::take(&mut self.forwards)
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

    /// The listener reserving the port pod `replica` of `component` listens on for its
    /// container `port`, for a component served inside firedrill: it keeps the port, so no
    /// other program can take it in between.
    pub(crate) fn take_reservation(
        &mut self,
        component: &str,
        port: u16,
        replica: usize,
    ) -> Option<TcpListener> {
        self.reservations
            .remove(&(component.to_string(), port, replica))
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

    fn pod_host(&self, _from: &ComponentSpec, pod: &str, replica: usize) -> Option<String> {
        self.pod_hosts
            .get(&(pod.to_string(), replica))
            .map(ToString::to_string)
    }

    fn spread(&self, to: &ComponentSpec) -> Option<String> {
        let pods = self.replicas(&to.name);
        (pods > 1).then(|| {
            format!(
                "round-robin per connection across its {pods} pods, by firedrill's forwarder \
                 on that port, as kube-proxy spreads a Service's connections"
            )
        })
    }

    fn file_path(&self, component: &ComponentSpec, path: &str) -> String {
        let relative = path.trim_start_matches('/');
        self.root_of(&component.name)
            .join(relative)
            .to_string_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_dir;

    fn named_target_port() -> StackSpec {
        load_dir(
            &crate::fixtures::repository_root()
                .join("fixtures/manifests/corpus/working/named-target-port/manifests"),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn each_replica_listens_on_a_port_of_its_own_and_the_services_port_spreads_across_them() {
        let spec = named_target_port();
        let placement = ProcessPlacement::new(&spec).unwrap();
        let echo = spec.component_named("echo-server").unwrap();
        let port = echo.main_port().unwrap();
        assert_eq!(placement.replicas("echo-server"), 2);
        let service = placement.host_port("echo-server", port).unwrap();
        let own: Vec<u16> = (0..2)
            .map(|r| placement.listen_port("echo-server", port, r).unwrap())
            .collect();
        assert!(
            own[0] != own[1] && !own.contains(&service),
            "{own:?}, {service}"
        );
        assert_eq!(placement.listen_port("echo-server", port, 2), None);
        assert!(placement.spread(echo).unwrap().contains("round-robin"));
        let plan = crate::plan::plan(&spec, &placement, 1, crate::plan::PlanOptions::default());
        let change = plan
            .changes
            .iter()
            .find(|c| c.from == "echo-service.default.svc:8080")
            .unwrap_or_else(|| panic!("{:#?}", plan.changes));
        assert!(
            change.to.starts_with(&format!(
                "127.0.0.1:{service} (round-robin per connection across its 2 pods"
            )),
            "{change}"
        );
        let prometheus = spec
            .component(crate::spec::ComponentKind::Prometheus)
            .unwrap();
        assert_eq!(placement.replicas(&prometheus.name), 1);
    }
}
