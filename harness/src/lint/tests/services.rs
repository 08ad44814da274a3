use super::{edit, lint_seed_with, seed_copy, testdata, the_finding};
use crate::error::Severity;
use crate::lint::lint_dir;

#[test]
fn a_selector_matching_no_pod_names_the_labels_the_pods_have() {
    let findings = lint_seed_with("echo-service.yaml", "app: echo", "app: echoo");
    let finding = the_finding(&findings, "spec.selector");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.resource.as_deref(), Some("Service/echo-service"));
    assert!(finding.file.ends_with("echo-service.yaml"));
    assert!(
        finding.message.contains("app=echoo")
            && finding
                .message
                .contains("Deployment/echo-deployment has app=echo"),
        "{finding}"
    );
}

#[test]
fn a_selector_in_another_namespace_than_the_pods_matches_nothing() {
    let findings = lint_seed_with(
        "echo-service.yaml",
        "name: echo-service",
        "name: echo-service\n  namespace: web",
    );
    let finding = the_finding(&findings, "spec.selector");
    assert!(
        finding
            .message
            .contains("namespace `web` has no pod template"),
        "{finding}"
    );
}

#[test]
fn a_target_port_no_pod_declares_is_an_error() {
    let findings = lint_seed_with("echo-service.yaml", "targetPort: 8081", "targetPort: 8082");
    let finding = the_finding(&findings, "spec.ports[0].targetPort");
    assert_eq!(finding.severity, Severity::Error);
    assert!(
        finding.message.contains("targetPort 8082")
            && finding
                .message
                .contains("Deployment/echo-deployment; their ports: 8081"),
        "{finding}"
    );
}

#[test]
fn a_bare_pod_is_selected_by_name_and_a_wrong_port_name_gets_a_suggestion() {
    let dir = seed_copy();
    std::fs::copy(
        testdata("debug-pod.yaml"),
        dir.path().join("debug-pod.yaml"),
    )
    .unwrap();
    assert!(lint_dir(dir.path())
        .iter()
        .all(|f| f.severity != Severity::Error));

    edit(
        dir.path(),
        "debug-pod.yaml",
        "targetPort: admin",
        "targetPort: admn",
    );
    let findings = lint_dir(dir.path());
    let finding = the_finding(&findings, "spec.ports[0].targetPort");
    assert_eq!(finding.resource.as_deref(), Some("Service/debug-service"));
    assert!(
        finding.message.contains("`admn`")
            && finding.message.contains("Pod/debug")
            && finding.message.contains("did you mean `admin`?"),
        "{finding}"
    );
}

#[test]
fn a_service_selecting_a_cron_jobs_pods_is_fine() {
    let dir = seed_copy();
    std::fs::write(
        dir.path().join("batch.yaml"),
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report, namespace: batch}\n\
         spec:\n  schedule: '@hourly'\n  jobTemplate:\n    spec:\n      template:\n        \
         metadata: {labels: {app: report}}\n        spec:\n          containers:\n            \
         - {name: report, image: busybox:1.36, ports: [{containerPort: 9102}]}\n\
         ---\napiVersion: v1\nkind: Service\nmetadata: {name: report, namespace: batch}\n\
         spec: {selector: {app: report}, ports: [{port: 9102}]}\n",
    )
    .unwrap();
    let findings = lint_dir(dir.path());
    assert!(
        findings.iter().all(|f| f.severity != Severity::Error),
        "{findings:#?}"
    );

    let text = std::fs::read_to_string(dir.path().join("batch.yaml")).unwrap();
    std::fs::write(
        dir.path().join("batch.yaml"),
        text.replace("ports: [{port: 9102}]", "ports: [{port: 9103}]"),
    )
    .unwrap();
    let findings = lint_dir(dir.path());
    let finding = the_finding(&findings, "spec.ports[0].targetPort");
    assert!(finding.message.contains("CronJob/report"), "{finding}");
}
