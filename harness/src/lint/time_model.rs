//! What the time scale cannot keep faithful, rule by rule: an expression that reads the wall
//! clock (`time()`, `hour()`, ...), `@` with an absolute time, or one the PromQL parser cannot
//! read (it then runs unscaled). Warnings: the rule still runs, and what it computes under
//! compressed time is not what production computes.

use crate::error::Finding;
use crate::plan::promql::unfaithful;
use crate::spec::{ComponentKind, StackSpec};

/// A warning for each rule whose expression the time scale cannot keep faithful.
pub(crate) fn check(spec: &StackSpec) -> Vec<Finding> {
    let Some(prometheus) = spec.component(ComponentKind::Prometheus) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for rule_file in &spec.prometheus().rule_files {
        let origin = prometheus
            .file(&rule_file.path)
            .map(|f| f.origin.clone())
            .unwrap_or_else(|| prometheus.origin.clone());
        for (g, group) in rule_file.groups.iter().enumerate() {
            for (r, rule) in group.rules.iter().enumerate() {
                let name = rule
                    .alert
                    .as_deref()
                    .or(rule.record.as_deref())
                    .unwrap_or("?");
                for why in unfaithful(&rule.expr) {
                    findings.push(Finding::warning(
                        &origin,
                        format!("groups[{g}].rules[{r}].expr"),
                        format!("rule {name}: {why}"),
                    ));
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_dir;

    #[test]
    fn a_rule_reading_the_wall_clock_is_a_warning_naming_the_rule_and_the_function() {
        let mut spec = load_dir(&crate::fixtures::seed_manifests()).unwrap();
        crate::load::add_rule_file(
            &mut spec,
            "clock.yaml",
            "groups: [{name: clock, rules: [{alert: OldProcess, expr: 'time() - process_start_time_seconds > 600'}, {alert: Fine, expr: 'rate(x[5m]) > 1'}]}]",
        )
        .unwrap();
        let findings = check(&spec);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let text = findings[0].to_string();
        assert!(!findings[0].is_error(), "{text}");
        assert!(
            text.contains("rule OldProcess: `time()` reads the wall clock"),
            "{text}"
        );
        assert!(text.contains("groups[0].rules[0].expr"), "{text}");
    }

    #[test]
    fn the_seed_has_nothing_the_time_scale_cannot_keep() {
        let spec = load_dir(&crate::fixtures::seed_manifests()).unwrap();
        assert!(check(&spec).is_empty());
    }
}
