//! The cause of a failed check, in one line, for the common breakages: asked of the
//! components (their APIs, their own metrics and logs), never guessed from the symptom.
//! A check's own reason says what did not happen; the cause says why.

use super::check::Check;
use super::checker::Checker;
use crate::clients::Target;
use crate::error::suggest::nearest;

/// Log lines searched for a component's own account of a failure.
const LOG_LINES_SEARCHED: usize = 400;

impl Checker<'_> {
    /// Why `check` failed, when a known breakage explains it.
    pub(crate) async fn cause_of(&self, check: &Check) -> Option<String> {
        let cause = match check {
            Check::TargetsUp => self.scrape_cause().await,
            Check::MetricValue(m) => match self.scrape_cause().await {
                Some(cause) => Some(cause),
                None => self.missing_metric_cause(&m.name).await,
            },
            Check::AlertPending(alert) | Check::AlertFiring(alert) => self.rule_cause(alert).await,
            Check::AlertInAlertmanager(alert) => self.notifier_cause(alert).await,
            Check::AlertDelivered(_) | Check::AlertResolved(_) => self.delivery_cause().await,
            _ => None,
        }?;
        Some(self.stack.plan().spec.redact(&cause))
    }

    /// A target that is down, with what its error means.
    async fn scrape_cause(&self) -> Option<String> {
        let targets = self.prometheus.targets().await.ok()?;
        if targets.is_empty() {
            return Some(
                "prometheus discovered no scrape target: scrape_configs give none it can use"
                    .into(),
            );
        }
        targets
            .iter()
            .find(|t| t.health != "up" && !t.last_error.is_empty())
            .map(explain_target)
    }

    /// A metric no scraped target exposes, with the nearest one that exists.
    async fn missing_metric_cause(&self, expr: &str) -> Option<String> {
        let names = self.prometheus.metric_names().await.ok()?;
        let missing: Vec<String> = metric_names(expr)
            .into_iter()
            .filter(|m| !names.contains(m))
            .collect();
        let first = missing.first()?;
        Some(format!(
            "metric `{first}` never existed in prometheus{}",
            nearest(first, names.iter().map(String::as_str))
                .map(|n| format!(" (nearest that does: `{n}`)"))
                .unwrap_or_default()
        ))
    }

    /// Why a rule's alert is not active: its expression's metrics never existed, or it
    /// returns nothing.
    async fn rule_cause(&self, alert: &str) -> Option<String> {
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
            return Some(format!(
                "the expression of {alert} (`{}`) can never match: {missing}",
                rule.expr.trim()
            ));
        }
        let now = self.prometheus.query(&rule.expr).await.ok()?;
        now.is_empty().then(|| {
            format!(
                "the expression of {alert} (`{}`) returns no series: its metrics exist but no \
                 value makes it true",
                rule.expr.trim()
            )
        })
    }

    /// Why a firing alert is not in Alertmanager: Prometheus has no Alertmanager, fails to
    /// send to it, or drops the alert by relabelling.
    async fn notifier_cause(&self, alert: &str) -> Option<String> {
        let active = self.prometheus.alertmanagers().await.ok()?;
        if active.is_empty() {
            return Some(
                "prometheus has no alertmanager to send alerts to: alerting.alertmanagers \
                 gives none it can use"
                    .into(),
            );
        }
        let metrics = self.prometheus.own_metrics().await.ok()?;
        let errors = metric_sum(&metrics, "prometheus_notifications_errors_total");
        if errors > 0.0 {
            let said = self
                .log_mention(
                    "prometheus",
                    &["Error sending alert", "Error sending alerts"],
                )
                .await
                .map(|line| format!("; its log: {line}"))
                .unwrap_or_default();
            return Some(format!(
                "prometheus fails to send alerts to alertmanager at {} ({errors} errors in \
                 prometheus_notifications_errors_total: wrong port or path_prefix?){said}",
                active.join(", ")
            ));
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
        (relabels && firing).then(|| {
            format!(
                "{alert} fires in prometheus and prometheus sends to alertmanager without \
                 error, but alertmanager never receives it: alerting.alert_relabel_configs \
                 drops it"
            )
        })
    }

    /// Why Slack got no matching message: Alertmanager failed to notify.
    async fn delivery_cause(&self) -> Option<String> {
        let metrics = self.alertmanager.own_metrics().await.ok()?;
        let failed = metric_sum(&metrics, "alertmanager_notifications_failed_total");
        if failed == 0.0 {
            return None;
        }
        let said = self
            .log_mention(
                "alertmanager",
                &["Notify for alerts failed", "notify retry canceled"],
            )
            .await
            .map(|line| format!(": {line}"))
            .unwrap_or_default();
        Some(format!(
            "alertmanager failed to send {failed} notification(s) \
             (alertmanager_notifications_failed_total){said}"
        ))
    }

    /// The last line of the component's log that holds one of `needles`, shortened to its
    /// `err=` part where it has one.
    async fn log_mention(&self, component: &str, needles: &[&str]) -> Option<String> {
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
}

/// What a down target's `lastError` means, in one line.
fn explain_target(target: &Target) -> String {
    let error = target.last_error.as_str();
    let url = &target.scrape_url;
    let meaning = if error.contains("HTTP status 404") {
        "it answers 404: nothing is served at this metrics_path".to_string()
    } else if error.contains("HTTP response to HTTPS client")
        || error.contains("first record does not look like a TLS handshake")
    {
        "scheme https against a plain-HTTP endpoint (the scrape config's scheme)".to_string()
    } else if error.contains("connection refused") {
        "nothing listens there: the port is no port the app serves on (the Service's port / \
         targetPort, or the container's port)"
            .to_string()
    } else if error.contains("no such host") {
        "its host name does not resolve: no Service of that name".to_string()
    } else if error.contains("context deadline exceeded") {
        "it does not answer within scrape_timeout".to_string()
    } else if error.contains("HTTP status") {
        format!(
            "it answers {}",
            error.trim_start_matches("server returned ")
        )
    } else {
        format!("it is down: {error}")
    };
    format!(
        "scrape target {url} (job {}) is down: {meaning}",
        target.scrape_pool
    )
}

/// The sum of every series of `name` in a text exposition.
fn metric_sum(exposition: &str, name: &str) -> f64 {
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

    fn target(error: &str) -> Target {
        serde_json::from_value(serde_json::json!({
            "scrapePool": "echo",
            "scrapeUrl": "http://127.0.0.1:4000/metric",
            "health": "down",
            "lastError": error,
            "labels": {}
        }))
        .expect("a target as prometheus lists it")
    }

    #[test]
    fn a_down_target_is_explained_by_its_error() {
        for (error, meaning) in [
            (
                "server returned HTTP status 404 Not Found",
                "nothing is served at this metrics_path",
            ),
            (
                "Get \"https://x\": http: server gave HTTP response to HTTPS client",
                "scheme https",
            ),
            (
                "dial tcp 127.0.0.1:4000: connect: connection refused",
                "nothing listens there",
            ),
            (
                "dial tcp: lookup echo-svc: no such host",
                "does not resolve",
            ),
        ] {
            let line = explain_target(&target(error));
            assert!(line.contains(meaning), "{error}: {line}");
            assert!(line.starts_with("scrape target http://127.0.0.1:4000/metric (job echo)"));
        }
    }

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
