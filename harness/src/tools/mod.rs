//! The programs firedrill runs or fetches: the components Prometheus, Alertmanager and
//! Grafana ([`Component`]), their own tools promtool and amtool ([`Tool`]), and the
//! `firedrill` executable itself. Finding them (`FIREDRILL_<NAME>_BIN`, then PATH), their
//! releases downloaded where none is installed ([`download`]: checksums, cache, mirror,
//! offline), how else to get each (install hints), and amtool made ready for rendering the
//! expected Slack messages ([`provide_renderer`]).
//!
//! Nothing here knows the manifests: callers name the component or tool they want.
//!
//! Tools are found like the components: `FIREDRILL_PROMTOOL_BIN` / `FIREDRILL_AMTOOL_BIN`,
//! then PATH, and for amtool the download cache: where no installed amtool renders templates
//! (Alertmanager < 0.25, or none), `verify` downloads the Alertmanager release
//! `AMTOOL_VERSION` for its amtool ([`provide_renderer`]), and every later lookup
//! ([`Tool::find`]) finds it in the cache.

mod amtool;
mod binaries;
pub mod download;
mod executable;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use amtool::provide_renderer;
pub(crate) use amtool::{default_templates, find_renderer};
pub(crate) use binaries::resolve;
pub use binaries::{find_binary, find_installed, install_hint};
#[cfg(feature = "docker")]
pub use executable::firedrill_executable;
pub(crate) use executable::is_executable;
pub use executable::on_path;

use crate::error::{Error, Result as FiredrillResult};
use download::{DownloadConfig, Release};

/// The Alertmanager release whose `amtool` is downloaded when no installed amtool renders
/// templates. amtool's renderer (`amtool template render`) came with Alertmanager 0.25, so
/// any release from 0.25 on does; this one is independent of the Alertmanager version the
/// manifests pin (amtool runs on the harness's machine and never talks to the stack's
/// Alertmanager), and shares its cache entry with an Alertmanager pinned at the same version.
pub(crate) const AMTOOL_VERSION: &str = "0.28.1";

/// A component firedrill runs from its own program, installed or downloaded from its
/// releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Component {
    /// Prometheus.
    Prometheus,
    /// Alertmanager.
    Alertmanager,
    /// Grafana.
    Grafana,
}

impl Component {
    /// Lowercase name, as used in env vars (`FIREDRILL_PROMETHEUS_BIN`), release file names
    /// and the download cache.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Prometheus => "prometheus",
            Component::Alertmanager => "alertmanager",
            Component::Grafana => "grafana",
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `FIREDRILL_<NAME>_BIN`: the variable naming a program's path, which wins over PATH.
fn bin_var(name: &str) -> String {
    format!("FIREDRILL_{}_BIN", name.to_uppercase())
}

/// How to get a program the Prometheus project packages (as Debian's `package`), or where
/// `var` points instead.
fn packaged_hint(package: &str, var: &str) -> String {
    format!(
        "install it (`apt-get install {package}` on Debian/Ubuntu, or `ci/install-deps`; \
         releases at prometheus.io/download), or set {var} to its path"
    )
}

/// Where a tool is looked for, read from the environment in one place
/// ([`Lookup::from_env`]); tests build it from values.
pub(crate) struct Lookup {
    /// `FIREDRILL_<TOOL>_BIN`'s value, when set: it wins over everything else.
    pub(crate) explicit: Option<String>,
    /// The tool on PATH.
    pub(crate) on_path: Option<PathBuf>,
    /// The download cache and how to fetch into it; an error (a bad variable, no HOME) only
    /// matters when a download is needed.
    pub(crate) download: FiredrillResult<DownloadConfig>,
}

impl Lookup {
    /// `FIREDRILL_<TOOL>_BIN`, PATH, and the download variables
    /// ([`DownloadConfig::from_env`]).
    pub(crate) fn from_env(tool: Tool) -> Self {
        Self {
            explicit: std::env::var(tool.env_name()).ok(),
            on_path: on_path(tool.name()),
            download: DownloadConfig::from_env(),
        }
    }
}

/// A component's own checking tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tool {
    /// Prometheus's `promtool`.
    Promtool,
    /// Alertmanager's `amtool`.
    Amtool,
}

impl Tool {
    /// `promtool`, `amtool`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Promtool => "promtool",
            Tool::Amtool => "amtool",
        }
    }

    /// `FIREDRILL_PROMTOOL_BIN`, `FIREDRILL_AMTOOL_BIN`.
    pub fn env_name(self) -> String {
        bin_var(self.name())
    }

    /// How to get it (the one hint per tool: the download's alternatives too).
    pub fn install_hint(self) -> String {
        let package = match self {
            Tool::Promtool => "prometheus",
            Tool::Amtool => "prometheus-alertmanager",
        };
        packaged_hint(package, &self.env_name())
    }

    /// The component whose release tarball holds the tool.
    pub(crate) fn component(self) -> Component {
        match self {
            Tool::Promtool => Component::Prometheus,
            Tool::Amtool => Component::Alertmanager,
        }
    }

    /// The release downloaded when the tool is missing: amtool's [`AMTOOL_VERSION`]; none for
    /// promtool (`lint` only warns without it).
    pub(crate) fn release(self) -> Option<Release> {
        match self {
            Tool::Amtool => Some(Release::of_tool(self, AMTOOL_VERSION)),
            Tool::Promtool => None,
        }
    }

    /// Whether `binary` does all firedrill asks of the tool: an amtool must render templates
    /// (`template render`, Alertmanager ≥ 0.25).
    pub(crate) fn is_usable(self, binary: &Path) -> bool {
        match self {
            Tool::Promtool => true,
            Tool::Amtool => {
                // A binary written a moment ago (a download just unpacked) can be busy for as
                // long as a process forked meanwhile by another thread holds its write
                // descriptor (ETXTBSY): retried for at most a second, never read as unusable.
                let started = std::time::Instant::now();
                loop {
                    match Command::new(binary)
                        .args(["template", "render", "--help"])
                        .output()
                    {
                        Err(e)
                            if e.kind() == std::io::ErrorKind::ExecutableFileBusy
                                && started.elapsed() < std::time::Duration::from_secs(1) =>
                        {
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                        result => break result.is_ok_and(|o| o.status.success()),
                    }
                }
            }
        }
    }

    /// The binary, or why there is none; never downloads. `FIREDRILL_<TOOL>_BIN` (as it is),
    /// else the tool on PATH when it does all firedrill asks of it, else (amtool) the one
    /// `verify` downloaded into the cache, else the tool on PATH anyway.
    pub fn find(self) -> Result<PathBuf, String> {
        self.find_in(&Lookup::from_env(self))
    }

    /// The binary `lookup` points at: `FIREDRILL_<TOOL>_BIN` (as it is), else the tool on
    /// PATH when it is usable, else the one downloaded into the cache, else the tool on PATH
    /// anyway (an old amtool still checks configs).
    pub(crate) fn find_in(self, lookup: &Lookup) -> Result<PathBuf, String> {
        let var = self.env_name();
        if let Some(value) = &lookup.explicit {
            let path = PathBuf::from(value);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(format!("{var}={value} is not a file"))
            };
        }
        if let Some(path) = lookup.on_path.as_ref().filter(|p| self.is_usable(p)) {
            return Ok(path.clone());
        }
        let cached = match (self.release(), &lookup.download) {
            (Some(release), Ok(config)) => download::cached(&release, config),
            _ => None,
        };
        cached.or_else(|| lookup.on_path.clone()).ok_or_else(|| {
            let also = match self.release() {
                Some(_) => ", nor in the download cache",
                None => "",
            };
            format!("{} is not installed (not on PATH{also})", self.name())
        })
    }

    /// The tool, downloaded when no usable one is installed: `FIREDRILL_<TOOL>_BIN` when set
    /// (an error when it is not there or not usable), else the tool on PATH when usable, else
    /// the release [`Tool::release`] from the cache or downloaded into it (unless offline), so
    /// that [`Tool::find`] finds it from then on. Called once per run, before anything starts.
    pub(crate) async fn provide(self, lookup: Lookup) -> FiredrillResult<PathBuf> {
        let var = self.env_name();
        let unusable = |path: &Path| match self {
            Tool::Amtool => format!(
                "{} has no `template render` command (it came with Alertmanager 0.25)",
                path.display()
            ),
            Tool::Promtool => format!("{} cannot be used", path.display()),
        };
        if lookup.explicit.is_some() {
            let path = self
                .find_in(&lookup)
                .map_err(|why| Error::start(self.name(), why, self.install_hint()))?;
            if !self.is_usable_off_runtime(&path).await {
                return Err(Error::start(
                    self.name(),
                    format!("{var} is set, and {}", unusable(&path)),
                    format!(
                        "point {var} at a newer one, or unset it to use an installed one or the \
                         download{}",
                        self.release()
                            .map(|r| format!(" ({})", r.label()))
                            .unwrap_or_default()
                    ),
                ));
            }
            return Ok(path);
        }
        if let Some(path) = &lookup.on_path {
            if self.is_usable_off_runtime(path).await {
                return Ok(path.clone());
            }
        }
        let old = lookup.on_path.as_deref().map(unusable);
        let Some(release) = self.release() else {
            let why =
                old.unwrap_or_else(|| format!("{} is not installed (not on PATH)", self.name()));
            return Err(Error::start(self.name(), why, self.install_hint()));
        };
        let config = lookup.download?;
        let provided = download::provide(std::slice::from_ref(&release), &config)
            .await
            .map_err(|error| match (error, old) {
                (
                    Error::Start {
                        component,
                        reason,
                        hint,
                    },
                    Some(old),
                ) => Error::start(component, format!("{old}; {reason}"), hint),
                (error, _) => error,
            })?;
        let path = provided
            .into_iter()
            .next()
            .expect("one release asked, one binary provided");
        if !self.is_usable_off_runtime(&path).await {
            return Err(Error::start(
                self.name(),
                format!("the downloaded {}", unusable(&path)),
                format!(
                    "remove {} and check the mirror ({}), or {}",
                    path.parent().unwrap_or(&path).display(),
                    download::BASE_VAR,
                    self.install_hint()
                ),
            ));
        }
        Ok(path)
    }

    /// [`Tool::is_usable`] on a blocking thread: it runs the tool, and may wait for a busy
    /// executable, without holding up the async runtime.
    async fn is_usable_off_runtime(self, binary: &Path) -> bool {
        let binary = binary.to_path_buf();
        tokio::task::spawn_blocking(move || self.is_usable(&binary))
            .await
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lookup with only `FIREDRILL_<TOOL>_BIN` set (nothing on PATH, no cache).
    fn explicit(value: &str) -> Lookup {
        Lookup {
            explicit: Some(value.to_string()),
            on_path: None,
            download: Ok(DownloadConfig::new("/nonexistent/cache")),
        }
    }

    #[test]
    fn a_tool_is_found_by_its_variable_and_a_bad_variable_says_so() {
        let err = Tool::Promtool
            .find_in(&explicit("/nonexistent/promtool"))
            .unwrap_err();
        assert!(
            err.contains("FIREDRILL_PROMTOOL_BIN=/nonexistent/promtool"),
            "{err}"
        );
        let here = std::env::current_exe().unwrap();
        assert_eq!(
            Tool::Amtool.find_in(&explicit(&here.display().to_string())),
            Ok(here)
        );
        assert!(Tool::Amtool
            .install_hint()
            .contains("prometheus-alertmanager"));
    }

    #[test]
    fn components_and_their_tools_share_one_install_hint_wording() {
        assert_eq!(
            install_hint(Component::Alertmanager),
            "install it (`apt-get install prometheus-alertmanager` on Debian/Ubuntu, or \
             `ci/install-deps`; releases at prometheus.io/download), or set \
             FIREDRILL_ALERTMANAGER_BIN to its path"
        );
        assert_eq!(
            Tool::Promtool.install_hint(),
            "install it (`apt-get install prometheus` on Debian/Ubuntu, or `ci/install-deps`; \
             releases at prometheus.io/download), or set FIREDRILL_PROMTOOL_BIN to its path"
        );
        assert_eq!(
            binaries::env_name(Component::Grafana),
            "FIREDRILL_GRAFANA_BIN"
        );
    }
}
