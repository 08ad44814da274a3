//! What checks have seen of a stack's alerts, kept with the stack: a check that runs later,
//! in another [`crate::checks::Checker`], still knows an alert's labels and annotations after
//! Prometheus has stopped reporting it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clients::{AmAlert, AmAlertGroup, PromAlert};

/// Each alert as Prometheus last reported it while active, by alert name, and the
/// aggregation groups Alertmanager held.
#[derive(Debug, Default)]
pub(crate) struct SeenAlerts {
    alerts: Mutex<BTreeMap<String, PromAlert>>,
    groups: Mutex<Vec<SeenGroup>>,
}

/// An aggregation group as checks saw it in Alertmanager: its latest alerts, in
/// Alertmanager's order, then those it held earlier and no longer lists (resolved).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeenGroup {
    /// The receiver the group notifies.
    pub(crate) receiver: String,
    /// The group's labels.
    pub(crate) labels: BTreeMap<String, String>,
    /// The alerts Alertmanager lists now.
    pub(crate) current: Vec<AmAlert>,
    /// Alerts it listed earlier and no longer does.
    pub(crate) gone: Vec<AmAlert>,
    /// Every earlier version of each alert's annotations (a `{{ $value }}` in an annotation
    /// changes it while the alert fires; a message carries the version of its flush), by
    /// fingerprint, oldest first, at most [`VERSIONS_KEPT`] each.
    pub(crate) versions: BTreeMap<String, Vec<BTreeMap<String, String>>>,
    /// The fingerprints of its alerts ever seen muted (inhibited or silenced): whether such
    /// an alert is notified depends on where Alertmanager's timers fell while it was.
    pub(crate) muted: BTreeSet<String>,
}

/// How often [`AlertWatch`] reads Alertmanager's groups.
const WATCH_EVERY: Duration = Duration::from_millis(200);

/// Records Alertmanager's aggregation groups into a stack's [`SeenAlerts`] from the moment
/// the stack is ready, not only while a check polls: an alert that fires and resolves before
/// any check runs (a target down while the cluster starts its pods, say) may still travel in
/// the message of another alert's group, and the delivered check must know it. Stops when
/// dropped (with the stack), or with the runtime that started it.
#[derive(Debug)]
pub(crate) struct AlertWatch(Option<tokio::task::JoinHandle<()>>);

impl AlertWatch {
    /// Starts watching the Alertmanager at `base_url` on the current runtime.
    pub(crate) fn start(base_url: &str, seen: &Arc<SeenAlerts>) -> Self {
        Self::start_every(base_url, seen, WATCH_EVERY)
    }

    /// [`Self::start`], looking every `every` (a replay's annotations change every tick).
    pub(crate) fn start_every(base_url: &str, seen: &Arc<SeenAlerts>, every: Duration) -> Self {
        let client =
            crate::clients::AlertmanagerClient::new(base_url).with_timeout(Duration::from_secs(2));
        let seen = Arc::clone(seen);
        let task = tokio::spawn(async move {
            loop {
                if let Ok(groups) = client.alert_groups().await {
                    seen.record_groups(&groups);
                }
                tokio::time::sleep(every).await;
            }
        });
        Self(Some(task))
    }
}

impl Drop for AlertWatch {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// How many versions of an alert's annotations are kept.
pub(crate) const VERSIONS_KEPT: usize = 16;

impl SeenGroup {
    fn remember_muted(&mut self, alerts: &[AmAlert]) {
        for alert in alerts {
            if alert.status.state == crate::clients::AmAlertState::Suppressed {
                self.muted.insert(alert.fingerprint.clone());
            }
        }
    }

    /// Remembers the annotations of `alerts` as versions.
    fn remember_versions(&mut self, alerts: &[AmAlert]) {
        for alert in alerts {
            let versions = self.versions.entry(alert.fingerprint.clone()).or_default();
            if !versions.contains(&alert.annotations) {
                versions.push(alert.annotations.clone());
                if versions.len() > VERSIONS_KEPT {
                    versions.remove(0);
                }
            }
        }
    }
}

impl SeenAlerts {
    /// Remembers the alert as Prometheus reports it now.
    pub(crate) fn record(&self, alert: &PromAlert) {
        let Some(name) = alert.labels.get("alertname") else {
            return;
        };
        // A poisoned lock only means a check panicked mid-insert; the map is still usable.
        let mut seen = self.alerts.lock().unwrap_or_else(|p| p.into_inner());
        seen.insert(name.clone(), alert.clone());
    }

    /// Merges what Alertmanager lists now into the groups seen; returns them all.
    pub(crate) fn record_groups(&self, now: &[AmAlertGroup]) -> Vec<SeenGroup> {
        let mut seen = self.groups.lock().unwrap_or_else(|p| p.into_inner());
        for group in now {
            let existing = seen
                .iter_mut()
                .find(|g| g.receiver == group.receiver && g.labels == group.labels);
            match existing {
                Some(g) => {
                    let mut gone: Vec<AmAlert> = std::mem::take(&mut g.gone);
                    for old in std::mem::take(&mut g.current) {
                        if !group
                            .alerts
                            .iter()
                            .any(|a| a.fingerprint == old.fingerprint)
                        {
                            gone.retain(|a| a.fingerprint != old.fingerprint);
                            gone.push(old);
                        }
                    }
                    gone.retain(|a| !group.alerts.iter().any(|n| n.fingerprint == a.fingerprint));
                    g.gone = gone;
                    g.current = group.alerts.clone();
                    g.remember_versions(&group.alerts);
                    g.remember_muted(&group.alerts);
                }
                None => {
                    let mut g = SeenGroup {
                        receiver: group.receiver.clone(),
                        labels: group.labels.clone(),
                        current: group.alerts.clone(),
                        gone: Vec::new(),
                        versions: BTreeMap::new(),
                        muted: BTreeSet::new(),
                    };
                    g.remember_versions(&group.alerts);
                    g.remember_muted(&group.alerts);
                    seen.push(g);
                }
            }
        }
        // A group Alertmanager no longer lists: all its alerts are gone.
        for g in seen.iter_mut() {
            if !now
                .iter()
                .any(|n| n.receiver == g.receiver && n.labels == g.labels)
            {
                let current = std::mem::take(&mut g.current);
                g.gone
                    .retain(|a| !current.iter().any(|c| c.fingerprint == a.fingerprint));
                g.gone.extend(current);
            }
        }
        seen.clone()
    }

    /// The groups seen so far.
    pub(crate) fn groups(&self) -> Vec<SeenGroup> {
        self.groups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The alert as last seen active, if any check saw it.
    pub(crate) fn get(&self, name: &str) -> Option<PromAlert> {
        let seen = self.alerts.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str, summary: &str) -> PromAlert {
        serde_json::from_value(serde_json::json!({
            "labels": {"alertname": name, "severity": "info"},
            "annotations": {"summary": summary},
            "state": "firing",
            "activeAt": "2026-11-24T22:15:12.786Z",
            "value": "1e+00"
        }))
        .expect("a documented alert")
    }

    #[test]
    fn the_last_report_of_an_alert_is_kept_by_name() {
        let seen = SeenAlerts::default();
        seen.record(&alert("HelloTrafficBurst", "first"));
        seen.record(&alert("HelloTrafficBurst", "second"));
        seen.record(&alert("DeadMansSwitch", "always"));
        let got = seen.get("HelloTrafficBurst").expect("recorded");
        assert_eq!(
            got.annotations.get("summary").map(String::as_str),
            Some("second")
        );
        assert!(seen.get("Unseen").is_none());
    }

    fn am(name: &str, fingerprint: &str) -> AmAlert {
        serde_json::from_value(serde_json::json!({
            "labels": {"alertname": name},
            "fingerprint": fingerprint,
            "status": {"state": "active"},
            "receivers": [{"name": "slack"}]
        }))
        .expect("an alert as alertmanager lists it")
    }

    fn group(alerts: Vec<AmAlert>) -> AmAlertGroup {
        AmAlertGroup {
            labels: BTreeMap::new(),
            receiver: "slack".into(),
            alerts,
        }
    }

    #[test]
    fn an_alert_alertmanager_no_longer_lists_is_kept_as_gone_until_it_returns() {
        let seen = SeenAlerts::default();
        seen.record_groups(&[group(vec![am("A", "1"), am("B", "2")])]);
        let groups = seen.record_groups(&[group(vec![am("B", "2")])]);
        let names = |alerts: &[AmAlert]| -> Vec<String> {
            alerts
                .iter()
                .filter_map(|a| a.name().map(str::to_string))
                .collect()
        };
        assert_eq!(names(&groups[0].current), vec!["B"]);
        assert_eq!(names(&groups[0].gone), vec!["A"]);
        let groups = seen.record_groups(&[]);
        assert!(groups[0].current.is_empty());
        assert_eq!(names(&groups[0].gone), vec!["A", "B"]);
        let groups = seen.record_groups(&[group(vec![am("A", "1")])]);
        assert_eq!(names(&groups[0].current), vec!["A"]);
        assert_eq!(names(&groups[0].gone), vec!["B"]);
    }
}
