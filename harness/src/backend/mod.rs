//! Backends know how to run things, nothing about what is checked: each turns a
//! [`StackPlan`] into a [`RunningStack`] of the same shape, whose endpoints the checks use.
//!
//! Every backend implements one interface (`seam.rs`): it places a stack, adjusts the plan
//! with the flags it sets itself, and launches it, handing back a running handle (logs, exit
//! status, async shutdown, removal on drop). What every backend shares (skips, readiness,
//! the [`RunningStack`] assembly, `render`) is written once there. A backend is one folder
//! here plus one line in `on_backend!`.

#[cfg(feature = "docker")]
pub(crate) mod docker;
mod executable;
mod flags;
#[cfg(feature = "docker")]
mod images;
#[cfg(feature = "kube")]
pub(crate) mod kube;
mod logs;
mod options;
#[cfg(feature = "docker")]
mod owner;
pub mod process;
mod running;
pub(crate) mod seam;
mod wait_for;

pub use executable::{firedrill_executable, on_path};
pub use logs::tail_lines;
pub use options::{parse_skippable, parse_time_scale, BackendKind, StartOptions};
pub use running::{AppEndpoint, Endpoints, RunningStack, Skipped};
pub use wait_for::{readiness_of, NotReady, WaitFor};

pub(crate) use seam::{Backend, Launched, LaunchedComponent, StackHandle};

use crate::error::Result;
use crate::plan::StackPlan;
use crate::spec::StackSpec;

/// How a component left out on purpose is reported: never as passed.
pub const OPT_OUT_REASON: &str = "left out by explicit opt-out";

/// Runs `$body` with `$backend` bound to the backend `$kind` names; a backend this build
/// lacks (its cargo feature off) is an error naming the feature.
macro_rules! on_backend {
    ($kind:expr, $backend:ident => $body:expr) => {
        match $kind {
            BackendKind::Process => {
                let $backend = process::ProcessBackend;
                $body
            }
            #[cfg(feature = "docker")]
            BackendKind::Docker => {
                let $backend = docker::DockerBackend;
                $body
            }
            #[cfg(feature = "kube")]
            BackendKind::Kube => {
                let $backend = kube::KubeBackend;
                $body
            }
            #[allow(unreachable_patterns)]
            missing => Err(not_built_in(missing)),
        }
    };
}

/// The error for a backend this build lacks.
fn not_built_in(kind: BackendKind) -> crate::Error {
    let reason = kind
        .require_built_in()
        .err()
        .unwrap_or_else(|| format!("the {kind} backend is not built in"));
    crate::Error::Input(crate::InputError::new("FIREDRILL_BACKEND", reason))
}

/// `Err` for manifests the chosen backend cannot run as written (a scrape job discovering
/// targets through the Kubernetes API, on a backend without a cluster), or a backend this
/// build lacks; what [`start`] would refuse, said before anything starts.
pub fn refuse_unrunnable(spec: &StackSpec, options: &StartOptions) -> Result<()> {
    match options.backend {
        BackendKind::Process | BackendKind::Docker => {
            crate::plan::require_no_cluster_discovery(spec, &options.backend.to_string())
        }
        BackendKind::Kube => Ok(()),
    }?;
    if options.backend.is_built_in() {
        Ok(())
    } else {
        Err(not_built_in(options.backend))
    }
}

/// Starts the Slack mock, plans the stack for the chosen backend and starts it.
pub async fn start(spec: &StackSpec, options: &StartOptions) -> Result<RunningStack> {
    on_backend!(options.backend, backend => seam::start_on(&backend, spec, options).await)
}

/// The plan a backend would run, without starting anything (`firedrill render`): the
/// effective configs, with the backend's own flags, and every change.
pub fn render(spec: &StackSpec, options: &StartOptions) -> Result<StackPlan> {
    on_backend!(options.backend, backend => seam::render_on(&backend, spec, options).map(|(plan, _)| plan))
}

/// What `firedrill render` prints besides the plan for backends that apply manifests: the
/// exact YAML the kube backend would apply, Namespace first; `None` for other backends.
/// The plan comes along (the same run's: the YAML names its namespace).
#[cfg_attr(not(feature = "kube"), allow(unused_variables))]
pub fn render_manifests(
    spec: &StackSpec,
    options: &StartOptions,
) -> Result<Option<(String, StackPlan)>> {
    match options.backend {
        #[cfg(feature = "kube")]
        BackendKind::Kube => kube::render_yaml(spec, options).map(Some),
        #[cfg(not(feature = "kube"))]
        BackendKind::Kube => Err(not_built_in(BackendKind::Kube)),
        _ => Ok(None),
    }
}

/// The port a component listens on: its first `containerPort`, else its kind's default
/// (Prometheus 9090, Alertmanager 9093, Grafana 3000).
pub fn container_port(component: &crate::spec::ComponentSpec) -> Option<u16> {
    use crate::spec::ComponentKind::*;
    component.main_port().or(match component.kind() {
        Prometheus => Some(9090),
        Alertmanager => Some(9093),
        Grafana => Some(3000),
        App => None,
    })
}
