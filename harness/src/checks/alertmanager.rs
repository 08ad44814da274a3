//! Checks against Alertmanager: the alert is active and routed to its receiver.

use std::time::Duration;

use super::checker::Checker;
use super::poll::{poll, Look};
use super::route::receiver_for;
use super::time::parse_timestamp;

impl Checker<'_> {
    pub(crate) async fn alert_in_alertmanager(
        &mut self,
        alert: &str,
        deadline: Duration,
    ) -> Result<String, String> {
        let alertmanager = self.alertmanager.clone();
        let route = self
            .stack
            .plan()
            .spec
            .alertmanager()
            .config
            .get("route")
            .cloned()
            .unwrap_or_default();
        let found = poll(deadline, || {
            let alertmanager = alertmanager.clone();
            async move {
                match alertmanager.alerts().await {
                    Err(e) => Look::NotYet(e.to_string()),
                    Ok(alerts) => match alerts
                        .into_iter()
                        .find(|a| a.labels.get("alertname").map(String::as_str) == Some(alert))
                    {
                        Some(a) if a.status.state == crate::clients::AmAlertState::Active => {
                            Look::Ready(a)
                        }
                        Some(a) => {
                            Look::NotYet(format!("{alert} is {} in alertmanager", a.status.state))
                        }
                        None => Look::NotYet(format!("{alert} not in alertmanager yet")),
                    },
                }
            }
        })
        .await
        .map_err(|e| e.to_string())?;

        let expected = receiver_for(&route, &found.labels, None);
        if let Some(expected) = &expected {
            if !found.receivers.contains(expected) {
                return Err(format!(
                    "routed to {:?}, expected receiver {expected}",
                    found.receivers
                ));
            }
        }
        // Prometheus sends the time the alert fired as startsAt; it must be at least `for`
        // after the alert became active.
        let for_ = self.for_of(alert);
        let active_at = self
            .prometheus
            .alerts()
            .await
            .ok()
            .and_then(|alerts| {
                alerts
                    .into_iter()
                    .find(|a| a.labels.get("alertname").map(String::as_str) == Some(alert))
            })
            .and_then(|a| a.active_at.as_deref().and_then(parse_timestamp));
        let starts_at = parse_timestamp(&found.starts_at);
        let timing = match (active_at, starts_at) {
            (Some(active), Some(starts)) => {
                let fired_after = starts.duration_since(active).unwrap_or_default();
                if fired_after + Duration::from_millis(5) < for_ {
                    return Err(format!(
                        "alertmanager's startsAt is {fired_after:?} after prometheus's activeAt, before the for of {for_:?}"
                    ));
                }
                format!(", fired {fired_after:.1?} after becoming active (for {for_:?})")
            }
            _ => String::new(),
        };
        Ok(format!(
            "active, receivers {}{timing}",
            found.receivers.join(", ")
        ))
    }
}
