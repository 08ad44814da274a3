//! How to start a stack: which backend, what to leave out, how to run app images.

use std::collections::BTreeMap;

use super::BackendKind;
use crate::error::{Error, Result};
use crate::plan::PlanOptions;
use crate::spec::{ComponentKind, StackSpec};

/// Options for starting a stack: the backend, the time scale, what is left out, how apps run.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The backend.
    pub backend: BackendKind,
    /// The time scale.
    pub plan: PlanOptions,
    /// Components left out by explicit opt-out (only Grafana can be).
    pub skip: Vec<ComponentKind>,
    /// How the process backend runs an app image: image → command line, with `{listen}`
    /// (`127.0.0.1:PORT`) and `{port}` placeholders. `echo_server:latest` needs no entry.
    pub app_commands: BTreeMap<String, String>,
    /// Keep processes' work dirs (and containers, namespaces) after the run, for debugging.
    pub keep: bool,
    /// The kubeconfig context (kube backend); `None` is the current context.
    pub context: Option<String>,
    /// Secrets the manifests reference but do not hold, given from files.
    pub secrets: Vec<crate::load::GivenSecret>,
    /// How the Slack mock fails from the start, before Alertmanager runs (the last one holds;
    /// a delay as the mock waits it: [`crate::SlackFault::scaled`] turns scenario time into it).
    pub slack_faults: Vec<crate::slack::SlackFault>,
}

impl StartOptions {
    /// Options for a backend, everything else default.
    pub fn new(backend: BackendKind) -> Self {
        Self {
            backend,
            ..Self::default()
        }
    }

    /// Leaves a component out; the run's summary reports its checks as skipped.
    pub fn with_skip(mut self, kind: ComponentKind) -> Self {
        if !self.skip.contains(&kind) {
            self.skip.push(kind);
        }
        self
    }

    /// Sets the time scale.
    pub fn with_time_scale(mut self, time_scale: f64) -> Self {
        self.plan.time_scale = time_scale;
        self
    }

    /// The Slack mock answers as `fault` says from the start, before Alertmanager runs (on
    /// Kubernetes, the recorder starts with it).
    pub fn with_slack_fault(mut self, fault: crate::slack::SlackFault) -> Self {
        self.slack_faults.push(fault);
        self
    }

    /// Gives a key of a Secret the manifests reference but do not hold (created outside them),
    /// its value read from a file; never printed.
    pub fn with_secret(mut self, secret: crate::load::GivenSecret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Runs an app image with a local command.
    pub fn with_app_command(
        mut self,
        image: impl Into<String>,
        command: impl Into<String>,
    ) -> Self {
        self.app_commands.insert(image.into(), command.into());
        self
    }

    /// Keeps what the run created, for debugging.
    pub fn with_keep(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }

    /// Uses a kubeconfig context (kube backend) instead of the current one.
    pub fn with_context(mut self, context: Option<String>) -> Self {
        self.context = context;
        self
    }

    /// Reads `FIREDRILL_BACKEND`, `FIREDRILL_SKIP` (comma separated), `FIREDRILL_TIME_SCALE`
    /// `FIREDRILL_KEEP` and `FIREDRILL_KUBE_CONTEXT`; a bad value is rejected by name.
    pub fn from_env() -> Result<Self> {
        let mut options = Self::default();
        if let Some(value) = env_var("FIREDRILL_BACKEND") {
            options.backend = value
                .parse()
                .map_err(|e: String| bad_env("FIREDRILL_BACKEND", &value, &e))?;
        }
        if let Some(value) = env_var("FIREDRILL_SKIP") {
            for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let kind = parse_skippable(name)
                    .map_err(|e: String| bad_env("FIREDRILL_SKIP", &value, &e))?;
                options = options.with_skip(kind);
            }
        }
        if let Some(value) = env_var("FIREDRILL_TIME_SCALE") {
            let scale = parse_time_scale(&value)
                .map_err(|e: String| bad_env("FIREDRILL_TIME_SCALE", &value, &e))?;
            options.plan.time_scale = scale;
        }
        options.context = env_var("FIREDRILL_KUBE_CONTEXT").filter(|c| !c.is_empty());
        if let Some(value) = env_var("FIREDRILL_KEEP") {
            options.keep = match value.as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" | "" => false,
                _ => return Err(bad_env("FIREDRILL_KEEP", &value, "expected 1 or 0")),
            };
        }
        Ok(options)
    }

    pub(crate) fn validate(&self, spec: &StackSpec) -> Result<()> {
        for kind in &self.skip {
            if *kind != ComponentKind::Grafana {
                return Err(Error::Input(crate::error::InputError::new(
                    &spec.dir,
                    format!("cannot skip {kind}: only grafana can be left out"),
                )));
            }
        }
        Ok(())
    }

    /// Whether a component kind is left out.
    pub fn skips(&self, kind: ComponentKind) -> bool {
        self.skip.contains(&kind)
    }
}

/// Parses a `--skip` value; only `grafana` is accepted.
pub fn parse_skippable(name: &str) -> std::result::Result<ComponentKind, String> {
    match name {
        "grafana" => Ok(ComponentKind::Grafana),
        other => Err(format!(
            "cannot skip `{other}`: only grafana can be left out (prometheus, alertmanager and the app are what is checked)"
        )),
    }
}

/// Parses a time scale: a number ≥ 1.
pub fn parse_time_scale(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 1.0 => Ok(n),
        _ => Err(format!(
            "invalid time scale `{text}`: expected a number ≥ 1 (1 keeps the manifests' timings)"
        )),
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn bad_env(name: &str, value: &str, why: &str) -> Error {
    Error::Input(crate::error::InputError::new(
        "environment",
        format!("{name}={value:?} is invalid: {why}"),
    ))
}
