//! The evidence a failed check prints: target health, rule states, Alertmanager's alerts,
//! every request the Slack mock received, and the last lines of each component's log.

use std::fmt::Write;

use super::checker::Checker;
use crate::time::format_timestamp;

/// Lines of each component's log shown.
pub const LOG_TAIL_LINES: usize = 20;

impl Checker<'_> {
    /// Everything a failed check shows, with the manifests' secrets redacted.
    pub(crate) async fn evidence(&self) -> String {
        let mut out = String::from("evidence:\n");
        match self.prometheus.targets().await {
            Ok(targets) if targets.is_empty() => out.push_str("  targets: none discovered\n"),
            Ok(targets) => {
                out.push_str("  targets:\n");
                for t in targets {
                    let _ = writeln!(
                        out,
                        "    {} {} {} {}",
                        t.scrape_pool, t.scrape_url, t.health, t.last_error
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(out, "  targets: {e}");
            }
        }
        match self.prometheus.rules().await {
            Ok(groups) => {
                out.push_str("  rules:\n");
                for group in groups {
                    for rule in group.rules {
                        let state = rule
                            .state
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "-".into());
                        let _ = writeln!(
                            out,
                            "    {}/{} health={} state={} {}",
                            group.name, rule.name, rule.health, state, rule.last_error
                        );
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(out, "  rules: {e}");
            }
        }
        match self.alertmanager.alerts().await {
            Ok(alerts) if alerts.is_empty() => out.push_str("  alertmanager alerts: none\n"),
            Ok(alerts) => {
                out.push_str("  alertmanager alerts:\n");
                for a in alerts {
                    let name = a.labels.get("alertname").cloned().unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "    {name} {} since {} receivers {:?}",
                        a.status.state, a.starts_at, a.receivers
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(out, "  alertmanager alerts: {e}");
            }
        }
        let messages = self.stack.slack().messages().await;
        let _ = writeln!(out, "  slack requests received: {}", messages.len());
        for m in &messages {
            let _ = writeln!(
                out,
                "    #{} at {} POST {} channel={:?} titles={:?} texts={:?}",
                m.seq,
                format_timestamp(m.received_at),
                m.path,
                m.channel(),
                m.titles(),
                m.texts()
            );
        }
        for (component, tail) in self.stack.log_tails(LOG_TAIL_LINES).await {
            let _ = writeln!(out, "  last {LOG_TAIL_LINES} lines of {component}'s log:");
            for line in tail.lines() {
                let _ = writeln!(out, "    | {line}");
            }
        }
        self.stack.plan().spec.redact(&out)
    }
}
