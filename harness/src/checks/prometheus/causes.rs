//! The causes Prometheus can tell: a target down and what its error means, a metric that
//! never existed, a rule that cannot match, no Alertmanager to send to, sending failing, an
//! alert dropped by `alert_relabel_configs`.

use crate::checks::cause::{Cause, ScrapeFailure};
use crate::checks::checker::Checker;
use crate::error::suggest::nearest;

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
        if let Some(missing) = self.missing_metric_cause(&rule.expr).await {
            return Some(Cause::ExpressionCannotMatch {
                alert: alert.to_string(),
                expr: rule.expr.clone(),
                missing: Box::new(missing),
            });
        }
        let now = self.prometheus.query(&rule.expr).await.ok()?;
        now.is_empty().then(|| Cause::ExpressionEmpty {
            alert: alert.to_string(),
            expr: rule.expr.clone(),
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

/// The metric names a PromQL expression selects: identifiers outside strings, label
/// matchers and ranges that are no function, aggregation or keyword (a hint for a message,
/// not a parser).
fn metric_names(expr: &str) -> Vec<String> {
    const KEYWORDS: [&str; 13] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "inf",
        "nan",
    ];
    // Aggregations can be followed by `by (...)` instead of their parenthesis.
    const AGGREGATIONS: [&str; 12] = [
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    let mut skip_list = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while i < chars.len() && chars[i] != close {
                    i += 1;
                }
                i += 1;
            }
            '(' if skip_list => {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
                skip_list = false;
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let next = chars[i..].iter().find(|c| !c.is_whitespace());
                let lower = word.to_ascii_lowercase();
                if KEYWORDS.contains(&lower.as_str()) {
                    skip_list = matches!(
                        lower.as_str(),
                        "by" | "without" | "on" | "ignoring" | "group_left" | "group_right"
                    );
                } else if next != Some(&'(')
                    && !AGGREGATIONS.contains(&lower.as_str())
                    && !names.contains(&word)
                {
                    names.push(word);
                }
            }
            c if c.is_ascii_digit() => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_of_an_expression_are_its_selectors() {
        assert_eq!(
            metric_names("sum by (job) (rate(api_requests_total{code=~\"5..\"}[5m])) > 0.1"),
            vec!["api_requests_total"]
        );
        assert_eq!(
            metric_names("a:b:rate5m / on(instance) group_left up offset 5m"),
            vec!["a:b:rate5m", "up"]
        );
        assert!(metric_names("vector(1)").is_empty());
    }

    #[test]
    fn a_metric_is_summed_over_its_series_in_an_exposition() {
        let text = "# HELP x\nprometheus_notifications_errors_total{alertmanager=\"a\"} 2\nprometheus_notifications_errors_total{alertmanager=\"b\"} 1\nprometheus_notifications_errors_total_other 9\n";
        assert_eq!(
            metric_sum(text, "prometheus_notifications_errors_total"),
            3.0
        );
    }
}
