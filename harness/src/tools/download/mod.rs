//! Binaries on a fresh machine: when Prometheus, Alertmanager or Grafana is not installed, the
//! release the manifests pin (the image tag, `v2.27.1` → `2.27.1`) is fetched from its
//! official release host, checked against the SHA-256 sums the release publishes, and cached
//! per user. The components' own tools come the same way, from their component's tarball:
//! `amtool` (which renders the expected Slack messages) from the Alertmanager release
//! of a fixed version (`AMTOOL_VERSION` in [`crate::tools`]), when no amtool that renders
//! is installed.
//!
//! - Prometheus and Alertmanager: `https://github.com/prometheus/{name}/releases/download/v{V}/`
//!   holds `{name}-{V}.{platform}.tar.gz` and `sha256sums.txt` (`sha256sum` format).
//! - Grafana: `https://dl.grafana.com/oss/release/` holds `grafana-{V}.{platform}.tar.gz` and
//!   `grafana-{V}.{platform}.tar.gz.sha256` (the bare sum).
//! - A mirror (`FIREDRILL_DOWNLOAD_BASE=URL`) holds the same files under one folder per
//!   component, each laid out as upstream: `URL/prometheus/v2.27.1/sha256sums.txt`,
//!   `URL/alertmanager/v0.22.2/...`, `URL/grafana/grafana-7.5.9.linux-amd64.tar.gz.sha256`.
//! - The cache: `$XDG_CACHE_HOME/firedrill/<component>/<version>/` (else
//!   `~/.cache/firedrill/...`), the tarball's top folder renamed into place only once the
//!   download is complete, its sum matches and it is extracted: an entry is whole or absent.
//! - `FIREDRILL_OFFLINE=1` forbids downloads; the error then says what would be fetched and
//!   the other ways to get each binary.
//!
//! The environment is read in one place, [`DownloadConfig::from_env`]; everything else takes
//! the configuration as an argument.

mod fetch;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use fetch::ProgressStyle;

use super::{Component, Tool};
use crate::error::{Error, InputError, Result};

/// The platforms the releases are published for, as their file names spell them.
pub const PLATFORMS: &[&str] = &["linux-amd64", "linux-arm64"];

/// How releases are fetched and where they are kept.
#[derive(Debug, Clone)]
pub struct DownloadConfig {
    /// The cache root (`$XDG_CACHE_HOME/firedrill`); entries are `<component>/<version>/`.
    pub cache_dir: PathBuf,
    /// A mirror holding every component's files under `<base>/<component>/`, laid out as
    /// upstream; `None` fetches from the official hosts.
    pub base: Option<url::Url>,
    /// Downloads are forbidden: only installed or cached binaries are used.
    pub offline: bool,
    /// This machine's platform as release files name it (`linux-amd64`); `None` where no
    /// release is published for it.
    pub platform: Option<String>,
    /// How download progress is shown on stderr.
    pub progress: ProgressStyle,
}

/// `FIREDRILL_DOWNLOAD_BASE`: a mirror of the release files, one folder per component.
pub const BASE_VAR: &str = "FIREDRILL_DOWNLOAD_BASE";
/// `FIREDRILL_OFFLINE`: `1` forbids downloads.
pub const OFFLINE_VAR: &str = "FIREDRILL_OFFLINE";

impl DownloadConfig {
    /// A configuration caching in `cache_dir`, fetching from the official hosts for this
    /// machine's platform, with no progress shown.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            base: None,
            offline: false,
            platform: this_platform().map(str::to_string),
            progress: ProgressStyle::Quiet,
        }
    }

    /// Reads `FIREDRILL_DOWNLOAD_BASE`, `FIREDRILL_OFFLINE`, `XDG_CACHE_HOME` and `HOME`; a
    /// bad value is rejected by name.
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self::from_vars(var)
    }

    /// [`DownloadConfig::from_env`] over any source of variables.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let cache_root = var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| var("HOME").map(|home| Path::new(&home).join(".cache")))
            .ok_or_else(|| {
                bad_env(
                    "HOME",
                    "",
                    "neither XDG_CACHE_HOME nor HOME is set, so downloaded binaries have no cache: set one of them",
                )
            })?;
        let mut config = Self::new(cache_root.join("firedrill"));
        if let Some(value) = var(BASE_VAR) {
            config.base = Some(parse_base(&value).map_err(|e| bad_env(BASE_VAR, &value, &e))?);
        }
        if let Some(value) = var(OFFLINE_VAR) {
            config.offline = match value.as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => return Err(bad_env(OFFLINE_VAR, &value, "expected 1 or 0")),
            };
        }
        config.progress = ProgressStyle::of_stderr();
        Ok(config)
    }
}

fn bad_env(name: &str, value: &str, why: &str) -> Error {
    Error::Input(InputError::new(
        "environment",
        format!("{name}={value:?} is invalid: {why}"),
    ))
}

/// A mirror base: an absolute http(s) URL without query or fragment; a trailing `/` is added.
pub fn parse_base(value: &str) -> std::result::Result<url::Url, String> {
    let mut url = url::Url::parse(value).map_err(|e| {
        format!("expected an http(s) URL such as https://mirror.example/firedrill ({e})")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(format!(
            "expected an http(s) URL such as https://mirror.example/firedrill, not a {} URL",
            url.scheme()
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a base URL takes no query or fragment".to_string());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// This machine's platform as release files name it, if releases are published for it.
pub fn this_platform() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("linux-amd64"),
        ("linux", "aarch64") => Some("linux-arm64"),
        _ => None,
    }
}

/// One release of a component: what is fetched for an image, or for a tool its tarball holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Which component.
    pub kind: Component,
    /// The version, without a leading `v` (`2.27.1`).
    pub version: String,
    /// The binary wanted from the tarball: `None` for the component's own (`prometheus`),
    /// else a tool the tarball holds beside it (`amtool` in Alertmanager's).
    pub tool: Option<Tool>,
}

impl Release {
    /// The release an image pins: `prom/prometheus:v2.27.1` → Prometheus `2.27.1`. An image
    /// without a version tag (`latest`, none, a digest only) pins none.
    pub fn of_image(kind: Component, image: &str) -> std::result::Result<Self, String> {
        let without_digest = image.split('@').next().unwrap_or(image);
        let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
        let tag = last.split_once(':').map(|(_, tag)| tag).unwrap_or("");
        let version = tag.strip_prefix('v').unwrap_or(tag);
        // Grafana's images are also tagged `7.5.9-ubuntu`: the same release.
        let version = version.strip_suffix("-ubuntu").unwrap_or(version);
        let well_formed = version.starts_with(|c: char| c.is_ascii_digit())
            && version.contains('.')
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
        if !well_formed {
            let shown = if tag.is_empty() { "no tag" } else { tag };
            return Err(format!(
                "image `{image}` pins no release version ({shown}); tag it with one (`{}`) to have it downloaded",
                match kind {
                    Component::Grafana => "grafana/grafana:7.5.9",
                    Component::Alertmanager => "prom/alertmanager:v0.22.2",
                    Component::Prometheus => "prom/prometheus:v2.27.1",
                }
            ));
        }
        Ok(Self {
            kind,
            version: version.to_string(),
            tool: None,
        })
    }

    /// The release of `tool`'s component at `version`, fetched for the tool: `amtool` from
    /// `alertmanager-{version}.{platform}.tar.gz`. It shares the component's cache entry.
    pub fn of_tool(tool: Tool, version: &str) -> Self {
        Self {
            kind: tool.component(),
            version: version.to_string(),
            tool: Some(tool),
        }
    }

    /// The tarball's file name for a platform.
    pub fn archive_name(&self, platform: &str) -> String {
        format!("{}-{}.{platform}.tar.gz", self.kind, self.version)
    }

    /// Where the release's files are: upstream, or the mirror's folder for the component.
    fn folder(&self, base: Option<&url::Url>) -> url::Url {
        let relative = match self.kind {
            Component::Grafana => String::new(),
            _ => format!("v{}/", self.version),
        };
        let root = match (base, self.kind) {
            (Some(base), kind) => format!("{base}{kind}/"),
            (None, Component::Grafana) => "https://dl.grafana.com/oss/release/".to_string(),
            (None, kind) => format!("https://github.com/prometheus/{kind}/releases/download/"),
        };
        url::Url::parse(&format!("{root}{relative}")).expect("a release folder is a valid URL")
    }

    /// The tarball's URL.
    pub fn archive_url(&self, base: Option<&url::Url>, platform: &str) -> url::Url {
        self.folder(base)
            .join(&self.archive_name(platform))
            .expect("a file name joins")
    }

    /// The URL of the checksums the release publishes: `sha256sums.txt` beside Prometheus's
    /// and Alertmanager's tarballs, `<tarball>.sha256` beside Grafana's.
    pub fn checksums_url(&self, base: Option<&url::Url>, platform: &str) -> url::Url {
        let name = match self.kind {
            Component::Grafana => format!("{}.sha256", self.archive_name(platform)),
            _ => "sha256sums.txt".to_string(),
        };
        self.folder(base).join(&name).expect("a file name joins")
    }

    /// The cache entry: `<cache>/<component>/<version>/`.
    pub fn entry(&self, cache_dir: &Path) -> PathBuf {
        cache_dir.join(self.kind.as_str()).join(&self.version)
    }

    /// The binary inside an entry (the tarball's top folder): `prometheus`, `alertmanager`,
    /// `bin/grafana-server`, else Grafana 10+'s `bin/grafana`; for a tool, the tool
    /// (`amtool`).
    pub fn binary_in(&self, entry: &Path) -> Option<PathBuf> {
        let tool: [&str; 1];
        let candidates: &[&str] = match (self.tool, self.kind) {
            (Some(wanted), _) => {
                tool = [wanted.name()];
                &tool
            }
            (None, Component::Prometheus) => &["prometheus"],
            (None, Component::Alertmanager) => &["alertmanager"],
            (None, Component::Grafana) => &["bin/grafana-server", "bin/grafana"],
        };
        candidates
            .iter()
            .map(|c| entry.join(c))
            .find(|p| super::is_executable(p))
    }

    /// What is wanted from the release: the component (`prometheus`), or the tool (`amtool`).
    pub fn name(&self) -> &'static str {
        self.tool.map_or(self.kind.as_str(), Tool::name)
    }

    /// `prometheus 2.27.1`, `amtool 0.28.1`.
    pub fn label(&self) -> String {
        format!("{} {}", self.name(), self.version)
    }

    /// Every other way to get the wanted binary than downloading it: the one install hint of
    /// the component ([`alternatives`]) or of the tool ([`Tool::install_hint`]).
    pub fn alternatives(&self) -> String {
        self.tool
            .map_or_else(|| alternatives(self.kind), Tool::install_hint)
    }
}

/// The binary of a release already in the cache.
pub fn cached(release: &Release, config: &DownloadConfig) -> Option<PathBuf> {
    release.binary_in(&release.entry(&config.cache_dir))
}

/// Every other way to get a component's binary than downloading it.
pub fn alternatives(kind: Component) -> String {
    super::install_hint(kind)
}

/// The binaries of releases that are not installed: from the cache, else downloaded (unless
/// offline), in the order given. Offline, one error lists every release that would be
/// fetched, its URL and the other ways to get it.
pub async fn provide(releases: &[Release], config: &DownloadConfig) -> Result<Vec<PathBuf>> {
    let mut found: Vec<Option<PathBuf>> = releases.iter().map(|r| cached(r, config)).collect();
    let missing: Vec<&Release> = releases
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(r, _)| r)
        .collect();
    if missing.is_empty() {
        return Ok(found.into_iter().flatten().collect());
    }
    let Some(platform) = config.platform.as_deref() else {
        let components = names(&missing);
        return Err(Error::start(
            &components,
            format!(
                "{} not installed, and no release is published for this platform ({}-{}; releases exist for {})",
                describe(&missing),
                std::env::consts::OS,
                std::env::consts::ARCH,
                PLATFORMS.join(", ")
            ),
            hints(&missing),
        ));
    };
    if config.offline {
        let wanted: Vec<String> = missing
            .iter()
            .map(|r| {
                format!(
                    "{} from {}",
                    r.label(),
                    r.archive_url(config.base.as_ref(), platform)
                )
            })
            .collect();
        return Err(Error::start(
            names(&missing),
            format!(
                "{} not installed, and downloads are off ({OFFLINE_VAR}=1); firedrill would download {}",
                describe(&missing),
                wanted.join(" and ")
            ),
            format!("{}; or allow the download (unset {OFFLINE_VAR})", hints(&missing)),
        ));
    }
    for (release, slot) in releases.iter().zip(found.iter_mut()) {
        if slot.is_none() {
            let path = fetch::fetch(release, config, platform)
                .await
                .map_err(|reason| {
                    Error::start(
                        release.name(),
                        format!(
                            "{} is not installed and could not be downloaded: {reason}",
                            release.label()
                        ),
                        format!(
                            "{}; or point {BASE_VAR} at a mirror of the release files",
                            release.alternatives()
                        ),
                    )
                })?;
            *slot = Some(path);
        }
    }
    Ok(found.into_iter().flatten().collect())
}

fn names(releases: &[&Release]) -> String {
    releases
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(releases: &[&Release]) -> String {
    let labels: Vec<String> = releases.iter().map(|r| r.label()).collect();
    match labels.len() {
        1 => format!("{} is", labels[0]),
        _ => format!("{} are", labels.join(" and ")),
    }
}

fn hints(releases: &[&Release]) -> String {
    releases
        .iter()
        .map(|r| format!("for {}: {}", r.name(), r.alternatives()))
        .collect::<Vec<_>>()
        .join("; ")
}
