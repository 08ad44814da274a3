//! Rule 2, scrape and alerting targets: a `static_configs` target whose host names a
//! cluster Service (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`) must name a
//! Service the manifests define, at one of its ports.

use std::collections::BTreeSet;

use serde_yaml::Value;

use super::pods::{namespace_of, DEFAULT_NAMESPACE};
use crate::error::suggest::nearest_loosely;
use crate::error::Finding;
use crate::plan::{service_host, split_host_port};
use crate::spec::manifests::Inventory;
use crate::spec::{ComponentKind, Origin, StackSpec};

/// The findings about Prometheus's static targets.
pub(crate) fn check(spec: &StackSpec, inventory: &Inventory) -> Vec<Finding> {
    let Some(prometheus) = spec.component(ComponentKind::Prometheus) else {
        return Vec::new();
    };
    let config = spec.prometheus();
    let Some(origin) = prometheus
        .file(&config.config_path)
        .map(|f| f.origin.clone())
    else {
        return Vec::new();
    };
    let own_namespace = inventory
        .workloads
        .iter()
        .find(|w| w.resource == prometheus.origin.resource && w.file == prometheus.origin.file)
        .map(|w| namespace_of(&w.manifest.metadata))
        .unwrap_or(DEFAULT_NAMESPACE);
    let targets = Targets {
        inventory,
        own_namespace,
        namespaces: namespaces(inventory),
        origin: &origin,
    };
    let mut findings = Vec::new();
    let root = &config.config;
    for (i, job) in items(root.get("scrape_configs")).enumerate() {
        targets.check_owner(job, &format!("scrape_configs[{i}]"), &mut findings);
    }
    let managers = root.get("alerting").and_then(|a| a.get("alertmanagers"));
    for (i, manager) in items(managers).enumerate() {
        targets.check_owner(
            manager,
            &format!("alerting.alertmanagers[{i}]"),
            &mut findings,
        );
    }
    findings
}

fn items(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_sequence).into_iter().flatten()
}

/// Every namespace the manifests name, and `default`.
fn namespaces(inventory: &Inventory) -> BTreeSet<&str> {
    let mut namespaces: BTreeSet<&str> = inventory
        .services
        .iter()
        .map(|s| namespace_of(&s.manifest.metadata))
        .chain(
            inventory
                .workloads
                .iter()
                .map(|w| namespace_of(&w.manifest.metadata)),
        )
        .chain(
            inventory
                .pods
                .iter()
                .map(|p| namespace_of(&p.manifest.metadata)),
        )
        .collect();
    namespaces.insert(DEFAULT_NAMESPACE);
    namespaces
}

struct Targets<'a> {
    inventory: &'a Inventory,
    own_namespace: &'a str,
    namespaces: BTreeSet<&'a str>,
    origin: &'a Origin,
}

impl Targets<'_> {
    fn check_owner(&self, owner: &Value, path: &str, findings: &mut Vec<Finding>) {
        for (j, static_config) in items(owner.get("static_configs")).enumerate() {
            for (k, target) in items(static_config.get("targets")).enumerate() {
                if let Some(address) = target.as_str() {
                    let key = format!("{path}.static_configs[{j}].targets[{k}]");
                    findings.extend(self.check_target(address, key));
                }
            }
        }
    }

    fn check_target(&self, address: &str, key: String) -> Option<Finding> {
        let (host, port) = split_host_port(address)?;
        let named = service_host(host)?;
        if !named.certain
            && !self
                .namespaces
                .contains(named.namespace.unwrap_or_default())
        {
            // `name.tld`: an outside host, not `svc.ns` of a namespace the manifests know.
            return None;
        }
        let namespace = named.namespace.unwrap_or(self.own_namespace);
        let services = &self.inventory.services;
        let here: Vec<&str> = services
            .iter()
            .filter(|s| namespace_of(&s.manifest.metadata) == namespace)
            .map(|s| s.manifest.metadata.name.as_str())
            .collect();
        let Some(service) = services.iter().find(|s| {
            s.manifest.metadata.name == named.name
                && namespace_of(&s.manifest.metadata) == namespace
        }) else {
            let elsewhere = services
                .iter()
                .find(|s| s.manifest.metadata.name == named.name)
                .map(|s| {
                    let ns = namespace_of(&s.manifest.metadata);
                    format!(
                        "; a Service `{}` exists in namespace `{ns}`: write `{}.{ns}:{port}`",
                        named.name, named.name
                    )
                });
            let hint = elsewhere.unwrap_or_else(|| {
                nearest_loosely(named.name, here.iter().copied())
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default()
            });
            let listed = if here.is_empty() {
                "none".to_string()
            } else {
                here.join(", ")
            };
            return Some(Finding::error(
                self.origin,
                key,
                format!(
                    "target `{address}` names Service `{}` in namespace `{namespace}`, which the manifests \
                     do not define (Services there: {listed}); point it at an existing Service or add one{hint}",
                    named.name
                ),
            ));
        };
        let ports: Vec<u16> = service.manifest.spec.ports.iter().map(|p| p.port).collect();
        if ports.contains(&port) {
            return None;
        }
        let listed: Vec<String> = ports.iter().map(u16::to_string).collect();
        let listed = if listed.is_empty() {
            "none".to_string()
        } else {
            listed.join(", ")
        };
        let target_hint = service
            .manifest
            .spec
            .ports
            .iter()
            .find(|p| {
                matches!(&p.target_port, Some(crate::spec::manifests::resources::PortRef::Number(n)) if *n == port)
            })
            .map(|p| format!(" ({port} is its targetPort: clients connect to `port` {})", p.port))
            .unwrap_or_default();
        Some(Finding::error(
            self.origin,
            key,
            format!(
                "target `{address}`: {} has no port {port} (its ports: {listed}){target_hint}; use one of \
                 the Service's ports",
                service.resource
            ),
        ))
    }
}
