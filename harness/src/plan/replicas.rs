//! How many pods of each workload a backend without a cluster runs, and what Kubernetes
//! would name them.
//!
//! A Deployment or StatefulSet runs `spec.replicas` pods (1 when absent, none at 0), a
//! DaemonSet one (this machine is one node), each its own process or container with an
//! address of its own, so that discovery finds one target per pod and a Service spreads
//! across them. Two limits, each a listed change: more than [`MAX_REPLICAS`] pods of one
//! workload run [`MAX_REPLICAS`], and a workload running Prometheus, Alertmanager or Grafana
//! runs one pod (several Alertmanagers would gossip into a cluster, several Prometheus
//! would each evaluate and send every alert: neither is what the checks read).
//!
//! Pod names follow Kubernetes's forms: a Deployment's `<name>-<pod-template-hash>-<5
//! chars>` (its ReplicaSet `<name>-<pod-template-hash>`), a StatefulSet's `<name>-<ordinal>`,
//! a DaemonSet's `<name>-<5 chars>`; the hashes are derived from the workload's namespace and
//! name (stable from run to run), in Kubernetes's alphabet.

use std::collections::BTreeMap;

use super::Change;
use crate::spec::manifests::resources::{Metadata, WorkloadManifest};
use crate::spec::manifests::Located;
use crate::spec::{ComponentKind, StackSpec};

/// The most pods of one workload a backend without a cluster runs: enough for every
/// replica-dependent expression a stack's rules write (`count(up) < 3`, a quorum of 5), while
/// `replicas: 50` of a real app image does not start 50 containers on a laptop.
pub(crate) const MAX_REPLICAS: u32 = 10;

/// Kubernetes's alphabet for generated names (no vowels, no look-alike digits).
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// One pod of a workload, as Kubernetes would name and label it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PodIdentity {
    /// `metadata.name`.
    pub(crate) name: String,
    /// `metadata.namespace` (`default` when the workload names none).
    pub(crate) namespace: String,
    /// The kind and name of the controller that owns it (`ReplicaSet`, `echo-5d8f7c9b6d`).
    pub(crate) controller: Option<(String, String)>,
    /// The labels its controller adds to the template's (`pod-template-hash`, ...).
    pub(crate) added_labels: BTreeMap<String, String>,
}

/// A workload's kind (`Deployment`, `StatefulSet`, `DaemonSet`, `Pod`), from its resource.
fn kind_of(workload: &Located<WorkloadManifest>) -> &str {
    workload.resource.split('/').next().unwrap_or("Deployment")
}

/// The replicas the manifests ask of a workload: `spec.replicas`, 1 when absent, 1 for a
/// DaemonSet (one node).
fn declared(workload: &Located<WorkloadManifest>) -> u32 {
    match kind_of(workload) {
        "DaemonSet" | "Pod" => 1,
        _ => workload.manifest.spec.replicas.unwrap_or(1),
    }
}

/// Whether a workload runs Prometheus, Alertmanager or Grafana (kept at one pod).
fn runs_monitoring(spec: &StackSpec, workload: &str) -> bool {
    spec.components
        .iter()
        .any(|c| c.pod == workload && c.kind() != ComponentKind::App)
}

fn workload<'a>(spec: &'a StackSpec, name: &str) -> Option<&'a Located<WorkloadManifest>> {
    spec.manifests
        .inventory
        .workloads
        .iter()
        .find(|w| w.manifest.metadata.name == name)
}

/// How many pods of workload `name` a backend without a cluster runs: the declared replicas,
/// at most [`MAX_REPLICAS`], one for a workload running a monitoring component.
pub(crate) fn replicas(spec: &StackSpec, name: &str) -> usize {
    let Some(workload) = workload(spec, name) else {
        return 1;
    };
    if runs_monitoring(spec, name) {
        return 1;
    }
    declared(workload).min(MAX_REPLICAS) as usize
}

/// A resource's namespace: its own, Kubernetes's `default` when absent.
pub(super) fn namespace_of(metadata: &Metadata) -> String {
    metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string())
}

/// FNV-1a, 32 bits (what Kubernetes hashes pod templates with).
fn fnv32a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// Kubernetes's `SafeEncodeString` of a hash's decimal digits (as `pod-template-hash` is
/// made): up to 10 characters of [`ALPHABET`].
fn template_hash(text: &str) -> String {
    fnv32a(text)
        .to_string()
        .bytes()
        .map(|digit| char::from(ALPHABET[usize::from(digit) % ALPHABET.len()]))
        .collect()
}

/// Five characters of [`ALPHABET`] standing for Kubernetes's random pod-name suffix.
fn suffix(text: &str) -> String {
    let mut n = fnv32a(text);
    (0..5)
        .map(|_| {
            let c = char::from(ALPHABET[(n % ALPHABET.len() as u32) as usize]);
            n /= ALPHABET.len() as u32;
            c
        })
        .collect()
}

/// The pods of workload `name` a backend without a cluster runs, in order (replica 0 first).
pub(crate) fn pods(spec: &StackSpec, name: &str) -> Vec<PodIdentity> {
    let Some(workload) = workload(spec, name) else {
        return Vec::new();
    };
    let namespace = namespace_of(&workload.manifest.metadata);
    let hash = template_hash(&format!("{namespace}/{}", workload.resource));
    let labels = |pairs: &[(&str, String)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    (0..replicas(spec, name))
        .map(|r| match kind_of(workload) {
            "StatefulSet" => {
                let pod = format!("{name}-{r}");
                PodIdentity {
                    added_labels: labels(&[
                        ("controller-revision-hash", format!("{name}-{hash}")),
                        ("statefulset.kubernetes.io/pod-name", pod.clone()),
                    ]),
                    name: pod,
                    namespace: namespace.clone(),
                    controller: Some(("StatefulSet".to_string(), name.to_string())),
                }
            }
            // A bare Pod: its own name, no controller.
            "Pod" => PodIdentity {
                name: name.to_string(),
                namespace: namespace.clone(),
                controller: None,
                added_labels: BTreeMap::new(),
            },
            "DaemonSet" => PodIdentity {
                name: format!("{name}-{}", suffix(&format!("{name}-{hash}-{r}"))),
                namespace: namespace.clone(),
                controller: Some(("DaemonSet".to_string(), name.to_string())),
                added_labels: labels(&[
                    ("controller-revision-hash", hash.clone()),
                    ("pod-template-generation", "1".to_string()),
                ]),
            },
            _ => {
                let replica_set = format!("{name}-{hash}");
                PodIdentity {
                    name: format!("{replica_set}-{}", suffix(&format!("{replica_set}-{r}"))),
                    namespace: namespace.clone(),
                    controller: Some(("ReplicaSet".to_string(), replica_set)),
                    added_labels: labels(&[("pod-template-hash", hash.clone())]),
                }
            }
        })
        .collect()
}

/// Lists, for a backend without a cluster, every workload that runs another number of pods
/// than its manifest declares (kept at one, capped), or none (`replicas: 0`).
pub(crate) fn replica_changes(spec: &StackSpec, changes: &mut Vec<Change>) {
    for workload in &spec.manifests.inventory.workloads {
        let name = &workload.manifest.metadata.name;
        let Some(component) = spec.components.iter().find(|c| &c.pod == name) else {
            continue;
        };
        let declared = declared(workload);
        let run = replicas(spec, name);
        let to = if run as u32 == declared && declared > 0 {
            continue;
        } else if runs_monitoring(spec, name) {
            format!(
                "1 (runs 1 of {declared} replicas: {} runs as one instance whatever `replicas` \
                 says, as the checks read it; several Alertmanagers would gossip into a \
                 cluster, several Prometheus would each send every alert)",
                component.name
            )
        } else if declared == 0 {
            "0 (no pod: its containers are not run, and a Service selecting only them has no \
             endpoints, as in a cluster)"
                .to_string()
        } else {
            format!(
                "{run} (runs {run} of {declared} replicas: at most {MAX_REPLICAS} pods of one \
                 workload run on this machine)"
            )
        };
        changes.push(Change {
            component: component.name.clone(),
            file: workload.resource.clone(),
            key: "spec.replicas".to_string(),
            reason: "replicas",
            from: declared.to_string(),
            to,
        });
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::load::load_dir;

    /// The `replicated-pod-discovery` corpus stack (an echo Deployment of 3 replicas), with
    /// `edits` (file, text, replacement) made to its manifests.
    pub(crate) fn replicated(edits: &[(&str, &str, &str)]) -> tempfile::TempDir {
        let from = crate::fixtures::repository_root()
            .join("fixtures/manifests/corpus/working/replicated-pod-discovery/manifests");
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let mut text = std::fs::read_to_string(&path).unwrap();
            for (file, old, new) in edits {
                if *file == name {
                    assert!(text.contains(old), "{name} has no `{old}`");
                    text = text.replace(old, new);
                }
            }
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn changes(dir: &tempfile::TempDir) -> Vec<Change> {
        let spec = load_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let mut changes = Vec::new();
        replica_changes(&spec, &mut changes);
        changes
    }

    #[test]
    fn a_deployments_replicas_get_kubernetes_pod_names_under_one_replica_set() {
        let dir = replicated(&[]);
        let spec = load_dir(dir.path()).unwrap();
        assert_eq!(replicas(&spec, "echo-deployment"), 3);
        let pods = pods(&spec, "echo-deployment");
        assert_eq!(pods.len(), 3);
        let hash = &pods[0].added_labels["pod-template-hash"];
        let replica_set = format!("echo-deployment-{hash}");
        let mut names = std::collections::BTreeSet::new();
        for pod in &pods {
            assert_eq!(
                pod.controller,
                Some(("ReplicaSet".to_string(), replica_set.clone()))
            );
            assert_eq!(&pod.added_labels["pod-template-hash"], hash);
            let suffix = pod
                .name
                .strip_prefix(&format!("{replica_set}-"))
                .unwrap_or_else(|| panic!("{} is not of {replica_set}", pod.name));
            assert_eq!(suffix.len(), 5, "{}", pod.name);
            names.insert(pod.name.clone());
        }
        assert_eq!(names.len(), 3, "the names are distinct: {pods:#?}");
        assert_eq!(pods, super::pods(&spec, "echo-deployment"), "and stable");
        assert!(changes(&dir).is_empty(), "3 of 3 run: nothing to list");
    }

    #[test]
    fn a_statefulsets_replicas_are_numbered_and_labelled_with_their_names() {
        let dir = replicated(&[(
            "echo-deployment.yaml",
            "kind: Deployment",
            "kind: StatefulSet",
        )]);
        let spec = load_dir(dir.path()).unwrap();
        let pods = pods(&spec, "echo-deployment");
        let names: Vec<&str> = pods.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "echo-deployment-0",
                "echo-deployment-1",
                "echo-deployment-2"
            ]
        );
        for pod in &pods {
            assert_eq!(
                pod.added_labels["statefulset.kubernetes.io/pod-name"],
                pod.name
            );
            assert!(pod.added_labels["controller-revision-hash"].starts_with("echo-deployment-"));
            assert_eq!(
                pod.controller,
                Some(("StatefulSet".to_string(), "echo-deployment".to_string()))
            );
        }
    }

    #[test]
    fn more_than_the_cap_runs_the_cap_and_the_change_says_so() {
        let dir = replicated(&[("echo-deployment.yaml", "replicas: 3", "replicas: 50")]);
        let spec = load_dir(dir.path()).unwrap();
        assert_eq!(replicas(&spec, "echo-deployment"), MAX_REPLICAS as usize);
        assert_eq!(pods(&spec, "echo-deployment").len(), MAX_REPLICAS as usize);
        let changes = changes(&dir);
        let [change] = changes.as_slice() else {
            panic!("one change: {changes:#?}");
        };
        assert_eq!(
            (
                change.file.as_str(),
                change.key.as_str(),
                change.reason,
                change.from.as_str()
            ),
            (
                "Deployment/echo-deployment",
                "spec.replicas",
                "replicas",
                "50"
            )
        );
        assert!(
            change.to.starts_with("10 (runs 10 of 50 replicas"),
            "{change}"
        );
    }

    #[test]
    fn no_replicas_run_no_pod_and_a_missing_count_runs_one() {
        let none = replicated(&[("echo-deployment.yaml", "replicas: 3", "replicas: 0")]);
        let spec = load_dir(none.path()).unwrap();
        assert_eq!(replicas(&spec, "echo-deployment"), 0);
        assert!(pods(&spec, "echo-deployment").is_empty());
        let changes = changes(&none);
        assert!(
            changes.len() == 1 && changes[0].to.starts_with("0 (no pod"),
            "{changes:#?}"
        );
        let absent = replicated(&[("echo-deployment.yaml", "  replicas: 3\n", "")]);
        let spec = load_dir(absent.path()).unwrap();
        assert_eq!(replicas(&spec, "echo-deployment"), 1);
    }

    #[test]
    fn a_monitoring_workload_keeps_one_pod_and_the_change_says_so() {
        let dir = replicated(&[("prometheus-deployment.yaml", "replicas: 1", "replicas: 2")]);
        let spec = load_dir(dir.path()).unwrap();
        assert_eq!(replicas(&spec, "prometheus-deployment"), 1);
        let changes = changes(&dir);
        assert!(
            changes.len() == 1
                && changes[0].from == "2"
                && changes[0].to.starts_with("1 (runs 1 of 2 replicas"),
            "{changes:#?}"
        );
    }

    #[test]
    fn a_template_hash_is_made_of_kubernetes_safe_characters_and_is_stable() {
        let hash = template_hash("default/Deployment/echo");
        assert!(!hash.is_empty() && hash.len() <= 10, "{hash}");
        assert!(hash.bytes().all(|b| ALPHABET.contains(&b)), "{hash}");
        assert_eq!(hash, template_hash("default/Deployment/echo"));
        assert_ne!(hash, template_hash("other/Deployment/echo"));
        let five = suffix("echo-abc-0");
        assert_eq!(five.len(), 5);
        assert!(five.bytes().all(|b| ALPHABET.contains(&b)), "{five}");
    }

    #[test]
    fn a_bare_pod_is_one_pod_of_its_own_name_without_a_controller() {
        let dir = crate::fixtures::repository_root()
            .join("fixtures/manifests/corpus/working/bare-pod-app/manifests");
        let spec = load_dir(&dir).unwrap();
        assert!(
            spec.components
                .iter()
                .any(|c| c.name == "echo-server" && c.pod == "echo"),
            "the bare Pod's container is a component: {:?}",
            spec.components.iter().map(|c| &c.name).collect::<Vec<_>>()
        );
        assert_eq!(
            pods(&spec, "echo"),
            [PodIdentity {
                name: "echo".to_string(),
                namespace: "default".to_string(),
                controller: None,
                added_labels: BTreeMap::new(),
            }]
        );
    }
}
