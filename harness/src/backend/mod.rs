//! Backends know how to run things, nothing about what is checked: each turns a
//! [`StackPlan`] into a [`RunningStack`] of the same shape, whose endpoints the checks use.
//!
//! Every backend implements one interface (`Backend`, in `seam.rs`): it says what it can
//! run, places a stack, adjusts the plan with the flags it sets itself, and launches it,
//! handing back a running handle (logs, exit status, async shutdown, removal on drop). What
//! every backend shares (skips, readiness, the [`RunningStack`] assembly, `render`) is
//! written once there. A backend is one folder here plus one line in the `backends!` list
//! below; the container backends share their images through `images`.

mod discovery;
#[cfg(feature = "docker")]
pub(crate) mod docker;
mod fault;
mod flags;
mod handle;
#[cfg(feature = "docker")]
mod images;
#[cfg(feature = "kube")]
pub(crate) mod kube;
mod logs;
mod options;
#[cfg(feature = "docker")]
mod owner;
pub mod process;
mod registry;
mod running;
pub(crate) mod seam;
pub(crate) mod stand_in;
mod wait_for;

pub use fault::Fault;
pub use options::StartOptions;
#[cfg(feature = "cli")]
pub use options::{parse_skippable, parse_time_scale};
pub use running::{AppEndpoint, Endpoints, RunningStack, Skipped};
pub use wait_for::{readiness_of, NotReady, WaitFor};

pub(crate) use handle::{Launched, LaunchedComponent, StackHandle};
pub(crate) use seam::Backend;

use crate::error::Result;
use crate::plan::StackPlan;
use crate::spec::StackSpec;

/// How a component left out on purpose is reported: never as passed.
pub const OPT_OUT_REASON: &str = "left out by explicit opt-out";

registry::backends! {
    /// Child processes on 127.0.0.1 (the default; no Docker needed).
    #[default]
    Process => process::ProcessBackend;
    /// Every component in its own container, from the images the manifests name, on a
    /// Docker network of its own.
    Docker => docker::DockerBackend if feature "docker";
    /// The manifests applied as they are to a Kubernetes cluster, in a namespace of their own.
    Kube => kube::KubeBackend if feature "kube";
}

/// `Err` for manifests the chosen backend cannot run as written (a scrape job discovering
/// targets through the Kubernetes API, on a backend without a cluster), or a backend this
/// build lacks; what [`start`] would refuse, said before anything starts.
pub fn refuse_unrunnable(spec: &StackSpec, options: &StartOptions) -> Result<()> {
    options.backend.registered()?.refuse_unrunnable(spec)
}

/// Everything starting `spec` on the chosen backend would refuse before anything starts, every
/// one (where [`refuse_unrunnable`] and the start stop at the first): the options, what the
/// backend cannot run, its placement, plan and adjustments, as `render` runs them (nothing
/// started, no image built, no cluster contacted). `firedrill lint` reports them.
pub(crate) fn refusals(spec: &StackSpec, options: &StartOptions) -> Vec<crate::error::Error> {
    match options.backend.registered() {
        Ok(backend) => backend.refusals(spec, options),
        Err(e) => vec![e],
    }
}

/// `Err` with why, for a fault the chosen backend cannot do to `component` (a component's
/// name in `spec`): what the fault would fail with, said before anything starts.
pub(crate) fn refuse_fault(
    spec: &StackSpec,
    options: &StartOptions,
    component: &str,
    fault: Fault,
) -> std::result::Result<(), String> {
    let Some(component) = spec.components.iter().find(|c| c.name == component) else {
        return Ok(());
    };
    let backend = options.backend.registered().map_err(|e| e.to_string())?;
    backend.refuse_fault(spec, component, fault, options)
}

/// Starts the Slack mock, plans the stack for the chosen backend and starts it.
pub async fn start(spec: &StackSpec, options: &StartOptions) -> Result<RunningStack> {
    options.backend.registered()?.start(spec, options).await
}

/// The plan a backend would run, without starting anything (`firedrill render`): the
/// effective configs, with the backend's own flags, and every change.
pub fn render(spec: &StackSpec, options: &StartOptions) -> Result<StackPlan> {
    options.backend.registered()?.render(spec, options)
}

/// What `firedrill render` prints besides the plan for backends that apply manifests: the
/// exact YAML the kube backend would apply, Namespace first; `None` for other backends.
/// The plan comes along (the same run's: the YAML names its namespace).
pub fn render_manifests(
    spec: &StackSpec,
    options: &StartOptions,
) -> Result<Option<(String, StackPlan)>> {
    options
        .backend
        .registered()?
        .render_manifests(spec, options)
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
