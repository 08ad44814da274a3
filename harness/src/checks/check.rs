//! The checks, as values: each has a name, a deadline derived from the configuration and
//! a component it needs.

use std::time::Duration;

use super::deadlines::Deadlines;
use super::expectations::MetricExpectation;
use super::traffic::Traffic;
use crate::backend::Fault;
use crate::slack::SlackFault;
use crate::spec::ComponentKind;
use crate::time::PromDuration;

/// One check of the stack.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Check {
    /// Every app answers HTTP.
    AppReachable,
    /// Sends traffic to the first app, the first time only after Prometheus has scraped every
    /// target once (so rules over a window see every request); every request must get a 2xx.
    SendTraffic(Vec<Traffic>),
    /// Every scrape target is up.
    TargetsUp,
    /// A metric (summed) rose in Prometheus by what firedrill's traffic must cause, from right
    /// before its first request (exactly, or at least where the backend runs the apps' probes).
    MetricValue(MetricExpectation),
    /// Every rule has been evaluated without error.
    RulesHealthy,
    /// The alert is pending (or already firing) in Prometheus.
    AlertPending(String),
    /// The alert is firing, not before its `for`.
    AlertFiring(String),
    /// The alert is active in Alertmanager, routed to its receiver.
    AlertInAlertmanager(String),
    /// Slack received the message rendered by the receiver's template.
    AlertDelivered(String),
    /// The alert stopped firing and the resolved message was delivered.
    AlertResolved(String),
    /// Grafana's default datasource is the manifests' Prometheus.
    GrafanaDatasource,
    /// A query through Grafana's datasource returns what Prometheus returns.
    GrafanaQuery(String),
    /// Does a fault to a component (a container, Deployment or Service name) and passes
    /// once it holds: stopped, killed, paused, resumed, or running again and answering.
    Fault(String, Fault),
    /// From now on, the Slack mock answers as the fault says (Alertmanager retries a 5xx and
    /// a 429, not a 404).
    SlackFails(SlackFault),
    /// Lets this much scenario time pass (divided by the time scale on the wall clock: an
    /// outage held for a while, a rule's window filled); passes once it has.
    Wait(Duration),
}

impl Check {
    /// The check's name, as the report shows it.
    pub fn name(&self) -> String {
        match self {
            Check::AppReachable => "app reachable".into(),
            Check::SendTraffic(traffic) => format!(
                "traffic sent ({})",
                traffic
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Check::TargetsUp => "every scrape target up".into(),
            Check::MetricValue(m) => {
                format!("metric {} rose by {} with the traffic", m.name, m.increase)
            }
            Check::RulesHealthy => "every rule healthy".into(),
            Check::AlertPending(a) => format!("alert {a} pending"),
            Check::AlertFiring(a) => format!("alert {a} firing, not before its for"),
            Check::AlertInAlertmanager(a) => format!("alert {a} in Alertmanager with its receiver"),
            Check::AlertDelivered(a) => format!("alert {a} delivered to Slack"),
            Check::AlertResolved(a) => {
                format!("alert {a} resolved and the resolved message delivered")
            }
            Check::GrafanaDatasource => {
                "grafana default datasource is the manifests' Prometheus".into()
            }
            Check::GrafanaQuery(expr) => format!("grafana query `{expr}` matches Prometheus"),
            Check::Fault(target, fault) => fault.step(target),
            Check::SlackFails(fault) => format!("slack answers {}", fault.answers()),
            Check::Wait(duration) => format!("wait {}", PromDuration::new(*duration)),
        }
    }

    /// The alert the check is about, if any.
    pub fn alert(&self) -> Option<&str> {
        match self {
            Check::AlertPending(a)
            | Check::AlertFiring(a)
            | Check::AlertInAlertmanager(a)
            | Check::AlertDelivered(a)
            | Check::AlertResolved(a) => Some(a),
            _ => None,
        }
    }

    /// The component the check needs; when it was left out, the check is skipped.
    pub fn needs(&self) -> ComponentKind {
        match self {
            Check::AppReachable | Check::SendTraffic(_) => ComponentKind::App,
            Check::SlackFails(_) => ComponentKind::Alertmanager,
            Check::GrafanaDatasource | Check::GrafanaQuery(_) => ComponentKind::Grafana,
            Check::AlertInAlertmanager(_) | Check::AlertDelivered(_) | Check::AlertResolved(_) => {
                ComponentKind::Alertmanager
            }
            _ => ComponentKind::Prometheus,
        }
    }

    /// The deadline, given the alert's scaled `for` where it matters (a wait's own scaled
    /// duration for [`Check::Wait`]).
    pub fn deadline(&self, deadlines: &Deadlines, for_: Duration) -> Duration {
        match self {
            Check::AppReachable => deadlines.app_reachable(),
            // It waits for Prometheus's first scrape before its first request.
            Check::SendTraffic(_) => deadlines.scraped(),
            Check::TargetsUp | Check::MetricValue(_) => deadlines.scraped(),
            Check::RulesHealthy => deadlines.rules_evaluated(),
            Check::AlertPending(_) => deadlines.pending(),
            Check::AlertFiring(_) => deadlines.firing(for_),
            Check::AlertInAlertmanager(_) => deadlines.in_alertmanager(),
            Check::AlertDelivered(_) => deadlines.delivered(),
            Check::AlertResolved(_) => deadlines.stops_firing() + deadlines.resolved_delivered(),
            Check::GrafanaDatasource | Check::GrafanaQuery(_) => deadlines.grafana(),
            // The backend's own: a stop's grace, a restart's wait until it answers.
            Check::Fault(..) => FAULT_DEADLINE,
            Check::SlackFails(_) => deadlines.app_reachable(),
            Check::Wait(_) => for_ + deadlines.margin,
        }
    }
}

/// How long a fault may take: a graceful stop's grace (10 s) and a kill after it, or a
/// restart until the component answers (30 s).
const FAULT_DEADLINE: Duration = Duration::from_secs(45);
