//! `rule_files` globs that match no mounted file: Prometheus loads nothing from them and says
//! nothing. An error when Prometheus then loads no alerting rule at all (no alert can fire, so
//! there is nothing `verify` could expect: it refuses the stack), else a warning.

use crate::error::{Finding, Severity};
use crate::load::unmatched_rule_files;
use crate::spec::{ComponentKind, StackSpec};

/// A finding for each `rule_files` glob that matches no mounted file.
pub(crate) fn check(spec: &StackSpec) -> Vec<Finding> {
    let Some(component) = spec.component(ComponentKind::Prometheus) else {
        return Vec::new();
    };
    let prometheus = spec.prometheus();
    let origin = component
        .file(&prometheus.config_path)
        .map(|f| f.origin.clone())
        .unwrap_or_else(|| component.origin.clone());
    let (severity, consequence) = if prometheus.alert_rules().next().is_none() {
        (
            Severity::Error,
            "and no other rule file gives an alerting rule, so no alert can fire",
        )
    } else {
        (Severity::Warning, "which Prometheus accepts silently")
    };
    unmatched_rule_files(prometheus)
        .into_iter()
        .map(|(index, pattern)| {
            let mounted: Vec<&str> = component
                .files
                .iter()
                .map(|f| f.path.as_str())
                .filter(|path| path.ends_with(".yaml") || path.ends_with(".yml"))
                .collect();
            Finding::at(
                severity,
                &origin,
                format!("rule_files[{index}]"),
                format!(
                    "rule_files `{pattern}` matches no mounted file ({consequence}); mount the \
                     rule files where it looks or fix the pattern (mounted YAML files: {})",
                    crate::error::list_or_none(&mounted)
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_dir;

    fn corpus(variant: &str) -> StackSpec {
        load_dir(
            &crate::fixtures::repository_root()
                .join("fixtures/manifests/corpus/broken")
                .join(variant)
                .join("manifests"),
        )
        .expect("the variant loads")
    }

    #[test]
    fn lint_reports_a_rule_files_glob_matching_nothing_as_an_error_when_no_alerting_rule_loads() {
        let findings = check(&corpus("rule-glob-matches-nothing"));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let text = findings[0].to_string();
        assert!(findings[0].is_error(), "{text}");
        assert!(
            text.contains(
                "resource ConfigMap/prometheus-config, key `prometheus.yaml: rule_files[0]`"
            ) && text.contains("rule_files `/etc/prometheus/rules/*.yaml` matches no mounted file")
                && text.contains("/etc/prometheus/rules.yaml"),
            "{text}"
        );
    }

    #[test]
    fn lint_warns_of_a_rule_files_glob_matching_nothing_beside_rules_that_load() {
        let mut spec = load_dir(&crate::fixtures::seed_manifests()).unwrap();
        for component in &mut spec.components {
            if let crate::spec::ComponentConfig::Prometheus(p) = &mut component.config {
                p.config["rule_files"]
                    .as_sequence_mut()
                    .expect("the seed's rule_files")
                    .push("/etc/prometheus/extra/*.yaml".into());
            }
        }
        let findings = check(&spec);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(!findings[0].is_error(), "{findings:#?}");
        assert!(
            findings[0]
                .message
                .contains("`/etc/prometheus/extra/*.yaml`"),
            "{findings:#?}"
        );
        assert!(check(&load_dir(&crate::fixtures::seed_manifests()).unwrap()).is_empty());
    }
}
