//! What Prometheus's HTTP API reports about targets, rules and alerts.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::sample::value_from_string;

/// An active scrape target (`GET /api/v1/targets`, `activeTargets[]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Target {
    /// The scrape job (`scrapePool`).
    #[serde(rename = "scrapePool", default)]
    pub scrape_pool: String,
    /// The URL Prometheus scrapes (`scrapeUrl`).
    #[serde(rename = "scrapeUrl", default)]
    pub scrape_url: String,
    /// The scrape URL as seen from outside (`globalUrl`); empty on versions without it.
    #[serde(rename = "globalUrl", default)]
    pub global_url: String,
    /// `up`, `down` or `unknown`.
    pub health: String,
    /// The last scrape's error (`lastError`); empty when it succeeded.
    #[serde(rename = "lastError", default)]
    pub last_error: String,
    /// The labels after relabelling.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The labels service discovery found, before relabelling (`discoveredLabels`).
    #[serde(rename = "discoveredLabels", default)]
    pub discovered_labels: BTreeMap<String, String>,
}

impl Target {
    /// Whether the last scrape succeeded.
    pub fn is_up(&self) -> bool {
        self.health == "up"
    }
}

/// A rule group and its rules' state (`GET /api/v1/rules`, `groups[]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RuleGroupStatus {
    /// The group's name.
    pub name: String,
    /// The rule file it was loaded from.
    #[serde(default)]
    pub file: String,
    /// The rules, in file order.
    #[serde(default)]
    pub rules: Vec<RuleStatus>,
    /// The evaluation interval in seconds.
    #[serde(default)]
    pub interval: f64,
}

/// One rule's state.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RuleStatus {
    /// The alert name or the recorded series' name.
    pub name: String,
    /// The PromQL expression.
    pub query: String,
    /// Alerting or recording (`type`).
    #[serde(rename = "type")]
    pub kind: RuleKind,
    /// `ok`, `err` or `unknown`.
    #[serde(default)]
    pub health: String,
    /// The last evaluation's error (`lastError`); empty when it succeeded.
    #[serde(rename = "lastError", default)]
    pub last_error: String,
    /// An alerting rule's state; `None` for recording rules.
    #[serde(default)]
    pub state: Option<AlertState>,
    /// An alerting rule's `for`, in seconds; 0 for recording rules.
    #[serde(default)]
    pub duration: f64,
    /// The rule's labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// An alerting rule's annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// An alerting rule's active alerts.
    #[serde(default)]
    pub alerts: Vec<PromAlert>,
    /// When the rule was last evaluated, by the wall clock (`lastEvaluation`, RFC 3339;
    /// Prometheus 2.x before 2.17 does not say).
    #[serde(rename = "lastEvaluation", default)]
    pub last_evaluation: Option<String>,
}

impl RuleStatus {
    /// Whether the last evaluation succeeded.
    pub fn is_healthy(&self) -> bool {
        self.health == "ok"
    }
}

/// The kind of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// An alerting rule.
    Alerting,
    /// A recording rule.
    Recording,
}

/// The state of an alerting rule or of one of its alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The expression returns nothing.
    Inactive,
    /// The expression returns something, for less than `for`.
    Pending,
    /// The expression has returned something for at least `for`.
    Firing,
    /// A state this client does not know.
    #[serde(other)]
    Unknown,
}

/// An active alert as Prometheus sees it (`GET /api/v1/alerts` and rules' `alerts[]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PromAlert {
    /// The alert's labels (`alertname` included).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The alert's annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Pending or firing.
    pub state: AlertState,
    /// When the expression first returned this series (`activeAt`, RFC 3339).
    #[serde(rename = "activeAt", default)]
    pub active_at: Option<String>,
    /// The expression's value when last evaluated.
    #[serde(deserialize_with = "value_from_string")]
    pub value: f64,
}

impl PromAlert {
    /// The `alertname` label.
    pub fn name(&self) -> Option<&str> {
        self.labels.get("alertname").map(String::as_str)
    }
}

impl AlertState {
    /// As Prometheus writes it: `inactive`, `pending`, `firing` (`unknown` for anything else).
    pub fn as_str(&self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for AlertState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
