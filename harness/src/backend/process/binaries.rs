//! Finding the binaries to run: `FIREDRILL_<COMPONENT>_BIN`, then PATH.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::spec::ComponentKind;

/// The names a component's binary goes by on PATH, in order of preference.
fn candidates(kind: ComponentKind) -> &'static [&'static str] {
    match kind {
        ComponentKind::Prometheus => &["prometheus"],
        ComponentKind::Alertmanager => &["alertmanager", "prometheus-alertmanager"],
        ComponentKind::Grafana => &["grafana-server", "grafana"],
        ComponentKind::App => &[],
    }
}

/// How to get a component's binary.
pub fn install_hint(kind: ComponentKind) -> String {
    let var = env_name(kind);
    match kind {
        ComponentKind::Prometheus => format!(
            "install it (`apt-get install prometheus` on Debian/Ubuntu, or a release from prometheus.io/download) or set {var} to its path"
        ),
        ComponentKind::Alertmanager => format!(
            "install it (`apt-get install prometheus-alertmanager` on Debian/Ubuntu, or a release from prometheus.io/download) or set {var} to its path"
        ),
        ComponentKind::Grafana => format!(
            "install grafana-server (grafana.com/grafana/download), set {var} to its path, or leave Grafana out explicitly with `--skip grafana` (FIREDRILL_SKIP=grafana): its checks are then reported as skipped"
        ),
        ComponentKind::App => "map the app's image to a local command with `--app-command IMAGE=COMMAND`".to_string(),
    }
}

/// `FIREDRILL_PROMETHEUS_BIN`, `FIREDRILL_ALERTMANAGER_BIN`, `FIREDRILL_GRAFANA_BIN`.
pub fn env_name(kind: ComponentKind) -> String {
    format!("FIREDRILL_{}_BIN", kind.as_str().to_uppercase())
}

/// Finds a component's binary, or says how to get it.
pub fn find_binary(kind: ComponentKind) -> Result<PathBuf> {
    let var = env_name(kind);
    if let Ok(value) = std::env::var(&var) {
        let path = PathBuf::from(&value);
        if is_executable(&path) {
            return Ok(path);
        }
        return Err(Error::start(
            kind.as_str(),
            format!("{var}={value} is not an executable file"),
            install_hint(kind),
        ));
    }
    for name in candidates(kind) {
        if let Some(path) = on_path(name) {
            return Ok(path);
        }
    }
    Err(Error::start(
        kind.as_str(),
        format!(
            "no {} binary found on PATH (looked for {})",
            kind,
            candidates(kind).join(", ")
        ),
        install_hint(kind),
    ))
}

/// A program on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The `firedrill` executable, which also runs the seed's app (`firedrill echo-server`):
/// `FIREDRILL_BIN`, else this executable when it is firedrill, else a `firedrill` beside this
/// executable or one directory up (cargo's `target/<profile>/deps` layout), else PATH.
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
                "the seed's app runs as `firedrill echo-server`, and no firedrill executable was found",
                "build it (`cargo build -p firedrill`), put it on PATH, or set FIREDRILL_BIN",
            )
        })
}
