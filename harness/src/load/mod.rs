//! Manifests → [`crate::spec::StackSpec`]: every YAML document under a directory is read,
//! ConfigMap and Secret volumes are followed to the files each container sees, env vars are
//! resolved through `secretKeyRef`/`configMapKeyRef`, Services' target ports are resolved,
//! and Prometheus's, Alertmanager's and Grafana's configs are parsed from the files their
//! containers mount. Nothing is hard-coded beyond what the Deployments reference.
//!
//! Every failure is an [`InputError`] naming the file, the resource (`Kind/name`) and the key.
//! Keys inside a workload name containers, env vars and volumes by name
//! (`spec.template.spec.containers[grafana].env[GF_SECURITY_ADMIN_PASSWORD].valueFrom.secretKeyRef.key`);
//! keys inside a config file are `<ConfigMap/Secret key>: <path>` (`rules.yaml: groups[0].rules[0].for`).

mod alertmanager;
mod components;
mod config_file;
mod container_site;
mod documents;
mod entrypoint;
mod env;
mod expansion;
mod extra_rules;
mod file_refs;
mod given;
mod grafana;
mod inventory;
pub(crate) mod paths;
mod prometheus;
mod services;
mod stores;
mod versions;
mod volumes;
mod yaml_node;
pub(crate) mod yaml_size;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

pub use extra_rules::add_rule_file;
pub use given::GivenSecret;
pub(crate) use prometheus::unmatched_rule_files;

use crate::error::InputError;
use crate::spec::manifests::Manifests;
use crate::spec::{ComponentKind, StackSpec};

/// Loads the stack the manifests under `dir` describe (recursively, `.yaml`/`.yml`).
///
/// Fails when the directory holds no manifests, when a reference does not resolve, when a
/// config is invalid, or when no container runs Prometheus or Alertmanager. Grafana is optional.
///
/// The directory is read here and only here: the spec keeps the documents and the resources
/// read, for `lint` and the kube backend.
pub fn load_dir(dir: &Path) -> Result<StackSpec, InputError> {
    load_dir_given(dir, &[])
}

/// [`load_dir`], with Secrets the manifests reference but do not hold given from files.
pub fn load_dir_given(dir: &Path, given: &[GivenSecret]) -> Result<StackSpec, InputError> {
    spec_of(dir, read_manifests_given(dir, given)?)
}

/// Every document under `dir` and the resources the harness reads among them (also what
/// [`crate::lint`] lints when the stack does not load), with the given Secrets as documents of
/// their own.
pub(crate) fn read_manifests_given(
    dir: &Path,
    given: &[GivenSecret],
) -> Result<Arc<Manifests>, InputError> {
    let mut documents = documents::read_documents(dir)?;
    let extra = given::documents(given, &documents)?;
    if documents.is_empty() {
        return Err(InputError::new(
            dir,
            "no Kubernetes manifests found (no non-empty .yaml or .yml file, searched recursively); \
             pass the directory holding the Deployments, Services, ConfigMaps and Secrets",
        ));
    }
    documents.extend(extra);
    let inventory = inventory::sort(&documents)?;
    Ok(Arc::new(Manifests {
        documents,
        inventory,
    }))
}

/// The stack the manifests [`read_manifests_given`] read describe; it keeps them.
pub(crate) fn spec_of(dir: &Path, manifests: Arc<Manifests>) -> Result<StackSpec, InputError> {
    given::require_every_store(&manifests.inventory)?;
    let (mut components, left_out, startup_scripts) = components::components(&manifests.inventory)?;
    let services = services::services(&manifests.inventory)?;
    undeclared_target_ports(&mut components, &manifests.inventory);
    let spec = StackSpec {
        dir: dir.to_path_buf(),
        components,
        services,
        left_out,
        startup_scripts,
        manifests,
    };
    for (kind, example) in [
        (ComponentKind::Prometheus, "prom/prometheus:v2.27.1"),
        (ComponentKind::Alertmanager, "prom/alertmanager:v0.22.2"),
    ] {
        if spec.component(kind).is_none() {
            return Err(missing_component(&spec, kind, example));
        }
    }
    Ok(spec)
}

/// A numeric `targetPort` reaches a pod's container whether or not it declares the port: an
/// app container that declares none, the only such container of its pod, listens on the
/// numeric target ports of the Services that select its pod (named ones must be declared).
fn undeclared_target_ports(
    components: &mut [crate::spec::ComponentSpec],
    inventory: &crate::spec::manifests::Inventory,
) {
    let portless: Vec<usize> = (0..components.len())
        .filter(|i| {
            let c = &components[*i];
            c.kind() == ComponentKind::App && c.ports.is_empty()
        })
        .collect();
    for i in portless {
        let pod = components[i].pod.clone();
        let alone = components
            .iter()
            .filter(|c| c.pod == pod && c.kind() == ComponentKind::App && c.ports.is_empty())
            .count()
            == 1;
        if !alone {
            continue;
        }
        let mut ports: Vec<u16> = Vec::new();
        for service in &inventory.services {
            let spec = &service.manifest.spec;
            let selects = !spec.selector.is_empty()
                && spec
                    .selector
                    .iter()
                    .all(|(k, v)| components[i].pod_labels.get(k) == Some(v));
            if !selects {
                continue;
            }
            for port in &spec.ports {
                let number = match &port.target_port {
                    None => Some(port.port),
                    Some(crate::spec::manifests::resources::PortRef::Number(n)) => Some(*n),
                    Some(crate::spec::manifests::resources::PortRef::Name(name)) => {
                        name.parse::<u16>().ok()
                    }
                };
                if let Some(number) = number.filter(|n| !ports.contains(n)) {
                    ports.push(number);
                }
            }
        }
        if !ports.is_empty() {
            components[i].ports = ports;
            components[i].ports_from_services = true;
        }
    }
}

fn missing_component(spec: &StackSpec, kind: ComponentKind, example: &str) -> InputError {
    let found: Vec<String> = spec
        .components
        .iter()
        .map(|c| format!("{} ({})", c.name, c.image))
        .collect();
    InputError::new(
        &spec.dir,
        format!(
            "no container runs {kind} (an image whose repository is `{kind}`, e.g. `{example}`); \
             containers found: {}; add a Deployment with a {kind} container",
            crate::error::list_or_none(&found.iter().map(String::as_str).collect::<Vec<_>>())
        ),
    )
}
