//! Errors by kind, one exit code each: bad input (2), lint errors (2), a component that
//! cannot start (2), a check that failed (1); beside them, what lint finds before anything
//! starts ([`Finding`]), and the "did you mean" that names the nearest known name.

mod finding;
pub(crate) mod suggest;

use std::fmt;
use std::path::PathBuf;

pub use finding::{Finding, Findings, Location, Severity};

/// Everything firedrill can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The manifests (or a flag) are wrong; nothing was started.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The manifests have lint errors (every finding listed); nothing was started.
    #[error(transparent)]
    Lint(#[from] Findings),
    /// A component could not be started or did not become ready.
    #[error("cannot start {component}: {reason}\n  hint: {hint}")]
    Start {
        /// Which component (`prometheus`, `alertmanager`, `echo-server`, ...).
        component: String,
        /// What went wrong.
        reason: String,
        /// What to do next.
        hint: String,
    },
    /// A check did not pass; the report holds the evidence.
    #[error("check `{check}` failed: {reason}")]
    Check {
        /// The check's name.
        check: String,
        /// Why it failed.
        reason: String,
    },
    /// An I/O failure of the harness itself (writing artifacts, temp dirs).
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The CLI's exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Check { .. } => 1,
            Error::Input(_) | Error::Lint(_) | Error::Start { .. } | Error::Io { .. } => 2,
        }
    }

    /// An I/O error with what the harness was doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The error as lint's findings (each an error): bad input names its file, resource and
    /// key; lint's findings are themselves; anything else is about `dir`, the manifests.
    pub(crate) fn into_findings(self, dir: &std::path::Path) -> Vec<Finding> {
        match self {
            Error::Input(e) => vec![e.into()],
            Error::Lint(Findings(findings)) => findings,
            Error::Start {
                component,
                reason,
                hint,
            } => vec![Finding {
                severity: Severity::Error,
                file: dir.to_path_buf(),
                resource: None,
                key: None,
                message: format!("cannot start {component}: {reason}; {hint}"),
            }],
            other => vec![Finding {
                severity: Severity::Error,
                file: dir.to_path_buf(),
                resource: None,
                key: None,
                message: other.to_string(),
            }],
        }
    }

    /// A component that cannot start, with the next step to take.
    pub fn start(
        component: impl Into<String>,
        reason: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Error::Start {
            component: component.into(),
            reason: reason.into(),
            hint: hint.into(),
        }
    }
}

/// A result with firedrill's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Bad input: names the file, the resource and the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The manifest file (or directory) at fault.
    pub file: PathBuf,
    /// `Kind/name` of the resource, when known.
    pub resource: Option<String>,
    /// The key (ConfigMap/Secret key, YAML path, container name), when known.
    pub key: Option<String>,
    /// What is wrong, as a lowercase fragment.
    pub message: String,
}

impl InputError {
    /// An error about a file as a whole.
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            resource: None,
            key: None,
            message: message.into(),
        }
    }

    /// Names the resource (`ConfigMap/prometheus-config`).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Names the key (`rules.yaml`, `route.receiver`).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad input in {}", self.file.display())?;
        if let Some(resource) = &self.resource {
            write!(f, ", resource {resource}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// `a, b, c` or `(none)`, for a message naming what there is.
pub(crate) fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_error_names_file_resource_and_key() {
        let err = InputError::new(
            "manifests/prometheus-config.yaml",
            "unknown duration `1 minute`",
        )
        .resource("ConfigMap/prometheus-config")
        .key("rules.yaml: groups[0].rules[0].for");
        assert_eq!(
            err.to_string(),
            "bad input in manifests/prometheus-config.yaml, resource ConfigMap/prometheus-config, \
             key `rules.yaml: groups[0].rules[0].for`: unknown duration `1 minute`"
        );
        assert_eq!(Error::from(err).exit_code(), 2);
    }
}
