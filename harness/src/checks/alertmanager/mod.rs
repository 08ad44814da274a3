//! Checks against Alertmanager: the alert is active there, not inhibited or silenced, and
//! routed to a receiver that notifies Slack. Which receiver is Alertmanager's own answer
//! (each alert's `receivers` in its API), never a prediction of the harness.

mod causes;
pub(crate) mod seen;

pub(crate) use seen::SeenGroup;

use std::time::Duration;

use serde_yaml::Value;

use crate::checks::checker::Checker;
use crate::checks::poll::{poll, Look};
use crate::clients::{AmAlert, AmAlertState, PromAlert};
use crate::spec::AlertmanagerSpec;
use crate::time::parse_timestamp;

impl Checker<'_> {
    pub(crate) async fn alert_in_alertmanager(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let alertmanager = self.alertmanager.clone();
        let seen = &self.session.seen_alerts;
        let found = poll(deadline, || {
            let alertmanager = alertmanager.clone();
            async move {
                // The groups as they are now: the delivered check needs the annotations
                // Alertmanager held when it flushed (they may change while firing).
                if let Ok(groups) = alertmanager.alert_groups().await {
                    seen.record_groups(&groups);
                }
                match alertmanager.alerts().await {
                    Err(e) => Look::NotYet(e.to_string()),
                    Ok(alerts) => match look_at(alert, &alerts) {
                        // Already gone (a short-lived alert in compressed time), but the
                        // session's watch saw it active in a group.
                        Look::NotYet(why) => seen_active(alert, &seen.groups())
                            .map_or(Look::NotYet(why), Look::Ready),
                        look => look,
                    },
                }
            }
        })
        .await
        .map_err(|e| e.to_string())?;

        let spec = self.stack.plan().spec.alertmanager();
        if let Some(cause) = without_slack(spec, alert, &found.receivers) {
            return Err(cause);
        }
        let timing = self.starts_at_after_for(alert, &found).await?;
        Ok(format!(
            "active, routed by alertmanager to {}{timing}",
            found.receivers.join(", ")
        ))
    }

    /// Prometheus sends the evaluation time at which the alert fired as `startsAt`: it must
    /// be at least `for` after the alert became active (`activeAt`), both Prometheus's
    /// timestamps.
    async fn starts_at_after_for(&self, alert: &str, found: &AmAlert) -> Result<String, String> {
        // Several rules may share an alert name (one per severity): the `for` and the
        // Prometheus alert are those whose labels the Alertmanager alert carries.
        let carried = |labels: &std::collections::BTreeMap<String, String>| {
            labels.iter().all(|(k, v)| found.labels.get(k) == Some(v))
        };
        let plan = self.stack.plan();
        let for_ = plan
            .spec
            .prometheus()
            .alert_rules()
            .filter(|(_, r)| r.alert.as_deref() == Some(alert) && carried(&r.labels))
            .map(|(_, r)| r.for_.scaled_down(plan.time_scale).get())
            .max()
            .unwrap_or_else(|| self.for_of(alert));
        let in_prometheus = self.prometheus.alerts().await.ok().and_then(|alerts| {
            let named = |a: &&PromAlert| a.name() == Some(alert);
            alerts
                .iter()
                .filter(named)
                .find(|a| carried(&a.labels))
                .or_else(|| alerts.iter().find(named))
                .cloned()
        });
        if let Some(a) = &in_prometheus {
            self.session.seen_alerts.record(a);
        }
        let remembered = in_prometheus
            .or_else(|| self.session.seen_alerts.get(alert))
            .and_then(|a| a.active_at.as_deref().and_then(parse_timestamp));
        let active_at = match remembered {
            Some(at) => Some(at),
            // Nothing to check: it fires at the evaluation it becomes active.
            None if for_.is_zero() => {
                return Ok("; for 0s (resolved in prometheus before it was looked at)".to_string())
            }
            // Resolved before any check saw it active (a short-lived alert in compressed
            // time): Prometheus's own record of its activeAt.
            None => self.recorded_active_at(alert, found).await,
        };
        let active_at = active_at.ok_or_else(|| {
            format!(
                "{alert} is in alertmanager but prometheus reports no activeAt for it, so \
                     its startsAt cannot be checked against its for"
            )
        })?;
        let starts_at = parse_timestamp(&found.starts_at)
            .ok_or_else(|| format!("alertmanager's startsAt {:?} is no time", found.starts_at))?;
        let fired_after = starts_at.duration_since(active_at).unwrap_or_default();
        // activeAt has nanoseconds, startsAt milliseconds.
        if fired_after + Duration::from_millis(1) < for_ {
            return Err(format!(
                "alertmanager's startsAt is {:.3} s after prometheus's activeAt, before the for \
                 of {:.3} s",
                fired_after.as_secs_f64(),
                for_.as_secs_f64()
            ));
        }
        Ok(format!(
            "; startsAt {:.2} s after activeAt (for {:.2} s)",
            fired_after.as_secs_f64(),
            for_.as_secs_f64()
        ))
    }
}

impl Checker<'_> {
    /// The `activeAt` Prometheus recorded for the alert Alertmanager holds: the latest value
    /// of its `ALERTS_FOR_STATE` series (written at every evaluation while it is active).
    async fn recorded_active_at(
        &self,
        alert: &str,
        found: &AmAlert,
    ) -> Option<std::time::SystemTime> {
        let lookback = self.stack.prometheus_started().elapsed().as_secs() + 60;
        let expr = format!("ALERTS_FOR_STATE{{alertname=\"{alert}\"}}[{lookback}s]");
        let series = self.prometheus.query_series(&expr).await.ok()?;
        series
            .iter()
            .filter(|s| {
                s.metric
                    .iter()
                    .filter(|(k, _)| k.as_str() != "__name__")
                    .all(|(k, v)| found.labels.get(k) == Some(v))
            })
            .filter_map(|s| s.points.last().map(|(_, v)| *v))
            .reduce(f64::max)
            .map(|secs| std::time::UNIX_EPOCH + Duration::from_secs_f64(secs))
    }
}

/// The alert as the session's watch last saw it active in one of Alertmanager's groups,
/// with every receiver such a group notifies.
fn seen_active(alert: &str, groups: &[seen::SeenGroup]) -> Option<AmAlert> {
    let mut found: Option<AmAlert> = None;
    for group in groups {
        let active = group
            .current
            .iter()
            .chain(&group.gone)
            .find(|a| a.name() == Some(alert) && a.status.state == AmAlertState::Active);
        if let Some(a) = active {
            let entry = found.get_or_insert_with(|| a.clone());
            if !entry.receivers.contains(&group.receiver) {
                entry.receivers.push(group.receiver.clone());
            }
        }
    }
    found
}

/// One look at Alertmanager's alerts for `alert`: active is ready; inhibited or silenced is
/// a failure naming what mutes it.
fn look_at(alert: &str, alerts: &[AmAlert]) -> Look<AmAlert> {
    // An active one first: another alert of the same name (another severity) may be muted.
    let named = || alerts.iter().filter(|a| a.name() == Some(alert));
    if let Some(active) = named().find(|a| a.status.state == AmAlertState::Active) {
        return Look::Ready(active.clone());
    }
    let Some(found) = named().next() else {
        return Look::NotYet(format!("{alert} not in alertmanager yet"));
    };
    match found.status.state {
        AmAlertState::Active => Look::Ready(found.clone()),
        AmAlertState::Suppressed if !found.status.inhibited_by.is_empty() => {
            let by: Vec<String> = found
                .status
                .inhibited_by
                .iter()
                .map(|fingerprint| {
                    alerts
                        .iter()
                        .find(|a| &a.fingerprint == fingerprint)
                        .and_then(AmAlert::name)
                        .map_or_else(|| fingerprint.clone(), str::to_string)
                })
                .collect();
            Look::Failed(format!(
                "{alert} is inhibited by {} (an inhibit_rules entry mutes it while that alert \
                 fires), so no notification is sent",
                by.join(", ")
            ))
        }
        AmAlertState::Suppressed if !found.status.silenced_by.is_empty() => Look::Failed(format!(
            "{alert} is silenced by silence {}, so no notification is sent",
            found.status.silenced_by.join(", ")
        )),
        state => Look::NotYet(format!("{alert} is {state} in alertmanager")),
    }
}

/// The cause, when none of the receivers Alertmanager routed the alert to has a Slack
/// integration: names each receiver and the routes that lead to it.
fn without_slack(spec: &AlertmanagerSpec, alert: &str, receivers: &[String]) -> Option<String> {
    if receivers
        .iter()
        .any(|r| spec.receiver(r).is_some_and(|r| !r.slack.is_empty()))
    {
        return None;
    }
    let route = spec.config.get("route").cloned().unwrap_or_default();
    let named: Vec<String> = receivers
        .iter()
        .map(|receiver| {
            let mut routes = Vec::new();
            routes_to(&route, "route", receiver, None, &mut routes);
            format!("`{receiver}` (via {})", routes.join(" or "))
        })
        .collect();
    Some(format!(
        "alertmanager routes {alert} to receiver {}, which has no slack_configs, so nothing \
         reaches Slack",
        named.join(" and ")
    ))
}

/// The paths of the routes in the tree whose (possibly inherited) receiver is `receiver`,
/// with their matchers, e.g. `route.routes[1] (matchers: alertname=~"Dead.*")`. This only
/// names routes for a message; which route matches is Alertmanager's answer.
fn routes_to(
    route: &Value,
    path: &str,
    receiver: &str,
    parent: Option<&str>,
    out: &mut Vec<String>,
) {
    let own = route.get("receiver").and_then(Value::as_str).or(parent);
    if own == Some(receiver) {
        let matchers = describe_matchers(route);
        out.push(if matchers.is_empty() {
            path.to_string()
        } else {
            format!("{path} ({matchers})")
        });
    }
    if let Some(children) = route.get("routes").and_then(Value::as_sequence) {
        for (i, child) in children.iter().enumerate() {
            routes_to(child, &format!("{path}.routes[{i}]"), receiver, own, out);
        }
    }
}

/// A route's matchers as written (`matchers`, `match`, `match_re`).
fn describe_matchers(route: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(matchers) = route.get("matchers").and_then(Value::as_sequence) {
        parts.extend(
            matchers
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
    }
    for (key, op) in [("match", "="), ("match_re", "=~")] {
        if let Some(map) = route.get(key).and_then(Value::as_mapping) {
            for (k, v) in map {
                if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                    parts.push(format!("{k}{op}{v:?}"));
                }
            }
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("matchers: {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn am_alert(name: &str, fingerprint: &str, status: serde_json::Value) -> AmAlert {
        serde_json::from_value(serde_json::json!({
            "labels": {"alertname": name},
            "annotations": {},
            "startsAt": "2026-11-25T12:50:53.329Z",
            "endsAt": "2026-11-25T12:51:53.329Z",
            "fingerprint": fingerprint,
            "status": status,
            "receivers": [{"name": "slack-notifications"}]
        }))
        .expect("an alert as alertmanager's API gives it")
    }

    #[test]
    fn an_inhibited_alert_fails_at_once_naming_the_alert_that_inhibits_it() {
        let alerts = [
            am_alert(
                "Warning",
                "aaa",
                serde_json::json!({"state": "suppressed", "inhibitedBy": ["bbb"], "silencedBy": []}),
            ),
            am_alert(
                "Critical",
                "bbb",
                serde_json::json!({"state": "active", "inhibitedBy": [], "silencedBy": []}),
            ),
        ];
        match look_at("Warning", &alerts) {
            Look::Failed(reason) => assert!(
                reason.starts_with("Warning is inhibited by Critical"),
                "{reason}"
            ),
            other => panic!("expected a failure, got {other:?}"),
        }
        assert!(matches!(look_at("Critical", &alerts), Look::Ready(_)));
        assert!(matches!(look_at("Absent", &alerts), Look::NotYet(_)));
    }

    #[test]
    fn a_silenced_alert_fails_naming_the_silence() {
        let alerts = [am_alert(
            "Warning",
            "aaa",
            serde_json::json!({"state": "suppressed", "inhibitedBy": [], "silencedBy": ["s-1"]}),
        )];
        match look_at("Warning", &alerts) {
            Look::Failed(reason) => assert!(reason.contains("silence s-1"), "{reason}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn the_routes_to_a_receiver_are_named_with_their_matchers() {
        let route: Value = serde_yaml::from_str(
            "receiver: slack\nroutes:\n- matchers: ['alertname=~\"Dead.*\"']\n  receiver: blackhole\n- match: {team: ops}\n  routes:\n  - match_re: {severity: 'warn.*'}\n    receiver: blackhole\n",
        )
        .unwrap();
        let mut out = Vec::new();
        routes_to(&route, "route", "blackhole", None, &mut out);
        assert_eq!(
            out,
            vec![
                r#"route.routes[0] (matchers: alertname=~"Dead.*")"#,
                r#"route.routes[1].routes[0] (matchers: severity=~"warn.*")"#,
            ]
        );
    }
}
