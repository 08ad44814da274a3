//! Which receivers an alerting rule's alerts reach, by Alertmanager's own routing:
//! `amtool config routes test --config.file=F alertname=A label=value...` with the rule's
//! name and static labels. Labels from series can route too, so an answer is what the
//! static labels certainly give, and a rule whose labels are templated is "anywhere".

use std::collections::BTreeSet;
use std::path::Path;

use super::tools::run;
use crate::spec::Rule;

/// The receivers a rule's alerts reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Routed {
    /// These receivers, by the rule's name and static labels.
    To(BTreeSet<String>),
    /// Not known (templated labels, or amtool could not answer): any receiver.
    Anywhere,
}

impl Routed {
    /// Whether the alerts may reach `receiver`.
    pub fn reaches(&self, receiver: &str) -> bool {
        match self {
            Routed::To(receivers) => receivers.contains(receiver),
            Routed::Anywhere => true,
        }
    }
}

/// Routes `rule` with `amtool` (at `binary`) through the config at `config`.
pub(crate) fn route(amtool: Option<&Path>, config: &Path, rule: &Rule) -> Routed {
    let (Some(amtool), Some(alert)) = (amtool, &rule.alert) else {
        return Routed::Anywhere;
    };
    if rule.labels.values().any(|v| v.contains("{{")) {
        return Routed::Anywhere;
    }
    let config_flag = format!("--config.file={}", config.display());
    let mut args = vec![
        "config".to_string(),
        "routes".to_string(),
        "test".to_string(),
        config_flag,
    ];
    args.push(format!("alertname={}", quote(alert)));
    args.extend(
        rule.labels
            .iter()
            .filter(|(k, _)| k.as_str() != "alertname")
            .map(|(k, v)| format!("{k}={}", quote(v))),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(amtool, &args) {
        Ok(output) if output.success => {
            let answer = output.text.lines().next().unwrap_or("").trim();
            if answer.is_empty() {
                return Routed::Anywhere;
            }
            Routed::To(answer.split(',').map(|r| r.trim().to_string()).collect())
        }
        _ => Routed::Anywhere,
    }
}

/// A matcher value, quoted for amtool.
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}
