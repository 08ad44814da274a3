//! A finding: what is wrong (or doubtful) before anything starts, naming the file, the
//! resource and the key, in one line that says what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use super::InputError;

/// Where in the manifests a finding is: the file, the `Kind/name` of the resource, and the
/// key inside it when there is one. The spec's `Origin` is one.
pub trait Location {
    /// The manifest file.
    fn file(&self) -> &Path;
    /// `Kind/name` of the resource.
    fn resource(&self) -> &str;
    /// The key inside it (a ConfigMap key, a container name), when there is one.
    fn key(&self) -> Option<&str>;
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The stack cannot work as written: `verify` stops before starting anything.
    Error,
    /// Doubtful, or not checked: printed, never fatal.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding about the manifests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Error or Warning.
    pub severity: Severity,
    /// The manifest file.
    pub file: PathBuf,
    /// `Kind/name` of the resource (`Service/echo-service`), when known.
    pub resource: Option<String>,
    /// The key inside it (`spec.selector`, `prometheus.yaml: scrape_configs[1]...`), when known.
    pub key: Option<String>,
    /// The cause and what to do, one line.
    pub message: String,
}

impl Finding {
    /// An error about a resource's key.
    pub fn error(
        origin: &impl Location,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::at(Severity::Error, origin, key, message)
    }

    /// A warning about a resource's key.
    pub fn warning(
        origin: &impl Location,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::at(Severity::Warning, origin, key, message)
    }

    /// A finding of `severity` at `origin`'s file and resource; `key` is put after the
    /// origin's own key (a ConfigMap key) when it has one.
    pub fn at(
        severity: Severity,
        origin: &impl Location,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let key = key.into();
        let key = match (origin.key(), key.is_empty()) {
            (Some(outer), true) => Some(outer.to_string()),
            (Some(outer), false) => Some(format!("{outer}: {key}")),
            (None, true) => None,
            (None, false) => Some(key),
        };
        Self {
            severity,
            file: origin.file().to_path_buf(),
            resource: Some(origin.resource().to_string()),
            key,
            message: message.into(),
        }
    }

    /// Whether this finding stops `verify`.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl From<InputError> for Finding {
    fn from(e: InputError) -> Self {
        Self {
            severity: Severity::Error,
            file: e.file,
            resource: e.resource,
            key: e.key,
            message: e.message,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}", self.severity, self.file.display())?;
        if let Some(resource) = &self.resource {
            write!(f, ", resource {resource}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The findings that stopped `verify` (at least one error), every one listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    /// How many are errors.
    pub fn errors(&self) -> usize {
        self.0.iter().filter(|f| f.is_error()).count()
    }
}

impl fmt::Display for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors();
        write!(
            f,
            "lint found {errors} error{} in the manifests; nothing was started",
            if errors == 1 { "" } else { "s" }
        )?;
        for finding in &self.0 {
            write!(f, "\n  {finding}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Findings {}
