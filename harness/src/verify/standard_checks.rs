//! The checks `firedrill verify` runs, in order.

use crate::checks::{Check, Expectations};

/// App reachable, traffic, rules healthy, every expected alert pending, targets up, the
/// metric's value; for every expected alert firing, in Alertmanager, delivered (and resolved
/// where expected); then
/// Grafana's datasource and a query through it.
pub fn standard_checks(expectations: &Expectations) -> Vec<Check> {
    let mut checks = vec![
        Check::AppReachable,
        Check::SendTraffic(expectations.traffic.clone()),
        Check::RulesHealthy,
    ];
    // Pending comes first: it is only observable for `for`, while scraping starts only
    // once Prometheus's discovery hands the targets on (5 s).
    for alert in &expectations.alerts {
        checks.push(Check::AlertPending(alert.clone()));
    }
    checks.push(Check::TargetsUp);
    if let Some(metric) = &expectations.metric {
        checks.push(Check::MetricValue(metric.clone()));
    }
    for alert in &expectations.alerts {
        checks.push(Check::AlertFiring(alert.clone()));
        checks.push(Check::AlertInAlertmanager(alert.clone()));
        checks.push(Check::AlertDelivered(alert.clone()));
        if expectations.resolved.contains(alert) {
            checks.push(Check::AlertResolved(alert.clone()));
        }
    }
    checks.push(Check::GrafanaDatasource);
    let expr = match &expectations.metric {
        Some(metric) => format!("sum({})", metric.name),
        None => "sum(up)".to_string(),
    };
    checks.push(Check::GrafanaQuery(expr));
    checks
}
