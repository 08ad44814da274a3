//! Finding a component's config file: the `--config.file` flag (or the image's default)
//! followed through the container's mounts.

use super::container_site::ContainerSite;
use super::file_refs::check_file_refs;
use super::paths;
use super::yaml_node::ConfigDocument;
use crate::error::InputError;
use crate::spec::file_refs::ConfigFormat;
use crate::spec::MountedFile;

/// The flag Prometheus and Alertmanager take their config file from.
pub(crate) const CONFIG_FLAG: &str = "--config.file";

/// The in-container path `--config.file` names (else `default`) and the mounted file there.
pub(crate) fn config_file<'f>(
    site: ContainerSite<'_>,
    files: &'f [MountedFile],
    default: &str,
) -> Result<(String, &'f MountedFile), InputError> {
    let flag = site.flag(CONFIG_FLAG);
    let written = flag.clone().unwrap_or_else(|| default.to_string());
    let working_dir = site.container.working_dir.as_deref().unwrap_or("/");
    let path = paths::join(working_dir, &written);
    let file = files.iter().find(|f| f.path == path).ok_or_else(|| {
        let mounted: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let source = match flag {
            Some(_) => format!("`{CONFIG_FLAG}` names `{path}`"),
            None => format!("without `{CONFIG_FLAG}` the config file is `{path}`"),
        };
        site.error(
            "args",
            format!(
                "{source}, but no ConfigMap or Secret key is mounted there (mounted: {}); \
                 mount the config there or fix `{CONFIG_FLAG}`",
                crate::error::list_or_none(&mounted)
            ),
        )
    })?;
    Ok((path, file))
}

/// The config file `--config.file` names (else `default`): its in-container path and its
/// document, a mapping, every file it names checked to be mounted too.
pub(crate) fn read_config<'f>(
    site: ContainerSite<'_>,
    files: &'f [MountedFile],
    default: &str,
    format: ConfigFormat,
    component: &str,
) -> Result<(String, ConfigDocument<'f>), InputError> {
    let (config_path, file) = config_file(site, files, default)?;
    let document = ConfigDocument::parse(file)?;
    document.root()?;
    check_file_refs(
        &document.value,
        format,
        &config_path,
        file,
        files,
        component,
    )?;
    Ok((config_path, document))
}
