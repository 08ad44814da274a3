//! Every container of every workload as a [`ComponentSpec`], its config parsed by kind.

use std::collections::BTreeMap;

use super::alertmanager::parse_alertmanager;
use super::container_site::ContainerSite;
use super::entrypoint::startup;
use super::env::resolve_env;
use super::expansion::{expand, Expanded};
use super::grafana::parse_grafana;
use super::prometheus::parse_prometheus;
use super::volumes::mounted_files;
use crate::error::InputError;
use crate::spec::manifests::resources::Container;
use crate::spec::manifests::Inventory;
use crate::spec::{
    ComponentConfig, ComponentKind, ComponentSpec, HttpProbe, LeftOut, ProbeKind, StartupScript,
};

/// Images of the sidecars that reload Prometheus's or Alertmanager's config when its
/// ConfigMap changes (by the last part of the repository name): the harness starts the
/// components with their final config, so nothing needs reloading.
const RELOAD_SIDECARS: [&str; 3] = ["configmap-reload", "prometheus-config-reloader", "watch"];

/// Why a container is left out, when it is a reload sidecar beside Prometheus or Alertmanager.
fn left_out_reason(workload_images: &[&str], container: &Container) -> Option<String> {
    let repository = container
        .image
        .split(['@', ':'])
        .next()
        .unwrap_or(&container.image);
    let last = repository.rsplit('/').next().unwrap_or(repository);
    let weave_watch = last != "watch" || repository.ends_with("weaveworks/watch");
    let beside = workload_images.iter().any(|image| {
        matches!(
            ComponentKind::of_image(image),
            ComponentKind::Prometheus | ComponentKind::Alertmanager
        )
    });
    (RELOAD_SIDECARS.contains(&last) && weave_watch && beside).then(|| {
        format!(
            "a config reload sidecar ({last}): the harness starts the components with their \
             final config, so nothing needs reloading"
        )
    })
}

/// What the loader makes of the workloads' containers.
type Containers = (Vec<ComponentSpec>, Vec<LeftOut>, Vec<StartupScript>);

/// The components, in manifest order, the containers left out (reload sidecars), and the
/// start-up scripts evaluated.
pub(crate) fn components(inventory: &Inventory) -> Result<Containers, InputError> {
    let mut name_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for workload in &inventory.workloads {
        for container in &workload.manifest.spec.template.spec.containers {
            *name_counts.entry(container.name.as_str()).or_default() += 1;
        }
    }
    let mut components = Vec::new();
    let mut left_out = Vec::new();
    let mut scripts = Vec::new();
    for workload in &inventory.workloads {
        let containers = &workload.manifest.spec.template.spec.containers;
        let images: Vec<&str> = containers.iter().map(|c| c.image.as_str()).collect();
        for container in containers {
            let site = ContainerSite {
                workload,
                container,
                arguments: None,
            };
            if let Some(reason) = left_out_reason(&images, container) {
                left_out.push(LeftOut {
                    container: container.name.clone(),
                    image: container.image.clone(),
                    origin: site.origin(),
                    reason,
                });
                continue;
            }
            let name = if name_counts[container.name.as_str()] > 1 {
                format!("{}-{}", workload.manifest.metadata.name, container.name)
            } else {
                container.name.clone()
            };
            let (component, script) = component(site, name, inventory)?;
            if let Some(mut script) = script {
                script.component = component.name.clone();
                scripts.push(script);
            }
            components.push(component);
        }
    }
    Ok((components, left_out, scripts))
}

fn component(
    site: ContainerSite<'_>,
    name: String,
    inventory: &Inventory,
) -> Result<(ComponentSpec, Option<StartupScript>), InputError> {
    let mut files = mounted_files(site, inventory)?;
    let env = resolve_env(site, inventory)?;
    let kind = ComponentKind::of_image(&site.container.image);
    // Kubernetes expands `$(VAR)` in `command` and `args` from the container's env.
    let argv: Vec<Expanded> = site
        .container
        .command
        .iter()
        .chain(&site.container.args)
        .map(|word| {
            expand(word, |name| {
                env.iter().rev().find(|v| v.name == name).map(|v| &v.value)
            })
        })
        .collect();
    let (arguments, script) = match startup(site, kind, &argv, &env, &files)? {
        Some(startup) => {
            for written in startup.written {
                files.retain(|f| f.path != written.path);
                files.push(written);
            }
            (startup.args, Some(startup.script))
        }
        None => {
            let skip = usize::from(!site.container.command.is_empty());
            (argv.into_iter().skip(skip).map(|e| e.text).collect(), None)
        }
    };
    let site = ContainerSite {
        arguments: Some(&arguments),
        ..site
    };
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
    let component = ComponentSpec {
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
        ports_from_services: false,
    };
    Ok((component, script))
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

#[cfg(test)]
mod tests {
    use crate::fixtures::repository_root;
    use crate::load::load_dir;

    #[test]
    fn reload_sidecars_beside_prometheus_and_alertmanager_are_left_out_and_listed() {
        let dir =
            repository_root().join("fixtures/manifests/corpus/working/reload-sidecars/manifests");
        let spec = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        let left_out: Vec<&str> = spec.left_out.iter().map(|l| l.container.as_str()).collect();
        assert_eq!(
            left_out,
            ["prometheus-config-reload", "alertmanager-config-reload"]
        );
        assert!(spec.components.iter().all(|c| !c.name.contains("reload")));
    }
}
