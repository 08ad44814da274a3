//! Services: selector and ports, named target ports resolved against the selected pods.

use crate::error::InputError;
use crate::spec::manifests::resources::{PortRef, ServiceManifest};
use crate::spec::manifests::{Inventory, Located};
use crate::spec::{Origin, ServicePort, ServiceSpec};

/// Every Service, in manifest order.
pub(crate) fn services(inventory: &Inventory) -> Result<Vec<ServiceSpec>, InputError> {
    inventory
        .services
        .iter()
        .map(|s| service(s, inventory))
        .collect()
}

fn service(
    service: &Located<ServiceManifest>,
    inventory: &Inventory,
) -> Result<ServiceSpec, InputError> {
    let spec = &service.manifest.spec;
    let mut ports = Vec::new();
    for (index, port) in spec.ports.iter().enumerate() {
        let target_port = match &port.target_port {
            None => port.port,
            Some(PortRef::Number(number)) => *number,
            Some(PortRef::Name(name)) => match name.parse::<u16>() {
                Ok(number) => number,
                Err(_) => named_port(service, inventory, name).ok_or_else(|| {
                    InputError::new(
                        &service.file,
                        format!(
                            "no container of the pods this Service selects has a port named `{name}`; \
                             name a container port `{name}` or give the number"
                        ),
                    )
                    .resource(&service.resource)
                    .key(format!("spec.ports[{index}].targetPort"))
                })?,
            },
        };
        ports.push(ServicePort {
            port: port.port,
            target_port,
        });
    }
    Ok(ServiceSpec {
        name: service.manifest.metadata.name.clone(),
        origin: Origin {
            file: service.file.clone(),
            resource: service.resource.clone(),
            key: None,
        },
        selector: spec.selector.clone(),
        ports,
    })
}

/// The container port called `name` in a workload (or bare Pod) the Service selects.
fn named_port(
    service: &Located<ServiceManifest>,
    inventory: &Inventory,
    name: &str,
) -> Option<u16> {
    let selector = &service.manifest.spec.selector;
    let templates = inventory.workloads.iter().map(|w| {
        (
            &w.manifest.spec.template.metadata.labels,
            &w.manifest.spec.template.spec,
        )
    });
    let pods = inventory
        .pods
        .iter()
        .map(|p| (&p.manifest.metadata.labels, &p.manifest.spec));
    templates
        .chain(pods)
        .filter(|(labels, _)| {
            !selector.is_empty()
                && selector
                    .iter()
                    .all(|(key, value)| labels.get(key) == Some(value))
        })
        .flat_map(|(_, spec)| &spec.containers)
        .flat_map(|container| &container.ports)
        .find(|port| port.name.as_deref() == Some(name))
        .map(|port| port.container_port)
}
