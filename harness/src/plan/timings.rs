//! The stack's effective timings, from which every check's deadline derives.

use std::time::Duration;

use crate::spec::StackSpec;
use crate::time::PromDuration;

/// Scaled timings of the stack (serialized in milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Timings {
    /// Prometheus's global scrape interval.
    #[serde(serialize_with = "millis")]
    pub scrape_interval: Duration,
    /// Prometheus's global evaluation interval.
    #[serde(serialize_with = "millis")]
    pub evaluation_interval: Duration,
    /// The longest rule group interval (a group may set its own).
    #[serde(serialize_with = "millis")]
    pub longest_group_interval: Duration,
    /// The longest `for` of any alerting rule.
    #[serde(serialize_with = "millis")]
    pub longest_for: Duration,
    /// Alertmanager's root route `group_wait`.
    #[serde(serialize_with = "millis")]
    pub group_wait: Duration,
    /// Alertmanager's root route `group_interval`.
    #[serde(serialize_with = "millis")]
    pub group_interval: Duration,
}

impl Timings {
    /// Prometheus hands new targets (scrape targets and Alertmanagers alike) on at most
    /// every 5 s, whatever the configuration says: no alert reaches Alertmanager sooner.
    pub const DISCOVERY_FLOOR: Duration = Duration::from_secs(5);

    /// The timings of `spec` divided by `scale`.
    pub fn of(spec: &StackSpec, scale: f64) -> Self {
        let s = |d: PromDuration| d.scaled_down(scale).get();
        let prometheus = spec.prometheus();
        let alertmanager = spec.alertmanager();
        let evaluation_interval = s(prometheus.evaluation_interval);
        let longest_group_interval = prometheus
            .rule_files
            .iter()
            .flat_map(|f| &f.groups)
            .map(|g| g.interval.map(s).unwrap_or(evaluation_interval))
            .max()
            .unwrap_or(evaluation_interval);
        let longest_for = prometheus
            .alert_rules()
            .map(|(_, r)| s(r.for_))
            .max()
            .unwrap_or_default();
        Self {
            scrape_interval: s(prometheus.scrape_interval),
            evaluation_interval,
            longest_group_interval,
            longest_for,
            group_wait: s(alertmanager.group_wait),
            group_interval: s(alertmanager.group_interval),
        }
    }

    /// The longest rule-evaluation tick of any group: it bounds when each rule is evaluated.
    pub fn tick(&self) -> Duration {
        self.longest_group_interval.max(self.evaluation_interval)
    }
}

impl super::StackPlan {
    /// The scaled `for` of an alerting rule (the longest, if several rules share the name;
    /// zero for an alert no rule defines).
    pub fn alert_for(&self, alert: &str) -> Duration {
        self.spec
            .prometheus()
            .alert_rules()
            .filter(|(_, r)| r.alert.as_deref() == Some(alert))
            .map(|(_, r)| r.for_.scaled_down(self.time_scale).get())
            .max()
            .unwrap_or_default()
    }

    /// The scaled evaluation interval of the first rule group holding `alert` (its own
    /// `interval`, else the global `evaluation_interval`).
    pub fn alert_group_interval(&self, alert: &str) -> Duration {
        let prometheus = self.spec.prometheus();
        prometheus
            .rule_files
            .iter()
            .flat_map(|f| &f.groups)
            .find(|g| g.rules.iter().any(|r| r.alert.as_deref() == Some(alert)))
            .and_then(|g| g.interval)
            .unwrap_or(prometheus.evaluation_interval)
            .scaled_down(self.time_scale)
            .get()
    }
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}
