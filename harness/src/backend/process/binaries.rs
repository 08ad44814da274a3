//! Finding the binaries to run: `FIREDRILL_<COMPONENT>_BIN`, then PATH, then the download
//! cache, else the release the manifests pin is downloaded (see [`super::download`]).

use std::collections::BTreeMap;
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
            "install it (`apt-get install prometheus` on Debian/Ubuntu, or `ci/install-deps`; releases at prometheus.io/download), or set {var} to its path"
        ),
        ComponentKind::Alertmanager => format!(
            "install it (`apt-get install prometheus-alertmanager` on Debian/Ubuntu, or `ci/install-deps`; releases at prometheus.io/download), or set {var} to its path"
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

/// An installed binary: `FIREDRILL_<COMPONENT>_BIN` (an error when it is not executable),
/// else the first candidate on PATH; `None` when neither has it.
pub fn find_installed(kind: ComponentKind) -> Result<Option<PathBuf>> {
    let var = env_name(kind);
    if let Ok(value) = std::env::var(&var) {
        let path = PathBuf::from(&value);
        if is_executable(&path) {
            return Ok(Some(path));
        }
        return Err(Error::start(
            kind.as_str(),
            format!("{var}={value} is not an executable file"),
            install_hint(kind),
        ));
    }
    Ok(candidates(kind).iter().find_map(|name| on_path(name)))
}

/// Finds a component's installed binary (no download), or says how to get it.
pub fn find_binary(kind: ComponentKind) -> Result<PathBuf> {
    if let Some(path) = find_installed(kind)? {
        return Ok(path);
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

/// The program for each component image to run (Prometheus, Alertmanager, Grafana), keyed by
/// image: installed ([`find_installed`]), else cached or downloaded as the image's tag pins.
/// The download configuration is read from the environment only when something is missing.
pub async fn resolve(
    images: &[(ComponentKind, String)],
    installed: impl Fn(ComponentKind) -> Result<Option<PathBuf>>,
) -> Result<BTreeMap<String, PathBuf>> {
    let mut programs = BTreeMap::new();
    let mut missing = Vec::new();
    for (kind, image) in images {
        let seen = programs.contains_key(image) || missing.iter().any(|(i, _)| i == image);
        if seen || *kind == ComponentKind::App {
            continue;
        }
        match installed(*kind)? {
            Some(path) => {
                programs.insert(image.clone(), path);
            }
            None => {
                let release = super::download::Release::of_image(*kind, image).map_err(|why| {
                    Error::start(
                        kind.as_str(),
                        format!(
                            "no {kind} binary found on PATH (looked for {}), and none can be downloaded: {why}",
                            candidates(*kind).join(", ")
                        ),
                        super::download::alternatives(*kind),
                    )
                })?;
                missing.push((image.clone(), release));
            }
        }
    }
    if missing.is_empty() {
        return Ok(programs);
    }
    let config = super::download::DownloadConfig::from_env()?;
    let mut releases: Vec<super::download::Release> = Vec::new();
    for (_, release) in &missing {
        if !releases.contains(release) {
            releases.push(release.clone());
        }
    }
    let paths = super::download::provide(&releases, &config).await?;
    for (image, release) in missing {
        let at = releases.iter().position(|r| *r == release);
        programs.insert(
            image,
            paths[at.expect("every missing release is provided")].clone(),
        );
    }
    Ok(programs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_installed_binary_is_used_for_every_image_and_nothing_is_downloaded() {
        let images = [
            (
                ComponentKind::Prometheus,
                "prom/prometheus:v2.27.1".to_string(),
            ),
            (
                ComponentKind::Prometheus,
                "prom/prometheus:latest".to_string(),
            ),
            (ComponentKind::App, "echo_server:latest".to_string()),
        ];
        let programs = resolve(&images, |kind| {
            Ok(Some(PathBuf::from(format!("/opt/{kind}"))))
        })
        .await
        .unwrap();
        assert_eq!(
            programs,
            BTreeMap::from([
                (
                    "prom/prometheus:v2.27.1".to_string(),
                    PathBuf::from("/opt/prometheus")
                ),
                (
                    "prom/prometheus:latest".to_string(),
                    PathBuf::from("/opt/prometheus")
                ),
            ])
        );
    }

    #[tokio::test]
    async fn a_missing_binary_whose_image_pins_no_version_says_how_else_to_get_it() {
        let images = [(ComponentKind::Alertmanager, "prom/alertmanager".to_string())];
        let err = resolve(&images, |_| Ok(None)).await.unwrap_err();
        let text = err.to_string();
        assert_eq!(err.exit_code(), 2);
        assert!(
            text.contains("cannot start alertmanager")
                && text.contains("pins no release version")
                && text.contains("apt-get install prometheus-alertmanager")
                && text.contains("FIREDRILL_ALERTMANAGER_BIN"),
            "{text}"
        );
    }
}
