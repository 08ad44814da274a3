//! A running stack: the same shape whatever the backend.

use std::time::Instant;

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
    /// The base URLs of its further replicas, where the backend runs several (kube): the
    /// traffic goes to each, since Prometheus may read any one of them (through a Service).
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

    /// Stops every component gracefully (SIGTERM, then SIGKILL after a deadline) and
    /// removes what the run created, unless it was asked to keep it.
    pub async fn shutdown(self) {
        self.handle.shutdown().await
    }
}
