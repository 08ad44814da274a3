//! Resolving a container's `env`: literal `value` (its `$(NAME)` references expanded from the
//! variables defined before it, as Kubernetes does), `secretKeyRef` (kept secret) and
//! `configMapKeyRef`, after every key of the ConfigMaps and Secrets `envFrom` names.

use super::container_site::ContainerSite;
use super::expansion::expand;
use super::stores::find_store;
use crate::error::InputError;
use crate::secret::SecretString;
use crate::spec::manifests::resources::{EnvFromSource, EnvVarManifest, KeyRef};
use crate::spec::manifests::{DataStore, Inventory};
use crate::spec::{EnvValue, EnvVar, FileContent};

/// The container's environment; optional references to missing keys are left out. As in
/// Kubernetes, `env` wins over `envFrom` for the same name, and a later `envFrom` source over
/// an earlier one.
pub(crate) fn resolve_env(
    site: ContainerSite<'_>,
    inventory: &Inventory,
) -> Result<Vec<EnvVar>, InputError> {
    let mut env: Vec<EnvVar> = Vec::new();
    fn set(env: &mut Vec<EnvVar>, var: EnvVar) {
        env.retain(|v| v.name != var.name);
        env.push(var);
    }
    for (index, source) in site.container.env_from.iter().enumerate() {
        for var in resolve_env_from(site, index, source, inventory)? {
            set(&mut env, var);
        }
    }
    for var in &site.container.env {
        let Some(value) = resolve_one(site, var, inventory)? else {
            continue;
        };
        // A literal value's `$(NAME)` reads the variables defined before it.
        let value = match value {
            EnvValue::Plain(text) if var.value_from.is_none() => {
                let expanded = expand(&text, |name| {
                    env.iter().rev().find(|v| v.name == name).map(|v| &v.value)
                });
                if expanded.secret {
                    EnvValue::Secret(SecretString::new(expanded.text))
                } else {
                    EnvValue::Plain(expanded.text)
                }
            }
            value => value,
        };
        set(
            &mut env,
            EnvVar {
                name: var.name.clone(),
                value,
            },
        );
    }
    Ok(env)
}

/// Every key of the ConfigMap or Secret an `envFrom` entry names, as variables (secret
/// values stay secret).
fn resolve_env_from(
    site: ContainerSite<'_>,
    index: usize,
    source: &EnvFromSource,
    inventory: &Inventory,
) -> Result<Vec<EnvVar>, InputError> {
    let (field, kind, reference, stores) = match (&source.config_map_ref, &source.secret_ref) {
        (Some(reference), _) => (
            "configMapRef",
            "ConfigMap",
            reference,
            &inventory.config_maps,
        ),
        (None, Some(reference)) => ("secretRef", "Secret", reference, &inventory.secrets),
        (None, None) => return Ok(Vec::new()),
    };
    let key = format!("envFrom[{index}].{field}.name");
    let Some(store) = find_store(
        stores,
        kind,
        site.namespace(),
        &reference.name,
        reference.optional,
    )
    .map_err(|message| site.error(&key, message))?
    else {
        return Ok(Vec::new());
    };
    let prefix = source.prefix.as_deref().unwrap_or_default();
    Ok(store
        .entries
        .iter()
        .map(|(key, content)| EnvVar {
            name: format!("{prefix}{key}"),
            value: match content {
                FileContent::Plain(text) => EnvValue::Plain(text.clone()),
                FileContent::Secret(secret) => EnvValue::Secret(secret.clone()),
            },
        })
        .collect())
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
    let Some(store) = find_store(
        stores,
        kind,
        site.namespace(),
        &reference.name,
        reference.optional,
    )
    .map_err(|message| site.error(&format!("{key}.name"), message))?
    else {
        return Ok(None);
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
