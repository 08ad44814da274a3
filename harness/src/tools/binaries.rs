//! Finding the components' binaries to run: `FIREDRILL_<COMPONENT>_BIN`, then PATH, then
//! the download cache, else the release an image pins is downloaded (see
//! [`super::download`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::download::{self, DownloadConfig, Release};
use super::{bin_var, is_executable, on_path, packaged_hint, Component};
use crate::error::{Error, Result};

/// The names a component's binary goes by on PATH, in order of preference.
fn candidates(kind: Component) -> &'static [&'static str] {
    match kind {
        Component::Prometheus => &["prometheus"],
        Component::Alertmanager => &["alertmanager", "prometheus-alertmanager"],
        Component::Grafana => &["grafana-server", "grafana"],
    }
}

/// How to get a component's binary.
pub fn install_hint(kind: Component) -> String {
    let var = env_name(kind);
    match kind {
        Component::Prometheus => packaged_hint("prometheus", &var),
        Component::Alertmanager => packaged_hint("prometheus-alertmanager", &var),
        Component::Grafana => format!(
            "install grafana-server (grafana.com/grafana/download), set {var} to its path, or leave Grafana out explicitly with `--skip grafana` (FIREDRILL_SKIP=grafana): its checks are then reported as skipped"
        ),
    }
}

/// `FIREDRILL_PROMETHEUS_BIN`, `FIREDRILL_ALERTMANAGER_BIN`, `FIREDRILL_GRAFANA_BIN`.
pub fn env_name(kind: Component) -> String {
    bin_var(kind.as_str())
}

/// An installed binary: `FIREDRILL_<COMPONENT>_BIN` (an error when it is not executable),
/// else the first candidate on PATH; `None` when neither has it.
pub fn find_installed(kind: Component) -> Result<Option<PathBuf>> {
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
pub fn find_binary(kind: Component) -> Result<PathBuf> {
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
pub(crate) async fn resolve(
    images: &[(Component, String)],
    installed: impl Fn(Component) -> Result<Option<PathBuf>>,
) -> Result<BTreeMap<String, PathBuf>> {
    let mut programs = BTreeMap::new();
    let mut missing = Vec::new();
    for (kind, image) in images {
        let seen = programs.contains_key(image) || missing.iter().any(|(i, _)| i == image);
        if seen {
            continue;
        }
        match installed(*kind)? {
            Some(path) => {
                programs.insert(image.clone(), path);
            }
            None => {
                let release = Release::of_image(*kind, image).map_err(|why| {
                    Error::start(
                        kind.as_str(),
                        format!(
                            "no {kind} binary found on PATH (looked for {}), and none can be downloaded: {why}",
                            candidates(*kind).join(", ")
                        ),
                        download::alternatives(*kind),
                    )
                })?;
                missing.push((image.clone(), release));
            }
        }
    }
    if missing.is_empty() {
        return Ok(programs);
    }
    let config = DownloadConfig::from_env()?;
    let mut releases: Vec<Release> = Vec::new();
    for (_, release) in &missing {
        if !releases.contains(release) {
            releases.push(release.clone());
        }
    }
    let paths = download::provide(&releases, &config).await?;
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
            (Component::Prometheus, "prom/prometheus:v2.27.1".to_string()),
            (Component::Prometheus, "prom/prometheus:latest".to_string()),
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
        let images = [(Component::Alertmanager, "prom/alertmanager".to_string())];
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
