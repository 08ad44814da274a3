//! What the checks remember of one running stack while a run goes on: each alert as
//! Prometheus last reported it while active, the aggregation groups Alertmanager showed
//! (recorded from the moment the session starts, not only while a check polls) and the
//! traffic baselines. A session is created right after the stack starts; checks run in
//! several batches on the same stack share it, so a resolved check still knows an alert
//! Prometheus and Alertmanager have already dropped.

use std::sync::Arc;

use crate::backend::RunningStack;
use crate::checks::alertmanager::seen::{AlertWatch, SeenAlerts};
use crate::checks::app::baselines::TrafficBaselines;
pub use crate::checks::startup_gate::GateOpened;
use crate::checks::startup_gate::StartupGate;

/// The checks' memory of one running stack. Dropping it stops its watch of Alertmanager.
#[derive(Debug)]
pub struct Session {
    /// The alerts and groups seen.
    pub(crate) seen_alerts: Arc<SeenAlerts>,
    /// Records Alertmanager's groups into `seen_alerts`; stops on drop.
    #[allow(dead_code)] // held for its Drop
    watch: AlertWatch,
    /// The expected metrics as they were before firedrill's first request to the stack.
    pub(crate) baselines: TrafficBaselines,
    /// Opens the rules' start-up gate once every target was scraped; stops on drop.
    gate: StartupGate,
}

impl Session {
    /// Starts remembering what `stack` shows, from now on (on the current Tokio runtime).
    pub fn start(stack: &RunningStack) -> Self {
        let seen_alerts = Arc::new(SeenAlerts::default());
        let watch = AlertWatch::start(&stack.endpoints().alertmanager, &seen_alerts);
        Self {
            seen_alerts,
            watch,
            baselines: TrafficBaselines::default(),
            gate: StartupGate::start(stack),
        }
    }

    /// When Prometheus's rules started seeing the stack: the start-up gate opened (after
    /// every target was scraped once, or when the wait for that gave up, saying what was
    /// still not). `None` while it is closed, or where the plan does not gate the rules.
    pub fn rules_started(&self) -> Option<GateOpened> {
        self.gate.opened()
    }

    /// [`Self::start`], looking at Alertmanager's groups every `every` (a replay at a
    /// compressed tick changes annotations faster than the default 200 ms).
    pub(crate) fn start_watching_every(stack: &RunningStack, every: std::time::Duration) -> Self {
        let seen_alerts = Arc::new(SeenAlerts::default());
        let watch = AlertWatch::start_every(&stack.endpoints().alertmanager, &seen_alerts, every);
        Self {
            seen_alerts,
            watch,
            baselines: TrafficBaselines::default(),
            gate: StartupGate::start(stack),
        }
    }
}
