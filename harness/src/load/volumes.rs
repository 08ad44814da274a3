//! Resolving a container's `volumeMounts` to the files it sees: ConfigMap and Secret
//! volumes, with `items` and `subPath`.

use std::collections::BTreeMap;

use super::container_site::ContainerSite;
use super::inventory::Inventory;
use super::paths;
use super::resources::{KeyToPath, Volume, VolumeMount};
use super::stores::DataStore;
use crate::error::InputError;
use crate::spec::MountedFile;

/// A volume's files: path relative to the mount → the store and key holding the content.
type VolumeFiles<'a> = BTreeMap<String, (&'a DataStore, String)>;

/// Every file the container sees through its ConfigMap/Secret mounts, by path.
pub(crate) fn mounted_files(
    site: ContainerSite<'_>,
    inventory: &Inventory,
) -> Result<Vec<MountedFile>, InputError> {
    let volumes = &site.workload.manifest.spec.template.spec.volumes;
    let mut files = Vec::new();
    for mount in &site.container.volume_mounts {
        let volume = volumes.iter().find(|v| v.name == mount.name).ok_or_else(|| {
            let defined: Vec<&str> = volumes.iter().map(|v| v.name.as_str()).collect();
            site.error(
                &format!("volumeMounts[{}].name", mount.name),
                format!(
                    "no volume named `{}` in the pod; add it to `spec.template.spec.volumes` or use one of: {}",
                    mount.name,
                    list_or_none(&defined)
                ),
            )
        })?;
        let Some(volume_files) = volume_files(site, volume, inventory)? else {
            continue;
        };
        files.extend(place(site, mount, volume_files)?);
    }
    Ok(files)
}

/// A volume's files, relative path → (store, key); `None` for volumes without files the
/// harness reads (emptyDir, an optional missing ConfigMap, ...).
fn volume_files<'a>(
    site: ContainerSite<'_>,
    volume: &Volume,
    inventory: &'a Inventory,
) -> Result<Option<VolumeFiles<'a>>, InputError> {
    let (kind, name, items, optional, stores, name_key) = if let Some(cm) = &volume.config_map {
        (
            "ConfigMap",
            &cm.name,
            &cm.items,
            cm.optional,
            &inventory.config_maps,
            "configMap.name",
        )
    } else if let Some(secret) = &volume.secret {
        (
            "Secret",
            &secret.secret_name,
            &secret.items,
            secret.optional,
            &inventory.secrets,
            "secret.secretName",
        )
    } else {
        return Ok(None);
    };
    let Some(store) = stores.get(name) else {
        if optional {
            return Ok(None);
        }
        let defined: Vec<&str> = stores.keys().map(String::as_str).collect();
        return Err(site.volume_error(
            &volume.name,
            name_key,
            format!(
                "no {kind} named `{name}` is defined in any manifest; add it or name one of: {}",
                list_or_none(&defined)
            ),
        ));
    };
    let entries = match items {
        None => store
            .entries
            .keys()
            .map(|key| (key.clone(), (store, key.clone())))
            .collect(),
        Some(items) => selected_items(site, volume, store, items)?,
    };
    Ok(Some(entries))
}

fn selected_items<'a>(
    site: ContainerSite<'_>,
    volume: &Volume,
    store: &'a DataStore,
    items: &[KeyToPath],
) -> Result<VolumeFiles<'a>, InputError> {
    let mut entries = BTreeMap::new();
    for item in items {
        if !store.entries.contains_key(&item.key) {
            return Err(site.volume_error(
                &volume.name,
                &format!("items[{}].key", item.key),
                format!(
                    "there is no key `{}` in {}; {}",
                    item.key,
                    store.resource,
                    store.key_list()
                ),
            ));
        }
        entries.insert(item.path.clone(), (store, item.key.clone()));
    }
    Ok(entries)
}

fn place(
    site: ContainerSite<'_>,
    mount: &VolumeMount,
    volume_files: VolumeFiles<'_>,
) -> Result<Vec<MountedFile>, InputError> {
    let file = |path: String, (store, key): &(&DataStore, String)| MountedFile {
        path,
        content: store.entries[key].clone(),
        origin: store.origin(key),
    };
    match mount.sub_path.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(volume_files
            .iter()
            .map(|(relative, source)| file(paths::join(&mount.mount_path, relative), source))
            .collect()),
        Some(sub_path) => {
            let wanted = paths::normalize(sub_path);
            let inside: Vec<MountedFile> = volume_files
                .iter()
                .filter_map(|(relative, source)| {
                    let normalized = paths::normalize(relative);
                    let rest = if normalized == wanted {
                        Some(String::new())
                    } else {
                        normalized
                            .strip_prefix(&format!("{wanted}/"))
                            .map(str::to_string)
                    }?;
                    Some(file(paths::join(&mount.mount_path, &rest), source))
                })
                .collect();
            if inside.is_empty() {
                let known: Vec<&str> = volume_files.keys().map(String::as_str).collect();
                return Err(site.error(
                    &format!("volumeMounts[{}].subPath", mount.name),
                    format!(
                        "subPath `{sub_path}` names no file of volume `{}`; use one of: {}",
                        mount.name,
                        list_or_none(&known)
                    ),
                ));
            }
            Ok(inside)
        }
    }
}

/// `a, b, c` or `(none)`.
pub(crate) fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}
