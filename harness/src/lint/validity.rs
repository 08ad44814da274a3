//! Rule 3, validity by the components' own tools: `promtool check config` (syntax: the
//! files it references are the loader's business) and `promtool check rules` on every rule
//! file, `amtool check-config` on Alertmanager's config with its templates. They run on the
//! effective files (see [`super::workspace`]); their complaint is cited in the finding.
//! A missing tool is a warning saying how to get it, never a silent pass.

use std::path::PathBuf;

use super::tools::{one_line, run};
use super::workspace::Workspace;
use crate::error::Finding;
use crate::spec::{ComponentKind, ComponentSpec, Origin, StackSpec};
use crate::tools::Tool;

/// The findings of promtool and amtool.
pub(crate) fn check(spec: &StackSpec, workspace: &Workspace) -> Vec<Finding> {
    check_with(spec, workspace, Tool::find)
}

/// The same, with the tools found by `find`.
pub(crate) fn check_with(
    spec: &StackSpec,
    workspace: &Workspace,
    find: impl Fn(Tool) -> Result<PathBuf, String>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(prometheus) = spec.component(ComponentKind::Prometheus) {
        let config = spec.prometheus();
        let mut files = vec![(
            &config.config_path,
            ["check", "config", "--syntax-only"].as_slice(),
        )];
        files.extend(
            config
                .rule_files
                .iter()
                .map(|r| (&r.path, ["check", "rules"].as_slice())),
        );
        let files: Vec<(&str, &[&str])> = files.iter().map(|(p, a)| (p.as_str(), *a)).collect();
        findings.extend(check_files(
            spec,
            workspace,
            prometheus,
            (Tool::Promtool, find(Tool::Promtool)),
            &files,
        ));
    }
    if let Some(alertmanager) = spec.component(ComponentKind::Alertmanager) {
        let config = &spec.alertmanager().config_path;
        findings.extend(check_files(
            spec,
            workspace,
            alertmanager,
            (Tool::Amtool, find(Tool::Amtool)),
            &[(config.as_str(), &["check-config"])],
        ));
    }
    findings
}

fn check_files(
    spec: &StackSpec,
    workspace: &Workspace,
    component: &ComponentSpec,
    (tool, found): (Tool, Result<PathBuf, String>),
    files: &[(&str, &[&str])],
) -> Vec<Finding> {
    let origin_of = |path: &str| {
        component
            .file(path)
            .map(|f| f.origin.clone())
            .unwrap_or_else(|| component.origin.clone())
    };
    let Some((first, _)) = files.first() else {
        return Vec::new();
    };
    let binary = match found {
        Ok(binary) => binary,
        Err(why) => {
            return vec![Finding::warning(
                &origin_of(first),
                "",
                format!(
                    "not checked by {component}'s own tool: {why}; {}",
                    tool.install_hint(),
                    component = component.kind()
                ),
            )]
        }
    };
    let mut findings = Vec::new();
    for (path, args) in files {
        let written = workspace.path_of(component, path);
        let written = written.to_string_lossy();
        let mut args = args.to_vec();
        args.push(&written);
        let command = format!("{} {}", tool.name(), args[..args.len() - 1].join(" "));
        let origin: Origin = origin_of(path);
        match run(&binary, &args) {
            Ok(output) if output.success => {}
            Ok(output) if left_out_discovery(&output.text).is_some() => {
                let mechanism = left_out_discovery(&output.text).unwrap_or_default();
                findings.push(Finding::warning(
                    &origin,
                    "",
                    format!(
                        "not checked: this {} was built without `{mechanism}` (Debian's \
                         package leaves Kubernetes discovery out), which the official \
                         Prometheus has; point {} at an official one to check it",
                        tool.name(),
                        tool.env_name()
                    ),
                ))
            }
            Ok(output) if output.text.contains("unknown long flag") => {
                findings.push(Finding::warning(
                    &origin,
                    "",
                    format!(
                        "not checked: this {} does not know `{command}` ({}); install a newer one",
                        tool.name(),
                        one_line(&output.text)
                    ),
                ))
            }
            Ok(output) => {
                let cause = spec.redact(&workspace.in_container_terms(&one_line(&output.text)));
                findings.push(Finding::error(
                    &origin,
                    "",
                    format!(
                        "`{command}` rejects {path}: {cause}; fix it (line numbers are those of the \
                         effective file `firedrill render --time-scale 1` prints)"
                    ),
                ));
            }
            Err(why) => findings.push(Finding::warning(
                &origin,
                "",
                format!("not checked: {why}; {}", tool.install_hint()),
            )),
        }
    }
    findings
}

/// The discovery mechanism (`kubernetes_sd_configs`, in a scrape job or an Alertmanager entry)
/// a promtool rejects as an unknown field:
/// it was built without it (Debian's is), so the config is valid for the official one. Only
/// when that is all it rejects: any other complaint stays an error.
fn left_out_discovery(output: &str) -> Option<String> {
    let mut left_out = None;
    for complaint in output.split("field ").skip(1) {
        let (name, tail) = complaint.split_once(' ')?;
        // In a scrape job, or in an Alertmanager entry of `alerting.alertmanagers`.
        if !(name.ends_with("_sd_configs")
            && (tail.starts_with("not found in type config.ScrapeConfig")
                || tail.starts_with("not found in type config.AlertmanagerConfig")))
        {
            return None;
        }
        left_out.get_or_insert_with(|| name.to_string());
    }
    // One complaint per `line N:` of the unmarshal errors: each must have been one of those.
    let lines = output.matches("\n  line ").count() + usize::from(output.starts_with("line "));
    let fields = output.matches("field ").count();
    (lines <= fields).then_some(left_out).flatten()
}

#[cfg(test)]
mod discovery_tests {
    use super::left_out_discovery;

    #[test]
    fn a_promtool_built_without_kubernetes_discovery_is_recognised_by_its_complaint() {
        let debian =
            "Checking /w/prometheus.yaml\n  FAILED: parsing YAML file /w/prometheus.yaml: \
                      yaml: unmarshal errors:\n  line 18: field kubernetes_sd_configs not found \
                      in type config.ScrapeConfig\n";
        assert_eq!(
            left_out_discovery(debian).as_deref(),
            Some("kubernetes_sd_configs")
        );
        let alertmanagers = "yaml: unmarshal errors:\n  line 9: field kubernetes_sd_configs not \
                             found in type config.AlertmanagerConfig\n";
        assert_eq!(
            left_out_discovery(alertmanagers).as_deref(),
            Some("kubernetes_sd_configs")
        );
        let typo = "line 18: field static_config not found in type config.ScrapeConfig";
        assert_eq!(left_out_discovery(typo), None);
        let elsewhere = "line 3: field kubernetes_sd_configs not found in type config.GlobalConfig";
        assert_eq!(left_out_discovery(elsewhere), None);
        let and_a_typo = "yaml: unmarshal errors:\n  line 18: field kubernetes_sd_configs not \
                          found in type config.ScrapeConfig\n  line 20: field scrape_intervall \
                          not found in type config.ScrapeConfig\n";
        assert_eq!(left_out_discovery(and_a_typo), None);
        let and_a_bad_value = "yaml: unmarshal errors:\n  line 18: field kubernetes_sd_configs \
                               not found in type config.ScrapeConfig\n  line 4: cannot unmarshal \
                               !!str `x` into model.Duration\n";
        assert_eq!(left_out_discovery(and_a_bad_value), None);
    }
}
