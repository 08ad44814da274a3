//! Where a backend puts each component: the one backend-specific input to planning.

use crate::spec::ComponentSpec;

/// How a backend places the stack: the addresses components use to reach each other and the
/// harness, and where a component's files live. The process backend answers with
/// `127.0.0.1:<free port>` and a temp dir; the Docker backend with container names.
pub trait Placement {
    /// The `host:port` at which `from` reaches `to`'s container port `port`.
    fn peer_address(&self, from: &ComponentSpec, to: &ComponentSpec, port: u16) -> String;

    /// The host name at which `from` reaches a server the harness runs (the Slack mock).
    fn harness_host(&self, from: &ComponentSpec) -> String;

    /// Where `component` finds the file the manifests mount at `path` (an in-container path).
    fn file_path(&self, component: &ComponentSpec, path: &str) -> String;

    /// The cluster namespace the stack runs in, on a backend that runs it in a cluster:
    /// Kubernetes service discovery is kept to it.
    fn cluster_namespace(&self) -> Option<&str> {
        None
    }

    /// The host (an address, or a name) at which `from` reaches pod `replica` (0 for the
    /// first) of the workload named `pod` on its declared container ports, as a pod's IP is
    /// reached in a cluster: what emulated Kubernetes discovery hands out. `None` where the
    /// pod has none (it is not run).
    fn pod_host(&self, _from: &ComponentSpec, _pod: &str, _replica: usize) -> Option<String> {
        None
    }

    /// `host:port` at which `from` reaches pod `replica` of workload `pod` on container port
    /// `port` (the pod's host and the port, unless a backend puts a pod's containers apart).
    fn pod_address(
        &self,
        from: &ComponentSpec,
        pod: &str,
        replica: usize,
        port: u16,
    ) -> Option<String> {
        self.pod_host(from, pod, replica)
            .map(|host| format!("{host}:{port}"))
    }

    /// How the address [`Placement::peer_address`] gives for `to` spreads connections across
    /// the pods of its workload, where it runs several (a Service's address, as kube-proxy
    /// spreads them): said in the listed change of an address translated to it.
    fn spread(&self, _to: &ComponentSpec) -> Option<String> {
        None
    }
}
