use super::{lint_seed_with, the_finding};
use crate::error::Severity;

const CONFIG: &str = "prometheus-config.yaml";
const ECHO_TARGET: &str = "prometheus.yaml: scrape_configs[1].static_configs[0].targets[0]";

#[test]
fn a_scrape_target_naming_no_service_suggests_the_nearest() {
    let findings = lint_seed_with(CONFIG, "echo-service:80", "echo-svc:80");
    let finding = the_finding(&findings, ECHO_TARGET);
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(
        finding.resource.as_deref(),
        Some("ConfigMap/prometheus-config")
    );
    assert!(
        finding
            .message
            .contains("Service `echo-svc` in namespace `default`")
            && finding.message.contains("did you mean `echo-service`?"),
        "{finding}"
    );
}

#[test]
fn a_scrape_target_at_the_target_port_says_to_use_the_service_port() {
    let findings = lint_seed_with(CONFIG, "echo-service:80", "echo-service:8081");
    let finding = the_finding(&findings, ECHO_TARGET);
    assert!(
        finding
            .message
            .contains("Service/echo-service has no port 8081 (its ports: 80)")
            && finding.message.contains("targetPort"),
        "{finding}"
    );
}

#[test]
fn every_cluster_dns_form_of_an_existing_service_is_fine() {
    for host in [
        "echo-service.default",
        "echo-service.default.svc",
        "echo-service.default.svc.cluster.local",
        "example.com",
        "10.0.0.7",
    ] {
        let findings = lint_seed_with(CONFIG, "echo-service:80", &format!("{host}:80"));
        assert!(
            findings
                .iter()
                .all(|f| !f.key.as_deref().unwrap_or("").ends_with(ECHO_TARGET)),
            "{host}: {findings:#?}"
        );
    }
}

#[test]
fn a_service_in_another_namespace_is_pointed_out() {
    let findings = lint_seed_with(CONFIG, "echo-service:80", "echo-service.monitoring.svc:80");
    let finding = the_finding(&findings, ECHO_TARGET);
    assert!(
        finding.message.contains("namespace `monitoring`")
            && finding.message.contains("write `echo-service.default:80`"),
        "{finding}"
    );
}

#[test]
fn an_alertmanager_target_naming_no_service_is_an_error() {
    let findings = lint_seed_with(CONFIG, "localhost:9093", "alertmanager:9093");
    let finding = the_finding(
        &findings,
        "prometheus.yaml: alerting.alertmanagers[0].static_configs[0].targets[0]",
    );
    assert!(
        finding.message.contains("Service `alertmanager`"),
        "{finding}"
    );
}
