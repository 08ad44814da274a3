//! Resolving a container's `volumeMounts` to the files it sees: ConfigMap, Secret and
//! projected volumes, with `items` and `subPath`.

use std::collections::BTreeMap;

use super::container_site::ContainerSite;
use super::paths;
use super::stores::find_store;
use crate::error::InputError;
use crate::spec::manifests::resources::{KeyToPath, Volume, VolumeMount};
use crate::spec::manifests::{DataStore, Inventory};
use crate::spec::MountedFile;

/// A volume's files: path relative to the mount → the store and key holding the content.
type VolumeFiles<'a> = BTreeMap<String, (&'a DataStore, String)>;

/// Every file the container sees through its ConfigMap/Secret/projected mounts, by path.
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
                    crate::error::list_or_none(&defined)
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
/// harness reads (emptyDir, an optional missing ConfigMap, ...). A projected volume's files
/// are those of all its sources.
fn volume_files<'a>(
    site: ContainerSite<'_>,
    volume: &Volume,
    inventory: &'a Inventory,
) -> Result<Option<VolumeFiles<'a>>, InputError> {
    let mut files: Option<VolumeFiles<'a>> = None;
    for source in sources(volume) {
        if let Some(found) = source_files(site, &volume.name, &source, inventory)? {
            files.get_or_insert_with(BTreeMap::new).extend(found);
        }
    }
    Ok(files)
}

/// One ConfigMap or Secret that puts files into a volume, with where it is written.
struct Source<'m> {
    /// Whether it is a Secret (else a ConfigMap).
    secret: bool,
    name: &'m str,
    items: Option<&'m [KeyToPath]>,
    optional: bool,
    /// The key of its name, under `volumes[NAME].` (`configMap.name`).
    name_key: String,
    /// What its `items[KEY].key` is prefixed with (empty for a plain volume).
    items_key: String,
}

/// The volume's sources: its ConfigMap or Secret, or each of a projected volume's.
fn sources(volume: &Volume) -> Vec<Source<'_>> {
    if let Some(cm) = &volume.config_map {
        return vec![Source {
            secret: false,
            name: &cm.name,
            items: cm.items.as_deref(),
            optional: cm.optional,
            name_key: "configMap.name".into(),
            items_key: String::new(),
        }];
    }
    if let Some(secret) = &volume.secret {
        return vec![Source {
            secret: true,
            name: &secret.secret_name,
            items: secret.items.as_deref(),
            optional: secret.optional,
            name_key: "secret.secretName".into(),
            items_key: String::new(),
        }];
    }
    let Some(projected) = &volume.projected else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (index, source) in projected.sources.iter().enumerate() {
        for (secret, field, store) in [
            (false, "configMap", &source.config_map),
            (true, "secret", &source.secret),
        ] {
            if let Some(store) = store {
                let at = format!("projected.sources[{index}].{field}");
                found.push(Source {
                    secret,
                    name: &store.name,
                    items: store.items.as_deref(),
                    optional: store.optional,
                    name_key: format!("{at}.name"),
                    items_key: format!("{at}."),
                });
            }
        }
    }
    found
}

/// `; NAME is a Secret: mount it with ...` when the ConfigMap a volume names is no
/// ConfigMap but a Secret of the pod's namespace (and the other way round); else nothing.
fn other_kind_hint(source: &Source<'_>, namespace: &str, inventory: &Inventory) -> String {
    let (other, stores) = if source.secret {
        ("ConfigMap", &inventory.config_maps)
    } else {
        ("Secret", &inventory.secrets)
    };
    if !stores.contains_key(&super::stores::store_key(namespace, source.name)) {
        return String::new();
    }
    let name = source.name;
    let mount = if source.secret {
        format!("configMap: {{name: {name}}}")
    } else if source.items_key.is_empty() {
        format!("secret: {{secretName: {name}}}")
    } else {
        // A projected volume's Secret source is named by `name`.
        format!("secret: {{name: {name}}}")
    };
    format!("; `{name}` is a {other}: mount it with `{mount}`")
}

fn source_files<'a>(
    site: ContainerSite<'_>,
    volume: &str,
    source: &Source<'_>,
    inventory: &'a Inventory,
) -> Result<Option<VolumeFiles<'a>>, InputError> {
    let (kind, stores) = if source.secret {
        ("Secret", &inventory.secrets)
    } else {
        ("ConfigMap", &inventory.config_maps)
    };
    let Some(store) = find_store(stores, kind, site.namespace(), source.name, source.optional)
        .map_err(|message| {
            let hint = other_kind_hint(source, site.namespace(), inventory);
            site.volume_error(volume, &source.name_key, format!("{message}{hint}"))
        })?
    else {
        return Ok(None);
    };
    let Some(items) = source.items else {
        return Ok(Some(
            store
                .entries
                .keys()
                .map(|key| (key.clone(), (store, key.clone())))
                .collect(),
        ));
    };
    let mut entries = BTreeMap::new();
    for item in items {
        if !store.entries.contains_key(&item.key) {
            return Err(site.volume_error(
                volume,
                &format!("{}items[{}].key", source.items_key, item.key),
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
    Ok(Some(entries))
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
                        crate::error::list_or_none(&known)
                    ),
                ));
            }
            Ok(inside)
        }
    }
}
