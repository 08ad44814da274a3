//! Faults on the kube backend. The API cannot signal a container, so a component is stopped
//! the way Kubernetes stops one: its workload is scaled to 0 (`stop`: each pod ends after
//! SIGTERM and its grace period; `kill`: each pod is also deleted with grace period 0) and
//! scaled back to start it again (`restart`), its port-forwards then pointed at the new pods.
//! `fail` stops it so and creates a stand-in pod per replica in its place (firedrill's own
//! image running `firedrill stand-in` on every declared port, with the pod template's labels
//! and annotations, so its Services and Prometheus's discovery select it); `restart` deletes
//! them first. Kubernetes has no way to freeze a container: `pause` does the same with a
//! stand-in that accepts connections and never answers (a target that times out), and
//! `resume` deletes it and scales the workload back (a new pod, said in its message).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ContainerPort, Pod, PodTemplateSpec};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::Client;
use serde::de::DeserializeOwned;

use super::forward::PodTarget;
use crate::backend::stand_in::Reply;
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
    /// The stand-in pods a `fail` or `pause` fault created in its place, until a restart (or a
    /// resume) deletes them.
    stand_ins: Mutex<Vec<String>>,
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
            stand_ins: Mutex::new(Vec::new()),
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
        let stand_ins = lock(&self.stand_ins).clone();
        if !stand_ins.is_empty() && !matches!(fault, Fault::Restart | Fault::Resume) {
            return Err(format!(
                "{name} is already replaced by stand-in pod{} {}: restart it first",
                if stand_ins.len() == 1 { "" } else { "s" },
                stand_ins.join(", ")
            ));
        }
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
                self.wait_gone(client, namespace, fault == Fault::Kill, None, deadline)
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
            Fault::Fail(_) | Fault::Pause => {
                let reply = match fault {
                    Fault::Fail(status) => Reply::Status(status),
                    _ => Reply::Nothing,
                };
                let template = workload.template(client, namespace).await?;
                let stopped =
                    Box::pin(self.fault(client, namespace, Fault::Stop, restart_deadline)).await?;
                let done = self
                    .stand_in(client, namespace, &template, reply, restart_deadline)
                    .await?;
                let replaced = match lock(&self.scaled_from).unwrap_or(1) {
                    1 => "the pod was replaced".to_string(),
                    n => format!("its {n} pods were replaced"),
                };
                Ok(match fault {
                    Fault::Pause => format!(
                        "{name} paused as Kubernetes allows: it cannot freeze a container, so \
                         {replaced}; {stopped}; {done}"
                    ),
                    _ => format!("{stopped}; {done}"),
                })
            }
            Fault::Restart | Fault::Resume => {
                if fault == Fault::Resume && lock(&self.stand_ins).is_empty() {
                    return Err(format!("{name} is not paused: nothing to resume"));
                }
                let removed = self.remove_stand_ins(client, namespace).await?;
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
                if current > 0 {
                    // The old pods ending too: until then the Service may still send a
                    // request to one, which a restart has done with.
                    let left = restart_deadline.saturating_sub(started.elapsed());
                    self.wait_gone(client, namespace, false, Some(&old), left)
                        .await?;
                }
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
                    "{removed}{name} {}: {} {}, pod{} {} ready in {:.1} s",
                    if fault == Fault::Resume {
                        "resumed in a new pod (the pause replaced the old one)"
                    } else {
                        "started again"
                    },
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
        }
    }

    /// Creates a stand-in pod per replica the workload had (one at least), doing `reply` to
    /// every request on every port its pod template declares, under the template's labels and
    /// annotations (so its Services and Prometheus's discovery select it); returns once they
    /// are ready and the first does `reply` through the component's port-forward, which now
    /// reaches them.
    async fn stand_in(
        &self,
        client: &Client,
        namespace: &str,
        template: &PodTemplateSpec,
        reply: Reply,
        deadline: Duration,
    ) -> Result<String, String> {
        let started = Instant::now();
        let replicas = lock(&self.scaled_from).unwrap_or(1).max(1) as usize;
        let ports = declared_ports(template);
        if ports.is_empty() {
            return Err(format!(
                "{} declares no containerPort, so nothing can {reply} in place of {}",
                self.workload, self.name
            ));
        }
        let (image, _) = crate::backend::images::harness_image();
        let base = self.workload.split_once('/').map_or("", |(_, n)| n);
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let mut names = Vec::new();
        for replica in 0..replicas {
            let name = format!("{base}-stand-in-{replica}");
            let pod = stand_in_pod(&name, &self.container, &image, template, &ports, reply)?;
            api.create(&PostParams::default(), &pod)
                .await
                .map_err(|e| format!("creating the stand-in pod {name}: {e}"))?;
            lock(&self.stand_ins).push(name.clone());
            names.push(name);
        }
        let ready = self
            .wait_ready(client, namespace, replicas, &[], deadline)
            .await
            .map_err(|e| format!("the stand-ins of {}: {e}", self.name))?;
        for (target, pod) in self.pods.iter().zip(&ready) {
            target.set(pod);
        }
        if let Some((address, _)) = &self.reached {
            let left = deadline.saturating_sub(started.elapsed());
            through_forward(address, reply, left).await.map_err(|e| {
                format!(
                    "the stand-in of {} did not {reply} through its forward: {e}",
                    self.name
                )
            })?;
        }
        let port_list: Vec<String> = ports
            .iter()
            .map(|p| match &p.name {
                Some(name) => format!("{} ({name})", p.container_port),
                None => p.container_port.to_string(),
            })
            .collect();
        let does = match reply {
            Reply::Status(status) => format!("answers {status} to every request"),
            Reply::Nothing => "accepts connections and never answers".to_string(),
        };
        Ok(format!(
            "stand-in pod{} {} with the pod template's labels and annotations, on port{} {}: {}{does} \
             in its place, ready in {:.1} s",
            if names.len() == 1 { "" } else { "s" },
            names.join(", "),
            if port_list.len() == 1 { "" } else { "s" },
            port_list.join(", "),
            if names.len() == 1 { "" } else { "each " },
            started.elapsed().as_secs_f64()
        ))
    }

    /// Deletes the stand-in pods a `fail` or `pause` fault created (with the workload at 0,
    /// the component's only pods) and waits until they are gone; what was done, as the start
    /// of a restart's message (empty when there were none).
    async fn remove_stand_ins(&self, client: &Client, namespace: &str) -> Result<String, String> {
        let names = std::mem::take(&mut *lock(&self.stand_ins));
        if names.is_empty() {
            return Ok(String::new());
        }
        self.wait_gone(client, namespace, true, None, GONE_SLACK)
            .await?;
        Ok(format!(
            "stand-in pod{} {} deleted; ",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ))
    }

    /// Every pod of the component, also those being deleted.
    async fn all_pods(&self, client: &Client, namespace: &str) -> Result<Vec<Pod>, String> {
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        api.list(&ListParams::default().labels(&selector(&self.labels)))
            .await
            .map(|list| list.items)
            .map_err(|e| format!("listing the pods of {}: {e}", self.workload))
    }

    /// Polls until no pod of the component is left (of those named `only`, if given), at
    /// most `deadline`; with `kill`, each pod found is deleted with grace period 0.
    async fn wait_gone(
        &self,
        client: &Client,
        namespace: &str,
        kill: bool,
        only: Option<&[String]>,
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
                .filter(|name| only.is_none_or(|only| only.contains(name)))
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
                return Err(match only {
                    None => format!(
                        "{} scaled to 0, but pod {} still there after {deadline:?} (its grace period and {GONE_SLACK:?})",
                        self.workload,
                        left.join(", ")
                    ),
                    Some(_) => format!(
                        "{} has new pods ready, but the old pod {} did not end within {deadline:?}",
                        self.workload,
                        left.join(", ")
                    ),
                });
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
    let cannot = fault.cannot("kube", name);
    if !siblings.is_empty() {
        return Err(format!(
            "{cannot} alone: it stops a whole pod, and the pod of {workload} also runs {}; give \
             {name} a Deployment of its own, or use the process or docker backend",
            siblings.join(", ")
        ));
    }
    if Workload::of(workload).is_none() {
        return Err(format!(
            "{cannot}: it scales a Deployment or a StatefulSet, and {name} runs in {workload}"
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

/// Polls `address` (the component's port-forward) until the stand-in behind it does `reply`:
/// an answer of any status, or, for a silent one, a request held open past a second (a
/// forward to a pod where nothing listens ends the connection at once).
async fn through_forward(address: &str, reply: Reply, deadline: Duration) -> Result<(), String> {
    if let Reply::Status(_) = reply {
        let answering = WaitFor::HttpAnyStatus {
            path: "/".to_string(),
        };
        return answering
            .wait(address, deadline, || Ok(()))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let sent = client
            .get(format!("http://{address}/"))
            .timeout(Duration::from_secs(1))
            .send()
            .await;
        let last = match sent {
            Err(e) if e.is_timeout() => return Ok(()),
            Err(e) => e.to_string(),
            Ok(answer) => format!("it answered {}", answer.status()),
        };
        if started.elapsed() >= deadline {
            return Err(format!("not within {deadline:?}; last: {last}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every port the containers of `template` declare (a stand-in answers on each, by the same
/// name).
fn declared_ports(template: &PodTemplateSpec) -> Vec<ContainerPort> {
    let mut ports: Vec<ContainerPort> = template
        .spec
        .iter()
        .flat_map(|spec| &spec.containers)
        .flat_map(|c| c.ports.iter().flatten())
        .filter(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
        .cloned()
        .collect();
    ports.sort_by_key(|p| p.container_port);
    ports.dedup_by_key(|p| p.container_port);
    ports
}

/// The stand-in pod `name`: the template's labels and annotations, one container (named as
/// the component's) running `firedrill stand-in` from firedrill's own `image` on `ports`.
fn stand_in_pod(
    name: &str,
    container: &str,
    image: &str,
    template: &PodTemplateSpec,
    ports: &[ContainerPort],
    reply: Reply,
) -> Result<Pod, String> {
    let mut args = vec!["stand-in".to_string()];
    for port in ports {
        args.extend([
            "--listen".to_string(),
            format!("0.0.0.0:{}", port.container_port),
        ]);
    }
    match reply {
        Reply::Status(status) => args.extend(["--status".to_string(), status.to_string()]),
        Reply::Nothing => args.push("--silent".to_string()),
    }
    let ports: Vec<serde_json::Value> = ports
        .iter()
        .map(|p| {
            let mut port =
                serde_json::json!({ "containerPort": p.container_port, "protocol": "TCP" });
            if let Some(name) = &p.name {
                port["name"] = name.clone().into();
            }
            port
        })
        .collect();
    let metadata = template.metadata.clone().unwrap_or_default();
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": metadata.labels.unwrap_or_default(),
            "annotations": metadata.annotations.unwrap_or_default(),
        },
        "spec": {
            "containers": [{
                "name": container,
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["/firedrill"],
                "args": args,
                "ports": ports,
            }],
            "terminationGracePeriodSeconds": 1,
            "enableServiceLinks": false,
        }
    }))
    .map_err(|e| format!("building the stand-in pod {name}: {e}"))
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

    /// Its pod template, as the cluster holds it.
    async fn template(self, client: &Client, namespace: &str) -> Result<PodTemplateSpec, String> {
        let template = match self {
            Workload::Deployment(name) => {
                let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
                api.get(name)
                    .await
                    .map_err(|e| format!("reading Deployment/{name}: {e}"))?
                    .spec
                    .map(|s| s.template)
            }
            Workload::StatefulSet(name) => {
                let api: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
                api.get(name)
                    .await
                    .map_err(|e| format!("reading StatefulSet/{name}: {e}"))?
                    .spec
                    .map(|s| s.template)
            }
        };
        template.ok_or_else(|| match self {
            Workload::Deployment(name) => format!("Deployment/{name} has no pod template"),
            Workload::StatefulSet(name) => format!("StatefulSet/{name} has no pod template"),
        })
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

    #[test]
    fn failing_pausing_and_resuming_a_workload_of_its_own_are_not_refused() {
        for fault in [Fault::Fail(500), Fault::Pause, Fault::Resume] {
            assert_eq!(
                super::refusal(fault, "echo-server", "Deployment/echo", &[]),
                Ok(()),
                "{fault}"
            );
        }
    }

    #[tokio::test]
    async fn a_failing_answer_for_a_component_sharing_its_pod_is_refused_with_its_step() {
        let err = refusal("Deployment/monitoring", &["prometheus"], Fault::Fail(503)).await;
        assert!(
            err.starts_with(
                "the kube backend cannot fail echo-server 503 alone: it stops a whole pod"
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

    fn template() -> PodTemplateSpec {
        serde_json::from_value(serde_json::json!({
            "metadata": {
                "labels": {"app": "echo"},
                "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "8081"},
            },
            "spec": {"containers": [
                {"name": "echo", "image": "echo_server:latest", "ports": [
                    {"name": "http", "containerPort": 8081},
                    {"containerPort": 9000, "protocol": "UDP"},
                ]},
                {"name": "sidecar", "image": "side:1", "ports": [
                    {"name": "admin", "containerPort": 8082},
                ]},
            ]},
        }))
        .expect("a pod template")
    }

    #[test]
    fn a_stand_in_pod_carries_the_templates_labels_annotations_and_named_tcp_ports() {
        let template = template();
        let ports = declared_ports(&template);
        let pod = stand_in_pod(
            "echo-stand-in-0",
            "echo",
            "firedrill-harness:0.1.0",
            &template,
            &ports,
            Reply::Status(500),
        )
        .unwrap();
        let metadata = &pod.metadata;
        assert_eq!(metadata.name.as_deref(), Some("echo-stand-in-0"));
        assert_eq!(
            metadata.labels.as_ref().unwrap()["app"],
            "echo",
            "its Services select it"
        );
        assert_eq!(
            metadata.annotations.as_ref().unwrap()["prometheus.io/port"],
            "8081",
            "discovery relabels it as the pods it replaces"
        );
        let spec = pod.spec.unwrap();
        assert_eq!(spec.containers.len(), 1);
        let container = &spec.containers[0];
        assert_eq!(container.name, "echo");
        assert_eq!(container.command, Some(vec!["/firedrill".to_string()]));
        assert_eq!(
            container.args.clone().unwrap().join(" "),
            "stand-in --listen 0.0.0.0:8081 --listen 0.0.0.0:8082 --status 500"
        );
        let names: Vec<(i32, Option<String>)> = container
            .ports
            .iter()
            .flatten()
            .map(|p| (p.container_port, p.name.clone()))
            .collect();
        assert_eq!(
            names,
            vec![(8081, Some("http".into())), (8082, Some("admin".into()))],
            "every declared TCP port, by its name"
        );
    }

    #[test]
    fn a_pause_stand_in_is_silent() {
        let template = template();
        let pod = stand_in_pod(
            "echo-stand-in-0",
            "echo",
            "img:1",
            &template,
            &declared_ports(&template),
            Reply::Nothing,
        )
        .unwrap();
        let args = pod.spec.unwrap().containers[0].args.clone().unwrap();
        assert_eq!(args.last().map(String::as_str), Some("--silent"));
        assert!(!args.contains(&"--status".to_string()));
    }
}
