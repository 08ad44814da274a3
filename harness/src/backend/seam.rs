//! The one interface every backend implements, and what is shared around it: which
//! components are left out, readiness, the [`RunningStack`] assembly and `render`.
//!
//! A backend places a stack (where each component lives, how peers and the Slack recorder are
//! reached), adjusts the plan with the flags it sets itself (each listed as a change, so
//! `render` shows them), and launches the plan. The running handle it returns gives logs,
//! exit status and an async shutdown; dropping it removes what the run created.

use std::future::Future;
use std::time::Duration;

use super::handle::{Launched, LaunchedComponent};
use super::running::{AppEndpoint, Endpoints, RunningStack, Skipped};
use super::{BackendKind, StartOptions, WaitFor};
use crate::error::{Error, Result};
use crate::plan::{plan, ComponentPlan, Placement, StackPlan};
use crate::slack::SlackMock;
use crate::spec::{ComponentKind, StackSpec};

/// A backend's place in the list: `backends!` implements it for every backend's type.
pub(crate) trait Registered {
    /// The kind that names the backend.
    const KIND: BackendKind;
}

/// A place to run a stack: the process backend, Docker, Kubernetes.
///
/// A backend is a folder under `backend/` and one line in the `backends!` list, which gives
/// it its [`BackendKind`](super::BackendKind), its name (the folder's) and the cargo feature
/// that builds it in. Its folder implements this trait:
///
/// - `Placement`, [`place`](Backend::place): where each component runs (names, ports, work
///   dirs), the one backend-specific input to planning;
/// - [`start_recorder`](Backend::start_recorder): the Slack recorder, where the stack's
///   Alertmanager reaches it (and [`recorder_port`](Backend::recorder_port), when that is
///   not the recorder's own port);
/// - [`launch`](Backend::launch): starts the planned components and hands back a
///   [`StackHandle`] (logs, exit status, shutdown, removal on drop) and where each answers;
/// - optionally [`adjust`](Backend::adjust): the flags it sets itself, listed as changes;
/// - optionally [`refusals`](Backend::refusals): everything it cannot run, each its own
///   error (nothing by default);
/// - optionally [`refuse_fault`](Backend::refuse_fault): a fault it cannot do to a
///   component, known before anything starts (none by default);
/// - optionally [`render_manifests`](Backend::render_manifests): what it would apply, for a
///   backend that applies manifests;
/// - optionally [`runs_http_probes`](Backend::runs_http_probes): whether the containers'
///   `httpGet` probes run.
///
/// What it reads of [`StartOptions`] beyond the common fields (`skip`, `plan`, `keep`) is
/// its own: `app_commands` (process), `context` (kube).
pub(crate) trait Backend: Registered + Sync {
    /// Where the backend puts each component: the one backend-specific input to planning.
    type Placement: Placement + Send + Sync;

    /// The backend's name, as `--backend` takes it.
    fn name(&self) -> &'static str {
        Self::KIND.name()
    }

    /// Everything in the manifests the backend cannot run as written, one error each, so
    /// that `lint` can say them all at once (none by default: a backend without a cluster
    /// emulates Kubernetes discovery).
    fn refusals(&self, _spec: &StackSpec) -> Vec<Error> {
        Vec::new()
    }

    /// `Err` with why, for a fault the backend cannot do to `component` of `spec` as the
    /// options run it: said before anything starts, in the words the fault would fail with
    /// (none by default).
    fn refuse_fault(
        &self,
        _spec: &StackSpec,
        _component: &crate::spec::ComponentSpec,
        _fault: super::Fault,
        _options: &StartOptions,
    ) -> std::result::Result<(), String> {
        Ok(())
    }

    /// What `firedrill render` prints besides the plan, for a backend that applies
    /// manifests: the YAML it would apply, with the plan of the same run; `None` (the
    /// default) for a backend that applies none.
    fn render_manifests(
        &self,
        _spec: &StackSpec,
        _options: &StartOptions,
    ) -> Result<Option<(String, StackPlan)>> {
        Ok(None)
    }

    /// Whether the containers' `httpGet` probes are executed (requests to the apps firedrill
    /// does not send). Only where Kubernetes runs the pods: the kubelet runs them.
    fn runs_http_probes(&self) -> bool {
        false
    }

    /// Whether a start that failed because a component found the port placed for it taken
    /// is made again on new ports: where the placement reserves free ports and releases them
    /// just before the components bind them, another program may take one in between (no by
    /// default: a backend whose ports are not released that way never meets it).
    fn retries_taken_ports(&self) -> bool {
        false
    }

    /// Places a stack (names, ports, work dirs), before anything starts.
    fn place(&self, spec: &StackSpec, options: &StartOptions) -> Result<Self::Placement>;

    /// Sets the flags the backend sets itself, recording each as a change (reason `backend`).
    fn adjust(
        &self,
        _plan: &mut StackPlan,
        _placement: &Self::Placement,
        _options: &StartOptions,
    ) -> Result<()> {
        Ok(())
    }

    /// Starts the Slack recorder where the stack's Alertmanager can reach it.
    fn start_recorder(&self) -> impl Future<Output = Result<SlackMock>> + Send;

    /// The port at which the stack's components reach the recorder (`None` when rendering:
    /// nothing was started).
    fn recorder_port(&self, slack: Option<&SlackMock>) -> u16 {
        slack.map(SlackMock::port).unwrap_or(0)
    }

    /// Starts `components` (the plan's, less the skipped ones). What it created is removed
    /// again if it fails half-way (the handle guarding it is dropped).
    fn launch<'a>(
        &'a self,
        plan: &'a StackPlan,
        placement: Self::Placement,
        components: Vec<&'a ComponentPlan>,
        slack: &'a SlackMock,
        options: &'a StartOptions,
    ) -> impl Future<Output = Result<Launched>> + Send + 'a;
}

/// How many times a stack is started when each start fails on a port another program took
/// (see [`Backend::retries_taken_ports`]).
const PORT_TRIES: usize = 3;

/// What a component that could not bind its port says in its log: Go's and the C library's
/// words for `EADDRINUSE` (Prometheus, Alertmanager, most apps), and Python's.
const PORT_TAKEN: [&str; 2] = ["address already in use", "[errno 98]"];

/// One start of a stack: started, or not because a component found its port taken.
enum Attempt {
    Started(Box<RunningStack>),
    PortTaken { component: String, error: Error },
}

/// Starts a stack on `backend`: the recorder, the plan, the launch, readiness. Where the
/// backend allows it, a start that failed on a port taken in between is made again, all of
/// it (the recorder included: nothing of a first try is left to be counted).
pub(crate) async fn start_on<B: Backend>(
    backend: &B,
    spec: &StackSpec,
    options: &StartOptions,
) -> Result<RunningStack> {
    options.validate(spec)?;
    let mut tries = 1;
    loop {
        match start_once(backend, spec, options).await? {
            Attempt::Started(stack) => return Ok(*stack),
            Attempt::PortTaken { component, .. }
                if backend.retries_taken_ports() && tries < PORT_TRIES =>
            {
                tracing::info!(
                    %component,
                    tries,
                    "another program took the port placed for it before it could bind it; \
                     starting the stack again on new ports"
                );
                tries += 1;
            }
            Attempt::PortTaken { error, .. } => return Err(error),
        }
    }
}

/// One start of a stack, removed again when it fails (the handle is dropped).
async fn start_once<B: Backend>(
    backend: &B,
    spec: &StackSpec,
    options: &StartOptions,
) -> Result<Attempt> {
    let slack = backend.start_recorder().await?;
    // Before anything can send: a fault told once the stack runs could come after
    // Alertmanager's first message. (A recorder in a cluster starts with them.)
    for fault in &options.slack_faults {
        slack
            .fail_next(*fault)
            .await
            .map_err(|e| Error::start("slack mock", e, "report this as a bug"))?;
    }
    let placement = placed(backend, spec, options)?;
    let mut stack_plan = plan(
        spec,
        &placement,
        backend.recorder_port(Some(&slack)),
        options.plan,
    );
    backend.adjust(&mut stack_plan, &placement, options)?;
    let (components, skipped) = split_skipped(&stack_plan, options);
    let launched = backend
        .launch(&stack_plan, placement, components, &slack, options)
        .await?;
    let Launched {
        mut handle,
        components,
        prometheus_started,
    } = launched;

    let timeout = start_timeout()?;
    for component in &components {
        let mut waited = handle
            .wait_ready(component, timeout)
            .await
            .err()
            .map(|not_ready| not_ready.to_string());
        // An app's further pods, each at its own address.
        for replica in &component.replicas {
            if waited.is_some() {
                break;
            }
            waited = component
                .probe
                .wait(replica, timeout, || Ok(()))
                .await
                .err()
                .map(|not_ready| format!("its pod at {replica}: {not_ready}"));
        }
        if let Some(not_ready) = waited {
            let log = handle
                .logs()
                .await
                .into_iter()
                .find(|(name, _)| *name == component.name)
                .map(|(_, text)| text)
                .unwrap_or_default();
            let tail = super::logs::last_lines(&log, 20);
            // The log may hold what the component was given (a Slack URL it failed to
            // reach): it is redacted of the manifests' secrets, as the artifacts are.
            let error = Error::start(
                &component.name,
                stack_plan.spec.redact(&format!(
                    "{}{not_ready}; last lines of its log:\n{tail}",
                    component.what
                )),
                handle.start_hint(),
            );
            let lowered = tail.to_lowercase();
            if PORT_TAKEN.iter().any(|words| lowered.contains(words)) {
                return Ok(Attempt::PortTaken {
                    component: component.name.clone(),
                    error,
                });
            }
            return Err(error);
        }
    }

    let endpoints = endpoints_of(&components);
    Ok(Attempt::Started(Box::new(RunningStack {
        backend: backend.name(),
        runs_http_probes: backend.runs_http_probes(),
        plan: stack_plan,
        endpoints,
        slack,
        skipped,
        prometheus_started,
        handle,
    })))
}

/// The plan a backend would run, without starting anything (`firedrill render`).
pub(crate) fn render_on<B: Backend>(
    backend: &B,
    spec: &StackSpec,
    options: &StartOptions,
) -> Result<(StackPlan, B::Placement)> {
    options.validate(spec)?;
    let placement = placed(backend, spec, options)?;
    let mut stack_plan = plan(spec, &placement, backend.recorder_port(None), options.plan);
    backend.adjust(&mut stack_plan, &placement, options)?;
    Ok((stack_plan, placement))
}

/// Where `backend` puts each component, once it has said it can run the manifests.
fn placed<B: Backend>(
    backend: &B,
    spec: &StackSpec,
    options: &StartOptions,
) -> Result<B::Placement> {
    if let Some(refusal) = backend.refusals(spec).into_iter().next() {
        return Err(refusal);
    }
    backend.place(spec, options)
}

/// Everything `start_on` would refuse before starting anything, every one of them: the
/// options, what the backend cannot run, and the placement, plan and adjustment (run as
/// `render` runs them: nothing is started, no image built, no cluster contacted). The steps
/// after a refusal still run, so that independent problems are all said at once.
pub(crate) fn refusals_on<B: Backend>(
    backend: &B,
    spec: &StackSpec,
    options: &StartOptions,
) -> Vec<Error> {
    let mut refusals: Vec<Error> = options.validate(spec).err().into_iter().collect();
    refusals.extend(backend.refusals(spec));
    match backend.place(spec, options) {
        Ok(placement) => {
            let mut stack_plan = plan(spec, &placement, backend.recorder_port(None), options.plan);
            if let Err(e) = backend.adjust(&mut stack_plan, &placement, options) {
                refusals.push(e);
            }
        }
        Err(e) => refusals.push(e),
    }
    refusals
}

/// The components to launch, and those left out by explicit opt-out. An app whose workload
/// asks for no pod (`replicas: 0`, a listed change) is not launched either.
pub(crate) fn split_skipped<'a>(
    plan: &'a StackPlan,
    options: &StartOptions,
) -> (Vec<&'a ComponentPlan>, Vec<Skipped>) {
    let mut launch = Vec::new();
    let mut skipped = Vec::new();
    for component in &plan.components {
        let kind = component.spec.kind();
        if options.skips(kind) {
            skipped.push(Skipped {
                kind,
                reason: format!("{} (--skip {kind})", super::OPT_OUT_REASON),
            });
        } else if kind != ComponentKind::App
            || crate::plan::replica_count(&plan.spec, &component.spec.pod) > 0
        {
            launch.push(component);
        }
    }
    (launch, skipped)
}

fn endpoints_of(components: &[LaunchedComponent]) -> Endpoints {
    let url_of = |kind: ComponentKind| {
        components
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| format!("http://{}", c.address))
    };
    Endpoints {
        prometheus: url_of(ComponentKind::Prometheus).expect("a stack has Prometheus"),
        alertmanager: url_of(ComponentKind::Alertmanager).expect("a stack has Alertmanager"),
        grafana: url_of(ComponentKind::Grafana),
        apps: components
            .iter()
            .filter(|c| c.kind == ComponentKind::App)
            .map(|c| AppEndpoint {
                name: c.name.clone(),
                url: format!("http://{}", c.address),
                replicas: c
                    .replicas
                    .iter()
                    .map(|address| format!("http://{address}"))
                    .collect(),
            })
            .collect(),
    }
}

/// `FIREDRILL_START_TIMEOUT` in seconds, else [`WaitFor::DEFAULT_TIMEOUT`].
pub(crate) fn start_timeout() -> Result<Duration> {
    match std::env::var("FIREDRILL_START_TIMEOUT") {
        Err(_) => Ok(WaitFor::DEFAULT_TIMEOUT),
        Ok(value) => value
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .ok_or_else(|| {
                Error::Input(crate::error::InputError::new(
                    "environment",
                    format!(
                        "FIREDRILL_START_TIMEOUT={value:?} is invalid: expected whole seconds > 0"
                    ),
                ))
            }),
    }
}
