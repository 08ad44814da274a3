//! The Kubernetes backend: the manifests applied as they are (server-side apply, a
//! `DynamicObject` per document) to the current kubeconfig context (or `--context`), in a
//! uniquely named namespace labelled with its run, its owner's host and pid; changed only as
//! the change list says (the Slack URL pointing at the recorder, scaled durations, the
//! namespace, image overrides), checked by the same checks as every backend.
//!
//! - Deployments are awaited against a deadline; a pod that crash-loops, cannot pull its
//!   image or cannot be scheduled fails the start at once, with its events.
//! - Prometheus, Alertmanager, Grafana and the apps are reached through port-forwards on
//!   127.0.0.1 (through the API server: nothing is exposed on the nodes).
//! - The Slack recorder (`firedrill slack-recorder`, from the image firedrill builds from its
//!   own executable) runs in the namespace, where Alertmanager reaches it on any cluster; the
//!   harness's mock mirrors what it recorded, so the checks, artifacts and redaction are the
//!   same as on every backend.
//! - The namespace is deleted on shutdown, on drop (a test that ends or panics, Ctrl-C), and
//!   namespaces of harnesses on this host that died are deleted at the next start.
//!   `FIREDRILL_KEEP=1` keeps it and prints the `kubectl delete namespace` that removes it.

pub(crate) mod cluster;
mod fault;
pub(crate) mod forward;
pub(crate) mod manifests;
pub(crate) mod placement;

#[cfg(test)]
mod tests;

pub use placement::{KubePlacement, RECORDER_NAME};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use kube::{Client, Config};

use super::images::{
    ensure_local_image, harness_image as recorder_image, ImageChoice,
    HARNESS_IMAGE_VAR as RECORDER_IMAGE_VAR,
};
use super::owner::{host_name, LABEL_HOST, LABEL_KEEP, LABEL_PID, LABEL_RUN};
use super::{Backend, Launched, LaunchedComponent, StackHandle, StartOptions, WaitFor};
use crate::error::{Error, Result};
use crate::plan::{ComponentPlan, StackPlan};
use crate::slack::SlackMock;
use crate::spec::{ComponentKind, StackSpec, ECHO_SERVER_IMAGE};
use fault::ComponentPod;
use forward::Forward;
use manifests::AppliedDocument;
use placement::RECORDER_TARGET_PORT;

/// The kube backend.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KubeBackend;

impl KubeBackend {
    fn documents(
        plan: &StackPlan,
        placement: &KubePlacement,
        options: &StartOptions,
    ) -> Result<(Vec<AppliedDocument>, Vec<crate::plan::Change>)> {
        let images = ImageChoice::from_env()?;
        let (recorder, _) = recorder_image();
        let (mut documents, changes) = manifests::documents(
            plan,
            placement,
            &images,
            &recorder,
            &run_labels(placement.namespace(), options.keep),
            &options.skip,
        )?;
        // The recorder fails from its start, before Alertmanager runs.
        let recorder_resource = format!("Deployment/{RECORDER_NAME}");
        if let Some(args) = documents
            .iter_mut()
            .find(|d| d.resource() == recorder_resource)
            .and_then(|d| d.pod_spec_mut())
            .and_then(|pod| pod["containers"][0].get_mut("args"))
            .and_then(serde_yaml::Value::as_sequence_mut)
        {
            for fault in &options.slack_faults {
                args.push("--fail".into());
                args.push(fault.to_string().into());
            }
        }
        Ok((documents, changes))
    }
}

/// The labels of a run's namespace.
pub fn run_labels(namespace: &str, keep: bool) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (LABEL_RUN.to_string(), namespace.to_string()),
        (LABEL_PID.to_string(), std::process::id().to_string()),
        (LABEL_HOST.to_string(), host_name()),
    ]);
    if keep {
        labels.insert(LABEL_KEEP.to_string(), "1".to_string());
    }
    labels
}

impl Backend for KubeBackend {
    type Placement = KubePlacement;

    /// Every namespaced object runs in the run's own namespace, so two objects of one kind
    /// and name in two namespaces (each namespace's own `prometheus-config`, say) would be
    /// one there, the second overwriting the first: refused, naming both.
    ///
    /// A container whose shell entrypoint fills its config in at start-up would run that
    /// script in the cluster, with the manifests' own values (the real Slack URL), where the
    /// plan cannot point it at the Slack mock: refused, naming the container.
    ///
    /// Every such object and container is its own refusal.
    fn refuse_fault(
        &self,
        spec: &StackSpec,
        component: &crate::spec::ComponentSpec,
        fault: super::Fault,
        options: &StartOptions,
    ) -> std::result::Result<(), String> {
        fault::refusal(
            fault,
            &component.name,
            &component.origin.resource,
            &siblings(spec, component, options),
        )?;
        // A stand-in answers on the ports the pod declares; with none (also where the
        // Services' target ports reach an undeclared one) it has nowhere to.
        if matches!(fault, super::Fault::Fail(_) | super::Fault::Pause)
            && (component.ports.is_empty() || component.ports_from_services)
        {
            return Err(format!(
                "{}: its container declares no containerPort for a stand-in to take over; \
                 declare the port it listens on",
                fault.cannot("kube", &component.name)
            ));
        }
        Ok(())
    }

    fn refusals(&self, spec: &StackSpec) -> Vec<Error> {
        let mut refusals: Vec<Error> = spec
            .startup_scripts
            .iter()
            .map(|script| {
                Error::Input(
                    crate::error::InputError::new(
                        &script.origin.file,
                        format!(
                            "the container's start-up script fills its config in when the pod \
                             starts, with the manifests' own values, where the kube backend \
                             cannot point its Slack URL at the mock; run it with --backend \
                             process or docker, where firedrill runs the script's work before \
                             the start ({})",
                            script.steps.join("; ")
                        ),
                    )
                    .resource(&script.origin.resource)
                    .key(format!("spec.template.spec.{}", script.key)),
                )
            })
            .collect();
        refusals.extend(same_names_in_two_namespaces(spec));
        refusals
    }

    /// The YAML `firedrill render --backend kube` prints: what would be applied, Namespace first.
    fn render_manifests(
        &self,
        spec: &StackSpec,
        options: &StartOptions,
    ) -> Result<Option<(String, StackPlan)>> {
        let (plan, placement) = super::seam::render_on(self, spec, options)?;
        let (documents, _) = Self::documents(&plan, &placement, options)?;
        Ok(Some((manifests::render_yaml(&plan, &documents), plan)))
    }

    fn runs_http_probes(&self) -> bool {
        true
    }

    fn place(&self, spec: &StackSpec, _options: &StartOptions) -> Result<KubePlacement> {
        Ok(KubePlacement::new(spec))
    }

    fn adjust(
        &self,
        plan: &mut StackPlan,
        placement: &KubePlacement,
        options: &StartOptions,
    ) -> Result<()> {
        let (_, changes) = Self::documents(plan, placement, options)?;
        plan.changes.extend(changes);
        Ok(())
    }

    async fn start_recorder(&self) -> Result<SlackMock> {
        Ok(SlackMock::start().await)
    }

    fn recorder_port(&self, _slack: Option<&SlackMock>) -> u16 {
        placement::RECORDER_PORT
    }

    async fn launch<'a>(
        &'a self,
        plan: &'a StackPlan,
        placement: KubePlacement,
        components: Vec<&'a ComponentPlan>,
        slack: &'a SlackMock,
        options: &'a StartOptions,
    ) -> Result<Launched> {
        start(plan, placement, components, slack, options).await
    }
}

/// Each namespaced object whose kind and name an object of another namespace has too (one
/// refusal per kind and name, naming the first two namespaces).
fn same_names_in_two_namespaces(spec: &StackSpec) -> Vec<Error> {
    let mut seen: BTreeMap<(String, String), (String, std::path::PathBuf)> = BTreeMap::new();
    let mut refused = std::collections::BTreeSet::new();
    let mut refusals = Vec::new();
    for document in &spec.manifests.documents {
        for value in manifests::expand_lists(&document.value) {
            let value = &value;
            let (Some(kind), Some(name)) = (
                value.get("kind").and_then(serde_yaml::Value::as_str),
                value
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(serde_yaml::Value::as_str),
            ) else {
                continue;
            };
            if manifests::is_cluster_scoped(value) {
                continue;
            }
            let namespace = value
                .get("metadata")
                .and_then(|m| m.get("namespace"))
                .and_then(serde_yaml::Value::as_str)
                .unwrap_or("default")
                .to_string();
            let key = (kind.to_string(), name.to_string());
            match seen.get(&key) {
                Some((other, file)) if *other != namespace => {
                    if refused.insert(key) {
                        refusals.push(Error::Input(
                            crate::error::InputError::new(
                                &document.file,
                                format!(
                                    "{kind}/{name} is defined in namespace `{namespace}` and in \
                                     namespace `{other}` ({}); the kube backend runs every \
                                     object in the run's own namespace, where they would be one: \
                                     run these manifests on the process or docker backend, or \
                                     rename one",
                                    file.display()
                                ),
                            )
                            .resource(format!("{kind}/{name}")),
                        ));
                    }
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (namespace, document.file.clone()));
                }
            }
        }
    }
    refusals
}

async fn start(
    plan: &StackPlan,
    placement: KubePlacement,
    components: Vec<&ComponentPlan>,
    slack: &SlackMock,
    options: &StartOptions,
) -> Result<Launched> {
    let config = cluster::config(options.context.as_deref()).await?;
    let client = cluster::connect(config.clone()).await?;
    for orphan in cluster::orphaned_namespaces(&client).await {
        tracing::info!(
            namespace = orphan,
            "deleting what a dead firedrill run left behind"
        );
        if let Err(e) = cluster::delete_namespace(&client, &orphan).await {
            tracing::warn!(namespace = orphan, error = %e, "could not delete");
        }
    }
    prepare_images(&components, options).await?;

    let (documents, _) = KubeBackend::documents(plan, &placement, options)?;
    let namespace = placement.namespace().to_string();
    let mut stack = KubeStack {
        client: client.clone(),
        config,
        namespace: namespace.clone(),
        keep: options.keep,
        deleted: false,
        components: Vec::new(),
        forwards: Vec::new(),
    };
    // The monitored first: the apps, their Services and the Slack recorder are applied and
    // available before Prometheus and Alertmanager start, as a monitoring rollout into a
    // running cluster finds them. Started together, the seconds a pod takes to become
    // routable would count, at a compressed time scale, as a target down for longer than a
    // rule's scaled `for` (an `up == 0` alert production never sends), and Alertmanager's
    // first posts could go nowhere.
    let (monitoring, monitored) = by_phase(&documents, plan);
    let timeout = super::seam::start_timeout()?;
    let began = Instant::now();
    for phase in [monitored, monitoring] {
        if phase.is_empty() {
            continue;
        }
        cluster::apply_all(&client, &phase).await?;
        let deployments: Vec<String> = phase
            .iter()
            .filter(|d| d.value["kind"].as_str() == Some("Deployment"))
            .filter_map(|d| d.value["metadata"]["name"].as_str().map(str::to_string))
            .collect();
        // A bare Pod is its own workload: awaited ready like a Deployment's pods.
        let pods: Vec<String> = phase
            .iter()
            .filter(|d| d.value["kind"].as_str() == Some("Pod"))
            .filter_map(|d| d.value["metadata"]["name"].as_str().map(str::to_string))
            .collect();
        cluster::await_workloads(
            &client,
            &namespace,
            &deployments,
            &pods,
            timeout.saturating_sub(began.elapsed()),
        )
        .await?;
    }
    // Refined below from the Prometheus container's start time (the checks' timing floors
    // count from it); the rollout's end is later, never earlier.
    let mut prometheus_started = Instant::now();

    let recorder_labels = BTreeMap::from([("app".to_string(), RECORDER_NAME.to_string())]);
    let recorder_pod = cluster::pod_of(&client, &namespace, &recorder_labels)
        .await
        .and_then(|p| p.metadata.name)
        .ok_or_else(|| {
            Error::start(
                RECORDER_NAME,
                "its Deployment is available but no pod of it runs",
                "FIREDRILL_KEEP=1 keeps the namespace to inspect",
            )
        })?;
    let recorder = Forward::start(
        client.clone(),
        &namespace,
        &recorder_pod,
        RECORDER_TARGET_PORT,
    )
    .await?;
    slack.mirror(format!("http://{}", recorder.address()));
    stack.components.push(ComponentPod::new(
        RECORDER_NAME,
        "recorder",
        &format!("Deployment/{RECORDER_NAME}"),
        &recorder_labels,
        vec![recorder.target()],
    ));
    stack.forwards.push(recorder);

    let mut launched = Vec::new();
    for component in &components {
        let spec = &component.spec;
        let container = spec.origin.key.clone().unwrap_or_else(|| spec.name.clone());
        let mut running_pods = cluster::pods_of(&client, &namespace, &spec.pod_labels)
            .await
            .into_iter();
        let running = running_pods.next();
        if spec.kind() == ComponentKind::Prometheus {
            if let Some(started) = running
                .as_ref()
                .and_then(|p| cluster::container_started(p, &container))
            {
                prometheus_started = started;
            }
        }
        let pod = running.and_then(|p| p.metadata.name).ok_or_else(|| {
            Error::start(
                &spec.name,
                format!(
                    "{} is available but no pod of it runs",
                    spec.origin.resource
                ),
                "FIREDRILL_KEEP=1 keeps the namespace to inspect",
            )
        })?;
        let port = super::container_port(spec).ok_or_else(|| {
            Error::start(
                &spec.name,
                "the container declares no containerPort",
                format!(
                    "add `ports: [{{containerPort: N}}]` to container {container} in {}",
                    spec.origin.file.display()
                ),
            )
        })?;
        let forward = Forward::start(client.clone(), &namespace, &pod, port).await?;
        let mut targets = vec![forward.target()];
        // An app's further replicas get a forward each: the traffic goes to every one, as
        // Prometheus may scrape any of them (through a Service, one at a time).
        let mut replicas = Vec::new();
        if spec.kind() == ComponentKind::App {
            for replica in running_pods.filter_map(|p| p.metadata.name) {
                let forward = Forward::start(client.clone(), &namespace, &replica, port).await?;
                replicas.push(forward.address().to_string());
                targets.push(forward.target());
                stack.forwards.push(forward);
            }
        }
        let probe = readiness_through_forward(spec.kind());
        let mut component_pod = ComponentPod::new(
            &spec.name,
            &container,
            &spec.origin.resource,
            &spec.pod_labels,
            targets,
        );
        component_pod.reached = Some((forward.address().to_string(), probe.clone()));
        // A fault stops a whole pod: the other components in it would stop too.
        component_pod.siblings = siblings(&plan.spec, spec, options);
        launched.push(LaunchedComponent {
            name: spec.name.clone(),
            kind: spec.kind(),
            address: forward.address().to_string(),
            probe,
            what: format!("pod {pod} container {container} "),
            replicas,
        });
        stack.components.push(component_pod);
        stack.forwards.push(forward);
    }
    Ok(Launched {
        handle: Box::new(stack),
        components: launched,
        prometheus_started,
    })
}

/// The other components of the stack, run as `options` say, in the pod of `component`.
fn siblings(
    spec: &StackSpec,
    component: &crate::spec::ComponentSpec,
    options: &StartOptions,
) -> Vec<String> {
    spec.components
        .iter()
        .filter(|c| c.pod == component.pod && c.name != component.name)
        .filter(|c| !options.skips(c.kind()))
        .map(|c| c.name.clone())
        .collect()
}

/// The documents in the order they are applied: first everything but the Deployments that
/// run Prometheus or Alertmanager (the Namespace first, cluster-scoped objects, the apps,
/// their Services, the recorder), then those Deployments. Returns (monitoring, monitored).
fn by_phase(
    documents: &[AppliedDocument],
    plan: &StackPlan,
) -> (Vec<AppliedDocument>, Vec<AppliedDocument>) {
    let monitoring: std::collections::BTreeSet<&str> = plan
        .spec
        .components
        .iter()
        .filter(|c| {
            matches!(
                c.kind(),
                ComponentKind::Prometheus | ComponentKind::Alertmanager
            )
        })
        .map(|c| c.origin.resource.as_str())
        .collect();
    documents.iter().cloned().partition(|d| {
        matches!(d.value["kind"].as_str(), Some("Deployment" | "Pod"))
            && monitoring.contains(d.resource().as_str())
    })
}

/// As on every backend, except that an app is up once it answers HTTP at all: the local
/// port-forward listener accepts connections whatever the pod does.
fn readiness_through_forward(kind: ComponentKind) -> WaitFor {
    match super::readiness_of(kind) {
        WaitFor::Tcp => WaitFor::HttpAnyStatus {
            path: "/".to_string(),
        },
        other => other,
    }
}

/// Builds the images firedrill builds (the recorder's, the seed's app image when missing)
/// in this machine's Docker, and loads them into a kind cluster.
async fn prepare_images(components: &[&ComponentPlan], options: &StartOptions) -> Result<()> {
    let images = ImageChoice::from_env()?;
    let mut local = Vec::new();
    let (recorder, buildable) = recorder_image();
    if buildable {
        ensure_local_image(&recorder, true)
            .await
            .map_err(|e| {
                Error::start(
                    RECORDER_NAME,
                    format!("cannot build the recorder's image {recorder}: {e}"),
                    format!("run where Docker is reachable, or push an image of firedrill and set {RECORDER_IMAGE_VAR} to it"),
                )
            })?;
        local.push(recorder);
    }
    for component in components {
        let resolved = images.image_for(&component.spec);
        if resolved.reference == ECHO_SERVER_IMAGE {
            ensure_local_image(ECHO_SERVER_IMAGE, true).await?;
            local.push(resolved.reference);
        }
    }
    let context = cluster::context_name(options.context.as_deref()).unwrap_or_default();
    if let Some(cluster_name) = context.strip_prefix("kind-") {
        for image in &local {
            let status = tokio::process::Command::new("kind")
                .args(["load", "docker-image", image, "--name", cluster_name])
                .status()
                .await
                .map_err(|e| {
                    Error::start(
                        "kube",
                        format!("cannot run `kind load docker-image {image}`: {e}"),
                        "install kind, or load the image into the cluster's nodes yourself",
                    )
                })?;
            if !status.success() {
                return Err(Error::start(
                    "kube",
                    format!(
                        "`kind load docker-image {image} --name {cluster_name}` failed ({status})"
                    ),
                    "check that the kind cluster exists (`kind get clusters`)",
                ));
            }
        }
    }
    Ok(())
}

/// A run's namespace; dropping it deletes the namespace (unless kept).
struct KubeStack {
    client: Client,
    config: Config,
    namespace: String,
    keep: bool,
    deleted: bool,
    components: Vec<ComponentPod>,
    forwards: Vec<Forward>,
}

impl std::fmt::Debug for KubeStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeStack")
            .field("namespace", &self.namespace)
            .field("components", &self.components)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl KubeStack {
    fn removal_command(&self) -> String {
        format!("kubectl delete namespace {}", self.namespace)
    }
}

impl StackHandle for KubeStack {
    fn logs(&self) -> BoxFuture<'_, Vec<(String, String)>> {
        Box::pin(async move {
            let mut logs = Vec::new();
            for c in &self.components {
                let text =
                    cluster::container_log(&self.client, &self.namespace, &c.pod(), &c.container)
                        .await;
                logs.push((c.name.clone(), text));
            }
            logs.push((
                "events".to_string(),
                cluster::events(&self.client, &self.namespace).await,
            ));
            logs
        })
    }

    fn exited<'a>(&'a self, component: &'a str) -> BoxFuture<'a, String> {
        Box::pin(async move {
            let Some(c) = self.components.iter().find(|c| c.name == component) else {
                return format!("{component} has no pod in this run");
            };
            let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
                kube::Api::namespaced(self.client.clone(), &self.namespace);
            loop {
                let pod_name = c.pod();
                match pods.get_opt(&pod_name).await {
                    Ok(Some(pod)) => {
                        if let Some(failure) = cluster::pod_failure(&pod) {
                            return failure;
                        }
                    }
                    Ok(None) => return format!("pod {pod_name} is gone"),
                    Err(_) => {}
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    }

    fn fault<'a>(
        &'a self,
        component: &'a str,
        fault: super::Fault,
    ) -> BoxFuture<'a, std::result::Result<String, String>> {
        Box::pin(async move {
            let c = self
                .components
                .iter()
                .find(|c| c.name == component)
                .ok_or_else(|| format!("{component} has no pod in this run"))?;
            let deadline = super::seam::start_timeout().map_err(|e| e.to_string())?;
            c.fault(&self.client, &self.namespace, fault, deadline)
                .await
        })
    }

    fn start_hint(&self) -> &'static str {
        "read the log above; FIREDRILL_START_TIMEOUT (seconds) raises the deadline; FIREDRILL_KEEP=1 keeps the namespace to inspect"
    }

    fn shutdown(mut self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            self.forwards.clear();
            if !self.keep {
                if let Err(e) = cluster::delete_namespace(&self.client, &self.namespace).await {
                    eprintln!(
                        "firedrill: could not delete namespace {}: {e}; delete it with `{}`",
                        self.namespace,
                        self.removal_command()
                    );
                }
                self.deleted = true;
            }
        })
    }
}

impl Drop for KubeStack {
    fn drop(&mut self) {
        self.forwards.clear();
        if self.deleted {
            return;
        }
        if self.keep {
            eprintln!(
                "firedrill: kept namespace {} (FIREDRILL_KEEP); delete it with `{}`",
                self.namespace,
                self.removal_command()
            );
            return;
        }
        // A thread of its own with its own runtime and client: this works whatever runtime
        // (or none) drops the stack, also while a test panics.
        let config = self.config.clone();
        let namespace = self.namespace.clone();
        let command = self.removal_command();
        let namespace_shown = self.namespace.clone();
        let command_shown = command.clone();
        crate::backend::handle::teardown_on_own_thread(
            "firedrill-kube-cleanup",
            async move {
                let deleted = async {
                    let client = Client::try_from(config).map_err(|e| e.to_string())?;
                    cluster::delete_namespace(&client, &namespace).await
                };
                match tokio::time::timeout(Duration::from_secs(30), deleted).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => eprintln!(
                        "firedrill: could not delete namespace {namespace}: {e}; delete it with `{command}`"
                    ),
                    Err(_) => eprintln!(
                        "firedrill: deleting namespace {namespace} timed out; delete it with `{command}`"
                    ),
                }
            },
            |e| {
                eprintln!(
                    "firedrill: could not start deleting namespace {namespace_shown}: {e}; delete it with `{command_shown}`"
                )
            },
        );
    }
}
