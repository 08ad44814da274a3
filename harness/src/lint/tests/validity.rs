use super::{edit, lint_seed_with, seed_copy, the_finding, tools_installed};
use crate::error::Severity;
use crate::lint::workspace::Workspace;
use crate::lint::{lint_dir, validity};
use crate::load::load_dir;
use crate::tools::Tool;

#[test]
fn promtool_rejecting_the_config_is_cited() {
    if !tools_installed() {
        return eprintln!("promtool/amtool not installed: skipped");
    }
    let findings = lint_seed_with(
        "prometheus-config.yaml",
        "metrics_path: '/metrics'",
        "metrics_pth: '/metrics'",
    );
    let finding = the_finding(&findings, "prometheus.yaml");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(
        finding.resource.as_deref(),
        Some("ConfigMap/prometheus-config")
    );
    assert!(
        finding.message.contains(
            "`promtool check config --syntax-only` rejects /etc/prometheus/prometheus.yaml"
        ) && finding.message.contains("field metrics_pth not found"),
        "{finding}"
    );
}

#[test]
fn promtool_rejecting_a_rule_is_cited() {
    if !tools_installed() {
        return eprintln!("promtool/amtool not installed: skipped");
    }
    let findings = lint_seed_with(
        "prometheus-config.yaml",
        "expr: vector(1)",
        "expr: vector(1) +",
    );
    let finding = the_finding(&findings, "rules.yaml");
    assert!(
        finding.message.contains("`promtool check rules`")
            && finding
                .message
                .contains("\"DeadMansSwitch\": could not parse expression"),
        "{finding}"
    );
}

#[test]
fn amtool_rejecting_a_template_file_found_at_its_absolute_path_is_cited() {
    if !tools_installed() {
        return eprintln!("promtool/amtool not installed: skipped");
    }
    let dir = seed_copy();
    edit(
        dir.path(),
        "alertmanager-secret.yaml",
        "stringData:\n",
        "stringData:\n  slack.tmpl: |\n    {{ define \"x\" }}{{ .Foo\n",
    );
    edit(
        dir.path(),
        "alertmanager-secret.yaml",
        "    route:\n",
        "    templates: ['/etc/alertmanager/*.tmpl']\n    route:\n",
    );
    let findings = lint_dir(dir.path());
    let finding = the_finding(&findings, "alertmanager.yaml");
    assert_eq!(
        finding.resource.as_deref(),
        Some("Secret/alertmanager-secret")
    );
    assert!(
        finding.message.contains("`amtool check-config`")
            && finding.message.contains("slack.tmpl:2: unclosed action"),
        "{finding}"
    );
    assert!(
        !finding.message.contains("XXXXXXXX"),
        "a secret leaked: {finding}"
    );
}

#[test]
fn a_missing_tool_is_a_warning_saying_how_to_get_it() {
    let dir = seed_copy();
    let spec = load_dir(dir.path()).unwrap();
    let workspace = Workspace::write(&spec).unwrap();
    let findings = validity::check_with(&spec, &workspace, |tool| {
        Err(format!("{} is not installed (not on PATH)", tool.name()))
    });
    assert_eq!(findings.len(), 2, "{findings:#?}");
    for (finding, tool, package) in [
        (&findings[0], Tool::Promtool, "apt-get install prometheus`"),
        (
            &findings[1],
            Tool::Amtool,
            "apt-get install prometheus-alertmanager`",
        ),
    ] {
        assert_eq!(finding.severity, Severity::Warning);
        assert!(
            finding
                .message
                .contains(&format!("{} is not installed", tool.name()))
                && finding.message.contains(package)
                && finding.message.contains(&tool.env_name()),
            "{finding}"
        );
    }
}
