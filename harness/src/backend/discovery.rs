//! Kubernetes discovery, emulated off a cluster, follows the pods a fault takes away.
//!
//! On Kubernetes, `stop` and `kill` scale a workload to 0: its pods are deleted, and the
//! targets discovery found for them (roles `pod`, `endpoints`, `endpointslice`) go with
//! them, so `up{job=...}` is absent, not 0. The process and Docker backends hand Prometheus
//! the emulated discovery as files (see [`crate::plan`]); here they learn which pods a
//! fault stopped, and the files are rewritten without the targets of a pod none of whose
//! containers runs any more, and with them again after `restart`. A pod with a container
//! still running (one stopped of several, as a crashing container on Kubernetes), a paused
//! one, or one answering through `fail`'s stand-in stays, as it would in a cluster. A
//! component that exits on its own stays too: on Kubernetes its pod remains, restarting.

use std::collections::{BTreeMap, BTreeSet};

use super::Fault;
use crate::plan::ComponentPlan;
use crate::spec::{FileContent, StackSpec};

/// A pod, as discovery names it: its namespace and name.
type PodKey = (String, String);

/// One emulated discovery file, as planned.
#[derive(Debug)]
struct DiscoveryFile {
    /// The component that reads it (Prometheus).
    component: String,
    /// Its in-container path.
    path: String,
    /// Its target groups as planned, each with the pod it belongs to (none for a Service's
    /// own target, which stays while the Service does).
    groups: Vec<(Option<PodKey>, serde_json::Value)>,
}

/// A discovery file to write again: what a backend does with it is its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rewrite {
    /// The component that reads it.
    pub(crate) component: String,
    /// Its in-container path.
    pub(crate) path: String,
    /// The file's new content.
    pub(crate) text: String,
}

/// The emulated discovery of a running stack, and which of its pods faults took away.
#[derive(Debug, Default)]
pub(crate) struct FollowedDiscovery {
    files: Vec<DiscoveryFile>,
    /// The pod each container (by the name its faults take: `echo`, `echo@echo-...-x`) is in.
    pods: BTreeMap<String, PodKey>,
    /// The containers a fault stopped or killed, not restarted since.
    down: BTreeSet<String>,
    /// The pods left out of the files as last written.
    gone: BTreeSet<PodKey>,
}

impl FollowedDiscovery {
    /// The emulated discovery files of `components` (none: nothing to follow), and the pod
    /// of each of their containers, named as [`container_name`] names them.
    pub(crate) fn of(spec: &StackSpec, components: &[&ComponentPlan]) -> Self {
        let mut followed = Self::default();
        for component in components {
            for file in &component.files {
                if !crate::plan::is_emulated_discovery_file(&file.path) {
                    continue;
                }
                let FileContent::Plain(text) = &file.content else {
                    continue;
                };
                let Ok(serde_json::Value::Array(groups)) = serde_json::from_str(text) else {
                    continue;
                };
                followed.files.push(DiscoveryFile {
                    component: component.spec.name.clone(),
                    path: file.path.clone(),
                    groups: groups.into_iter().map(|g| (pod_of(&g), g)).collect(),
                });
            }
        }
        if followed.files.is_empty() {
            return followed;
        }
        for component in components {
            let pods = crate::plan::replica_pods(spec, &component.spec.pod);
            for (replica, pod) in pods.iter().enumerate() {
                followed.pods.insert(
                    container_name(&component.spec.name, replica, &pod.name),
                    (pod.namespace.clone(), pod.name.clone()),
                );
            }
        }
        followed
    }

    /// Notes that `fault` was done to `containers`, and returns the files to write again
    /// (none when no pod came or went) with what changed, in words.
    pub(crate) fn after(
        &mut self,
        containers: &[String],
        fault: Fault,
    ) -> Option<(Vec<Rewrite>, String)> {
        if self.files.is_empty() {
            return None;
        }
        for container in containers {
            match fault {
                Fault::Stop | Fault::Kill => {
                    self.down.insert(container.clone());
                }
                // Running again, or something answering in its place at its address.
                Fault::Restart | Fault::Fail(_) => {
                    self.down.remove(container);
                }
                Fault::Pause | Fault::Resume => {}
            }
        }
        let mut by_pod: BTreeMap<&PodKey, bool> = BTreeMap::new();
        for (container, pod) in &self.pods {
            let down = self.down.contains(container);
            *by_pod.entry(pod).or_insert(true) &= down;
        }
        let gone: BTreeSet<PodKey> = by_pod
            .into_iter()
            .filter(|(_, all_down)| *all_down)
            .map(|(pod, _)| pod.clone())
            .collect();
        if gone == self.gone {
            return None;
        }
        let names = |pods: std::collections::btree_set::Difference<'_, PodKey>| {
            pods.map(|p| p.1.clone()).collect::<Vec<_>>()
        };
        let left = names(gone.difference(&self.gone));
        let back = names(self.gone.difference(&gone));
        self.gone = gone;
        let rewrites = self
            .files
            .iter()
            .map(|file| {
                let kept: Vec<&serde_json::Value> = file
                    .groups
                    .iter()
                    .filter(|(pod, _)| pod.as_ref().is_none_or(|pod| !self.gone.contains(pod)))
                    .map(|(_, group)| group)
                    .collect();
                Rewrite {
                    component: file.component.clone(),
                    path: file.path.clone(),
                    text: serde_json::to_string_pretty(&kept).expect("targets serialize"),
                }
            })
            .collect();
        let mut said = Vec::new();
        if !left.is_empty() {
            said.push(format!(
                "pod {} left the emulated Kubernetes discovery, as scaled away",
                left.join(", ")
            ));
        }
        if !back.is_empty() {
            said.push(format!(
                "pod {} is back in the emulated Kubernetes discovery",
                back.join(", ")
            ));
        }
        Some((rewrites, said.join("; ")))
    }
}

/// The name a backend gives the container of `component` in its pod `replica` (named
/// `pod`): the component's own for the first, `component@pod` for the others.
pub(crate) fn container_name(component: &str, replica: usize, pod: &str) -> String {
    if replica == 0 {
        component.to_string()
    } else {
        format!("{component}@{pod}")
    }
}

/// The pod a target group belongs to, from its `__meta_kubernetes_*` labels.
fn pod_of(group: &serde_json::Value) -> Option<PodKey> {
    let labels = group.get("labels")?;
    let label = |name: &str| labels.get(name).and_then(serde_json::Value::as_str);
    Some((
        label("__meta_kubernetes_namespace")?.to_string(),
        label("__meta_kubernetes_pod_name")?.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(pod: Option<&str>, address: &str) -> serde_json::Value {
        let mut labels = serde_json::json!({"__meta_kubernetes_namespace": "default"});
        if let Some(pod) = pod {
            labels["__meta_kubernetes_pod_name"] = pod.into();
        }
        serde_json::json!({"targets": [address], "labels": labels})
    }

    fn followed() -> FollowedDiscovery {
        let pod = |name: &str| ("default".to_string(), name.to_string());
        FollowedDiscovery {
            files: vec![DiscoveryFile {
                component: "prometheus".into(),
                path: "/etc/prometheus/firedrill-kubernetes-sd/pods.json".into(),
                groups: [
                    group(Some("echo-a"), "10.0.0.1:8080"),
                    group(Some("echo-b"), "10.0.0.2:8080"),
                    group(Some("monitoring"), "10.0.0.3:9090"),
                    group(None, "echo.default.svc:80"),
                ]
                .into_iter()
                .map(|g| (pod_of(&g), g))
                .collect(),
            }],
            pods: [
                ("echo".to_string(), pod("echo-a")),
                ("echo@echo-b".to_string(), pod("echo-b")),
                ("prometheus".to_string(), pod("monitoring")),
                ("alertmanager".to_string(), pod("monitoring")),
            ]
            .into_iter()
            .collect(),
            ..FollowedDiscovery::default()
        }
    }

    fn addresses(rewrites: &[Rewrite]) -> Vec<String> {
        let groups: Vec<serde_json::Value> = serde_json::from_str(&rewrites[0].text).unwrap();
        groups
            .iter()
            .map(|g| g["targets"][0].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_stopped_workload_leaves_discovery_with_every_pod_and_a_restart_brings_it_back() {
        let mut followed = followed();
        let echo = ["echo".to_string(), "echo@echo-b".to_string()];
        let (rewrites, said) = followed.after(&echo, Fault::Kill).expect("pods left");
        assert_eq!(
            addresses(&rewrites),
            ["10.0.0.3:9090", "echo.default.svc:80"],
            "the Service's own target stays"
        );
        assert_eq!(
            said,
            "pod echo-a, echo-b left the emulated Kubernetes discovery, as scaled away"
        );
        assert_eq!(followed.after(&echo, Fault::Stop), None, "nothing changed");
        let (rewrites, said) = followed.after(&echo, Fault::Restart).expect("pods back");
        assert_eq!(addresses(&rewrites).len(), 4);
        assert_eq!(
            said,
            "pod echo-a, echo-b is back in the emulated Kubernetes discovery"
        );
    }

    #[test]
    fn a_pod_stays_while_one_of_its_containers_runs_or_something_answers_in_its_place() {
        let mut followed = followed();
        assert_eq!(
            followed.after(&["prometheus".to_string()], Fault::Stop),
            None,
            "alertmanager still runs in the pod"
        );
        assert!(followed
            .after(&["alertmanager".to_string()], Fault::Kill)
            .is_some());
        let echo = ["echo".to_string(), "echo@echo-b".to_string()];
        assert_eq!(followed.after(&echo, Fault::Pause), None);
        assert_eq!(followed.after(&echo, Fault::Fail(500)), None);
        followed.after(&echo, Fault::Stop).expect("pods left");
        let (rewrites, _) = followed.after(&echo, Fault::Fail(500)).expect("back");
        assert!(addresses(&rewrites).contains(&"10.0.0.1:8080".to_string()));
    }

    #[test]
    fn the_planned_files_name_each_replica_by_the_container_its_faults_take() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/manifests/corpus/working/replicated-pod-discovery/manifests");
        let spec = crate::load::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        let placement = crate::backend::process::ProcessPlacement::new(&spec).unwrap();
        let plan = crate::plan::plan(
            &spec,
            &placement,
            4567,
            crate::plan::PlanOptions { time_scale: 30.0 },
        );
        let components: Vec<&ComponentPlan> = plan.components.iter().collect();
        let mut followed = FollowedDiscovery::of(&spec, &components);
        let echo: Vec<String> = followed
            .pods
            .keys()
            .filter(|c| c.starts_with("echo"))
            .cloned()
            .collect();
        assert_eq!(echo.len(), 3, "{:?}", followed.pods);
        let before = followed.files[0].groups.len();
        let (rewrites, said) = followed.after(&echo, Fault::Kill).expect("pods left");
        let after: Vec<serde_json::Value> = serde_json::from_str(&rewrites[0].text).unwrap();
        assert!(
            after.len() + 3 <= before,
            "{before} -> {}: {said}",
            after.len()
        );
        assert!(after
            .iter()
            .all(|g| !g["labels"]["__meta_kubernetes_pod_name"]
                .as_str()
                .unwrap_or("")
                .starts_with("echo-")));
    }
}
