//! Finding a component's config file: the `--config.file` flag (or the image's default)
//! followed through the container's mounts.

use super::container_site::ContainerSite;
use super::paths;
use crate::error::InputError;
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
