//! Runs checks against a running stack: typed clients, the state earlier checks found, and
//! evidence when one fails.

use std::time::{Duration, Instant};

use super::cause::Cause;
use super::check::Check;
use super::deadlines::Deadlines;
use super::outcome::{CheckOutcome, CheckStatus, SkipReason};
use super::session::Session;
use crate::backend::RunningStack;
use crate::clients::{AlertmanagerClient, GrafanaClient, PrometheusClient};
use crate::spec::ComponentKind;

/// Log lines searched for a component's own account of a failure.
const LOG_LINES_SEARCHED: usize = 400;

/// Runs [`Check`]s against one running stack, whatever its backend, remembering what it sees
/// in the stack's [`Session`].
pub struct Checker<'a> {
    pub(crate) stack: &'a RunningStack,
    pub(crate) session: &'a Session,
    pub(crate) deadlines: Deadlines,
    pub(crate) http: reqwest::Client,
    pub(crate) prometheus: PrometheusClient,
    pub(crate) alertmanager: AlertmanagerClient,
    pub(crate) grafana: Option<GrafanaClient>,
    pub(crate) state: State,
}

/// What earlier checks of this checker found, for later ones. (What outlives the checker,
/// the alerts seen active, is kept in the [`Session`].)
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The messages the running check matched, for its outcome.
    pub(crate) matched: Vec<super::outcome::MessageMatch>,
    /// The expressions whose baseline the traffic check measures before its first request.
    pub(crate) measure: Vec<String>,
}

impl<'a> Checker<'a> {
    /// A checker with the deadlines of the stack's plan and the default margin, remembering
    /// what it sees in `session` (the stack's, see [`Session::start`]).
    pub fn new(stack: &'a RunningStack, session: &'a Session) -> Self {
        let endpoints = stack.endpoints();
        let grafana = endpoints.grafana.as_ref().and_then(|url| {
            let spec = stack.plan().spec.grafana()?;
            Some(GrafanaClient::new(
                url,
                &spec.admin_user,
                spec.admin_password.clone(),
            ))
        });
        Self {
            stack,
            session,
            deadlines: Deadlines::new(stack.plan().timings),
            http: reqwest::Client::new(),
            prometheus: PrometheusClient::new(&endpoints.prometheus),
            alertmanager: AlertmanagerClient::new(&endpoints.alertmanager),
            grafana,
            state: State::default(),
        }
    }

    /// Sets the margin added to every deadline.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.deadlines.margin = margin;
        self
    }

    /// Tells the checker the checks it will run, so that the traffic check measures, before
    /// firedrill's first request to the stack, the baseline of every metric checked later
    /// ([`Check::MetricValue`] checks the increase from it). [`crate::verify::run_checks`]
    /// does this.
    pub fn for_checks(mut self, checks: &[Check]) -> Self {
        for check in checks {
            if let Check::MetricValue(metric) = check {
                let expr = metric.sum_expr();
                if !self.state.measure.contains(&expr) {
                    self.state.measure.push(expr);
                }
            }
        }
        self
    }

    /// Runs one check. A check whose component was left out is skipped; a failed one
    /// carries the evidence.
    pub async fn run(&mut self, check: &Check) -> CheckOutcome {
        let name = check.name();
        let needs = check.needs();
        if self.stack.skipped().iter().any(|s| s.kind == needs) {
            return CheckOutcome::skipped(name, SkipReason::OptedOut { component: needs });
        }
        if needs == ComponentKind::Grafana && self.stack.plan().spec.grafana().is_none() {
            return CheckOutcome::skipped(name, SkipReason::NotInManifests { component: needs });
        }
        let deadline = check.deadline(&self.deadlines, self.scaled_for(check));
        let started = Instant::now();
        let result = match check {
            Check::AppReachable => self.app_reachable(deadline).await,
            Check::SendTraffic(traffic) => self.send_traffic(traffic, deadline).await,
            Check::TargetsUp => self.targets_up(deadline).await,
            Check::MetricValue(metric) => self.metric_value(metric, deadline).await,
            Check::RulesHealthy => self.rules_healthy(deadline).await,
            Check::AlertPending(alert) => self.alert_pending(alert, deadline).await,
            Check::AlertFiring(alert) => self.alert_firing(alert, deadline).await,
            Check::AlertInAlertmanager(alert) => self.alert_in_alertmanager(alert, deadline).await,
            Check::AlertDelivered(alert) => self.alert_delivered(alert, deadline).await,
            Check::AlertResolved(alert) => self.alert_resolved(alert, deadline).await,
            Check::GrafanaDatasource => self.grafana_datasource(deadline).await,
            Check::GrafanaQuery(expr) => self.grafana_query(expr, deadline).await,
            Check::Fault(target, fault) => self.fault(target, *fault).await,
            Check::SlackFails(fault) => self
                .stack
                .slack()
                .fail_next(fault.scaled(self.stack.plan().time_scale))
                .await
                .map(|()| "told the Slack mock".to_string())
                .map_err(|e| format!("the Slack mock did not take the fault: {e}")),
            Check::Wait(duration) => {
                // Scenario time passing is what the step is: nothing to poll for.
                let wall = self.scaled_for(check);
                tokio::time::sleep(wall).await;
                Ok(format!(
                    "{} of scenario time passed ({:.1} s at time scale {})",
                    crate::time::PromDuration::new(*duration),
                    wall.as_secs_f64(),
                    self.stack.plan().time_scale
                ))
            }
        };
        let elapsed = started.elapsed();
        let messages = std::mem::take(&mut self.state.matched);
        match result {
            Ok(detail) => CheckOutcome {
                name,
                status: CheckStatus::Passed,
                elapsed,
                deadline: Some(deadline),
                detail,
                skip: None,
                messages,
                evidence: None,
            },
            Err(reason) => CheckOutcome {
                name,
                status: CheckStatus::Failed,
                elapsed,
                deadline: Some(deadline),
                detail: match self.cause_of(check).await {
                    Some(cause) => {
                        format!(
                            "{}; {reason}",
                            self.stack.plan().spec.redact(&cause.to_string())
                        )
                    }
                    None => reason,
                },
                skip: None,
                messages,
                evidence: Some(self.evidence().await),
            },
        }
    }

    /// Does `fault` to `target`; a restarted Prometheus gets the start-up gate pushed again
    /// (see [`super::startup_gate::reopen`]).
    async fn fault(&self, target: &str, fault: crate::backend::Fault) -> Result<String, String> {
        let done = self.stack.apply_fault(target, fault).await?;
        let component = self.stack.component_named(target)?;
        let restarted_prometheus = fault == crate::backend::Fault::Restart
            && self
                .stack
                .plan()
                .spec
                .components
                .iter()
                .any(|c| c.name == component && c.kind() == ComponentKind::Prometheus);
        if !restarted_prometheus {
            return Ok(done);
        }
        let gate = super::startup_gate::reopen(self.stack).await?;
        Ok(format!("{done}{gate}"))
    }

    /// Why `check` failed, when a known breakage explains it.
    async fn cause_of(&self, check: &Check) -> Option<Cause> {
        match check {
            Check::TargetsUp => self.scrape_cause().await,
            Check::MetricValue(m) => match self.scrape_cause().await {
                Some(cause) => Some(cause),
                None => self.missing_metric_cause(&m.name).await,
            },
            Check::AlertPending(alert) | Check::AlertFiring(alert) => self.rule_cause(alert).await,
            Check::AlertInAlertmanager(alert) => self.notifier_cause(alert).await,
            Check::AlertDelivered(_) | Check::AlertResolved(_) => self.delivery_cause().await,
            _ => None,
        }
    }

    /// The last line of `component`'s log that holds one of `needles`, shortened to its
    /// `err=` part where it has one.
    pub(crate) async fn log_mention(&self, component: &str, needles: &[&str]) -> Option<String> {
        let tails = self.stack.log_tails(LOG_LINES_SEARCHED).await;
        let (_, log) = tails.iter().find(|(name, _)| name == component)?;
        let line = log
            .lines()
            .rev()
            .find(|line| needles.iter().any(|n| line.contains(n)))?;
        Some(match line.find("err=") {
            Some(at) => line[at..].to_string(),
            None => line.trim().to_string(),
        })
    }

    /// The alert's `for`, scaled (zero for checks about no alert).
    pub(crate) fn scaled_for(&self, check: &Check) -> Duration {
        let alert = match check {
            Check::AlertPending(a) | Check::AlertFiring(a) | Check::AlertInAlertmanager(a) => a,
            Check::Wait(duration) => return duration.div_f64(self.stack.plan().time_scale),
            _ => return Duration::ZERO,
        };
        self.for_of(alert)
    }

    /// The scaled `for` of an alerting rule (the longest, if several rules share the name).
    pub(crate) fn for_of(&self, alert: &str) -> Duration {
        self.stack.plan().alert_for(alert)
    }
}
