//! Executables on this machine: PATH look-ups, and the `firedrill` executable (container
//! backends build the seed's app image and the Slack recorder image from it).

use std::path::{Path, PathBuf};

#[cfg(feature = "docker")]
use crate::error::{Error, Result};

/// A program on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file someone may execute.
pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The `firedrill` executable, from which container backends build images (the seed's app,
/// `firedrill echo-server`; the kube backend's Slack recorder): `FIREDRILL_BIN`, else this
/// executable when it is firedrill, else a `firedrill` beside this executable or one directory
/// up (cargo's `target/<profile>/deps` layout), else PATH.
#[cfg(feature = "docker")]
pub fn firedrill_executable() -> Result<PathBuf> {
    if let Ok(value) = std::env::var("FIREDRILL_BIN") {
        return Ok(PathBuf::from(value));
    }
    let current =
        std::env::current_exe().map_err(|e| Error::io("finding the current executable", e))?;
    if current.file_name().and_then(|n| n.to_str()) == Some("firedrill") {
        return Ok(current);
    }
    let beside = current.parent().map(|dir| dir.join("firedrill"));
    let above = current
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("firedrill"));
    beside
        .into_iter()
        .chain(above)
        .find(|p| is_executable(p))
        .or_else(|| on_path("firedrill"))
        .ok_or_else(|| {
            Error::start(
                "echo-server",
                "container images of the seed's app are built from the firedrill executable, and none was found",
                "build it (`cargo build -p firedrill`), put it on PATH, or set FIREDRILL_BIN; the process backend needs none",
            )
        })
}
