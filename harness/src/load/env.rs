//! Resolving a container's `env`: literal `value`, `secretKeyRef` (kept secret) and
//! `configMapKeyRef`.

use super::container_site::ContainerSite;
use super::inventory::Inventory;
use super::resources::{EnvVarManifest, KeyRef};
use super::stores::DataStore;
use super::volumes::list_or_none;
use crate::error::InputError;
use crate::spec::{EnvValue, EnvVar, FileContent};

/// The container's environment; optional references to missing keys are left out.
pub(crate) fn resolve_env(
    site: ContainerSite<'_>,
    inventory: &Inventory,
) -> Result<Vec<EnvVar>, InputError> {
    let mut env = Vec::new();
    for var in &site.container.env {
        if let Some(value) = resolve_one(site, var, inventory)? {
            env.push(EnvVar {
                name: var.name.clone(),
                value,
            });
        }
    }
    Ok(env)
}

fn resolve_one(
    site: ContainerSite<'_>,
    var: &EnvVarManifest,
    inventory: &Inventory,
) -> Result<Option<EnvValue>, InputError> {
    let from = var.value_from.as_ref();
    if let Some(reference) = from.and_then(|f| f.secret_key_ref.as_ref()) {
        let key = format!("env[{}].valueFrom.secretKeyRef", var.name);
        return look_up(site, &key, "Secret", reference, &inventory.secrets);
    }
    if let Some(reference) = from.and_then(|f| f.config_map_key_ref.as_ref()) {
        let key = format!("env[{}].valueFrom.configMapKeyRef", var.name);
        return look_up(site, &key, "ConfigMap", reference, &inventory.config_maps);
    }
    Ok(Some(EnvValue::Plain(var.value.clone().unwrap_or_default())))
}

fn look_up(
    site: ContainerSite<'_>,
    key: &str,
    kind: &str,
    reference: &KeyRef,
    stores: &std::collections::BTreeMap<String, DataStore>,
) -> Result<Option<EnvValue>, InputError> {
    let Some(store) = stores.get(&reference.name) else {
        if reference.optional {
            return Ok(None);
        }
        let defined: Vec<&str> = stores.keys().map(String::as_str).collect();
        return Err(site.error(
            &format!("{key}.name"),
            format!(
                "no {kind} named `{}` is defined in any manifest; add it or name one of: {}",
                reference.name,
                list_or_none(&defined)
            ),
        ));
    };
    match store.entries.get(&reference.key) {
        Some(FileContent::Plain(text)) => Ok(Some(EnvValue::Plain(text.clone()))),
        Some(FileContent::Secret(secret)) => Ok(Some(EnvValue::Secret(secret.clone()))),
        None if reference.optional => Ok(None),
        None => Err(site.error(
            &format!("{key}.key"),
            format!(
                "there is no key `{}` in {}; add it there or name an existing key ({})",
                reference.key,
                store.resource,
                store.key_list()
            ),
        )),
    }
}
