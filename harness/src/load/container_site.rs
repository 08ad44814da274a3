//! A container inside its workload: what errors about the container name.

use crate::error::InputError;
use crate::spec::manifests::resources::{Container, WorkloadManifest};
use crate::spec::manifests::Located;
use crate::spec::Origin;

/// One container of one workload.
#[derive(Clone, Copy)]
pub(crate) struct ContainerSite<'a> {
    /// The Deployment it is in.
    pub workload: &'a Located<WorkloadManifest>,
    /// The container.
    pub container: &'a Container,
    /// The arguments its program runs with, when the loader worked them out (Kubernetes'
    /// `$(VAR)` expansion, a start-up script's final command); else `command[1..]` then
    /// `args` as written.
    pub arguments: Option<&'a [String]>,
}

impl<'a> ContainerSite<'a> {
    /// The namespace its pod runs in (Kubernetes's `default` when the workload names none):
    /// the one whose ConfigMaps and Secrets it can use.
    pub fn namespace(&self) -> &'a str {
        self.workload
            .manifest
            .metadata
            .namespace
            .as_deref()
            .unwrap_or("default")
    }

    /// The key of something inside this container
    /// (`spec.template.spec.containers[grafana].env[GF_SECURITY_ADMIN_USER]`).
    pub fn key(&self, inner: &str) -> String {
        let container = format!("spec.template.spec.containers[{}]", self.container.name);
        if inner.is_empty() {
            container
        } else {
            format!("{container}.{inner}")
        }
    }

    /// An error about something inside this container.
    pub fn error(&self, inner: &str, message: impl Into<String>) -> InputError {
        InputError::new(&self.workload.file, message)
            .resource(&self.workload.resource)
            .key(self.key(inner))
    }

    /// An error about the pod's `volumes`.
    pub fn volume_error(
        &self,
        volume: &str,
        inner: &str,
        message: impl Into<String>,
    ) -> InputError {
        InputError::new(&self.workload.file, message)
            .resource(&self.workload.resource)
            .key(format!("spec.template.spec.volumes[{volume}].{inner}"))
    }

    /// Where the container comes from.
    pub fn origin(&self) -> Origin {
        Origin {
            file: self.workload.file.clone(),
            resource: self.workload.resource.clone(),
            key: Some(self.container.name.clone()),
        }
    }

    /// The container's arguments after the executable: `command[1..]` then `args`.
    pub fn arguments(&self) -> Vec<String> {
        if let Some(arguments) = self.arguments {
            return arguments.to_vec();
        }
        self.container
            .command
            .iter()
            .skip(1)
            .chain(&self.container.args)
            .cloned()
            .collect()
    }

    /// The value of `--flag=value` or `--flag value`, the last one winning.
    pub fn flag(&self, flag: &str) -> Option<String> {
        let arguments = self.arguments();
        let mut found = None;
        let mut iter = arguments.iter();
        while let Some(argument) = iter.next() {
            if let Some(value) = argument
                .strip_prefix(flag)
                .and_then(|rest| rest.strip_prefix('='))
            {
                found = Some(value.to_string());
            } else if argument == flag {
                found = iter.next().cloned();
            }
        }
        found
    }
}
