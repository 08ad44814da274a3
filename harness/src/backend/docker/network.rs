//! The run's own network, the labels that mark what a run created, and the reaper that
//! removes what a dead harness left behind.

use std::collections::HashMap;

use testcontainers::bollard::models::NetworkCreateRequest;
use testcontainers::bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, RemoveContainerOptions,
};

use crate::backend::images::Docker;
use crate::error::{Error, Result};

pub(crate) use crate::backend::owner::{LABEL_HOST, LABEL_KEEP, LABEL_PID, LABEL_RUN};

/// The labels of everything one run creates.
pub(crate) fn run_labels(run_id: &str, keep: bool) -> HashMap<String, String> {
    let mut labels = HashMap::from([
        (LABEL_RUN.to_string(), run_id.to_string()),
        (LABEL_PID.to_string(), std::process::id().to_string()),
        (LABEL_HOST.to_string(), host_name()),
    ]);
    if keep {
        labels.insert(LABEL_KEEP.to_string(), "1".to_string());
    }
    labels
}

/// Creates the run's bridge network.
pub(crate) async fn create_network(
    docker: &Docker,
    name: &str,
    labels: &HashMap<String, String>,
) -> Result<()> {
    docker
        .create_network(NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".to_string()),
            labels: Some(labels.clone()),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            Error::start(
                "docker",
                format!("cannot create the network {name}: {e}"),
                "check `docker network ls`; too many networks exhaust the engine's address pools (`docker network prune`)",
            )
        })?;
    Ok(())
}

/// Removes containers and networks of earlier runs on this host whose harness is dead
/// (killed before it could clean up). Kept runs and other hosts' runs are left alone.
/// Returns what was removed.
pub(crate) async fn reap_orphans(docker: &Docker) -> Vec<String> {
    let filters = HashMap::from([("label".to_string(), vec![LABEL_PID.to_string()])]);
    let mut removed = Vec::new();
    let containers = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters.clone()),
            ..Default::default()
        }))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!("cannot list containers to reap: {e}");
            Vec::new()
        });
    for container in containers {
        if !is_orphan(container.labels.as_ref()) {
            continue;
        }
        let Some(id) = container.id else { continue };
        let name = container
            .names
            .and_then(|n| n.first().cloned())
            .unwrap_or_else(|| id.clone());
        let force = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        match docker.remove_container(&id, Some(force)).await {
            Ok(()) => removed.push(format!("container {}", name.trim_start_matches('/'))),
            Err(e) => tracing::warn!("cannot reap container {name}: {e}"),
        }
    }
    let networks = docker
        .list_networks(Some(ListNetworksOptions {
            filters: Some(filters),
        }))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!("cannot list networks to reap: {e}");
            Vec::new()
        });
    for network in networks {
        if !is_orphan(network.labels.as_ref()) {
            continue;
        }
        let Some(name) = network.name else { continue };
        match docker.remove_network(&name).await {
            Ok(()) => removed.push(format!("network {name}")),
            Err(e) => tracing::warn!("cannot reap network {name}: {e}"),
        }
    }
    removed
}

/// Whether labels mark a run of this host whose harness process is gone.
pub(crate) use crate::backend::owner::{host_name, is_orphan};

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pid: &str, host: &str, keep: bool) -> HashMap<String, String> {
        let mut labels = HashMap::from([
            (LABEL_PID.to_string(), pid.to_string()),
            (LABEL_HOST.to_string(), host.to_string()),
        ]);
        if keep {
            labels.insert(LABEL_KEEP.to_string(), "1".to_string());
        }
        labels
    }

    #[test]
    fn a_run_whose_harness_is_alive_is_not_an_orphan() {
        let mine = labels(&std::process::id().to_string(), &host_name(), false);
        assert!(!is_orphan(Some(&mine)));
    }

    #[test]
    fn a_run_whose_harness_is_dead_is_an_orphan_unless_kept_or_from_another_host() {
        // pid_max on Linux is at most 2^22, so this pid never exists.
        let dead = "99999999";
        assert!(is_orphan(Some(&labels(dead, &host_name(), false))));
        assert!(!is_orphan(Some(&labels(dead, &host_name(), true))));
        assert!(!is_orphan(Some(&labels(dead, "another-host", false))));
        assert!(!is_orphan(None));
    }

    #[test]
    fn a_runs_labels_name_the_run_this_process_and_this_host() {
        let labels = run_labels("firedrill-1-0-abc", true);
        assert_eq!(labels[LABEL_RUN], "firedrill-1-0-abc");
        assert_eq!(labels[LABEL_PID], std::process::id().to_string());
        assert_eq!(labels[LABEL_HOST], host_name());
        assert_eq!(labels[LABEL_KEEP], "1");
    }
}
