use super::{load_ok, seed_dir};
use crate::spec::{ComponentKind, EnvValue, FileContent, ServicePort};

#[test]
fn the_seed_loads_with_its_images_ports_and_pod() {
    let spec = load_ok(seed_dir());
    let images: Vec<(&str, &str, Vec<u16>)> = spec
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.image.as_str(), c.ports.clone()))
        .collect();
    assert_eq!(
        images,
        vec![
            ("echo-server", "echo_server:latest", vec![8081]),
            ("prometheus", "prom/prometheus:v2.27.1", vec![9090]),
            ("alertmanager", "prom/alertmanager:v0.22.2", vec![9093]),
            ("grafana", "grafana/grafana:7.5.9", vec![]),
        ]
    );
    let prometheus = spec
        .component(ComponentKind::Prometheus)
        .expect("prometheus component");
    assert_eq!(prometheus.pod, "prometheus-deployment");
    assert_eq!(
        prometheus.pod_labels.get("app").map(String::as_str),
        Some("prometheus")
    );
    assert_eq!(
        prometheus.args,
        vec!["--config.file=/etc/prometheus/prometheus.yaml"]
    );
    let apps: Vec<&str> = spec.apps().map(|c| c.name.as_str()).collect();
    assert_eq!(apps, vec!["echo-server"]);
}

#[test]
fn the_seed_service_forwards_port_80_to_the_app() {
    let spec = load_ok(seed_dir());
    let services: Vec<(&str, Vec<ServicePort>)> = spec
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.ports.clone()))
        .collect();
    assert_eq!(
        services,
        vec![(
            "echo-service",
            vec![ServicePort {
                port: 80,
                target_port: 8081
            }]
        )]
    );
    assert_eq!(
        spec.services[0].selector.get("app").map(String::as_str),
        Some("echo")
    );
}

#[test]
fn the_seed_prometheus_config_and_dead_mans_switch_rule_are_parsed() {
    let spec = load_ok(seed_dir());
    let prometheus = spec.prometheus();
    assert_eq!(prometheus.config_path, "/etc/prometheus/prometheus.yaml");
    assert_eq!(prometheus.scrape_interval.to_string(), "15s");
    assert_eq!(prometheus.evaluation_interval.to_string(), "15s");
    let rule_paths: Vec<&str> = prometheus
        .rule_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(rule_paths, vec!["/etc/prometheus/rules.yaml"]);
    let alerts: Vec<_> = prometheus.alert_rules().collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let (group, rule) = alerts[0];
    assert_eq!(group.name, "test");
    assert_eq!(rule.alert.as_deref(), Some("DeadMansSwitch"));
    assert_eq!(rule.for_.to_string(), "1m");
    assert!(rule.is_constant(), "vector(1) should be constant: {rule:?}");
    assert_eq!(
        rule.labels.get("severity").map(String::as_str),
        Some("__severity__")
    );
    assert_eq!(
        rule.annotations.get("summary").map(String::as_str),
        Some("テストアラート")
    );
    assert_eq!(
        rule.annotations.get("description").map(String::as_str),
        Some("このアラートは常に発生します")
    );
}

#[test]
fn the_seed_alertmanager_routes_to_slack_with_the_articles_timings() {
    let spec = load_ok(seed_dir());
    let alertmanager = spec.alertmanager();
    assert_eq!(
        alertmanager.config_path,
        "/etc/alertmanager/alertmanager.yaml"
    );
    assert_eq!(alertmanager.route_receiver, "slack-notifications");
    assert_eq!(alertmanager.group_interval.to_string(), "5s");
    assert_eq!(alertmanager.group_wait.to_string(), "30s");
    assert_eq!(alertmanager.repeat_interval.to_string(), "4h");
    assert_eq!(alertmanager.resolve_timeout.to_string(), "5m");
    let receiver = alertmanager
        .receiver("slack-notifications")
        .expect("receiver defined");
    assert_eq!(receiver.slack.len(), 1, "{receiver:?}");
    let slack = &receiver.slack[0];
    assert_eq!(slack.channel.as_deref(), Some("#alerts"));
    assert!(
        slack.send_resolved,
        "send_resolved should be true: {slack:?}"
    );
    let text = slack.text.as_deref().unwrap_or_default();
    assert!(
        text.starts_with("{{ range .Alerts }}\n*Alert:* {{ .Labels.alertname }}"),
        "{text}"
    );
    assert!(
        text.contains("{{ range .Labels.SortedPairs }} *{{ .Name }}:* `{{ .Value }}`"),
        "{text}"
    );
    let url = slack
        .api_url
        .as_ref()
        .expect("api_url from global.slack_api_url");
    assert!(
        url.expose()
            .starts_with("https://hooks.slack.com/services/"),
        "unexpected URL shape"
    );
    let file = spec
        .component(ComponentKind::Alertmanager)
        .and_then(|c| c.file("/etc/alertmanager/alertmanager.yaml"))
        .expect("alertmanager.yaml mounted");
    assert!(
        matches!(file.content, FileContent::Secret(_)),
        "a Secret's file stays secret: {file:?}"
    );
    assert_eq!(file.origin.resource, "Secret/alertmanager-secret");
}

#[test]
fn the_seed_grafana_has_the_prometheus_datasource_and_admin_credentials() {
    let spec = load_ok(seed_dir());
    let grafana = spec.grafana().expect("the seed runs grafana");
    assert_eq!(grafana.admin_user, "admin");
    assert_eq!(grafana.admin_password.expose(), "admin");
    assert_eq!(
        grafana.datasources_dir,
        "/etc/grafana/provisioning/datasources"
    );
    let datasource = grafana.default_datasource().expect("a default datasource");
    assert_eq!(
        (
            datasource.name.as_str(),
            datasource.kind.as_str(),
            datasource.url.as_str()
        ),
        ("Prometheus", "prometheus", "http://localhost:9090")
    );
    assert!(datasource.is_default, "{datasource:?}");
    let component = spec
        .component(ComponentKind::Grafana)
        .expect("grafana component");
    let password = component.env_var("GF_SECURITY_ADMIN_PASSWORD");
    assert!(
        matches!(password, Some(EnvValue::Secret(_))),
        "{password:?}"
    );
}

#[test]
fn secret_values_never_appear_in_the_debug_output_of_the_whole_spec() {
    let spec = load_ok(seed_dir());
    let printed = format!("{spec:?}");
    let url = spec
        .alertmanager()
        .global_slack_api_url
        .as_ref()
        .expect("global url")
        .expose();
    assert!(
        !printed.contains(url),
        "the Slack URL leaked into Debug output"
    );
    assert!(
        !printed.contains("hooks.slack.com"),
        "the Slack URL leaked into Debug output"
    );
    assert!(
        !printed.contains("GF_SECURITY_ADMIN_PASSWORD\", value: Plain"),
        "password not secret"
    );
    assert!(
        printed.contains("<redacted>"),
        "secrets should print as <redacted>"
    );
}
