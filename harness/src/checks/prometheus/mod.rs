//! Checks against Prometheus: targets, metric values, rule health, alert states, and the
//! causes Prometheus can tell.

pub(crate) mod causes;
mod metric;
mod timing;

pub(crate) use causes::metric_sum;

use std::time::{Duration, Instant};

use self::timing::{judge_firing, judge_pending, AlertHistory};
use crate::checks::checker::Checker;
use crate::checks::poll::{poll, Look};
use crate::clients::{AlertState, PromAlert};

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

    /// The alert as Prometheus reports it, once it is in one of `states`. The alert is
    /// recorded with the stack, for checks that run after it resolved.
    async fn wait_alert_state(
        &self,
        alert: &str,
        states: &'static [AlertState],
        deadline: Duration,
    ) -> Result<PromAlert, String> {
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
                match ours.iter().find(|a| states.contains(&a.state)) {
                    Some(a) => Look::Ready((*a).clone()),
                    None if ours.is_empty() => Look::NotYet(format!("{alert} is inactive")),
                    None => Look::NotYet(format!("{alert} is {}", ours[0].state)),
                }
            }
        })
        .await
        .map_err(|e| e.to_string())?;
        self.session.seen_alerts.record(&found);
        Ok(found)
    }

    /// Polls the alert's `ALERTS` history until `judge` reaches a verdict (it returns
    /// `Ok(None)` while the samples it needs are not written yet).
    async fn judge_history(
        &self,
        found: &PromAlert,
        deadline: Duration,
        judge: impl Fn(&AlertHistory) -> Result<Option<String>, String>,
    ) -> Result<String, String> {
        let alert = found.name().unwrap_or_default();
        let expr = self.alerts_history_expr(alert);
        let prometheus = self.prometheus.clone();
        poll(deadline, || {
            let prometheus = prometheus.clone();
            let expr = expr.clone();
            let judge = &judge;
            async move {
                let series = match prometheus.query_series(&expr).await {
                    Ok(series) => series,
                    Err(e) => return Look::NotYet(e.to_string()),
                };
                match AlertHistory::of(found, &series).and_then(|h| judge(&h)) {
                    Ok(Some(verdict)) => Look::Ready(verdict),
                    Ok(None) => Look::NotYet(format!("no firing sample in `{expr}` yet")),
                    Err(reason) => Look::Failed(reason),
                }
            }
        })
        .await
        .map_err(|e| e.to_string())
    }

    /// `ALERTS{alertname="..."}[...]`, reaching back to before Prometheus started.
    pub(crate) fn alerts_history_expr(&self, alert: &str) -> String {
        let lookback = self.stack.prometheus_started().elapsed().as_secs() + 60;
        format!("ALERTS{{alertname=\"{alert}\"}}[{lookback}s]")
    }

    pub(crate) async fn alert_pending(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let started = Instant::now();
        let for_ = self.for_of(alert);
        let found = self
            .wait_alert_state(alert, &[AlertState::Pending, AlertState::Firing], deadline)
            .await?;
        let state = found.state;
        let remaining = deadline.saturating_sub(started.elapsed());
        self.judge_history(&found, remaining, |history| {
            judge_pending(state, history, for_)
        })
        .await
    }

    pub(crate) async fn alert_firing(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let started = Instant::now();
        let for_ = self.for_of(alert);
        let found = self
            .wait_alert_state(alert, &[AlertState::Firing], deadline)
            .await?;
        let remaining = deadline.saturating_sub(started.elapsed());
        self.judge_history(&found, remaining, |history| judge_firing(history, for_))
            .await
    }
}
