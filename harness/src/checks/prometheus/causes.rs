//! The causes Prometheus can tell: a target down and what its error means, a metric that
//! never existed, a rule that cannot match, no Alertmanager to send to, sending failing, an
//! alert dropped by `alert_relabel_configs`.

use crate::checks::cause::{Cause, ScrapeFailure};
use crate::checks::checker::Checker;
use crate::error::suggest::nearest;
use crate::plan::promql::{metric_names, scale_expr, selectors};

impl Checker<'_> {
    /// A target that is down, with what its error means.
    pub(crate) async fn scrape_cause(&self) -> Option<Cause> {
        let targets = self.prometheus.targets().await.ok()?;
        if targets.is_empty() {
            return Some(Cause::NoScrapeTargets);
        }
        targets
            .iter()
            .find(|t| t.health != "up" && !t.last_error.is_empty())
            .map(|t| Cause::TargetDown {
                url: t.scrape_url.clone(),
                job: t.scrape_pool.clone(),
                failure: ScrapeFailure::of(&t.last_error),
            })
    }

    /// A metric no scraped target exposes, with the nearest one that exists.
    pub(crate) async fn missing_metric_cause(&self, expr: &str) -> Option<Cause> {
        let names = self.prometheus.metric_names().await.ok()?;
        let missing = metric_names(expr)
            .into_iter()
            .find(|m| !names.contains(m))?;
        Some(Cause::MetricNeverExisted {
            nearest: nearest(&missing, names.iter().map(String::as_str)).map(str::to_string),
            metric: missing,
        })
    }

    /// Why a rule's alert is not active: its expression's metrics never existed, or it
    /// returns nothing.
    pub(crate) async fn rule_cause(&self, alert: &str) -> Option<Cause> {
        let plan = self.stack.plan();
        let (_, rule) = plan
            .spec
            .prometheus()
            .alert_rules()
            .find(|(_, r)| r.alert.as_deref() == Some(alert))?;
        let active = self
            .prometheus
            .alerts()
            .await
            .ok()?
            .iter()
            .any(|a| a.name() == Some(alert));
        if active {
            return None;
        }
        if plan.startup_gate
            && self.session.rules_started().is_none()
            && crate::plan::promql::reads_series(&rule.expr)
        {
            return Some(Cause::RulesNotStarted {
                alert: alert.to_string(),
            });
        }
        if let Some(missing) = self.missing_metric_cause(&rule.expr).await {
            return Some(Cause::ExpressionCannotMatch {
                alert: alert.to_string(),
                expr: rule.expr.clone(),
                missing: Box::new(missing),
            });
        }
        // Asked as it runs: with its ranges in scenario time (the rule file's expression).
        let running = scale_expr(&rule.expr, plan.time_scale)
            .map(|scaled| scaled.expr)
            .unwrap_or_else(|_| rule.expr.clone());
        let now = self.prometheus.query(&running).await.ok()?;
        if !now.is_empty() {
            return None;
        }
        // Which of its selectors finds nothing, asked one by one (pint's question).
        let mut empty_selector = None;
        for selector in selectors(&rule.expr) {
            if self
                .prometheus
                .query(&selector)
                .await
                .is_ok_and(|found| found.is_empty())
            {
                empty_selector = Some(selector);
                break;
            }
        }
        Some(Cause::ExpressionEmpty {
            alert: alert.to_string(),
            expr: rule.expr.clone(),
            empty_selector,
        })
    }

    /// Why a firing alert is not in Alertmanager: Prometheus has no Alertmanager, fails to
    /// send to it, or drops the alert by relabelling.
    pub(crate) async fn notifier_cause(&self, alert: &str) -> Option<Cause> {
        let active = self.prometheus.alertmanagers().await.ok()?;
        if active.is_empty() {
            return Some(Cause::NoAlertmanager);
        }
        let metrics = self.prometheus.own_metrics().await.ok()?;
        let errors = metric_sum(&metrics, "prometheus_notifications_errors_total");
        if errors > 0.0 {
            let log = self
                .log_mention(
                    "prometheus",
                    &["Error sending alert", "Error sending alerts"],
                )
                .await;
            return Some(Cause::SendingFails {
                alertmanagers: active,
                errors,
                log,
            });
        }
        let relabels = self
            .stack
            .plan()
            .spec
            .prometheus()
            .config
            .get("alerting")
            .and_then(|a| a.get("alert_relabel_configs"))
            .and_then(serde_yaml::Value::as_sequence)
            .is_some_and(|s| !s.is_empty());
        let firing = self
            .prometheus
            .alerts()
            .await
            .ok()?
            .iter()
            .any(|a| a.name() == Some(alert) && a.state == crate::clients::AlertState::Firing);
        (relabels && firing).then(|| Cause::DroppedByRelabelling {
            alert: alert.to_string(),
        })
    }
}

/// The sum of every series of `name` in a text exposition.
pub(crate) fn metric_sum(exposition: &str, name: &str) -> f64 {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_is_summed_over_its_series_in_an_exposition() {
        let text = "# HELP x\nprometheus_notifications_errors_total{alertmanager=\"a\"} 2\nprometheus_notifications_errors_total{alertmanager=\"b\"} 1\nprometheus_notifications_errors_total_other 9\n";
        assert_eq!(
            metric_sum(text, "prometheus_notifications_errors_total"),
            3.0
        );
    }
}
