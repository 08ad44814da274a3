//! Every container of every workload as a [`ComponentSpec`], its config parsed by kind.

use std::collections::BTreeMap;

use super::alertmanager::parse_alertmanager;
use super::container_site::ContainerSite;
use super::env::resolve_env;
use super::grafana::parse_grafana;
use super::prometheus::parse_prometheus;
use super::volumes::mounted_files;
use crate::error::InputError;
use crate::spec::manifests::resources::Container;
use crate::spec::manifests::Inventory;
use crate::spec::{ComponentConfig, ComponentKind, ComponentSpec, HttpProbe, ProbeKind};

/// The components, in manifest order.
pub(crate) fn components(inventory: &Inventory) -> Result<Vec<ComponentSpec>, InputError> {
    let mut name_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for workload in &inventory.workloads {
        for container in &workload.manifest.spec.template.spec.containers {
            *name_counts.entry(container.name.as_str()).or_default() += 1;
        }
    }
    let mut components = Vec::new();
    for workload in &inventory.workloads {
        for container in &workload.manifest.spec.template.spec.containers {
            let site = ContainerSite {
                workload,
                container,
            };
            let name = if name_counts[container.name.as_str()] > 1 {
                format!("{}-{}", workload.manifest.metadata.name, container.name)
            } else {
                container.name.clone()
            };
            components.push(component(site, name, inventory)?);
        }
    }
    Ok(components)
}

fn component(
    site: ContainerSite<'_>,
    name: String,
    inventory: &Inventory,
) -> Result<ComponentSpec, InputError> {
    let files = mounted_files(site, inventory)?;
    let env = resolve_env(site, inventory)?;
    let kind = ComponentKind::of_image(&site.container.image);
    super::versions::require_supported(site, kind)?;
    let config = match kind {
        ComponentKind::App => ComponentConfig::App,
        ComponentKind::Prometheus => ComponentConfig::Prometheus(parse_prometheus(site, &files)?),
        ComponentKind::Alertmanager => {
            ComponentConfig::Alertmanager(parse_alertmanager(site, &files)?)
        }
        ComponentKind::Grafana => ComponentConfig::Grafana(parse_grafana(&files, &env)?),
    };
    let template = &site.workload.manifest.spec.template;
    Ok(ComponentSpec {
        name,
        origin: site.origin(),
        pod: site.workload.manifest.metadata.name.clone(),
        pod_labels: template.metadata.labels.clone(),
        image: site.container.image.clone(),
        args: site.arguments(),
        ports: site
            .container
            .ports
            .iter()
            .map(|p| p.container_port)
            .collect(),
        env,
        files,
        config,
        http_probes: http_probes(site.container),
    })
}

/// The container's `httpGet` probes, readiness, liveness, startup.
fn http_probes(container: &Container) -> Vec<HttpProbe> {
    [
        (ProbeKind::Readiness, &container.readiness_probe),
        (ProbeKind::Liveness, &container.liveness_probe),
        (ProbeKind::Startup, &container.startup_probe),
    ]
    .into_iter()
    .filter_map(|(kind, probe)| {
        let http_get = probe.as_ref()?.http_get.as_ref()?;
        Some(HttpProbe {
            kind,
            path: http_get
                .path
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "/".to_string()),
        })
    })
    .collect()
}
