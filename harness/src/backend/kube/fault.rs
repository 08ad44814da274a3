//! Faults on the kube backend. The API cannot signal a container, so a component is stopped
//! the way Kubernetes stops one: its workload is scaled to 0 (`stop`: each pod ends after
//! SIGTERM and its grace period; `kill`: each pod is also deleted with grace period 0) and
//! scaled back to start it again (`restart`), its port-forwards then pointed at the new pods.
//! Kubernetes has no way to freeze a container: `pause` and `resume` are refused by name.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::Client;
use serde::de::DeserializeOwned;

use super::forward::PodTarget;
use crate::backend::{Fault, WaitFor};

/// Added to the longest grace period of a workload's pods: how long they may take to be gone
/// once their grace period is over (the kubelet's SIGKILL, the API's removal).
const GONE_SLACK: Duration = Duration::from_secs(15);

/// A component as the kube backend runs it: a container of a workload's pod, reached
/// through a port-forward per pod.
#[derive(Debug)]
pub(super) struct ComponentPod {
    /// The component's name in the plan.
    pub(super) name: String,
    /// Its container's name.
    pub(super) container: String,
    /// `Kind/name` of the workload whose pods run it.
    pub(super) workload: String,
    /// Its pods' labels (how its pods are found).
    pub(super) labels: BTreeMap<String, String>,
    /// The pod each of its forwards reaches: its own first, then its further replicas.
    pub(super) pods: Vec<PodTarget>,
    /// Where the harness reaches it (its first forward), and how it tells it answers.
    pub(super) reached: Option<(String, WaitFor)>,
    /// The other components of the stack that run in the same pod.
    pub(super) siblings: Vec<String>,
    /// The replicas its workload had before a stop or a kill scaled it to 0.
    scaled_from: Mutex<Option<i32>>,
}

impl ComponentPod {
    /// A component whose pods are `pods`, of `workload`, found by `labels`.
    pub(super) fn new(
        name: &str,
        container: &str,
        workload: &str,
        labels: &BTreeMap<String, String>,
        pods: Vec<PodTarget>,
    ) -> Self {
        Self {
            name: name.to_string(),
            container: container.to_string(),
            workload: workload.to_string(),
            labels: labels.clone(),
            pods,
            reached: None,
            siblings: Vec::new(),
            scaled_from: Mutex::new(None),
        }
    }

    /// Its own pod's name (now: a restart replaces it).
    pub(super) fn pod(&self) -> String {
        self.pods.first().map(PodTarget::get).unwrap_or_default()
    }

    /// Does `fault` to the component; `Ok` with what was done once it holds.
    pub(super) async fn fault(
        &self,
        client: &Client,
        namespace: &str,
        fault: Fault,
        restart_deadline: Duration,
    ) -> Result<String, String> {
        let name = &self.name;
        refusal(fault, name, &self.workload, &self.siblings)?;
        let workload = Workload::of(&self.workload)
            .ok_or_else(|| format!("{} cannot be scaled", self.workload))?;
        let started = Instant::now();
        match fault {
            Fault::Stop | Fault::Kill => {
                let before = workload.replicas(client, namespace).await?;
                {
                    let mut scaled_from = lock(&self.scaled_from);
                    if scaled_from.is_none() && before > 0 {
                        *scaled_from = Some(before);
                    }
                }
                let pods = self.all_pods(client, namespace).await?;
                workload.scale(client, namespace, 0).await?;
                let names: Vec<String> = pods
                    .iter()
                    .filter_map(|p| p.metadata.name.clone())
                    .collect();
                let grace = pods
                    .iter()
                    .filter_map(|p| p.spec.as_ref()?.termination_grace_period_seconds)
                    .max()
                    .unwrap_or(30);
                let deadline = match fault {
                    Fault::Kill => GONE_SLACK,
                    _ => Duration::from_secs(grace.max(0) as u64) + GONE_SLACK,
                };
                self.wait_gone(client, namespace, fault == Fault::Kill, deadline)
                    .await?;
                let how = match fault {
                    Fault::Kill => "deleted with grace period 0 (the kubelet sends SIGKILL at most 2 s after SIGTERM)",
                    _ => "ended after SIGTERM",
                };
                Ok(format!(
                    "{name} {}: {} scaled from {before} to 0, its pod{} {} {how}, gone in {:.1} s",
                    if fault == Fault::Kill {
                        "killed"
                    } else {
                        "stopped"
                    },
                    self.workload,
                    if names.len() == 1 { "" } else { "s" },
                    if names.is_empty() {
                        "(none)".to_string()
                    } else {
                        names.join(", ")
                    },
                    started.elapsed().as_secs_f64()
                ))
            }
            Fault::Restart => {
                let current = workload.replicas(client, namespace).await?;
                let wanted = lock(&self.scaled_from).take().unwrap_or(current).max(1);
                let old: Vec<String> = self
                    .all_pods(client, namespace)
                    .await?
                    .into_iter()
                    .filter_map(|p| p.metadata.name)
                    .collect();
                if current > 0 {
                    // Running: its pods deleted (gracefully), the workload makes new ones.
                    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
                    for pod in &old {
                        let _ = api.delete(pod, &DeleteParams::default()).await;
                    }
                } else {
                    workload.scale(client, namespace, wanted).await?;
                }
                let pods = self
                    .wait_ready(client, namespace, wanted as usize, &old, restart_deadline)
                    .await?;
                for (target, pod) in self.pods.iter().zip(&pods) {
                    target.set(pod);
                }
                if let Some((address, probe)) = &self.reached {
                    let left = restart_deadline.saturating_sub(started.elapsed());
                    probe.wait(address, left, || Ok(())).await.map_err(|e| {
                        format!("{name} did not answer through its forward after its restart: {e}")
                    })?;
                }
                Ok(format!(
                    "{name} started again: {} {}, pod{} {} ready in {:.1} s",
                    self.workload,
                    if current > 0 {
                        "had its pods replaced".to_string()
                    } else {
                        format!("scaled from 0 to {wanted}")
                    },
                    if pods.len() == 1 { "" } else { "s" },
                    pods.join(", "),
                    started.elapsed().as_secs_f64()
                ))
            }
            // Refused above; said again rather than assumed.
            other => Err(other.cannot("kube", name)),
        }
    }

    /// Every pod of the component, also those being deleted.
    async fn all_pods(&self, client: &Client, namespace: &str) -> Result<Vec<Pod>, String> {
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        api.list(&ListParams::default().labels(&selector(&self.labels)))
            .await
            .map(|list| list.items)
            .map_err(|e| format!("listing the pods of {}: {e}", self.workload))
    }

    /// Polls until no pod of the component is left, at most `deadline`; with `kill`, each pod
    /// found is deleted with grace period 0.
    async fn wait_gone(
        &self,
        client: &Client,
        namespace: &str,
        kill: bool,
        deadline: Duration,
    ) -> Result<(), String> {
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let now = DeleteParams {
            grace_period_seconds: Some(0),
            ..DeleteParams::default()
        };
        let started = Instant::now();
        loop {
            let left: Vec<String> = self
                .all_pods(client, namespace)
                .await?
                .into_iter()
                .filter_map(|p| p.metadata.name)
                .collect();
            if left.is_empty() {
                return Ok(());
            }
            // A kill deletes every pod it finds at once, also one the ReplicaSet made before
            // it saw the scale to 0.
            if kill {
                for pod in &left {
                    match api.delete(pod, &now).await {
                        Ok(_) => {}
                        Err(kube::Error::Api(e)) if e.code == 404 => {}
                        Err(e) => return Err(format!("deleting pod {pod}: {e}")),
                    }
                }
            }
            if started.elapsed() >= deadline {
                return Err(format!(
                    "{} scaled to 0, but pod {} still there after {deadline:?} (its grace period and {GONE_SLACK:?})",
                    self.workload,
                    left.join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Polls until `wanted` pods of the component, none of `old`, run with every container
    /// ready; their names.
    async fn wait_ready(
        &self,
        client: &Client,
        namespace: &str,
        wanted: usize,
        old: &[String],
        deadline: Duration,
    ) -> Result<Vec<String>, String> {
        let started = Instant::now();
        loop {
            let pods = self.all_pods(client, namespace).await?;
            if let Some(failure) = pods.iter().find_map(super::cluster::pod_failure) {
                return Err(format!("{} did not start again: {failure}", self.workload));
            }
            let mut ready: Vec<String> = pods
                .iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none() && is_ready(p))
                .filter_map(|p| p.metadata.name.clone())
                .filter(|name| !old.contains(name))
                .collect();
            if ready.len() >= wanted {
                ready.sort();
                return Ok(ready);
            }
            if started.elapsed() >= deadline {
                let seen: Vec<String> = pods
                    .iter()
                    .map(|p| {
                        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
                        format!(
                            "{} {}{}",
                            p.metadata.name.as_deref().unwrap_or("?"),
                            phase.unwrap_or("(no phase)"),
                            if is_ready(p) {
                                ", ready"
                            } else {
                                ", not ready"
                            }
                        )
                    })
                    .collect();
                return Err(format!(
                    "{} not ready again within {deadline:?}: {} of {wanted} new pods ready (pods: {})",
                    self.workload,
                    ready.len(),
                    if seen.is_empty() { "none".to_string() } else { seen.join("; ") }
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Why the kube backend cannot do `fault` to component `name` of `workload` (`Kind/name`)
/// whose pod also runs `siblings` of the stack, if it cannot: known before anything starts.
pub(super) fn refusal(
    fault: Fault,
    name: &str,
    workload: &str,
    siblings: &[String],
) -> Result<(), String> {
    if let Fault::Fail(_) = fault {
        return Err(fault.cannot("kube", name));
    }
    if matches!(fault, Fault::Pause | Fault::Resume) {
        return Err(format!(
            "the kube backend cannot {fault} {name}: Kubernetes has no way to freeze a container; \
             use stop or kill (the pod scaled away), or the process or docker backend"
        ));
    }
    if !siblings.is_empty() {
        return Err(format!(
            "the kube backend cannot {fault} {name} alone: it stops a whole pod, and the pod of \
             {workload} also runs {}; give {name} a Deployment of its own, or use the process or docker backend",
            siblings.join(", ")
        ));
    }
    if Workload::of(workload).is_none() {
        return Err(format!(
            "the kube backend cannot {fault} {name}: it scales a Deployment or a StatefulSet, \
             and {name} runs in {workload}"
        ));
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn selector(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether a pod runs with its `Ready` condition true.
fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
}

/// A workload the backend can scale.
#[derive(Debug, Clone, Copy)]
enum Workload<'a> {
    Deployment(&'a str),
    StatefulSet(&'a str),
}

impl<'a> Workload<'a> {
    /// From `Kind/name`; `None` for a kind without a scale (a bare Pod, a DaemonSet).
    fn of(resource: &'a str) -> Option<Self> {
        match resource.split_once('/')? {
            ("Deployment", name) => Some(Workload::Deployment(name)),
            ("StatefulSet", name) => Some(Workload::StatefulSet(name)),
            _ => None,
        }
    }

    async fn replicas(self, client: &Client, namespace: &str) -> Result<i32, String> {
        match self {
            Workload::Deployment(name) => replicas_of::<Deployment>(client, namespace, name).await,
            Workload::StatefulSet(name) => {
                replicas_of::<StatefulSet>(client, namespace, name).await
            }
        }
    }

    async fn scale(self, client: &Client, namespace: &str, replicas: i32) -> Result<(), String> {
        match self {
            Workload::Deployment(name) => {
                scale::<Deployment>(client, namespace, name, replicas).await
            }
            Workload::StatefulSet(name) => {
                scale::<StatefulSet>(client, namespace, name, replicas).await
            }
        }
    }
}

async fn replicas_of<K>(client: &Client, namespace: &str, name: &str) -> Result<i32, String>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    api.get_scale(name)
        .await
        // The scale subresource leaves out a replicas of 0.
        .map(|scale| scale.spec.and_then(|s| s.replicas).unwrap_or(0))
        .map_err(|e| format!("reading the scale of {name}: {e}"))
}

async fn scale<K>(client: &Client, namespace: &str, name: &str, replicas: i32) -> Result<(), String>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let patch = serde_json::json!({ "spec": { "replicas": replicas } });
    api.patch_scale(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(|e| format!("scaling {name} to {replicas}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deployments_and_stateful_sets_are_workloads_a_fault_can_scale() {
        assert!(matches!(
            Workload::of("Deployment/echo"),
            Some(Workload::Deployment("echo"))
        ));
        assert!(matches!(
            Workload::of("StatefulSet/db"),
            Some(Workload::StatefulSet("db"))
        ));
        assert!(Workload::of("DaemonSet/agent").is_none());
        assert!(Workload::of("Pod/lonely").is_none());
    }

    /// The refusal of `fault` to a component of `workload` sharing its pod with `siblings`,
    /// from a client that reaches nothing: a refusal must come before the cluster is asked.
    async fn refusal(workload: &str, siblings: &[&str], fault: Fault) -> String {
        let mut component = ComponentPod::new(
            "echo-server",
            "echo",
            workload,
            &BTreeMap::new(),
            Vec::new(),
        );
        component.siblings = siblings.iter().map(|s| s.to_string()).collect();
        let config = kube::Config::new("http://127.0.0.1:9".parse().expect("a URL"));
        let client = Client::try_from(config).expect("a client");
        component
            .fault(&client, "ns", fault, Duration::from_secs(1))
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn pausing_on_kube_is_refused_by_name_before_the_cluster_is_asked() {
        let err = refusal("Deployment/echo", &[], Fault::Pause).await;
        assert!(
            err.starts_with(
                "the kube backend cannot pause echo-server: Kubernetes has no way to freeze a container"
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_component_sharing_its_pod_is_refused_naming_the_others() {
        let err = refusal("Deployment/monitoring", &["prometheus"], Fault::Kill).await;
        assert!(
            err.contains("the pod of Deployment/monitoring also runs prometheus"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_component_of_a_daemon_set_is_refused_naming_what_can_be_scaled() {
        let err = refusal("DaemonSet/agent", &[], Fault::Stop).await;
        assert!(
            err.contains(
                "it scales a Deployment or a StatefulSet, and echo-server runs in DaemonSet/agent"
            ),
            "{err}"
        );
    }
}
