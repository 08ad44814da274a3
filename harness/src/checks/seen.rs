//! What checks have seen of a stack's alerts, kept with the stack: a check that runs later,
//! in another [`super::Checker`], still knows an alert's labels and annotations after
//! Prometheus has stopped reporting it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::clients::PromAlert;

/// Each alert as Prometheus last reported it while active, by alert name.
#[derive(Debug, Default)]
pub(crate) struct SeenAlerts(Mutex<BTreeMap<String, PromAlert>>);

impl SeenAlerts {
    /// Remembers the alert as Prometheus reports it now.
    pub(crate) fn record(&self, alert: &PromAlert) {
        let Some(name) = alert.labels.get("alertname") else {
            return;
        };
        // A poisoned lock only means a check panicked mid-insert; the map is still usable.
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        seen.insert(name.clone(), alert.clone());
    }

    /// The alert as last seen active, if any check saw it.
    pub(crate) fn get(&self, name: &str) -> Option<PromAlert> {
        let seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
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
}
