//! Checks against Prometheus: targets, metric values, rule health, alert states.

use std::time::{Duration, SystemTime};

use super::checker::Checker;
use super::expectations::MetricExpectation;
use super::poll::{poll, Look};
use super::time::parse_timestamp;

impl Checker<'_> {
    pub(crate) async fn targets_up(&mut self, deadline: Duration) -> Result<String, String> {
        let prometheus = self.prometheus.clone();
        poll(deadline, || {
            let prometheus = prometheus.clone();
            async move {
                let targets = match prometheus.targets().await {
                    Ok(targets) => targets,
                    Err(e) => return Look::NotYet(e.to_string()),
                };
                if targets.is_empty() {
                    return Look::NotYet("no targets discovered yet".into());
                }
                let not_up: Vec<String> = targets
                    .iter()
                    .filter(|t| t.health != "up")
                    .map(|t| {
                        format!(
                            "{} {} is {} {}",
                            t.scrape_pool, t.scrape_url, t.health, t.last_error
                        )
                    })
                    .collect();
                if not_up.is_empty() {
                    Look::Ready(
                        targets
                            .iter()
                            .map(|t| format!("{} {}", t.scrape_pool, t.scrape_url))
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                } else {
                    Look::NotYet(not_up.join("; "))
                }
            }
        })
        .await
        .map(|targets| format!("up: {targets}"))
        .map_err(|e| e.to_string())
    }

    pub(crate) async fn metric_value(
        &mut self,
        metric: &MetricExpectation,
        deadline: Duration,
    ) -> Result<String, String> {
        let prometheus = self.prometheus.clone();
        let expr = format!("sum({})", metric.name);
        poll(deadline, || {
            let prometheus = prometheus.clone();
            let expr = expr.clone();
            async move {
                match prometheus.query(&expr).await {
                    Err(e) => Look::NotYet(e.to_string()),
                    Ok(samples) => match samples.first() {
                        None => Look::NotYet(format!("`{expr}` returned no sample yet")),
                        Some(s) if s.value == metric.value => Look::Ready(s.value),
                        Some(s) => Look::NotYet(format!(
                            "`{expr}` = {} (expected {})",
                            s.value, metric.value
                        )),
                    },
                }
            }
        })
        .await
        .map(|value| format!("`{expr}` = {value}"))
        .map_err(|e| e.to_string())
    }

    pub(crate) async fn rules_healthy(&mut self, deadline: Duration) -> Result<String, String> {
        let prometheus = self.prometheus.clone();
        let expected = self
            .stack
            .plan()
            .spec
            .prometheus()
            .rule_files
            .iter()
            .flat_map(|f| &f.groups)
            .map(|g| g.rules.len())
            .sum::<usize>();
        poll(deadline, || {
            let prometheus = prometheus.clone();
            async move {
                let groups = match prometheus.rules().await {
                    Ok(groups) => groups,
                    Err(e) => return Look::NotYet(e.to_string()),
                };
                let rules: Vec<_> = groups.iter().flat_map(|g| &g.rules).collect();
                if rules.len() < expected {
                    return Look::NotYet(format!("{} of {expected} rules loaded", rules.len()));
                }
                if let Some(bad) = rules.iter().find(|r| r.health == "err") {
                    return Look::Failed(format!(
                        "rule {} is in error: {}",
                        bad.name, bad.last_error
                    ));
                }
                let unknown: Vec<&str> = rules
                    .iter()
                    .filter(|r| r.health != "ok")
                    .map(|r| r.name.as_str())
                    .collect();
                if unknown.is_empty() {
                    Look::Ready(rules.len())
                } else {
                    Look::NotYet(format!("not evaluated yet: {}", unknown.join(", ")))
                }
            }
        })
        .await
        .map(|n| format!("{n} rules evaluated without error"))
        .map_err(|e| e.to_string())
    }

    /// The alert's state and `activeAt` in Prometheus, once it is in one of `states`. The
    /// alert is recorded with the stack, for checks that run after it resolved.
    async fn wait_alert_state(
        &self,
        alert: &str,
        states: &'static [&'static str],
        deadline: Duration,
    ) -> Result<(String, Option<SystemTime>), String> {
        let prometheus = self.prometheus.clone();
        let found = poll(deadline, || {
            let prometheus = prometheus.clone();
            async move {
                let alerts = match prometheus.alerts().await {
                    Ok(alerts) => alerts,
                    Err(e) => return Look::NotYet(e.to_string()),
                };
                let ours: Vec<_> = alerts
                    .iter()
                    .filter(|a| a.labels.get("alertname").map(String::as_str) == Some(alert))
                    .collect();
                match ours.iter().find(|a| states.contains(&a.state.as_str())) {
                    Some(a) => Look::Ready((*a).clone()),
                    None if ours.is_empty() => Look::NotYet(format!("{alert} is inactive")),
                    None => Look::NotYet(format!("{alert} is {}", ours[0].state)),
                }
            }
        })
        .await
        .map_err(|e| e.to_string())?;
        self.stack.seen_alerts.record(&found);
        Ok((
            found.state.as_str().to_string(),
            found.active_at.as_deref().and_then(parse_timestamp),
        ))
    }

    pub(crate) async fn alert_pending(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let for_ = self.for_of(alert);
        let (state, active_at) = self
            .wait_alert_state(alert, &["pending", "firing"], deadline)
            .await?;
        let since = active_at.map(ago).unwrap_or_default();
        if state == "pending" {
            Ok(format!("pending (active {since}, for {for_:?})"))
        } else if for_.is_zero() {
            Ok(format!("for is 0, so it fires at once (active {since})"))
        } else {
            Ok(format!(
                "already firing when first looked at (active {since}, for {for_:?})"
            ))
        }
    }

    pub(crate) async fn alert_firing(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let for_ = self.for_of(alert);
        let (_, active_at) = self.wait_alert_state(alert, &["firing"], deadline).await?;
        let seen = SystemTime::now();
        let active_at = active_at.ok_or("prometheus reported no activeAt for the firing alert")?;
        let active_for = seen.duration_since(active_at).unwrap_or_default();
        // The clock of the harness and Prometheus's are the same machine's (or a container's
        // of it): a firing alert active for less than its `for` fired too early.
        if active_for + Duration::from_millis(50) < for_ {
            return Err(format!(
                "firing after only {active_for:?} active, before its for of {for_:?}"
            ));
        }
        Ok(format!(
            "firing, active for {active_for:.1?} (for {for_:?})"
        ))
    }
}

fn ago(time: SystemTime) -> String {
    match SystemTime::now().duration_since(time) {
        Ok(d) => format!("{:.1} s ago", d.as_secs_f64()),
        Err(_) => "just now".to_string(),
    }
}
