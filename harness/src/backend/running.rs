//! A running stack: the same shape whatever the backend.

use std::time::Instant;

use super::fault::Fault;
use super::handle::StackHandle;
use crate::plan::StackPlan;
use crate::slack::SlackMock;
use crate::spec::ComponentKind;

/// Where the harness reaches each part of the stack.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Endpoints {
    /// Prometheus's base URL.
    pub prometheus: String,
    /// Alertmanager's base URL.
    pub alertmanager: String,
    /// Grafana's base URL, unless Grafana was left out.
    pub grafana: Option<String>,
    /// Every app.
    pub apps: Vec<AppEndpoint>,
}

/// An app's base URL.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AppEndpoint {
    /// The component's name.
    pub name: String,
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// The base URLs of its further replicas, where its workload runs several pods (on
    /// every backend): the traffic goes to each, since Prometheus may read any one of them
    /// (through a Service).
    pub(crate) replicas: Vec<String>,
}

/// A component left out by explicit opt-out.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    /// The component's kind.
    pub kind: ComponentKind,
    /// Why (`--skip grafana`).
    pub reason: String,
}

/// How long a restarted component has to answer again.
const RESTART_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// A started stack. Dropping it stops everything it started (also while a test panics);
/// [`RunningStack::shutdown`] does the same gracefully.
pub struct RunningStack {
    pub(crate) backend: &'static str,
    /// Whether the backend executes the containers' `httpGet` probes (kube's kubelet does).
    pub(crate) runs_http_probes: bool,
    pub(crate) plan: StackPlan,
    pub(crate) endpoints: Endpoints,
    pub(crate) slack: SlackMock,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) prometheus_started: Instant,
    pub(crate) handle: Box<dyn StackHandle>,
}

impl std::fmt::Debug for RunningStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningStack")
            .field("backend", &self.backend)
            .field("endpoints", &self.endpoints)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

impl RunningStack {
    /// The backend's name (`process`, `docker`, `kube`).
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The plan the stack runs (internal: the plan's types are not part of the front door).
    #[doc(hidden)]
    pub fn plan(&self) -> &StackPlan {
        &self.plan
    }

    /// Where each part listens.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The Slack mock that records every notification.
    pub fn slack(&self) -> &SlackMock {
        &self.slack
    }

    /// Components left out by explicit opt-out.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Whether a component kind was left out.
    pub fn is_skipped(&self, kind: ComponentKind) -> bool {
        self.skipped.iter().any(|s| s.kind == kind)
    }

    /// When Prometheus was started (its service discovery hands targets on from then).
    pub fn prometheus_started(&self) -> Instant {
        self.prometheus_started
    }

    /// Every component's log so far, as (component, text).
    pub async fn logs(&self) -> Vec<(String, String)> {
        self.handle.logs().await
    }

    /// The last `lines` lines of every component's log.
    pub async fn log_tails(&self, lines: usize) -> Vec<(String, String)> {
        self.logs()
            .await
            .into_iter()
            .map(|(name, text)| (name, super::logs::last_lines(&text, lines)))
            .collect()
    }

    /// Does `fault` to the component `name` names: a container of the manifests, the
    /// workload running it (a Deployment's name), or a Service selecting its pod. `Ok` with
    /// what was done, once it holds (stopped, killed, paused; running again and answering);
    /// `Err` naming the choices when `name` names none, or why it could not be done.
    pub async fn apply_fault(&self, name: &str, fault: Fault) -> Result<String, String> {
        let component = self.component_named(name)?;
        let started = Instant::now();
        let mut done = self.handle.fault(&component, fault).await?;
        if fault == Fault::Restart {
            self.wait_answering(&component).await?;
            done = format!(
                "{done}; answering again {:.1} s after the restart",
                started.elapsed().as_secs_f64()
            );
        }
        Ok(if component == name {
            done
        } else {
            format!("{name} is {component}: {done}")
        })
    }

    /// Waits until `component` answers as at the start (its kind's readiness), for a
    /// restart: at most [`RESTART_DEADLINE`].
    async fn wait_answering(&self, component: &str) -> Result<(), String> {
        let kind = self
            .plan
            .spec
            .components
            .iter()
            .find(|c| c.name == component)
            .map(crate::spec::ComponentSpec::kind)
            .ok_or_else(|| format!("{component} is not a component of this stack"))?;
        let url = match kind {
            ComponentKind::App => self
                .endpoints
                .apps
                .iter()
                .find(|a| a.name == component)
                .map(|a| a.url.clone()),
            ComponentKind::Prometheus => Some(self.endpoints.prometheus.clone()),
            ComponentKind::Alertmanager => Some(self.endpoints.alertmanager.clone()),
            ComponentKind::Grafana => self.endpoints.grafana.clone(),
        }
        .ok_or_else(|| format!("firedrill has no address of {component}"))?;
        let address = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        super::readiness_of(kind)
            .wait(&address, RESTART_DEADLINE, || Ok(()))
            .await
            .map(|_| ())
            .map_err(|e| format!("{component} did not answer again after its restart: {e}"))
    }

    /// The component `name` names (see [`Self::apply_fault`]), among those running.
    pub(crate) fn component_named(&self, name: &str) -> Result<String, String> {
        self.plan
            .spec
            .component_called(name, |c| !self.is_skipped(c.kind()))
    }

    /// Stops every component gracefully (SIGTERM, then SIGKILL after a deadline) and
    /// removes what the run created, unless it was asked to keep it.
    pub async fn shutdown(self) {
        self.handle.shutdown().await
    }
}
