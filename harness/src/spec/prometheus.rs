//! Prometheus's configuration as the manifests give it.

use std::collections::BTreeMap;

use crate::time::PromDuration;

/// Prometheus's main config file and the rule files it loads.
#[derive(Debug, Clone)]
pub struct PrometheusSpec {
    /// In-container path given by `--config.file`.
    pub config_path: String,
    /// The parsed main config, kept whole so that unknown keys survive planning.
    pub config: serde_yaml::Value,
    /// `global.scrape_interval` (Prometheus's default 1m when absent).
    pub scrape_interval: PromDuration,
    /// `global.evaluation_interval` (default 1m when absent).
    pub evaluation_interval: PromDuration,
    /// Every rule file `rule_files` names (globs expanded against the mounted files).
    pub rule_files: Vec<RuleFile>,
}

impl PrometheusSpec {
    /// Every alerting rule, with the group it is in.
    pub fn alert_rules(&self) -> impl Iterator<Item = (&RuleGroup, &Rule)> {
        self.rule_files
            .iter()
            .flat_map(|f| f.groups.iter())
            .flat_map(|g| g.rules.iter().map(move |r| (g, r)))
            .filter(|(_, r)| r.alert.is_some())
    }
}

/// One rule file.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// In-container path.
    pub path: String,
    /// The parsed file, kept whole.
    pub raw: serde_yaml::Value,
    /// Its groups.
    pub groups: Vec<RuleGroup>,
}

/// A rule group.
#[derive(Debug, Clone)]
pub struct RuleGroup {
    /// `name`.
    pub name: String,
    /// `interval`, when the group sets its own.
    pub interval: Option<PromDuration>,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// An alerting or recording rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `alert` (alerting rules).
    pub alert: Option<String>,
    /// `record` (recording rules).
    pub record: Option<String>,
    /// `expr`.
    pub expr: String,
    /// `for` (zero when absent).
    pub for_: PromDuration,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// Whether the expression is a constant (`vector(1)`), so the alert always fires.
    pub fn is_constant(&self) -> bool {
        let expr: String = self.expr.chars().filter(|c| !c.is_whitespace()).collect();
        expr.starts_with("vector(")
            && expr.ends_with(')')
            && expr["vector(".len()..expr.len() - 1].parse::<f64>().is_ok()
    }
}
