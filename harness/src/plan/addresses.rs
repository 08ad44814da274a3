//! Resolves the logical addresses the manifests use (`echo-service:80`, `localhost:9093`)
//! to the component and container port behind them.

use serde_yaml::Value;

use super::changes::ChangeLog;
use super::Placement;
use crate::spec::{ComponentSpec, StackSpec};

/// The component and container port a logical address points at.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// The component serving the address.
    pub component: &'a ComponentSpec,
    /// Its container port.
    pub port: u16,
}

/// Resolves `host:port` as seen from `from`: `localhost` means a container of the same pod,
/// a Service name (or its cluster DNS form) means the pod its selector matches and the
/// Service's target port. Anything else is outside the stack and is left alone.
pub fn resolve<'a>(
    spec: &'a StackSpec,
    from: &ComponentSpec,
    address: &str,
) -> Option<Resolved<'a>> {
    let (host, port) = split_host_port(address)?;
    if matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]") {
        return spec
            .components
            .iter()
            .find(|c| c.pod == from.pod && c.ports.contains(&port))
            .map(|component| Resolved { component, port });
    }
    let service_name = service_host(host)?.name;
    let service = spec.services.iter().find(|s| s.name == service_name)?;
    let target = service.ports.iter().find(|p| p.port == port)?.target_port;
    spec.components
        .iter()
        .filter(|c| {
            service
                .selector
                .iter()
                .all(|(k, v)| c.pod_labels.get(k) == Some(v))
        })
        .find(|c| c.ports.contains(&target))
        .map(|component| Resolved {
            component,
            port: target,
        })
}

/// A host name that may name a cluster Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceHost<'a> {
    /// The Service's name.
    pub name: &'a str,
    /// The namespace the host names (`svc.ns...`); `None` means the client's own.
    pub namespace: Option<&'a str>,
    /// Whether the form is certainly a cluster name (`svc`, `svc.ns.svc`,
    /// `svc.ns.svc.cluster.local`); `svc.ns` may as well be an outside host (`example.com`).
    pub certain: bool,
}

/// Reads a host as a Service name in one of the cluster DNS forms `svc`, `svc.ns`,
/// `svc.ns.svc`, `svc.ns.svc.cluster.local`; `None` for IP addresses, `localhost` and other
/// outside names.
pub fn service_host(host: &str) -> Option<ServiceHost<'_>> {
    if host.is_empty()
        || host.starts_with('[')
        || host.parse::<std::net::IpAddr>().is_ok()
        || host == "localhost"
    {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let (namespace, certain) = match labels.as_slice() {
        [_] => (None, true),
        [_, ns] => (Some(*ns), false),
        [_, ns, "svc"] | [_, ns, "svc", "cluster", "local"] => (Some(*ns), true),
        _ => return None,
    };
    Some(ServiceHost {
        name: labels[0],
        namespace,
        certain,
    })
}

/// Splits `host:port`, `[v6]:port`; `None` when there is no numeric port.
pub fn split_host_port(address: &str) -> Option<(&str, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    Some((host, port.parse().ok()?))
}

/// Splits a URL `scheme://host:port/rest` into (`scheme://`, `host:port`, `/rest`), adding
/// the scheme's default port when the URL has none.
pub fn split_url(url: &str) -> Option<(String, String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let authority = if split_host_port(authority).is_some() {
        authority.to_string()
    } else {
        let default = match scheme {
            "https" => 443,
            _ => 80,
        };
        format!("{authority}:{default}")
    };
    Some((format!("{scheme}://"), authority, path.to_string()))
}

/// Translates every address of a list of target groups (`static_configs`, a
/// `file_sd_configs` file): `{prefix}[i].targets[j]`; whether anything changed.
pub(crate) fn translate_target_groups(
    spec: &StackSpec,
    me: &ComponentSpec,
    groups: &mut Value,
    prefix: &str,
    placement: &dyn Placement,
    log: &mut ChangeLog<'_>,
) -> bool {
    let mut changed = false;
    let Some(groups) = groups.as_sequence_mut() else {
        return false;
    };
    for (i, group) in groups.iter_mut().enumerate() {
        let Some(targets) = group.get_mut("targets").and_then(Value::as_sequence_mut) else {
            continue;
        };
        for (j, target) in targets.iter_mut().enumerate() {
            let Some(address) = target.as_str() else {
                continue;
            };
            let Some(resolved) = resolve(spec, me, address) else {
                continue;
            };
            let translated = placement.peer_address(me, resolved.component, resolved.port);
            if translated != address {
                let shown = match placement.spread(resolved.component) {
                    Some(spread) => format!("{translated} ({spread})"),
                    None => translated.clone(),
                };
                log.record(
                    format!("{prefix}[{i}].targets[{j}]"),
                    "address",
                    address,
                    shown,
                );
                *target = Value::from(translated);
                changed = true;
            }
        }
    }
    changed
}
