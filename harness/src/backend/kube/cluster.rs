//! Talking to the cluster: the client for a kubeconfig context, server-side apply of
//! dynamic objects (kinds resolved by discovery), Deployments awaited with a deadline while
//! failing pods are reported at once, pod logs and events, namespaces deleted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};
use kube::{Client, Config};

use super::manifests::AppliedDocument;
use crate::error::{Error, Result};

/// The field manager server-side apply records.
pub const FIELD_MANAGER: &str = "firedrill";

/// How to get a cluster, for error messages.
pub const CLUSTER_HINT: &str = "point KUBECONFIG (or ~/.kube/config) at a reachable cluster, or pass --context / FIREDRILL_KUBE_CONTEXT: `kind create cluster` makes one locally";

/// The client configuration for `context` (else the current context; in a pod, its
/// service account).
pub async fn config(context: Option<&str>) -> Result<Config> {
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..Default::default()
    };
    let config = match context {
        Some(_) => Config::from_kubeconfig(&options)
            .await
            .map_err(|e| no_cluster(format!("kubeconfig context {context:?}: {e}")))?,
        None => Config::infer()
            .await
            .map_err(|e| no_cluster(format!("no kubeconfig or in-cluster config: {e}")))?,
    };
    Ok(config)
}

/// The context's name as kubeconfig holds it (`kind-kind`), when there is one.
pub fn context_name(context: Option<&str>) -> Option<String> {
    if let Some(context) = context {
        return Some(context.to_string());
    }
    Kubeconfig::read().ok()?.current_context
}

/// A client for `config`, checked against the API server.
pub async fn connect(config: Config) -> Result<Client> {
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .map_err(|e| no_cluster(format!("cannot build a client for {server}: {e}")))?;
    client
        .apiserver_version()
        .await
        .map_err(|e| no_cluster(format!("the API server at {server} does not answer: {e}")))?;
    Ok(client)
}

fn no_cluster(why: String) -> Error {
    Error::start(
        "kube",
        format!("no Kubernetes cluster reachable: {why}"),
        CLUSTER_HINT,
    )
}

/// Applies every document with server-side apply, in order; kinds are resolved by
/// discovery, once each.
pub async fn apply_all(client: &Client, documents: &[AppliedDocument]) -> Result<()> {
    let mut kinds: BTreeMap<String, (ApiResource, ApiCapabilities)> = BTreeMap::new();
    // The run's Namespace (the first document), once applied: it owns every cluster-scoped
    // object, so deleting it deletes them.
    let mut owner: Option<OwnerReference> = None;
    for document in documents {
        let resource = document.resource();
        let mut object: DynamicObject =
            serde_yaml::from_value(document.value.clone()).map_err(|e| {
                Error::start(
                    "kube",
                    format!(
                        "{resource} in {} is not a Kubernetes object: {e}",
                        document.source
                    ),
                    "fix the document's apiVersion, kind and metadata",
                )
            })?;
        let types = object.types.clone().ok_or_else(|| {
            Error::start(
                "kube",
                format!(
                    "{resource} in {} has no apiVersion or kind",
                    document.source
                ),
                "add apiVersion and kind to the document",
            )
        })?;
        let gvk = GroupVersionKind::try_from(&types).map_err(|e| {
            Error::start(
                "kube",
                format!("{resource} in {}: {e}", document.source),
                "fix the document's apiVersion",
            )
        })?;
        let key = format!("{}/{}/{}", gvk.group, gvk.version, gvk.kind);
        if !kinds.contains_key(&key) {
            let resolved = kube::discovery::pinned_kind(client, &gvk)
                .await
                .map_err(|e| {
                    Error::start(
                        "kube",
                        format!(
                            "{resource} in {}: the cluster does not serve {}: {e}",
                            document.source, types.api_version
                        ),
                        "use an apiVersion this cluster serves (`kubectl api-resources`)",
                    )
                })?;
            kinds.insert(key.clone(), resolved);
        }
        let (resource_type, capabilities) = &kinds[&key];
        if capabilities.scope == Scope::Cluster {
            object.metadata.namespace = None;
            if let Some(owner) = &owner {
                if !super::manifests::is_cluster_scoped(&document.value) {
                    // Not in the listed changes (a kind only the cluster knows): say so.
                    tracing::info!(
                        resource,
                        namespace = owner.name,
                        "cluster-scoped: owned by the run's namespace"
                    );
                }
                object
                    .metadata
                    .owner_references
                    .get_or_insert_with(Vec::new)
                    .push(owner.clone());
            }
        }
        let api: Api<DynamicObject> = match capabilities.scope {
            Scope::Cluster => Api::all_with(client.clone(), resource_type),
            Scope::Namespaced => Api::namespaced_with(
                client.clone(),
                object.metadata.namespace.as_deref().unwrap_or("default"),
                resource_type,
            ),
        };
        let name = object.metadata.name.clone().unwrap_or_default();
        // A cluster-scoped object is applied by a manager of the run's own, so that two runs
        // of the same manifests both own it (ownerReferences merge by uid) and the garbage
        // collector deletes it only when the last of their namespaces is gone.
        let manager = match (&owner, capabilities.scope == Scope::Cluster) {
            (Some(owner), true) => format!("{FIELD_MANAGER}/{}", owner.name),
            _ => FIELD_MANAGER.to_string(),
        };
        let params = PatchParams::apply(&manager).force();
        // The API server may ask to be asked again (a 500 `ServerTimeout` or a 429 with a
        // retry delay: before Kubernetes 1.24, a bare Pod applied right after its namespace
        // waits for the default service account's token): asked again for at most 30 s.
        let asked = Instant::now();
        let applied = loop {
            match api.patch(&name, &params, &Patch::Apply(&object)).await {
                Err(kube::Error::Api(e))
                    if (e.reason == "ServerTimeout" || e.code == 429)
                        && asked.elapsed() < Duration::from_secs(30) =>
                {
                    tracing::debug!(resource, reason = e.reason, "asked to apply again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                result => {
                    break result.map_err(|e| {
                        Error::start(
                            "kube",
                            format!("applying {resource} from {} failed: {e}", document.source),
                            "fix the resource, or check the RBAC the kube backend needs (README)",
                        )
                    })?
                }
            }
        };
        if owner.is_none() && gvk.kind == "Namespace" {
            owner = applied.metadata.uid.map(|uid| OwnerReference {
                api_version: "v1".to_string(),
                kind: "Namespace".to_string(),
                name: name.clone(),
                uid,
                ..OwnerReference::default()
            });
        }
    }
    Ok(())
}

/// Why a pod cannot become ready, when that is already known: a container that
/// crash-loops, an image that cannot be pulled, a pod that cannot be scheduled.
pub fn pod_failure(pod: &Pod) -> Option<String> {
    const FATAL_WAITING: &[&str] = &[
        "CrashLoopBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    ];
    let name = pod.metadata.name.as_deref().unwrap_or("?");
    let status = pod.status.as_ref()?;
    for condition in status.conditions.iter().flatten() {
        if condition.type_ == "PodScheduled"
            && condition.status == "False"
            && condition.reason.as_deref() == Some("Unschedulable")
        {
            return Some(format!(
                "pod {name} cannot be scheduled: {}",
                condition.message.as_deref().unwrap_or("Unschedulable")
            ));
        }
    }
    let containers = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    for container in containers {
        let state = container.state.as_ref();
        if let Some(waiting) = state.and_then(|s| s.waiting.as_ref()) {
            let reason = waiting.reason.as_deref().unwrap_or_default();
            if FATAL_WAITING.contains(&reason) {
                let last_run = container
                    .last_state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .map(|t| {
                        format!(
                            "; its last run exited with code {} ({}), restarted {} times",
                            t.exit_code,
                            t.reason.as_deref().unwrap_or("no reason given"),
                            container.restart_count
                        )
                    })
                    .unwrap_or_default();
                return Some(format!(
                    "pod {name} container {} ({}): {reason}: {}{last_run}",
                    container.name,
                    container.image,
                    waiting.message.as_deref().unwrap_or_default()
                ));
            }
        }
        let terminated = state
            .and_then(|s| s.terminated.as_ref())
            .or_else(|| container.last_state.as_ref()?.terminated.as_ref());
        if let Some(terminated) = terminated {
            if terminated.exit_code != 0 || container.restart_count > 0 {
                return Some(format!(
                    "pod {name} container {} ({}) exited with code {} ({}), restarted {} times",
                    container.name,
                    container.image,
                    terminated.exit_code,
                    terminated.reason.as_deref().unwrap_or("no reason given"),
                    container.restart_count
                ));
            }
        }
    }
    None
}

/// The last lines each failed container of `pod` logged (its previous run's when it was
/// restarted): what it said before it exited, e.g. a config it refused.
async fn failed_logs(pods: &Api<Pod>, pod: &Pod) -> String {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mut out = String::new();
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    for status in statuses {
        let ended = status
            .state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some_and(|t| t.exit_code != 0);
        let restarted = status.restart_count > 0;
        if !ended && !restarted {
            continue;
        }
        let params = kube::api::LogParams {
            container: Some(status.name.clone()),
            previous: restarted && !ended,
            tail_lines: Some(10),
            ..Default::default()
        };
        if let Ok(text) = pods.logs(&name, &params).await {
            out.push_str(&format!("\nlast lines of container {}'s log:", status.name));
            for line in text.lines() {
                out.push_str(&format!("\n  | {line}"));
            }
        }
    }
    out
}

/// Waits until every Deployment named has its replicas available and every bare Pod named is
/// ready; a pod that cannot start fails at once with its events and container statuses.
pub async fn await_workloads(
    client: &Client,
    namespace: &str,
    names: &[String],
    bare_pods: &[String],
    timeout: Duration,
) -> Result<()> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let started = Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        for pod in pods.list(&ListParams::default()).await.map_err(api_error)? {
            if let Some(failure) = pod_failure(&pod) {
                let events = events(client, namespace).await;
                let logs = failed_logs(&pods, &pod).await;
                return Err(Error::start(
                    pod_component(&pod),
                    format!("{failure}{logs}\nevents:\n{events}"),
                    "fix the image or the pod spec; FIREDRILL_KEEP=1 keeps the namespace to inspect",
                ));
            }
        }
        let mut waiting = Vec::new();
        for name in names {
            let deployment = deployments.get(name).await.map_err(api_error)?;
            let wanted = deployment
                .spec
                .as_ref()
                .and_then(|s| s.replicas)
                .unwrap_or(1);
            let available = deployment
                .status
                .as_ref()
                .and_then(|s| s.available_replicas)
                .unwrap_or(0);
            if available < wanted {
                waiting.push(format!(
                    "Deployment/{name} ({available}/{wanted} available)"
                ));
            }
        }
        for name in bare_pods {
            let pod = pods.get(name).await.map_err(api_error)?;
            let ready = pod
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            if !ready {
                waiting.push(format!("Pod/{name} (not ready)"));
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            let events = events(client, namespace).await;
            return Err(Error::start(
                "kube",
                format!(
                    "not ready within {timeout:?}: {}\nevents:\n{events}",
                    waiting.join(", ")
                ),
                "FIREDRILL_START_TIMEOUT (seconds) raises the deadline; FIREDRILL_KEEP=1 keeps the namespace to inspect",
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

fn pod_component(pod: &Pod) -> String {
    pod.metadata
        .owner_references
        .iter()
        .flatten()
        .next()
        .map(|o| {
            o.name
                .rsplit_once('-')
                .map(|(d, _)| d)
                .unwrap_or(&o.name)
                .to_string()
        })
        .unwrap_or_else(|| pod.metadata.name.clone().unwrap_or_default())
}

fn api_error(e: kube::Error) -> Error {
    Error::start(
        "kube",
        format!("the API server refused a request: {e}"),
        CLUSTER_HINT,
    )
}

/// The namespace's events, oldest first, one a line.
pub async fn events(client: &Client, namespace: &str) -> String {
    let api: Api<Event> = Api::namespaced(client.clone(), namespace);
    let Ok(list) = api.list(&ListParams::default()).await else {
        return "(events could not be read)".to_string();
    };
    let mut lines: Vec<(String, String)> = list
        .into_iter()
        .map(|e| {
            let when = e
                .last_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_default();
            let line = format!(
                "{when} {} {}/{}: {} {}",
                e.type_.as_deref().unwrap_or(""),
                e.involved_object.kind.as_deref().unwrap_or(""),
                e.involved_object.name.as_deref().unwrap_or(""),
                e.reason.as_deref().unwrap_or(""),
                e.message.as_deref().unwrap_or("")
            );
            (when, line)
        })
        .collect();
    lines.sort();
    lines
        .into_iter()
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first running pod of a Deployment's pods (selected by its pod labels).
pub async fn pod_of(
    client: &Client,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Option<Pod> {
    pods_of(client, namespace, labels).await.into_iter().next()
}

/// Every running pod (not being deleted) with these labels: each replica of a workload.
pub async fn pods_of(
    client: &Client,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let selector = labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let Ok(pods) = api.list(&ListParams::default().labels(&selector)).await else {
        return Vec::new();
    };
    pods.into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .collect()
}

/// When a container of a pod started (its current run), as this process's clock tells it.
pub fn container_started(pod: &Pod, container: &str) -> Option<std::time::Instant> {
    let started = pod
        .status
        .as_ref()?
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == container)?
        .state
        .as_ref()?
        .running
        .as_ref()?
        .started_at
        .as_ref()?;
    let started_ms = started.0.as_millisecond();
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_millis(),
    )
    .ok()?;
    let ago = Duration::from_millis(u64::try_from(now_ms - started_ms).unwrap_or(0));
    std::time::Instant::now().checked_sub(ago)
}

/// A container's log (empty when it cannot be read).
pub async fn container_log(client: &Client, namespace: &str, pod: &str, container: &str) -> String {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = LogParams {
        container: Some(container.to_string()),
        ..Default::default()
    };
    api.logs(pod, &params).await.unwrap_or_default()
}

/// Deletes a namespace (and so everything in it), its pods first without a grace period,
/// so that no container lingers.
pub async fn delete_namespace(client: &Client, namespace: &str) -> std::result::Result<(), String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let _ = pods
        .delete_collection(
            &DeleteParams::default().grace_period(0),
            &ListParams::default(),
        )
        .await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    match namespaces
        .delete(namespace, &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// The namespaces of firedrill runs whose owner (a harness on this host) is gone.
pub async fn orphaned_namespaces(client: &Client) -> Vec<String> {
    use crate::backend::owner::{is_orphan, LABEL_RUN};
    let api: Api<Namespace> = Api::all(client.clone());
    let Ok(list) = api.list(&ListParams::default().labels(LABEL_RUN)).await else {
        return Vec::new();
    };
    list.into_iter()
        .filter(|ns| ns.metadata.deletion_timestamp.is_none())
        .filter(|ns| {
            let labels: std::collections::HashMap<String, String> = ns
                .metadata
                .labels
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect();
            is_orphan(Some(&labels))
        })
        .filter_map(|ns| ns.metadata.name)
        .collect()
}
