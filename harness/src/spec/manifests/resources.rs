//! The few fields of Deployments and Services the harness reads: minimal serde structs
//! (not the whole Kubernetes API).

use std::collections::BTreeMap;

use serde::Deserialize;

/// `metadata`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Metadata {
    #[serde(default)]
    pub name: String,
    /// `metadata.namespace` (Kubernetes's `default` when absent).
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations` (Kubernetes discovery hands them to relabelling).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// A Deployment (or StatefulSet/DaemonSet): its pod template is what the harness runs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WorkloadManifest {
    pub metadata: Metadata,
    pub spec: WorkloadSpec,
}

/// `spec` of a workload.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WorkloadSpec {
    /// `spec.replicas` (a Deployment's or StatefulSet's; Kubernetes's 1 when absent, and
    /// absent on a DaemonSet).
    #[serde(default)]
    pub replicas: Option<u32>,
    pub template: PodTemplate,
}

/// `spec.template`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PodTemplate {
    #[serde(default)]
    pub metadata: Metadata,
    pub spec: PodSpec,
}

/// A bare Pod: its own spec is the pod template's.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PodManifest {
    pub metadata: Metadata,
    pub spec: PodSpec,
}

/// `spec.template.spec`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PodSpec {
    pub containers: Vec<Container>,
    #[serde(default)]
    pub volumes: Vec<Volume>,
}

/// A container of the pod template.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Container {
    pub name: String,
    pub image: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
    #[serde(default)]
    pub env: Vec<EnvVarManifest>,
    #[serde(default)]
    pub volume_mounts: Vec<VolumeMount>,
    #[serde(default)]
    pub env_from: Vec<EnvFromSource>,
    #[serde(default)]
    pub readiness_probe: Option<ProbeManifest>,
    #[serde(default)]
    pub liveness_probe: Option<ProbeManifest>,
    #[serde(default)]
    pub startup_probe: Option<ProbeManifest>,
}

/// A container's `readinessProbe` / `livenessProbe` / `startupProbe`: only `httpGet` sends
/// the app requests (`exec` and `tcpSocket` do not).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProbeManifest {
    #[serde(default)]
    pub http_get: Option<HttpGetManifest>,
}

/// `httpGet` of a probe.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HttpGetManifest {
    /// The path; the kubelet requests `/` when it is absent.
    #[serde(default)]
    pub path: Option<String>,
}

/// `ports[]` of a container.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContainerPort {
    pub container_port: u16,
    #[serde(default)]
    pub name: Option<String>,
    /// `TCP` when absent.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// `env[]` of a container.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnvVarManifest {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub value_from: Option<EnvValueFrom>,
}

/// `env[].valueFrom`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnvValueFrom {
    #[serde(default)]
    pub secret_key_ref: Option<KeyRef>,
    #[serde(default)]
    pub config_map_key_ref: Option<KeyRef>,
}

/// `envFrom[]` of a container: every key of a ConfigMap or Secret as a variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnvFromSource {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub config_map_ref: Option<StoreRef>,
    #[serde(default)]
    pub secret_ref: Option<StoreRef>,
}

/// `envFrom[].configMapRef` / `envFrom[].secretRef`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct StoreRef {
    pub name: String,
    #[serde(default)]
    pub optional: bool,
}

/// `secretKeyRef` / `configMapKeyRef`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct KeyRef {
    pub name: String,
    pub key: String,
    #[serde(default)]
    pub optional: bool,
}

/// `volumeMounts[]` of a container.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    #[serde(default)]
    pub sub_path: Option<String>,
}

/// `volumes[]` of the pod; only ConfigMap, Secret and projected volumes carry files the
/// harness reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Volume {
    pub name: String,
    #[serde(default)]
    pub config_map: Option<ConfigMapVolume>,
    #[serde(default)]
    pub secret: Option<SecretVolume>,
    #[serde(default)]
    pub projected: Option<ProjectedVolume>,
}

/// `volumes[].projected`: several sources in one directory.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ProjectedVolume {
    #[serde(default)]
    pub sources: Vec<ProjectionSource>,
}

/// `volumes[].projected.sources[]`; other kinds (downwardAPI, serviceAccountToken) carry no
/// file the harness reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProjectionSource {
    #[serde(default)]
    pub config_map: Option<ConfigMapVolume>,
    /// Unlike a Secret volume's `secretName`, a projected secret is named by `name`.
    #[serde(default)]
    pub secret: Option<ConfigMapVolume>,
}

/// `volumes[].configMap`, and a projected ConfigMap or Secret source (same fields).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ConfigMapVolume {
    pub name: String,
    #[serde(default)]
    pub items: Option<Vec<KeyToPath>>,
    #[serde(default)]
    pub optional: bool,
}

/// `volumes[].secret`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretVolume {
    pub secret_name: String,
    #[serde(default)]
    pub items: Option<Vec<KeyToPath>>,
    #[serde(default)]
    pub optional: bool,
}

/// `items[]` of a ConfigMap/Secret volume.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct KeyToPath {
    pub key: String,
    pub path: String,
}

/// A Service.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ServiceManifest {
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: ServiceManifestSpec,
}

/// `spec` of a Service.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ServiceManifestSpec {
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    #[serde(default)]
    pub ports: Vec<ServicePortManifest>,
}

/// `spec.ports[]` of a Service.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServicePortManifest {
    pub port: u16,
    #[serde(default)]
    pub target_port: Option<PortRef>,
    #[serde(default)]
    pub name: Option<String>,
    /// `TCP` when absent.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// A port given as a number or as a container port's name.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum PortRef {
    Number(u16),
    Name(String),
}
