//! What the stack IS, as the manifests describe it: components, their config files,
//! images, ports, logical addresses and credentials (kept as secrets).
//!
//! Built by [`crate::load`], consumed by [`crate::plan`]. Nothing here knows about backends.
//! The spec also keeps the manifests as the loader read them, so that nothing after the
//! loader reads the directory again.

mod alertmanager;
pub(crate) mod file_refs;
mod grafana;
pub(crate) mod manifests;
mod prometheus;

pub use alertmanager::{AlertmanagerSpec, Receiver, SlackConfig};
pub use grafana::{Datasource, GrafanaSpec};
pub use prometheus::{PrometheusSpec, Rule, RuleFile, RuleGroup};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Location;
use crate::secret::{redact_secrets, url_secrets, SecretString};

/// The seed's app image; the harness brings this app along (served inside firedrill on the
/// process backend, `firedrill echo-server` in an image built for containers).
pub const ECHO_SERVER_IMAGE: &str = "echo_server:latest";

/// Every component and Service the manifests declare.
#[derive(Debug, Clone)]
pub struct StackSpec {
    /// The directory the manifests were read from.
    pub dir: PathBuf,
    /// Every container of every Deployment, in manifest order.
    pub components: Vec<ComponentSpec>,
    /// Every Service.
    pub services: Vec<ServiceSpec>,
    /// Containers of the manifests the harness does not run, and why (reload sidecars).
    pub left_out: Vec<LeftOut>,
    /// Containers whose shell entrypoint fills their config in at start-up, as the loader
    /// evaluated it (the component runs the program the script ends with, with the files it
    /// writes).
    pub startup_scripts: Vec<StartupScript>,
    /// The manifests as read from `dir` (shared by the spec's clones): what lint and the kube
    /// backend read instead of the directory.
    pub(crate) manifests: Arc<manifests::Manifests>,
}

/// A container of the manifests the harness does not run.
#[derive(Debug, Clone)]
pub struct LeftOut {
    /// The container's name.
    pub container: String,
    /// Its image.
    pub image: String,
    /// Where it is declared (the workload, and the container as key).
    pub origin: Origin,
    /// Why it is left out.
    pub reason: String,
}

/// A container's start-up script (`sh -c "sed ... > FILE && exec alertmanager ..."`), which
/// the loader ran before anything starts: its component runs the final program with its
/// arguments, and the files it writes are mounted files of the component.
#[derive(Debug, Clone)]
pub struct StartupScript {
    /// The component it starts.
    pub component: String,
    /// Where the container is declared.
    pub origin: Origin,
    /// The script's key (`containers[alertmanager].args`).
    pub key: String,
    /// What it does, in order (`writes /etc/alertmanager/alertmanager.yml (sed from ...)`,
    /// `runs /bin/alertmanager`); never a secret value.
    pub steps: Vec<String>,
}

impl StackSpec {
    /// The first component of a kind.
    pub fn component(&self, kind: ComponentKind) -> Option<&ComponentSpec> {
        self.components.iter().find(|c| c.kind() == kind)
    }

    /// A component by its unique name.
    pub fn component_named(&self, name: &str) -> Option<&ComponentSpec> {
        self.components.iter().find(|c| c.name == name)
    }

    /// Prometheus's configuration (the loader guarantees there is one).
    pub fn prometheus(&self) -> &PrometheusSpec {
        self.components
            .iter()
            .find_map(|c| match &c.config {
                ComponentConfig::Prometheus(p) => Some(p),
                _ => None,
            })
            .expect("the loader rejects manifests without a Prometheus container")
    }

    /// Alertmanager's configuration (the loader guarantees there is one).
    pub fn alertmanager(&self) -> &AlertmanagerSpec {
        self.components
            .iter()
            .find_map(|c| match &c.config {
                ComponentConfig::Alertmanager(a) => Some(a),
                _ => None,
            })
            .expect("the loader rejects manifests without an Alertmanager container")
    }

    /// Grafana's configuration, when the manifests run Grafana.
    pub fn grafana(&self) -> Option<&GrafanaSpec> {
        self.components.iter().find_map(|c| match &c.config {
            ComponentConfig::Grafana(g) => Some(g),
            _ => None,
        })
    }

    /// Every secret value the manifests hold (Slack URLs and their paths, Grafana's
    /// password, env vars from Secrets), for redacting logs, evidence and artifacts.
    pub fn secrets(&self) -> Vec<SecretString> {
        let mut secrets = Vec::new();
        for component in &self.components {
            for env in &component.env {
                if let EnvValue::Secret(value) = &env.value {
                    secrets.push(value.clone());
                }
            }
            match &component.config {
                ComponentConfig::Alertmanager(am) => {
                    let urls = am.global_slack_api_url.iter().chain(
                        am.receivers
                            .iter()
                            .flat_map(|r| r.slack.iter().filter_map(|s| s.api_url.as_ref())),
                    );
                    for url in urls {
                        secrets.extend(url_secrets(url));
                    }
                }
                ComponentConfig::Grafana(g) => secrets.push(g.admin_password.clone()),
                _ => {}
            }
        }
        secrets.retain(|s| !s.is_empty());
        secrets.dedup();
        secrets
    }

    /// `text` with every secret of the manifests replaced by `<redacted>`
    /// ([`redact_secrets`] over [`StackSpec::secrets`]).
    pub fn redact(&self, text: &str) -> String {
        let secrets = self.secrets();
        let refs: Vec<&SecretString> = secrets.iter().collect();
        redact_secrets(text, &refs)
    }

    /// The app components (every container that is not Prometheus, Alertmanager or Grafana).
    pub fn apps(&self) -> impl Iterator<Item = &ComponentSpec> {
        self.components
            .iter()
            .filter(|c| c.kind() == ComponentKind::App)
    }

    /// The component (its name) that `name` names among those `running`: a container's
    /// name, the workload running it (a Deployment's name, when it runs one container), or
    /// a Service selecting its pod. `Err` naming the choices, or the containers a name
    /// stands for when it stands for several.
    pub fn component_called(
        &self,
        name: &str,
        running: impl Fn(&ComponentSpec) -> bool,
    ) -> Result<String, String> {
        let candidates = || self.components.iter().filter(|c| running(c));
        let mut found: Vec<&ComponentSpec> = candidates()
            .filter(|c| c.name == name || c.pod == name)
            .collect();
        if found.is_empty() {
            found = candidates()
                .filter(|c| {
                    self.services.iter().any(|s| {
                        s.name == name
                            && !s.selector.is_empty()
                            && s.selector
                                .iter()
                                .all(|(k, v)| c.pod_labels.get(k) == Some(v))
                    })
                })
                .collect();
        }
        match found.as_slice() {
            [one] => Ok(one.name.clone()),
            [] => {
                let mut choices: Vec<String> = candidates().map(|c| c.name.clone()).collect();
                choices.extend(self.services.iter().map(|s| format!("Service {}", s.name)));
                Err(format!(
                    "`{name}` names no running container, workload or Service of the stack: \
                     expected one of {}",
                    choices.join(", ")
                ))
            }
            many => Err(format!(
                "`{name}` names several containers ({}): name the container",
                many.iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// What a container is, decided from its image's repository name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ComponentKind {
    /// The instrumented application (anything not below).
    App,
    /// An image whose repository name is `prometheus`.
    Prometheus,
    /// An image whose repository name is `alertmanager`.
    Alertmanager,
    /// An image whose repository name is `grafana`.
    Grafana,
}

impl ComponentKind {
    /// Lowercase name, as used in flags and env vars (`FIREDRILL_PROMETHEUS_BIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::App => "app",
            ComponentKind::Prometheus => "prometheus",
            ComponentKind::Alertmanager => "alertmanager",
            ComponentKind::Grafana => "grafana",
        }
    }

    /// Classifies an image reference: `prom/prometheus:v2.27.1` is Prometheus,
    /// `registry.local/grafana/grafana:7.5.9` is Grafana, anything else is an app.
    pub fn of_image(image: &str) -> Self {
        let without_digest = image.split('@').next().unwrap_or(image);
        let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
        let repo = last.split(':').next().unwrap_or(last);
        match repo {
            "prometheus" => ComponentKind::Prometheus,
            "alertmanager" => ComponentKind::Alertmanager,
            "grafana" | "grafana-oss" | "grafana-enterprise" => ComponentKind::Grafana,
            _ => ComponentKind::App,
        }
    }
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a piece of the spec came from, for error messages and the change list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The manifest file.
    pub file: PathBuf,
    /// `Kind/name` of the resource.
    pub resource: String,
    /// The key inside it (ConfigMap key, container name), when there is one.
    pub key: Option<String>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.resource, self.file.display())?;
        if let Some(key) = &self.key {
            write!(f, " key `{key}`")?;
        }
        Ok(())
    }
}

impl Location for Origin {
    fn file(&self) -> &Path {
        &self.file
    }

    fn resource(&self) -> &str {
        &self.resource
    }

    fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }
}

/// One container of a Deployment.
#[derive(Debug, Clone)]
pub struct ComponentSpec {
    /// Unique name: the container's name, prefixed with `<deployment>-` only when two
    /// Deployments use the same container name.
    pub name: String,
    /// The Deployment/container this came from.
    pub origin: Origin,
    /// The Deployment's name: containers with the same pod share `localhost`.
    pub pod: String,
    /// The pod template's labels (what Services select on).
    pub pod_labels: BTreeMap<String, String>,
    /// The image reference as written.
    pub image: String,
    /// The arguments after the program: `command[1..]` then `args`, after Kubernetes'
    /// `$(VAR)` expansion (an arg may then hold a Secret's value: redact before printing);
    /// for a start-up script, those of the program it ends with.
    pub args: Vec<String>,
    /// `containerPort`s, in order; for an app container that declares none (alone so in its
    /// pod), the numeric `targetPort`s of the Services selecting its pod, where Kubernetes
    /// forwards without a declaration (`ports_from_services` then says so).
    pub ports: Vec<u16>,
    /// Whether `ports` are the Services' numeric target ports rather than declared ones.
    pub ports_from_services: bool,
    /// Environment variables, with `secretKeyRef`/`configMapKeyRef` resolved.
    pub env: Vec<EnvVar>,
    /// Every file the container sees through its ConfigMap/Secret volume mounts, and those
    /// its start-up script writes.
    pub files: Vec<MountedFile>,
    /// The parsed configuration of a known component.
    pub config: ComponentConfig,
    /// The container's `httpGet` probes (requests a backend that runs probes sends it).
    pub(crate) http_probes: Vec<HttpProbe>,
}

/// Which probe of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeKind {
    /// `readinessProbe`.
    Readiness,
    /// `livenessProbe`.
    Liveness,
    /// `startupProbe`.
    Startup,
}

impl fmt::Display for ProbeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProbeKind::Readiness => "readiness",
            ProbeKind::Liveness => "liveness",
            ProbeKind::Startup => "startup",
        })
    }
}

/// An `httpGet` probe a container declares: on a backend that runs probes (the kubelet does),
/// requests to the container that firedrill does not send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpProbe {
    /// Which probe.
    pub(crate) kind: ProbeKind,
    /// The path it GETs.
    pub(crate) path: String,
}

impl fmt::Display for HttpProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} probe GET {}", self.kind, self.path)
    }
}

impl ComponentSpec {
    /// What this component is.
    pub fn kind(&self) -> ComponentKind {
        match self.config {
            ComponentConfig::App => ComponentKind::App,
            ComponentConfig::Prometheus(_) => ComponentKind::Prometheus,
            ComponentConfig::Alertmanager(_) => ComponentKind::Alertmanager,
            ComponentConfig::Grafana(_) => ComponentKind::Grafana,
        }
    }

    /// A mounted file by its in-container path.
    pub fn file(&self, path: &str) -> Option<&MountedFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The value of an env var, if set.
    pub fn env_var(&self, name: &str) -> Option<&EnvValue> {
        self.env.iter().find(|e| e.name == name).map(|e| &e.value)
    }

    /// The first declared container port.
    pub fn main_port(&self) -> Option<u16> {
        self.ports.first().copied()
    }
}

/// A parsed configuration, by component kind.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ComponentConfig {
    /// An app: nothing to parse.
    App,
    /// Prometheus's config and rules.
    Prometheus(PrometheusSpec),
    /// Alertmanager's config.
    Alertmanager(AlertmanagerSpec),
    /// Grafana's provisioning and credentials.
    Grafana(GrafanaSpec),
}

/// A file mounted into a container from a ConfigMap or Secret.
#[derive(Debug, Clone)]
pub struct MountedFile {
    /// Absolute path inside the container (`/etc/prometheus/prometheus.yaml`).
    pub path: String,
    /// Its content.
    pub content: FileContent,
    /// The ConfigMap/Secret and key it came from.
    pub origin: Origin,
}

/// File content; a Secret's content is kept as a secret.
#[derive(Debug, Clone)]
pub enum FileContent {
    /// From a ConfigMap.
    Plain(String),
    /// From a Secret.
    Secret(SecretString),
}

impl FileContent {
    /// The text, for parsing or handing to the component. Never log it.
    pub fn expose(&self) -> &str {
        match self {
            FileContent::Plain(text) => text,
            FileContent::Secret(secret) => secret.expose(),
        }
    }
}

/// An environment variable of a container.
#[derive(Debug, Clone)]
pub struct EnvVar {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: EnvValue,
}

/// An env var's value; one from a Secret stays a secret.
#[derive(Debug, Clone)]
pub enum EnvValue {
    /// A literal or ConfigMap value.
    Plain(String),
    /// From a `secretKeyRef`.
    Secret(SecretString),
}

impl EnvValue {
    /// The value, for handing to the component. Never log it.
    pub fn expose(&self) -> &str {
        match self {
            EnvValue::Plain(text) => text,
            EnvValue::Secret(secret) => secret.expose(),
        }
    }
}

/// A Kubernetes Service: a stable name for the pods its selector matches.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// `metadata.name`: the host name other components use.
    pub name: String,
    /// Where it was declared.
    pub origin: Origin,
    /// `spec.selector`.
    pub selector: BTreeMap<String, String>,
    /// `spec.ports`.
    pub ports: Vec<ServicePort>,
}

/// One port of a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServicePort {
    /// The port clients connect to.
    pub port: u16,
    /// The container port it forwards to (named target ports are resolved by the loader).
    pub target_port: u16,
}
