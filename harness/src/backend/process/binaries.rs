//! Finding the binaries to run: `FIREDRILL_<COMPONENT>_BIN`, then PATH.

use std::path::PathBuf;

use crate::backend::executable::is_executable;
pub use crate::backend::executable::{firedrill_executable, on_path};

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
