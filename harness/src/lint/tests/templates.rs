use super::{edit, errors, lint_seed_with, seed_copy, the_finding, tools_installed};
use crate::error::Severity;
use crate::lint::lint_dir;

const SECRET: &str = "alertmanager-secret.yaml";
const TEXT: &str = "alertmanager.yaml: receivers[0].slack_configs[0].text";

#[test]
fn an_annotation_typo_names_the_receiver_the_rules_annotations_and_the_fix() {
    let findings = lint_seed_with(SECRET, ".Annotations.summary", ".Annotations.sumary");
    let finding = the_finding(&findings, TEXT);
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(
        finding.resource.as_deref(),
        Some("Secret/alertmanager-secret")
    );
    assert_eq!(
        finding.message,
        "receiver slack-notifications: the text references annotation `sumary`, which no alert \
         routed here has (rules give: description, summary); did you mean `summary`?"
    );
}

#[test]
fn a_guarded_annotation_is_fine() {
    let findings = lint_seed_with(
        SECRET,
        "{{ .Annotations.summary }}",
        "{{ .Annotations.summary }}{{ if .Annotations.runbook }} {{ .Annotations.runbook }}{{ end }}",
    );
    assert!(errors(&findings).is_empty(), "{findings:#?}");
}

#[test]
fn a_template_file_called_by_the_text_is_read_too() {
    let dir = seed_copy();
    edit(
        dir.path(),
        SECRET,
        "stringData:\n",
        "stringData:\n  slack.tmpl: |\n    {{ define \"slack.extra\" }}{{ .CommonAnnotations.dashbord }}{{ end }}\n",
    );
    edit(
        dir.path(),
        SECRET,
        "    route:\n",
        "    templates: ['*.tmpl']\n    route:\n",
    );
    edit(
        dir.path(),
        SECRET,
        "*Details:*",
        "{{ template \"slack.extra\" . }}",
    );
    let findings = lint_dir(dir.path());
    let finding = the_finding(&findings, TEXT);
    assert!(
        finding
            .message
            .contains("the text (in template `slack.extra`) references annotation `dashbord`"),
        "{finding}"
    );
}

#[test]
fn a_group_label_no_route_groups_by_is_an_error() {
    let findings = lint_seed_with(
        SECRET,
        "- channel: '#alerts'",
        "- channel: '#alerts'\n            title: '{{ .GroupLabels.job }}'",
    );
    let finding = the_finding(
        &findings,
        "alertmanager.yaml: receivers[0].slack_configs[0].title",
    );
    assert!(
        finding.message.contains("group label `job`")
            && finding.message.contains("(group_by: none)"),
        "{finding}"
    );

    let dir = seed_copy();
    edit(
        dir.path(),
        SECRET,
        "- channel: '#alerts'",
        "- channel: '#alerts'\n            title: '{{ .GroupLabels.job }}'",
    );
    edit(
        dir.path(),
        SECRET,
        "group_interval: 5s",
        "group_interval: 5s\n      group_by: [job]",
    );
    assert!(errors(&lint_dir(dir.path())).is_empty());
}

#[test]
fn an_annotation_only_alerts_routed_elsewhere_have_is_a_warning_by_amtools_routing() {
    if !tools_installed() {
        return eprintln!("amtool not installed: skipped");
    }
    let dir = seed_copy();
    edit(
        dir.path(),
        "prometheus-config.yaml",
        "          - alert: DeadMansSwitch",
        "          - alert: Paging\n            expr: vector(1)\n            labels:\n              severity: page\n            annotations:\n              summary: page me\n          - alert: DeadMansSwitch",
    );
    edit(
        dir.path(),
        SECRET,
        "      group_interval: 5s\n",
        "      group_interval: 5s\n      routes:\n        - receiver: pager\n          matchers: [severity=\"page\"]\n",
    );
    edit(
        dir.path(),
        SECRET,
        "    receivers:\n",
        "    receivers:\n      - name: pager\n        slack_configs:\n          - channel: '#page'\n            text: '{{ .CommonAnnotations.summary }} {{ .CommonAnnotations.description }}'\n",
    );
    let findings = lint_dir(dir.path());
    let finding = the_finding(
        &findings,
        "alertmanager.yaml: receivers[0].slack_configs[0].text",
    );
    assert_eq!(finding.severity, Severity::Warning, "{finding}");
    assert!(
        finding.message.contains("receiver pager")
            && finding.message.contains("annotation `description`")
            && finding
                .message
                .contains("rules give: summary; it is on DeadMansSwitch"),
        "{finding}"
    );
}

#[test]
fn an_annotation_unlike_any_the_rules_give_is_only_a_warning_as_it_renders_empty() {
    let findings = lint_seed_with(SECRET, ".Annotations.summary", ".Annotations.runbook_url");
    let finding = the_finding(&findings, TEXT);
    assert_eq!(finding.severity, Severity::Warning, "{finding:?}");
    assert!(finding.message.contains("it renders empty"), "{finding:?}");
    assert!(errors(&findings).is_empty(), "{findings:#?}");
}
