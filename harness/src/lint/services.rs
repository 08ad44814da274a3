//! Rule 1, Services and workloads agree: a Service's selector matches a pod template in its
//! namespace, and each `targetPort` (number or name) is a port those pods declare.
//! Services without a selector (endpoints managed elsewhere) are left alone.

use super::pods::{labels_text, namespace_of, pod_templates, PodTemplate};
use crate::error::suggest::did_you_mean;
use crate::error::Finding;
use crate::spec::manifests::resources::{PortRef, ServiceManifest};
use crate::spec::manifests::{Inventory, Located};
use crate::spec::Origin;

/// The findings about every Service.
pub(crate) fn check(inventory: &Inventory) -> Vec<Finding> {
    let templates = pod_templates(inventory);
    inventory
        .services
        .iter()
        .flat_map(|service| check_service(service, &templates))
        .collect()
}

fn check_service(
    service: &Located<ServiceManifest>,
    templates: &[PodTemplate<'_>],
) -> Vec<Finding> {
    let selector = &service.manifest.spec.selector;
    if selector.is_empty() {
        return Vec::new();
    }
    let origin = Origin {
        file: service.file.clone(),
        resource: service.resource.clone(),
        key: None,
    };
    let namespace = namespace_of(&service.manifest.metadata);
    let in_namespace: Vec<&PodTemplate<'_>> = templates
        .iter()
        .filter(|t| t.namespace == namespace)
        .collect();
    let selected: Vec<&PodTemplate<'_>> = in_namespace
        .iter()
        .copied()
        .filter(|t| t.selected_by(selector))
        .collect();
    if selected.is_empty() {
        let have: Vec<String> = in_namespace
            .iter()
            .map(|t| format!("{} has {}", t.resource, t.labels_text()))
            .collect();
        let have = if have.is_empty() {
            format!("namespace `{namespace}` has no pod template")
        } else {
            format!("in namespace `{namespace}`, {}", have.join("; "))
        };
        return vec![Finding::error(
            &origin,
            "spec.selector",
            format!(
                "the selector {} matches no pod template ({have}); make it match the labels of the \
                 pods it should reach",
                labels_text(selector)
            ),
        )];
    }
    let mut findings = Vec::new();
    for (index, port) in service.manifest.spec.ports.iter().enumerate() {
        let key = format!("spec.ports[{index}].targetPort");
        let target = match &port.target_port {
            None => PortRef::Number(port.port),
            Some(PortRef::Name(name)) => match name.parse::<u16>() {
                Ok(number) => PortRef::Number(number),
                Err(_) => PortRef::Name(name.clone()),
            },
            Some(number) => number.clone(),
        };
        let declared: Vec<(Option<&str>, u16)> = selected
            .iter()
            .flat_map(|t| &t.spec.containers)
            .flat_map(|c| &c.ports)
            .map(|p| (p.name.as_deref(), p.container_port))
            .collect();
        let pods: Vec<&str> = selected.iter().map(|t| t.resource).collect();
        let pods = pods.join(", ");
        let declared_text = if declared.is_empty() {
            "none".to_string()
        } else {
            declared
                .iter()
                .map(|(name, number)| match name {
                    Some(name) => format!("{name}={number}"),
                    None => number.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match target {
            PortRef::Number(number) => {
                if declared.iter().any(|(_, n)| *n == number) {
                    continue;
                }
                let implicit = if port.target_port.is_none() {
                    " (no targetPort: it defaults to `port`)"
                } else {
                    ""
                };
                let message = format!(
                    "targetPort {number}{implicit} is no containerPort of the pods this Service selects \
                     ({pods}; their ports: {declared_text}); set targetPort to the port the container \
                     listens on, or declare it as a containerPort"
                );
                // Kubernetes forwards to undeclared ports too, and so does firedrill for a pod
                // whose container declares none (the loader gives it the numeric target
                // ports); a pod declaring other ports is the usual off-by-one.
                if !declared.is_empty() {
                    findings.push(Finding::error(&origin, key, message));
                }
            }
            PortRef::Name(name) => {
                if declared.iter().any(|(n, _)| *n == Some(name.as_str())) {
                    continue;
                }
                let names = declared.iter().filter_map(|(n, _)| *n);
                findings.push(Finding::error(
                    &origin,
                    key,
                    format!(
                        "targetPort `{name}` names no container port of the pods this Service selects \
                         ({pods}; their ports: {declared_text}); name a containerPort `{name}` or give \
                         the number{}",
                        did_you_mean(&name, names)
                    ),
                ));
            }
        }
    }
    findings
}
